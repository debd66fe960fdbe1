// The op API is typed by each op's attributes, and saved tensors are named: a wrong
// attribute type does not compile, a misnamed saved tensor throws naming op and name.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "ops/builtin_ops.hpp"
#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::error_of;

namespace {

struct ScaleAttrs {
  double factor = 1.0;
};

// y = factor * x; every function of the definition sees the ScaleAttrs it was called with.
OpDef<ScaleAttrs> scale_def() {
  return {
      .name = "test_scale",
      .arity = 1,
      .forward = [](ForwardContext& ctx, const ScaleAttrs& a) { return (ctx.input(0) * a.factor).detach(); },
      .backward = [](const BackwardContext&, const Tensor& g, const ScaleAttrs& a) -> std::vector<Tensor> {
        return {g * a.factor};
      },
      .reference = [](std::span<const Tensor> in, const ScaleAttrs& a) { return in[0] * a.factor; },
      .samples =
          [] {
            return std::vector<OpSample<ScaleAttrs>>{
                {"[3] times 2.5", {tensor({1.0, -2.0, 0.5}, {.dtype = f64, .requires_grad = true})}, {2.5}},
                {"[0] times -1", {zeros({0}, {.dtype = f64, .requires_grad = true})}, {-1.0}}};
          },
  };
}

template <class Handle, class Attrs>
concept CallableWith = requires(const Handle& op, Attrs attrs) {
  call(op, std::vector<Tensor>{}, attrs);
};

// The op saves under `save_as` and its backward reads `read_as`; it saves twice when asked.
OpHandle<NoAttrs> named_save_op(std::string name, std::string save_as, std::string read_as, bool save_twice) {
  return make_op({
      .name = std::move(name),
      .arity = 1,
      .forward =
          [save_as, save_twice](ForwardContext& ctx, const NoAttrs&) {
            ctx.save(save_as, ctx.input(0));
            if (save_twice) ctx.save(save_as, ctx.input(0));
            return (ctx.input(0) * 2.0).detach();
          },
      .backward = [read_as](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        (void)ctx.saved(read_as);
        return {g * 2.0};
      },
  });
}

}  // namespace

TEST_CASE("an op's attributes reach forward, backward, reference and samples typed") {
  const OpHandle<ScaleAttrs> scale = make_op(scale_def());
  const Tensor x = tensor({1.0, 2.0}, {.dtype = f64, .requires_grad = true});
  const Tensor y = call(scale, {x}, ScaleAttrs{3.0});
  CHECK(y.to_vector() == std::vector<double>{3.0, 6.0});
  sum(y).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{3.0, 3.0});

  const OpReport report = verify_op(*scale);
  CHECK(report.passed());
  CHECK(report.num_samples == 2);
  CHECK(report.reference.status == CheckStatus::Passed);
  // The erased samples carry the typed attributes.
  const std::vector<OpSample<std::any>> erased = scale->samples();
  REQUIRE(erased.size() == 2);
  CHECK(std::any_cast<const ScaleAttrs&>(erased[0].attrs).factor == 2.5);
}

TEST_CASE("a wrong attribute type does not compile; through the erased op it throws naming the op") {
  static_assert(CallableWith<OpHandle<ScaleAttrs>, ScaleAttrs>);
  static_assert(!CallableWith<OpHandle<ScaleAttrs>, std::string>);
  static_assert(!CallableWith<OpHandle<NoAttrs>, ScaleAttrs>);
  static_assert(CallableWith<OpHandle<std::int64_t>, std::int64_t>);
  static_assert(!CallableWith<OpHandle<std::int64_t>, Shape>);

  const OpHandle<ScaleAttrs> scale = make_op(scale_def());
  try {
    (void)call(*scale, {tensor({1.0})}, std::any(2.0));
    FAIL("no ValueError");
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()) == "test_scale: called with attributes of the wrong type");
  }
}

TEST_CASE("saved tensors are named: a name saved twice or never saved throws, naming op and name") {
  const Tensor x = tensor({1.0, -1.0}, {.dtype = f64, .requires_grad = true});
  const auto twice = named_save_op("saves_twice", "x", "x", true);
  CHECK(error_of<AutogradError>([&] { (void)call(twice, {x}); }) ==
        "saves_twice: the forward saves a tensor named 'x' twice");

  const auto misread = named_save_op("reads_unsaved", "x", "input", false);
  const Tensor y = sum(call(misread, {x}));
  CHECK(error_of<AutogradError>([&] { y.backward(); }) ==
        "reads_unsaved: backward asked for a saved tensor 'input' the forward did not save");

  // Nothing is saved when nothing is recorded, so nothing can clash.
  CHECK(call(twice, {x.detach()}).to_vector() == std::vector<double>{2.0, -2.0});
  const auto right = named_save_op("reads_saved", "x", "x", false);
  sum(call(right, {x})).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{2.0, 2.0});
}

TEST_CASE("the built-in handles are the registry's ops, in registration order") {
  const BuiltinOps& ops = builtin_ops();
  const std::vector<const Op*> registered = registry().ops();
  REQUIRE(registered.size() >= 60);
  CHECK(registered.front() == ops.add.get());
  CHECK(registry().find("mul") == ops.mul.get());
  CHECK(registry().find("conv2d") == ops.conv2d.get());
  CHECK(registry().find("ge") == ops.ge.get());
  CHECK(registry().find("adaptive_avg_pool2d_backward") == ops.adaptive_avg_pool2d_backward.get());
  CHECK(ops.eq->summary == "a == b, broadcasting (bool, not differentiable)");
  CHECK(ops.softmax->arity == 1);
  CHECK(ops.cat->arity == -1);
}

TEST_CASE("exactly the primitives of the op set are marked elementary") {
  const std::set<std::string> elementary = {"add",
                                            "sub",
                                            "mul",
                                            "div",
                                            "pow",
                                            "pow_scalar",
                                            "maximum",
                                            "minimum",
                                            "neg",
                                            "exp",
                                            "log",
                                            "sqrt",
                                            "abs",
                                            "relu",
                                            "tanh",
                                            "sin",
                                            "cos",
                                            "erf",
                                            "log1p",
                                            "expm1",
                                            "where",
                                            "cast",
                                            "eq",
                                            "ne",
                                            "lt",
                                            "le",
                                            "gt",
                                            "ge",
                                            "matmul",
                                            "sum",
                                            "max",
                                            "amax",
                                            "argmax",
                                            "reshape",
                                            "expand",
                                            "permute",
                                            "squeeze",
                                            "unsqueeze",
                                            "slice",
                                            "pad",
                                            "flip",
                                            "cat",
                                            "index_select",
                                            "gather",
                                            "contiguous",
                                            "max_pool2d_select",
                                            "max_pool2d_scatter",
                                            "argsort"};
  std::set<std::string> marked;
  for (const Op* op : registry().ops()) {
    if (op->elementary) marked.insert(op->name);
  }
  CHECK(marked == elementary);
}
