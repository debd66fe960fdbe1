// Portable reference implementation (to be replaced by the packed SIMD kernel).
#include "ops/kernels/gemm.hpp"

#include "tensor/parallel.hpp"

namespace tg::kernels {

template <class T>
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a, std::int64_t a_row, std::int64_t a_col,
          const T* b, std::int64_t b_row, std::int64_t b_col, T beta, T* c, std::int64_t ldc) {
  parallel_for(m, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      T* crow = c + i * ldc;
      for (std::int64_t j = 0; j < n; ++j) crow[j] = beta == T(0) ? T(0) : beta * crow[j];
      for (std::int64_t p = 0; p < k; ++p) {
        const T av = alpha * a[i * a_row + p * a_col];
        const T* brow = b + p * b_row;
        for (std::int64_t j = 0; j < n; ++j) crow[j] += av * brow[j * b_col];
      }
    }
  });
}

template void gemm<float>(std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t, std::int64_t,
                          const float*, std::int64_t, std::int64_t, float, float*, std::int64_t);
template void gemm<double>(std::int64_t, std::int64_t, std::int64_t, double, const double*, std::int64_t, std::int64_t,
                           const double*, std::int64_t, std::int64_t, double, double*, std::int64_t);

}  // namespace tg::kernels
