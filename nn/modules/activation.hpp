// Activation modules for sequence and attention models: thin Module wrappers over the
// activation ops (ops/elementwise.hpp), configured like their PyTorch namesakes.
#pragma once

#include <string>

#include "nn/modules/module.hpp"
#include "ops/elementwise.hpp"

namespace tg::nn {

class GELU : public Module {
 public:
  explicit GELU(GeluApproximate approximate = GeluApproximate::None) : Module("GELU"), approximate_(approximate) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  GeluApproximate approximate_;
};

class SiLU : public Module {
 public:
  SiLU() : Module("SiLU") {}
  Tensor forward(const Tensor& x) override;
};

class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0) : Module("ELU"), alpha_(alpha) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  double alpha_;
};

class Softplus : public Module {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0)
      : Module("Softplus"), beta_(beta), threshold_(threshold) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  double beta_, threshold_;
};

}  // namespace tg::nn
