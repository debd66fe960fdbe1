// Anomaly mode: the first op whose output is non-finite (forward) or whose backward rule
// returns a non-finite gradient is named, with its sequence and label; off by default, and
// then NaNs pass silently as before.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "tapegrad.hpp"

using namespace tg;

namespace {

Tensor leaf(std::initializer_list<double> values) { return tensor(values, {.dtype = f64, .requires_grad = true}); }

std::uint64_t sequence_of(const Tensor& t) { return t.impl().autograd->grad_fn->sequence; }

// The message of the AnomalyError that f throws ("" if it throws none).
template <class F>
std::string anomaly_message(F f) {
  try {
    f();
  } catch (const AnomalyError& e) {
    return e.what();
  }
  return "";
}

bool has_nan(const Tensor& t) {
  const Tensor c = t.contiguous().to(f64);
  for (std::int64_t i = 0; i < c.numel(); ++i)
    if (std::isnan(c.data<double>()[i])) return true;
  return false;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct SqrtModule : nn::Module {
  SqrtModule() : Module("Sqrt") {}
  Tensor forward(const Tensor& x) override { return sqrt(x); }
};

// x -> Linear(2, 3) -> sqrt -> Linear(3, 1), inside a parent module as "body". The first
// layer's unit 0 has zero weights and bias, so sqrt sees an exact 0 there: its forward is
// finite (0) but its derivative 1 / (2 sqrt(0)) is infinite.
struct SqrtNet : nn::Module {
  std::shared_ptr<nn::Sequential> body;
  SqrtNet() : Module("SqrtNet") {
    auto first = std::make_shared<nn::Linear>(2, 3, nn::LinearOptions{.dtype = f64});
    {
      NoGradGuard no_grad;
      first->weight.copy_(tensor({{0.0, 0.0}, {1.0, 0.5}, {0.5, 1.0}}, {.dtype = f64}));
      first->bias.copy_(tensor({0.0, 0.1, 0.2}, {.dtype = f64}));
    }
    body = register_module("body", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
                                       first, std::make_shared<SqrtModule>(),
                                       std::make_shared<nn::Linear>(3, 1, nn::LinearOptions{.dtype = f64})}));
  }
  Tensor forward(const Tensor& x) override { return (*body)(x); }
};

// One training step: loss, backward, Adam update.
void adam_step(SqrtNet& net, nn::Adam& adam) {
  const Tensor x = tensor({{1.0, 2.0}, {3.0, 1.0}}, {.dtype = f64});
  const Tensor target = tensor({1.0, 2.0}, {.dtype = f64}).reshape({2, 1});
  adam.zero_grad();
  nn::mse_loss(net(x), target).backward();
  adam.step();
}

}  // namespace

TEST_CASE("anomaly mode is off by default, and a guard restores the previous setting") {
  CHECK_FALSE(is_anomaly_enabled());
  {
    DetectAnomalyGuard on;
    CHECK(is_anomaly_enabled());
    {
      DetectAnomalyGuard off(false);
      CHECK_FALSE(is_anomaly_enabled());
    }
    CHECK(is_anomaly_enabled());
  }
  CHECK_FALSE(is_anomaly_enabled());
}

TEST_CASE("anomaly labels nest with '.' and are restored on scope exit") {
  CHECK(current_anomaly_label().empty());
  {
    AnomalyLabel outer("features.3");
    CHECK(current_anomaly_label() == "features.3");
    {
      AnomalyLabel inner("conv");
      CHECK(current_anomaly_label() == "features.3.conv");
    }
    CHECK(current_anomaly_label() == "features.3");
  }
  CHECK(current_anomaly_label().empty());
}

TEST_CASE("forward: log of a negative names 'log' and the recorded ops that led to it") {
  DetectAnomalyGuard anomaly;
  const Tensor x = leaf({2.0, 1.0});
  const Tensor scaled = x * 2.0;         // {4, 2}
  const Tensor shifted = scaled + -3.0;  // {1, -1}
  const std::string message = anomaly_message([&] { (void)log(shifted); });
  INFO(message);
  CHECK(message.find("'log' (#") != std::string::npos);
  CHECK(message.find("1 NaN and 0 infinite values among 2 (the first at flat index 1") != std::string::npos);
  CHECK(message.find("its inputs were all finite, so 'log' produced them") != std::string::npos);
  // The chain of producers, with their sequences: log <- add <- mul <- the leaf x.
  CHECK(message.find(fmt::format("input 0: 'add' (#{})", sequence_of(shifted))) != std::string::npos);
  CHECK(message.find(fmt::format("input 0: 'mul' (#{})", sequence_of(scaled))) != std::string::npos);
  CHECK(message.find("input 0: leaf of shape [2]") != std::string::npos);
}

