// The im2col matrix as the GEMM's B panels, and its transpose col2im, against their
// definitions written as index arithmetic (im2col.hpp): the packing must copy every element
// to its place, and col2im must add each tap in tap order (its bits are then those of the
// reference loops' order, whatever the pass structure).
#include <doctest/doctest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ops/kernels/conv/im2col.hpp"

using namespace tg::kernels;

namespace {

// out = floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1, with the given paddings.
ConvLoopGeometry geometry(std::int64_t batch, std::int64_t channels, std::int64_t in_h, std::int64_t in_w,
                          std::int64_t k, std::int64_t stride, std::int64_t pad_top, std::int64_t pad_left,
                          std::int64_t dil_h) {
  ConvLoopGeometry g;
  g.batch = batch;
  g.in_channels = channels;
  g.out_channels = 1;
  g.in_h = in_h;
  g.in_w = in_w;
  g.kernel_h = g.kernel_w = k;
  g.stride_h = g.stride_w = stride;
  g.pad_top = pad_top;
  g.pad_left = pad_left;
  g.dilation_h = dil_h;
  g.out_h = (in_h + 2 * pad_top - dil_h * (k - 1) - 1) / stride + 1;
  g.out_w = (in_w + 2 * pad_left - (k - 1) - 1) / stride + 1;
  return g;
}

std::string describe(const ConvLoopGeometry& g) {
  std::ostringstream s;
  s << g.batch << "x" << g.in_channels << "x" << g.in_h << "x" << g.in_w << " k" << g.kernel_h << " s" << g.stride_w
    << " pad " << g.pad_top << "," << g.pad_left << " dil_h " << g.dilation_h << " -> " << g.out_h << "x" << g.out_w;
  return s.str();
}

// Where X_col[q, col] comes from in x (one group), or -1 for padding.
std::int64_t source(const ConvLoopGeometry& g, std::int64_t n0, std::int64_t q, std::int64_t col) {
  const std::int64_t taps = g.kernel_h * g.kernel_w, plane = g.out_h * g.out_w;
  const std::int64_t c = q / taps, u = q % taps / g.kernel_w, v = q % g.kernel_w;
  const std::int64_t n = n0 + col / plane, i = col % plane / g.out_w, j = col % g.out_w;
  const std::int64_t r = i * g.stride_h + u * g.dilation_h - g.pad_top, s = j * g.stride_w + v - g.pad_left;
  if (r < 0 || r >= g.in_h || s < 0 || s >= g.in_w) return -1;
  return ((n * g.in_channels + c) * g.in_h + r) * g.in_w + s;
}

std::vector<ConvLoopGeometry> geometries() {
  return {
      geometry(2, 3, 56, 56, 3, 2, 1, 1, 1),  // ResNet's 3x3/2 downsampling, small
      geometry(1, 2, 57, 57, 3, 2, 1, 1, 1),  // odd width: the last column's taps
      geometry(2, 2, 9, 40, 3, 1, 1, 1, 1),   // stride 1, rows wider than a panel
      geometry(1, 2, 11, 60, 7, 2, 3, 3, 1),  // the stem's 7x7/2
      geometry(2, 2, 10, 50, 3, 3, 0, 2, 2),  // stride 3, padding on one side only, dilated rows
      geometry(3, 1, 5, 5, 3, 2, 1, 1, 1),    // rows narrower than a panel: panel by panel
      geometry(2, 1, 6, 1, 3, 2, 1, 1, 1),    // one column
      geometry(2, 1, 6, 2, 3, 2, 1, 1, 1),    // two columns: the last tap's column is past the input
      geometry(2, 1, 4, 3, 3, 2, 1, 1, 2),    // three columns, dilated rows
      geometry(2, 3, 7, 4, 3, 2, 1, 1, 1),    // four columns
  };
}

template <class T>
std::vector<T> random_values(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<double> reals(-1.0, 1.0);
  std::vector<T> v(n);
  for (T& e : v) e = T(reals(rng));
  return v;
}

template <class T>
void check_packing(std::int64_t nr) {
  std::mt19937 rng(7);
  for (const ConvLoopGeometry& g : geometries()) {
    const std::vector<T> x = random_values<T>(static_cast<std::size_t>(g.batch * g.in_channels * g.in_h * g.in_w), rng);
    const std::int64_t kdim = g.kdim(), columns = g.batch * g.out_h * g.out_w;
    // Blocks that start and end inside rows, panels and images, and whole ones.
    for (const std::int64_t q0 : {std::int64_t{0}, kdim / 3}) {
      for (const std::int64_t col0 : {std::int64_t{0}, std::int64_t{5}}) {
        const std::int64_t rows = kdim - q0, cols = columns - col0 - 2 * col0 / 5;
        if (cols <= 0) continue;
        const std::int64_t panels = (cols + nr - 1) / nr;
        std::vector<T> packed(static_cast<std::size_t>(panels * rows * nr), T(-9));
        im2col_pack_panels(x.data(), g, 0, 0, q0, rows, col0, cols, packed.data(), nr);
        std::int64_t wrong = 0;
        for (std::int64_t s = 0; s < panels; ++s) {
          for (std::int64_t p = 0; p < rows; ++p) {
            for (std::int64_t j = 0; j < nr; ++j) {
              const std::int64_t col = s * nr + j;
              const std::int64_t from = col < cols ? source(g, 0, q0 + p, col0 + col) : -1;
              const T expected = from >= 0 ? x[static_cast<std::size_t>(from)] : T(0);
              wrong += packed[static_cast<std::size_t>((s * rows + p) * nr + j)] != expected;
            }
          }
        }
        INFO(describe(g) << ", nr " << nr << ", rows from " << q0 << ", columns " << col0 << " + " << cols);
        CHECK(wrong == 0);
      }
    }
  }
}

// dx += col2im(cols) for output rows [i0, i0 + rows), tap by tap in (q, i, j) order.
template <class T>
void col2im_by_definition(const std::vector<T>& cols, std::int64_t ld, const ConvLoopGeometry& g, std::int64_t i0,
                          std::int64_t rows, std::vector<T>& dx) {
  for (std::int64_t q = 0; q < g.kdim(); ++q) {
    for (std::int64_t i = i0; i < i0 + rows; ++i) {
      for (std::int64_t j = 0; j < g.out_w; ++j) {
        const std::int64_t to = source(g, 0, q, i * g.out_w + j);
        if (to >= 0)
          dx[static_cast<std::size_t>(to)] += cols[static_cast<std::size_t>(q * ld + (i - i0) * g.out_w + j)];
      }
    }
  }
}

template <class T>
void check_col2im() {
  std::mt19937 rng(11);
  for (ConvLoopGeometry g : geometries()) {
    g.batch = 1;
    const std::int64_t plane = g.out_h * g.out_w, in_size = g.in_channels * g.in_h * g.in_w;
    for (const std::int64_t i0 : {std::int64_t{0}, g.out_h / 2}) {
      const std::int64_t rows = g.out_h - i0, ld = rows * g.out_w + 3;  // a row stride past the block
      const std::vector<T> cols = random_values<T>(static_cast<std::size_t>(g.kdim() * ld), rng);
      // Start from values that do not absorb the adds, so the order of every add shows.
      std::vector<T> dx = random_values<T>(static_cast<std::size_t>(in_size), rng);
      std::vector<T> expected = dx;
      // In two channel ranges, the upper one first (as two threads may run them): each
      // plane takes only its own channel's taps, so the order between ranges cannot matter.
      std::vector<T> split = dx;
      const std::int64_t channels = g.cin_g(), half = channels / 2;
      col2im_add(cols.data(), ld, g, i0, rows, std::int64_t{0}, channels, dx.data());
      col2im_add(cols.data(), ld, g, i0, rows, half, channels, split.data());
      col2im_add(cols.data(), ld, g, i0, rows, std::int64_t{0}, half, split.data());
      col2im_by_definition(cols, ld, g, i0, rows, expected);
      INFO(describe(g) << ", output rows from " << i0 << " (" << plane << " pixels)");
      CHECK(dx == expected);
      CHECK(split == expected);
    }
  }
}

}  // namespace

TEST_CASE("im2col packed as GEMM panels puts every element of the block in its place, zero past it") {
  for (const std::int64_t nr : {8, 16, 48}) {  // portable and AVX2 double, AVX2 float, AVX-512 float
    check_packing<float>(nr);
    check_packing<double>(nr);
  }
}

TEST_CASE("col2im adds every tap in tap order, bit for bit, the 3-wide stride-2 kernel rows in one pass included") {
  check_col2im<float>();
  check_col2im<double>();
}
