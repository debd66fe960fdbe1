// Data-parallel training on one machine: what MPI's allreduce costs, and what a training step
// costs as one process with T threads against N processes (DistributedDataParallel) at the
// same global batch. Runs as a single process or under mpirun; rank 0 prints Markdown tables:
// - allreduce of float32 buffers from 4 KB to 64 MB (2+ ranks only): median time, algorithm
//   and bus bandwidth;
// - one SGD step of LeNet-5 (global batch 64) and of a small residual CNN with batch norm
//   (global batch 32): median step time and, under DDP, the communication left exposed after
//   backward, the bucket count, the time of one blocking allreduce of all gradients (alone,
//   and right after a backward without DDP's overlap), and the share of the latter that
//   overlap with backward hid.
//
// Usage: bench_distributed [--threads 1] [--repeats 7] [--steps 5] [--bucket-kb 64]
//   mpirun -np 2 bench_distributed --threads 1
#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/harness.hpp"
#include "bench/tg_models.hpp"
#include "nn/distributed/data_parallel.hpp"
#include "nn/distributed/mpi_process_group.hpp"
#include "nn/nn.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/simd/simd_path.hpp"
#include "tensor/parallel.hpp"
#include "tensor/random.hpp"

namespace {

using tg::distributed::ProcessGroup;
using Clock = std::chrono::steady_clock;

struct Flags {
  int threads = 1;
  int repeats = 7;  // timed runs; the median is reported
  int steps = 5;    // training steps per timed run
  // Both networks hold well under PyTorch's default 25 MB of gradients (LeNet-5 240 KB, the
  // residual CNN 380 KB), which would make one bucket that can only start once backward has
  // finished: nothing to overlap. A small cap splits them into a few buckets.
  std::int64_t bucket_kb = 64;
};

bool parse(int argc, char** argv, Flags& f) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::stoi(argv[i + 1]);
    if (value < 1) return false;
    if (flag == "--threads") {
      f.threads = value;
    } else if (flag == "--repeats") {
      f.repeats = value;
    } else if (flag == "--steps") {
      f.steps = value;
    } else if (flag == "--bucket-kb") {
      f.bucket_kb = value;
    } else {
      return false;
    }
  }
  return argc % 2 == 1;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Lines only rank 0 prints; the other ranks compute the same things silently.
bool g_print = true;
__attribute__((format(printf, 1, 2))) void say(const char* format, ...) {
  if (!g_print) return;
  va_list args;
  va_start(args, format);
  std::vprintf(format, args);
  va_end(args);
}

// Ranks start each timed region together, so that one rank's lead is not counted as the
// others' communication time. A single process has nobody to wait for.
void barrier(const std::shared_ptr<ProcessGroup>& group) {
  if (group != nullptr) group->barrier();
}

// ---- the networks ----

// 3x32x32 images: conv 3->32 3x3 + BN + ReLU, two basic blocks at 32 channels, one strided block
// to 64 (16x16), global average pool, linear 64->10. Heavier per image than LeNet-5 by two
// orders of magnitude, with 1.5 times its gradient bytes.
std::shared_ptr<tg::nn::Module> small_resnet(tg::Generator& gen) {
  using namespace tg::nn;
  auto model = std::make_shared<Sequential>();
  model->push_back("conv1", std::make_shared<Conv2d>(3, 32, 3, Conv2dLayerOptions{.padding = 1, .bias = false}, gen));
  model->push_back("bn1", std::make_shared<BatchNorm2d>(32));
  model->push_back("relu", std::make_shared<ReLU>());
  model->push_back("block1", std::make_shared<tg::bench::TgBasicBlock>(32, 32, 1, gen));
  model->push_back("block2", std::make_shared<tg::bench::TgBasicBlock>(32, 32, 1, gen));
  model->push_back("block3", std::make_shared<tg::bench::TgBasicBlock>(32, 64, 2, gen));
  model->push_back("avgpool", std::make_shared<AdaptiveAvgPool2d>(1));
  model->push_back("flatten", std::make_shared<Flatten>());
  model->push_back("fc", std::make_shared<Linear>(64, 10, LinearOptions{}, gen));
  return model;
}

struct Network {
  std::string name;
  std::function<std::shared_ptr<tg::nn::Module>(tg::Generator&)> build;
  tg::Shape image;  // C, H, W
  std::int64_t global_batch;
};

// ---- allreduce bandwidth ----

