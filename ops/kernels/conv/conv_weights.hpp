// The weights of a convolution as the matrix its fast paths pack: [C_out/groups, kdim] per
// group, k = (c, u, v). Either the kernel as stored, or the forward kernel of an input
// gradient read as the ROT180 rule's kernel (rotated by 180 degrees, C_in and C_out swapped
// per group) straight from where it is: no rotated copy is built.
#pragma once

#include <cstdint>

#include "ops/kernels/conv/conv_reference_loops.hpp"
#include "ops/kernels/gemm/gemm.hpp"

namespace tg::kernels {

template <class T>
struct ConvWeights {
  const T* w;           // [C_out, C_in/groups, kH, kW] of the geometry, or of its forward when rot180
  bool rot180 = false;  // the geometry is rot180_geometry(forward) and w the forward's kernel
};

// Group grp's weight matrix, panel by panel (PackAPanel's contract): rows are the output
// channels of g, columns the taps k = (c, u, v). The GEMM packs it as its A operand, and the
// channel layout as one panel per block of output channels.
template <class T>
PackAPanel<T> weight_panels(ConvWeights<T> weights, const ConvLoopGeometry& g, std::int64_t grp);

// Asks the cache for what weight_panels(weights, g, grp) reads to pack rows [i0, i0 + h) and
// columns [k0, k0 + kc), so that a pack issued later finds it there instead of in memory.
template <class T>
void prefetch_weight_panel(ConvWeights<T> weights, const ConvLoopGeometry& g, std::int64_t grp, std::int64_t i0,
                           std::int64_t h, std::int64_t k0, std::int64_t kc);

}  // namespace tg::kernels
