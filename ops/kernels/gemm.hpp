// Matrix multiply kernel: C = alpha * op(A) * op(B) + beta * C on strided row-major data.
#pragma once

#include <cstdint>

namespace tg::kernels {

// A is M x K with element (i, k) at a[i * a_row + k * a_col]; B is K x N likewise; C is
// M x N row-major with leading dimension ldc. beta == 0 overwrites C (NaNs in C ignored).
template <class T>
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a, std::int64_t a_row, std::int64_t a_col,
          const T* b, std::int64_t b_row, std::int64_t b_col, T beta, T* c, std::int64_t ldc);

}  // namespace tg::kernels
