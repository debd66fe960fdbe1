// Vector traits for the portable kernels: T, Reg, W (lanes), zero, load, store, load_first
// and store_first (the first n lanes; the rest read as zero), bcast, fma
// (a * b + c), mul, and kTranspose / transpose_block<R> (the first R rows of a block) for packing.
// One lane per "vector": plain C++ for CPUs without AVX2.
#pragma once

#include <cstdint>

namespace tg::kernels::gemm_detail {
namespace {

template <class Scalar>
struct Scalar1 {
  using T = Scalar;
  using Reg = Scalar;
  static constexpr int W = 1;
  static constexpr int kTranspose = 1;
  static constexpr int kRegisters = 16;  // vector registers (xmm0-15)
  static Reg zero() { return Reg(0); }
  static Reg load(const T* p) { return *p; }
  static void store(T* p, Reg r) { *p = r; }
  static void store_first(T* p, Reg r, std::int64_t n) {
    if (n > 0) *p = r;
  }
  static Reg load_first(const T* p, std::int64_t n) { return n > 0 ? *p : Reg(0); }
  static Reg bcast(T x) { return x; }
  static Reg fma(Reg a, Reg b, Reg c) { return a * b + c; }
  static Reg mul(Reg a, Reg b) { return a * b; }
  template <int R = kTranspose>
  static void transpose_block(const T*, std::int64_t, T*, std::int64_t) {}
};

}  // namespace
}  // namespace tg::kernels::gemm_detail
