// The Winograd transforms (conv_winograd_tile.hpp) compiled for avx512.
// Standard and project headers come before the target pragma (see vec_exp_avx512.cpp).
#include <algorithm>
#include <cstdint>

#include "ops/kernels/conv_winograd_kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f")

#include "ops/kernels/conv_winograd_tile.hpp"

#pragma GCC pop_options

TG_WINOGRAD_TRANSFORMS(avx512)
