#include "tensor/tensor.hpp"

#include <algorithm>

#include "tensor/checked_math.hpp"
#include "tensor/strided_loop.hpp"

namespace tg {

TensorImpl& Tensor::impl() const {
  TG_CHECK(impl_ != nullptr, ValueError, "tensor: operation on an undefined tensor");
  return *impl_;
}

std::int64_t Tensor::size(std::int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  if (numel() == 0) return true;  // no element to be out of order (strides of a 0 dim are arbitrary)
  const auto& sh = shape();
  const auto& st = strides();
  std::int64_t expected = 1;
  for (auto i = static_cast<std::int64_t>(sh.size()) - 1; i >= 0; --i) {
    if (sh[i] == 1) continue;
    if (st[i] != expected) return false;
    expected *= sh[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl().storage->data()) + impl().offset * static_cast<std::int64_t>(itemsize(dtype()));
}

namespace {
std::int64_t element_offset(const Tensor& t, std::span<const std::int64_t> index, std::string_view op) {
  TG_CHECK(static_cast<std::int64_t>(index.size()) == t.dim(), IndexError,
           "{}: {} indices given for a tensor of shape {}", op, index.size(), t.shape());
  std::int64_t off = 0;
  for (std::size_t d = 0; d < index.size(); ++d) {
    std::int64_t i = index[d];
    const std::int64_t n = t.shape()[d];
    TG_CHECK(i >= -n && i < n, IndexError, "{}: index {} is out of range for dim {} of shape {}", op, i, d, t.shape());
    if (i < 0) i += n;
    off += i * t.strides()[d];
  }
  return off;
}
}  // namespace

double Tensor::value(std::span<const std::int64_t> index) const {
  const std::int64_t off = element_offset(*this, index, "value");
  return visit_dtype(dtype(), [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(static_cast<const T*>(impl().storage->data())[impl().offset + off]);
  });
}
double Tensor::value(std::initializer_list<std::int64_t> index) const {
  return value(std::span(index.begin(), index.size()));
}

void Tensor::set_value(std::span<const std::int64_t> index, double v) const {
  const std::int64_t off = element_offset(*this, index, "set_value");
  visit_dtype(dtype(), [&](auto tag) {
    using T = decltype(tag);
    static_cast<T*>(impl().storage->data())[impl().offset + off] = convert_element<T>(v, "set_value");
  });
  bump_version();
}
void Tensor::set_value(std::initializer_list<std::int64_t> index, double v) const {
  set_value(std::span(index.begin(), index.size()), v);
}

template <class T>
T Tensor::item() const {
  TG_CHECK(numel() == 1, ValueError, "item: tensor of shape {} has {} elements, expected 1", shape(), numel());
  return visit_dtype(dtype(), [&](auto tag) {
    using S = decltype(tag);
    return convert_element<T>(*static_cast<const S*>(raw_data()), "item");
  });
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template std::int64_t Tensor::item<std::int64_t>() const;
template bool Tensor::item<bool>() const;
template int Tensor::item<int>() const;

Tensor Tensor::clone_as(DType dtype, std::string_view op) const {
  Tensor out = empty(shape(), {.dtype = dtype});
  raw::copy_into(out, *this, op);
  return out;
}

template <class T>
std::vector<T> Tensor::to_vector_as() const {
  Tensor c = raw::contiguous(*this);
  std::vector<T> out(static_cast<std::size_t>(numel()));
  visit_dtype(dtype(), [&](auto tag) {
    using S = decltype(tag);
    const S* p = c.data<S>();
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = convert_element<T>(p[i], "to_vector_as");
  });
  return out;
}
template std::vector<float> Tensor::to_vector_as<float>() const;
template std::vector<double> Tensor::to_vector_as<double>() const;
template std::vector<std::int64_t> Tensor::to_vector_as<std::int64_t>() const;

std::vector<double> Tensor::to_vector() const { return to_vector_as<double>(); }

// ---- factories ----

namespace {
Tensor allocate(std::string_view op, const Shape& shape, TensorOptions options, Storage::Fill fill) {
  check_shape(shape, op);
  // Byte counts stay within int64, as byte offsets are computed in int64 (raw_data).
  std::int64_t nbytes = 0;
  TG_CHECK(!mul_overflows(numel(shape), static_cast<std::int64_t>(itemsize(options.dtype)), nbytes), ShapeError,
           "{}: shape {} of {} needs more than 2^63 - 1 bytes", op, shape, options.dtype);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(nbytes), fill);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = options.dtype;
  Tensor t(std::move(impl));
  if (options.requires_grad) t.set_requires_grad(true);
  return t;
}
}  // namespace

Tensor empty(const Shape& shape, TensorOptions options) {
  return allocate("empty", shape, options, Storage::Fill::none);
}

Tensor zeros(const Shape& shape, TensorOptions options) {
  return allocate("zeros", shape, options, Storage::Fill::zeros);
}

namespace {
Tensor filled(std::string_view op, const Shape& shape, double value, TensorOptions options) {
  return visit_dtype(options.dtype, [&](auto tag) {
    using T = decltype(tag);
    const T v = convert_element<T>(value, op);  // before allocating: nothing to undo
    Tensor t = allocate(op, shape, {.dtype = options.dtype}, Storage::Fill::none);
    std::fill_n(t.data<T>(), t.numel(), v);
    if (options.requires_grad) t.set_requires_grad(true);
    return t;
  });
}
}  // namespace

Tensor full(const Shape& shape, double value, TensorOptions options) { return filled("full", shape, value, options); }
Tensor ones(const Shape& shape, TensorOptions options) { return filled("ones", shape, 1.0, options); }
Tensor scalar_tensor(double value, TensorOptions options) { return filled("scalar_tensor", {}, value, options); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), {.dtype = t.dtype()}); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), {.dtype = t.dtype()}); }
Tensor full_like(const Tensor& t, double value) { return full(t.shape(), value, {.dtype = t.dtype()}); }

