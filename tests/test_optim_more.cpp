// RMSprop and Adagrad against their formulas applied by hand in plain loops; parameter
// groups (settings, schedulers, checkpoints) and the no-decay grouping helper.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "tapegrad.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

Tensor param(const std::vector<double>& v) {
  return from_vector(v, {static_cast<std::int64_t>(v.size())}, {.dtype = f64, .requires_grad = true});
}

// The gradients of three steps: fixed values, not derived from the parameters, so the hand
// loops below see exactly what the optimizer sees.
const std::vector<std::vector<double>> kGrads{{0.5, -1.0, 2.0}, {-0.25, 0.75, 1.5}, {1.0, 0.1, -3.0}};
const std::vector<double> kStart{1.0, -2.0, 0.5};

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-13));
}

// Runs three steps of `opt` on p and returns p's values.
std::vector<double> three_steps(Optimizer& opt, const Tensor& p) {
  for (const auto& g : kGrads) {
    p.set_grad(from_vector(g, {static_cast<std::int64_t>(g.size())}, {.dtype = f64}));
    opt.step();
  }
  return p.to_vector();
}

// PyTorch's RMSprop, element by element.
std::vector<double> rmsprop_by_hand(const RMSpropOptions& o) {
  std::vector<double> p = kStart, v(3, 0.0), a(3, 0.0), b(3, 0.0);
  for (const auto& grad : kGrads) {
    for (std::size_t j = 0; j < 3; ++j) {
      const double g = grad[j] + o.weight_decay * p[j];
      v[j] = o.alpha * v[j] + (1 - o.alpha) * g * g;
      double denom = std::sqrt(v[j]) + o.eps;
      if (o.centered) {
        a[j] = a[j] + (1 - o.alpha) * (g - a[j]);
        denom = std::sqrt(v[j] - a[j] * a[j]) + o.eps;
      }
      if (o.momentum > 0) {
        b[j] = o.momentum * b[j] + g / denom;
        p[j] -= o.lr * b[j];
      } else {
        p[j] -= o.lr * g / denom;
      }
    }
  }
  return p;
}

// PyTorch's Adagrad, element by element.
std::vector<double> adagrad_by_hand(const AdagradOptions& o) {
  std::vector<double> p = kStart, s(3, o.initial_accumulator_value);
  for (std::size_t t = 1; t <= kGrads.size(); ++t) {
    const double clr = o.lr / (1 + static_cast<double>(t - 1) * o.lr_decay);
    for (std::size_t j = 0; j < 3; ++j) {
      const double g = kGrads[t - 1][j] + o.weight_decay * p[j];
      s[j] += g * g;
      p[j] -= clr * g / (std::sqrt(s[j]) + o.eps);
    }
  }
  return p;
}

}  // namespace

TEST_CASE("optim more: RMSprop plain, with momentum, centered, both, three steps by hand") {
  for (const RMSpropOptions o :
       {RMSpropOptions{}, RMSpropOptions{.lr = 0.05, .weight_decay = 0.1, .momentum = 0.9},
        RMSpropOptions{.alpha = 0.9, .centered = true},
        RMSpropOptions{
            .lr = 0.02, .alpha = 0.8, .eps = 1e-3, .weight_decay = 0.01, .momentum = 0.5, .centered = true}}) {
    CAPTURE(o.momentum);
    CAPTURE(o.centered);
    Tensor p = param(kStart);
    RMSprop opt({p}, o);
    check_close(three_steps(opt, p), rmsprop_by_hand(o));
    // The state PyTorch keeps, under its names.
    std::vector<std::string> names;
    for (const auto& [name, t] : opt.state_dict()) names.push_back(name);
    std::vector<std::string> want{"lr"};
    if (o.centered) want.push_back("state.0.grad_avg");
    if (o.momentum > 0) want.push_back("state.0.momentum_buffer");
    want.insert(want.end(), {"state.0.square_avg", "state.0.step"});
    CHECK(names == want);
  }
}

TEST_CASE("optim more: Adagrad with lr_decay, weight decay and an initial accumulator, three steps by hand") {
  for (const AdagradOptions o :
       {AdagradOptions{}, AdagradOptions{.lr = 0.1, .lr_decay = 0.5},
        AdagradOptions{
            .lr = 0.2, .lr_decay = 0.1, .weight_decay = 0.05, .initial_accumulator_value = 0.3, .eps = 1e-6}}) {
    CAPTURE(o.lr_decay);
    Tensor p = param(kStart);
    Adagrad opt({p}, o);
    check_close(three_steps(opt, p), adagrad_by_hand(o));
    const auto state = opt.state_dict();
    REQUIRE(state.size() == 3);
    CHECK(state[1].first == "state.0.step");
    CHECK(state[1].second.item() == 3.0);
    CHECK(state[2].first == "state.0.sum");
  }
  Tensor q = param({1.0});
  CHECK_THROWS_AS(Adagrad({q}, {.lr_decay = -1.0}), ValueError);
  CHECK_THROWS_AS(RMSprop({q}, {.momentum = -0.5}), ValueError);
}

