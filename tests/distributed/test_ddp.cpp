// DistributedDataParallel under mpirun -np 2: rank 0's weights everywhere, gradients averaged
// in buckets during backward, N ranks of batch B = one process of batch N*B (exactly on
// integers), unused parameters, no_sync, buffers, and runs that repeat bit for bit.
#include <doctest/doctest.h>

#include <cstring>

#include "dist_test_util.hpp"
#include "nn/distributed/data_parallel.hpp"
#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;
using tg::distributed::DistributedDataParallel;

namespace {

std::shared_ptr<Sequential> make_mlp(std::uint64_t seed, DType dtype = DType::Float64) {
  Generator gen(seed);
  return std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Linear>(6, 8, LinearOptions{.dtype = dtype}, gen), std::make_shared<ReLU>(),
      std::make_shared<Linear>(8, 5, LinearOptions{.dtype = dtype}, gen), std::make_shared<ReLU>(),
      std::make_shared<Linear>(5, 4, LinearOptions{.dtype = dtype}, gen)});
}

// Copies the values of `from`'s parameters into `to`'s (same architecture).
void copy_parameters(const Module& from, const Module& to) {
  NoGradGuard no_grad;
  const auto a = from.parameters(), b = to.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) Tensor(b[i]).copy_(a[i]);
}

// Every rank's copy of `t`, bit for bit the same as rank 0's.
bool same_bits_on_every_rank(const Tensor& t) {
  const Tensor all = test_group().allgather(raw::contiguous(t));
  const std::size_t bytes = static_cast<std::size_t>(t.numel()) * itemsize(t.dtype());
  const char* p = static_cast<const char*>(all.raw_data());
  for (int r = 1; r < test_group().size(); ++r)
    if (std::memcmp(p, p + static_cast<std::size_t>(r) * bytes, bytes) != 0) return false;
  return true;
}

// t * scale cut to integers (toward zero), in t's dtype.
Tensor to_integers(const Tensor& t, double scale) { return (t * scale).clone_as(DType::Int64).clone_as(t.dtype()); }

// A global batch of `ranks * per_rank` rows, the same on every rank; integer-valued when asked.
std::pair<Tensor, Tensor> global_batch(std::int64_t rows, DType dtype, bool integers, std::uint64_t seed) {
  Generator gen(seed);
  Tensor x = randn({rows, 6}, gen, {.dtype = dtype});
  Tensor y = randn({rows, 4}, gen, {.dtype = dtype});
  if (integers) {
    x = to_integers(x, 3.0);
    y = to_integers(y, 3.0);
  }
  return {x, y};
}

}  // namespace

TEST_CASE("DDP: rank 0's parameters reach every rank, and models that differ are refused") {
  auto& group = test_group();
  const auto model = make_mlp(100 + static_cast<std::uint64_t>(group.rank()));  // different on each rank
  const auto rank0 = make_mlp(100);
  DistributedDataParallel ddp(model, distributed::init_mpi());
  const auto got = model->parameters(), want = rank0->parameters();
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].to_vector() == want[i].to_vector());
    CHECK(same_bits_on_every_rank(got[i]));
  }
  // Rank 1 builds a model with another hidden width: both ranks see the mismatch.
  Generator gen(1);
  const auto odd = std::make_shared<Linear>(4, group.rank() == 0 ? 3 : 2, LinearOptions{}, gen);
  CHECK_THROWS_AS(DistributedDataParallel(odd, distributed::init_mpi()), DistributedError);
}

