// gradcheck / gradgradcheck: pass on correct ops, fail (with the right location) on wrong
// backward rules, vacuous checks and backward rules that are not themselves differentiable.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "tapegrad.hpp"

using namespace tg;

namespace {

Tensor f64_arg(std::initializer_list<std::initializer_list<double>> rows) {
  return tensor(rows, {.dtype = f64, .requires_grad = true});
}

// y = x^3 computed with a raw loop (the forward of a custom op is free to do so).
Tensor raw_cube(const Tensor& x) {
  Tensor y = x.clone_as(f64);
  double* p = y.data<double>();
  for (std::int64_t i = 0; i < y.numel(); ++i) p[i] = p[i] * p[i] * p[i];
  return y;
}

// cube with the correct backward written with ops: dx = g * 3 x^2 (differentiable again).
const OpHandle<NoAttrs>& cube_op() {
  static const OpHandle<NoAttrs> op = make_op({
      .name = "test_cube",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save("x", ctx.input(0));
            return raw_cube(ctx.input(0));
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor& x = ctx.saved("x");
        return {g * (x * x * 3.0)};
      },
  });
  return op;
}

// cube whose backward is right to first order but computed with raw loops: its result is
// not recorded, so every second derivative through it is silently zero.
const OpHandle<NoAttrs>& raw_backward_cube_op() {
  static const OpHandle<NoAttrs> op = make_op({
      .name = "test_cube_raw_backward",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save("x", ctx.input(0));
            return raw_cube(ctx.input(0));
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        Tensor dx = g.clone_as(f64);
        const Tensor x = ctx.saved("x").clone_as(f64);
        double* d = dx.data<double>();
        const double* px = x.data<double>();
        for (std::int64_t i = 0; i < dx.numel(); ++i) d[i] *= 3.0 * px[i] * px[i];
        return {dx};
      },
  });
  return op;
}

// cube with a backward that is twice the right one.
const OpHandle<NoAttrs>& doubled_cube_op() {
  static const OpHandle<NoAttrs> op = make_op({
      .name = "test_cube_doubled",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save("x", ctx.input(0));
            return raw_cube(ctx.input(0));
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor& x = ctx.saved("x");
        return {g * (x * x * 6.0)};
      },
  });
  return op;
}

// A constant forward whose backward returns zeros: gradients agree (both zero) and prove nothing.
const OpHandle<NoAttrs>& constant_op() {
  static const OpHandle<NoAttrs> op = make_op({
      .name = "test_constant",
      .arity = 1,
      .forward = [](ForwardContext& ctx, const NoAttrs&) { return full(ctx.input(0).shape(), 7.0, {.dtype = f64}); },
      .backward = [](const BackwardContext& ctx, const Tensor&, const NoAttrs&) -> std::vector<Tensor> {
        return {zeros(ctx.input_shape(0), {.dtype = f64})};
      },
  });
  return op;
}

// y = a * b (raw forward) whose backward adds a known error: 1e-4 at a's element 2 and 0.5
// at b's element 4. The errors are not multiplied by g, so analytic - numeric is exact.
const OpHandle<NoAttrs>& offset_mul_op() {
  static const OpHandle<NoAttrs> op = make_op({
      .name = "test_offset_mul",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save("a", ctx.input(0));
            ctx.save("b", ctx.input(1));
            Tensor y = ctx.input(0).clone_as(f64);
            const Tensor b = ctx.input(1).clone_as(f64);
            for (std::int64_t i = 0; i < y.numel(); ++i) y.data<double>()[i] *= b.data<double>()[i];
            return y;
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        Tensor da_error = zeros({2, 3}, {.dtype = f64});
        Tensor db_error = zeros({2, 3}, {.dtype = f64});
        da_error.data<double>()[2] = 1e-4;
        db_error.data<double>()[4] = 0.5;
        return {g * ctx.saved("b") + da_error, g * ctx.saved("a") + db_error};
      },
  });
  return op;
}

