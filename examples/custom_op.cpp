// A custom op, start to finish: smooth_relu(x) = log(1 + e^x) (the function tg::softplus
// also computes, rebuilt here under a name of its own: op names are unique in the registry)
// with a hand-written backward, registered, called like a built-in, trained through and
// gradient-checked. It takes no
// attributes (tg::NoAttrs); an op with attributes is a tg::OpDef<MyAttrs>, and its handle's
// `call` then takes a MyAttrs.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <tapegrad.hpp>

// Forward in the stable form max(x, 0) + log(1 + e^-|x|): e^x never overflows.
// Backward: d smooth_relu / dx = sigmoid(x). It is written with tensor ops, so the backward is
// itself differentiable and gradgradcheck (or a second-order method) works through it.
//
// The forward saves its input x, and backward recomputes sigmoid(x) from it. Saving an
// intermediate instead (sigmoid(x) computed in the forward) would keep the first derivative
// right but make second derivatives wrong: an intermediate has no autograd history, so the
// backward would treat it as a constant. verify_op (step 4) catches that and names it.
const tg::OpHandle<tg::NoAttrs> smooth_relu_op = tg::register_op({
    .name = "smooth_relu",
    .arity = 1,
    .forward =
        [](tg::ForwardContext& ctx, const tg::NoAttrs&) {
          const tg::Tensor& x = ctx.input(0);
          if (ctx.needs_input_grad(0)) ctx.save("x", x);  // the input, not an intermediate
          return tg::relu(x) + tg::log(1.0 + tg::exp(-tg::abs(x)));
        },
    .backward = [](const tg::BackwardContext& ctx, const tg::Tensor& g, const tg::NoAttrs&) -> std::vector<tg::Tensor> {
      return {g * tg::sigmoid(ctx.saved("x"))};
    },
    // Sample inputs let tg::verify_op (and `tapegrad ops`) check the op like a built-in;
    // every op needs one with an empty input too.
    .samples =
        [] {
          tg::Generator gen(7);
          return std::vector<tg::OpSample<tg::NoAttrs>>{
              {"[4, 3] in [-4, 4)",
               {tg::uniform({4, 3}, -4.0, 4.0, gen, {.dtype = tg::f64, .requires_grad = true})},
               {}},
              {"[0] (empty)", {tg::zeros({0}, {.dtype = tg::f64, .requires_grad = true})}, {}}};
        },
    .summary = "log(1 + e^x), computed stably",
});

tg::Tensor smooth_relu(const tg::Tensor& x) { return tg::call(smooth_relu_op, {x}); }

int main() {
  // 1. Called like a built-in; large |x| neither overflows nor loses the linear tail.
  const tg::Tensor x = tg::tensor({-800.0, -1.0, 0.0, 1.0, 800.0}, {.dtype = tg::f64});
  fmt::print("smooth_relu({}) = {}\n", x.to_vector(), smooth_relu(x).to_vector());

  // 2. Trained through: fit y = smooth_relu(w * x + b) to data made with w = 2, b = -1.
  tg::Generator gen(0);
  const tg::Tensor inputs = tg::uniform({32}, -2.0, 2.0, gen, {.dtype = tg::f64});
  const tg::Tensor targets = smooth_relu(inputs * 2.0 - 1.0);
  tg::Tensor w = tg::full({1}, 0.5, {.dtype = tg::f64, .requires_grad = true});
  tg::Tensor b = tg::zeros({1}, {.dtype = tg::f64, .requires_grad = true});
  for (int step = 0; step <= 200; ++step) {
    const tg::Tensor error = smooth_relu(w * inputs + b) - targets;
    const tg::Tensor loss = tg::sum(error * error) / 32.0;  // mean squared error
    if (step % 40 == 0)
      fmt::print("step {:3d}  loss {:.3e}  w {:.4f}  b {:.4f}\n", step, loss.item(), w.item(), b.item());
    loss.backward();
    tg::NoGradGuard no_grad;  // the update itself is not part of the model
    w.sub_(w.grad() * 0.5);
    b.sub_(b.grad() * 0.5);
    w.zero_grad();
    b.zero_grad();
  }

  // 3. Gradient-checked against central finite differences, first and second order.
  const tg::TensorFn fn = [](const std::vector<tg::Tensor>& in) { return smooth_relu(in[0]); };
  const tg::Tensor probe = tg::uniform({2, 3}, -3.0, 3.0, gen, {.dtype = tg::f64, .requires_grad = true});
  const tg::GradcheckReport first = tg::gradcheck(fn, {probe});
  const tg::GradcheckReport second = tg::gradgradcheck(fn, {probe});
  fmt::print("gradcheck:     {}\ngradgradcheck: {}\n", first.summary(), second.summary());

  // 4. Or verify it the way `tapegrad ops` verifies every built-in op, on its samples.
  const tg::OpReport report = tg::verify_op(*smooth_relu_op);
  fmt::print("verify_op:     {} ({} samples, max error {:.1e})\n", report.passed() ? "PASS" : "FAIL",
             report.num_samples, report.max_error);
  return first.passed && second.passed && report.passed() ? 0 : 1;
}
