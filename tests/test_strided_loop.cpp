// for_each_row, the one strided iteration routine: whatever partition it picks (whole rows,
// pieces of long rows, tiles for transposed layouts), every element is visited exactly once
// and each operand's offset is the one its strides give.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tensor/strided_loop.hpp"

using namespace tg;

namespace {

// Walks `shape` with operand 0 contiguous and operand 1 at `strides` (offset `base`), then
// checks that each output position was visited once, paired with the input offset of the
// same multi-index computed here by hand.
void check_visits(const Shape& shape, const Strides& strides, std::int64_t base, std::int64_t grain) {
  INFO(fmt::format("shape {} strides {} grain {}", shape, strides, grain));
  const std::int64_t n = numel(shape);
  const Strides out_strides = contiguous_strides(shape);
  auto visits = std::make_unique<std::atomic<int>[]>(static_cast<std::size_t>(n));
  auto seen = std::make_unique<std::atomic<std::int64_t>[]>(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) visits[static_cast<std::size_t>(i)] = 0;
  set_num_threads(2);
  for_each_row<2>(
      shape, {out_strides, strides}, {0, base},
      [&](const std::array<std::int64_t, 2>& off, std::int64_t len, const std::array<std::int64_t, 2>& inc) {
        for (std::int64_t i = 0; i < len; ++i) {
          const auto o = static_cast<std::size_t>(off[0] + i * inc[0]);
          ++visits[o];
          seen[o] = off[1] + i * inc[1];
        }
      },
      grain);
  set_num_threads(0);
  for (std::int64_t linear = 0; linear < n; ++linear) {
    std::int64_t rem = linear, want = base;
    for (std::size_t d = shape.size(); d-- > 0;) {
      want += (rem % shape[d]) * strides[d];
      rem /= shape[d];
    }
    REQUIRE_MESSAGE(visits[static_cast<std::size_t>(linear)] == 1, "element ", linear);
    REQUIRE_MESSAGE(seen[static_cast<std::size_t>(linear)] == want, "element ", linear);
  }
}

}  // namespace

TEST_CASE("for_each_row visits every element once: rows, long-row pieces, transposed tiles, broadcasts") {
  for (const std::int64_t grain : {std::int64_t{64}, std::int64_t{1000}, std::int64_t{32768}}) {
    check_visits({5000}, {1}, 0, grain);                    // one long row, cut into pieces
    check_visits({5001}, {3}, 2, grain);                    // strided long row
    check_visits({70, 130}, {1, 70}, 0, grain);             // transposed: tiles
    check_visits({130, 70}, {-1, 130}, 129, grain);         // transposed, reversed along the unit dim
    check_visits({3, 65, 97}, {1, 3 * 97, 3}, 0, grain);    // permuted 3-D: unit stride along the first dim
    check_visits({4, 33, 45}, {45 * 33, 1, 33}, 5, grain);  // unit stride in the middle dim
    check_visits({200, 150}, {1, 0}, 0, grain);             // broadcast along the last dim: no tiles
    check_visits({7, 1, 300}, {300, 0, 1}, 0, grain);       // size-1 dim
  }
}

TEST_CASE("copies and elementwise ops on large transposed views match the element-by-element values") {
  Generator gen(51);
  const Tensor base = uniform({300, 517}, -1.0, 1.0, gen, {.dtype = f64});
  const Tensor t = base.transpose(0, 1);  // [517, 300], strides (1, 517)
  const Tensor c = raw::contiguous(t);
  const Tensor r = relu(t);
  const Tensor s = add(t, c);
  for (std::int64_t i = 0; i < 517; i += 7) {
    for (std::int64_t j = 0; j < 300; j += 3) {
      const double v = base.value({j, i});
      REQUIRE(c.value({i, j}) == v);
      REQUIRE(r.value({i, j}) == (v > 0 ? v : 0.0));
      REQUIRE(s.value({i, j}) == v + v);
    }
  }
  // Writing into a transposed destination.
  Tensor dst = zeros({517, 300}, {.dtype = f64});
  dst.transpose(0, 1).copy_(base);
  CHECK(equal(dst, c));
}
