// Zero-size tensors: every op returns empty results (or the value of an empty sum) where
// PyTorch does, and its gradients have the inputs' shapes: empty, or zeros where the input
// is not empty (the weight gradient of an empty batch). Convolution is tested hardest: its
// kernels divide by the batch and the plane sizes, and a bogus scratch size there used to
// corrupt every later convolution on the thread.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "conv_test_util.hpp"
#include "ops/kernels/scratch.hpp"
#include "tapegrad.hpp"

using namespace tg;

namespace {

// Checks y's shape, runs backward from y with a gradient of ones, and checks that every
// input's gradient has the input's shape.
void check_backward_shapes(const Tensor& y, const Shape& y_shape, const std::vector<Tensor>& inputs) {
  REQUIRE(y.shape() == y_shape);
  y.backward(ones_like(y));
  for (const Tensor& t : inputs) {
    INFO("input of shape ", t.shape());
    REQUIRE(t.grad().defined());
    CHECK(t.grad().shape() == t.shape());
  }
}

void check_all_equal(const Tensor& t, double value) {
  for (double v : t.to_vector()) CHECK(v == value);
}

// A convolution that runs after the empty ones on the same thread must still be right:
// compared with the textbook loop, in both dtypes and on a layer large enough to use the
// kernels' scratch memory (3x3 stride 1 is Winograd- or channel-blocked, 1x1 the GEMM).
void check_later_convolutions() {
  Generator gen(7);
  const std::vector<conv_test::ConvCase> cases = {
      {2, 16, 12, 12, 16, 3, 3, {.padding = 1}, true},
      {2, 8, 9, 9, 12, 1, 1, {.stride = 2}, true},
      {3, 4, 10, 10, 6, 3, 3, {}, false},
  };
  for (const DType dtype : {f32, f64}) {
    for (const conv_test::ConvCase& c : cases) {
      INFO(conv_test::describe(c), ", ", dtype);
      const Tensor x = conv_test::rand64({c.n, c.c_in, c.h, c.w}, gen);
      const Tensor w = conv_test::rand64({c.c_out, c.c_in / c.options.groups, c.kh, c.kw}, gen);
      const Tensor b = conv_test::rand64({c.c_out}, gen);
      const std::vector<double> bv = b.to_vector();
      const std::vector<double> expected =
          conv_test::naive_conv2d(x.to_vector(), w.to_vector(), c.bias ? &bv : nullptr, c);
      const std::vector<double> got =
          conv2d(x.clone_as(dtype), w.clone_as(dtype), c.bias ? b.clone_as(dtype) : Tensor(), c.options).to_vector();
      REQUIRE(got.size() == expected.size());
      const double tol = dtype == f32 ? 1e-4 : 1e-12;
      for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::abs(got[i] - expected[i]) <= tol);
    }
  }
}

}  // namespace

