#include "ops/kernels/math/softmax_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/parallel.hpp"

namespace tg::kernels {

namespace {

// y = y / s, or y = (v - m) - log(s) for log-softmax, over n elements.
template <class T>
void normalise(const T* v, T* y, std::int64_t n, T m, T s, bool log) {
  if (log) {
    const T log_s = std::log(s);
    for (std::int64_t j = 0; j < n; ++j) y[j] = (v[j] - m) - log_s;
  } else {
    for (std::int64_t j = 0; j < n; ++j) y[j] /= s;
  }
}

// Rows of n contiguous elements, each handled by one task.
template <class T>
void softmax_rows(const T* x, T* y, std::int64_t rows, std::int64_t n, bool log) {
  parallel_for(rows, std::max<std::int64_t>(1, 32768 / n), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      const T* v = x + r * n;
      T* out = y + r * n;
      const T m = row_max(v, n);
      exp_shifted(v, m, out, n);
      normalise(v, out, n, m, row_sum(out, n), log);
    }
  });
}

// One row longer than a reduction block: three passes over fixed blocks in parallel. The
// maximum and the sum equal those of softmax_rows (max is exact; the sum adds the same
// block sums in the same order), so the result does not depend on which path ran.
template <class T>
void softmax_long_row(const T* v, T* y, std::int64_t n, bool log) {
  const std::int64_t blocks = (n + kReduceBlock - 1) / kReduceBlock;
  const auto length = [&](std::int64_t b) { return std::min(kReduceBlock, n - b * kReduceBlock); };
  std::vector<T> partial(static_cast<std::size_t>(blocks));
  parallel_for(blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) partial[b] = row_max(v + b * kReduceBlock, length(b));
  });
  const T m = row_max(partial.data(), blocks);
  parallel_for(blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      exp_shifted(v + b * kReduceBlock, m, y + b * kReduceBlock, length(b));
      partial[b] = block_sum(y + b * kReduceBlock, length(b));
    }
  });
  T s = T(0);
  for (const T p : partial) s += p;
  parallel_for(blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b)
      normalise(v + b * kReduceBlock, y + b * kReduceBlock, length(b), m, s, log);
  });
}

// Softmax along a dim with stride `inner` > 1: blocks of up to kColumns adjacent columns,
// each reduced down the n rows with vector loops across the columns. Each column's max
// and sum run over the rows in order, independent of the blocking.
template <class T>
void softmax_columns(const T* x, T* y, std::int64_t outer, std::int64_t n, std::int64_t inner, bool log) {
  constexpr std::int64_t kColumns = 256;
  const std::int64_t per_slab = (inner + kColumns - 1) / kColumns;
  const std::int64_t grain = std::max<std::int64_t>(1, 32768 / (n * std::min(inner, kColumns)));
  parallel_for(outer * per_slab, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t t = begin; t < end; ++t) {
      const std::int64_t c0 = (t % per_slab) * kColumns;
      const std::int64_t w = std::min(kColumns, inner - c0);
      const T* xs = x + (t / per_slab) * n * inner + c0;
      T* ys = y + (t / per_slab) * n * inner + c0;
      T m[kColumns], s[kColumns];
      std::fill(m, m + w, -std::numeric_limits<T>::infinity());
      std::fill(s, s + w, T(0));
      for (std::int64_t l = 0; l < n; ++l) {
        const T* v = xs + l * inner;
        for (std::int64_t c = 0; c < w; ++c) m[c] = v[c] > m[c] ? v[c] : m[c];
      }
      for (std::int64_t l = 0; l < n; ++l) {
        const T* v = xs + l * inner;
        T* out = ys + l * inner;
        for (std::int64_t c = 0; c < w; ++c) out[c] = v[c] - m[c];
        exp_in_place(out, w);
        for (std::int64_t c = 0; c < w; ++c) s[c] += out[c];
      }
      if (log) {
        for (std::int64_t c = 0; c < w; ++c) s[c] = std::log(s[c]);
      }
      for (std::int64_t l = 0; l < n; ++l) {
        const T* v = xs + l * inner;
        T* out = ys + l * inner;
        if (log) {
          for (std::int64_t c = 0; c < w; ++c) out[c] = (v[c] - m[c]) - s[c];
        } else {
          for (std::int64_t c = 0; c < w; ++c) out[c] /= s[c];
        }
      }
    }
  });
}

}  // namespace

template <class T>
void softmax_loops(const T* x, T* y, std::int64_t outer, std::int64_t n, std::int64_t inner, bool log) {
  if (outer == 0 || n == 0 || inner == 0) return;
  if (inner > 1) {
    softmax_columns(x, y, outer, n, inner, log);
  } else if (outer == 1 && n > kReduceBlock) {
    softmax_long_row(x, y, n, log);
  } else {
    softmax_rows(x, y, outer, n, log);
  }
}

template void softmax_loops<float>(const float*, float*, std::int64_t, std::int64_t, std::int64_t, bool);
template void softmax_loops<double>(const double*, double*, std::int64_t, std::int64_t, std::int64_t, bool);

template <class T>
void softmax_backward_rows(const T* g, const T* y, T* dx, std::int64_t rows, std::int64_t n) {
  parallel_for(rows, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(n, 1)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t r = begin; r < end; ++r) {
                   const T* gr = g + r * n;
                   const T* yr = y + r * n;
                   T* out = dx + r * n;
                   for (std::int64_t j = 0; j < n; ++j) out[j] = gr[j] * yr[j];  // the row's products, summed next
                   const T s = row_sum(out, n);
                   for (std::int64_t j = 0; j < n; ++j) out[j] = yr[j] * (gr[j] - s);
                 }
               });
}

template void softmax_backward_rows<float>(const float*, const float*, float*, std::int64_t, std::int64_t);
template void softmax_backward_rows<double>(const double*, const double*, double*, std::int64_t, std::int64_t);

}  // namespace tg::kernels
