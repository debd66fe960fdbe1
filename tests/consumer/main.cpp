// Uses the installed umbrella header and library: d/dx sum(x * x) = 2x.
#include <tapegrad.hpp>

#include <cstdio>

int main() {
  tg::Tensor x = tg::tensor({1.0, 2.0, 3.0}, {.dtype = tg::f64, .requires_grad = true});
  tg::sum(x * x).backward();
  const auto g = x.grad().to_vector();
  const bool ok = g == std::vector<double>{2.0, 4.0, 6.0};
  std::printf("consumer: grad = [%g, %g, %g] %s\n", g[0], g[1], g[2], ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
