// The fast convolution kernels (packed im2col GEMM; ROT180 input gradient through the same
// routine) against the direct loops they replace, over the conv sweep plus shapes that
// exercise the blocking: several images per GEMM, images wider than one GEMM block, k split
// into several blocks, groups, and weight-gradient partial sums. Every SIMD path.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "conv_test_util.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/kernels/conv/conv_direct.hpp"
#include "ops/kernels/conv/conv_dispatch.hpp"
#include "ops/kernels/conv/conv_winograd.hpp"
#include "ops/kernels/simd/simd_path.hpp"

using namespace tg;
using namespace tg::kernels;
using namespace conv_test;

namespace {

std::vector<ConvCase> fast_cases() {
  std::vector<ConvCase> cases = conv_sweep();
  const std::vector<ConvCase> blocking = {
      {20, 1, 28, 28, 6, 5, 5, {.padding = 2}, true},              // LeNet C1: many chunks, 8 partial sums
      {10, 6, 14, 14, 16, 5, 5, {}, true},                         // LeNet C2: 10 images in one GEMM
      {5, 8, 7, 7, 40, 3, 3, {.padding = 1}, false},               // 7x7 planes side by side
      {2, 50, 9, 9, 10, 3, 3, {.padding = 1}, true},               // k = 450: two k-blocks
      {2, 3, 50, 47, 5, 3, 3, {.stride = 1, .padding = 1}, true},  // 2350 pixels: wider than a GEMM block
      {6, 4, 10, 10, 8, 3, 3, {.stride = 2, .padding = 1, .groups = 2}, true},
      {3, 6, 12, 11, 6, 3, 3, {.padding = 1, .dilation = 2, .groups = 6}, true},
      {2, 16, 12, 12, 32, 1, 1, {.stride = 2}, false},                           // 1x1 downsampling
      {2, 32, 14, 14, 64, 3, 3, {.padding = 1}, true},                           // two blocks of channel vectors
      {3, 4, 9, 30, 24, 3, 3, {.padding = 1}, true},                             // a partial vector; rows in parts
      {2, 6, 11, 13, 40, 3, 3, {.stride = 2, .padding = 1, .groups = 2}, true},  // 20 channels a group
      {2, 24, 7, 7, 48, 3, 3, {.padding = 1}, true},                             // 7-pixel rows: one tile of 3 vectors
      {1, 8, 14, 14, 128, 3, 3, {.padding = 1}, false},            // 16 vectors of channels, input in blocks
      {6, 32, 5, 6, 64, 3, 3, {.padding = 1, .groups = 2}, true},  // small planes: image slices under each weight block
      {3, 64, 7, 7, 48, 3, 3, {.padding = 1}, true},    // small planes: blocks follow the threads, input in blocks
      {4, 64, 12, 13, 64, 3, 3, {.padding = 1}, true},  // Winograd: two chunks of images, an odd output width
      {2, 4, 27, 31, 8, 3, 3, {.padding = 1}, true},    // Winograd: images in bands of block rows, the last odd
      {2, 3, 23, 21, 32, 7, 7, {.stride = 2, .padding = 3}, true},  // ResNet's stem: a large kernel at a stride
      {3, 8, 15, 13, 64, 3, 3, {.stride = 2, .padding = 1}, true},  // stride 2, 64 channels: col2im
      {2, 4, 9, 11, 128, 3, 3, {.stride = 2, .padding = 1, .groups = 2}, false},  // col2im per group
      {3, 8, 9, 6, 12, 3, 3, {.padding = 2, .dilation = 2, .groups = 2}, true},   // im2col through offsets, dilated
  };
  cases.insert(cases.end(), blocking.begin(), blocking.end());
  return cases;
}

ConvLoopGeometry geometry(const ConvCase& c) {
  const auto& o = c.options;
  const Shape y_shape{c.n, c.c_out, out_size(c.h, c.kh, o.stride.h, o.padding.h, o.dilation.h),
                      out_size(c.w, c.kw, o.stride.w, o.padding.w, o.dilation.w)};
  return tg::detail::conv2d_geometry_from_shapes("test", {c.n, c.c_in, c.h, c.w},
                                                 {c.c_out, c.c_in / o.groups, c.kh, c.kw}, y_shape, o);
}

template <class T>
std::vector<T> random_values(std::size_t n, std::mt19937& rng, bool integers) {
  std::uniform_int_distribution<int> ints(-3, 3);
  std::uniform_real_distribution<double> reals(-1.0, 1.0);
  std::vector<T> v(n);
  for (T& e : v) e = integers ? T(ints(rng)) : T(reals(rng));
  return v;
}

struct Results {
  std::vector<double> y, dx, dw;
};

// Which kernels compute the three maps: the oracle, the automatic choice, or one fast path
// forced (with the input gradient one stride phase at a time; on the GEMM and channel paths,
// with the rotated kernel read in place for stride 1). col2im is the GEMM path with the input
// gradient as col2im(W^T . dY) in small products.
enum class Path { oracle, fast, gemm, direct, channels, winograd, col2im };

// The col2im input gradient's bound on one product, small here so that the tests' planes are
// cut into bands of output rows (one image) and their batches into single images.
constexpr std::int64_t kSmallProduct = 2000;

// Whether a forced path computes the forward map of g: the direct path needs unit column
// stride (the input gradient's convolution always has it); Winograd's F(2x2, 3x3) takes 3x3
// kernels at stride 1 and dilation 1 (and then computes both gradients too, the rule's
// correlation being one as well). A path that does not leaves its outputs zero.
bool runs_forward(Path path, const ConvLoopGeometry& g) {
  if (path == Path::direct) return g.stride_w == 1;
  if (path == Path::winograd) return conv2d_winograd_applies(g);
  return true;
}

template <class T>
Results run(const ConvCase& c, Path path, bool integers) {
  const ConvLoopGeometry g = geometry(c);
  std::mt19937 rng(7);
  const auto sz = [](std::int64_t n) { return static_cast<std::size_t>(n); };
  const std::vector<T> x = random_values<T>(sz(g.batch * g.in_channels * g.in_h * g.in_w), rng, integers);
  const std::vector<T> w =
      random_values<T>(sz(g.out_channels * g.in_channels / g.groups * g.kernel_h * g.kernel_w), rng, integers);
  const std::vector<T> b = random_values<T>(sz(g.out_channels), rng, integers);
  const std::vector<T> dy = random_values<T>(sz(g.batch * g.out_channels * g.out_h * g.out_w), rng, integers);
  std::vector<T> y(dy.size()), dx(x.size()), dw(w.size());
  const T* bias = c.bias ? b.data() : nullptr;
  if (path == Path::oracle) {
    conv2d_reference_loops<T>(x.data(), w.data(), bias, y.data(), g);
    conv2d_input_grad_rot180<T>(dy.data(), w.data(), dx.data(), g);
    conv2d_weight_grad_loops<T>(x.data(), dy.data(), dw.data(), g);
  } else {
    ConvForwardFn<T> forward = &conv2d_fast<T>;
    if (path == Path::gemm || path == Path::col2im) forward = &conv2d_im2col_gemm<T>;
    if (path == Path::direct) forward = &conv2d_direct<T>;
    if (path == Path::channels) forward = &conv2d_direct_channels<T>;
    if (path == Path::winograd) forward = &conv2d_winograd<T>;
    if (runs_forward(path, g)) forward(x.data(), w.data(), bias, y.data(), g);
    if (path == Path::fast) {
      conv2d_input_grad_fast<T>(dy.data(), w.data(), dx.data(), g);
    } else if (path == Path::winograd) {
      if (runs_forward(path, g)) conv2d_input_grad_winograd<T>(dy.data(), w.data(), dx.data(), g);
    } else if (path == Path::gemm) {
      conv2d_input_grad_gemm<T>(dy.data(), w.data(), dx.data(), g);
    } else if (path == Path::col2im) {
      conv2d_input_grad_col2im<T>(dy.data(), w.data(), dx.data(), g, kSmallProduct);
    } else if (path == Path::channels) {
      conv2d_input_grad_channels<T>(dy.data(), w.data(), dx.data(), g);
    } else {
      conv2d_input_grad_polyphase<T>(forward, dy.data(), w.data(), dx.data(), g);
    }
    if (path == Path::fast) conv2d_weight_grad_fast<T>(x.data(), dy.data(), dw.data(), g);
    if (path == Path::gemm || path == Path::col2im) conv2d_weight_grad_gemm<T>(x.data(), dy.data(), dw.data(), g);
    if (path == Path::direct && g.stride_w == 1) conv2d_weight_grad_direct<T>(x.data(), dy.data(), dw.data(), g);
    if (path == Path::channels) conv2d_weight_grad_direct_channels<T>(x.data(), dy.data(), dw.data(), g);
    if (path == Path::winograd && runs_forward(path, g))
      conv2d_weight_grad_winograd<T>(x.data(), dy.data(), dw.data(), g);
  }
  return {{y.begin(), y.end()}, {dx.begin(), dx.end()}, {dw.begin(), dw.end()}};
}

// max |got - want| <= tol * max(1, max |want|): rounding differs with the summation order,
// by an amount that scales with the largest sums.
void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol, const char* what) {
  REQUIRE(got.size() == want.size());
  double diff = 0.0, scale = 1.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    diff = std::max(diff, std::abs(got[i] - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  const double worst = diff / scale;
  INFO(what << ": worst relative difference " << worst);
  CHECK(worst <= tol);
}

std::vector<SimdPath> available_paths() {
  std::vector<SimdPath> paths{SimdPath::portable};
  if (best_simd_path() >= SimdPath::avx2) paths.push_back(SimdPath::avx2);
  if (best_simd_path() >= SimdPath::avx512) paths.push_back(SimdPath::avx512);
  return paths;
}

struct RestorePath {
  SimdPath saved = simd_path();
  ~RestorePath() { set_simd_path(saved); }
};

}  // namespace

TEST_CASE("fast conv kernels equal the direct loops bit for bit on small integers, on every SIMD path") {
  // Sums of small integers are exact in float64 in any order, so any difference is a bug.
  RestorePath restore;
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    for (const ConvCase& c : fast_cases()) {
      const Results oracle = run<double>(c, Path::oracle, true);
      for (Path kernel : {Path::fast, Path::gemm, Path::direct, Path::channels, Path::winograd, Path::col2im}) {
        INFO("path " << std::string(to_string(path)) << ", kernel " << static_cast<int>(kernel) << ", " << describe(c));
        const Results fast = run<double>(c, kernel, true);
        const bool forward_ran = runs_forward(kernel, geometry(c));
        if (forward_ran) CHECK(fast.y == oracle.y);
        if (forward_ran || kernel != Path::winograd) CHECK(fast.dx == oracle.dx);
        if (forward_ran) CHECK(fast.dw == oracle.dw);
      }
    }
  }
}

