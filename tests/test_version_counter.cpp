// Version counters: an in-place write to a tensor saved for backward makes that backward
// throw instead of computing a silently wrong gradient; writes to tensors nobody saved,
// and the ordinary training loop, do not. Also: a custom op that saves an intermediate
// loses its second derivative, and verify_op says so.
#include <doctest/doctest.h>

#include <string>

#include "ops/sample_inputs.hpp"
#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::error_of;

namespace {

using Values = std::vector<double>;

Tensor leaf(std::initializer_list<double> values) { return tensor(values, {.dtype = f64, .requires_grad = true}); }
Tensor constant(std::initializer_list<double> values) { return tensor(values, {.dtype = f64}); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("modifying a saved input in place makes backward throw, naming op, input and versions") {
  // Before version counters: w.grad = [20, 40, 60] (the doubled x), silently.
  const Tensor w = leaf({1, 2, 3});
  Tensor x = constant({10, 20, 30});
  const Tensor y = sum(w * x);
  x.mul_(2.0);
  const std::string message = error_of<AutogradError>([&] { y.backward(); });
  CHECK(message ==
        "mul: a tensor saved for backward (input 1, shape [3]) was modified in place: saved at version 0, now "
        "version 1");
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("an optimizer-like update of a parameter between forward and backward throws") {
  // Before: w.grad = [202, 204, 206] (x * the updated w), silently.
  Tensor w = leaf({1, 2, 3});
  const Tensor y = sum(w * w);
  {
    NoGradGuard no_grad;
    w.add_(constant({100, 100, 100}));
  }
  const std::string message = error_of<AutogradError>([&] { y.backward(); });
  CHECK(contains(message, "mul: a tensor saved for backward (input 0, shape [3]) was modified in place"));
  CHECK(contains(message, "saved at version 0, now version 1"));
}

TEST_CASE("ops that save their output detect writes through detach() and views") {
  // Before: exp's gradient read the zeroed output, w.grad = [0, 0], silently.
  SUBCASE("exp, written through detach()") {
    const Tensor w = leaf({1, 2});
    const Tensor e = exp(w);
    e.detach().fill_(0.0);
    CHECK(error_of<AutogradError>([&] { sum(e).backward(); }) ==
          "exp: a tensor saved for backward (the output, shape [2]) was modified in place: saved at version 0, now "
          "version 1");
  }
  SUBCASE("the output dropped by the caller, its data written through an alias") {
    const Tensor w = leaf({1, 2});
    Tensor s;  // sum(sigmoid(w)), whose sigmoid output lives on only in its node
    Tensor alias_of_output;
    {
      const Tensor out = sigmoid(w);
      alias_of_output = out.detach();
      s = sum(out);
    }
    alias_of_output.fill_(5.0);
    CHECK(contains(error_of<AutogradError>([&] { s.backward(); }), "sigmoid: a tensor saved for backward (the output"));
  }
  for (const std::string name : {"relu", "tanh", "sigmoid"}) {
    CAPTURE(name);
    const Tensor w = leaf({-1, 2, 3});
    const std::string op = name;
    const Tensor out = op == "relu" ? relu(w) : op == "tanh" ? tanh(w) : sigmoid(w);
    out.detach().slice(0, 1, 3).mul_(2.0);  // a view of part of the saved output
    const std::string message = error_of<AutogradError>([&] { sum(out).backward(); });
    CHECK(contains(message, op + ": a tensor saved for backward (the output, shape [3])"));
    CHECK(contains(message, "saved at version 0, now version 1"));
  }
}

TEST_CASE("writing a view of a saved input in place throws") {
  const Tensor w = leaf({1, 2, 3, 4});
  Tensor x = constant({1, 1, 1, 1});
  const Tensor y = sum(w * x);
  x.slice(0, 2, 4).set_value({0}, 7.0);
  CHECK(contains(error_of<AutogradError>([&] { y.backward(); }),
                 "mul: a tensor saved for backward (input 1, shape [4])"));
}

TEST_CASE("changing the index after index_select throws instead of moving the gradient") {
  // Before: the gradient of row 0 landed on row 1: w.grad = [[0, 0], [1, 1], [0, 0]].
  const Tensor w = tensor({{1, 2}, {3, 4}, {5, 6}}, {.dtype = f64, .requires_grad = true});
  Tensor index = from_vector(std::vector<std::int64_t>{0}, {1});
  const Tensor y = sum(index_select(w, 0, index));
  index.fill_(1.0);
  CHECK(contains(error_of<AutogradError>([&] { y.backward(); }),
                 "index_select: a tensor saved for backward (input 1, shape [1]) was modified in place"));
}

TEST_CASE("a custom op's tensor saved through ctx.save is checked too") {
  const auto scale_by = make_op({
      .name = "scale_by",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save("factor", ctx.input(1));
            return (ctx.input(0) * ctx.input(1)).detach();
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {g * ctx.saved("factor"), Tensor()};
      },
  });
  const Tensor w = leaf({1, 2});
  Tensor factor = constant({3, 4});
  const Tensor y = sum(call(scale_by, {w, factor}));
  factor.add_(factor);
  CHECK(error_of<AutogradError>([&] { y.backward(); }) ==
        "scale_by: a tensor saved for backward (input 1, shape [2]) was modified in place: saved at version 0, now "
        "version 1");
}

TEST_CASE("a custom op may save an undefined tensor (an absent optional input)") {
  const auto maybe_scale = make_op({
      .name = "maybe_scale",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save("factor", ctx.input(1));
            return (ctx.input(1).defined() ? ctx.input(0) * ctx.input(1) : ctx.input(0) * 1.0).detach();
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {ctx.saved("factor").defined() ? g * ctx.saved("factor") : g, Tensor()};
      },
  });
  const Tensor w = leaf({1, 2});
  sum(call(maybe_scale, {w, Tensor()})).backward();
  CHECK(w.grad().to_vector() == Values{1, 1});
}

TEST_CASE("in-place writes to tensors nobody saved leave gradients correct") {
  const Tensor w = leaf({1, 2, 3});
  Tensor x = constant({10, 20, 30});
  const Tensor bystander = x.clone();  // same values, its own storage
  const Tensor y = sum(w + x);         // add saves nothing
  x.mul_(2.0);
  const Tensor z = sum(w * bystander);
  y.backward();
  z.backward();
  CHECK(w.grad().to_vector() == Values{11, 21, 31});  // 1 from the sum, x from the product
}

TEST_CASE("retain_graph: backward twice without modification works") {
  const Tensor w = leaf({1, 2});
  const Tensor y = sum(exp(w) * w);
  y.backward({}, {.retain_graph = true});
  y.backward();
  // d/dw (e^w w) = e^w (1 + w), accumulated twice.
  CHECK(w.grad().value({0}) == doctest::Approx(2 * std::exp(1.0) * 2));
  CHECK(w.grad().value({1}) == doctest::Approx(2 * std::exp(2.0) * 3));
}

TEST_CASE("the ordinary training loop does not trip the version check") {
  // Parameters are written in place by every step; each forward records the new versions.
  Generator gen(3);
  const Tensor inputs = randn({16, 4}, gen, {.dtype = f64});
  const Tensor targets = randn({16, 2}, gen, {.dtype = f64});
  for (const bool use_adam : {false, true}) {
    CAPTURE(use_adam);
    nn::Linear fc(4, 2, {.dtype = f64}, gen);
    std::unique_ptr<nn::Optimizer> opt;
    if (use_adam)
      opt = std::make_unique<nn::Adam>(fc.parameters(), nn::AdamOptions{.lr = 0.05});
    else
      opt = std::make_unique<nn::SGD>(fc.parameters(), nn::SGDOptions{.lr = 0.1, .momentum = 0.9});
    double first = 0.0, last = 0.0;
    for (int step = 0; step < 20; ++step) {
      opt->zero_grad();
      const Tensor loss = nn::mse_loss(fc.forward(relu(inputs)), targets);
      loss.backward();
      opt->step();
      (step == 0 ? first : last) = loss.item();
    }
    CHECK(last < first);
  }
}

TEST_CASE("an intermediate sharing the input's data is named as such when the input is written") {
  const auto first_half_times = make_op({
      .name = "first_half_times",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            const Tensor half = ctx.input(1).slice(0, 0, 2);  // a view: an intermediate on the same storage
            ctx.save("half", half);
            return (ctx.input(0) * half).detach();
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {g * ctx.saved("half"), Tensor()};
      },
  });
  const Tensor w = leaf({1, 2});
  Tensor factor = constant({3, 4, 5, 6});
  const Tensor y = sum(call(first_half_times, {w, factor}));
  factor.zero_();
  CHECK(
      error_of<AutogradError>([&] { y.backward(); }) ==
      "first_half_times: a tensor saved for backward (saved tensor 'half', an intermediate, shape [2]) was modified in "
      "place: saved at version 0, now version 1");
}