TEST_CASE("optim more: parameter groups use their own lr and weight decay, defaults fill the rest") {
  Tensor a = param(kStart), b = param(kStart), c = param(kStart);
  SGD opt(std::vector<ParamGroup>{{.params = {a}, .lr = 0.5},
                                  {.params = {b}, .weight_decay = 0.0},
                                  {.params = {c}, .lr = 0.2, .weight_decay = 0.3}},
          {.lr = 0.1, .weight_decay = 0.01});
  REQUIRE(opt.param_groups().size() == 3);
  CHECK(opt.param_groups()[0].lr == 0.5);
  CHECK(opt.param_groups()[0].weight_decay == 0.01);
  CHECK(opt.param_groups()[1].lr == 0.1);
  CHECK(opt.param_groups()[1].weight_decay == 0.0);
  CHECK(opt.parameters().size() == 3);
  for (const Tensor& p : {a, b, c}) p.set_grad(from_vector(kGrads[0], {3}, {.dtype = f64}));
  opt.step();
  const auto sgd = [](double lr, double wd) {
    std::vector<double> want(3);
    for (std::size_t j = 0; j < 3; ++j) want[j] = kStart[j] - lr * (kGrads[0][j] + wd * kStart[j]);
    return want;
  };
  check_close(a.to_vector(), sgd(0.5, 0.01));
  check_close(b.to_vector(), sgd(0.1, 0.0));
  check_close(c.to_vector(), sgd(0.2, 0.3));

  // A scheduler scales each group from its own base lr.
  StepLR schedule(opt, 1, 0.5);
  schedule.step();
  CHECK(opt.param_groups()[0].lr == 0.25);
  CHECK(opt.param_groups()[1].lr == 0.05);
  CHECK(opt.param_groups()[2].lr == 0.1);
  CHECK(schedule.base_lrs() == std::vector<double>{0.5, 0.1, 0.2});
  opt.set_lr(0.3);  // every group
  for (const auto& g : opt.param_groups()) CHECK(g.lr == 0.3);

  CHECK_THROWS_AS(SGD(std::vector<ParamGroup>{{.params = {a}}, {.params = {a}}}), ValueError);  // twice
  CHECK_THROWS_AS(SGD(std::vector<ParamGroup>{{.params = {a}, .lr = -1.0}}), ValueError);
  CHECK_THROWS_AS(SGD(std::vector<ParamGroup>{{.params = {a}, .weight_decay = -1.0}}), ValueError);
  CHECK_THROWS_AS(SGD(std::vector<ParamGroup>{}), ValueError);
  CHECK_THROWS_AS(opt.set_lr(3, 0.1), IndexError);
}

TEST_CASE("optim more: no weight decay on biases and norm weights") {
  Sequential model{std::make_shared<Linear>(3, 4), std::make_shared<BatchNorm1d>(4),
                   std::make_shared<Linear>(4, 2, LinearOptions{.bias = false})};
  const auto groups = param_groups_no_decay_on_biases_and_norms(model, 0.05);
  REQUIRE(groups.size() == 2);
  const auto params = model.parameters();  // w1, b1, bn weight, bn bias, w2
  REQUIRE(params.size() == 5);
  REQUIRE(groups[0].params.size() == 2);
  CHECK(groups[0].params[0].is_same(params[0]));
  CHECK(groups[0].params[1].is_same(params[4]));
  CHECK(groups[0].weight_decay == 0.05);
  REQUIRE(groups[1].params.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(groups[1].params[i].is_same(params[i + 1]));
  CHECK(groups[1].weight_decay == 0.0);
  CHECK_FALSE(groups[0].lr.has_value());
  AdamW opt(groups, {.lr = 1e-3});
  CHECK(opt.param_groups()[0].weight_decay == 0.05);
  CHECK(opt.param_groups()[1].weight_decay == 0.0);
}

TEST_CASE("optim more: checkpoint round trip with groups; one group keeps the old format") {
  Tensor a = param(kStart), b = param(kStart);
  const auto make = [&](const Tensor& x, const Tensor& y) {
    return std::make_unique<RMSprop>(std::vector<ParamGroup>{{.params = {x}, .lr = 0.02}, {.params = {y}}},
                                     RMSpropOptions{.lr = 0.01, .momentum = 0.9});
  };
  auto opt = make(a, b);
  for (const Tensor& p : {a, b}) p.set_grad(from_vector(kGrads[0], {3}, {.dtype = f64}));
  opt->step();
  opt->set_lr(1, 0.005);
  const auto saved = opt->state_dict();
  CHECK(saved[0].first == "param_groups.0.lr");
  CHECK(saved[1].first == "param_groups.1.lr");

  Tensor a2 = param(a.to_vector()), b2 = param(b.to_vector());
  auto restored = make(a2, b2);
  restored->load_state_dict(saved);
  CHECK(restored->param_groups()[0].lr == 0.02);
  CHECK(restored->param_groups()[1].lr == 0.005);
  for (const Tensor& p : {a, b, a2, b2}) p.set_grad(from_vector(kGrads[1], {3}, {.dtype = f64}));
  opt->step();
  restored->step();
  CHECK(a2.to_vector() == a.to_vector());
  CHECK(b2.to_vector() == b.to_vector());

  // A one-group file does not fit two groups, nor a file of two groups one group.
  Tensor c = param(kStart);
  RMSprop single({c}, {.momentum = 0.9});
  const auto one = single.state_dict();
  REQUIRE(one.size() == 1);
  CHECK(one[0].first == "lr");
  CHECK(nn_test::error_of<ValueError>([&] { restored->load_state_dict(one); }).find("'lr'") != std::string::npos);
  CHECK_THROWS_AS(single.load_state_dict(saved), ValueError);
  CHECK(restored->param_groups()[1].lr == 0.005);  // a failed load changes nothing
}