TensorFn unary(const OpHandle<NoAttrs>& op) {
  return [&op](const std::vector<Tensor>& in) { return call(op, in); };
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("gradcheck passes on compositions of the built-in ops") {
  Tensor a = f64_arg({{0.3, -1.2, 0.7}, {2.0, 0.1, -0.4}});
  Tensor b = tensor({0.5, -1.5, 2.5}, {.dtype = f64, .requires_grad = true});
  Tensor c = from_vector(std::vector<double>{1.5, -0.25}, {2, 1}, {.dtype = f64, .requires_grad = true});
  const TensorFn fn = [](const std::vector<Tensor>& in) {
    // add, mul (broadcast), expand, reshape, cast (float64 copy), sum over a dim
    Tensor h = in[0] * in[1] + expand(in[2], {2, 3});
    return sum(reshape(cast(h * h, f64), {3, 2}), {0});
  };
  const GradcheckReport report = gradcheck(fn, {a, b, c});
  CHECK_MESSAGE(report.passed, report.message);
  CHECK(report.message.empty());
  CHECK(report.max_abs_error < 1e-7);
  CHECK(report.vacuous_inputs.empty());
  CHECK(contains(report.summary(), "passed"));
  // The inputs are untouched and no .grad() was accumulated.
  CHECK(a.to_vector() == std::vector<double>{0.3, -1.2, 0.7, 2.0, 0.1, -0.4});
  CHECK_FALSE(a.grad().defined());

  const GradcheckReport second = gradgradcheck(fn, {a, b, c});
  CHECK_MESSAGE(second.passed, second.message);
}

TEST_CASE("gradcheck passes on a custom op with a raw forward, and on strided and broadcast inputs") {
  Tensor x = f64_arg({{0.5, -1.0, 1.5}, {2.0, -0.5, 1.0}});
  CHECK_MESSAGE(gradcheck(unary(cube_op()), {x}).passed, gradcheck(unary(cube_op()), {x}).message);
  const GradcheckReport second = gradgradcheck(unary(cube_op()), {x});
  CHECK_MESSAGE(second.passed, second.message);

  // A transposed leaf: perturbations keep its layout.
  Tensor base = tensor({{0.1, 0.2, 0.3}, {0.4, 0.5, 0.6}}, {.dtype = f64});
  Tensor xt = raw::as_strided(base, {3, 2}, {1, 3}, 0).set_requires_grad(true);
  const GradcheckReport strided = gradcheck(unary(cube_op()), {xt});
  CHECK_MESSAGE(strided.passed, strided.message);
  CHECK(base.to_vector() == std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5, 0.6});

  // A broadcast leaf (stride 0): its 6 elements share 3 memory cells, yet each is an
  // independent input; nudging the shared cell would move two elements at once.
  Tensor row = tensor({0.7, -0.3, 1.1}, {.dtype = f64});
  Tensor xb = raw::as_strided(row, {2, 3}, {0, 1}, 0).set_requires_grad(true);
  const GradcheckReport broadcast = gradcheck(unary(cube_op()), {xb});
  CHECK_MESSAGE(broadcast.passed, broadcast.message);
}

TEST_CASE("gradcheck fails on a backward that is twice the right gradient") {
  Tensor x = f64_arg({{0.5, -1.0, 1.5}, {2.0, -0.5, 1.0}});
  const GradcheckReport report = gradcheck(unary(doubled_cube_op()), {x});
  CHECK_FALSE(report.passed);
  CHECK(contains(report.message, "gradient mismatch for input 0"));
  CHECK(contains(report.summary(), "FAILED"));
  // analytic = 2 * numeric at the worst element.
  CHECK(report.worst_analytic == doctest::Approx(2.0 * report.worst_numeric).epsilon(1e-6));
  CHECK(report.max_abs_error > 0.1);
  CHECK_THROWS_AS(gradcheck(unary(doubled_cube_op()), {x}, {.raise = true}), GradcheckError);
}

