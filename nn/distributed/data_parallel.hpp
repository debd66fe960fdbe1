// DistributedDataParallel: the same model on every rank, each rank a different shard of
// every batch, and gradients averaged over the ranks before the optimizer step, so that
// every rank takes the same step: that of one process on the whole batch.
//
//   auto group = tg::distributed::init_mpi();
//   auto model = std::make_shared<Net>();
//   tg::distributed::DistributedDataParallel ddp(model, group);  // rank 0's weights everywhere
//   Adam optimizer(ddp.parameters(), {.lr = 1e-3});
//   for (const Batch& b : loader) {   // loader over a DistributedSampler's shard
//     optimizer.zero_grad();
//     cross_entropy(ddp(b.data), b.target).backward();  // gradients averaged when it returns
//     optimizer.step();
//   }
//
// How (the design PyTorch's DDP made standard; docs/distributed.md):
// - At construction, rank 0's parameters and buffers are broadcast to every rank, after a
//   check that all ranks hold the same list of parameter shapes and dtypes.
// - Gradients are averaged in buckets: flat buffers of about bucket_cap_bytes, filled with
//   the parameters in reverse order of registration (roughly the order backward finishes
//   them). A grad-ready hook (autograd/hooks.hpp) copies each gradient into its bucket the
//   moment it is final; a full bucket's allreduce starts at once, while backward goes on
//   with the layers below. Buckets start in index order on every rank (MPI needs collectives
//   in the same order everywhere), and backward() returns after all have finished, with every
//   .grad() replaced by the average.
// - A parameter that gets no gradient on a rank in a backward (an unused branch) adds zeros
//   there, or its .grad() as it stands; one that gets none on any rank keeps its .grad().
// - no_sync(): while the guard lives, backward only accumulates locally; the first backward
//   after it averages the accumulated gradients.
// - Buffers (BatchNorm's running statistics): rank 0's are broadcast to all ranks before each
//   forward in training mode (broadcast_buffers), as PyTorch does; batch statistics stay per
//   rank (no SyncBatchNorm).
//
// Determinism: buckets, their order and the reduction schedule are the same in every run,
// so a run repeats itself bit for bit, and every rank holds the same bits after a step.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nn/distributed/process_group.hpp"
#include "nn/modules/module.hpp"

namespace tg::distributed {

struct DataParallelOptions {
  std::int64_t bucket_cap_bytes = 25 * 1024 * 1024;  // PyTorch's default bucket_cap_mb = 25
  bool broadcast_buffers = true;                     // rank 0's buffers before each training forward
};

// What the last synchronised backward did, for tests and the benchmark.
struct SyncStats {
  std::int64_t buckets = 0;
  std::int64_t started_during_backward = 0;  // allreduces started from a hook, overlapping backward
  double wait_seconds = 0;                   // spent after the replay, waiting for allreduces
};

class DistributedDataParallel : public nn::Module {
 public:
  DistributedDataParallel(std::shared_ptr<nn::Module> module, std::shared_ptr<ProcessGroup> group,
                          DataParallelOptions options = {});
  ~DistributedDataParallel() override;
  DistributedDataParallel(const DistributedDataParallel&) = delete;
  DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;

  Tensor forward(const Tensor& x) override;

  nn::Module& module() const { return *module_; }
  ProcessGroup& group() const { return *group_; }

  // While the returned guard lives, backward() accumulates gradients locally only.
  class NoSyncGuard {
   public:
    explicit NoSyncGuard(DistributedDataParallel& ddp);
    ~NoSyncGuard();
    NoSyncGuard(const NoSyncGuard&) = delete;
    NoSyncGuard& operator=(const NoSyncGuard&) = delete;

   private:
    DistributedDataParallel& ddp_;
    bool previous_;
  };
  [[nodiscard]] NoSyncGuard no_sync() { return NoSyncGuard(*this); }

  // Rank 0's buffers to every rank now (forward does it in training mode).
  void broadcast_buffers();
  // Parameter indices (into module().parameters()) of each bucket, in the order they start.
  std::vector<std::vector<std::size_t>> bucket_layout() const;
  const SyncStats& last_sync() const { return stats_; }

 private:
  struct State;
  void on_grad_ready(std::size_t k, const Tensor& grad);
  void start_ready_buckets(bool during_backward);
  void finish_sync();

  std::shared_ptr<nn::Module> module_;
  std::shared_ptr<ProcessGroup> group_;
  DataParallelOptions options_;
  std::unique_ptr<State> state_;
  SyncStats stats_;
  bool sync_ = true;
};

}  // namespace tg::distributed