TEST_CASE("zero-size conv2d: batch 0, 3x3 kernel, float32, forward and backward") {
  const Tensor x = ones({0, 1, 4, 4}).set_requires_grad(true);
  const Tensor w = ones({2, 1, 3, 3}).set_requires_grad(true);
  const Tensor b = ones({2}).set_requires_grad(true);
  check_backward_shapes(conv2d(x, w, b), {0, 2, 2, 2}, {x, w, b});
  check_all_equal(w.grad(), 0.0);  // an empty batch contributes nothing
  check_all_equal(b.grad(), 0.0);
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d: batch 0, float64, 3x3 kernel, weight gradient") {
  const Tensor x = ones({0, 2, 6, 6}, {.dtype = f64}).set_requires_grad(true);
  const Tensor w = ones({3, 2, 3, 3}, {.dtype = f64}).set_requires_grad(true);
  check_backward_shapes(conv2d(x, w, Tensor(), {.padding = 1}), {0, 3, 6, 6}, {x, w});
  check_all_equal(w.grad(), 0.0);
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d: batch 0, 1x1 kernels, stride 1 and 2, both dtypes") {
  for (const DType dtype : {f32, f64}) {
    for (const std::int64_t stride : {1, 2}) {
      INFO(dtype, ", stride ", stride);
      const Tensor x = ones({0, 2, 5, 5}, {.dtype = dtype}).set_requires_grad(true);
      const Tensor w = ones({3, 2, 1, 1}, {.dtype = dtype}).set_requires_grad(true);
      const Tensor b = ones({3}, {.dtype = dtype}).set_requires_grad(true);
      const std::int64_t out = stride == 1 ? 5 : 3;
      check_backward_shapes(conv2d(x, w, b, {.stride = stride}), {0, 3, out, out}, {x, w, b});
      check_all_equal(w.grad(), 0.0);
      check_all_equal(b.grad(), 0.0);
    }
  }
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d: a Winograd-shaped layer with batch 0") {
  for (const DType dtype : {f32, f64}) {
    INFO(dtype);
    const Tensor x = ones({0, 64, 14, 14}, {.dtype = dtype}).set_requires_grad(true);
    const Tensor w = ones({64, 64, 3, 3}, {.dtype = dtype}).set_requires_grad(true);
    check_backward_shapes(conv2d(x, w, Tensor(), {.padding = 1}), {0, 64, 14, 14}, {x, w});
    check_all_equal(w.grad(), 0.0);
  }
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d: no input channels gives the bias; its gradient is dy summed") {
  for (const DType dtype : {f32, f64}) {
    INFO(dtype);
    const Tensor x = ones({2, 0, 5, 5}, {.dtype = dtype}).set_requires_grad(true);
    const Tensor w = ones({3, 0, 3, 3}, {.dtype = dtype}).set_requires_grad(true);
    const Tensor b = tensor({0.5, -1.0, 2.0}, {.dtype = dtype}).set_requires_grad(true);
    const Tensor y = conv2d(x, w, b, {.padding = 1});
    REQUIRE(y.shape() == Shape{2, 3, 5, 5});
    const std::vector<double> values = y.to_vector();
    for (std::size_t i = 0; i < values.size(); ++i) CHECK(values[i] == std::vector<double>{0.5, -1.0, 2.0}[i / 25 % 3]);
    check_backward_shapes(y, {2, 3, 5, 5}, {x, w, b});
    check_all_equal(b.grad(), 50.0);  // 2 images x 25 positions, each with gradient 1
  }
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d: no output channels") {
  const Tensor x = ones({2, 3, 5, 5}).set_requires_grad(true);
  const Tensor w = ones({0, 3, 3, 3}).set_requires_grad(true);
  const Tensor b = ones({0}).set_requires_grad(true);
  check_backward_shapes(conv2d(x, w, b), {2, 0, 3, 3}, {x, w, b});
  check_all_equal(x.grad(), 0.0);  // nothing reads x
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d gradient maps: batch 0 and empty output gradients") {
  for (const DType dtype : {f32, f64}) {
    INFO(dtype);
    const Tensor dy = ones({0, 3, 4, 4}, {.dtype = dtype});
    const Tensor w = ones({3, 2, 3, 3}, {.dtype = dtype});
    CHECK(conv2d_input_grad(dy, w, {6, 6}).shape() == Shape{0, 2, 6, 6});
    CHECK(conv2d_input_grad(ones({0, 3, 2, 2}, {.dtype = dtype}), w, {6, 6}, {.stride = 2}).shape() ==
          Shape{0, 2, 6, 6});
    const Tensor dw = conv2d_weight_grad(ones({0, 2, 6, 6}, {.dtype = dtype}), dy, {3, 3});
    REQUIRE(dw.shape() == Shape{3, 2, 3, 3});
    check_all_equal(dw, 0.0);
    const Tensor dw1 = conv2d_weight_grad(ones({0, 2, 5, 5}, {.dtype = dtype}), ones({0, 3, 3, 3}, {.dtype = dtype}),
                                          {1, 1}, {.stride = 2});
    REQUIRE(dw1.shape() == Shape{3, 2, 1, 1});
    check_all_equal(dw1, 0.0);
    // No output channels: dx exists but nothing flows into it.
    const Tensor dx =
        conv2d_input_grad(ones({2, 0, 4, 4}, {.dtype = dtype}), ones({0, 2, 3, 3}, {.dtype = dtype}), {6, 6});
    REQUIRE(dx.shape() == Shape{2, 2, 6, 6});
    check_all_equal(dx, 0.0);
  }
  check_later_convolutions();
}

