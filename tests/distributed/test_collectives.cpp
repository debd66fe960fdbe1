// The MPI collectives against values known in closed form: rank r's input is a formula of r
// and the element index, so every expected sum, minimum, maximum and gathered row is computed
// here from the formula, not by the code under test.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "dist_test_util.hpp"
#include "tensor/tensor.hpp"

using tg::DType;
using tg::Tensor;
using tg::distributed::ReduceOp;

namespace {

// Rank r's element i: (r + 1) * (i + 1) - 3 * r, small integers, exact in every dtype.
double input_value(int r, std::int64_t i) { return (r + 1.0) * static_cast<double>(i + 1) - 3.0 * r; }

Tensor rank_input(int r, std::int64_t n, DType dtype) {
  std::vector<double> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = input_value(r, i);
  return tg::from_vector(values, {n}, {.dtype = dtype});
}

double expected(ReduceOp op, int size, std::int64_t i) {
  double result = input_value(0, i);
  for (int r = 1; r < size; ++r) {
    const double v = input_value(r, i);
    result = op == ReduceOp::Sum ? result + v : op == ReduceOp::Min ? std::min(result, v) : std::max(result, v);
  }
  return result;
}

}  // namespace

TEST_CASE("the group: backend, rank and size") {
  auto& group = test_group();
  CHECK(group.backend() == "mpi");
  CHECK(group.size() >= 1);
  CHECK(group.rank() >= 0);
  CHECK(group.rank() < group.size());
  // Every rank reports a different rank, 0..size-1 in order.
  const Tensor ranks = group.allgather(tg::from_vector(std::vector<std::int64_t>{group.rank()}));
  for (int r = 0; r < group.size(); ++r) CHECK(ranks.to_vector_as<std::int64_t>()[static_cast<std::size_t>(r)] == r);
}

TEST_CASE("allreduce: sum, min and max of float32, float64 and int64") {
  auto& group = test_group();
  const std::int64_t n = 37;
  for (const DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    for (const ReduceOp op : {ReduceOp::Sum, ReduceOp::Min, ReduceOp::Max}) {
      CAPTURE(dtype);
      CAPTURE(static_cast<int>(op));
      Tensor t = rank_input(group.rank(), n, dtype);
      const auto version = t.version();
      group.allreduce(t, op)->wait();
      CHECK(t.dtype() == dtype);
      CHECK(t.version() > version);  // written in place
      const auto values = t.to_vector();
      for (std::int64_t i = 0; i < n; ++i) CHECK(values[static_cast<std::size_t>(i)] == expected(op, group.size(), i));
    }
  }
}

TEST_CASE("allreduce: int64 beyond 2^53 is reduced exactly (no float path)") {
  auto& group = test_group();
  const std::int64_t r = group.rank();
  const std::int64_t n = group.size();
  const std::int64_t base = std::int64_t{1} << 58;
  // Sum of base + 2r + 1 over the ranks: n * base + n^2 (odd terms), not a double for n >= 1
  // once the low bits matter.
  Tensor sum = tg::from_vector(std::vector<std::int64_t>{base + 2 * r + 1, -base - r});
  group.allreduce(sum)->wait();
  CHECK(sum.to_vector_as<std::int64_t>() == std::vector<std::int64_t>{n * base + n * n, -n * base - n * (n - 1) / 2});
  const std::int64_t big = (std::int64_t{1} << 62) + 1;
  Tensor max = tg::from_vector(std::vector<std::int64_t>{big + r});
  group.allreduce(max, ReduceOp::Max)->wait();
  CHECK(max.to_vector_as<std::int64_t>()[0] == big + n - 1);
  Tensor min = tg::from_vector(std::vector<std::int64_t>{-big - r});
  group.allreduce(min, ReduceOp::Min)->wait();
  CHECK(min.to_vector_as<std::int64_t>()[0] == -big - (n - 1));
}

TEST_CASE("collectives of tensors without elements, and of 0-d tensors") {
  auto& group = test_group();
  for (const tg::Shape& shape : {tg::Shape{0}, tg::Shape{3, 0}}) {
    Tensor t = tg::zeros(shape);
    group.allreduce(t)->wait();
    group.broadcast(t, group.size() - 1)->wait();
    CHECK(t.shape() == shape);
    const Tensor gathered = group.allgather(t);
    tg::Shape gathered_shape{group.size()};
    gathered_shape.insert(gathered_shape.end(), shape.begin(), shape.end());
    CHECK(gathered.shape() == gathered_shape);
  }
  Tensor scalar = tg::scalar_tensor(group.rank() + 1.0, {.dtype = DType::Float64});
  group.allreduce(scalar)->wait();
  CHECK(scalar.item() == group.size() * (group.size() + 1) / 2.0);
}