namespace {
template <class V>
Tensor from_values(const std::vector<V>& values, const Shape& shape_in, TensorOptions options) {
  const Shape shape =
      shape_in.empty() && values.size() != 1 ? Shape{static_cast<std::int64_t>(values.size())} : shape_in;
  TG_CHECK(numel(shape) == static_cast<std::int64_t>(values.size()), ShapeError,
           "from_vector: {} values do not fill shape {} ({} elements)", values.size(), shape, numel(shape));
  Tensor t = empty(shape, {.dtype = options.dtype});
  visit_dtype(options.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = convert_element<T>(values[i], "from_vector");
  });
  if (options.requires_grad) t.set_requires_grad(true);
  return t;
}
}  // namespace

Tensor from_vector(const std::vector<double>& values, const Shape& shape, TensorOptions options) {
  return from_values(values, shape, options);
}
Tensor from_vector(const std::vector<float>& values, const Shape& shape, TensorOptions options) {
  return from_values(values, shape, options);
}
Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape, TensorOptions options) {
  return from_values(values, shape, options);
}

Tensor tensor(std::initializer_list<double> values, TensorOptions options) {
  return from_values(std::vector<double>(values), {static_cast<std::int64_t>(values.size())}, options);
}

Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, TensorOptions options) {
  std::vector<double> values;
  const std::size_t cols = rows.size() == 0 ? 0 : rows.begin()->size();
  for (const auto& row : rows) {
    TG_CHECK(row.size() == cols, ShapeError, "tensor: ragged rows ({} and {} values)", cols, row.size());
    values.insert(values.end(), row.begin(), row.end());
  }
  return from_values(values, {static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(cols)}, options);
}

// ---- raw views and copies ----

