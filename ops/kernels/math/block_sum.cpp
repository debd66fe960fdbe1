#include "ops/kernels/math/block_sum.hpp"

#include "ops/kernels/simd/simd_path.hpp"

namespace tg::kernels {

namespace {

template <class T>
T block_sum_on_path(const T* p, std::int64_t n) {
  using Fold = T (*)(const T*, std::int64_t);
  // AVX-512 gains nothing over 256-bit adds here: a 512-bit add would hold 16 accumulators,
  // another order, and the loop is bound by memory, not by the adds.
  const Fold avx = &block_sum_detail::block_sum_avx2;
  return pick_by_simd_path<Fold>(&block_sum_loop<T>, avx, avx)(p, n);
}

template <class T>
void block_sums_loop(const T* p, std::int64_t block, std::int64_t count, T* out) {
  for (std::int64_t b = 0; b < count; ++b) out[b] = block_sum_loop(p + b * block, block);
}

template <class T>
void block_sums_on_path(const T* p, std::int64_t block, std::int64_t count, T* out) {
  using Folds = void (*)(const T*, std::int64_t, std::int64_t, T*);
  const Folds avx = &block_sum_detail::block_sums_avx2;
  pick_by_simd_path<Folds>(&block_sums_loop<T>, avx, avx)(p, block, count, out);
}

}  // namespace

float block_sum_floating(const float* p, std::int64_t n) { return block_sum_on_path(p, n); }

double block_sum_floating(const double* p, std::int64_t n) { return block_sum_on_path(p, n); }

void block_sums(const float* p, std::int64_t block, std::int64_t count, float* out) {
  block_sums_on_path(p, block, count, out);
}

void block_sums(const double* p, std::int64_t block, std::int64_t count, double* out) {
  block_sums_on_path(p, block, count, out);
}

}  // namespace tg::kernels
