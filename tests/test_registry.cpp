// The registry walk: every registered op verifies on its samples, and the verifier fails
// ops that lack samples, have wrong backward rules or disagree with their reference.
#include <doctest/doctest.h>

#include <string>

#include "ops/sample_inputs.hpp"
#include "tapegrad.hpp"

using namespace tg;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string joined(const std::vector<std::string>& lines) { return fmt::format("{}", fmt::join(lines, "\n")); }

// y = x^2 with a raw forward; backward g * 2x times `factor` (1 is correct).
OpDef<> square_op(std::string name, double factor) {
  return {
      .name = std::move(name),
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save("x", ctx.input(0));
            Tensor y = ctx.input(0).clone_as(f64);
            for (std::int64_t i = 0; i < y.numel(); ++i) y.data<double>()[i] *= y.data<double>()[i];
            return y;
          },
      .backward = [factor](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {g * ctx.saved("x") * (2.0 * factor)};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed);
            return std::vector<OpSample<NoAttrs>>{{"[2, 3]", {samples::arg({2, 3}, gen)}, {}},
                                                  {"0-d", {samples::arg({}, gen)}, {}},
                                                  {"[0, 2]", {samples::arg({0, 2}, gen)}, {}}};
          },
  };
}

}  // namespace

TEST_CASE("every registered op has samples, a reference unless elementary, and passes verification") {
  const RegistryReport report = verify_registry();
  REQUIRE(report.ops.size() == registry().ops().size());
  CHECK(report.ops.size() >= 6);
  for (const OpReport& op : report.ops) {
    INFO("op ", op.name, ":\n", joined(op.failures));
    CHECK(op.num_samples > 0);
    CHECK(op.passed());
    CHECK(op.forward.status == CheckStatus::Passed);
    const Op& def = registry().get(op.name);
    CHECK((op.gradcheck.status == CheckStatus::NotApplicable) == !def.backward);
    CHECK((op.reference.status == CheckStatus::NotApplicable) == !def.reference);
    // Only a primitive of the op set may go without a reference composition; a composite
    // op is checked against one built from the others.
    CHECK_MESSAGE((def.elementary || def.reference), op.name, " is composite but has no reference composition");
  }
  CHECK(report.passed());
  CHECK(report.num_failed() == 0);
}

TEST_CASE("an op without samples fails verification") {
  OpRegistry local;
  OpDef<> op = square_op("square_without_samples", 1.0);
  op.samples = nullptr;
  local.add(op);
  OpDef<> empty = square_op("square_with_no_sample", 1.0);
  empty.samples = [] { return std::vector<OpSample<NoAttrs>>{}; };
  local.add(empty);
  local.add(square_op("square", 1.0));
  const RegistryReport report = verify_registry(local);
  REQUIRE(report.ops.size() == 3);
  CHECK_FALSE(report.passed());
  CHECK(report.num_failed() == 2);
  for (std::size_t i : {0u, 1u}) {
    CHECK_FALSE(report.ops[i].passed());
    CHECK(report.ops[i].num_samples == 0);
    CHECK(report.ops[i].gradcheck.status == CheckStatus::Failed);
    REQUIRE(report.ops[i].failures.size() == 1);
    CHECK(contains(report.ops[i].failures[0], report.ops[i].name + ": the op has no samples"));
  }
  CHECK(report.ops[2].passed());
  CHECK(report.ops[2].num_samples == 3);
}

TEST_CASE("verify_op reports a wrong backward, naming the sample") {
  const OpReport report = verify_op(square_op("square_doubled", 2.0));
  CHECK_FALSE(report.passed());
  CHECK(report.gradcheck.status == CheckStatus::Failed);
  // The wrong rule is still a correctly differentiable function of (x, v).
  CHECK(report.gradgradcheck.status == CheckStatus::Passed);
  CHECK(report.reference.status == CheckStatus::NotApplicable);
  REQUIRE(!report.failures.empty());
  CHECK(contains(report.failures[0], "square_doubled: sample '[2, 3]': gradcheck: gradient mismatch"));
  CHECK(report.max_error > 0.1);

  const OpReport good = verify_op(square_op("square_ok", 1.0));
  CHECK_MESSAGE(good.passed(), joined(good.failures));
  CHECK(good.gradcheck.status == CheckStatus::Passed);
  CHECK(good.gradgradcheck.status == CheckStatus::Passed);
  CHECK(good.max_error < 1e-6);
}

TEST_CASE("verify_op compares against the reference composition") {
  OpDef<> op = square_op("square_with_reference", 1.0);
  op.reference = [](std::span<const Tensor> in, const NoAttrs&) { return in[0] * in[0]; };
  const OpReport good = verify_op(op);
  CHECK_MESSAGE(good.passed(), joined(good.failures));
  CHECK(good.reference.status == CheckStatus::Passed);

  // A reference that differs in value.
  op.name = "square_with_wrong_reference";
  op.reference = [](std::span<const Tensor> in, const NoAttrs&) { return in[0] * in[0] * 1.001; };
  const OpReport wrong = verify_op(op);
  CHECK(wrong.reference.status == CheckStatus::Failed);
  CHECK(wrong.gradcheck.status == CheckStatus::Passed);
  REQUIRE(!wrong.failures.empty());
  CHECK(contains(wrong.failures[0], "square_with_wrong_reference: sample '[2, 3]': reference: forward values differ"));

  // Same values, different gradient: the reference detaches its second factor.
  op.name = "square_with_half_gradient_reference";
  op.reference = [](std::span<const Tensor> in, const NoAttrs&) { return in[0] * in[0].detach(); };
  const OpReport half = verify_op(op);
  CHECK(half.reference.status == CheckStatus::Failed);
  REQUIRE(!half.failures.empty());
  CHECK(contains(half.failures[0], "reference: gradient of differentiable input 0 (shape [2, 3]) differs"));
}