TEST_CASE("zero-size conv_transpose2d: batch 0 and no input channels") {
  const Tensor x = ones({0, 2, 4, 4}).set_requires_grad(true);
  const Tensor w = ones({2, 3, 3, 3}).set_requires_grad(true);
  const Tensor b = ones({3}).set_requires_grad(true);
  check_backward_shapes(conv_transpose2d(x, w, b, {.stride = 2}), {0, 3, 9, 9}, {x, w, b});
  check_all_equal(w.grad(), 0.0);
  check_all_equal(b.grad(), 0.0);

  const Tensor x0 = ones({1, 0, 4, 4}, {.dtype = f64}).set_requires_grad(true);
  const Tensor w0 = ones({0, 3, 3, 3}, {.dtype = f64}).set_requires_grad(true);
  const Tensor b0 = tensor({1.0, 2.0, 3.0}, {.dtype = f64}).set_requires_grad(true);
  const Tensor y = conv_transpose2d(x0, w0, b0);
  REQUIRE(y.shape() == Shape{1, 3, 6, 6});
  const std::vector<double> values = y.to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(values[i] == static_cast<double>(i / 36 + 1));
  check_backward_shapes(y, {1, 3, 6, 6}, {x0, w0, b0});
  check_all_equal(b0.grad(), 36.0);
  check_later_convolutions();
}

TEST_CASE("kernel scratch refuses a negative or absurd size and stays usable") {
  // A size computed from an empty shape (e.g. (slices - 1) * n with no slice) used to wrap
  // to nearly 2^64 bytes, round up to a tiny block, and be recorded as that capacity: every
  // later lease on the thread then wrote past its block.
  kernels::ScratchLease lease;
  CHECK_THROWS_AS(lease.array<double>(-54), ValueError);
  CHECK_THROWS_AS(lease.array<float>(-1), ValueError);  // -4 bytes: rounded up to 64 it wrapped to 0
  CHECK_THROWS_AS(lease.array<float>(std::int64_t{1} << 62), ValueError);
  float* block = lease.array<float>(4096);
  REQUIRE(block != nullptr);
  for (std::int64_t i = 0; i < 4096; ++i) block[i] = static_cast<float>(i);  // ASan checks the extent
  CHECK(block[4095] == 4095.0f);
  CHECK(lease.array<float>(0) != nullptr);  // the block it already has
}

TEST_CASE("zero-size reductions: sum is 0, mean is NaN, max over an empty dim throws") {
  const Tensor x = ones({0, 3}, {.dtype = f64}).set_requires_grad(true);
  const Tensor s = sum(x);
  REQUIRE(s.shape() == Shape{});
  CHECK(s.item<double>() == 0.0);
  check_backward_shapes(s, {}, {x});
  CHECK(std::isnan(mean(ones({0, 3}, {.dtype = f64})).item<double>()));
  const Tensor per_column = sum(ones({0, 3}, {.dtype = f64}), {0});
  REQUIRE(per_column.shape() == Shape{3});
  check_all_equal(per_column, 0.0);
  CHECK_THROWS_AS(max(ones({0, 3}), {0}), ValueError);
  CHECK(max(ones({0, 3}), {1}).shape() == Shape{0});
}

