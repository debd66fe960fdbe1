// Uses the installed umbrella header and library as a user's program would, compiled with
// -Wall -Wextra -Werror: options structs and op definitions filled with designated
// initializers that leave fields at their defaults.
#include <cstdio>
#include <tapegrad.hpp>
#include <vector>

namespace {

// d/dx sum(x * x) = 2x.
bool gradient_of_square() {
  tg::Tensor x = tg::tensor({1.0, 2.0, 3.0}, {.dtype = tg::f64, .requires_grad = true});
  tg::sum(x * x).backward();
  const auto g = x.grad().to_vector();
  std::printf("consumer: grad = [%g, %g, %g]\n", g[0], g[1], g[2]);
  return g == std::vector<double>{2.0, 4.0, 6.0};
}

// A 1x1 convolution with weight 2 and bias 1 at stride 2 picks x[0, 0] and x[0, 2] of a
// 1x3 row: 2 * 5 + 1 and 2 * 7 + 1; 2x2 max pooling of [[1, 2], [3, 4]] is 4.
bool options_by_designated_initializers() {
  const tg::Tensor x = tg::tensor({5.0, 6.0, 7.0}, {.dtype = tg::f64}).reshape({1, 1, 1, 3});
  const tg::Tensor w = tg::tensor({2.0}, {.dtype = tg::f64}).reshape({1, 1, 1, 1});
  const tg::Tensor b = tg::tensor({1.0}, {.dtype = tg::f64});
  const auto y = tg::conv2d(x, w, b, {.stride = 2}).to_vector();
  const tg::Tensor p = tg::tensor({1.0, 2.0, 3.0, 4.0}, {.dtype = tg::f64}).reshape({1, 1, 2, 2});
  const auto m = tg::max_pool2d(p, {.kernel_size = 2}).to_vector();
  std::printf("consumer: conv2d = [%g, %g], max_pool2d = [%g]\n", y[0], y[1], m[0]);
  return y == std::vector<double>{11.0, 15.0} && m == std::vector<double>{4.0};
}

// A custom op defined with only the fields it needs, typed by its attribute: x * factor,
// whose gradient is the factor.
struct ScaleAttrs {
  double factor = 1.0;
};

bool custom_op() {
  static const tg::OpHandle<ScaleAttrs> scale = tg::register_op(tg::OpDef<ScaleAttrs>{
      .name = "consumer_scale",
      .arity = 1,
      .forward = [](tg::ForwardContext& ctx, const ScaleAttrs& a) { return ctx.input(0) * a.factor; },
      .backward = [](const tg::BackwardContext&, const tg::Tensor& g, const ScaleAttrs& a) -> std::vector<tg::Tensor> {
        return {g * a.factor};
      },
  });
  tg::Tensor x = tg::tensor({1.0, -2.0}, {.dtype = tg::f64, .requires_grad = true});
  tg::sum(tg::call(scale, {x}, {.factor = 3.0})).backward();
  const auto g = x.grad().to_vector();
  std::printf("consumer: custom op grad = [%g, %g]\n", g[0], g[1]);
  return g == std::vector<double>{3.0, 3.0};
}

}  // namespace

int main() {
  const bool ok = gradient_of_square() && options_by_designated_initializers() && custom_op();
  std::printf("consumer: %s\n", ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
