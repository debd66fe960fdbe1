// gemm kernel: every SIMD path this CPU has, against the naive reference loop (and, for the
// reference itself, hand-computed values), over odd shapes, transposed and strided
// operands (rows stored backwards too), A handed over already packed, alpha/beta variants and
// ldc > n; determinism across thread counts.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops/kernels/gemm/gemm.hpp"
#include "ops/kernels/simd/simd_path.hpp"
#include "tensor/error.hpp"
#include "tensor/parallel.hpp"

using namespace tg::kernels;

namespace {

std::vector<SimdPath> available_paths() {
  std::vector<SimdPath> paths{SimdPath::portable};
  if (best_simd_path() >= SimdPath::avx2) paths.push_back(SimdPath::avx2);
  if (best_simd_path() >= SimdPath::avx512) paths.push_back(SimdPath::avx512);
  return paths;
}

// Restores the path and thread count a test changed.
struct Restore {
  SimdPath path = simd_path();
  ~Restore() {
    set_simd_path(path);
    tg::set_num_threads(0);
  }
};

// `size` values from rng: uniform in [-1, 1), or small integers in [-4, 4], whose sums are exact.
template <class T>
std::vector<T> draw_values(std::int64_t size, std::mt19937& rng, bool integers = false) {
  std::uniform_int_distribution<int> small(-4, 4);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> v(static_cast<std::size_t>(size));
  for (T& x : v) x = integers ? static_cast<T>(small(rng)) : static_cast<T>(dist(rng));
  return v;
}

enum class Layout { row_major, transposed, strided, reversed };

// A rows x cols operand in one of four layouts, plus the strides to address it.
template <class T>
struct Operand {
  std::vector<T> data;
  std::int64_t row = 0, col = 0, origin = 0;  // element (0, 0) at data[origin]
  T at(std::int64_t i, std::int64_t j) const { return data[static_cast<std::size_t>(origin + i * row + j * col)]; }
  const T* ptr() const { return data.data() + origin; }
};

template <class T>
Operand<T> make_operand(std::int64_t rows, std::int64_t cols, Layout layout, std::mt19937& rng) {
  Operand<T> op;
  switch (layout) {
    case Layout::row_major:  // padded leading dimension
      op.row = cols + 3;
      op.col = 1;
      break;
    case Layout::transposed:  // column-major storage
      op.row = 1;
      op.col = rows + 1;
      break;
    case Layout::strided:  // neither stride is 1
      op.row = 2 * cols + 1;
      op.col = 2;
      break;
    case Layout::reversed:  // rows stored last column first (the ROT180 rule's kernel taps)
      op.row = cols + 2;
      op.col = -1;
      op.origin = cols - 1;
      break;
  }
  const std::int64_t last = op.origin + (rows - 1) * op.row + std::max<std::int64_t>(0, (cols - 1) * op.col);
  op.data = draw_values<T>(std::max<std::int64_t>(1, last + 1), rng);
  return op;
}

struct Case {
  std::int64_t m, n, k;
  double alpha, beta;
  Layout la, lb;
  bool packed_a = false;  // through gemm_packed_a, A handed over already packed
};

// A in gemm_packed_a's layout: strips of mr rows, [k][mr] each, zero past row m.
template <class T>
std::vector<T> packed_strips(const Operand<T>& a, std::int64_t m, std::int64_t k) {
  const std::int64_t mr = gemm_panel_rows<T>();
  const std::int64_t strips = (m + mr - 1) / mr;
  std::vector<T> packed(static_cast<std::size_t>(std::max<std::int64_t>(1, strips * k * mr)), T(0));
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t p = 0; p < k; ++p) packed[static_cast<std::size_t>((i / mr * k + p) * mr + i % mr)] = a.at(i, p);
  }
  return packed;
}

