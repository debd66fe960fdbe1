// Conv1d, Conv2d and ConvTranspose2d layers over NCL / NCHW tensors (ops/conv.hpp does the math).
#pragma once

#include <cstdint>

#include "nn/modules/module.hpp"
#include "ops/conv.hpp"
#include "tensor/random.hpp"

namespace tg::nn {

// The parameters every convolution layer holds: weight [C_out, C_in / groups, kernel...]
// ([C_in, C_out / groups, kernel...] when transposed) and bias [C_out] or undefined, with
// PyTorch's default initialisation (fan_in taken from weight dim 1, as PyTorch does).
class ConvLayer : public Module {
 public:
  Tensor weight;
  Tensor bias;

 protected:
  struct Parameters {
    std::int64_t in_channels, out_channels, groups;
    Shape kernel_size;
    bool transposed = false;
    bool bias = true;
    DType dtype = DType::Float32;
  };
  ConvLayer(std::string name, const Parameters& parameters, Generator& gen);
};

struct Conv1dLayerOptions {
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
  std::int64_t groups = 1;
  bool bias = true;
  DType dtype = DType::Float32;
};

// weight [C_out, C_in / groups, K], bias [C_out]; input [N, C_in, L].
class Conv1d : public ConvLayer {
 public:
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Conv1dLayerOptions options = {},
         Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  std::int64_t in_channels_, out_channels_, kernel_size_;
  Conv1dLayerOptions options_;
};

struct Conv2dLayerOptions {
  Pair2 stride = 1;
  Pair2 padding = 0;
  Pair2 dilation = 1;
  std::int64_t groups = 1;
  bool bias = true;
  DType dtype = DType::Float32;
};

// weight [C_out, C_in / groups, kH, kW], bias [C_out]; PyTorch's default initialisation.
class Conv2d : public ConvLayer {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Pair2 kernel_size, Conv2dLayerOptions options = {},
         Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  std::int64_t in_channels_, out_channels_;
  Pair2 kernel_size_;
  Conv2dLayerOptions options_;
};

struct ConvTranspose2dLayerOptions {
  Pair2 stride = 1;
  Pair2 padding = 0;
  Pair2 output_padding = 0;
  Pair2 dilation = 1;
  std::int64_t groups = 1;
  bool bias = true;
  DType dtype = DType::Float32;
};

// weight [C_in, C_out / groups, kH, kW], bias [C_out]; PyTorch's default initialisation
// (fan_in taken from weight dim 1, as PyTorch does).
class ConvTranspose2d : public ConvLayer {
 public:
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, Pair2 kernel_size,
                  ConvTranspose2dLayerOptions options = {}, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  std::int64_t in_channels_, out_channels_;
  Pair2 kernel_size_;
  ConvTranspose2dLayerOptions options_;
};

}  // namespace tg::nn
