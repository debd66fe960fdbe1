#include "tensor/shape.hpp"

#include <algorithm>

#include "tensor/checked_math.hpp"
#include "tensor/error.hpp"

namespace tg {

namespace detail {
void fail_unrepresentable(std::string_view op, double value, std::string_view type) {
  fail<ValueError>("{}: value {} cannot be converted to {} (NaN, infinite or out of range)", op, value, type);
}
}  // namespace detail

bool is_valid_shape(const Shape& shape) {
  std::int64_t extent = 1;
  for (auto s : shape) {
    if (s < 0 || mul_overflows(extent, std::max<std::int64_t>(s, 1), extent)) return false;
  }
  return true;
}

void check_shape(const Shape& shape, std::string_view op) {
  for (auto s : shape) TG_CHECK(s >= 0, ShapeError, "{}: negative dimension in shape {}", op, shape);
  TG_CHECK(is_valid_shape(shape), ShapeError, "{}: shape {} is too large (its element count or strides overflow int64)",
           op, shape);
}

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto s : shape) {
    if (s == 0) return 0;
    TG_CHECK(!mul_overflows(n, s, n), ShapeError, "numel: shape {} has more than 2^63 - 1 elements", shape);
  }
  return n;
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size());
  std::int64_t s = 1;
  for (auto i = static_cast<std::int64_t>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = s;
    TG_CHECK(i == 0 || !mul_overflows(s, std::max<std::int64_t>(shape[i], 1), s), ShapeError,
             "contiguous_strides: the strides of shape {} overflow int64", shape);
  }
  return strides;
}

std::int64_t wrap_dim(std::int64_t dim, std::int64_t rank, std::string_view op) {
  const std::int64_t r = std::max<std::int64_t>(rank, 1);  // a 0-d tensor accepts dim 0 / -1
  TG_CHECK(dim >= -r && dim < r, IndexError, "{}: dim {} is out of range for a tensor of rank {}", op, dim, rank);
  return dim < 0 ? dim + r : dim;
}

std::vector<std::int64_t> wrap_dims(const std::vector<std::int64_t>& dims, std::int64_t rank, std::string_view op) {
  std::vector<std::int64_t> out;
  if (dims.empty()) {
    for (std::int64_t d = 0; d < rank; ++d) out.push_back(d);
    return out;
  }
  for (auto d : dims) out.push_back(wrap_dim(d, rank, op));
  std::sort(out.begin(), out.end());
  TG_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), IndexError, "{}: dims {} repeat a dim", op, dims);
  if (rank == 0) out.clear();
  return out;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    TG_CHECK(da == db || da == 1 || db == 1, ShapeError, "{}: shapes {} and {} cannot be broadcast together", op, a, b);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Strides broadcast_strides(const Shape& shape, const Strides& strides, const Shape& target, std::string_view op) {
  TG_CHECK(shape.size() <= target.size(), ShapeError, "{}: shape {} cannot be broadcast to {}", op, shape, target);
  const std::size_t lead = target.size() - shape.size();
  Strides out(target.size(), 0);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const auto s = shape[i];
    const auto t = target[lead + i];
    TG_CHECK(s == t || s == 1, ShapeError, "{}: shape {} cannot be broadcast to {}", op, shape, target);
    out[lead + i] = (s == 1 && t != 1) ? 0 : strides[i];
  }
  return out;
}

SumToShapePlan sum_to_shape_plan(const Shape& grad_shape, const Shape& input_shape) {
  SumToShapePlan plan;
  plan.leading = static_cast<std::int64_t>(grad_shape.size()) - static_cast<std::int64_t>(input_shape.size());
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(grad_shape.size()); ++i) {
    if (i < plan.leading) {
      plan.dims.push_back(i);
    } else if (input_shape[i - plan.leading] == 1 && grad_shape[i] != 1) {
      plan.dims.push_back(i);
    }
  }
  return plan;
}

Shape reduced_shape(const Shape& shape, const std::vector<std::int64_t>& dims, bool keepdim) {
  Shape out;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(shape.size()); ++i) {
    const bool reduced = std::find(dims.begin(), dims.end(), i) != dims.end();
    if (!reduced) {
      out.push_back(shape[i]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

Shape infer_reshape(const Shape& from, Shape to, std::string_view op) {
  std::int64_t infer_at = -1;
  Shape known;  // the target without its -1
  for (std::size_t i = 0; i < to.size(); ++i) {
    if (to[i] == -1) {
      TG_CHECK(infer_at < 0, ShapeError, "{}: only one dimension can be -1 in {}", op, to);
      infer_at = static_cast<std::int64_t>(i);
    } else {
      TG_CHECK(to[i] >= 0, ShapeError, "{}: invalid target shape {}", op, to);
      known.push_back(to[i]);
    }
  }
  check_shape(known, op);
  const auto total = numel(from);
  if (infer_at >= 0) {
    const std::int64_t known_count = numel(known);
    TG_CHECK(known_count != 0 && total % known_count == 0, ShapeError, "{}: cannot reshape {} into {}", op, from, to);
    to[infer_at] = total / known_count;
  }
  check_shape(to, op);
  TG_CHECK(numel(to) == total, ShapeError, "{}: cannot reshape {} ({} elements) into {} ({} elements)", op, from, total,
           to, numel(to));
  return to;
}

Strides view_strides(const Shape& shape, const Strides& strides, const Shape& target) {
  // Split the source into chunks of dims that are contiguous with each other; a view is
  // possible iff the target dims can be grouped to cover exactly the same chunks.
  if (numel(shape) == 0 || shape.empty()) return contiguous_strides(target);
  Strides out(target.size());
  std::int64_t view_d = static_cast<std::int64_t>(target.size()) - 1;
  std::int64_t chunk_base_stride = strides.back();
  std::int64_t tensor_numel = 1;
  std::int64_t view_numel = 1;
  for (std::int64_t d = static_cast<std::int64_t>(shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= shape[d];
    // Products that overflow cannot be strides of this view: the chunk ends, or no view exists.
    std::int64_t chunk_stride = 0;
    const bool chunk_ends =
        d == 0 || (shape[d - 1] != 1 &&
                   (mul_overflows(tensor_numel, chunk_base_stride, chunk_stride) || strides[d - 1] != chunk_stride));
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || target[view_d] == 1)) {
      if (mul_overflows(view_numel, chunk_base_stride, out[view_d])) return {};
      view_numel *= target[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return {};
    if (d > 0) {
      chunk_base_stride = strides[d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  if (view_d != -1) return {};
  return out;
}

}  // namespace tg
