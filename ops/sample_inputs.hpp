// Building blocks for op samples: seeded float64 inputs that require grad, so every
// registered op is gradient-checked on the same footing.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ops/registry.hpp"
#include "tensor/random.hpp"

namespace tg::samples {

// Seed shared by every op's sample generator, so `tapegrad ops` is reproducible.
inline constexpr std::uint64_t kSeed = 20261127;

// float64 values uniform in [low, high), requiring grad.
Tensor arg(const Shape& shape, Generator& gen, double low = -1.0, double high = 1.0);
// Like arg, but values on a shuffled grid `gap` apart, centred on 0 and never 0 itself:
// for ops with kinks (max, relu, abs, clamp, pooling) finite differences stay away from ties.
Tensor distinct_arg(const Shape& shape, Generator& gen, double gap = 0.05);
// A constant (no grad) float64 tensor.
Tensor constant(const Shape& shape, Generator& gen, double low = -1.0, double high = 1.0);

// The shape pairs binary_broadcast uses: equal shapes, trailing broadcast, both sides
// broadcast, a 0-d operand, and two zero-size pairs (for ops that need their own value
// ranges per operand).
std::vector<std::pair<Shape, Shape>> binary_broadcast_shapes();
// The standard broadcasting pairs for binary ops (binary_broadcast_shapes). Values in [low, high).
std::vector<OpSample<NoAttrs>> binary_broadcast(double low = -1.0, double high = 1.0);
// Same-shape unary samples: 0-d, 1-D, 2-D, a non-contiguous (transposed) 3-D input, and
// the zero-size [0] and [2, 0, 3].
std::vector<OpSample<NoAttrs>> unary(double low = -1.0, double high = 1.0, bool distinct = false);

}  // namespace tg::samples
