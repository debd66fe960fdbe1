// Shared machinery of the indexing ops (index_select, gather and their scatter-add
// backward ops): index validation, single-index views and strided accumulation.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

#include "tensor/checked_math.hpp"
#include "tensor/strided_loop.hpp"
#include "tensor/tensor.hpp"

namespace tg::detail {

// Attributes of the scatter-add ops that undo index_select / gather: the shape of the
// tensor that was indexed and the (wrapped) dim along which it was indexed.
struct IndexBackwardAttrs {
  Shape input_shape;
  std::int64_t dim = 0;
};

// Work larger than any tensor: makes for_each_row run serially, which accumulation
// needs (several index entries may hit the same destination element).
inline constexpr std::int64_t kSerialGrain = std::numeric_limits<std::int64_t>::max() / 2;

// Checks that `index` is int64 and every value lies in [0, size); throws IndexError naming
// the op, the offending value, the dim and its size.
inline void check_index_values(std::string_view op, const Tensor& index, std::int64_t dim, std::int64_t size) {
  TG_CHECK(index.dtype() == DType::Int64, DTypeError, "{}: index must be int64, got {}", op, index.dtype());
  for (const std::int64_t i : index.to_vector_as<std::int64_t>()) {
    TG_CHECK(i >= 0 && i < size, IndexError, "{}: index {} is out of range for dim {} of size {}", op, i, dim, size);
  }
}

// Checks a gather/scatter index against the shape of the indexed tensor (PyTorch rules):
// same rank, index.size(d) <= shape[d] for d != dim, values in [0, shape[dim]).
inline void check_gather_index(std::string_view op, const Shape& shape, std::int64_t dim, const Tensor& index) {
  TG_CHECK(index.shape().size() == shape.size(), ShapeError, "{}: index of shape {} must have the rank of shape {}", op,
           index.shape(), shape);
  for (std::size_t d = 0; d < shape.size(); ++d) {
    TG_CHECK(static_cast<std::int64_t>(d) == dim || index.shape()[d] <= shape[d], ShapeError,
             "{}: index of shape {} is larger than shape {} in dim {}", op, index.shape(), shape, d);
  }
  check_index_values(op, index, dim, shape[static_cast<std::size_t>(dim)]);
}

// A raw view of t at position i along dim, with that dim removed.
inline Tensor select_view(const Tensor& t, std::int64_t dim, std::int64_t i) {
  Shape shape = t.shape();
  Strides strides = t.strides();
  const std::int64_t offset = t.offset() + i * strides[static_cast<std::size_t>(dim)];
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  return raw::as_strided(t, shape, strides, offset);
}

// dst += src elementwise (equal shapes and dtypes, dst's elements distinct; int64 wraps),
// not recorded.
inline void accumulate_into(const Tensor& dst, const Tensor& src) {
  TG_CHECK(dst.shape() == src.shape() && dst.dtype() == src.dtype(), ShapeError,
           "accumulate: destination {} {} differs from source {} {}", dst.shape(), dst.dtype(), src.shape(),
           src.dtype());
  visit_numeric(dst.dtype(), "accumulate", [&](auto tag) {
    using T = decltype(tag);
    T* d = static_cast<T*>(dst.impl().storage->data());
    const T* s = static_cast<const T*>(src.impl().storage->data());
    for_each_row<2>(
        dst.shape(), {dst.strides(), src.strides()}, {dst.offset(), src.offset()},
        [&](const std::array<std::int64_t, 2>& off, std::int64_t n, const std::array<std::int64_t, 2>& inc) {
          for (std::int64_t k = 0; k < n; ++k) {
            T& x = d[off[0] + k * inc[0]];
            x = wrapping_add(x, s[off[1] + k * inc[1]]);
          }
        });
  });
}

}  // namespace tg::detail