TEST_CASE("forward: 0/0 names 'div'; 1/0 reports an infinity") {
  DetectAnomalyGuard anomaly;
  const Tensor x = leaf({0.0, 3.0});
  const std::string nan = anomaly_message([&] { (void)(x / x); });
  INFO(nan);
  CHECK(nan.find("'div' (#") != std::string::npos);
  CHECK(nan.find("1 NaN and 0 infinite values among 2 (the first at flat index 0") != std::string::npos);
  const std::string inf = anomaly_message([&] { (void)(1.0 / x); });
  INFO(inf);
  CHECK(inf.find("0 NaN and 1 infinite value among 2 (the first at flat index 0") != std::string::npos);
}

TEST_CASE("forward: the op label is the AnomalyLabel scope it was recorded in") {
  DetectAnomalyGuard anomaly;
  const Tensor x = leaf({-1.0});
  AnomalyLabel outer("features");
  AnomalyLabel inner("3");
  const std::string message = anomaly_message([&] { (void)sqrt(x); });
  CHECK(message.find("'sqrt' (#") != std::string::npos);
  CHECK(message.find(", in features.3) produced 1 NaN") != std::string::npos);
}

TEST_CASE("forward: a NaN already in a leaf is reported at the first op that reads it") {
  DetectAnomalyGuard anomaly;
  const Tensor x = leaf({1.0, kNaN, 3.0});
  const std::string message = anomaly_message([&] { (void)sum(x * 2.0 + 1.0); });
  INFO(message);
  // mul is the first recorded op; add and sum are never reached.
  CHECK(message.find("anomaly: 'mul' (#") != std::string::npos);
  CHECK(message.find("input 0 already held non-finite values: they come from outside the checked ops") !=
        std::string::npos);
  CHECK(message.find("input 0: leaf of shape [3] -- already non-finite: 1 NaN") != std::string::npos);
  CHECK(message.find("'add'") == std::string::npos);
}

TEST_CASE("forward: a NaN in data that needs no gradient is reported where it meets the graph") {
  DetectAnomalyGuard anomaly;
  const Tensor w = leaf({1.0, 2.0});
  const Tensor data = tensor({0.5, kNaN}, {.dtype = f64});
  const std::string message = anomaly_message([&] { (void)(w * data); });
  INFO(message);
  CHECK(message.find("input 1 already held non-finite values") != std::string::npos);
  CHECK(message.find("input 1: not differentiated (data or a constant) of shape [2] -- already non-finite") !=
        std::string::npos);
}

TEST_CASE("backward: sqrt at 0 gives an infinite gradient from finite inputs; named with sequence and label") {
  const Tensor x = leaf({0.0, 4.0});
  {
    DetectAnomalyGuard anomaly;
    Tensor y;
    {
      AnomalyLabel label("features.3");
      y = sqrt(x);  // {0, 2}: finite
    }
    const std::string message = anomaly_message([&] { sum(y).backward(); });
    INFO(message);
    CHECK(message.find(
              fmt::format("the backward of 'sqrt' (#{}, in features.3) returned a non-finite gradient for input 0",
                          sequence_of(y))) != std::string::npos);
    CHECK(message.find("0 NaN and 1 infinite value among 2 (the first at flat index 0") != std::string::npos);
    CHECK(message.find("so the backward rule of 'sqrt' produced it") != std::string::npos);
    CHECK_FALSE(x.grad().defined());  // nothing half-written
  }
  // Anomaly mode off: the same code runs and the infinity arrives silently, as d sqrt = 1 / (2 sqrt x).
  sum(sqrt(x)).backward();
  const Tensor g = x.grad();
  CHECK(std::isinf(g.data<double>()[0]));
  CHECK(g.data<double>()[1] == 0.25);
}

TEST_CASE("anomaly mode off: NaNs pass silently, as before") {
  const Tensor x = leaf({-1.0, 4.0});
  const Tensor y = log(x);
  CHECK(std::isnan(y.data<double>()[0]));
  sum(y).backward();
  CHECK(x.grad().data<double>()[0] == -1.0);  // d log x = 1 / x, even where log x is NaN
}

TEST_CASE("backward: a saved tensor that was already NaN is blamed on the forward") {
  const Tensor x = leaf({-1.0, 4.0});
  const Tensor loss = sum(sqrt(x));  // NaN, recorded without anomaly mode
  DetectAnomalyGuard anomaly;
  const std::string message = anomaly_message([&] { loss.backward(); });
  INFO(message);
  CHECK(message.find("the backward of 'sqrt'") != std::string::npos);
  CHECK(message.find("its saved output already held 1 NaN") != std::string::npos);
}

TEST_CASE("backward: a non-finite root gradient, and finite gradients whose sum overflows") {
  DetectAnomalyGuard anomaly;
  const Tensor x = leaf({1.0});
  const Tensor y = x * 3.0;
  const std::string given =
      anomaly_message([&] { y.backward(tensor({kNaN}, {.dtype = f64}), {.retain_graph = true}); });
  CHECK(given.find("the gradient given for output 0 holds 1 NaN") != std::string::npos);
  // y + y sends 1e308 to y twice: each is finite, the sum is not.
  const Tensor twice = y + y;
  const std::string sum_overflow = anomaly_message([&] { twice.backward(tensor({1e308}, {.dtype = f64})); });
  INFO(sum_overflow);
  CHECK(sum_overflow.find(fmt::format("the gradient flowing into the backward of 'mul' (#{})", sequence_of(y))) !=
        std::string::npos);
  CHECK(sum_overflow.find("their sum overflowed") != std::string::npos);
}

