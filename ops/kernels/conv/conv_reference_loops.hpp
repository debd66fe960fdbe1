// Direct-loop convolution kernels: the simple, obviously correct implementations every
// faster convolution path is tested against (the test oracle of the conv ops).
//
// Geometry (cross-correlation, NCHW, contiguous buffers):
//   y[n, k, i, j] = b[k] + sum_{c, u, v} w[k, c, u, v] * x[n, g*Cg + c, i*sh + u*dh - pad_top,
//                                                                      j*sw + v*dw - pad_left]
// where g = k / (C_out / groups) and Cg = C_in / groups. Reads outside [0, H) x [0, W) are
// zero, so pad_top / pad_left may be negative (a crop) and the output size is free: rows the
// window never reaches from the input are simply zero-padded. This lets the input gradient
// use this same routine (see conv2d_input_grad_rot180).
#pragma once

#include <algorithm>
#include <cstdint>

namespace tg::kernels {

struct ConvLoopGeometry {
  std::int64_t batch = 1;
  std::int64_t in_channels = 1;
  std::int64_t in_h = 1, in_w = 1;
  std::int64_t out_channels = 1;
  std::int64_t kernel_h = 1, kernel_w = 1;
  std::int64_t groups = 1;
  std::int64_t out_h = 1, out_w = 1;
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t pad_top = 0, pad_left = 0;  // may be negative
  // Where y[n, k, i, j] is stored: y + (n * C_out + k) * y_plane + i * y_row + j * y_col.
  // Zero y_plane / y_row mean dense NCHW (out_h * out_w, out_w). A strided layout lets the
  // input gradient write each stride phase of dx in place (conv_polyphase.cpp).
  std::int64_t y_plane = 0, y_row = 0, y_col = 1;

  std::int64_t cin_g() const { return in_channels / groups; }          // input channels per group
  std::int64_t cout_g() const { return out_channels / groups; }        // output channels per group
  std::int64_t kdim() const { return cin_g() * kernel_h * kernel_w; }  // multiply-adds per output
};

inline std::int64_t y_plane_stride(const ConvLoopGeometry& g) { return g.y_plane != 0 ? g.y_plane : g.out_h * g.out_w; }
inline std::int64_t y_row_stride(const ConvLoopGeometry& g) { return g.y_row != 0 ? g.y_row : g.out_w; }
inline bool dense_output(const ConvLoopGeometry& g) {
  return y_plane_stride(g) == g.out_h * g.out_w && y_row_stride(g) == g.out_w && g.y_col == 1;
}
// A 1x1 kernel that reads every input pixel once, where it lies: each row of the im2col
// matrix is an input plane.
inline bool pointwise(const ConvLoopGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 &&
         g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}
inline ConvLoopGeometry with_dense_output(ConvLoopGeometry g) {
  g.y_plane = 0;
  g.y_row = 0;
  g.y_col = 1;
  return g;
}

// Convolutions with nothing to compute, finished before a path's blocking arithmetic, which
// divides by the batch, the planes and the channel blocks (and sizes scratch memory from
// them). Each returns true when it has written the whole result: there are no result
// elements, or every result element is a sum over no terms (no input elements, or an empty
// dy), so it is the bias or zero. The kernels' entry points call them first.
inline std::int64_t conv_input_elements(const ConvLoopGeometry& g) { return g.batch * g.in_channels * g.in_h * g.in_w; }
inline std::int64_t conv_output_elements(const ConvLoopGeometry& g) {
  return g.batch * g.out_channels * g.out_h * g.out_w;
}

// y = the bias (zero without one), in g's output layout, when x or y is empty.
template <class T>
bool conv2d_forward_trivial(const T* b, T* y, const ConvLoopGeometry& g) {
  if (conv_output_elements(g) == 0) return true;
  if (conv_input_elements(g) != 0) return false;
  const std::int64_t y_plane = y_plane_stride(g), y_row = y_row_stride(g);
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t k = 0; k < g.out_channels; ++k) {
      T* plane = y + (n * g.out_channels + k) * y_plane;
      for (std::int64_t i = 0; i < g.out_h; ++i) {
        for (std::int64_t j = 0; j < g.out_w; ++j) plane[i * y_row + j * g.y_col] = b != nullptr ? b[k] : T(0);
      }
    }
  }
  return true;
}

// dx [N, C_in, H, W] of the forward geometry g = zero when dx or dy is empty.
template <class T>
bool conv2d_input_grad_trivial(T* dx, const ConvLoopGeometry& g) {
  if (conv_input_elements(g) == 0) return true;
  if (conv_output_elements(g) != 0) return false;
  std::fill(dx, dx + conv_input_elements(g), T(0));
  return true;
}