// Runs gemm and gemm_reference on the same inputs and checks every element of C against
// the reference within a forward error bound (k + 2) * eps * (|alpha| sum |a||b| + |beta c|),
// and that the padding columns of C (ldc > n) are untouched.
template <class T>
void check_case(const Case& cs, std::mt19937& rng) {
  const auto a = make_operand<T>(cs.m, cs.k, cs.la, rng);
  const auto b = make_operand<T>(cs.k, cs.n, cs.lb, rng);
  const std::int64_t ldc = cs.n + 5;
  const std::vector<T> c0 = draw_values<T>(std::max<std::int64_t>(1, cs.m * ldc), rng);
  std::vector<T> got = c0, want = c0;
  const T alpha = static_cast<T>(cs.alpha), beta = static_cast<T>(cs.beta);
  if (cs.packed_a) {
    const std::vector<T> a_packed = packed_strips(a, cs.m, cs.k);
    gemm_packed_a<T>(cs.m, cs.n, cs.k, alpha, a_packed.data(), strided_b_panels(b.ptr(), b.row, b.col), beta,
                     got.data(), ldc, /*allow_parallel=*/true);
  } else {
    gemm<T>(cs.m, cs.n, cs.k, alpha, a.ptr(), a.row, a.col, b.ptr(), b.row, b.col, beta, got.data(), ldc);
  }
  gemm_reference<T>(cs.m, cs.n, cs.k, alpha, a.ptr(), a.row, a.col, b.ptr(), b.row, b.col, beta, want.data(), ldc);
  const double eps = std::numeric_limits<T>::epsilon();
  double worst = 0;  // largest |got - want| / bound
  bool padding_intact = true;
  for (std::int64_t i = 0; i < cs.m; ++i) {
    for (std::int64_t j = 0; j < cs.n; ++j) {
      double mag = std::abs(cs.beta * static_cast<double>(c0[static_cast<std::size_t>(i * ldc + j)]));
      for (std::int64_t p = 0; p < cs.k; ++p) mag += std::abs(cs.alpha * double(a.at(i, p)) * double(b.at(p, j)));
      const double bound = 2.0 * static_cast<double>(cs.k + 2) * eps * mag + std::numeric_limits<T>::min();
      const auto idx = static_cast<std::size_t>(i * ldc + j);
      worst = std::max(worst, std::abs(double(got[idx]) - double(want[idx])) / bound);
    }
    for (std::int64_t j = cs.n; j < ldc; ++j) {
      const auto idx = static_cast<std::size_t>(i * ldc + j);
      padding_intact = padding_intact && got[idx] == c0[idx];
    }
  }
  CHECK(worst <= 1.0);
  CHECK(padding_intact);
}

std::vector<Case> sweep_cases() {
  std::vector<Case> cases;
  const Layout rm = Layout::row_major, tr = Layout::transposed, st = Layout::strided, rv = Layout::reversed;
  // Odd sizes around the register tiles (4x8, 6x16, 8x48, 8x24) and cache blocks.
  const std::vector<std::vector<std::int64_t>> shapes{
      {1, 1, 1},      {1, 1, 7},      {2, 3, 4},     {1, 300, 9},    {300, 1, 11}, {7, 17, 33}, {9, 49, 5},
      {13, 47, 29},   {8, 48, 64},    {17, 97, 131}, {31, 63, 127},  {65, 129, 3}, {50, 33, 1}, {97, 301, 71},
      {203, 341, 23}, {131, 17, 400}, {5, 9, 777},   {257, 255, 97}, {6, 50, 1700}};
  const std::vector<std::pair<double, double>> scalars{{1.0, 0.0}, {0.5, 2.0}, {-1.5, 1.0}};
  const std::vector<std::pair<Layout, Layout>> layouts{{rm, rm}, {tr, rm}, {rm, tr}, {tr, tr}, {st, st}, {rv, rv}};
  std::size_t index = 0;
  for (const auto& s : shapes) {
    for (const auto& [la, lb] : layouts) {
      const auto& [alpha, beta] = scalars[index++ % scalars.size()];
      cases.push_back({s[0], s[1], s[2], alpha, beta, la, lb});
    }
    const auto& [alpha, beta] = scalars[index++ % scalars.size()];
    cases.push_back({s[0], s[1], s[2], alpha, beta, rm, tr, /*packed_a=*/true});
  }
  // More rows / columns than one packed block (2048).
  cases.push_back({2051, 3, 5, 1.0, 0.0, rm, rm});
  cases.push_back({3, 2053, 5, 1.0, 1.0, rm, tr});
  cases.push_back({2051, 3, 5, 1.0, 0.0, rm, rm, /*packed_a=*/true});
  return cases;
}

std::string case_name(const Case& cs) {
  return std::string(cs.packed_a ? "packed A, " : "") + std::to_string(cs.m) + "x" + std::to_string(cs.n) + "x" +
         std::to_string(cs.k) + " layouts " + std::to_string(static_cast<int>(cs.la)) + "," +
         std::to_string(static_cast<int>(cs.lb)) + " alpha " + std::to_string(cs.alpha) + " beta " +
         std::to_string(cs.beta);
}

