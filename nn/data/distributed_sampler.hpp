// DistributedSampler: which samples of a data set one rank of a data-parallel job visits in
// an epoch. Each rank gets a disjoint shard of the epoch's order (sample i of the order goes
// to rank i mod num_replicas, as in PyTorch), the order is reshuffled every epoch from the
// seed, and every rank gets the same count: the last uneven part is padded with samples from
// the start of the order, or dropped (drop_last).
//
// The order is the one DataLoader's own shuffle makes for the same seed and epoch, so with
// num_replicas ranks of batch B, batch i of all ranks together holds exactly the samples of
// batch i of one process with batch num_replicas * B (when the shards are even).
#pragma once

#include <cstdint>
#include <vector>

namespace tg::nn {

// The sample order of an epoch (DataLoaderOptions::sampler).
class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::int64_t size() const = 0;  // samples per epoch
  virtual std::vector<std::int64_t> indices(std::int64_t epoch) const = 0;
};

struct DistributedSamplerOptions {
  std::int64_t num_replicas = 1;  // the world size
  std::int64_t rank = 0;
  bool shuffle = true;
  std::uint64_t seed = 0;  // the same on every rank
  bool drop_last = false;  // drop the samples past the last full round instead of padding
};

class DistributedSampler : public Sampler {
 public:
  DistributedSampler(std::int64_t dataset_size, DistributedSamplerOptions options = {});
  std::int64_t size() const override { return per_rank_; }
  std::vector<std::int64_t> indices(std::int64_t epoch) const override;

 private:
  std::int64_t dataset_size_;
  DistributedSamplerOptions options_;
  std::int64_t per_rank_;
};

// 0..size-1, or its Fisher-Yates shuffle by a generator seeded from (seed, epoch): the order
// of an epoch, the same on every platform.
std::vector<std::int64_t> epoch_order(std::int64_t size, bool shuffle, std::uint64_t seed, std::int64_t epoch);

}  // namespace tg::nn
