// The Winograd transforms (conv_winograd_tile.hpp) compiled for avx2.
// Standard and project headers come before the target pragma (see vec_exp_avx512.cpp).
#include <algorithm>
#include <cstdint>

#include "ops/kernels/conv/conv_winograd_kernels.hpp"
#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx2,fma")

#include "ops/kernels/conv/conv_winograd_tile.hpp"

TG_ISA_TARGET_END

TG_WINOGRAD_TRANSFORMS(avx2)
