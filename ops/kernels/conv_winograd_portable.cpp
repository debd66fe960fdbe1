// Winograd transforms (conv_winograd_tile.hpp) compiled for portable.
// The baseline x86-64 build: the path when the CPU has neither AVX2 nor AVX-512.
#include <algorithm>
#include <cstdint>
#include <utility>

#include "ops/kernels/conv_winograd_kernels.hpp"

#include "ops/kernels/conv_winograd_tile.hpp"

namespace tg::kernels::winograd_detail {
namespace {
constexpr Transforms<float> kF32 = make_transforms<float>();
constexpr Transforms<double> kF64 = make_transforms<double>();
}  // namespace
}  // namespace tg::kernels::winograd_detail

namespace tg::kernels::winograd_detail {
template <>
const Transforms<float>& portable_transforms<float>() {
  return kF32;
}
template <>
const Transforms<double>& portable_transforms<double>() {
  return kF64;
}
}  // namespace tg::kernels::winograd_detail
