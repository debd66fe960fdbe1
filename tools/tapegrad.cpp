// `tapegrad`: the command-line entry point.
//   tapegrad ops [NAME]   verify every registered op (or one) and print the table
#include <cstring>
#include <exception>
#include <string_view>

#include <fmt/format.h>

#include "ops/registry.hpp"
#include "ops/verify.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: tapegrad <command>\n"
    "\n"
    "commands:\n"
    "  ops [NAME]   check every registered op (or only NAME) on its sample inputs:\n"
    "               gradcheck and gradgradcheck against central finite differences in\n"
    "               float64, agreement with the op's reference composition, and\n"
    "               zero-size inputs (accepted, or rejected with a typed error).\n"
    "               Exits 1 if any check fails.\n"
    "  --help, -h   show this help\n";

void print_table(const tg::RegistryReport& report) {
  fmt::print("{:<28} {:>7}  {:<7} {:<9} {:<13} {:<9} {:<9} {:>9}  {}\n", "op", "samples", "forward", "gradcheck",
             "gradgradcheck", "reference", "zero-size", "max error", "result");
  for (const tg::OpReport& op : report.ops) {
    fmt::print("{:<28} {:>7}  {:<7} {:<9} {:<13} {:<9} {:<9} {:>9.2e}  {}\n", op.name, op.num_samples,
               tg::to_string(op.forward.status), tg::to_string(op.gradcheck.status),
               tg::to_string(op.gradgradcheck.status), tg::to_string(op.reference.status),
               tg::to_string(op.zero_size.status), op.max_error, op.passed() ? "PASS" : "FAIL");
  }
  const std::size_t failed = report.num_failed();
  if (failed > 0) {
    fmt::print("\nfailures:\n");
    for (const tg::OpReport& op : report.ops) {
      for (const std::string& f : op.failures) fmt::print("  {}\n", f);
    }
  }
  fmt::print("\n{} ops, {} passed, {} failed\n", report.ops.size(), report.ops.size() - failed, failed);
}

int run_ops(int argc, char** argv) {
  if (argc > 3) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  tg::RegistryReport report;
  if (argc == 3) {
    const tg::Op* op = tg::registry().find(argv[2]);
    if (op == nullptr) {
      fmt::print(stderr, "tapegrad ops: no op named '{}' (run `tapegrad ops` to list them)\n", argv[2]);
      return 2;
    }
    report.ops.push_back(tg::verify_op(*op));
  } else {
    report = tg::verify_registry();
  }
  print_table(report);
  return report.passed() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      fmt::print("{}", kUsage);
      return 0;
    }
    if (command == "ops") return run_ops(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "tapegrad: {}\n", e.what());
    return 1;
  }
  if (!command.empty()) fmt::print(stderr, "tapegrad: unknown command '{}'\n", command);
  fmt::print(stderr, "{}", kUsage);
  return 2;
}
