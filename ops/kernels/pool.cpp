#include "ops/kernels/pool.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/parallel.hpp"

namespace tg::kernels {

namespace {

std::int64_t grain_for(const PoolGeometry& g) {
  return std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, g.out_h * g.out_w * g.kernel_h * g.kernel_w));
}

// Runs body(plane) over all planes in parallel; each plane is written by one task only.
template <class F>
void for_each_plane(const PoolGeometry& g, F&& body) {
  parallel_for(g.planes, grain_for(g), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t p = begin; p < end; ++p) body(p);
  });
}

// The [start, end) rows of a window clipped to the padded input, and the divisor.
struct AvgWindow {
  std::int64_t r0, r1, q0, q1;
  std::int64_t divisor;
};

AvgWindow avg_window(const PoolGeometry& g, std::int64_t i, std::int64_t j) {
  std::int64_t r0 = i * g.stride_h - g.pad_h;
  std::int64_t q0 = j * g.stride_w - g.pad_w;
  std::int64_t r1 = std::min(r0 + g.kernel_h, g.in_h + g.pad_h);
  std::int64_t q1 = std::min(q0 + g.kernel_w, g.in_w + g.pad_w);
  const std::int64_t padded_size = (r1 - r0) * (q1 - q0);
  r0 = std::max<std::int64_t>(r0, 0);
  q0 = std::max<std::int64_t>(q0, 0);
  r1 = std::min(r1, g.in_h);
  q1 = std::min(q1, g.in_w);
  const std::int64_t inside = std::max<std::int64_t>(r1 - r0, 0) * std::max<std::int64_t>(q1 - q0, 0);
  return {r0, r1, q0, q1, g.count_include_pad ? padded_size : inside};
}

std::int64_t adaptive_start(std::int64_t i, std::int64_t in, std::int64_t out) { return (i * in) / out; }
std::int64_t adaptive_end(std::int64_t i, std::int64_t in, std::int64_t out) { return ((i + 1) * in + out - 1) / out; }

}  // namespace

template <class T>
void max_pool2d_loops(const T* x, T* y, std::int64_t* argmax, const PoolGeometry& g) {
  for_each_plane(g, [&](std::int64_t p) {
    const T* xp = x + p * g.in_h * g.in_w;
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      for (std::int64_t j = 0; j < g.out_w; ++j) {
        T best = -std::numeric_limits<T>::infinity();
        std::int64_t best_index = -1;
        for (std::int64_t u = 0; u < g.kernel_h; ++u) {
          const std::int64_t r = i * g.stride_h - g.pad_h + u * g.dilation_h;
          if (r < 0 || r >= g.in_h) continue;
          for (std::int64_t v = 0; v < g.kernel_w; ++v) {
            const std::int64_t q = j * g.stride_w - g.pad_w + v * g.dilation_w;
            if (q < 0 || q >= g.in_w) continue;
            const T value = xp[r * g.in_w + q];
            // Strict '>' keeps the first maximum; once a NaN is chosen nothing replaces it.
            if (best_index < 0 || (!std::isnan(best) && (value > best || std::isnan(value)))) {
              best = value;
              best_index = r * g.in_w + q;
            }
          }
        }
        const std::int64_t o = (p * g.out_h + i) * g.out_w + j;
        y[o] = best;
        argmax[o] = best_index;
      }
    }
  });
}

template <class T>
void max_pool2d_scatter_loops(const T* dy, const std::int64_t* argmax, T* dx, const PoolGeometry& g) {
  for_each_plane(g, [&](std::int64_t p) {
    T* dxp = dx + p * g.in_h * g.in_w;
    const std::int64_t base = p * g.out_h * g.out_w;
    for (std::int64_t o = 0; o < g.out_h * g.out_w; ++o) {
      const std::int64_t index = argmax[base + o];
      if (index >= 0 && index < g.in_h * g.in_w) dxp[index] += dy[base + o];
    }
  });
}

