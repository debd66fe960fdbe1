// Helpers of the shape and indexing op tests.
#pragma once

#include <numeric>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace shape_test {

using namespace tg;

inline Tensor iota(std::int64_t n, const Shape& shape, bool requires_grad = false) {
  std::vector<double> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0.0);
  return from_vector(v, shape, {.dtype = f64, .requires_grad = requires_grad});
}

inline Tensor vec(std::vector<double> v, const Shape& shape) { return from_vector(v, shape, {.dtype = f64}); }

inline Tensor index(std::vector<std::int64_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return from_vector(v, {n});
}

inline std::int64_t element_offset(const Tensor& view, const Tensor& base) { return view.offset() - base.offset(); }

template <class E, class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception of the expected type>";
}

}  // namespace shape_test
