#include "nn/optim/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tg::nn {

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer), base_lr_(optimizer.lr()) {}

void LRScheduler::step() { set_epoch(epoch_ + 1); }

void LRScheduler::set_epoch(std::int64_t epoch) {
  TG_CHECK(epoch >= 0, ValueError, "LRScheduler: epoch must be >= 0, got {}", epoch);
  epoch_ = epoch;
  optimizer_.set_lr(lr_at(epoch));
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  TG_CHECK(step_size > 0 && gamma > 0.0, ValueError, "StepLR: step_size and gamma must be positive, got {} and {}",
           step_size, gamma);
}

double StepLR::lr_at(std::int64_t epoch) const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  TG_CHECK(t_max > 0, ValueError, "CosineAnnealingLR: t_max must be positive, got {}", t_max);
}

double CosineAnnealingLR::lr_at(std::int64_t epoch) const {
  const double e = static_cast<double>(std::min(epoch, t_max_));
  return eta_min_ + (base_lr_ - eta_min_) * (1.0 + std::cos(std::numbers::pi * e / static_cast<double>(t_max_))) / 2.0;
}

}  // namespace tg::nn
