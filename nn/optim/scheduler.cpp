#include "nn/optim/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tg::nn {

namespace {

// From a at pct = 0 to b at pct = 1 along half a cosine, in PyTorch's order of operations.
double cosine_anneal(double a, double b, double pct) {
  return b + (a - b) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
}

}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (const auto& group : optimizer.param_groups()) base_lrs_.push_back(group.lr);
}

void LRScheduler::step() { set_step(position_ + 1); }

void LRScheduler::set_step(std::int64_t t) {
  TG_CHECK(t >= 0, ValueError, "LRScheduler: position must be >= 0, got {}", t);
  std::vector<double> lrs;
  for (double base : base_lrs_) lrs.push_back(lr_for(t, base));  // all computed first: lr_for may throw
  position_ = t;
  for (std::size_t g = 0; g < lrs.size(); ++g) optimizer_.set_lr(g, lrs[g]);
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  TG_CHECK(step_size > 0 && gamma > 0.0, ValueError, "StepLR: step_size and gamma must be positive, got {} and {}",
           step_size, gamma);
}

double StepLR::lr_for(std::int64_t epoch, double base_lr) const {
  return base_lr * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  TG_CHECK(t_max > 0, ValueError, "CosineAnnealingLR: t_max must be positive, got {}", t_max);
}

double CosineAnnealingLR::lr_for(std::int64_t epoch, double base_lr) const {
  const double e = static_cast<double>(std::min(epoch, t_max_));
  return eta_min_ + (base_lr - eta_min_) * (1.0 + std::cos(std::numbers::pi * e / static_cast<double>(t_max_))) / 2.0;
}

LinearWarmupCosineLR::LinearWarmupCosineLR(Optimizer& optimizer, std::int64_t warmup_steps, std::int64_t total_steps,
                                           double eta_min, double start_factor)
    : LRScheduler(optimizer),
      warmup_steps_(warmup_steps),
      total_steps_(total_steps),
      eta_min_(eta_min),
      start_factor_(start_factor) {
  TG_CHECK(warmup_steps >= 0 && total_steps > warmup_steps, ValueError,
           "LinearWarmupCosineLR: need 0 <= warmup_steps < total_steps, got {} and {}", warmup_steps, total_steps);
  TG_CHECK(start_factor >= 0.0 && start_factor <= 1.0 && eta_min >= 0.0, ValueError,
           "LinearWarmupCosineLR: start_factor must be in [0, 1] and eta_min >= 0, got {} and {}", start_factor,
           eta_min);
  set_step(0);
}

double LinearWarmupCosineLR::lr_for(std::int64_t t, double base_lr) const {
  if (t < warmup_steps_)
    return base_lr *
           (start_factor_ + (1.0 - start_factor_) * static_cast<double>(t) / static_cast<double>(warmup_steps_));
  const double pct = static_cast<double>(std::min(t, total_steps_) - warmup_steps_) /
                     static_cast<double>(total_steps_ - warmup_steps_);
  return cosine_anneal(base_lr, eta_min_, pct);
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, std::int64_t total_steps, OneCycleOptions options)
    : LRScheduler(optimizer), max_lr_(max_lr), total_steps_(total_steps), options_(options) {
  TG_CHECK(max_lr >= 0.0 && total_steps > 0, ValueError,
           "OneCycleLR: max_lr must be >= 0 and total_steps positive, got {} and {}", max_lr, total_steps);
  TG_CHECK(
      options.pct_start > 0.0 && options.pct_start < 1.0 && options.div_factor > 0.0 && options.final_div_factor > 0.0,
      ValueError, "OneCycleLR: need pct_start in (0, 1) and positive div factors, got {}, {} and {}", options.pct_start,
      options.div_factor, options.final_div_factor);
  // Both phases must span some steps, or their progress would divide by zero.
  const double peak_step = options.pct_start * static_cast<double>(total_steps) - 1.0;
  TG_CHECK(peak_step > 0.0 && peak_step < static_cast<double>(total_steps) - 1.0, ValueError,
           "OneCycleLR: the peak (step pct_start * total_steps - 1 = {}) must lie strictly between 0 and total_steps - "
           "1 = {}",
           peak_step, total_steps - 1);
  set_step(0);
}

double OneCycleLR::lr_for(std::int64_t t, double /*base_lr: every group follows max_lr*/) const {
  TG_CHECK(t <= total_steps_, ValueError, "OneCycleLR: position {} is past total_steps {}", t, total_steps_);
  const double initial_lr = max_lr_ / options_.div_factor;
  const double min_lr = initial_lr / options_.final_div_factor;
  // PyTorch's phase ends: the peak at step pct_start * total_steps - 1, the minimum at total_steps - 1.
  const double peak_step = options_.pct_start * static_cast<double>(total_steps_) - 1.0;
  const double last_step = static_cast<double>(total_steps_) - 1.0;
  const double s = static_cast<double>(t);
  if (s <= peak_step) return cosine_anneal(initial_lr, max_lr_, s / peak_step);
  return cosine_anneal(max_lr_, min_lr, (s - peak_step) / (last_step - peak_step));
}

}  // namespace tg::nn
