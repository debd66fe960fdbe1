#include "nn/data/data.hpp"

#include <cstring>
#include <numeric>

#include "tensor/random.hpp"

namespace tg::nn {

TensorDataset::TensorDataset(Tensor data, Tensor targets)
    : data_(raw::contiguous(data.detach())), targets_(raw::contiguous(targets.detach())) {
  TG_CHECK(data_.dim() >= 1 && targets_.dim() >= 1 && data_.size(0) == targets_.size(0), ShapeError,
           "TensorDataset: data {} and targets {} must have the same first dim", data_.shape(), targets_.shape());
}

static Tensor gather_rows(const Tensor& src, const std::vector<std::int64_t>& indices) {
  Shape shape = src.shape();
  shape[0] = static_cast<std::int64_t>(indices.size());
  Tensor out = empty(shape, {.dtype = src.dtype()});
  const std::size_t row =
      static_cast<std::size_t>(src.size(0) == 0 ? 0 : src.numel() / src.size(0)) * itemsize(src.dtype());
  const char* s = static_cast<const char*>(src.raw_data());
  char* d = static_cast<char*>(out.raw_data());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    TG_CHECK(indices[i] >= 0 && indices[i] < src.size(0), IndexError,
             "TensorDataset: index {} out of range for {} rows", indices[i], src.size(0));
    std::memcpy(d + i * row, s + static_cast<std::size_t>(indices[i]) * row, row);
  }
  return out;
}

Batch TensorDataset::get(const std::vector<std::int64_t>& indices) const {
  return {gather_rows(data_, indices), gather_rows(targets_, indices)};
}

Tensor Normalize::operator()(const Tensor& x) const {
  TG_CHECK(std != 0.0, ValueError, "Normalize: std must be non-zero");
  const Tensor c = raw::contiguous(x);
  Tensor out = empty(c.shape(), {.dtype = c.dtype()});
  visit_floating(c.dtype(), "Normalize", [&](auto tag) {
    using T = decltype(tag);
    const T* p = c.data<T>();
    T* o = out.data<T>();
    const T m = static_cast<T>(mean), inv = static_cast<T>(1.0 / std);
    for (std::int64_t i = 0; i < c.numel(); ++i) o[i] = (p[i] - m) * inv;
  });
  return out;
}

DataLoader::DataLoader(TensorDataset dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  TG_CHECK(options_.batch_size > 0, ValueError, "DataLoader: batch_size must be positive, got {}", options_.batch_size);
}

std::int64_t DataLoader::num_batches() const {
  const std::int64_t n = dataset_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<std::int64_t> DataLoader::order(std::int64_t epoch) const {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(dataset_.size()));
  std::iota(idx.begin(), idx.end(), 0);
  if (options_.shuffle) {
    // Fisher-Yates with our own generator: the same order on every platform.
    Generator gen(options_.seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch) + 1);
    for (std::int64_t i = static_cast<std::int64_t>(idx.size()) - 1; i > 0; --i)
      std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(gen.integer(0, i + 1))]);
  }
  return idx;
}

Batch DataLoader::batch(const std::vector<std::int64_t>& order, std::int64_t i) const {
  const std::int64_t b = options_.batch_size;
  const std::int64_t begin = i * b;
  const std::int64_t end = std::min<std::int64_t>(begin + b, static_cast<std::int64_t>(order.size()));
  Batch out = dataset_.get(std::vector<std::int64_t>(order.begin() + begin, order.begin() + end));
  if (options_.transform) out.data = options_.transform(out.data);
  return out;
}

DataLoader::Iterator::Iterator(const DataLoader* loader, std::vector<std::int64_t> order, std::int64_t index)
    : loader_(loader), order_(std::make_shared<const std::vector<std::int64_t>>(std::move(order))), index_(index) {
  if (loader_ != nullptr && index_ < loader_->num_batches()) {
    current_ = loader_->batch(*order_, index_);
    load();
  }
}

void DataLoader::Iterator::load() {
  const std::int64_t next = index_ + 1;
  if (!loader_->options_.prefetch || next >= loader_->num_batches()) return;
  next_ =
      std::async(std::launch::async, [loader = loader_, order = order_, next] { return loader->batch(*order, next); });
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++index_;
  if (index_ >= loader_->num_batches()) {
    current_ = Batch{};
    return *this;
  }
  current_ = next_.valid() ? next_.get() : loader_->batch(*order_, index_);
  load();
  return *this;
}

DataLoader::Iterator DataLoader::begin() {
  Iterator it(this, order(epoch_), 0);
  ++epoch_;
  return it;
}

DataLoader::Iterator DataLoader::end() const { return Iterator(nullptr, {}, num_batches()); }

}  // namespace tg::nn
