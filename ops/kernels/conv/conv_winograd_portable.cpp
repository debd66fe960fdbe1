// The Winograd transforms (conv_winograd_tile.hpp) compiled for the baseline x86-64.
// The path when the CPU has neither AVX2 nor AVX-512.
#include <algorithm>
#include <cstdint>

#include "ops/kernels/conv/conv_winograd_kernels.hpp"
#include "ops/kernels/conv/conv_winograd_tile.hpp"

TG_WINOGRAD_TRANSFORMS(portable)