TEST_CASE("fast conv kernels match the direct loops on random float32 and float64 inputs") {
  RestorePath restore;
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    for (const ConvCase& c : fast_cases()) {
      INFO("path " << std::string(to_string(path)) << ", " << describe(c));
      const Results f64 = run<double>(c, Path::fast, false), o64 = run<double>(c, Path::oracle, false);
      check_close(f64.y, o64.y, 1e-13, "y float64");
      check_close(f64.dx, o64.dx, 1e-13, "dx float64");
      check_close(f64.dw, o64.dw, 1e-12, "dw float64");
      const Results f32 = run<float>(c, Path::fast, false), o32 = run<float>(c, Path::oracle, false);
      check_close(f32.y, o32.y, 2e-5, "y float32");
      check_close(f32.dx, o32.dx, 2e-5, "dx float32");
      check_close(f32.dw, o32.dw, 1e-4, "dw float32");
      check_close(run<double>(c, Path::col2im, false).dx, o64.dx, 1e-13, "col2im dx float64");
      check_close(run<float>(c, Path::col2im, false).dx, o32.dx, 2e-5, "col2im dx float32");
      if (runs_forward(Path::winograd, geometry(c))) {
        // Its transforms round as well: within the same bounds as the direct sums.
        const Results w64 = run<double>(c, Path::winograd, false), w32 = run<float>(c, Path::winograd, false);
        check_close(w64.y, o64.y, 1e-13, "winograd y float64");
        check_close(w64.dx, o64.dx, 1e-13, "winograd dx float64");
        check_close(w64.dw, o64.dw, 1e-12, "winograd dw float64");
        check_close(w32.y, o32.y, 2e-5, "winograd y float32");
        check_close(w32.dx, o32.dx, 2e-5, "winograd dx float32");
        check_close(w32.dw, o32.dw, 1e-4, "winograd dw float32");
      }
    }
  }
}

