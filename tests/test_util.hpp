// Helpers tests of every kind use: the message an expected error carries, whether two tensors
// hold the same bits (and whether a computation does on 1 and 2 threads), the index tuples of a
// shape in row-major order, a strided input.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace test_util {

// The message of the E that f throws, or "(no error)" (which no check on a message accepts).
template <class E = tg::Error>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no error)";
}

// Whether a and b have the same shape, dtype and bits (any layout).
inline bool same_bits(const tg::Tensor& a, const tg::Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  const tg::Tensor ac = a.detach().contiguous(), bc = b.detach().contiguous();
  return std::memcmp(ac.raw_data(), bc.raw_data(), static_cast<std::size_t>(ac.numel()) * tg::itemsize(ac.dtype())) ==
         0;
}

// Runs fn with 1 and with 2 threads (restoring the default) and requires outputs of the same
// shapes, dtypes and bits (which also tells -0 from 0 and compares NaNs); `what` names the case.
inline void check_thread_independent(const std::string& what, const std::function<std::vector<tg::Tensor>()>& fn) {
  INFO(what);
  tg::set_num_threads(1);
  const std::vector<tg::Tensor> one = fn();
  tg::set_num_threads(2);
  const std::vector<tg::Tensor> two = fn();
  tg::set_num_threads(0);
  REQUIRE(one.size() == two.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    INFO("output ", i);
    CHECK(same_bits(one[i], two[i]));
  }
}
inline void check_thread_independent(const std::function<std::vector<tg::Tensor>()>& fn) {
  check_thread_independent("", fn);
}

// Every index tuple of `shape`, the last dimension fastest.
inline std::vector<std::vector<std::int64_t>> all_indices(const tg::Shape& shape) {
  std::vector<std::vector<std::int64_t>> out;
  std::vector<std::int64_t> idx(shape.size(), 0);
  for (std::int64_t n = 0; n < tg::numel(shape); ++n) {
    out.push_back(idx);
    for (auto d = static_cast<std::int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// A [2, 3, 4] float64 view with strides {1, 2, 6} over 24 values drawn from [-5, 5): an input
// that is not contiguous, for the reductions.
inline tg::Tensor strided_input(std::uint64_t seed) {
  tg::Generator gen(seed);
  const tg::Tensor base = tg::uniform({4, 3, 2}, -5.0, 5.0, gen, {.dtype = tg::f64});
  return tg::raw::as_strided(base, {2, 3, 4}, {1, 2, 6}, 0);
}

}  // namespace test_util
