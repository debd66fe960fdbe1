// One step of each optimizer against hand-computed values; schedulers; clipping; state.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

Tensor param(std::initializer_list<double> v) { return tensor(v, {.dtype = f64, .requires_grad = true}); }
void set_grad(const Tensor& p, std::initializer_list<double> g) { p.set_grad(tensor(g, {.dtype = f64})); }

void check_values(const Tensor& t, const std::vector<double>& want, double eps = 1e-12) {
  const auto got = t.to_vector();
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(eps));
}

}  // namespace

TEST_CASE("nn optim: SGD with momentum and weight decay, two steps by hand") {
  Tensor p = param({1.0, 2.0});
  const Tensor alias = p;  // updates are in place: every handle sees them
  SGD opt({p}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01});
  set_grad(p, {0.5, -1.0});
  opt.step();
  // d = g + 0.01 p = [0.51, -0.98]; buf = d; p -= 0.1 d
  check_values(alias, {0.949, 2.098});
  opt.step();
  // d = [0.5 + 0.00949, -1 + 0.02098]; buf = 0.9 [0.51, -0.98] + d = [0.96849, -1.86102]
  check_values(p, {0.949 - 0.096849, 2.098 + 0.186102});
  CHECK(p.is_leaf());
  CHECK(p.requires_grad());
}

TEST_CASE("nn optim: SGD plain and Nesterov") {
  Tensor p = param({1.0, 2.0});
  SGD plain({p}, {.lr = 0.5});
  set_grad(p, {0.5, -1.0});
  plain.step();
  check_values(p, {0.75, 2.5});

  Tensor q = param({1.0, 2.0});
  SGD nesterov({q}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  set_grad(q, {0.5, -1.0});
  nesterov.step();
  // d = [0.51, -0.98]; buf = d; step = d + 0.9 buf = 1.9 d
  check_values(q, {1.0 - 0.0969, 2.0 + 0.1862});
  CHECK_THROWS_AS(SGD({q}, {.nesterov = true}), ValueError);
  CHECK_THROWS_AS(SGD({q}, {.lr = -1.0}), ValueError);
}

TEST_CASE("nn optim: Adam and AdamW, by hand") {
  // Step 1: m = 0.1 g, v = 0.001 g^2, m / (1 - 0.9) = g, sqrt(v / (1 - 0.999)) = |g|.
  Tensor p = param({1.0, 2.0});
  Adam adam({p}, {.lr = 0.1});
  set_grad(p, {0.5, -1.0});
  adam.step();
  check_values(p, {1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 2.0 + 0.1 * 1.0 / (1.0 + 1e-8)});
  // Step 2 with g = [0.2, 0.4]: m = 0.9 m1 + 0.1 g, v = 0.999 v1 + 0.001 g^2.
  set_grad(p, {0.2, 0.4});
  adam.step();
  const double m0 = 0.9 * 0.05 + 0.1 * 0.2, m1 = 0.9 * -0.1 + 0.1 * 0.4;
  const double v0 = 0.999 * 0.00025 + 0.001 * 0.04, v1 = 0.999 * 0.001 + 0.001 * 0.16;
  const double bc1 = 1 - 0.81, bc2 = 1 - 0.999 * 0.999;
  const double p0 = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), p1 = 2.0 + 0.1 / (1.0 + 1e-8);
  check_values(p,
               {p0 - 0.1 / bc1 * m0 / (std::sqrt(v0) / std::sqrt(bc2) + 1e-8),
                p1 - 0.1 / bc1 * m1 / (std::sqrt(v1) / std::sqrt(bc2) + 1e-8)},
               1e-10);

  // Adam's weight decay is L2 (added to g = [0.6, -0.8]); AdamW's is decoupled.
  Tensor q = param({1.0, 2.0});
  Adam l2({q}, {.lr = 0.1, .eps = 0.0, .weight_decay = 0.1});
  set_grad(q, {0.5, -1.0});
  l2.step();
  check_values(q, {0.9, 2.1});
  Tensor r = param({1.0, 2.0});
  AdamW adamw({r}, {.lr = 0.1, .eps = 0.0, .weight_decay = 0.1});
  set_grad(r, {0.5, -1.0});
  adamw.step();
  check_values(r, {1.0 * 0.99 - 0.1, 2.0 * 0.99 + 0.1});
  CHECK_THROWS_AS(Adam({r}, {.beta1 = 1.0}), ValueError);
}

