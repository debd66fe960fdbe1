// DistributedSampler: disjoint, equal shards of each epoch's order, reshuffled per epoch; with
// R ranks of batch B, batch i of all ranks together is batch i of one loader of batch R*B.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

TEST_CASE("DistributedSampler: shards are disjoint, equal, interleaved from the epoch's order, and padded") {
  const std::int64_t n = 10, ranks = 3;
  for (const bool drop_last : {false, true}) {
    std::vector<std::vector<std::int64_t>> shards;
    for (std::int64_t r = 0; r < ranks; ++r)
      shards.push_back(
          DistributedSampler(n, {.num_replicas = ranks, .rank = r, .seed = 7, .drop_last = drop_last}).indices(2));
    const std::vector<std::int64_t> order = epoch_order(n, true, 7, 2);
    const std::size_t per_rank = drop_last ? 3 : 4;  // 10 / 3 rounded down or up
    for (std::int64_t r = 0; r < ranks; ++r) {
      REQUIRE(shards[static_cast<std::size_t>(r)].size() == per_rank);
      for (std::size_t i = 0; i < per_rank; ++i)  // position i*ranks + r of the order, wrapping round
        CHECK(shards[static_cast<std::size_t>(r)][i] == order[(i * ranks + static_cast<std::size_t>(r)) % n]);
    }
    std::multiset<std::int64_t> all;
    for (const auto& s : shards) all.insert(s.begin(), s.end());
    if (drop_last) {
      CHECK(all.size() == 9);
      CHECK(std::set<std::int64_t>(all.begin(), all.end()).size() == 9);  // disjoint
    } else {
      CHECK(all.size() == 12);  // every sample once, and the first two of the order again
      for (std::int64_t i = 0; i < n; ++i) CHECK(all.count(i) == (i == order[0] || i == order[1] ? 2u : 1u));
    }
  }
}

TEST_CASE("DistributedSampler: a new order each epoch, the same for the same seed; no shuffle keeps 0..n-1") {
  const DistributedSampler a(100, {.num_replicas = 2, .rank = 1, .seed = 3});
  const DistributedSampler b(100, {.num_replicas = 2, .rank = 1, .seed = 3});
  CHECK(a.indices(0) == b.indices(0));
  CHECK(a.indices(0) != a.indices(1));
  const DistributedSampler plain(5, {.num_replicas = 2, .rank = 0, .shuffle = false});
  CHECK(plain.indices(4) == std::vector<std::int64_t>{0, 2, 4});
  const DistributedSampler empty_set(0, {.num_replicas = 2, .rank = 1});
  CHECK(empty_set.size() == 0);
  CHECK(empty_set.indices(3).empty());
  CHECK_THROWS_AS(DistributedSampler(5, {.num_replicas = 2, .rank = 2}), ValueError);
  CHECK_THROWS_AS(DistributedSampler(5, {.num_replicas = 0}), ValueError);
}

TEST_CASE("DataLoader over DistributedSampler shards: R ranks of batch B hold the batches of one loader of R*B") {
  const std::int64_t n = 24, ranks = 2, batch = 3;
  const Tensor data = arange(0.0, static_cast<double>(n)).reshape({n, 1});
  const TensorDataset set(data, arange(0.0, static_cast<double>(n), 1.0, {.dtype = DType::Int64}));
  // Augmentation by a per-sample generator: the same value for a sample wherever it lands.
  const SampleTransform jitter = [](const Tensor& x, Generator& gen) { return x + uniform({1}, 0.0, 1.0, gen); };
  DataLoader whole(
      set, {.batch_size = ranks * batch, .shuffle = true, .seed = 5, .prefetch = false, .sample_transform = jitter});
  std::vector<std::unique_ptr<DataLoader>> shards;
  for (std::int64_t r = 0; r < ranks; ++r)
    shards.push_back(std::make_unique<DataLoader>(
        set, DataLoaderOptions{.batch_size = batch,
                               .seed = 5,
                               .sampler = std::make_shared<DistributedSampler>(
                                   n, DistributedSamplerOptions{.num_replicas = ranks, .rank = r, .seed = 5}),
                               .prefetch = false,
                               .sample_transform = jitter}));
  CHECK(shards[0]->num_batches() == whole.num_batches());
  for (std::int64_t epoch : {0, 1}) {
    const auto order = whole.order(epoch);
    for (std::int64_t i = 0; i < whole.num_batches(); ++i) {
      const Batch expected = whole.batch(order, i, epoch);
      const std::vector<double> want = expected.data.to_vector();
      std::multiset<double> got_data, want_data(want.begin(), want.end());
      for (const auto& loader : shards) {
        const Batch b = loader->batch(loader->order(epoch), i, epoch);
        for (const double v : b.data.to_vector()) got_data.insert(v);
      }
      CHECK(got_data == want_data);
    }
  }
}
