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
#include <vector>

#include "ops/kernels/conv/conv_dispatch.hpp"
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
  if (conv2d_input_grad_trivial(dx, g)) return;
  const std::int64_t sh = g.stride_h, sw = g.stride_w;
  const std::int64_t plane = g.in_h * g.in_w;
  const std::int64_t kernel_stride = g.in_channels * g.cout_g();  // per tap of a sub-kernel
  // Each phase's correlation, over one image, writing the phase's elements of dx,
  // dx[.., ph + s*t, pw + s*q], in place through a strided output layout. Every tap
  // belongs to one phase per axis, so the rotated sub-kernels together fill one kernel.
  struct Phase {
    ConvLoopGeometry back;
    std::int64_t dx_offset = 0, w_offset = 0;
    bool live = false;  // some tap reaches it; else its elements are zero
  };
  std::vector<Phase> phases;
  ScratchLease lease;
  T* const w_sub = lease.array<T>(kernel_stride * g.kernel_h * g.kernel_w);
  std::int64_t w_used = 0;
  for (std::int64_t ph = 0; ph < sh; ++ph) {
    for (std::int64_t pw = 0; pw < sw; ++pw) {
      const PhaseAxis rows = phase_axis(ph, g.in_h, g.kernel_h, sh, g.dilation_h, g.pad_top);
      const PhaseAxis cols = phase_axis(pw, g.in_w, g.kernel_w, sw, g.dilation_w, g.pad_left);
      if (rows.outputs == 0 || cols.outputs == 0) continue;
      Phase phase;
      phase.back = input_grad_geometry(g, g.out_h, g.out_w, rows.taps, cols.taps, rows.dilation, cols.dilation,
                                       rows.pad, cols.pad);
      phase.back.batch = 1;
      phase.back.out_h = rows.outputs;
      phase.back.out_w = cols.outputs;
      phase.back.y_plane = plane;
      phase.back.y_row = sh * g.in_w;
      phase.back.y_col = sw;
      phase.dx_offset = ph * g.in_w + pw;
      phase.live = rows.taps.count > 0 && cols.taps.count > 0;
      if (phase.live) {
        phase.w_offset = w_used;
        rotate_kernel_taps(w, g, rows.taps, cols.taps, w_sub + w_used);
        w_used += kernel_stride * rows.taps.count * cols.taps.count;
      }
      phases.push_back(phase);
    }
  }
  // Image by image, so that the phases of one image's dx meet in cache. Where some phase
  // is out of every tap's reach (a 1x1 kernel with stride 2 reaches one phase in four), the
  // image is zeroed first in one sweep and the live phases written over it.
  const bool some_dead = std::any_of(phases.begin(), phases.end(), [](const Phase& p) { return !p.live; });
  const std::int64_t dy_image = g.out_channels * g.out_h * g.out_w;
  const std::int64_t dx_image = g.in_channels * plane;
  parallel_for(g.batch, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t n = begin; n < end; ++n) {
      if (some_dead) std::fill(dx + n * dx_image, dx + (n + 1) * dx_image, T(0));
      for (const Phase& phase : phases) {
        if (phase.live) {
          forward(dy + n * dy_image, w_sub + phase.w_offset, nullptr, dx + n * dx_image + phase.dx_offset, phase.back);
        }
      }
    }
  });
}

template void conv2d_input_grad_polyphase<float>(ConvForwardFn<float>, const float*, const float*, float*,
                                                 const ConvLoopGeometry&);
template void conv2d_input_grad_polyphase<double>(ConvForwardFn<double>, const double*, const double*, double*,
                                                  const ConvLoopGeometry&);

}  // namespace tg::kernels
