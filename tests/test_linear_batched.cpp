// Linear over inputs with leading dims [B, T, in]: the same values and gradients as the
// rows of the [B * T, in] matrix through the same layer.
#include <doctest/doctest.h>

#include "tapegrad.hpp"

using namespace tg;

TEST_CASE("Linear on [B, T, in] equals Linear on the [B * T, in] rows, values and gradients") {
  manual_seed(5);
  nn::Linear layer(4, 3, {.dtype = DType::Float64});
  Tensor x = randn({2, 5, 4}, {.dtype = DType::Float64});
  x.set_requires_grad();
  const Tensor y = layer(x);
  CHECK(y.shape() == Shape{2, 5, 3});
  const Tensor w = randn({2, 5, 3}, {.dtype = DType::Float64});
  sum(y * w).backward();
  const Tensor gx = x.grad(), gw = layer.weight.grad(), gb = layer.bias.grad();

  layer.zero_grad();
  Tensor x2 = x.detach().reshape({10, 4});
  x2.set_requires_grad();
  const Tensor y2 = layer(x2);
  CHECK(y2.to_vector() == y.to_vector());
  sum(y2 * w.reshape({10, 3})).backward();
  CHECK(x2.grad().to_vector() == gx.to_vector());
  CHECK(layer.weight.grad().to_vector() == gw.to_vector());
  CHECK(layer.bias.grad().to_vector() == gb.to_vector());
  // A naive loop for one output.
  double v = layer.bias.to_vector()[1];
  for (int k = 0; k < 4; ++k)
    v += x.to_vector()[static_cast<std::size_t>(4 * 7 + k)] * layer.weight.to_vector()[static_cast<std::size_t>(4 + k)];
  CHECK(y.to_vector()[7 * 3 + 1] == doctest::Approx(v).epsilon(1e-14));
}
