// Attributes shared by the dim-reducing ops (sum, mean, max, amax).
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/shape.hpp"

namespace tg::detail {

struct ReduceAttrs {
  std::vector<std::int64_t> dims;  // as given by the caller (may be negative, empty = all)
  bool keepdim = false;
};

}  // namespace tg::detail