TEST_CASE("DDP: N ranks of batch B give the gradients of one process of batch N*B") {
  auto& group = test_group();
  const std::int64_t per_rank = 4, rows = per_rank * group.size();
  for (const bool integers : {true, false}) {
    CAPTURE(integers);
    // Integer inputs and weights in float32: every product and sum is exact, and the means
    // divide by powers of two (16 outputs per rank, 32 in all), so the gradients must agree bit
    // for bit whatever the summation order.
    const DType dtype = integers ? DType::Float32 : DType::Float64;
    const auto model = make_mlp(7, dtype), single = make_mlp(7, dtype);
    if (integers) {
      NoGradGuard no_grad;
      for (Tensor p : model->parameters()) p.copy_(to_integers(p, 4.0));
      copy_parameters(*model, *single);
    }
    const auto [x, y] = global_batch(rows, dtype, integers, 11);
    DistributedDataParallel ddp(model, distributed::init_mpi(), {.bucket_cap_bytes = 64});
    const Tensor mine = x.narrow(0, per_rank * group.rank(), per_rank);
    mse_loss(ddp(mine), y.narrow(0, per_rank * group.rank(), per_rank)).backward();
    mse_loss((*single)(x), y).backward();
    const auto got = model->parameters(), want = single->parameters();
    for (std::size_t i = 0; i < got.size(); ++i) {
      REQUIRE(got[i].grad().defined());
      if (integers)
        CHECK(got[i].grad().to_vector() == want[i].grad().to_vector());
      else
        CHECK(allclose(got[i].grad(), want[i].grad(), 1e-12, 1e-14));
      CHECK(same_bits_on_every_rank(got[i].grad()));
    }
  }
}

TEST_CASE("DDP: buckets of any size give the same bits; small ones start during backward") {
  auto& group = test_group();
  const auto [x, y] = global_batch(8, DType::Float32, false, 12);
  const Tensor mine = x.narrow(0, 4 * group.rank(), 4), target = y.narrow(0, 4 * group.rank(), 4);
  std::vector<std::vector<double>> reference;
  for (const std::int64_t cap : {std::int64_t{25} << 20, std::int64_t{1}, std::int64_t{100}, std::int64_t{200}}) {
    CAPTURE(cap);
    const auto model = make_mlp(8, DType::Float32);
    DistributedDataParallel ddp(model, distributed::init_mpi(), {.bucket_cap_bytes = cap});
    const auto layout = ddp.bucket_layout();
    // Every parameter in one bucket, last registered first.
    std::vector<std::size_t> flat;
    for (const auto& b : layout) flat.insert(flat.end(), b.begin(), b.end());
    std::vector<std::size_t> reversed(model->parameters().size());
    for (std::size_t i = 0; i < reversed.size(); ++i) reversed[i] = reversed.size() - 1 - i;
    CHECK(flat == reversed);
    if (cap == 1) CHECK(layout.size() == reversed.size());
    if (cap == std::int64_t{25} << 20) CHECK(layout.size() == 1);
    mse_loss(ddp(mine), target).backward();
    CHECK(ddp.last_sync().buckets == static_cast<std::int64_t>(layout.size()));
    // Each bucket fills when its last parameter's gradient is final, inside the replay.
    CHECK(ddp.last_sync().started_during_backward == ddp.last_sync().buckets);
    std::vector<std::vector<double>> grads;
    for (const Tensor& p : model->parameters()) grads.push_back(p.grad().to_vector());
    if (reference.empty()) reference = grads;
    CHECK(grads == reference);
  }
}

TEST_CASE("DDP: a parameter unused on one rank gets the average; one unused everywhere keeps its .grad()") {
  auto& group = test_group();
  // Three heads; head a is used everywhere, head b on rank 1 only, head c nowhere.
  struct Heads : Module {
    std::shared_ptr<Linear> a, b, c;
    bool use_b = false;
    Heads() : Module("Heads") {
      Generator gen(21);
      a = register_module("a", std::make_shared<Linear>(3, 2, LinearOptions{.dtype = DType::Float64}, gen));
      b = register_module("b", std::make_shared<Linear>(3, 2, LinearOptions{.dtype = DType::Float64}, gen));
      c = register_module("c", std::make_shared<Linear>(3, 2, LinearOptions{.dtype = DType::Float64}, gen));
    }
    Tensor forward(const Tensor& x) override { return use_b ? (*a)(x) + (*b)(x) : (*a)(x); }
  };
  const auto heads = std::make_shared<Heads>();
  heads->use_b = group.rank() == 1;
  DistributedDataParallel ddp(heads, distributed::init_mpi(), {.bucket_cap_bytes = 1});
  Generator gen(22);
  const Tensor x = randn({4, 3}, gen, {.dtype = DType::Float64});
  sum(ddp(x)).backward();
  // d sum / d b.weight on rank 1 is [2, 3] rows of column sums of x; rank 0 adds zeros.
  const Tensor column_sums = x.sum({0}, true).expand({2, 3});
  CHECK(allclose(heads->b->weight.grad(), column_sums / static_cast<double>(group.size()), 1e-14, 1e-14));
  CHECK(allclose(heads->a->weight.grad(), column_sums, 1e-14, 1e-14));
  CHECK_FALSE(heads->c->weight.grad().defined());
  CHECK_FALSE(heads->c->bias.grad().defined());
}