TEST_CASE("backward: a leaf gradient that overflows when summed, over uses or with its earlier .grad()") {
  DetectAnomalyGuard anomaly;
  const Tensor x = leaf({1.0, 2.0});
  // x used twice: each use sends 1e308 to x, finite; the sum is not.
  const Tensor twice = x * 1.0 + x * 1.0;
  const std::string over_uses = anomaly_message([&] { twice.backward(tensor({1e308, 1.0}, {.dtype = f64})); });
  INFO(over_uses);
  CHECK(over_uses.find("the gradient of a leaf of shape [2] holds 0 NaN and 1 infinite value among 2 (the first at "
                       "flat index 0") != std::string::npos);
  CHECK(over_uses.find("the sum overflowed") != std::string::npos);
  CHECK_FALSE(x.grad().defined());  // nothing written
  // A finite gradient added to an earlier finite one.
  const Tensor y = x * 1.0;
  y.backward(tensor({1e308, 1.0}, {.dtype = f64}), {.retain_graph = true});
  CHECK(x.grad().data<double>()[0] == 1e308);
  const std::string with_earlier = anomaly_message([&] { y.backward(tensor({1e308, 1.0}, {.dtype = f64})); });
  CHECK(with_earlier.find("and so was its earlier .grad(): the sum overflowed") != std::string::npos);
  CHECK(x.grad().data<double>()[0] == 1e308);  // unchanged
}

TEST_CASE("the Adam scenario: a NaN reaches the parameters silently; anomaly mode names the op and module") {
  SUBCASE("anomaly mode off: Adam writes NaN into the first layer, nothing says where it came from") {
    SqrtNet net;
    nn::Adam adam(net.parameters(), {.lr = 0.01});
    adam_step(net, adam);
    const auto& first = dynamic_cast<nn::Linear&>((*net.body)[0]);
    CHECK(has_nan(first.weight));
    CHECK(has_nan(first.bias));
  }
  SUBCASE("anomaly mode on: the backward of sqrt in module body.1 is named, parameters untouched") {
    SqrtNet net;
    nn::Adam adam(net.parameters(), {.lr = 0.01});
    const Tensor before = net.parameters()[0].clone();
    DetectAnomalyGuard anomaly;
    const std::string message = anomaly_message([&] { adam_step(net, adam); });
    INFO(message);
    CHECK(message.find("the backward of 'sqrt' (#") != std::string::npos);
    CHECK(
        message.find(", in body.1) returned a non-finite gradient for input 0: 0 NaN and 2 infinite values among 6") !=
        std::string::npos);
    // Its producer is the first Linear's op, labelled body.0.
    CHECK(message.find(", in body.0)") != std::string::npos);
    const Tensor after = net.parameters()[0];
    for (std::int64_t i = 0; i < after.numel(); ++i) CHECK(after.data<double>()[i] == before.data<double>()[i]);
  }
}

TEST_CASE("modules label the ops of their children only in anomaly mode") {
  SqrtNet net;
  const Tensor x = tensor({{1.0, 2.0}}, {.dtype = f64});
  const Tensor off = net(x);
  CHECK(off.impl().autograd->grad_fn->label.empty());
  DetectAnomalyGuard anomaly;
  const Tensor on = net(x);
  CHECK(on.impl().autograd->grad_fn->label == "body.2");
}

TEST_CASE("the report of the ops that led to an anomaly stops after a few levels and lines") {
  DetectAnomalyGuard anomaly;
  // log <- mul <- cat of 30 chains of adds: far more than the report shows, in depth and width.
  const Tensor x = leaf({1.0});
  std::vector<Tensor> parts;
  for (int i = 0; i < 30; ++i) parts.push_back(x + 1.0 + 1.0 + 1.0);
  const Tensor t = cat(parts);
  const std::string message = anomaly_message([&] { (void)log(t * -1.0); });
  INFO(message);
  REQUIRE(message.find("Recorded ops that led to 'log'") != std::string::npos);
  const std::string report = message.substr(message.find("Recorded ops"));
  std::size_t lines = 0, ellipses = 0, deepest = 0;
  for (std::size_t begin = report.find('\n') + 1; begin < report.size();) {
    const std::size_t end = report.find('\n', begin);
    const std::string line = report.substr(begin, end - begin);
    ++lines;
    ellipses += line.find("...") != std::string::npos;
    deepest = std::max(deepest, line.find_first_not_of(' ') / 2);
    begin = end + 1;
  }
  CHECK(deepest == 3);     // log's input, its producer's inputs, theirs: three levels
  CHECK(ellipses == 1);    // one "..." where the report stops
  CHECK(lines == 24 + 1);  // 24 input lines and the "..."
}