TEST_CASE("fast conv kernels give the same bits for 1 and 2 threads") {
  // The channel layout is forced as well: on small planes its blocks of output channels
  // follow the thread count, which must not change any sum's order.
  const int saved = get_num_threads();
  for (const ConvCase& c : fast_cases()) {
    for (Path kernel : {Path::fast, Path::channels, Path::col2im}) {
      INFO("kernel " << static_cast<int>(kernel) << ", " << describe(c));
      set_num_threads(1);
      const Results one = run<float>(c, kernel, false);
      set_num_threads(2);
      const Results two = run<float>(c, kernel, false);
      CHECK(one.y == two.y);
      CHECK(one.dx == two.dx);
      CHECK(one.dw == two.dw);
    }
  }
  set_num_threads(saved);
}

TEST_CASE("Winograd's forward gives an image the same bits in any batch and on any thread count") {
  // Its chunks of images follow the batch and the thread count (9 images of 64 channels at
  // 7 x 7 make chunks of 4 + 5 images on 1 and 2 threads, 3 + 3 + 3 on 3); every output
  // must come out of the same operations as when its image runs alone. Random floats, so
  // any change of summation order shows.
  RestorePath restore;
  const int saved = get_num_threads();
  const ConvCase c{9, 64, 7, 7, 64, 3, 3, {.padding = 1}, true};
  const ConvLoopGeometry g = geometry(c);
  ConvLoopGeometry one_image = g;
  one_image.batch = 1;
  std::mt19937 rng(5);
  const std::int64_t x_image = g.in_channels * g.in_h * g.in_w, y_image = g.out_channels * g.out_h * g.out_w;
  const std::vector<float> x = random_values<float>(static_cast<std::size_t>(g.batch * x_image), rng, false);
  const std::vector<float> w = random_values<float>(static_cast<std::size_t>(64 * 64 * 9), rng, false);
  const std::vector<float> b = random_values<float>(64, rng, false);
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    std::vector<float> alone(static_cast<std::size_t>(g.batch * y_image));
    set_num_threads(1);
    for (std::int64_t n = 0; n < g.batch; ++n) {
      conv2d_winograd<float>(x.data() + n * x_image, w.data(), b.data(), alone.data() + n * y_image, one_image);
    }
    for (int threads : {1, 2, 3}) {
      INFO("path " << std::string(to_string(path)) << ", " << threads << " threads");
      set_num_threads(threads);
      std::vector<float> batched(alone.size());
      conv2d_winograd<float>(x.data(), w.data(), b.data(), batched.data(), g);
      CHECK(batched == alone);
    }
  }
  set_num_threads(saved);
}

