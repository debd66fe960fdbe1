// The channel kernels of batch_norm (ops/normalization/batch_norm.cpp): the forward map and
// the fused first-order backward, float32 and float64, at the widest SIMD width the CPU
// offers (the path follows layer_norm_rows.hpp's), for x laid out as [batch, channels,
// spatial] (NCHW with the spatial dims flattened, contiguous). Channel c is `batch` runs of
// `spatial` contiguous elements, one run per image.
//
// A channel's sums (mean, centred sum of squares, and the backward's sums of dy and
// dy * x_hat) run over its runs in order; each run is folded in chunks of at most
// kBatchNormChunk elements over kBatchNormLanes lanes in the element type (element j of a
// chunk goes to lane j % lanes, the lanes meet in a fixed tree), and every chunk's result
// is added in double. The lanes let the additions vectorise; the short chunks bound the
// rounding of a float32 lane to about 64 additions; the order depends on the shape alone,
// so a channel's result is the same for any thread count. Channels are independent.
#pragma once

#include <cstdint>

namespace tg::kernels {

inline constexpr int kBatchNormLanes = 16;
inline constexpr std::int64_t kBatchNormChunk = 1024;

struct ChannelLayout {
  std::int64_t batch = 0;
  std::int64_t channels = 0;
  std::int64_t spatial = 0;
  // The elements of one channel: the count its statistics are taken over.
  std::int64_t count() const { return batch * spatial; }
};

// For channels [first, last): mean and biased variance over the channel go to
// stats[2 c] and stats[2 c + 1]; y = (x - mean) / sqrt(var + eps) [* weight[c]] [+ bias[c]].
// weight and bias may be null; y must not overlap x.
template <class T>
struct BatchNormForwardChannels {
  const T* x = nullptr;
  const T* weight = nullptr;
  const T* bias = nullptr;
  T* y = nullptr;
  double* stats = nullptr;
  ChannelLayout layout{};
  double eps = 0.0;
};

// For channels [first, last), with x_hat = (x - mean) rstd from the forward's stats and
// M = layout.count():
//   dx = weight[c] rstd (dy - sum(dy) / M - x_hat sum(dy x_hat) / M),
//   dweight[c] = sum(dy x_hat),  dbias[c] = sum(dy).
// weight may be null (ones); dx, dweight and dbias may each be null (not wanted).
template <class T>
struct BatchNormBackwardChannels {
  const T* dy = nullptr;
  const T* x = nullptr;
  const T* weight = nullptr;
  const double* stats = nullptr;
  T* dx = nullptr;
  T* dweight = nullptr;
  T* dbias = nullptr;
  ChannelLayout layout{};
  double eps = 0.0;
};

void batch_norm_forward_channels(const BatchNormForwardChannels<float>& a, std::int64_t first, std::int64_t last);
void batch_norm_forward_channels(const BatchNormForwardChannels<double>& a, std::int64_t first, std::int64_t last);
void batch_norm_backward_channels(const BatchNormBackwardChannels<float>& a, std::int64_t first, std::int64_t last);
void batch_norm_backward_channels(const BatchNormBackwardChannels<double>& a, std::int64_t first, std::int64_t last);

namespace batch_norm_detail {
template <class T>
void forward_channels_avx2(const BatchNormForwardChannels<T>& a, std::int64_t first, std::int64_t last);
template <class T>
void forward_channels_avx512(const BatchNormForwardChannels<T>& a, std::int64_t first, std::int64_t last);
template <class T>
void backward_channels_avx2(const BatchNormBackwardChannels<T>& a, std::int64_t first, std::int64_t last);
template <class T>
void backward_channels_avx512(const BatchNormBackwardChannels<T>& a, std::int64_t first, std::int64_t last);
}  // namespace batch_norm_detail

}  // namespace tg::kernels
