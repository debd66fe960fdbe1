// Every misuse of a collective throws a typed error naming the collective, before any rank
// communicates (so the ranks stay in step), or, where only the ranks together can tell (an
// allgather of different shapes), the same DistributedError on every rank.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dist_test_util.hpp"
#include "tensor/tensor.hpp"

using tg::DType;
using tg::Tensor;

namespace {

// The group still works after an error: one allreduce that every rank takes part in.
void check_group_still_works() {
  auto& group = test_group();
  Tensor one = tg::ones({2}, {.dtype = DType::Int64});
  group.allreduce(one)->wait();
  CHECK(one.to_vector() == std::vector<double>{1.0 * group.size(), 1.0 * group.size()});
}

}  // namespace

TEST_CASE("collectives refuse an undefined tensor") {
  auto& group = test_group();
  Tensor undefined;
  CHECK_THROWS_WITH_AS(group.allreduce(undefined), doctest::Contains("allreduce: the tensor is undefined"),
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(group.broadcast(undefined), doctest::Contains("broadcast"), tg::ValueError);
  CHECK_THROWS_WITH_AS(group.allgather(undefined), doctest::Contains("allgather"), tg::ValueError);
  check_group_still_works();
}

TEST_CASE("allreduce and broadcast work in place: a strided view is refused, not copied") {
  auto& group = test_group();
  Tensor view = tg::zeros({3, 4}).t();
  CHECK_THROWS_WITH_AS(group.allreduce(view), doctest::Contains("allreduce: works in place on a contiguous tensor"),
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(group.allreduce(view), doctest::Contains("[4, 3]"), tg::ValueError);
  CHECK_THROWS_WITH_AS(group.broadcast(view), doctest::Contains("broadcast: works in place"), tg::ValueError);
  check_group_still_works();
}

TEST_CASE("allreduce refuses a bool tensor") {
  auto& group = test_group();
  Tensor mask = tg::zeros({5}, {.dtype = DType::Bool});
  CHECK_THROWS_WITH_AS(group.allreduce(mask), doctest::Contains("allreduce: float32, float64 and int64"),
                       tg::DTypeError);
  CHECK_THROWS_WITH_AS(group.allreduce(mask), doctest::Contains("got a bool tensor of shape [5]"), tg::DTypeError);
  check_group_still_works();
}

TEST_CASE("broadcast refuses a root outside the group") {
  auto& group = test_group();
  Tensor t = tg::zeros({2});
  CHECK_THROWS_WITH_AS(group.broadcast(t, -1), doctest::Contains("broadcast: root -1 is out of range"), tg::IndexError);
  CHECK_THROWS_WITH_AS(
      group.broadcast(t, group.size()),
      doctest::Contains(
          fmt::format("root {} is out of range for a group of {} ranks", group.size(), group.size()).c_str()),
      tg::IndexError);
  check_group_still_works();
}

TEST_CASE("allgather of different shapes or dtypes throws on every rank, naming both") {
  auto& group = test_group();
  if (group.size() < 2) return;  // one rank cannot disagree with itself
  const Tensor by_rank = tg::zeros({group.rank() + 1, 2});
  CHECK_THROWS_WITH_AS(group.allgather(by_rank),
                       doctest::Contains("rank 0 passed a float32 tensor of shape [1, 2], rank 1 a float32 tensor of "
                                         "shape [2, 2]"),
                       tg::DistributedError);
  const Tensor by_ndim = group.rank() == 0 ? tg::zeros({4}) : tg::zeros({2, 2});
  CHECK_THROWS_WITH_AS(group.allgather(by_ndim),
                       doctest::Contains("shape [4], rank 1 a float32 tensor of shape [2, 2]"), tg::DistributedError);
  const Tensor by_dtype = tg::zeros({3}, {.dtype = group.rank() == 0 ? DType::Float32 : DType::Float64});
  CHECK_THROWS_WITH_AS(group.allgather(by_dtype), doctest::Contains("rank 1 a float64 tensor of shape [3]"),
                       tg::DistributedError);
  check_group_still_works();
}
