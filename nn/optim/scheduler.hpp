// Learning-rate schedulers: call step() once per epoch (after the optimizer steps of that
// epoch); lr_at(epoch) gives the closed form used, so schedules are easy to check.
#pragma once

#include <cstdint>

#include "nn/optim/optimizer.hpp"

namespace tg::nn {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  virtual double lr_at(std::int64_t epoch) const = 0;
  void step();                         // epoch += 1, sets the optimizer's lr
  void set_epoch(std::int64_t epoch);  // for resuming
  std::int64_t epoch() const { return epoch_; }
  double base_lr() const { return base_lr_; }

 protected:
  Optimizer& optimizer_;
  double base_lr_;
  std::int64_t epoch_ = 0;
};

// lr = base_lr * gamma^(floor(epoch / step_size)).
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
  double lr_at(std::int64_t epoch) const override;

 private:
  std::int64_t step_size_;
  double gamma_;
};

// lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / t_max)) / 2, constant eta_min after t_max.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);
  double lr_at(std::int64_t epoch) const override;

 private:
  std::int64_t t_max_;
  double eta_min_;
};

}  // namespace tg::nn
