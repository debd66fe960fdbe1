// The sum of a run of values in a fixed order: 8 interleaved accumulators, accumulator k
// adding elements k, k + 8, k + 16, ... in turn, then ((a0 + a1) + (a2 + a3)) + ((a4 + a5) +
// (a6 + a7)), then the last n % 8 values one by one. Every reduction that sums (sum, mean,
// softmax rows, pooling windows, the middle-dim sums of reduce.hpp) folds its blocks this
// way, so they agree bit for bit. The order does not depend on the vector width: an
// instruction set only decides how many accumulators advance at once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "tensor/checked_math.hpp"

namespace tg::kernels {

// The accumulators' pairing at the end of the fold, which every copy of it shares.
template <class A>
A pair_accumulators(A a0, A a1, A a2, A a3, A a4, A a5, A a6, A a7) {
  return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}

// The fold in plain C++ (the compiler vectorises it for the baseline ISA). Integers add as
// unsigned, so an int64 sum wraps around (two's complement) instead of overflowing.
// A cache line is prefetched a kilobyte ahead of the one being added: on the baseline ISA
// (16-byte vectors) the hardware's prefetch alone left a 256 MB float sum at 13 GB/s against
// 15-16 with it (one thread, Zen 3). The lines take whole groups of 8 in order, so the order
// of the additions is the one above.
template <class T>
T block_sum_loop(const T* p, std::int64_t n) {
  using A = wrapping_accumulator_t<T>;
  constexpr std::int64_t kGroup = 8;
  constexpr std::int64_t kLine = std::max<std::int64_t>(kGroup, 64 / static_cast<std::int64_t>(sizeof(T)));
  constexpr std::int64_t kAhead = 1024 / static_cast<std::int64_t>(sizeof(T));
  A acc[8] = {};
  std::int64_t i = 0;
  for (; i + kLine <= n; i += kLine) {
    __builtin_prefetch(p + i + kAhead);
    for (std::int64_t g = 0; g < kLine; g += kGroup) {
      for (int k = 0; k < 8; ++k) acc[k] += static_cast<A>(p[i + g + k]);
    }
  }
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += static_cast<A>(p[i + k]);
  }
  A total = pair_accumulators(acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]);
  for (; i < n; ++i) total += static_cast<A>(p[i]);
  return static_cast<T>(total);
}

// The same fold for float and double on the current SIMD path (block_sum.cpp): on the AVX2
// and AVX-512 paths, 256-bit adds unrolled over four groups (block_sum_avx2.cpp).
float block_sum_floating(const float* p, std::int64_t n);
double block_sum_floating(const double* p, std::int64_t n);

template <class T>
T block_sum(const T* p, std::int64_t n) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    return block_sum_floating(p, n);
  } else {
    return block_sum_loop(p, n);
  }
}

// out[b] = block_sum(p + b * block, block) for b < count, floats and doubles: the same bits,
// but on the AVX2 and AVX-512 paths several blocks are folded side by side, so that one
// thread reads memory as several streams (block_sum_avx2.cpp). For the long rows of a sum.
void block_sums(const float* p, std::int64_t block, std::int64_t count, float* out);
void block_sums(const double* p, std::int64_t block, std::int64_t count, double* out);

// block_sum as a fold of kernels::reduce_rows, which also folds runs of whole blocks of
// floats and doubles through block_sums.
struct BlockSumFold {
  template <class T>
  T operator()(const T* p, std::int64_t n) const {
    return block_sum(p, n);
  }
  template <class T>
  requires std::is_same_v<T, float> || std::is_same_v<T, double>
  void blocks(const T* p, std::int64_t block, std::int64_t count, T* out) const { block_sums(p, block, count, out); }
};

namespace block_sum_detail {
float block_sum_avx2(const float* p, std::int64_t n);
double block_sum_avx2(const double* p, std::int64_t n);
void block_sums_avx2(const float* p, std::int64_t block, std::int64_t count, float* out);
void block_sums_avx2(const double* p, std::int64_t block, std::int64_t count, double* out);
}  // namespace block_sum_detail

}  // namespace tg::kernels
