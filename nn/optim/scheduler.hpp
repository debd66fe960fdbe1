// Learning-rate schedulers. step() advances a counter by one and sets every parameter
// group's lr; the counter counts epochs when step() is called once per epoch (StepLR,
// CosineAnnealingLR as usually used) or optimizer steps when it is called after each
// optimizer step (LinearWarmupCosineLR, OneCycleLR). lr_at(t) gives the closed form used,
// so schedules are easy to check. Each group follows the schedule from its own base lr (its
// lr when the scheduler was made), as in PyTorch.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/optim/optimizer.hpp"

namespace tg::nn {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  // The first group's lr at position t.
  double lr_at(std::int64_t t) const { return lr_for(t, base_lrs_.front()); }
  void step();                    // position += 1, sets the optimizer's lrs
  void set_step(std::int64_t t);  // for resuming: position = t, sets the optimizer's lrs
  std::int64_t step_count() const { return position_; }
  // The per-epoch names of the same position.
  void set_epoch(std::int64_t epoch) { set_step(epoch); }
  std::int64_t epoch() const { return position_; }
  double base_lr() const { return base_lrs_.front(); }
  const std::vector<double>& base_lrs() const { return base_lrs_; }

 protected:
  // The lr at position t of a group whose base lr is base_lr.
  virtual double lr_for(std::int64_t t, double base_lr) const = 0;

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  std::int64_t position_ = 0;
};

// lr = base_lr * gamma^(floor(epoch / step_size)).
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);

 protected:
  double lr_for(std::int64_t epoch, double base_lr) const override;

 private:
  std::int64_t step_size_;
  double gamma_;
};

// lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / t_max)) / 2, constant eta_min after t_max.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);

 protected:
  double lr_for(std::int64_t epoch, double base_lr) const override;

 private:
  std::int64_t t_max_;
  double eta_min_;
};

// Stepped once per optimizer step. Warmup, t < warmup_steps: lr = base_lr (f + (1 - f) t /
// warmup_steps) with f = start_factor, so it rises linearly from f base_lr to base_lr; then
// lr = eta_min + (base_lr - eta_min) (1 + cos(pi (t - warmup_steps) / (total_steps -
// warmup_steps))) / 2, reaching eta_min at total_steps and staying there. Sets the
// optimizer's lr to lr_at(0) on construction.
class LinearWarmupCosineLR : public LRScheduler {
 public:
  LinearWarmupCosineLR(Optimizer& optimizer, std::int64_t warmup_steps, std::int64_t total_steps, double eta_min = 0.0,
                       double start_factor = 0.0);

 protected:
  double lr_for(std::int64_t t, double base_lr) const override;

 private:
  std::int64_t warmup_steps_, total_steps_;
  double eta_min_, start_factor_;
};

struct OneCycleOptions {
  double pct_start = 0.3;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
};

// PyTorch's OneCycleLR (two phases, cosine annealing), stepped once per optimizer step,
// for every group alike: the lr rises from max_lr / div_factor to max_lr over the first
// pct_start * total_steps - 1 steps, then falls to max_lr / (div_factor * final_div_factor)
// at step total_steps - 1; each phase anneals a -> b as b + (a - b) (1 + cos(pi pct)) / 2.
// Positions past total_steps throw, as in PyTorch. Only the lr is scheduled: momentum (or
// Adam's beta1) is not cycled. Sets the optimizer's lr to lr_at(0) on construction.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, double max_lr, std::int64_t total_steps, OneCycleOptions options = {});

 protected:
  double lr_for(std::int64_t t, double base_lr) const override;

 private:
  double max_lr_;
  std::int64_t total_steps_;
  OneCycleOptions options_;
};

}  // namespace tg::nn
