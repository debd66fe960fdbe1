#include "nn/data/data.hpp"

#include <cstring>

#include "tensor/parallel.hpp"
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

DataLoader::DataLoader(TensorDataset dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  TG_CHECK(options_.batch_size > 0, ValueError, "DataLoader: batch_size must be positive, got {}", options_.batch_size);
}

std::int64_t DataLoader::num_batches() const {
  const std::int64_t n = options_.sampler ? options_.sampler->size() : dataset_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<std::int64_t> DataLoader::order(std::int64_t epoch) const {
  if (options_.sampler) return options_.sampler->indices(epoch);
  return epoch_order(dataset_.size(), options_.shuffle, options_.seed, epoch);
}

Batch DataLoader::batch(const std::vector<std::int64_t>& order, std::int64_t i, std::int64_t epoch) const {
  const std::int64_t b = options_.batch_size;
  const std::int64_t begin = i * b;
  const std::int64_t end = std::min<std::int64_t>(begin + b, static_cast<std::int64_t>(order.size()));
  const std::vector<std::int64_t> indices(order.begin() + begin, order.begin() + end);
  Batch out = dataset_.get(indices);
  if (options_.sample_transform) out.data = transform_samples(out.data, indices, epoch);
  if (options_.transform) out.data = options_.transform(out.data);
  return out;
}

Tensor DataLoader::transform_samples(const Tensor& data, const std::vector<std::int64_t>& indices,
                                     std::int64_t epoch) const {
  const auto n = static_cast<std::int64_t>(indices.size());
  if (n == 0) return data;
  // A stream per sample (PCG32 streams are independent sequences), under a seed per epoch.
  const std::uint64_t epoch_seed =
      (options_.seed + 1) * 0xD1B54A32D192ED03ULL ^ (static_cast<std::uint64_t>(epoch) + 1) * 0x9E3779B97F4A7C15ULL;
  // data is contiguous (gathered rows): sample i is a view of row i.
  const Shape row_shape(data.shape().begin() + 1, data.shape().end());
  const Strides row_strides(data.strides().begin() + 1, data.strides().end());
  const auto transformed = [&](std::int64_t i) {
    Generator gen(epoch_seed, static_cast<std::uint64_t>(indices[static_cast<std::size_t>(i)]));
    const Tensor sample = raw::as_strided(data, row_shape, row_strides, data.offset() + i * data.strides()[0]);
    return raw::contiguous(options_.sample_transform(sample, gen));
  };
  // The first sample fixes the batch's shape and dtype; the others run in parallel.
  const Tensor first = transformed(0);
  Shape shape = first.shape();
  shape.insert(shape.begin(), n);
  Tensor out = empty(shape, {.dtype = first.dtype()});
  const std::size_t bytes = static_cast<std::size_t>(first.numel()) * itemsize(first.dtype());
  auto* dst = static_cast<char*>(out.raw_data());
  std::memcpy(dst, first.raw_data(), bytes);
  parallel_for(n - 1, 8, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t i = lo + 1; i < hi + 1; ++i) {
      const Tensor y = transformed(i);
      TG_CHECK(y.shape() == first.shape() && y.dtype() == first.dtype(), ShapeError,
               "DataLoader: sample_transform gave {} {} for sample {} but {} {} for the first of its batch",
               dtype_name(y.dtype()), y.shape(), indices[static_cast<std::size_t>(i)], dtype_name(first.dtype()),
               first.shape());
      std::memcpy(dst + static_cast<std::size_t>(i) * bytes, y.raw_data(), bytes);
    }
  });
  return out;
}

DataLoader::Iterator::Iterator(const DataLoader* loader, std::vector<std::int64_t> order, std::int64_t index,
                               std::int64_t epoch)
    : loader_(loader),
      order_(std::make_shared<const std::vector<std::int64_t>>(std::move(order))),
      index_(index),
      epoch_(epoch) {
  if (loader_ != nullptr && index_ < loader_->num_batches()) {
    current_ = loader_->batch(*order_, index_, epoch_);
    load();
  }
}

void DataLoader::Iterator::load() {
  const std::int64_t next = index_ + 1;
  if (!loader_->options_.prefetch || next >= loader_->num_batches()) return;
  next_ = std::async(std::launch::async, [loader = loader_, order = order_, next, epoch = epoch_] {
    return loader->batch(*order, next, epoch);
  });
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++index_;
  if (index_ >= loader_->num_batches()) {
    current_ = Batch{};
    return *this;
  }
  current_ = next_.valid() ? next_.get() : loader_->batch(*order_, index_, epoch_);
  load();
  return *this;
}

DataLoader::Iterator DataLoader::begin() {
  Iterator it(this, order(epoch_), 0, epoch_);
  ++epoch_;
  return it;
}

DataLoader::Iterator DataLoader::end() const { return Iterator(nullptr, {}, num_batches()); }

}  // namespace tg::nn
