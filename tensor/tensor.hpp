// Tensor: a shared handle to a strided view of a Storage.
//
// A Tensor is cheap to copy (it is a shared pointer); copies alias the same data and the
// same autograd identity. Views (reshape, permute, slice, expand, ...) share the Storage
// and differ in shape, strides and offset. This layer knows nothing of gradients: the
// autograd state hangs off an opaque AutogradMeta defined in autograd/, and the
// differentiable member functions (reshape, sum, ...) are defined in ops/.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "tensor/dtype.hpp"
#include "tensor/error.hpp"
#include "tensor/shape.hpp"
#include "tensor/storage.hpp"

namespace tg {

struct AutogradMeta;  // autograd/autograd_meta.hpp

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Strides strides;
  std::int64_t offset = 0;  // in elements
  DType dtype = DType::Float32;
  std::shared_ptr<AutogradMeta> autograd;  // null until the tensor takes part in autograd
};

struct TensorOptions {
  DType dtype = DType::Float32;
  bool requires_grad = false;
};

struct BackwardOptions {
  bool retain_graph = false;
  bool create_graph = false;  // record the backward pass itself, for higher-order gradients
};

class Tensor {
 public:
  Tensor() = default;  // undefined tensor (e.g. "no gradient")
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Strides& strides() const { return impl().strides; }
  std::int64_t offset() const { return impl().offset; }
  std::int64_t dim() const { return static_cast<std::int64_t>(impl().shape.size()); }
  std::int64_t size(std::int64_t d) const;  // negative d counts from the end
  std::int64_t numel() const { return tg::numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }

  // Pointer to the first element (offset applied). Throws DTypeError if T does not match.
  // Code that writes through it into a tensor it did not just create calls bump_version().
  template <class T>
  T* data() const {
    TG_CHECK(dtype_of<T>() == dtype(), DTypeError, "data: tensor is {}, requested {}", dtype(), dtype_of<T>());
    return static_cast<T*>(impl().storage->data()) + impl().offset;
  }
  void* raw_data() const;  // first element, as bytes

  // Element access by multi-index (negative indices count from the end). Values are converted
  // as convert_element does: set_value and item<int64_t> refuse NaN, inf and out-of-range floats.
  double value(std::initializer_list<std::int64_t> index) const;
  double value(std::span<const std::int64_t> index) const;
  void set_value(std::initializer_list<std::int64_t> index, double v) const;
  void set_value(std::span<const std::int64_t> index, double v) const;

  // How many in-place writes the data has seen (PyTorch's `_version`). Shared by every view
  // of the storage and by detach(). Every in-place entry point (copy_, add_, ..., set_value,
  // optimizer steps) bumps it; backward throws AutogradError when a tensor
  // it saved has another version than when it was saved.
  std::uint64_t version() const { return impl().storage->version(); }
  void bump_version() const { impl().storage->bump_version(); }
  // The single element of a one-element tensor, converted to T.
  template <class T = double>
  T item() const;

  // Raw copy, never recorded by autograd: contiguous, converted to dtype (a float that does
  // not fit an int64 is a ValueError naming `op`, see convert_element in checked_math.hpp).
  Tensor clone_as(DType dtype, std::string_view op = "clone_as") const;
  std::vector<double> to_vector() const;  // all elements, row-major
  template <class T>
  std::vector<T> to_vector_as() const;

  // Autograd (defined in autograd/).
  bool requires_grad() const;
  Tensor& set_requires_grad(bool required = true);
  Tensor grad() const;  // accumulated gradient of a leaf, undefined if none
  void set_grad(const Tensor& grad) const;
  void zero_grad() const;  // drops the accumulated gradient
  bool is_leaf() const;
  Tensor detach() const;  // same data, cut from the graph
  void backward(const Tensor& grad_output = Tensor(), BackwardOptions options = {}) const;

  // Differentiable copies, views and common ops as members (defined in ops/).
  Tensor contiguous() const;     // *this if already contiguous, else a recorded copy
  Tensor clone() const;          // recorded contiguous copy
  Tensor to(DType dtype) const;  // recorded conversion (gradients flow between float types)
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;  // like reshape, but throws if a copy would be needed
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
  Tensor permute(const std::vector<std::int64_t>& dims) const;
  Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
  Tensor t() const;  // transpose of a 2-D tensor
  Tensor expand(const Shape& shape) const;
  Tensor squeeze(std::int64_t dim) const;
  Tensor unsqueeze(std::int64_t dim) const;
  Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t stop, std::int64_t step = 1) const;
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  Tensor sum(const std::vector<std::int64_t>& dims = {}, bool keepdim = false) const;
  Tensor mean(const std::vector<std::int64_t>& dims = {}, bool keepdim = false) const;

  // In-place updates of the data (defined in ops/inplace.cpp). They are not recorded, so
  // on a tensor that requires grad they are allowed only with recording off (NoGradGuard),
  // e.g. for optimizer steps; `other` broadcasts to this tensor's shape.
  Tensor& copy_(const Tensor& other);
  Tensor& add_(const Tensor& other, double alpha = 1.0);  // this += alpha * other
  Tensor& sub_(const Tensor& other);
  Tensor& mul_(double factor);
  Tensor& mul_(const Tensor& other);
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// ---- construction (no autograd involved) ----
// empty(): contents unspecified (memory is recycled); every element must be written first.
Tensor empty(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor scalar_tensor(double value, TensorOptions options = {});  // 0-d
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// From values, row-major; shape defaults to 1-D. Values are converted to options.dtype.
Tensor from_vector(const std::vector<double>& values, const Shape& shape = {}, TensorOptions options = {});
Tensor from_vector(const std::vector<float>& values, const Shape& shape = {},
                   TensorOptions options = {.dtype = DType::Float32});
Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape = {},
                   TensorOptions options = {.dtype = DType::Int64});
Tensor tensor(std::initializer_list<double> values, TensorOptions options = {});
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, TensorOptions options = {});

// ---- raw (non-recorded) views and copies, the building blocks of ops ----
namespace raw {
// A view of `t` with the given geometry; checks it stays inside the storage.
Tensor as_strided(const Tensor& t, const Shape& shape, const Strides& strides, std::int64_t offset);
// Copies src into dst elementwise (shapes must match; dtypes may differ: converted with
// convert_element, whose errors name `op`). Meant for filling a tensor being built: it
// leaves dst's version alone, so write into an existing tensor with Tensor::copy_ (or call
// bump_version() after).
void copy_into(const Tensor& dst, const Tensor& src, std::string_view op = "copy");
// `t` itself if contiguous, else a contiguous copy; not recorded.
Tensor contiguous(const Tensor& t);
// A view sharing storage but with no autograd identity (what detach() returns).
Tensor alias(const Tensor& t);
// Elementwise a + b for equal shapes (result dtype promoted), not recorded. Used by the
// engine to accumulate gradients without depending on ops/.
Tensor add(const Tensor& a, const Tensor& b);
// add() into an existing tensor of the result's shape and dtype, with the same bits; `out`
// may be `a` (or `b`) itself, for a sum built in place. Leaves out's version alone, like
// copy_into: for tensors the caller owns and nobody can have saved.
void add_into(const Tensor& out, const Tensor& a, const Tensor& b);
}  // namespace raw

}  // namespace tg
