// Data sets and the loader: an in-memory dataset of (data, target) rows, batching with
// seeded per-epoch shuffling, drop-last, a per-sample transform (augmentation, e.g.
// RandomCrop and RandomHorizontalFlip, nn/data/transforms.hpp), a batch transform (e.g.
// Normalize), and optional prefetching of the next batch on a background thread while the
// current one is used.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "nn/data/distributed_sampler.hpp"
#include "nn/data/transforms.hpp"
#include "tensor/tensor.hpp"

namespace tg::nn {

struct Batch {
  Tensor data{};
  Tensor target{};
};

// Rows of `data` [N, ...] paired with rows of `targets` [N, ...] (any dtypes).
class TensorDataset {
 public:
  TensorDataset(Tensor data, Tensor targets);
  std::int64_t size() const { return data_.size(0); }
  const Tensor& data() const { return data_; }
  const Tensor& targets() const { return targets_; }
  Batch get(const std::vector<std::int64_t>& indices) const;  // rows gathered in order

 private:
  Tensor data_, targets_;
};

struct DataLoaderOptions {
  std::int64_t batch_size = 64;
  bool shuffle = false;
  bool drop_last = false;
  std::uint64_t seed = 0;  // shuffling order of epoch e depends only on (seed, e)
  // When set, the samples of each epoch and their order (e.g. a DistributedSampler's shard);
  // shuffle is then the sampler's. `seed` still seeds the sample transform.
  std::shared_ptr<const Sampler> sampler{};
  bool prefetch = true;  // assemble batch i+1 on a background thread while i is used
  // Applied to each sample of a batch (data row i, shape [...]) before `transform`, with a
  // generator seeded from (seed, epoch, the sample's index in the data set): the same
  // augmentation whatever the thread count, batch size or prefetching. Samples run in
  // parallel; every result must have the same shape and dtype.
  SampleTransform sample_transform{};
  std::function<Tensor(const Tensor&)> transform{};  // applied to each batch's data
};

class DataLoader {
 public:
  DataLoader(TensorDataset dataset, DataLoaderOptions options = {});

  std::int64_t num_batches() const;
  std::int64_t dataset_size() const { return dataset_.size(); }
  const DataLoaderOptions& options() const { return options_; }
  // The epoch whose order the next iteration uses; each completed begin() advances it.
  void set_epoch(std::int64_t epoch) { epoch_ = epoch; }
  std::int64_t epoch() const { return epoch_; }
  // Sample order of an epoch (identity without shuffle).
  std::vector<std::int64_t> order(std::int64_t epoch) const;
  // Batch i of an epoch whose sample order is `order`.
  Batch batch(const std::vector<std::int64_t>& order, std::int64_t i, std::int64_t epoch = 0) const;

  class Iterator {
   public:
    Iterator(const DataLoader* loader, std::vector<std::int64_t> order, std::int64_t index, std::int64_t epoch = 0);
    Iterator(Iterator&&) = default;
    Iterator& operator=(Iterator&&) = default;
    const Batch& operator*() const { return current_; }
    const Batch* operator->() const { return &current_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    void load();
    const DataLoader* loader_;
    std::shared_ptr<const std::vector<std::int64_t>> order_;  // shared with the prefetch task
    std::int64_t index_;
    std::int64_t epoch_;
    Batch current_;
    std::future<Batch> next_;
  };
  Iterator begin();  // starts epoch epoch(), then advances the epoch counter
  Iterator end() const;

 private:
  Tensor transform_samples(const Tensor& data, const std::vector<std::int64_t>& indices, std::int64_t epoch) const;

  TensorDataset dataset_;
  DataLoaderOptions options_;
  std::int64_t epoch_ = 0;
};

}  // namespace tg::nn