template <class T>
void sweep_all_paths() {
  Restore restore;
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    REQUIRE(simd_path() == path);
    std::mt19937 rng(1234);
    for (const Case& cs : sweep_cases()) {
      INFO("path " << std::string(to_string(path)) << ", " << case_name(cs));
      check_case<T>(cs, rng);
    }
  }
}

// C of an m x n x k product (A row-major, B transposed), computed with `threads` threads.
template <class T>
std::vector<T> product(std::int64_t m, std::int64_t n, std::int64_t k, int threads, T beta) {
  std::mt19937 rng(99);
  const std::vector<T> a = draw_values<T>(m * k, rng), b = draw_values<T>(k * n, rng);
  std::vector<T> c = draw_values<T>(m * n, rng);
  tg::set_num_threads(threads);
  gemm<T>(m, n, k, T(0.75), a.data(), k, 1, b.data(), 1, k, beta, c.data(), n);  // B stored as B^T (n x k)
  return c;
}

}  // namespace

TEST_CASE("gemm_reference matches hand-computed products") {
  // [1 2 3; 4 5 6] * [1 0; 0 1; 2 -1] = [7 -1; 16 -1]; C = 2 * AB + 0.5 * C0.
  const std::vector<double> a{1, 2, 3, 4, 5, 6}, b{1, 0, 0, 1, 2, -1};
  std::vector<double> c{2, 4, 6, 8};
  gemm_reference<double>(2, 2, 3, 2.0, a.data(), 3, 1, b.data(), 2, 1, 0.5, c.data(), 2);
  CHECK(c == std::vector<double>{15, 0, 35, 2});
  // Transposed A via strides: A^T stored as [1 4; 2 5; 3 6].
  const std::vector<double> at{1, 4, 2, 5, 3, 6};
  std::vector<double> c2(4, std::nan(""));
  gemm_reference<double>(2, 2, 3, 1.0, at.data(), 1, 2, b.data(), 2, 1, 0.0, c2.data(), 2);
  CHECK(c2 == std::vector<double>{7, -1, 16, -1});
}

TEST_CASE("gemm float32 matches the reference on every SIMD path") { sweep_all_paths<float>(); }

TEST_CASE("gemm float64 matches the reference on every SIMD path") { sweep_all_paths<double>(); }

TEST_CASE("gemm edge cases: k = 0, alpha = 0, beta = 0 ignores NaN, empty outputs") {
  Restore restore;
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    INFO("path " << std::string(to_string(path)));
    const float nan = std::nanf("");
    std::vector<float> c{1, 2, 3, 4, 5, 6};
    gemm<float>(2, 3, 0, 1.0f, nullptr, 0, 1, nullptr, 3, 1, 2.0f, c.data(), 3);  // k = 0: C = beta C
    CHECK(c == std::vector<float>{2, 4, 6, 8, 10, 12});
    gemm<float>(2, 3, 0, 1.0f, nullptr, 0, 1, nullptr, 3, 1, 0.0f, c.data(), 3);
    CHECK(c == std::vector<float>(6, 0.0f));
    // alpha = 0: A and B are not read (BLAS convention), even when they hold NaN.
    const std::vector<float> a_nan(6, nan), b_nan(9, nan);
    std::vector<float> c2{1, 2, 3, 4, 5, 6};
    gemm<float>(2, 3, 3, 0.0f, a_nan.data(), 3, 1, b_nan.data(), 3, 1, -1.0f, c2.data(), 3);
    CHECK(c2 == std::vector<float>{-1, -2, -3, -4, -5, -6});
    // beta = 0 overwrites NaN in C.
    const std::vector<float> a{1, 2, 3, 4}, b{5, 6, 7, 8};
    std::vector<float> c3(4, nan);
    gemm<float>(2, 2, 2, 1.0f, a.data(), 2, 1, b.data(), 2, 1, 0.0f, c3.data(), 2);
    CHECK(c3 == std::vector<float>{19, 22, 43, 50});
    // m = 0 or n = 0 touches nothing.
    std::vector<float> c4{7};
    gemm<float>(0, 1, 2, 1.0f, a.data(), 2, 1, b.data(), 2, 1, 0.0f, c4.data(), 1);
    gemm<float>(1, 0, 2, 1.0f, a.data(), 2, 1, b.data(), 2, 1, 0.0f, c4.data(), 1);
    CHECK(c4 == std::vector<float>{7});
  }
}