TEST_CASE("zero-size matmul: an empty inner dimension gives zeros, empty gradients") {
  const Tensor a = ones({2, 0}, {.dtype = f64}).set_requires_grad(true);
  const Tensor b = ones({0, 3}, {.dtype = f64}).set_requires_grad(true);
  const Tensor y = matmul(a, b);
  REQUIRE(y.shape() == Shape{2, 3});
  check_all_equal(y, 0.0);
  check_backward_shapes(y, {2, 3}, {a, b});
  const Tensor outer = matmul(ones({0, 4}).set_requires_grad(true), ones({4, 3}).set_requires_grad(true));
  CHECK(outer.shape() == Shape{0, 3});
}

// ---- the registry's zero-size requirement ----

namespace {

// total(x) = the sum of x's elements as a 0-d float64 tensor, by a raw loop; `empty_value`
// is what it gives for an empty x (the right value is 0), or it throws ValueError when
// `reject_empty` is set.
OpDef<> total_op(std::string name, double empty_value = 0.0, bool reject_empty = false) {
  return {
      .name = std::move(name),
      .arity = 1,
      .forward =
          [empty_value, reject_empty](ForwardContext& ctx, const NoAttrs&) {
            const Tensor& x = ctx.input(0);
            TG_CHECK(!(reject_empty && x.numel() == 0), ValueError, "{}: empty input {}", ctx.op_name(), x.shape());
            double s = x.numel() == 0 ? empty_value : 0.0;
            for (double v : x.to_vector()) s += v;
            ctx.save("x", x);
            return scalar_tensor(s, {.dtype = f64});
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {expand(g, ctx.saved("x").shape())};
      },
      .samples =
          [] {
            return std::vector<OpSample<NoAttrs>>{
                {"[3]", {tensor({1.0, 2.0, 3.0}, {.dtype = f64, .requires_grad = true})}, {}}};
          },
  };
}

std::vector<OpSample<NoAttrs>> with_sample(OpSample<NoAttrs> extra) {
  std::vector<OpSample<NoAttrs>> out = total_op("unused").samples();
  out.push_back(std::move(extra));
  return out;
}

bool mentions(const OpReport& report, const std::string& part) {
  for (const std::string& f : report.failures) {
    if (f.find(part) != std::string::npos) return true;
  }
  return false;
}

Tensor empty_input() { return zeros({0, 2}, {.dtype = f64, .requires_grad = true}); }

}  // namespace

TEST_CASE("verification fails an op without a zero-size sample") {
  const OpReport report = verify_op(total_op("total_without_empty_sample"));
  CHECK_FALSE(report.passed());
  CHECK(report.zero_size.status == CheckStatus::Failed);
  CHECK(report.num_zero_size_samples == 0);
  CHECK(mentions(report, "total_without_empty_sample: the op has no zero-size sample"));
  // Everything else passed: the zero-size rule alone fails it.
  CHECK(report.forward.status == CheckStatus::Passed);
  CHECK(report.gradcheck.status == CheckStatus::Passed);

  OpDef<> op = total_op("total_with_empty_sample");
  op.samples = [] { return with_sample({"[0, 2]", {empty_input()}, {}}); };
  const OpReport covered = verify_op(op);
  CHECK_MESSAGE(covered.passed(), fmt::format("{}", fmt::join(covered.failures, "\n")));
  CHECK(covered.zero_size.status == CheckStatus::Passed);
  CHECK(covered.num_zero_size_samples == 1);
}

TEST_CASE("verification checks a zero-size sample's declared value") {
  OpDef<> op = total_op("total_of_nothing_is_one", /*empty_value=*/1.0);
  op.samples = [] {
    return with_sample({.label = "[0, 2]", .inputs = {empty_input()}, .expected = zeros({}, {.dtype = f64})});
  };
  const OpReport wrong = verify_op(op);
  CHECK_FALSE(wrong.passed());
  CHECK(wrong.forward.status == CheckStatus::Failed);
  CHECK(wrong.zero_size.status == CheckStatus::Failed);
  CHECK(mentions(wrong, "total_of_nothing_is_one: sample '[0, 2]': value 0 is 1, expected 0"));

  op = total_op("total_of_nothing_is_zero");
  op.samples = [] {
    return with_sample({.label = "[0, 2]", .inputs = {empty_input()}, .expected = zeros({}, {.dtype = f64})});
  };
  const OpReport right = verify_op(op);
  CHECK_MESSAGE(right.passed(), fmt::format("{}", fmt::join(right.failures, "\n")));
}