TEST_CASE("nn optim: parameters without gradients are skipped, float32 updates") {
  Tensor a = param({1.0});
  Tensor b = tensor({3.0f}, {.dtype = f32, .requires_grad = true});
  SGD opt({a, b}, {.lr = 0.5});
  b.set_grad(tensor({2.0}, {.dtype = f32}));
  opt.step();
  CHECK(a.item() == 1.0);
  CHECK(b.item() == 2.0);
  opt.zero_grad();
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("nn optim: clip_grad_norm scales to max_norm and returns the norm") {
  Tensor a = param({0.0, 0.0});
  Tensor b = param({0.0});
  set_grad(a, {3.0, 4.0});
  set_grad(b, {12.0});
  const double norm = clip_grad_norm({a, b}, 6.5);
  CHECK(norm == doctest::Approx(13.0));
  const double k = 6.5 / (13.0 + 1e-6);
  check_values(a.grad(), {3.0 * k, 4.0 * k});
  check_values(b.grad(), {12.0 * k});
  CHECK(clip_grad_norm({a, b}, 100.0) == doctest::Approx(6.5).epsilon(1e-6));
  check_values(b.grad(), {12.0 * k});  // below the limit: unchanged
}

TEST_CASE("nn optim: step and cosine schedules") {
  Tensor p = param({1.0});
  SGD opt({p}, {.lr = 0.1});
  StepLR step(opt, 2, 0.5);
  std::vector<double> seen{opt.lr()};
  for (int e = 0; e < 4; ++e) {
    step.step();
    seen.push_back(opt.lr());
  }
  CHECK(seen == std::vector<double>{0.1, 0.1, 0.05, 0.05, 0.025});

  SGD opt2({p}, {.lr = 0.1});
  CosineAnnealingLR cosine(opt2, 4, 0.0);
  const std::vector<double> want{0.1,  0.05 * (1 + std::cos(std::numbers::pi / 4)),
                                 0.05, 0.05 * (1 + std::cos(3 * std::numbers::pi / 4)),
                                 0.0,  0.0};
  for (std::size_t e = 0; e < want.size(); ++e) {
    CHECK(opt2.lr() == doctest::Approx(want[e]).epsilon(1e-12));
    cosine.step();
  }
  cosine.set_epoch(2);
  CHECK(opt2.lr() == doctest::Approx(0.05));
  CHECK_THROWS_AS(StepLR(opt, 0), ValueError);
}

TEST_CASE("nn optim: state_dict round trip resumes identically, bad state is reported") {
  auto run = [](Adam& opt, const Tensor& p, int steps) {
    for (int s = 0; s < steps; ++s) {
      set_grad(p, {0.3 * (s + 1), -0.2});
      opt.step();
    }
  };
  Tensor p = param({1.0, 2.0});
  Adam a({p}, {.lr = 0.05});
  run(a, p, 2);
  const auto state = a.state_dict();
  Tensor q = tensor({p.value({0}), p.value({1})}, {.dtype = f64, .requires_grad = true});
  Adam b({q}, {.lr = 0.9});
  b.load_state_dict(state);
  CHECK(b.lr() == 0.05);
  set_grad(p, {0.1, 0.1});
  set_grad(q, {0.1, 0.1});
  a.step();
  b.step();
  CHECK(p.to_vector() == q.to_vector());

  std::vector<NamedTensor> bad = state;
  bad.emplace_back("state.5.exp_avg", zeros({2}, {.dtype = f64}));
  bad.emplace_back("state.0.velocity", zeros({2}, {.dtype = f64}));
  bad.emplace_back("bogus", zeros({1}));
  for (auto& [n, t] : bad)
    if (n == "state.0.exp_avg") t = zeros({3}, {.dtype = f64});
  try {
    b.load_state_dict(bad);
    FAIL("expected ValueError");
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("state.5.exp_avg") != std::string::npos);
    CHECK(msg.find("velocity") != std::string::npos);
    CHECK(msg.find("bogus") != std::string::npos);
    CHECK(msg.find("[3]") != std::string::npos);
  }
}

namespace {

// Two steps of an optimizer on one parameter of n values, gradients g1 then g2; the values after.
template <class MakeOptimizer>
std::vector<double> two_steps(const std::vector<double>& p0, const std::vector<double>& g1,
                              const std::vector<double>& g2, DType dtype, MakeOptimizer&& make) {
  const auto n = static_cast<std::int64_t>(p0.size());
  Tensor p = from_vector(p0, {n}, {.dtype = dtype, .requires_grad = true});
  auto opt = make(p);
  for (const std::vector<double>* g : {&g1, &g2}) {
    p.set_grad(from_vector(*g, {n}, {.dtype = dtype}));
    opt.step();
  }
  return p.to_vector();
}

}  // namespace