TEST_CASE("DDP: under no_sync gradients accumulate locally; the next backward averages the sums") {
  auto& group = test_group();
  const auto model = make_mlp(31), single = make_mlp(31);
  DistributedDataParallel ddp(model, distributed::init_mpi());
  const auto [x, y] = global_batch(16, DType::Float64, false, 32);
  // Micro-batch m of rank r: rows 8m + 4r .. +4 (two micro-batches of 4 per rank).
  auto rows = [&](const Tensor& t, std::int64_t m) { return t.narrow(0, 8 * m + 4 * group.rank(), 4); };
  {
    auto guard = ddp.no_sync();
    mse_loss(ddp(rows(x, 0)), rows(y, 0)).backward();
  }
  const Tensor local = model->parameters()[0].grad().clone();
  CHECK_FALSE(same_bits_on_every_rank(local));  // nothing exchanged yet
  mse_loss(ddp(rows(x, 1)), rows(y, 1)).backward();
  // One process: the mean over each half of the 16 rows, summed (two accumulated means).
  for (std::int64_t m = 0; m < 2; ++m) mse_loss((*single)(x.narrow(0, 8 * m, 8)), y.narrow(0, 8 * m, 8)).backward();
  const auto got = model->parameters(), want = single->parameters();
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(allclose(got[i].grad(), want[i].grad(), 1e-12, 1e-14));
}

TEST_CASE("DDP: BatchNorm buffers follow rank 0 before each training forward, not in eval") {
  auto& group = test_group();
  const auto bn = std::make_shared<BatchNorm1d>(3, BatchNorm1dOptions{.dtype = DType::Float64});
  DistributedDataParallel ddp(bn, distributed::init_mpi());
  const std::vector<Tensor> buffers = bn->buffers();
  REQUIRE_FALSE(buffers.empty());
  {
    NoGradGuard no_grad;
    Tensor(buffers[0]).fill_(10.0 * (group.rank() + 1));  // running_mean differs per rank
  }
  ddp.eval();
  Generator gen(41);
  const Tensor x = randn({5, 3}, gen, {.dtype = DType::Float64});
  (void)ddp(x);
  CHECK(buffers[0].to_vector() == std::vector<double>(3, 10.0 * (group.rank() + 1)));  // eval: untouched
  ddp.broadcast_buffers();
  CHECK(buffers[0].to_vector() == std::vector<double>(3, 10.0));
}

TEST_CASE("DDP: three SGD steps repeat bit for bit and leave every rank with the same weights") {
  auto& group = test_group();
  auto train = [&] {
    const auto model = make_mlp(51, DType::Float32);
    DistributedDataParallel ddp(model, distributed::init_mpi(), {.bucket_cap_bytes = 256});
    SGD optimizer(ddp.parameters(), {.lr = 0.1, .momentum = 0.9});
    for (std::uint64_t step = 0; step < 3; ++step) {
      const auto [x, y] = global_batch(8, DType::Float32, false, 60 + step);
      optimizer.zero_grad();
      mse_loss(ddp(x.narrow(0, 4 * group.rank(), 4)), y.narrow(0, 4 * group.rank(), 4)).backward();
      optimizer.step();
    }
    std::vector<std::vector<double>> values;
    for (const Tensor& p : model->parameters()) {
      CHECK(same_bits_on_every_rank(p));
      values.push_back(p.to_vector());
    }
    return values;
  };
  CHECK(train() == train());
}