TEST_CASE("every forward path writes a strided output layout in place and nothing between") {
  // The layout the input gradient's stride phases use: y[n, k, i, j] at
  // (n * C_out + k) * y_plane + i * y_row + j * y_col, here every other row and column of
  // a plane twice the output's size, starting at (1, 1). Small integers: exact in any order.
  RestorePath restore;
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    for (const ConvCase& c : fast_cases()) {
      ConvLoopGeometry g = geometry(c);
      if (g.stride_w != 1) continue;  // the row-layout path needs unit column stride
      std::mt19937 rng(11);
      const auto sz = [](std::int64_t n) { return static_cast<std::size_t>(n); };
      const std::vector<double> x = random_values<double>(sz(g.batch * g.in_channels * g.in_h * g.in_w), rng, true);
      const std::vector<double> w =
          random_values<double>(sz(g.out_channels * g.cin_g() * g.kernel_h * g.kernel_w), rng, true);
      const std::vector<double> b = random_values<double>(sz(g.out_channels), rng, true);
      std::vector<double> dense(sz(g.batch * g.out_channels * g.out_h * g.out_w));
      conv2d_reference_loops<double>(x.data(), w.data(), b.data(), dense.data(), g);

      ConvLoopGeometry strided = g;
      const std::int64_t rows = 2 * g.out_h + 1, cols = 2 * g.out_w + 1;
      strided.y_plane = rows * cols;
      strided.y_row = 2 * cols;
      strided.y_col = 2;
      constexpr double kUntouched = -12345.0;
      for (Path kernel : {Path::fast, Path::gemm, Path::direct, Path::channels, Path::winograd, Path::oracle}) {
        if (!runs_forward(kernel, g)) continue;
        INFO("path " << std::string(to_string(path)) << ", kernel " << static_cast<int>(kernel) << ", " << describe(c));
        ConvForwardFn<double> forward = &conv2d_reference_loops<double>;
        if (kernel == Path::fast) forward = &conv2d_fast<double>;
        if (kernel == Path::gemm) forward = &conv2d_im2col_gemm<double>;
        if (kernel == Path::direct) forward = &conv2d_direct<double>;
        if (kernel == Path::channels) forward = &conv2d_direct_channels<double>;
        if (kernel == Path::winograd) forward = &conv2d_winograd<double>;
        std::vector<double> y(sz(g.batch * g.out_channels * rows * cols), kUntouched);
        forward(x.data(), w.data(), b.data(), y.data() + cols + 1, strided);
        bool placed = true, between_untouched = true;
        for (std::int64_t plane = 0; plane < g.batch * g.out_channels; ++plane) {
          for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t q = 0; q < cols; ++q) {
              const double got = y[sz(plane * rows * cols + r * cols + q)];
              if (r % 2 == 1 && q % 2 == 1) {
                const std::int64_t i = r / 2, j = q / 2;
                placed = placed && got == dense[sz((plane * g.out_h + i) * g.out_w + j)];
              } else {
                between_untouched = between_untouched && got == kUntouched;
              }
            }
          }
        }
        CHECK(placed);
        CHECK(between_untouched);
      }
    }
  }
}

