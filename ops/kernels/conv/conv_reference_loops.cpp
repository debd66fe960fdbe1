#include "ops/kernels/conv/conv_reference_loops.hpp"

#include <algorithm>

#include "ops/kernels/scratch.hpp"
#include "tensor/parallel.hpp"

namespace tg::kernels {

namespace {
// Enough work per parallel chunk to amortise scheduling (about 32K multiply-adds).
std::int64_t grain_for(std::int64_t work_per_item) {
  return std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(work_per_item, 1));
}
}  // namespace

template <class T>
void conv2d_reference_loops(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g) {
  const std::int64_t cin_g = g.cin_g();
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t plane = g.out_h * g.out_w;
  const std::int64_t items = g.batch * g.out_channels;
  const std::int64_t y_plane = y_plane_stride(g), y_row = y_row_stride(g);
  parallel_for(items, grain_for(plane * cin_g * g.kernel_h * g.kernel_w), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t item = begin; item < end; ++item) {
      const std::int64_t n = item / g.out_channels;
      const std::int64_t k = item % g.out_channels;
      const std::int64_t c0 = (k / cout_g) * cin_g;
      T* yk = y + item * y_plane;
      for (std::int64_t i = 0; i < g.out_h; ++i) {
        for (std::int64_t j = 0; j < g.out_w; ++j) {
          T acc = b != nullptr ? b[k] : T(0);
          for (std::int64_t c = 0; c < cin_g; ++c) {
            const T* xc = x + (n * g.in_channels + c0 + c) * g.in_h * g.in_w;
            const T* wc = w + (k * cin_g + c) * g.kernel_h * g.kernel_w;
            for (std::int64_t u = 0; u < g.kernel_h; ++u) {
              const std::int64_t r = i * g.stride_h + u * g.dilation_h - g.pad_top;
              if (r < 0 || r >= g.in_h) continue;
              for (std::int64_t v = 0; v < g.kernel_w; ++v) {
                const std::int64_t q = j * g.stride_w + v * g.dilation_w - g.pad_left;
                if (q < 0 || q >= g.in_w) continue;
                acc += wc[u * g.kernel_w + v] * xc[r * g.in_w + q];
              }
            }
          }
          yk[i * y_row + j * g.y_col] = acc;
        }
      }
    }
  });
}

template <class T>
void rotate_kernel_taps(const T* w, const ConvLoopGeometry& g, KernelTaps rows, KernelTaps cols, T* dst) {
  const std::int64_t cin_g = g.cin_g();
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kk = g.kernel_h * g.kernel_w;
  const std::int64_t taps = rows.count * cols.count;
  // All taps (the ROT180 rule's kernel): rotating by 180 degrees reverses the kH x kW block.
  const bool all_taps = rows.first == 0 && rows.step == 1 && rows.count == g.kernel_h && cols.first == 0 &&
                        cols.step == 1 && cols.count == g.kernel_w;
  // One task per (group, input channel): a contiguous run of dst, read across w's output
  // channels (large kernels of 512 x 512 channels take milliseconds on one thread).
  parallel_for(g.groups * cin_g, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, cout_g * taps)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t task = begin; task < end; ++task) {
                   const std::int64_t grp = task / cin_g, c = task % cin_g;
                   T* out = dst + task * cout_g * taps;
                   for (std::int64_t kl = 0; kl < cout_g; ++kl) {
                     const T* src = w + ((grp * cout_g + kl) * cin_g + c) * kk;
                     if (all_taps) {
                       std::reverse_copy(src, src + kk, out);
                       out += kk;
                       continue;
                     }
                     for (std::int64_t m = 0; m < rows.count; ++m) {
                       const std::int64_t u = rows.first + (rows.count - 1 - m) * rows.step;
                       for (std::int64_t n = 0; n < cols.count; ++n) {
                         const std::int64_t v = cols.first + (cols.count - 1 - n) * cols.step;
                         *out++ = src[u * g.kernel_w + v];
                       }
                     }
                   }
                 }
               });
}

