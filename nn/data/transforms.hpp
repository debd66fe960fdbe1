// Preprocessing and data augmentation of images [C, H, W], as torchvision's transforms do.
// A random transform draws every choice from the generator it is handed. The DataLoader
// hands each sample a generator of its own, seeded from (seed, epoch, index of the sample in
// the data set), so the augmented batches are the same bits whatever the thread count, the
// batch size or the prefetching (nn/data/data.hpp). Each transform returns a new tensor and
// never writes its input.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "tensor/random.hpp"
#include "tensor/tensor.hpp"

namespace tg::nn {

// One sample in, one sample out; `gen` is the sample's own stream.
using SampleTransform = std::function<Tensor(const Tensor& sample, Generator& gen)>;

// (x - mean[c]) / std[c] over the channel dim of [C, H, W] images or [N, C, H, W] batches
// (dim -3). A single mean and std apply to every element of any shape. Float dtypes.
struct Normalize {
  std::vector<double> mean{0.0};
  std::vector<double> std{1.0};
  Tensor operator()(const Tensor& x) const;
  Tensor operator()(const Tensor& x, Generator& /*unused*/) const { return (*this)(x); }
};

// Pads each side by `padding` with `fill`, then cuts a `height` x `width` window at a
// random offset (top, then left, each uniform over the positions that fit).
struct RandomCrop {
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::int64_t padding = 0;
  double fill = 0.0;
  Tensor operator()(const Tensor& image, Generator& gen) const;
};

// Mirrors the image left to right with probability p (one uniform draw per sample).
struct RandomHorizontalFlip {
  double p = 0.5;
  Tensor operator()(const Tensor& image, Generator& gen) const;
};

// Random erasing (Zhong et al., arXiv 1708.04896), torchvision's algorithm: with
// probability p, up to 10 tries to draw a rectangle of area U(scale_min, scale_max) * H * W
// and aspect ratio exp(U(log ratio_min, log ratio_max)), rounded to h x w; the first that
// fits strictly inside (h < H and w < W) is filled with `value` in every channel, at a
// uniform position. No try fits: the image is returned unchanged.
struct RandomErasing {
  double p = 0.5;
  double scale_min = 0.02;
  double scale_max = 0.33;
  double ratio_min = 0.3;
  double ratio_max = 3.3;
  double value = 0.0;
  Tensor operator()(const Tensor& image, Generator& gen) const;
};

// The transforms in order, all drawing from the one sample generator.
class Compose {
 public:
  explicit Compose(std::vector<SampleTransform> transforms);
  Tensor operator()(const Tensor& sample, Generator& gen) const;

 private:
  std::vector<SampleTransform> transforms_;
};

}  // namespace tg::nn