TEST_CASE("several allreduces in flight, waited in reverse order") {
  auto& group = test_group();
  const std::vector<std::int64_t> sizes = {1, 1000, 100'003, 7};
  std::vector<Tensor> tensors;
  std::vector<std::unique_ptr<tg::distributed::Work>> works;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    tensors.push_back(rank_input(group.rank(), sizes[k], k % 2 == 0 ? DType::Float32 : DType::Float64));
    works.push_back(group.allreduce(tensors.back(), k == 3 ? ReduceOp::Max : ReduceOp::Sum));
  }
  for (std::size_t k = sizes.size(); k-- > 0;) works[k]->wait();
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    CHECK(works[k]->is_completed());
    works[k]->wait();  // a finished Work returns at once
    const auto values = tensors[k].to_vector();
    const ReduceOp op = k == 3 ? ReduceOp::Max : ReduceOp::Sum;
    bool all_equal = true;
    for (std::int64_t i = 0; i < sizes[k]; ++i)
      all_equal &= values[static_cast<std::size_t>(i)] == expected(op, group.size(), i);
    CHECK(all_equal);
  }
}

TEST_CASE("a Work dropped without wait() is completed by its destructor") {
  auto& group = test_group();
  Tensor t = rank_input(group.rank(), 5, DType::Float64);
  group.allreduce(t).reset();
  for (std::int64_t i = 0; i < 5; ++i)
    CHECK(t.to_vector()[static_cast<std::size_t>(i)] == expected(ReduceOp::Sum, group.size(), i));
}

TEST_CASE("broadcast from root 0 and from the last rank") {
  auto& group = test_group();
  for (const int root : {0, group.size() - 1}) {
    CAPTURE(root);
    for (const DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
      Tensor t = rank_input(group.rank(), 11, dtype).reshape({11, 1});
      group.broadcast(t, root)->wait();
      CHECK(t.to_vector() == rank_input(root, 11, DType::Float64).to_vector());
    }
    // Broadcast only copies, so bool tensors (masks) may be broadcast too.
    Tensor mask =
        tg::from_vector(std::vector<double>{1.0 * (group.rank() == root), 0.0, 1.0}, {3}, {.dtype = DType::Bool});
    group.broadcast(mask, root)->wait();
    CHECK(mask.to_vector() == std::vector<double>{1.0, 0.0, 1.0});
  }
}

TEST_CASE("allgather: every rank's tensor, in rank order") {
  auto& group = test_group();
  const int r = group.rank();
  // [2, 3] with element (i, j) = 100 r + 10 i + j; the input is a transposed (strided) view.
  Tensor input = tg::empty({3, 2}, {.dtype = DType::Float64});
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t j = 0; j < 3; ++j) input.set_value({j, i}, 100.0 * r + 10.0 * i + j);
  const Tensor gathered = group.allgather(input.t());
  REQUIRE(gathered.shape() == tg::Shape{group.size(), 2, 3});
  for (std::int64_t q = 0; q < group.size(); ++q)
    for (std::int64_t i = 0; i < 2; ++i)
      for (std::int64_t j = 0; j < 3; ++j) CHECK(gathered.value({q, i, j}) == 100.0 * q + 10.0 * i + j);
}

TEST_CASE("barrier: no rank leaves before the last one arrives") {
  auto& group = test_group();
  group.barrier();
  const auto start = std::chrono::steady_clock::now();
  if (group.rank() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  group.barrier();
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(250));
}

// The sum of floats depends on the order of its terms: the reduction order must be fixed
// (not by message arrival), and every rank must hold the same bits. Terms of mixed magnitudes
// and signs make any change of order visible.
TEST_CASE("allreduce: the same bits on every rank and over repeated runs") {
  auto& group = test_group();
  const std::int64_t n = 10'007;
  std::mt19937 generator(1234 + static_cast<unsigned>(group.rank()));
  std::uniform_real_distribution<float> exponent(-20.0f, 20.0f);
  std::vector<float> values(static_cast<std::size_t>(n));
  for (auto& v : values) v = std::exp(exponent(generator)) * (generator() % 2 == 0 ? 1.0f : -1.0f);
  const Tensor input = tg::from_vector(values, {n});

  // With 3 ranks or more, the inputs do tell orders apart: summed first to last and last to
  // first they differ in some element (with 2, a + b == b + a always).
  const Tensor inputs = group.allgather(input);
  if (group.size() >= 3) {
    const float* x = inputs.data<float>();
    bool differ = false;
    for (std::int64_t i = 0; i < n; ++i) {
      float forward = 0.0f;
      float backward = 0.0f;
      for (int q = 0; q < group.size(); ++q) forward += x[q * n + i];
      for (int q = group.size(); q-- > 0;) backward += x[q * n + i];
      differ |= forward != backward;
    }
    CHECK(differ);
  }

  Tensor first = input.clone_as(DType::Float32);
  group.allreduce(first)->wait();
  const Tensor everyone = group.allgather(first);
  const auto* bits = static_cast<const unsigned char*>(everyone.raw_data());
  const std::size_t row = static_cast<std::size_t>(n) * sizeof(float);
  for (int q = 1; q < group.size(); ++q) CHECK(std::memcmp(bits, bits + q * row, row) == 0);
  for (int repetition = 0; repetition < 20; ++repetition) {
    Tensor again = input.clone_as(DType::Float32);
    group.allreduce(again)->wait();
    CHECK(std::memcmp(again.raw_data(), first.raw_data(), row) == 0);
  }
}