template <class T>
void conv2d_input_grad_via(ConvForwardFn<T> forward, const T* dy, const T* w, T* dx, const ConvLoopGeometry& g) {
  if (conv2d_input_grad_trivial(dx, g)) return;
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kk = g.kernel_h * g.kernel_w;
  ScratchLease lease;

  // dy dilated by the stride: s-1 zeros between neighbouring elements (dy itself for stride 1),
  // the input of the rule's correlation.
  const ConvLoopGeometry back = rot180_geometry(g);
  const std::int64_t dil_h = back.in_h, dil_w = back.in_w;
  const std::int64_t planes = g.batch * g.out_channels;
  const std::int64_t w_rot_size = g.in_channels * cout_g * kk;
  const bool dilate = g.stride_h > 1 || g.stride_w > 1;
  T* const w_rot = lease.array<T>(w_rot_size + (dilate ? planes * dil_h * dil_w : 0));
  const T* dy_dilated = dy;
  if (dilate) {
    T* const buf = w_rot + w_rot_size;
    parallel_for(planes, grain_for(dil_h * dil_w), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t nk = begin; nk < end; ++nk) {
        T* plane = buf + nk * dil_h * dil_w;
        std::fill(plane, plane + dil_h * dil_w, T(0));
        for (std::int64_t i = 0; i < g.out_h; ++i) {
          for (std::int64_t j = 0; j < g.out_w; ++j) {
            plane[i * g.stride_h * dil_w + j * g.stride_w] = dy[(nk * g.out_h + i) * g.out_w + j];
          }
        }
      }
    });
    dy_dilated = buf;
  }

  // The kernel rotated by 180 degrees, channel axes swapped within each group:
  //   w_rot[g*Cg + c, k', u, v] = w[g*Kg + k', c, kH-1-u, kW-1-v]   (shape [C_in, C_out/groups, kH, kW]).
  rotate_kernel_taps(w, g, {0, 1, g.kernel_h}, {0, 1, g.kernel_w}, w_rot);

  forward(dy_dilated, w_rot, nullptr, dx, back);
}

ConvLoopGeometry rot180_geometry(const ConvLoopGeometry& g) {
  // A stride-1 correlation with the forward dilation. The top/left padding d*(k-1) - p may be
  // negative (a crop); asking for an H x W output pads the bottom/right as far as needed,
  // including the trailing rows the strided forward window never reached.
  return input_grad_geometry(g, (g.out_h - 1) * g.stride_h + 1, (g.out_w - 1) * g.stride_w + 1, {0, 1, g.kernel_h},
                             {0, 1, g.kernel_w}, g.dilation_h, g.dilation_w,
                             g.dilation_h * (g.kernel_h - 1) - g.pad_top, g.dilation_w * (g.kernel_w - 1) - g.pad_left);
}

ConvLoopGeometry input_grad_geometry(const ConvLoopGeometry& g, std::int64_t dy_h, std::int64_t dy_w, KernelTaps rows,
                                     KernelTaps cols, std::int64_t dilation_h, std::int64_t dilation_w,
                                     std::int64_t pad_top, std::int64_t pad_left) {
  ConvLoopGeometry back;
  back.batch = g.batch;
  back.in_channels = g.out_channels;
  back.in_h = dy_h;
  back.in_w = dy_w;
  back.out_channels = g.in_channels;
  back.kernel_h = rows.count;
  back.kernel_w = cols.count;
  back.groups = g.groups;
  back.out_h = g.in_h;
  back.out_w = g.in_w;
  back.dilation_h = dilation_h;
  back.dilation_w = dilation_w;
  back.pad_top = pad_top;
  back.pad_left = pad_left;
  return back;
}

template <class T>
void conv2d_weight_grad_loops(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g) {
  const std::int64_t cin_g = g.cin_g();
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kk = g.kernel_h * g.kernel_w;
  const std::int64_t items = g.out_channels * cin_g;
  parallel_for(items, grain_for(g.batch * g.out_h * g.out_w * kk), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t item = begin; item < end; ++item) {
      const std::int64_t k = item / cin_g;
      const std::int64_t c = (k / cout_g) * cin_g + item % cin_g;
      T* dwkc = dw + item * kk;
      for (std::int64_t u = 0; u < g.kernel_h; ++u) {
        for (std::int64_t v = 0; v < g.kernel_w; ++v) {
          T acc = T(0);
          for (std::int64_t n = 0; n < g.batch; ++n) {
            const T* xc = x + (n * g.in_channels + c) * g.in_h * g.in_w;
            const T* dyk = dy + (n * g.out_channels + k) * g.out_h * g.out_w;
            for (std::int64_t i = 0; i < g.out_h; ++i) {
              const std::int64_t r = i * g.stride_h + u * g.dilation_h - g.pad_top;
              if (r < 0 || r >= g.in_h) continue;
              for (std::int64_t j = 0; j < g.out_w; ++j) {
                const std::int64_t q = j * g.stride_w + v * g.dilation_w - g.pad_left;
                if (q < 0 || q >= g.in_w) continue;
                acc += dyk[i * g.out_w + j] * xc[r * g.in_w + q];
              }
            }
          }
          dwkc[u * g.kernel_w + v] = acc;
        }
      }
    }
  });
}

#define TG_INSTANTIATE_CONV(T)                                                                               \
  template void conv2d_reference_loops<T>(const T*, const T*, const T*, T*, const ConvLoopGeometry&);        \
  template void rotate_kernel_taps<T>(const T*, const ConvLoopGeometry&, KernelTaps, KernelTaps, T*);        \
  template void conv2d_input_grad_via<T>(ConvForwardFn<T>, const T*, const T*, T*, const ConvLoopGeometry&); \
  template void conv2d_weight_grad_loops<T>(const T*, const T*, T*, const ConvLoopGeometry&);
TG_INSTANTIATE_CONV(float)
TG_INSTANTIATE_CONV(double)
#undef TG_INSTANTIATE_CONV

}  // namespace tg::kernels
