// Tensor's differentiable member functions: thin forwards to the free functions.
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

Tensor Tensor::contiguous() const { return tg::contiguous(*this); }
Tensor Tensor::clone() const { return tg::cast(*this, dtype()); }
Tensor Tensor::to(DType dtype) const { return tg::cast(*this, dtype); }
Tensor Tensor::reshape(const Shape& shape) const { return tg::reshape(*this, shape); }
Tensor Tensor::view(const Shape& shape) const {
  const Shape target = infer_reshape(this->shape(), shape, "view");
  TG_CHECK(!view_strides(this->shape(), strides(), target).empty() || target.empty(), ShapeError,
           "view: a tensor of shape {} and strides {} cannot be viewed as {} without a copy; use reshape",
           this->shape(), strides(), target);
  return tg::reshape(*this, target);
}
Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
  return tg::flatten(*this, start_dim, end_dim);
}
Tensor Tensor::permute(const std::vector<std::int64_t>& dims) const { return tg::permute(*this, dims); }
Tensor Tensor::transpose(std::int64_t dim0, std::int64_t dim1) const { return tg::transpose(*this, dim0, dim1); }
Tensor Tensor::t() const {
  TG_CHECK(dim() == 2, ShapeError, "t: expected a 2-D tensor, got shape {}", shape());
  return tg::transpose(*this, 0, 1);
}
Tensor Tensor::expand(const Shape& shape) const { return tg::expand(*this, shape); }
Tensor Tensor::squeeze(std::int64_t dim) const { return tg::squeeze(*this, dim); }
Tensor Tensor::unsqueeze(std::int64_t dim) const { return tg::unsqueeze(*this, dim); }
Tensor Tensor::slice(std::int64_t dim, std::int64_t start, std::int64_t stop, std::int64_t step) const {
  return tg::slice(*this, dim, start, stop, step);
}
Tensor Tensor::narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const {
  return tg::narrow(*this, dim, start, length);
}
Tensor Tensor::sum(const std::vector<std::int64_t>& dims, bool keepdim) const { return tg::sum(*this, dims, keepdim); }
Tensor Tensor::mean(const std::vector<std::int64_t>& dims, bool keepdim) const {
  return tg::mean(*this, dims, keepdim);
}

}  // namespace tg
