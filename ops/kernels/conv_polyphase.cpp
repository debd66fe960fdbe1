// The ROT180 rule without the stride's zeros.
//
// With stride s, the dilated dy of the ROT180 rule is mostly zeros: of the k taps of the
// rotated kernel, only those that land on a non-zero of dy contribute to a given dx element,
// and which ones depends only on that element's position modulo s (its phase). For phase
// phi (per axis), with r = phi + s*t:
//   dx[r] = sum_{i, u : i*s + u*d - p = r} dy[i] w[u]
// needs (phi + p - u*d) = 0 mod s: the taps u = u0 + m*L, m < M, with L = s / gcd(s, d). Then
// i = t + e - m*D with e = (phi + p - u0*d) / s and D = L*d / s, so
//   dx_phi[t] = sum_m dy[t + m'*D - ((M-1)*D - e)] * w[u0 + (M-1-m')*L]   (m' = M-1-m):
// a stride-1 correlation of the undilated dy with the rotated sub-kernel at dilation D and
// padding (M-1)*D - e: the ROT180 rule restricted to one phase, run by the same forward
// routine. The s*s phases together do the work of one forward pass instead of s*s of it.
#include <algorithm>
#include <numeric>

#include "ops/kernels/conv_fast.hpp"
#include "ops/kernels/scratch.hpp"
#include "tensor/parallel.hpp"

namespace tg::kernels {

namespace {

// One axis of one phase: which taps, the correlation's dilation and padding, and how many
// dx positions (phase + s*t < size) it produces.
struct PhaseAxis {
  KernelTaps taps;
  std::int64_t dilation = 1, pad = 0, outputs = 0;
};

PhaseAxis phase_axis(std::int64_t phase, std::int64_t size, std::int64_t kernel, std::int64_t stride,
                     std::int64_t dilation, std::int64_t pad) {
  PhaseAxis a;
  a.outputs = phase < size ? (size - phase + stride - 1) / stride : 0;
  const std::int64_t step = stride / std::gcd(stride, dilation);
  std::int64_t first = 0;
  while (first < kernel && ((phase + pad - first * dilation) % stride + stride) % stride != 0) ++first;
  if (first >= kernel) return a;  // no tap reaches this phase: its dx is zero
  a.taps = {first, step, (kernel - first + step - 1) / step};
  const std::int64_t e = (phase + pad - first * dilation) / stride;  // exact
  a.dilation = step * dilation / stride;
  a.pad = (a.taps.count - 1) * a.dilation - e;
  return a;
}

}  // namespace

template <class T>
void conv2d_input_grad_polyphase(ConvForwardFn<T> forward, const T* dy, const T* w, T* dx, const ConvLoopGeometry& g) {
  const std::int64_t cout_g = g.out_channels / g.groups;
  const std::int64_t planes = g.batch * g.in_channels;
  ScratchLease lease;
  for (std::int64_t ph = 0; ph < g.stride_h; ++ph) {
    for (std::int64_t pw = 0; pw < g.stride_w; ++pw) {
      const PhaseAxis rows = phase_axis(ph, g.in_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top);
      const PhaseAxis cols = phase_axis(pw, g.in_w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_left);
      if (rows.outputs == 0 || cols.outputs == 0) continue;
      const std::int64_t phase_size = rows.outputs * cols.outputs;
      T* const dx_phase = lease.array<T>(planes * phase_size + g.in_channels * cout_g * rows.taps.count * cols.taps.count);
      if (rows.taps.count == 0 || cols.taps.count == 0) {
        std::fill(dx_phase, dx_phase + planes * phase_size, T(0));
      } else {
        T* const w_sub = dx_phase + planes * phase_size;
        rotate_kernel_taps(w, g, rows.taps, cols.taps, w_sub);
        ConvLoopGeometry back = input_grad_geometry(g, g.out_h, g.out_w, rows.taps, cols.taps, rows.dilation,
                                                    cols.dilation, rows.pad, cols.pad);
        back.out_h = rows.outputs;  // this phase's share of dx
        back.out_w = cols.outputs;
        forward(dy, w_sub, nullptr, dx_phase, back);
      }
      // Interleave: dx[.., ph + s*t, pw + s*q] = dx_phase[.., t, q].
      parallel_for(planes, std::max<std::int64_t>(1, 16384 / phase_size), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t plane = begin; plane < end; ++plane) {
          const T* src = dx_phase + plane * phase_size;
          T* dst = dx + plane * g.in_h * g.in_w;
          for (std::int64_t t = 0; t < rows.outputs; ++t) {
            T* row = dst + (ph + t * g.stride_h) * g.in_w + pw;
            for (std::int64_t q = 0; q < cols.outputs; ++q) row[q * g.stride_w] = src[t * cols.outputs + q];
          }
        }
      });
    }
  }
}

template void conv2d_input_grad_polyphase<float>(ConvForwardFn<float>, const float*, const float*, float*,
                                                 const ConvLoopGeometry&);
template void conv2d_input_grad_polyphase<double>(ConvForwardFn<double>, const double*, const double*, double*,
                                                  const ConvLoopGeometry&);

}  // namespace tg::kernels