TEST_CASE("verification of a rejected zero-size sample wants exactly the declared tg:: error") {
  const auto rejecting = [](std::string name, const std::type_info& error, bool rejects) {
    OpDef<> op = total_op(std::move(name), 0.0, rejects);
    op.samples = [&error] {
      return with_sample({.label = "[0, 2] rejected", .inputs = {empty_input()}, .rejects = &error});
    };
    return verify_op(op);
  };
  const OpReport right = rejecting("total_rejects", typeid(ValueError), true);
  CHECK_MESSAGE(right.passed(), fmt::format("{}", fmt::join(right.failures, "\n")));
  CHECK(right.zero_size.status == CheckStatus::Passed);
  CHECK(right.num_zero_size_samples == 1);

  const OpReport other = rejecting("total_rejects_otherwise", typeid(ShapeError), true);
  CHECK_FALSE(other.passed());
  CHECK(other.zero_size.status == CheckStatus::Failed);
  CHECK(mentions(other,
                 "expected a tg::ShapeError but the forward threw a tg::ValueError: total_rejects_otherwise: "
                 "empty input [0, 2]"));

  const OpReport accepted = rejecting("total_accepts", typeid(ValueError), false);
  CHECK_FALSE(accepted.passed());
  CHECK(mentions(accepted,
                 "total_accepts: sample '[0, 2] rejected': expected a tg::ValueError but the forward "
                 "returned a result"));
}

TEST_CASE("verification fails a zero-size sample whose forward throws") {
  OpDef<> op = total_op("total_throws_on_empty", 0.0, /*reject_empty=*/true);
  op.samples = [] { return with_sample({"[0, 2]", {empty_input()}, {}}); };
  const OpReport report = verify_op(op);
  CHECK_FALSE(report.passed());
  CHECK(report.forward.status == CheckStatus::Failed);
  CHECK(report.zero_size.status == CheckStatus::Failed);
  CHECK(mentions(report, "total_throws_on_empty: sample '[0, 2]': forward threw: total_throws_on_empty: empty input"));
}

TEST_CASE("zero-size losses: an empty batch gives NaN for the mean, 0 for the sum, empty gradients") {
  const Tensor logits = zeros({0, 5}, {.dtype = f64}).set_requires_grad(true);
  const Tensor target = zeros({0}, {.dtype = DType::Int64});
  const Tensor ce = nn::cross_entropy(logits, target);
  REQUIRE(ce.shape() == Shape{});
  CHECK(std::isnan(ce.item<double>()));
  const Tensor ce_sum = nn::cross_entropy(logits, target, {.reduction = nn::Reduction::Sum});
  CHECK(ce_sum.item<double>() == 0.0);
  check_backward_shapes(ce_sum, {}, {logits});
  CHECK(nn::nll_loss(log_softmax(logits, 1), target, nn::Reduction::Sum).item<double>() == 0.0);

  const Tensor x = zeros({0, 3}, {.dtype = f64}).set_requires_grad(true);
  const Tensor y = zeros({0, 3}, {.dtype = f64});
  CHECK(std::isnan(nn::mse_loss(x, y).item<double>()));
  CHECK(std::isnan(nn::l1_loss(x, y).item<double>()));
  CHECK(nn::binary_cross_entropy_with_logits(x, y, nn::Reduction::Sum).item<double>() == 0.0);
  check_backward_shapes(nn::mse_loss(x, y, nn::Reduction::Sum), {}, {x});
}
