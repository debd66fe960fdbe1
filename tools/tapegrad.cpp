// `tapegrad`: command-line entry point (subcommands are added with the registry verifier).
#include <fmt/format.h>

int main() {
  fmt::print("usage: tapegrad ops\n");
  return 0;
}
