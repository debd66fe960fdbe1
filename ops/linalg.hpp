// Matrix products.
#pragma once

#include "tensor/tensor.hpp"

namespace tg {

// NumPy matmul semantics: 1-D x 1-D is a dot product; 1-D operands are promoted to a
// matrix and the added dim removed again; batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace tg