namespace raw {

Tensor as_strided(const Tensor& t, const Shape& shape, const Strides& strides, std::int64_t offset) {
  TG_CHECK(shape.size() == strides.size(), ShapeError, "as_strided: shape {} and strides {} differ in rank", shape,
           strides);
  check_shape(shape, "as_strided");
  const auto capacity = static_cast<std::int64_t>(t.impl().storage->nbytes() / itemsize(t.dtype()));
  // The lowest and highest element the view reaches; an overflow in between reaches outside
  // any storage. An empty view reaches nothing: any offset will do (a slice past the end of
  // an empty storage, say), and it is kept at 0 so that no pointer is ever formed past the
  // storage's end.
  const bool empty = numel(shape) == 0;
  if (empty) offset = 0;
  bool inside = offset >= 0 && offset <= capacity;
  if (inside && !empty) {
    std::int64_t lo = offset;
    std::int64_t hi = offset;
    for (std::size_t d = 0; d < shape.size() && inside; ++d) {
      std::int64_t span = 0;
      inside = !mul_overflows(shape[d] - 1, strides[d], span);
      std::int64_t& end = span < 0 ? lo : hi;
      inside = inside && !add_overflows(end, span, end);
    }
    inside = inside && lo >= 0 && hi < capacity;
  }
  TG_CHECK(inside, IndexError,
           "as_strided: view (shape {}, strides {}, offset {}) reaches outside storage of {} elements", shape, strides,
           offset, capacity);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.impl().storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = t.dtype();
  return Tensor(std::move(impl));
}

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : t.clone_as(t.dtype()); }

Tensor alias(const Tensor& t) { return as_strided(t, t.shape(), t.strides(), t.offset()); }

void copy_into(const Tensor& dst, const Tensor& src, std::string_view op) {
  TG_CHECK(dst.shape() == src.shape(), ShapeError, "copy: destination shape {} differs from source shape {}",
           dst.shape(), src.shape());
  visit_dtype(dst.dtype(), [&](auto dtag) {
    using D = decltype(dtag);
    visit_dtype(src.dtype(), [&](auto stag) {
      using S = decltype(stag);
      D* d = static_cast<D*>(dst.impl().storage->data());
      const S* s = static_cast<const S*>(src.impl().storage->data());
      for_each_row<2>(
          dst.shape(), {dst.strides(), src.strides()}, {dst.offset(), src.offset()},
          [&](const std::array<std::int64_t, 2>& off, std::int64_t n, const std::array<std::int64_t, 2>& inc) {
            D* dp = d + off[0];
            const S* sp = s + off[1];
            if (inc[0] == 1 && inc[1] == 1) {
              for (std::int64_t i = 0; i < n; ++i) dp[i] = convert_element<D>(sp[i], op);
            } else {
              for (std::int64_t i = 0; i < n; ++i) dp[i * inc[0]] = convert_element<D>(sp[i * inc[1]], op);
            }
          });
    });
  });
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = empty(a.shape(), {.dtype = promote_types(a.dtype(), b.dtype())});
  add_into(out, a, b);
  return out;
}

void add_into(const Tensor& out, const Tensor& a, const Tensor& b) {
  TG_CHECK(a.shape() == b.shape() && out.shape() == a.shape(), ShapeError, "add: shapes {} and {} differ (output {})",
           a.shape(), b.shape(), out.shape());
  const DType dtype = promote_types(a.dtype(), b.dtype());
  TG_CHECK(out.dtype() == dtype, DTypeError, "add: output is {}, the sum of {} and {} is {}", out.dtype(), a.dtype(),
           b.dtype(), dtype);
  const Tensor x = a.dtype() == dtype ? a : a.clone_as(dtype);
  const Tensor y = b.dtype() == dtype ? b : b.clone_as(dtype);
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* o = static_cast<T*>(out.impl().storage->data());
    const T* xs = static_cast<const T*>(x.impl().storage->data());
    const T* ys = static_cast<const T*>(y.impl().storage->data());
    // Each element is read before it is written, so `out` may be `a` or `b` itself.
    for_each_row<3>(
        out.shape(), {out.strides(), x.strides(), y.strides()}, {out.offset(), x.offset(), y.offset()},
        [&](const std::array<std::int64_t, 3>& off, std::int64_t n, const std::array<std::int64_t, 3>& inc) {
          for (std::int64_t i = 0; i < n; ++i)
            o[off[0] + i * inc[0]] = wrapping_add(xs[off[1] + i * inc[1]], ys[off[2] + i * inc[2]]);
        });
  });
}

}  // namespace raw
}  // namespace tg
