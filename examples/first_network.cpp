// The README's first network: a two-layer MLP fitted by plain gradient descent.
#include <fmt/core.h>

#include <tapegrad.hpp>

int main() {
  tg::Generator gen(42);
  // A two-layer network: 4 inputs -> 8 hidden (tanh) -> 1 output.
  tg::Tensor w1 = tg::randn({4, 8}, gen).mul_(0.5).set_requires_grad();
  tg::Tensor w2 = tg::randn({8, 1}, gen).mul_(0.5).set_requires_grad();
  tg::Tensor x = tg::randn({16, 4}, gen);
  tg::Tensor target = tg::sum(x, {1}, true);  // learn the row sums

  for (int step = 0; step < 200; ++step) {
    tg::Tensor loss = tg::mean(tg::pow(tg::matmul(tg::tanh(tg::matmul(x, w1)), w2) - target, 2.0));
    loss.backward();  // fills w1.grad() and w2.grad()
    tg::NoGradGuard no_grad;
    for (tg::Tensor* w : {&w1, &w2}) {
      w->sub_(w->grad() * 0.1);
      w->zero_grad();
    }
    if (step % 50 == 0) fmt::print("step {:3d}  loss {:.5f}\n", step, loss.item());
  }
}