template <class T>
void avg_pool2d_loops(const T* x, T* y, const PoolGeometry& g) {
  for_each_plane(g, [&](std::int64_t p) {
    const T* xp = x + p * g.in_h * g.in_w;
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      for (std::int64_t j = 0; j < g.out_w; ++j) {
        const AvgWindow w = avg_window(g, i, j);
        T acc = T(0);
        for (std::int64_t r = w.r0; r < w.r1; ++r) {
          for (std::int64_t q = w.q0; q < w.q1; ++q) acc += xp[r * g.in_w + q];
        }
        y[(p * g.out_h + i) * g.out_w + j] = w.divisor > 0 ? acc / static_cast<T>(w.divisor) : T(0);
      }
    }
  });
}

template <class T>
void avg_pool2d_backward_loops(const T* dy, T* dx, const PoolGeometry& g) {
  for_each_plane(g, [&](std::int64_t p) {
    T* dxp = dx + p * g.in_h * g.in_w;
    std::fill(dxp, dxp + g.in_h * g.in_w, T(0));
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      for (std::int64_t j = 0; j < g.out_w; ++j) {
        const AvgWindow w = avg_window(g, i, j);
        if (w.divisor <= 0) continue;
        const T share = dy[(p * g.out_h + i) * g.out_w + j] / static_cast<T>(w.divisor);
        for (std::int64_t r = w.r0; r < w.r1; ++r) {
          for (std::int64_t q = w.q0; q < w.q1; ++q) dxp[r * g.in_w + q] += share;
        }
      }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_loops(const T* x, T* y, const PoolGeometry& g) {
  for_each_plane(g, [&](std::int64_t p) {
    const T* xp = x + p * g.in_h * g.in_w;
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      const std::int64_t r0 = adaptive_start(i, g.in_h, g.out_h), r1 = adaptive_end(i, g.in_h, g.out_h);
      for (std::int64_t j = 0; j < g.out_w; ++j) {
        const std::int64_t q0 = adaptive_start(j, g.in_w, g.out_w), q1 = adaptive_end(j, g.in_w, g.out_w);
        T acc = T(0);
        for (std::int64_t r = r0; r < r1; ++r) {
          for (std::int64_t q = q0; q < q1; ++q) acc += xp[r * g.in_w + q];
        }
        y[(p * g.out_h + i) * g.out_w + j] = acc / static_cast<T>((r1 - r0) * (q1 - q0));
      }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_backward_loops(const T* dy, T* dx, const PoolGeometry& g) {
  for_each_plane(g, [&](std::int64_t p) {
    T* dxp = dx + p * g.in_h * g.in_w;
    std::fill(dxp, dxp + g.in_h * g.in_w, T(0));
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      const std::int64_t r0 = adaptive_start(i, g.in_h, g.out_h), r1 = adaptive_end(i, g.in_h, g.out_h);
      for (std::int64_t j = 0; j < g.out_w; ++j) {
        const std::int64_t q0 = adaptive_start(j, g.in_w, g.out_w), q1 = adaptive_end(j, g.in_w, g.out_w);
        const T share = dy[(p * g.out_h + i) * g.out_w + j] / static_cast<T>((r1 - r0) * (q1 - q0));
        for (std::int64_t r = r0; r < r1; ++r) {
          for (std::int64_t q = q0; q < q1; ++q) dxp[r * g.in_w + q] += share;
        }
      }
    }
  });
}

#define TG_INSTANTIATE_POOL(T)                                                                         \
  template void max_pool2d_loops<T>(const T*, T*, std::int64_t*, const PoolGeometry&);                 \
  template void max_pool2d_scatter_loops<T>(const T*, const std::int64_t*, T*, const PoolGeometry&);    \
  template void avg_pool2d_loops<T>(const T*, T*, const PoolGeometry&);                                \
  template void avg_pool2d_backward_loops<T>(const T*, T*, const PoolGeometry&);                       \
  template void adaptive_avg_pool2d_loops<T>(const T*, T*, const PoolGeometry&);                       \
  template void adaptive_avg_pool2d_backward_loops<T>(const T*, T*, const PoolGeometry&);
TG_INSTANTIATE_POOL(float)
TG_INSTANTIATE_POOL(double)
#undef TG_INSTANTIATE_POOL

}  // namespace tg::kernels
