// Indexing ops: index_select and gather values against naive loops, and their errors naming
// the op, the dim and the size.
#include <doctest/doctest.h>

#include "shape_test_util.hpp"
#include "tapegrad.hpp"

using namespace tg;
using namespace shape_test;

TEST_CASE("index_select and gather values match naive loops") {
  Tensor x = iota(12, {3, 4});
  Tensor rows = index_select(x, 0, index({2, 0, 2}));
  Tensor cols = index_select(x, -1, index({3, 1}));
  for (std::int64_t j = 0; j < 4; ++j) {
    CHECK(rows.value({0, j}) == x.value({2, j}));
    CHECK(rows.value({1, j}) == x.value({0, j}));
    CHECK(rows.value({2, j}) == x.value({2, j}));
  }
  CHECK(cols.to_vector() == std::vector<double>{3, 1, 7, 5, 11, 9});
  CHECK(index_select(x, 1, index({})).shape() == Shape{3, 0});

  const std::vector<std::int64_t> idx{3, 0, 1, 1, 0, 2};
  Tensor g1 = gather(x, 1, from_vector(idx, {3, 2}));
  Tensor g0 = gather(transpose(x, 0, 1), 0, from_vector(idx, {2, 3}));  // non-contiguous x
  for (std::int64_t i = 0; i < 3; ++i) {
    for (std::int64_t j = 0; j < 2; ++j)
      CHECK(g1.value({i, j}) == x.value({i, idx[static_cast<std::size_t>(i * 2 + j)]}));
  }
  for (std::int64_t i = 0; i < 2; ++i) {
    for (std::int64_t j = 0; j < 3; ++j)
      CHECK(g0.value({i, j}) == x.value({j, idx[static_cast<std::size_t>(i * 3 + j)]}));
  }
}

TEST_CASE("index errors name the op, the dim and the size") {
  Tensor x = iota(12, {3, 4});
  CHECK(error_message<IndexError>([&] {
          (void)index_select(x, 1, index({0, 4}));
        }) == "index_select: index 4 is out of range for dim 1 of size 4");
  CHECK(error_message<IndexError>([&] { (void)index_select(x, -2, index({-1})); }) ==
        "index_select: index -1 is out of range for dim 0 of size 3");
  CHECK(error_message<IndexError>([&] {
          (void)gather(x, 0, from_vector(std::vector<std::int64_t>{0, 3}, {1, 2}));
        }) == "gather: index 3 is out of range for dim 0 of size 3");
  CHECK_THROWS_AS((void)index_select(x, 2, index({0})), IndexError);
  CHECK_THROWS_AS((void)index_select(x, 0, vec({0}, {1})), DTypeError);
  CHECK_THROWS_AS((void)index_select(x, 0, from_vector(std::vector<std::int64_t>{0}, {1, 1})), ShapeError);
  CHECK_THROWS_AS((void)gather(x, 1, index({0})), ShapeError);                                            // rank
  CHECK_THROWS_AS((void)gather(x, 1, from_vector(std::vector<std::int64_t>(5, 0), {5, 1})), ShapeError);  // too big
  CHECK_THROWS_AS((void)permute(x, {0, 0}), IndexError);
  CHECK_THROWS_AS((void)permute(x, {0}), ShapeError);
  CHECK_THROWS_AS((void)transpose(x, 0, 2), IndexError);
  CHECK_THROWS_AS((void)unsqueeze(x, 3), IndexError);
  CHECK_THROWS_AS((void)squeeze(x, -3), IndexError);
  CHECK_THROWS_AS((void)flip(x, {1, -1}), IndexError);
  CHECK_THROWS_AS((void)flatten(x, 1, 0), IndexError);
}