void allreduce_table(ProcessGroup& group, const Flags& f) {
  say("\n| allreduce float32 | median | algbw GB/s | busbw GB/s |\n|---:|---:|---:|---:|\n");
  const double n = group.size();
  for (const std::int64_t bytes : {4LL << 10, 64LL << 10, 1LL << 20, 16LL << 20, 64LL << 20}) {
    tg::Tensor buffer = tg::ones({bytes / 4});
    // Small messages take microseconds: repeat them within a timed run so that the clock and
    // the barrier's skew stay small against the run (about 16 MB moved per run).
    const int calls = static_cast<int>(std::clamp<std::int64_t>((16LL << 20) / bytes, 1, 200));
    group.allreduce(buffer)->wait();  // warm-up: connections, pinned pages
    std::vector<double> runs;
    for (int r = 0; r < f.repeats; ++r) {
      group.barrier();
      const auto t0 = Clock::now();
      for (int c = 0; c < calls; ++c) group.allreduce(buffer)->wait();
      runs.push_back(seconds_since(t0) / calls);
    }
    const double t = median(runs);
    // Algorithm bandwidth: the buffer's bytes over the time. Bus bandwidth scales it by
    // 2(N-1)/N, the share of the buffer each rank sends (and receives) in a ring allreduce
    // (reduce-scatter then allgather), so that the figure is comparable across rank counts
    // and with the link's bandwidth (NCCL's definition).
    const double algbw = static_cast<double>(bytes) / t / 1e9;
    const std::string size =
        bytes >= (1LL << 20) ? std::to_string(bytes >> 20) + " MB" : std::to_string(bytes >> 10) + " KB";
    const bool micro = t < 1e-3;
    say("| %s | %.1f %s | %.2f | %.2f |\n", size.c_str(), micro ? t * 1e6 : t * 1e3, micro ? "us" : "ms", algbw,
        algbw * 2 * (n - 1) / n);
  }
}

// ---- training steps ----

struct StepResult {
  double step_ms = 0;
  double exposed_ms = 0;  // median SyncStats::wait_seconds (DDP only)
  // One blocking allreduce of every gradient at once (DDP only): alone, after a barrier (the
  // communication itself), and right after a local backward (no_sync), where it also waits
  // for the slower rank to finish its backward, as SyncStats::wait_seconds does.
  double alone_ms = 0, after_backward_ms = 0;
  std::int64_t buckets = 0, started_during_backward = 0;
};

