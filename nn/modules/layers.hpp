// Parameter-free layers and the batch norms: thin Module wrappers over ops and nn::functional.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/functional.hpp"
#include "nn/modules/module.hpp"
#include "ops/conv.hpp"
#include "tensor/random.hpp"

namespace tg::nn {

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Pool2dOptions options = {}) : Module("MaxPool2d"), options_(options) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  Pool2dOptions options_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Pool2dOptions options = {}) : Module("AvgPool2d"), options_(options) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  Pool2dOptions options_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Pair2 output_size) : Module("AdaptiveAvgPool2d"), output_size_(output_size) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  Pair2 output_size_;
};

struct BatchNormLayerOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool affine = true;               // learnable weight (init 1) and bias (init 0)
  bool track_running_stats = true;  // buffers running_mean, running_var, num_batches_tracked
  DType dtype = DType::Float32;
};
using BatchNorm1dOptions = BatchNormLayerOptions;
using BatchNorm2dOptions = BatchNormLayerOptions;

// Per-channel normalisation over every dim but 1: batch statistics in training (and running
// statistics updated), running statistics in eval. BatchNorm1d and BatchNorm2d differ only
// in the input ranks they accept.
class BatchNorm : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Tensor weight, bias;                                    // undefined unless affine
  Tensor running_mean, running_var, num_batches_tracked;  // undefined unless tracked

 protected:
  // `layouts` names the accepted inputs with "{}" for the channel count, one per rank in
  // `ranks`, e.g. "[N, {}, H, W]".
  BatchNorm(std::string name, std::int64_t num_features, BatchNormLayerOptions options, std::vector<std::int64_t> ranks,
            std::string layouts);

 private:
  std::int64_t num_features_;
  BatchNormLayerOptions options_;
  std::vector<std::int64_t> ranks_;
  std::string layouts_;
};

// Input [N, C] or [N, C, L].
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(std::int64_t num_features, BatchNorm1dOptions options = {})
      : BatchNorm("BatchNorm1d", num_features, options, {2, 3}, "[N, {0}] or [N, {0}, L]") {}
};

// Input [N, C, H, W].
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(std::int64_t num_features, BatchNorm2dOptions options = {})
      : BatchNorm("BatchNorm2d", num_features, options, {4}, "[N, {0}, H, W]") {}
};

// Dropout. Masks come from a stream of the module's own: forked off tg::default_generator()
// at construction (so tg::manual_seed decides it and two Dropouts never draw the same
// masks), or the generator (or seed) the caller passes, independent of manual_seed.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Dropout(double p, Generator generator);
  Dropout(double p, std::uint64_t seed) : Dropout(p, Generator(seed)) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  double p_;
  Generator gen_;
};

class Flatten : public Module {
 public:
  explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1)
      : Module("Flatten"), start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor forward(const Tensor& x) override { return functional::flatten(x, start_dim_, end_dim_); }
  std::string describe() const override;

 private:
  std::int64_t start_dim_, end_dim_;
};

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : Module("LeakyReLU"), slope_(negative_slope) {}
  Tensor forward(const Tensor& x) override { return functional::leaky_relu(x, slope_); }
  std::string describe() const override;

 private:
  double slope_;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override;
};

class Softmax : public Module {
 public:
  explicit Softmax(std::int64_t dim) : Module("Softmax"), dim_(dim) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  std::int64_t dim_;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(std::int64_t dim) : Module("LogSoftmax"), dim_(dim) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  std::int64_t dim_;
};

}  // namespace tg::nn
