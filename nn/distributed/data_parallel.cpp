#include "nn/distributed/data_parallel.hpp"

#include <chrono>
#include <map>

#include "autograd/grad_mode.hpp"
#include "autograd/hooks.hpp"
#include "ops/elementwise.hpp"

namespace tg::distributed {
namespace {

// A view of `numel(shape)` elements of the flat buffer, from `offset`, shaped `shape`.
Tensor slice_of(const Tensor& flat, const Shape& shape, std::int64_t offset) {
  return raw::as_strided(flat, shape, contiguous_strides(shape), offset);
}

// Every rank must hold the same list of parameters: the same count, and the same shapes and
// dtypes in the same order (a hash of them). Otherwise buckets would not line up and the
// allreduces would mix unrelated gradients, or wait forever.
void check_same_parameters(ProcessGroup& group, const std::vector<Tensor>& params) {
  std::uint64_t hash = 1469598103934665603ull;  // FNV-1a over (dtype, rank, dims) of each
  auto mix = [&hash](std::uint64_t v) {
    hash ^= v;
    hash *= 1099511628211ull;
  };
  for (const Tensor& p : params) {
    mix(static_cast<std::uint64_t>(p.dtype()));
    mix(static_cast<std::uint64_t>(p.dim()));
    for (const std::int64_t d : p.shape()) mix(static_cast<std::uint64_t>(d));
  }
  Tensor mine = zeros({2}, {.dtype = DType::Int64});
  mine.data<std::int64_t>()[0] = static_cast<std::int64_t>(params.size());
  mine.data<std::int64_t>()[1] = static_cast<std::int64_t>(hash >> 1);  // fits an int64
  const Tensor all = group.allgather(mine);
  const std::int64_t* rows = all.data<std::int64_t>();
  for (int r = 1; r < group.size(); ++r)
    TG_CHECK(rows[2 * r] == rows[0] && rows[2 * r + 1] == rows[1], DistributedError,
             "DistributedDataParallel: rank {} has {} parameters (shape signature {:x}) but rank 0 has {} ({:x}): "
             "every rank must build the same model",
             r, rows[2 * r], rows[2 * r + 1], rows[0], rows[1]);
}

// Rank 0's values of `tensors` to every rank: one broadcast per dtype, over a flat buffer.
void broadcast_from_rank0(ProcessGroup& group, const std::vector<Tensor>& tensors) {
  std::map<DType, std::vector<Tensor>> by_dtype;
  for (const Tensor& t : tensors) by_dtype[t.dtype()].push_back(t);
  for (const auto& [dtype, list] : by_dtype) {
    std::int64_t total = 0;
    for (const Tensor& t : list) total += t.numel();
    Tensor flat = empty({total}, {.dtype = dtype});
    std::int64_t offset = 0;
    for (const Tensor& t : list) {
      if (group.rank() == 0) raw::copy_into(slice_of(flat, t.shape(), offset), t);
      offset += t.numel();
    }
    group.broadcast(flat, 0)->wait();
    if (group.rank() == 0) continue;
    NoGradGuard no_grad;  // a write into parameters, as an optimizer step is
    offset = 0;
    for (Tensor t : list) {
      t.copy_(slice_of(flat, t.shape(), offset));
      offset += t.numel();
    }
  }
}

}  // namespace

struct Bucket {
  Tensor flat;                      // the gradients of its parameters, end to end
  std::vector<std::size_t> params;  // indices into State::params
  std::size_t waiting = 0;          // parameters not yet ready in this backward
  std::unique_ptr<Work> work;       // its allreduce, once started
};

struct DistributedDataParallel::State {
  std::vector<Tensor> params;  // those that require grad, in the module's order
  std::vector<std::size_t> bucket_of;
  std::vector<std::int64_t> offset_of;
  std::vector<Bucket> buckets;
  std::vector<std::uint64_t> hook_ids;
  std::vector<bool> ready;  // got its gradient in this backward
  Tensor used;              // int64 [params]: 1 where this rank has a gradient to add
  std::size_t next_to_start = 0;
  bool syncing = false;  // inside a synchronised backward
  std::chrono::steady_clock::time_point started{};
};

DistributedDataParallel::DistributedDataParallel(std::shared_ptr<nn::Module> module,
                                                 std::shared_ptr<ProcessGroup> group, DataParallelOptions options)
    : Module("DistributedDataParallel"),
      module_(std::move(module)),
      group_(std::move(group)),
      options_(options),
      state_(std::make_unique<State>()) {
  TG_CHECK(module_ != nullptr && group_ != nullptr, ValueError, "DistributedDataParallel: null module or group");
  TG_CHECK(options_.bucket_cap_bytes > 0, ValueError,
           "DistributedDataParallel: bucket_cap_bytes must be positive, got {}", options_.bucket_cap_bytes);
  register_module("module", module_);
  const std::vector<Tensor> all_params = module_->parameters();
  check_same_parameters(*group_, all_params);
  broadcast_from_rank0(*group_, all_params);
  broadcast_buffers();

  State& s = *state_;
  for (const Tensor& p : all_params)
    if (p.requires_grad()) s.params.push_back(p);
  const std::size_t n = s.params.size();
  s.bucket_of.resize(n);
  s.offset_of.resize(n);
  s.ready.assign(n, false);
  s.used = zeros({static_cast<std::int64_t>(n)}, {.dtype = DType::Int64});
  // Reverse order of registration: the output layer's gradients are final first. One open
  // bucket per dtype, closed once it holds bucket_cap_bytes.
  std::map<DType, std::size_t> open;
  std::vector<std::int64_t> sizes;
  for (std::size_t k = n; k-- > 0;) {
    const Tensor& p = s.params[k];
    auto it = open.find(p.dtype());
    if (it == open.end()) {
      it = open.emplace(p.dtype(), s.buckets.size()).first;
      s.buckets.emplace_back();
      sizes.push_back(0);
    }
    const std::size_t b = it->second;
    s.bucket_of[k] = b;
    s.offset_of[k] = sizes[b];
    s.buckets[b].params.push_back(k);
    sizes[b] += p.numel();
    if (sizes[b] * static_cast<std::int64_t>(itemsize(p.dtype())) >= options_.bucket_cap_bytes) open.erase(it);
  }
  for (std::size_t b = 0; b < s.buckets.size(); ++b)
    s.buckets[b].flat = zeros({sizes[b]}, {.dtype = s.params[s.buckets[b].params.front()].dtype()});
  for (std::size_t k = 0; k < n; ++k)
    s.hook_ids.push_back(
        register_grad_ready_hook(s.params[k], [this, k](const Tensor& grad) { on_grad_ready(k, grad); }));
}

DistributedDataParallel::~DistributedDataParallel() {
  for (std::size_t k = 0; k < state_->params.size(); ++k)
    remove_grad_ready_hook(state_->params[k], state_->hook_ids[k]);
}

Tensor DistributedDataParallel::forward(const Tensor& x) {
  if (is_training() && options_.broadcast_buffers) broadcast_buffers();
  return (*module_)(x);
}

void DistributedDataParallel::broadcast_buffers() {
  const std::vector<Tensor> buffers = module_->buffers();
  if (!buffers.empty()) broadcast_from_rank0(*group_, buffers);
}

std::vector<std::vector<std::size_t>> DistributedDataParallel::bucket_layout() const {
  std::vector<std::vector<std::size_t>> layout;
  for (const Bucket& b : state_->buckets) layout.push_back(b.params);
  return layout;
}

DistributedDataParallel::NoSyncGuard::NoSyncGuard(DistributedDataParallel& ddp) : ddp_(ddp), previous_(ddp.sync_) {
  ddp_.sync_ = false;
}

DistributedDataParallel::NoSyncGuard::~NoSyncGuard() { ddp_.sync_ = previous_; }

// The first hook of a synchronised backward sets the bookkeeping up and queues the finish.
void DistributedDataParallel::on_grad_ready(std::size_t k, const Tensor& grad) {
  if (!sync_) return;
  State& s = *state_;
  if (!s.syncing) {
    s.syncing = true;
    s.next_to_start = 0;
    std::fill(s.ready.begin(), s.ready.end(), false);
    s.used.fill_(0.0);
    for (Bucket& b : s.buckets) b.waiting = b.params.size();
    stats_ = {.buckets = static_cast<std::int64_t>(s.buckets.size())};
    queue_backward_callback([this] { finish_sync(); });
  }
  Bucket& bucket = s.buckets[s.bucket_of[k]];
  raw::copy_into(slice_of(bucket.flat, grad.shape(), s.offset_of[k]), grad);
  s.ready[k] = true;
  s.used.data<std::int64_t>()[k] = 1;
  if (--bucket.waiting == 0) start_ready_buckets(true);
  // MPI moves a nonblocking collective on only inside MPI calls: a collective of several rounds
  // would otherwise wait for finish_sync() after its first. Testing the started ones at every
  // gradient lets their rounds run during backward.
  for (std::size_t b = 0; b < s.next_to_start; ++b) (void)s.buckets[b].work->is_completed();
}

// Starts the allreduce of every full bucket from the next in order: all ranks start them in
// the same order, whatever order their gradients came in.
void DistributedDataParallel::start_ready_buckets(bool during_backward) {
  State& s = *state_;
  while (s.next_to_start < s.buckets.size() && s.buckets[s.next_to_start].waiting == 0) {
    Bucket& b = s.buckets[s.next_to_start++];
    b.work = group_->allreduce(b.flat, ReduceOp::Sum);
    if (during_backward) ++stats_.started_during_backward;
  }
}

// After every .grad() is written: the parameters that got no gradient in this backward add
// what they hold (their .grad(), or zeros), the rest of the buckets start, and each .grad()
// becomes the average over the ranks.
void DistributedDataParallel::finish_sync() {
  State& s = *state_;
  const auto t0 = std::chrono::steady_clock::now();
  struct Reset {
    State& s;
    ~Reset() { s.syncing = false; }
  } reset{s};
  for (std::size_t k = 0; k < s.params.size(); ++k) {
    if (s.ready[k]) continue;
    Bucket& bucket = s.buckets[s.bucket_of[k]];
    const Tensor slot = slice_of(bucket.flat, s.params[k].shape(), s.offset_of[k]);
    const Tensor held = s.params[k].grad();
    if (held.defined()) {
      raw::copy_into(slot, held);
      s.used.data<std::int64_t>()[k] = 1;
    } else {
      Tensor(slot).zero_();
    }
    --bucket.waiting;
  }
  start_ready_buckets(false);
  const std::unique_ptr<Work> used = group_->allreduce(s.used, ReduceOp::Sum);
  for (Bucket& b : s.buckets) b.work->wait();
  used->wait();
  stats_.wait_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  NoGradGuard no_grad;
  const double ranks = group_->size();
  for (std::size_t k = 0; k < s.params.size(); ++k) {
    if (s.used.data<std::int64_t>()[k] == 0) continue;  // no rank has a gradient: .grad() stays as it is
    const Bucket& bucket = s.buckets[s.bucket_of[k]];
    s.params[k].set_grad(slice_of(bucket.flat, s.params[k].shape(), s.offset_of[k]) / ranks);
  }
}

}  // namespace tg::distributed