TEST_CASE("forward-only ops run their samples, gradchecks are n/a") {
  OpDef<> positive{
      .name = "is_positive",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            Tensor x = ctx.input(0).clone_as(f64);
            Tensor y = zeros(x.shape(), {.dtype = boolean});
            for (std::int64_t i = 0; i < x.numel(); ++i) y.data<bool>()[i] = x.data<double>()[i] > 0;
            return y;
          },
      .samples =
          [] {
            return std::vector<OpSample<NoAttrs>>{{"[4]", {tensor({-1.0, 0.0, 2.0, 3.0})}, {}},
                                                  {"[0]", {zeros({0})}, {}}};
          },
  };
  const OpReport report = verify_op(positive);
  CHECK_MESSAGE(report.passed(), joined(report.failures));
  CHECK(report.num_samples == 2);
  CHECK(report.forward.status == CheckStatus::Passed);
  CHECK(report.gradcheck.status == CheckStatus::NotApplicable);
  CHECK(report.gradgradcheck.status == CheckStatus::NotApplicable);

  // A forward that throws on a sample fails, naming it.
  positive.name = "throws";
  positive.forward = [](ForwardContext&, const NoAttrs&) -> Tensor { fail<ShapeError>("throws: bad shape"); };
  const OpReport thrown = verify_op(positive);
  CHECK_FALSE(thrown.passed());
  CHECK(thrown.forward.status == CheckStatus::Failed);
  REQUIRE(thrown.failures.size() == 2);
  CHECK(thrown.failures[0] == "throws: sample '[4]': forward threw: throws: bad shape");
}

TEST_CASE("gradgradcheck is skipped for ops that are not twice differentiable") {
  OpDef<> op = square_op("square_first_order_only", 1.0);
  op.twice_differentiable = false;
  const OpReport report = verify_op(op);
  CHECK(report.passed());
  CHECK(report.gradcheck.status == CheckStatus::Passed);
  CHECK(report.gradgradcheck.status == CheckStatus::NotApplicable);
  CHECK(to_string(report.gradcheck.status) == "PASS");
  CHECK(to_string(report.gradgradcheck.status) == "n/a");
  CHECK(to_string(CheckStatus::Failed) == "FAIL");

  // A differentiable op none of whose samples has an input requiring grad checks nothing.
  OpDef<> constants = square_op("square_on_constants", 1.0);
  constants.samples = [] {
    return std::vector<OpSample<NoAttrs>>{{"constant", {tensor({1.0, 2.0}, {.dtype = f64})}, {}}};
  };
  const OpReport none = verify_op(constants);
  CHECK_FALSE(none.passed());
  CHECK(none.gradcheck.status == CheckStatus::Failed);
}

TEST_CASE("a sample with zero gradients fails unless it allows it") {
  // y = x * 0 (raw forward), backward g * 0: every check compares zeros with zeros.
  OpDef<> zero_op{
      .name = "times_zero",
      .arity = 1,
      .forward = [](ForwardContext& ctx, const NoAttrs&) { return zeros(ctx.input(0).shape(), {.dtype = f64}); },
      .backward = [](const BackwardContext&, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {g * 0.0};
      },
      .samples =
          [] {
            return std::vector<OpSample<NoAttrs>>{
                {"[3]", {tensor({1.0, 2.0, 3.0}, {.dtype = f64, .requires_grad = true})}, {}},
                {"[0]", {zeros({0}, {.dtype = f64, .requires_grad = true})}, {}}};
          },
  };
  const OpReport strict = verify_op(zero_op);
  CHECK_FALSE(strict.passed());
  CHECK(strict.gradcheck.status == CheckStatus::Failed);
  REQUIRE(!strict.failures.empty());
  CHECK(contains(strict.failures[0], "times_zero: sample '[3]': gradcheck: input 0 (shape [3]) requires grad but"));

  zero_op.samples = [] {
    return std::vector<OpSample<NoAttrs>>{{.label = "[3]",
                                           .inputs = {tensor({1.0, 2.0, 3.0}, {.dtype = f64, .requires_grad = true})},
                                           .allow_vacuous = true},
                                          {"[0]", {zeros({0}, {.dtype = f64, .requires_grad = true})}, {}}};
  };
  const OpReport waived = verify_op(zero_op);
  CHECK_MESSAGE(waived.passed(), joined(waived.failures));
  CHECK(waived.gradcheck.status == CheckStatus::Passed);
  CHECK(waived.gradgradcheck.status == CheckStatus::Passed);
}