// dw [C_out, C_in/groups, kH, kW] = zero when dw, x or dy is empty (an empty batch adds nothing).
template <class T>
bool conv2d_weight_grad_trivial(T* dw, const ConvLoopGeometry& g) {
  const std::int64_t dw_elements = g.out_channels * g.kdim();
  if (dw_elements == 0) return true;
  if (conv_input_elements(g) != 0 && conv_output_elements(g) != 0) return false;
  std::fill(dw, dw + dw_elements, T(0));
  return true;
}

// One output plane, dense [out_h][out_w] in `src`, plus `bias`, stored in g's output layout.
template <class T>
void store_plane(const T* src, T bias, T* dst, const ConvLoopGeometry& g) {
  if (dense_output(g)) {
    for (std::int64_t e = 0; e < g.out_h * g.out_w; ++e) dst[e] = src[e] + bias;
    return;
  }
  const std::int64_t y_row = y_row_stride(g);
  for (std::int64_t i = 0; i < g.out_h; ++i, src += g.out_w) {
    for (std::int64_t j = 0; j < g.out_w; ++j) dst[i * y_row + j * g.y_col] = src[j] + bias;
  }
}

// y [N, C_out, out_h, out_w] = correlation of x [N, C_in, H, W] with w [C_out, C_in/groups,
// kH, kW], plus b [C_out] when b is not null. Parallel over (n, k); each output element is
// summed in the fixed order (c, u, v), so results do not depend on the thread count.
template <class T>
void conv2d_reference_loops(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);

// Every step-th tap of one kernel axis, starting at `first`: first, first + step, ...
struct KernelTaps {
  std::int64_t first = 0, step = 1, count = 0;
};

// The chosen taps of w [C_out, C_in/groups, kH, kW], rotated by 180 degrees, with C_in and
// C_out swapped within each group: dst [C_in, C_out/groups, rows.count, cols.count] with
//   dst[g*Cg + c, k', m, n] = w[g*Kg + k', c, rows.first + (rows.count-1-m)*rows.step,
//                                                cols.first + (cols.count-1-n)*cols.step].
// All taps ({0, 1, kH} and {0, 1, kW}) give the kernel of the ROT180 rule.
template <class T>
void rotate_kernel_taps(const T* w, const ConvLoopGeometry& g, KernelTaps rows, KernelTaps cols, T* dst);

// The correlation that maps dy back to dx (channel roles swapped, dy as its input, an
// in_h x in_w output), with the given kernel extent, dilation and top/left padding, stride 1.
ConvLoopGeometry input_grad_geometry(const ConvLoopGeometry& g, std::int64_t dy_h, std::int64_t dy_w, KernelTaps rows,
                                     KernelTaps cols, std::int64_t dilation_h, std::int64_t dilation_w,
                                     std::int64_t pad_top, std::int64_t pad_left);

// The correlation the ROT180 rule runs for g (see conv2d_input_grad_via): the dilated dy as its
// input, the rotated kernel, stride 1, and dx as its output.
ConvLoopGeometry rot180_geometry(const ConvLoopGeometry& g);

// A forward convolution routine: conv2d_reference_loops, or the fast conv2d_fast.
template <class T>
using ConvForwardFn = void (*)(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);

// The ROT180 rule, computed by any forward routine. Given dy [N, C_out, out_h, out_w] of the forward geometry `g` (with
// pad_top/pad_left = the forward padding p), writes dx [N, C_in, H, W]:
//   dy is dilated by the stride (s-1 zeros between elements), padded by d*(k-1) - p on the
//   top/left (a crop where negative) and up to H on the bottom/right, then correlated with
//   the kernel rotated by 180 degrees with C_in and C_out swapped per group, with stride 1
//   and the forward dilation, by `forward`.
template <class T>
void conv2d_input_grad_via(ConvForwardFn<T> forward, const T* dy, const T* w, T* dx, const ConvLoopGeometry& g);

// The ROT180 rule computed by conv2d_reference_loops: the oracle for the fast paths.
template <class T>
void conv2d_input_grad_rot180(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g) {
  conv2d_input_grad_via<T>(&conv2d_reference_loops<T>, dy, w, dx, g);
}

// dw [C_out, C_in/groups, kH, kW] = valid correlation of the padded input with the
// dilated output gradient, summed over the batch:
//   dw[k, c, u, v] = sum_{n, i, j} dy[n, k, i, j] * x[n, g*Cg + c, i*sh + u*dh - p, j*sw + v*dw - p].
// Parallel over (k, c); each element is summed in the fixed order (n, i, j).
template <class T>
void conv2d_weight_grad_loops(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g);

}  // namespace tg::kernels