TEST_CASE("an optimizer step between forward and backward throws") {
  // The classic slip: step() called before backward() of the same forward.
  Generator gen(5);
  nn::Linear fc(3, 1, {.dtype = f64}, gen);
  nn::SGD opt(fc.parameters(), {.lr = 0.1});
  const Tensor x = randn({4, 3}, gen, {.dtype = f64, .requires_grad = true});  // so the weight is saved
  sum(fc.forward(x)).backward();                                               // gives the parameters a gradient
  const Tensor loss = sum(fc.forward(x));
  opt.step();
  CHECK(contains(error_of<AutogradError>([&] { loss.backward(); }),
                 "was modified in place: saved at version 1, now version 2"));
}

TEST_CASE("Tensor::version counts in-place writes, shared by views and detach()") {
  Tensor x = zeros({2, 3}, {.dtype = f64});
  Tensor view = x.slice(1, 0, 2);
  const Tensor detached = x.detach();
  const Tensor copy = x.clone();
  CHECK(x.version() == 0);
  x.copy_(ones({2, 3}, {.dtype = f64}));
  view.add_(ones({2, 2}, {.dtype = f64}), 2.0);
  x.sub_(ones({3}, {.dtype = f64}));
  view.mul_(2.0);
  x.mul_(ones({2, 3}, {.dtype = f64}));
  x.fill_(1.0);
  x.zero_();
  x.set_value({1, 2}, 4.0);
  CHECK(x.version() == 8);
  CHECK(view.version() == 8);
  CHECK(detached.version() == 8);
  CHECK(copy.version() == 0);               // its own storage
  CHECK(cat({x, copy}, 0).version() == 0);  // results of ops start at 0
  // Initialisers and checkpoint loads write parameters in place.
  Tensor p = zeros({2, 2}, {.dtype = f64});
  nn::init::ones_(p);
  CHECK(p.version() == 1);
  CHECK(p.to_vector() == Values{1, 1, 1, 1});
  // Optimizer steps write parameters through raw pointers and bump them too.
  Tensor w = leaf({1, 2});
  sum(w * w).backward();
  nn::SGD sgd({w}, {.lr = 0.1});
  sgd.step();
  CHECK(w.version() == 1);
  CHECK(w.to_vector() == Values{1 - 0.1 * 2, 2 - 0.1 * 4});
}