TEST_CASE("the weight packer fills several panels in one call, the rotated kernel read in place, on every SIMD path") {
  // PackAPanel's contract with h > mr: rows [i0, i0 + h) as consecutive mr-row panels, zero
  // past the last row. The ROT180 rule's matrix, row i and column (c, t), is w[c, i, kk-1-t].
  RestorePath restore;
  const ConvCase c{1, 13, 6, 6, 13, 3, 3, {.padding = 1}, false};
  const ConvLoopGeometry forward = geometry(c);
  const ConvLoopGeometry rotated = rot180_geometry(forward);
  std::vector<double> w(static_cast<std::size_t>(13 * 13 * 9));
  for (std::size_t e = 0; e < w.size(); ++e) w[e] = static_cast<double>(e + 1);
  const std::int64_t i0 = 1, h = 12, k0 = 5, kc = 40;
  for (SimdPath path : available_paths()) {
    set_simd_path(path);
    const std::int64_t mr = gemm_panel_rows<double>();
    const std::int64_t panels = (h + mr - 1) / mr;
    for (bool rot : {false, true}) {
      INFO("path " << std::string(to_string(path)) << (rot ? ", rotated" : ", as stored"));
      const ConvLoopGeometry& g = rot ? rotated : forward;
      std::vector<double> dst(static_cast<std::size_t>(panels * mr * kc), -1.0);
      weight_panels(ConvWeights<double>{w.data(), rot}, g, 0)(dst.data(), mr, i0, h, k0, kc);
      bool all_equal = true;
      for (std::int64_t s = 0; s < panels; ++s) {
        for (std::int64_t p = 0; p < kc; ++p) {
          for (std::int64_t r = 0; r < mr; ++r) {
            const std::int64_t row = i0 + s * mr + r, k = k0 + p;
            double want = 0.0;
            if (row < i0 + h) {
              want = rot ? w[static_cast<std::size_t>((k / 9 * 13 + row) * 9 + 8 - k % 9)]
                         : w[static_cast<std::size_t>(row * g.kdim() + k)];
            }
            all_equal = all_equal && dst[static_cast<std::size_t>((s * kc + p) * mr + r)] == want;
          }
        }
      }
      CHECK(all_equal);
    }
  }
}