TEST_CASE("gradcheck locates the worst element") {
  Tensor a = f64_arg({{0.5, -1.0, 1.5}, {2.0, -0.5, 1.0}});
  Tensor b = f64_arg({{1.0, 0.25, -2.0}, {0.75, 1.25, -0.5}});
  const TensorFn fn = [](const std::vector<Tensor>& in) { return call(offset_mul_op(), in); };
  const GradcheckReport report = gradcheck(fn, {a, b});
  CHECK_FALSE(report.passed);
  // Both injected errors exceed the tolerance; the 0.5 one in b is the worst by far.
  CHECK(report.worst_input == 1);
  CHECK(report.worst_element == 4);
  CHECK(report.worst_analytic - report.worst_numeric == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(report.max_abs_error == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(contains(report.message, "input 1 (shape [2, 3]) at element 4 (index [1, 1])"));
}

TEST_CASE("gradcheck rejects vacuous checks unless allowed") {
  Tensor x = f64_arg({{0.5, -1.0}, {2.0, 3.0}});
  const GradcheckReport report = gradcheck(unary(constant_op()), {x});
  CHECK_FALSE(report.passed);
  CHECK(report.vacuous_inputs == std::vector<std::size_t>{0});
  CHECK(contains(report.message,
                 "input 0 (shape [2, 2]) requires grad but its analytic and numeric gradients are all zero"));
  CHECK(gradcheck(unary(constant_op()), {x}, {.allow_vacuous = true}).passed);

  // An input the output does not depend on: tg::grad gives no gradient (counted as zeros).
  Tensor unused = tensor({1.0, 2.0}, {.dtype = f64, .requires_grad = true});
  const TensorFn ignores_second = [](const std::vector<Tensor>& in) { return in[0] * in[0]; };
  const GradcheckReport partial = gradcheck(ignores_second, {x, unused});
  CHECK_FALSE(partial.passed);
  CHECK(partial.vacuous_inputs == std::vector<std::size_t>{1});
  CHECK(contains(partial.message, "input 1 (shape [2])"));
  CHECK(gradcheck(ignores_second, {x, unused}, {.allow_vacuous = true}).passed);
  // Inputs that do not require grad are constants, not checked.
  CHECK(gradcheck(ignores_second, {x, unused.detach()}).passed);

  // Empty Jacobians have nothing to compare and are not vacuous: an empty input, an empty output.
  Tensor empty_input = zeros({0}, {.dtype = f64, .requires_grad = true});
  const TensorFn with_empty = [](const std::vector<Tensor>& in) { return in[0] * in[0] + sum(in[1]); };
  CHECK(gradcheck(with_empty, {x, empty_input}).passed);
  const TensorFn empty_output = [](const std::vector<Tensor>& in) { return reshape(in[0], {0, 4}) * 2.0; };
  const GradcheckReport none = gradcheck(empty_output, {zeros({0}, {.dtype = f64, .requires_grad = true})});
  CHECK_MESSAGE(none.passed, none.message);
  CHECK(gradgradcheck(with_empty, {x, empty_input}).passed);

  // gradgradcheck of a constant function: even the output gradient v has no effect.
  const GradcheckReport second = gradgradcheck(unary(constant_op()), {x});
  CHECK_FALSE(second.passed);
  CHECK(contains(second.message, "the output gradient v"));
}

TEST_CASE("gradgradcheck passes for mul and linear ops, fails for a backward that is not differentiable") {
  Tensor a = f64_arg({{0.5, -1.0, 1.5}, {2.0, -0.5, 1.0}});
  Tensor b = tensor({0.3, -0.7, 1.9}, {.dtype = f64, .requires_grad = true});
  const TensorFn product = [](const std::vector<Tensor>& in) { return mul(in[0], in[1]); };
  const GradcheckReport mul_report = gradgradcheck(product, {a, b});
  CHECK_MESSAGE(mul_report.passed, mul_report.message);
  // add is linear: its second derivatives are zero, which is no reason to fail.
  const TensorFn sum_fn = [](const std::vector<Tensor>& in) { return add(in[0], in[1]); };
  const GradcheckReport add_report = gradgradcheck(sum_fn, {a, b});
  CHECK_MESSAGE(add_report.passed, add_report.message);

  // First order right, second order silently zero: gradcheck passes, gradgradcheck fails.
  Tensor x = f64_arg({{0.5, -1.0, 1.5}, {2.0, -0.5, 1.0}});
  const GradcheckReport first = gradcheck(unary(raw_backward_cube_op()), {x});
  CHECK_MESSAGE(first.passed, first.message);
  const GradcheckReport second = gradgradcheck(unary(raw_backward_cube_op()), {x});
  CHECK_FALSE(second.passed);
  CHECK(contains(second.message, "gradgradcheck: gradient mismatch"));
  CHECK_THROWS_AS(gradgradcheck(unary(raw_backward_cube_op()), {x}, {.raise = true}), GradcheckError);
  // The worst element is where d(3 x^2 v)/dx = 6 x v or d/dv = 3 x^2 is largest in
  // tolerance units; either way the analytic side is zero.
  CHECK(second.worst_analytic == 0.0);
  CHECK(std::abs(second.worst_numeric) > 0.1);
}

TEST_CASE("gradcheck validates its arguments") {
  Tensor x32 = tensor({1.0, 2.0}, {.dtype = f32, .requires_grad = true});
  const TensorFn square = [](const std::vector<Tensor>& in) { return in[0] * in[0]; };
  try {
    (void)gradcheck(square, {x32});
    FAIL("expected DTypeError");
  } catch (const DTypeError& e) {
    CHECK(contains(e.what(),
                   "gradcheck: input 0 (shape [2]) requires grad but is float32; finite differences need float64"));
  }
  CHECK_THROWS_AS(gradgradcheck(square, {x32}), DTypeError);
  // float32 inputs that do not require grad are fine (constants).
  Tensor x = tensor({1.0, 2.0}, {.dtype = f64, .requires_grad = true});
  const TensorFn mixed = [](const std::vector<Tensor>& in) { return in[0] * cast(in[1], f64); };
  CHECK(gradcheck(mixed, {x, tensor({3.0, 4.0})}).passed);
  CHECK_THROWS_AS(gradcheck(square, {tensor({1.0}, {.dtype = f64})}), ValueError);
  CHECK_THROWS_AS(gradcheck(square, {x}, {.eps = 0.0}), ValueError);
  CHECK_THROWS_AS(gradcheck(square, {x}, {.atol = -1.0}), ValueError);
  CHECK_THROWS_AS(gradcheck(square, {Tensor()}), ValueError);
}