// One process when `group` is null; otherwise DDP over the group, each rank a shard.
StepResult time_steps(const Network& net, const std::shared_ptr<ProcessGroup>& group, const Flags& f) {
  const int ranks = group != nullptr ? group->size() : 1;
  const int rank = group != nullptr ? group->rank() : 0;
  if (net.global_batch % ranks != 0) throw std::runtime_error(net.name + ": global batch not divisible by ranks");
  const std::int64_t batch = net.global_batch / ranks;

  tg::Generator init_gen(1000);  // the same model on every rank (DDP broadcasts rank 0's anyway)
  std::shared_ptr<tg::nn::Module> model = net.build(init_gen);
  std::unique_ptr<tg::distributed::DistributedDataParallel> ddp;
  if (group != nullptr)
    ddp = std::make_unique<tg::distributed::DistributedDataParallel>(
        model, group, tg::distributed::DataParallelOptions{.bucket_cap_bytes = f.bucket_kb * 1024});
  tg::nn::Module& run = ddp ? static_cast<tg::nn::Module&>(*ddp) : *model;
  tg::nn::SGD optimizer(run.parameters(), tg::nn::SGDOptions{.lr = 0.01});

  // Each rank its own shard: random images and labels from a seed of its own.
  tg::Generator data_gen(2000 + static_cast<std::uint64_t>(rank));
  tg::Shape shape{batch};
  shape.insert(shape.end(), net.image.begin(), net.image.end());
  const tg::Tensor x = tg::randn(shape, data_gen);
  const tg::Tensor target = tg::randint(0, 10, {batch}, data_gen);

  std::vector<double> waits;
  auto step = [&] {
    optimizer.zero_grad();
    tg::nn::cross_entropy(run(x), target).backward();
    optimizer.step();
    if (ddp) waits.push_back(ddp->last_sync().wait_seconds);
  };
  step();
  step();  // warm-up: allocator, kernel selection, MPI connections
  waits.clear();

  StepResult result;
  std::vector<double> runs, run_waits;
  for (int r = 0; r < f.repeats; ++r) {
    barrier(group);
    const auto t0 = Clock::now();
    for (int s = 0; s < f.steps; ++s) step();
    runs.push_back(seconds_since(t0) / f.steps);
    if (ddp) {
      double sum = 0;
      for (const double w : waits) sum += w;
      run_waits.push_back(sum / static_cast<double>(waits.size()));
      waits.clear();
    }
  }
  result.step_ms = median(runs) * 1e3;
  if (!ddp) return result;
  result.exposed_ms = median(run_waits) * 1e3;
  result.buckets = ddp->last_sync().buckets;
  result.started_during_backward = ddp->last_sync().started_during_backward;

  // Communication without overlap: the same gradient bytes in one flat float32 tensor,
  // reduced by a blocking allreduce once backward has finished.
  std::int64_t numel = 0;
  for (const tg::Tensor& p : run.parameters())
    if (p.requires_grad()) numel += p.numel();
  tg::Tensor flat = tg::ones({numel});
  group->allreduce(flat)->wait();
  std::vector<double> alone, after_backward;
  for (int r = 0; r < f.repeats; ++r) {
    step();  // the caches and the other rank in the state a step leaves them in
    barrier(group);
    auto t0 = Clock::now();
    group->allreduce(flat)->wait();
    alone.push_back(seconds_since(t0));
    // The step as it would run without overlap: backward with DDP's hooks off, then the
    // allreduce. Ranks start the forward together (the barrier), as they start each DDP step
    // together (the previous step ended in its allreduces), so the wait includes the same skew
    // between the ranks' backward passes that wait_seconds includes.
    barrier(group);
    optimizer.zero_grad();
    {
      const auto local = ddp->no_sync();
      tg::nn::cross_entropy(run(x), target).backward();
    }
    t0 = Clock::now();
    group->allreduce(flat)->wait();
    after_backward.push_back(seconds_since(t0));
    optimizer.zero_grad();  // the local gradients must not reach the next synchronised step
  }
  result.alone_ms = median(alone) * 1e3;
  result.after_backward_ms = median(after_backward) * 1e3;
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (!parse(argc, argv, f)) {
    std::fputs("usage: bench_distributed [--threads 1] [--repeats 7] [--steps 5] [--bucket-kb 64]\n", stderr);
    return 2;
  }
  // Without mpirun there is no group: the single-process baseline.
  std::shared_ptr<ProcessGroup> group;
  if (tg::distributed::launched_by_mpirun()) group = tg::distributed::init_mpi();
  if (group != nullptr && group->size() == 1) group = nullptr;  // mpirun -np 1: the same baseline
  const int ranks = group != nullptr ? group->size() : 1;
  g_print = group == nullptr || group->rank() == 0;
  tg::set_num_threads(f.threads);

  say("| CPU | SIMD path | processes x threads | bucket cap | timing | load average |\n|---|---|---|---|---|---|\n");
  say("| %s | %s | %d x %d | %lld KB | median of %d runs of %d steps | %s |\n", tg::bench::cpu_model().c_str(),
      std::string(tg::kernels::to_string(tg::kernels::simd_path())).c_str(), ranks, f.threads,
      static_cast<long long>(f.bucket_kb), f.repeats, f.steps, tg::bench::load_average().c_str());

  if (group != nullptr) allreduce_table(*group, f);

  const std::vector<Network> nets{
      {"LeNet-5, global batch 64", tg::bench::tg_lenet5, {1, 28, 28}, 64},
      {"residual CNN 3x32x32, global batch 32", small_resnet, {3, 32, 32}, 32},
  };
  say("\n| step | step ms | exposed comm ms | of step | buckets (started in backward) | allreduce alone ms | "
      "allreduce after backward ms | hidden share |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Network& net : nets) {
    const StepResult r = time_steps(net, group, f);
    if (group == nullptr) {
      say("| %s | %.2f | - | - | - | - | - | - |\n", net.name.c_str(), r.step_ms);
      continue;
    }
    // Hidden share: the part of what a non-overlapped step waits for after backward (one
    // blocking allreduce of every gradient) that this step did not wait for, because buckets
    // were reduced while backward was still computing. 1: communication cost the step
    // nothing; 0: the step waited as long as without overlap (or longer: each bucket pays a
    // latency). Measured against the allreduce after a backward, not alone, because
    // wait_seconds also holds the wait for the slower rank, which overlap cannot hide.
    const double hidden = std::clamp(1 - r.exposed_ms / r.after_backward_ms, 0.0, 1.0);
    say("| %s | %.2f | %.3f | %.1f%% | %lld (%lld) | %.3f | %.3f | %.0f%% |\n", net.name.c_str(), r.step_ms,
        r.exposed_ms, 100 * r.exposed_ms / r.step_ms, static_cast<long long>(r.buckets),
        static_cast<long long>(r.started_during_backward), r.alone_ms, r.after_backward_ms, 100 * hidden);
  }
  say("\nload average at the end: %s\n", tg::bench::load_average().c_str());
  return 0;
}
