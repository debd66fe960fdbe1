// Winograd transforms (conv_winograd_tile.hpp) compiled for avx2.
// Standard headers come before the target pragma (see vec_exp_avx512.cpp).
#include <algorithm>
#include <cstdint>
#include <utility>

#include "ops/kernels/conv_winograd_kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#include "ops/kernels/conv_winograd_tile.hpp"

namespace tg::kernels::winograd_detail {
namespace {
constexpr Transforms<float> kF32 = make_transforms<float>();
constexpr Transforms<double> kF64 = make_transforms<double>();
}  // namespace
}  // namespace tg::kernels::winograd_detail

#pragma GCC pop_options

namespace tg::kernels::winograd_detail {
template <>
const Transforms<float>& avx2_transforms<float>() {
  return kF32;
}
template <>
const Transforms<double>& avx2_transforms<double>() {
  return kF64;
}
}  // namespace tg::kernels::winograd_detail