TEST_CASE("gemm gives the same bits for 1 and 2 threads on every path") {
  Restore restore;
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    INFO("path " << std::string(to_string(path)));
    // Several row and column tiles and k-blocks; B transposed.
    CHECK(product<float>(389, 701, 777, 1, 1.0f) == product<float>(389, 701, 777, 2, 1.0f));
    CHECK(product<double>(211, 503, 600, 1, 0.0) == product<double>(211, 503, 600, 2, 0.0));
    // A small C under a deep k, summed in fixed slices of k (a linear layer's shape).
    CHECK(product<float>(64, 128, 3136, 1, 0.5f) == product<float>(64, 128, 3136, 2, 0.5f));
    // Repeated calls (reused packing buffers) give the same result.
    CHECK(product<float>(64, 300, 50, 2, 0.0f) == product<float>(64, 300, 50, 2, 0.0f));
  }
}

TEST_CASE("gemm SIMD path selection") {
  Restore restore;
  CHECK(to_string(SimdPath::portable) == "portable");
  CHECK(to_string(SimdPath::avx2) == "avx2");
  CHECK(to_string(SimdPath::avx512) == "avx512");
  CHECK(simd_path() <= best_simd_path());
  set_simd_path(SimdPath::portable);
  CHECK(simd_path() == SimdPath::portable);
  if (best_simd_path() < SimdPath::avx512) {
    CHECK_THROWS_AS(set_simd_path(SimdPath::avx512), tg::ValueError);
  }
}

namespace {

// C = alpha A B + beta C0 through gemm() and through gemm_packed_b with B packed once by
// pack_b(); `integers` fills A, B and C0 with small integers, whose products and sums are exact.
template <class T>
void check_packed_b_bits(std::int64_t m, std::int64_t n, std::int64_t k, bool integers, std::mt19937& rng) {
  const std::vector<T> a = draw_values<T>(m * k, rng, integers);
  const std::vector<T> b = draw_values<T>(k * n, rng, integers);  // stored as B^T (n x k): a weight's layout
  const std::vector<T> c0 = draw_values<T>(m * n, rng, integers);
  std::vector<T> packed(static_cast<std::size_t>(packed_b_size<T>(k, n)));
  pack_b<T>(k, n, b.data(), 1, k, packed.data());
  std::vector<T> want = c0, got = c0, exact = c0;
  const T alpha = T(1), beta = T(1);
  gemm<T>(m, n, k, alpha, a.data(), k, 1, b.data(), 1, k, beta, want.data(), n);
  gemm_packed_b<T>(m, n, k, alpha, strided_panels(a.data(), k, std::int64_t{1}), packed.data(), beta, got.data(), n,
                   /*allow_parallel=*/true);
  CHECK(got == want);
  if (integers) {
    gemm_reference<T>(m, n, k, alpha, a.data(), k, 1, b.data(), 1, k, beta, exact.data(), n);
    CHECK(got == exact);
  }
}

}  // namespace

TEST_CASE("gemm_packed_b gives gemm's bits on every SIMD path") {
  Restore restore;
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    std::mt19937 rng(77);
    // A recurrent step's product (32 x 1024 x 256), odd edges, several column blocks, and a
    // small C under a deep k (summed in slices of k).
    const std::vector<std::vector<std::int64_t>> shapes{
        {32, 1024, 256}, {7, 37, 13}, {1, 1, 1}, {5, 2053, 9}, {6, 50, 1700}};
    for (const auto& s : shapes) {
      for (const bool integers : {true, false}) {
        INFO("path " << std::string(to_string(path)) << ", " << s[0] << "x" << s[1] << "x" << s[2]
                     << (integers ? " integers" : " random"));
        check_packed_b_bits<float>(s[0], s[1], s[2], integers, rng);
        check_packed_b_bits<double>(s[0], s[1], s[2], integers, rng);
      }
    }
  }
}

