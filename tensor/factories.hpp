// Factories beyond the basic ones in tensor.hpp: ranges, evenly spaced values, identity.
// Values are computed in double and converted to options.dtype, as NumPy does.
#pragma once

#include <cstdint>

#include "tensor/tensor.hpp"

namespace tg {

// [start, stop) in steps of `step`: ceil((stop - start) / step) values start + i * step.
// A range whose sign disagrees with `step` is empty (as in NumPy). Throws ValueError for a
// zero or non-finite step, non-finite bounds or a range too long to allocate, DTypeError
// for bool.
Tensor arange(double start, double stop, double step = 1.0, TensorOptions options = {});
Tensor arange(double stop, TensorOptions options = {});  // [0, stop) in steps of 1

// `steps` evenly spaced values from start to stop, both included (the last value is stop
// exactly). steps == 0 gives an empty tensor, steps == 1 gives [start]. Throws ValueError
// for negative steps or non-finite bounds, DTypeError for bool.
Tensor linspace(double start, double stop, std::int64_t steps, TensorOptions options = {});

// An n x m matrix with ones on the main diagonal (m defaults to n). Any dtype; throws
// ShapeError for negative sizes.
Tensor eye(std::int64_t n, TensorOptions options = {});
Tensor eye(std::int64_t n, std::int64_t m, TensorOptions options = {});

}  // namespace tg
