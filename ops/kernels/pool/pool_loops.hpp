// Direct-loop pooling kernels over contiguous NCHW planes (each (n, c) plane independent,
// planes in parallel; every kernel writes all of its output).
//
// Window (i, j) covers rows i*sh - pad_h + u*dh (u < kH) and columns j*sw - pad_w + v*dw
// (v < kW); positions outside the input are padding.
#pragma once

#include <cstdint>

namespace tg::kernels {

struct PoolGeometry {
  std::int64_t planes = 1;  // N * C
  std::int64_t in_h = 1, in_w = 1;
  std::int64_t out_h = 1, out_w = 1;
  std::int64_t kernel_h = 1, kernel_w = 1;
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_h = 0, pad_w = 0;
  std::int64_t dilation_h = 1, dilation_w = 1;
  bool count_include_pad = true;
};

// Max over each window (padding counts as -inf); `argmax` receives the flat index r*W + q
// of the chosen element in its plane: the first maximum in row-major window order (a NaN
// wins, as in PyTorch); -1 if the window holds no input element (output -inf).
template <class T>
void max_pool2d_loops(const T* x, T* y, std::int64_t* argmax, const PoolGeometry& g);

// dx = 0, then dx[plane, argmax] += dy: the adjoint of picking the arg-max (indices outside
// the plane, such as -1, are skipped). Writes all of dx.
template <class T>
void max_pool2d_scatter_loops(const T* dy, const std::int64_t* argmax, T* dx, const PoolGeometry& g);

// The position of the first index outside [-1, plane_size) among n, or -1 if all are valid.
std::int64_t find_bad_plane_index(const std::int64_t* indices, std::int64_t n, std::int64_t plane_size);

// y[plane, o] = x[plane, indices[plane, o]] (0 where the index is -1); indices already valid.
template <class T>
void max_pool2d_select_loops(const T* x, const std::int64_t* indices, T* y, std::int64_t planes, std::int64_t plane_in,
                             std::int64_t plane_out);

// Mean over each window. The divisor is the window clipped to the padded input when
// count_include_pad, else the number of input elements in it (PyTorch's rule).
template <class T>
void avg_pool2d_loops(const T* x, T* y, const PoolGeometry& g);

// The adjoint of avg_pool2d_loops: every input element receives dy / divisor of each window
// that contains it.
template <class T>
void avg_pool2d_backward_loops(const T* dy, T* dx, const PoolGeometry& g);

// Adaptive average pooling: output cell i averages rows [floor(i*H/Ho), ceil((i+1)*H/Ho)).
template <class T>
void adaptive_avg_pool2d_loops(const T* x, T* y, const PoolGeometry& g);
template <class T>
void adaptive_avg_pool2d_backward_loops(const T* dy, T* dx, const PoolGeometry& g);

}  // namespace tg::kernels