TEST_CASE("nn optim: a parameter of many element ranges gets each element's update, on 1 and 2 threads") {
  // The updates share a parameter's elements out in ranges of 16K-32K: 100003 values make
  // several, the last one partial. Each element against the formulas computed here, one element at
  // a time in double; the two thread counts give the same bits.
  const std::size_t n = 100003;
  std::vector<double> p0(n), g1(n), g2(n);
  for (std::size_t i = 0; i < n; ++i) {
    p0[i] = std::sin(0.37 * static_cast<double>(i));
    g1[i] = std::cos(0.11 * static_cast<double>(i));
    g2[i] = 0.5 - std::sin(0.05 * static_cast<double>(i));
  }
  const double lr = 0.1, mu = 0.9, wd = 0.01, damp = 0.25;
  std::vector<double> sgd(n), nesterov(n), adam(n), adamw(n), rmsprop(n), rmsprop_centered(n), adagrad(n);
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8, alpha = 0.99, lr_decay = 0.5;
  for (std::size_t i = 0; i < n; ++i) {
    // SGD, momentum 0.9, dampening 0.25: the buffer is seeded with the first step's d.
    double p = p0[i], buf = g1[i] + wd * p;
    p -= lr * buf;
    buf = mu * buf + (1 - damp) * (g2[i] + wd * p);
    sgd[i] = p - lr * buf;
    // Nesterov (no dampening): the step is d + mu buf.
    p = p0[i];
    double d = g1[i] + wd * p;
    buf = d;
    p -= lr * (d + mu * buf);
    d = g2[i] + wd * p;
    buf = mu * buf + d;
    nesterov[i] = p - lr * (d + mu * buf);
    // Adam (L2 decay into g) and AdamW (decoupled decay), two steps.
    for (const bool decoupled : {false, true}) {
      double q = p0[i], m = 0, v = 0;
      for (int t = 1; t <= 2; ++t) {
        double gt = t == 1 ? g1[i] : g2[i];
        if (decoupled)
          q *= 1 - lr * wd;
        else
          gt += wd * q;
        m = b1 * m + (1 - b1) * gt;
        v = b2 * v + (1 - b2) * gt * gt;
        const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
        q -= lr / bc1 * m / (std::sqrt(v) / std::sqrt(bc2) + eps);
      }
      (decoupled ? adamw : adam)[i] = q;
    }
    // RMSprop plain, and centered with momentum 0.9; both with weight decay.
    for (const bool centered : {false, true}) {
      double q = p0[i], sq = 0, avg = 0, b = 0;
      for (int t = 1; t <= 2; ++t) {
        const double gt = (t == 1 ? g1[i] : g2[i]) + wd * q;
        sq = alpha * sq + (1 - alpha) * gt * gt;
        avg = alpha * avg + (1 - alpha) * gt;
        const double denom = std::sqrt(centered ? sq - avg * avg : sq) + eps;
        if (centered) {
          b = mu * b + gt / denom;
          q -= lr * b;
        } else {
          q -= lr * gt / denom;
        }
      }
      (centered ? rmsprop_centered : rmsprop)[i] = q;
    }
    // Adagrad with weight decay and lr decay: step t's rate is lr / (1 + (t - 1) lr_decay).
    double q = p0[i], sum = 0.1;
    for (int t = 1; t <= 2; ++t) {
      const double gt = (t == 1 ? g1[i] : g2[i]) + wd * q;
      sum += gt * gt;
      q -= lr / (1 + (t - 1) * lr_decay) * gt / (std::sqrt(sum) + 1e-10);
    }
    adagrad[i] = q;
  }
  const int saved = get_num_threads();
  for (const DType dtype : {f64, f32}) {
    const double tol = dtype == f64 ? 1e-12 : 2e-6;
    std::vector<std::vector<double>> runs[2];
    for (const int threads : {1, 2}) {
      set_num_threads(threads);
      auto& got = runs[threads - 1];
      got.push_back(two_steps(p0, g1, g2, dtype, [&](const Tensor& p) {
        return SGD({p}, {.lr = lr, .momentum = mu, .dampening = damp, .weight_decay = wd});
      }));
      got.push_back(two_steps(p0, g1, g2, dtype, [&](const Tensor& p) {
        return SGD({p}, {.lr = lr, .momentum = mu, .weight_decay = wd, .nesterov = true});
      }));
      got.push_back(
          two_steps(p0, g1, g2, dtype, [&](const Tensor& p) { return Adam({p}, {.lr = lr, .weight_decay = wd}); }));
      got.push_back(
          two_steps(p0, g1, g2, dtype, [&](const Tensor& p) { return AdamW({p}, {.lr = lr, .weight_decay = wd}); }));
      got.push_back(two_steps(p0, g1, g2, dtype, [&](const Tensor& p) {
        return RMSprop({p}, {.lr = lr, .alpha = alpha, .weight_decay = wd});
      }));
      got.push_back(two_steps(p0, g1, g2, dtype, [&](const Tensor& p) {
        return RMSprop({p}, {.lr = lr, .alpha = alpha, .weight_decay = wd, .momentum = mu, .centered = true});
      }));
      got.push_back(two_steps(p0, g1, g2, dtype, [&](const Tensor& p) {
        return Adagrad({p}, {.lr = lr, .lr_decay = lr_decay, .weight_decay = wd, .initial_accumulator_value = 0.1});
      }));
    }
    const std::vector<double>* want[] = {&sgd, &nesterov, &adam, &adamw, &rmsprop, &rmsprop_centered, &adagrad};
    for (std::size_t k = 0; k < std::size(want); ++k) {
      INFO("optimizer " << k << ", " << dtype);
      CHECK(runs[0][k] == runs[1][k]);
      double worst = 0;
      for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(runs[0][k][i] - (*want[k])[i]));
      CHECK(worst <= tol);
    }
  }
  set_num_threads(saved);
}