namespace {

// C = alpha A B + beta C0 with a row-major B of leading dimension ldb, through gemm() (which
// reads such a B in place where it pays) and through gemm_panels with B packed; the same
// operations on every element, so the same bits, whatever the thread count.
template <class T>
void check_row_major_b_bits(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t ldb, int threads,
                            std::mt19937& rng) {
  const std::vector<T> a = draw_values<T>(m * k, rng), b = draw_values<T>(k * ldb, rng),
                       c0 = draw_values<T>(m * n, rng);
  std::vector<T> in_place = c0, packed = c0, reference = c0;
  const T alpha = T(0.75), beta = T(-0.5);
  tg::set_num_threads(threads);
  gemm<T>(m, n, k, alpha, a.data(), k, 1, b.data(), ldb, 1, beta, in_place.data(), n);
  gemm_panels<T>(m, n, k, alpha, strided_panels(a.data(), k, std::int64_t{1}),
                 strided_b_panels(b.data(), ldb, std::int64_t{1}), beta, packed.data(), n, /*allow_parallel=*/true);
  CHECK(in_place == packed);
  gemm_reference<T>(m, n, k, alpha, a.data(), k, 1, b.data(), ldb, 1, beta, reference.data(), n);
  double worst = 0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    worst = std::max(worst, std::abs(double(in_place[i]) - double(reference[i])));
  }
  // |a|, |b|, |c0| <= 1: the forward error bound of the sweep above with sum |a||b| <= k.
  const double kd = static_cast<double>(k);
  CHECK(worst <= 2.0 * (kd + 2.0) * std::numeric_limits<T>::epsilon() * (0.75 * kd + 0.5));
}

}  // namespace

TEST_CASE("gemm reads a row-major B in place with the packed product's bits on every SIMD path") {
  Restore restore;
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    std::mt19937 rng(31);
    // {m, n, k, ldb}: a one-tap convolution phase (every panel in place), a linear layer whose
    // width is not whole 16-lane vectors (the last panel packed on AVX-512), odd edges, a deep k
    // cut into slices, a padded leading dimension, and shapes that pack B instead (a stride of
    // whole pairs of cache lines; more rows than one tile).
    const std::vector<std::vector<std::int64_t>> shapes{{64, 784, 128, 784}, {64, 120, 400, 120}, {7, 37, 13, 37},
                                                        {6, 50, 1700, 53},   {13, 200, 70, 203},  {64, 128, 300, 128},
                                                        {389, 100, 50, 101}};
    for (const auto& s : shapes) {
      for (const int threads : {1, 2}) {
        INFO("path " << std::string(to_string(path)) << ", " << s[0] << "x" << s[1] << "x" << s[2] << " ldb " << s[3]
                     << ", " << threads << " thread(s)");
        check_row_major_b_bits<float>(s[0], s[1], s[2], s[3], threads, rng);
        check_row_major_b_bits<double>(s[0], s[1], s[2], s[3], threads, rng);
      }
    }
  }
}

TEST_CASE("the B packers fill several panels in one call, row-major and strided, on every SIMD path") {
  // PackBPanel's contract with w > nr: columns [j0, j0 + w) as consecutive nr-wide panels,
  // zero past the last column; a row-major B goes through MicroKernel::pack_rows.
  Restore restore;
  const std::int64_t k = 8, n = 110, k0 = 1, kc = 6, j0 = 3;
  std::vector<double> b(static_cast<std::size_t>(k * n));
  for (std::size_t e = 0; e < b.size(); ++e) b[e] = static_cast<double>(e + 1);
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    const std::int64_t nr = packed_b_size<double>(1, 1);
    const std::int64_t w = std::min(n - j0, 2 * nr + 5), panels = (w + nr - 1) / nr;
    for (bool row_major : {true, false}) {
      INFO("path " << std::string(to_string(path)) << (row_major ? ", row-major B" : ", column-major B"));
      // Element (p, j) of B at b[p * n + j] (row-major) or b[j * k + p].
      const std::int64_t b_row = row_major ? n : 1, b_col = row_major ? 1 : k;
      std::vector<double> dst(static_cast<std::size_t>(panels * nr * kc), -1.0);
      strided_b_panels(b.data(), b_row, b_col)(dst.data(), nr, k0, kc, j0, w);
      bool all_equal = true;
      for (std::int64_t s = 0; s < panels; ++s) {
        for (std::int64_t p = 0; p < kc; ++p) {
          for (std::int64_t j = 0; j < nr; ++j) {
            const std::int64_t col = j0 + s * nr + j;
            const double want = col < j0 + w ? b[static_cast<std::size_t>((k0 + p) * b_row + col * b_col)] : 0.0;
            all_equal = all_equal && dst[static_cast<std::size_t>((s * kc + p) * nr + j)] == want;
          }
        }
      }
      CHECK(all_equal);
    }
  }
}
