// Per-step schedulers: linear warmup + cosine against hand-computed values, OneCycleLR
// against PyTorch's algorithm written out here; positions restored for resuming.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

Tensor param() { return tensor({1.0}, {.dtype = f64, .requires_grad = true}); }

// torch.optim.lr_scheduler.OneCycleLR.get_lr (three_phase=False, anneal_strategy='cos'),
// transcribed: phases end at pct_start * total - 1 and total - 1.
double pytorch_one_cycle(double max_lr, double total, double pct_start, double div, double final_div, double step) {
  const double initial = max_lr / div;
  const double min_lr = initial / final_div;
  struct Phase {
    double end_step, start_lr, end_lr;
  };
  const std::vector<Phase> phases{{pct_start * total - 1, initial, max_lr}, {total - 1, max_lr, min_lr}};
  double start_step = 0;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    if (step <= phases[i].end_step || i == phases.size() - 1) {
      const double pct = (step - start_step) / (phases[i].end_step - start_step);
      const double cos_out = std::cos(std::numbers::pi * pct) + 1;
      return phases[i].end_lr + (phases[i].start_lr - phases[i].end_lr) / 2.0 * cos_out;
    }
    start_step = phases[i].end_step;
  }
  return 0;
}

}  // namespace

TEST_CASE("schedulers: linear warmup then cosine, hand-computed points") {
  Tensor p = param();
  SGD opt({p}, {.lr = 0.1});
  LinearWarmupCosineLR schedule(opt, 4, 12, 0.001);
  CHECK(opt.lr() == 0.0);  // set on construction: warmup starts at 0
  const std::vector<std::pair<std::int64_t, double>> points{
      {0, 0.0},
      {1, 0.025},
      {2, 0.05},
      {4, 0.1},                                       // warmup start, middle, end
      {6, 0.001 + 0.099 * (1 + std::sqrt(0.5)) / 2},  // a quarter into the cosine
      {8, 0.0505},                                    // half way: (0.1 + 0.001) / 2
      {12, 0.001},
      {30, 0.001}};  // the end, and after it
  for (const auto& [t, want] : points) {
    CAPTURE(t);
    CHECK(schedule.lr_at(t) == doctest::Approx(want).epsilon(1e-14));
  }
  for (std::int64_t t = 1; t <= 8; ++t) schedule.step();
  CHECK(schedule.step_count() == 8);
  CHECK(opt.lr() == doctest::Approx(0.0505).epsilon(1e-14));

  SGD opt2({param()}, {.lr = 0.2});
  LinearWarmupCosineLR from_a_tenth(opt2, 10, 20, 0.0, 0.1);
  CHECK(opt2.lr() == doctest::Approx(0.02).epsilon(1e-14));
  CHECK(from_a_tenth.lr_at(5) == doctest::Approx(0.2 * (0.1 + 0.9 * 0.5)).epsilon(1e-14));
  CHECK(from_a_tenth.lr_at(10) == doctest::Approx(0.2).epsilon(1e-14));
  CHECK(from_a_tenth.lr_at(20) == 0.0);

  SGD opt3({param()}, {.lr = 0.2});
  LinearWarmupCosineLR no_warmup(opt3, 0, 10);
  CHECK(opt3.lr() == 0.2);
  CHECK_THROWS_AS(LinearWarmupCosineLR(opt3, 10, 10), ValueError);
  CHECK_THROWS_AS(LinearWarmupCosineLR(opt3, 2, 10, 0.0, 1.5), ValueError);
}

TEST_CASE("schedulers: OneCycleLR follows PyTorch's formula") {
  for (const auto& [total, opts] : std::vector<std::pair<std::int64_t, OneCycleOptions>>{
           {100, {}}, {37, {.pct_start = 0.25, .div_factor = 10, .final_div_factor = 100}}}) {
    CAPTURE(total);
    Tensor p = param();
    Adam opt({p}, {.lr = 123.0});  // ignored: OneCycle starts from max_lr / div_factor
    OneCycleLR schedule(opt, 0.1, total, opts);
    CHECK(opt.lr() == doctest::Approx(0.1 / opts.div_factor).epsilon(1e-15));
    for (std::int64_t t = 0; t <= total; ++t) {
      CAPTURE(t);
      const double want = pytorch_one_cycle(0.1, static_cast<double>(total), opts.pct_start, opts.div_factor,
                                            opts.final_div_factor, static_cast<double>(t));
      CHECK(schedule.lr_at(t) == doctest::Approx(want).epsilon(1e-14));
      if (t > 0) schedule.step();
      CHECK(opt.lr() == doctest::Approx(want).epsilon(1e-14));
    }
    CHECK(schedule.lr_at(total - 1) == doctest::Approx(0.1 / opts.div_factor / opts.final_div_factor).epsilon(1e-12));
    CHECK_THROWS_AS(schedule.step(), ValueError);  // past total_steps, as PyTorch
    CHECK(schedule.step_count() == total);         // a failed step moves nothing
  }
  // The peak of the default schedule: step 0.3 * 100 - 1 = 29 reaches max_lr exactly.
  Tensor q = param();
  SGD opt({q}, {.lr = 1.0});
  OneCycleLR schedule(opt, 0.4, 100);
  CHECK(schedule.lr_at(29) == doctest::Approx(0.4).epsilon(1e-15));
  CHECK(schedule.lr_at(0) == doctest::Approx(0.016).epsilon(1e-15));
  CHECK_THROWS_AS(OneCycleLR(opt, 0.4, 3), ValueError);  // the peak would be before step 0
}

TEST_CASE("schedulers: a restored position gives the same lrs as stepping there") {
  SGD a({param()}, {.lr = 0.3});
  SGD b({param()}, {.lr = 0.3});
  LinearWarmupCosineLR sa(a, 5, 50, 0.01);
  LinearWarmupCosineLR sb(b, 5, 50, 0.01);
  for (int i = 0; i < 17; ++i) sa.step();
  sb.set_step(17);
  CHECK(a.lr() == b.lr());
  CHECK(sb.step_count() == 17);
  CHECK(sb.epoch() == 17);  // the per-epoch name of the same position
  sa.step();
  sb.step();
  CHECK(a.lr() == b.lr());
  CHECK_THROWS_AS(sb.set_step(-1), ValueError);
}