namespace {

// Huber loss with delta 1, elementwise: 0.5 c^2 + |x| - |c| with c = clamp(x, -1, 1);
// derivative c, second derivative 1 where |x| < 1 and 0 elsewhere.
OpDef<> huber_op(bool saves_intermediate) {
  return {
      .name = saves_intermediate ? "huber_saving_clamp" : "huber",
      .arity = 1,
      .forward =
          [saves_intermediate](ForwardContext& ctx, const NoAttrs&) {
            const Tensor& x = ctx.input(0);
            const Tensor c = clamp(x, -1.0, 1.0);
            if (saves_intermediate) {
              ctx.save("c", c);
            } else {
              ctx.save("x", x);
            }
            return c * c * 0.5 + (abs(x) - abs(c));
          },
      .backward = [saves_intermediate](const BackwardContext& ctx, const Tensor& g,
                                       const NoAttrs&) -> std::vector<Tensor> {
        // Wrong variant: c is a constant to the graph. Right: recompute c from the saved input.
        return {g * (saves_intermediate ? ctx.saved("c") : clamp(ctx.saved("x"), -1.0, 1.0))};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed);
            return std::vector<OpSample<NoAttrs>>{{"[8] on a grid", {samples::distinct_arg({8}, gen, 0.3)}, {}},
                                                  {"[0] (empty)", {samples::arg({0}, gen)}, {}}};
          },
  };
}

}  // namespace

TEST_CASE("a custom op that saves an intermediate has a wrong second derivative, and verify_op says why") {
  for (const bool saves_intermediate : {false, true}) {
    CAPTURE(saves_intermediate);
    const auto op = make_op(huber_op(saves_intermediate));
    const Tensor x = tensor({0.5, 2.0, -0.3, -1.5}, {.dtype = f64, .requires_grad = true});
    // loss = sum(huber(x) + x^2): d/dx = c + 2x, d2/dx2 = 1{|x| < 1} + 2.
    const Tensor dx = grad({sum(call(op, {x}) + x * x)}, {x}, {}, {.create_graph = true})[0];
    const Values expected_dx = {0.5 + 1.0, 1.0 + 4.0, -0.3 - 0.6, -1.0 - 3.0};  // right either way
    for (std::size_t i = 0; i < 4; ++i) CHECK(dx.to_vector()[i] == doctest::Approx(expected_dx[i]).epsilon(1e-15));
    const Tensor ddx = grad({sum(dx)}, {x})[0];
    // Saving the intermediate silently drops its part: 2 everywhere.
    CHECK(ddx.to_vector() == (saves_intermediate ? Values{2, 2, 2, 2} : Values{3, 2, 3, 2}));
  }
  const OpReport right = verify_op(huber_op(false));
  CHECK(right.passed());
  const OpReport wrong = verify_op(huber_op(true));
  CHECK(wrong.gradcheck.status == CheckStatus::Passed);
  CHECK(wrong.gradgradcheck.status == CheckStatus::Failed);
  REQUIRE(wrong.failures.size() == 1);
  const std::string& message = wrong.failures[0];
  CHECK(contains(message, "huber_saving_clamp: sample '[8] on a grid': gradgradcheck: gradient mismatch"));
  CHECK(contains(message, "the forward saves an intermediate (saved tensor 'c' (shape [8])) with ctx.save()"));
  CHECK(contains(message, "Save the inputs and recompute it in backward"));
}
