// The row kernels of layer_norm (ops/normalization/): the forward map and the fused
// first-order backward over rows of n contiguous elements, float32 and float64, at the
// widest SIMD width the CPU offers (the path follows vec_activation.hpp's).
//
// Each row's sums (mean, centred sum of squares, and the backward's sums of dy_hat and
// dy_hat * x_hat) are accumulated in double over kLayerNormLanes fixed lanes: element j
// goes to lane j % kLayerNormLanes, each lane adds its elements in index order, and the
// lanes are combined in a fixed tree at the end. Independent lanes let the additions
// overlap in vector registers instead of waiting on one chain; the order depends on n
// alone, so every path (built with -ffp-contract=off) gives the same bits, for any layout
// and thread count. The backward's terms go to the double sums in pairs added in the
// element type (two elements of a row for its row sums, two rows for the parameter sums):
// half the widening, and still no error that grows with the count of terms
// (layer_norm_loops.hpp, for_each_pair_lane). The per-element maps (y, dx, and the
// products the backward sums) run in the element type; layer_norm_loops.hpp says why.
#pragma once

#include <cstdint>

namespace tg::kernels {

inline constexpr int kLayerNormLanes = 16;

// y = (x - mean) * rstd [* weight] [+ bias] for rows [0, rows) of x; weight and bias
// (n elements each) may be null; y must not overlap x. Where stats is given, row i's mean
// and rstd go to stats[2 i] and stats[2 i + 1] (for the backward).
template <class T>
struct LayerNormForwardRows {
  const T* x = nullptr;
  const T* weight = nullptr;
  const T* bias = nullptr;
  T* y = nullptr;
  double* stats = nullptr;
  std::int64_t rows = 0;
  std::int64_t n = 0;
  double eps = 0.0;
};

// For rows [0, rows): dx = rstd * (dy_hat - mean_j(dy_hat) - x_hat * mean_j(dy_hat * x_hat))
// with dy_hat = dy * weight (weight may be null: ones), and, where dweight_sum and
// dbias_sum are given (both or neither), dweight_sum[j] += dy * x_hat and
// dbias_sum[j] += dy, by pairs of rows from the first (BackwardRows in layer_norm_loops.hpp),
// so a caller that splits rows into calls must split them the same way for any thread count
// to keep the bits. dx may be null (only the parameter sums are wanted).
// stats: the rows' mean and rstd as the forward wrote them (LayerNormForwardRows::stats).
template <class T>
struct LayerNormBackwardRows {
  const T* dy = nullptr;
  const T* x = nullptr;
  const T* weight = nullptr;
  const double* stats = nullptr;
  T* dx = nullptr;
  double* dweight_sum = nullptr;
  double* dbias_sum = nullptr;
  std::int64_t rows = 0;
  std::int64_t n = 0;
};

void layer_norm_forward_rows(const LayerNormForwardRows<float>& a);
void layer_norm_forward_rows(const LayerNormForwardRows<double>& a);
void layer_norm_backward_rows(const LayerNormBackwardRows<float>& a);
void layer_norm_backward_rows(const LayerNormBackwardRows<double>& a);

namespace layer_norm_detail {
template <class T>
void forward_rows_avx2(const LayerNormForwardRows<T>& a);
template <class T>
void forward_rows_avx512(const LayerNormForwardRows<T>& a);
template <class T>
void backward_rows_avx2(const LayerNormBackwardRows<T>& a);
template <class T>
void backward_rows_avx512(const LayerNormBackwardRows<T>& a);
}  // namespace layer_norm_detail

}  // namespace tg::kernels
