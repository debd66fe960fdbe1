#include "nn/data/distributed_sampler.hpp"

#include <numeric>
#include <utility>

#include "tensor/error.hpp"
#include "tensor/random.hpp"

namespace tg::nn {

std::vector<std::int64_t> epoch_order(std::int64_t size, bool shuffle, std::uint64_t seed, std::int64_t epoch) {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(size));
  std::iota(idx.begin(), idx.end(), 0);
  if (shuffle) {
    Generator gen(seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch) + 1);
    for (std::int64_t i = size - 1; i > 0; --i)
      std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(gen.integer(0, i + 1))]);
  }
  return idx;
}

DistributedSampler::DistributedSampler(std::int64_t dataset_size, DistributedSamplerOptions options)
    : dataset_size_(dataset_size), options_(options) {
  TG_CHECK(options_.num_replicas >= 1, ValueError, "DistributedSampler: num_replicas must be at least 1, got {}",
           options_.num_replicas);
  TG_CHECK(options_.rank >= 0 && options_.rank < options_.num_replicas, ValueError,
           "DistributedSampler: rank {} out of range for {} replicas", options_.rank, options_.num_replicas);
  TG_CHECK(dataset_size_ >= 0, ValueError, "DistributedSampler: negative data set size {}", dataset_size_);
  const std::int64_t r = options_.num_replicas;
  // An empty data set gives empty shards, as a DataLoader over it gives no batch.
  per_rank_ = options_.drop_last ? dataset_size_ / r : (dataset_size_ + r - 1) / r;
}

std::vector<std::int64_t> DistributedSampler::indices(std::int64_t epoch) const {
  const std::vector<std::int64_t> order = epoch_order(dataset_size_, options_.shuffle, options_.seed, epoch);
  const std::int64_t r = options_.num_replicas;
  std::vector<std::int64_t> shard;
  shard.reserve(static_cast<std::size_t>(per_rank_));
  // Position rank, rank + r, ... of the order, wrapping round to its start where padding.
  for (std::int64_t i = 0; i < per_rank_; ++i) {
    const std::int64_t position = i * r + options_.rank;
    shard.push_back(order[static_cast<std::size_t>(position % dataset_size_)]);
  }
  return shard;
}

}  // namespace tg::nn
