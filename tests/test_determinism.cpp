// Results do not depend on the thread count: every op below runs on tensors large enough to
// be split across threads, once with 1 thread and once with 2, and must give the same bits.
// (test_op_sweeps.cpp runs every registered op's samples on 1 and 2 threads; the samples are
// small, so the kernels' parallel splits are exercised here, on sizes that reach them.)
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::check_thread_independent;

TEST_CASE("elementwise ops, reductions and softmax give the same bits for 1 and 2 threads") {
  Generator gen(41);
  const Tensor a = uniform({1537, 1031}, -3.0, 3.0, gen);  // not a multiple of any chunk size
  const Tensor b = uniform({1537, 1031}, -3.0, 3.0, gen);
  const Tensor long_row = uniform({3'000'001}, -1.0, 1.0, gen);
  check_thread_independent("add", [&] {
    return std::vector<Tensor>{add(a, b), add(a, b.transpose(0, 1).transpose(0, 1))};
  });
  check_thread_independent("mul", [&] { return std::vector<Tensor>{mul(a, b), mul(a, slice(b, 0, 0, 1))}; });
  check_thread_independent("exp", [&] { return std::vector<Tensor>{exp(a), exp(a.transpose(0, 1))}; });
  check_thread_independent("sum", [&] {
    return std::vector<Tensor>{sum(a), sum(a, {0}), sum(a, {1}), sum(long_row), sum(a.transpose(0, 1), {1})};
  });
  check_thread_independent("mean", [&] { return std::vector<Tensor>{mean(a), mean(a, {0}), mean(long_row)}; });
  check_thread_independent("softmax", [&] {
    return std::vector<Tensor>{softmax(a, 1), softmax(a, 0), softmax(reshape(long_row, {1, -1}), 1)};
  });
  check_thread_independent("log_softmax", [&] {
    return std::vector<Tensor>{log_softmax(a, 1), log_softmax(a, 0), log_softmax(reshape(long_row, {1, -1}), 1)};
  });
}

TEST_CASE("pooling, matmul, conv2d and cross-entropy with their gradients give the same bits for 1 and 2 threads") {
  Generator gen(42);
  const Tensor x = uniform({8, 32, 30, 30}, -1.0, 1.0, gen);
  const auto pool_with_grad = [&](bool max) {
    const Tensor xg = x.detach().set_requires_grad(true);
    const Pool2dOptions o{.kernel_size = 3, .stride = 2, .padding = 1};
    const Tensor y = max ? max_pool2d(xg, o) : avg_pool2d(xg, o);
    const Tensor dx = grad({y}, {xg}, {full_like(y, 0.5)})[0];
    return std::vector<Tensor>{y, dx};
  };
  check_thread_independent("max_pool2d", [&] { return pool_with_grad(true); });
  check_thread_independent("avg_pool2d", [&] { return pool_with_grad(false); });
  // 2x2 windows that tile the rows take the SIMD kernels (LeNet's 10x10 planes, 1024 of them).
  const Tensor lenet = uniform({16, 64, 10, 10}, -1.0, 1.0, gen);
  check_thread_independent("max_pool2d 2x2 on small planes", [&] {
    const Tensor xg = lenet.detach().set_requires_grad(true);
    const Tensor y = max_pool2d(xg, {.kernel_size = 2});
    return std::vector<Tensor>{y, grad({y}, {xg}, {full_like(y, 0.5)})[0]};
  });

  const Tensor m1 = uniform({300, 400}, -1.0, 1.0, gen), m2 = uniform({400, 500}, -1.0, 1.0, gen);
  check_thread_independent("matmul", [&] {
    const Tensor p = m1.detach().set_requires_grad(true), q = m2.detach().set_requires_grad(true);
    const Tensor y = matmul(p, q);
    std::vector<Tensor> out = grad({y}, {p, q}, {full_like(y, 0.25)});
    out.insert(out.begin(), y);
    return out;
  });

  const Tensor img = uniform({4, 16, 24, 24}, -1.0, 1.0, gen);
  const Tensor weight = uniform({24, 16, 3, 3}, -0.2, 0.2, gen);
  const Tensor bias = uniform({24}, -0.1, 0.1, gen);
  check_thread_independent("conv2d and its input / weight / bias gradients", [&] {
    const Tensor xi = img.detach().set_requires_grad(true), w = weight.detach().set_requires_grad(true),
                 bi = bias.detach().set_requires_grad(true);
    const Tensor y = conv2d(xi, w, bi, {.stride = 1, .padding = 1});
    std::vector<Tensor> out = grad({y}, {xi, w, bi}, {full_like(y, 0.1)});
    out.insert(out.begin(), y);
    return out;
  });

  const Tensor logits = uniform({2048, 100}, -4.0, 4.0, gen);
  const Tensor target = randint(0, 100, {2048}, gen);
  check_thread_independent("cross_entropy and its gradient", [&] {
    const Tensor l = logits.detach().set_requires_grad(true);
    const Tensor loss = nn::cross_entropy(l, target, {.label_smoothing = 0.05});
    return std::vector<Tensor>{loss, grad({loss}, {l})[0]};
  });
}

TEST_CASE("sums down leading or middle dims give the same bits as sums along the last dim of a transposed copy") {
  Generator gen(43);
  struct Case {
    Shape shape;
    std::vector<std::int64_t> dims;
  };
  // Lengths above a reduction block (16384) and not multiples of 8; widths above a column block.
  for (const Case& c : {Case{{40003, 3}, {0}}, Case{{37, 300}, {0}}, Case{{3, 1001, 5}, {1}},
                        Case{{2, 3, 4, 5}, {1, 2}}, Case{{20000, 2, 130}, {0, 1}}}) {
    for (const DType dtype : {f32, f64, i64}) {
      INFO(fmt::format("{} dims {} {}", c.shape, c.dims, dtype_name(dtype)));
      const Tensor x =
          dtype == i64 ? randint(-50, 50, c.shape, gen) : uniform(c.shape, -1.0, 1.0, gen, {.dtype = dtype});
      // Move the reduced dims last, copy, and reduce the trailing dims instead.
      std::vector<std::int64_t> order, last;
      for (std::int64_t d = 0; d < x.dim(); ++d) {
        if (std::find(c.dims.begin(), c.dims.end(), d) == c.dims.end()) order.push_back(d);
      }
      for (std::size_t i = 0; i < c.dims.size(); ++i) {
        order.push_back(c.dims[i]);
        last.push_back(static_cast<std::int64_t>(order.size()) - 1);
      }
      const Tensor moved = permute(x, order).contiguous();
      const Tensor want = sum(moved, last);
      const Tensor got = sum(x, c.dims);
      REQUIRE(got.shape() == want.shape());
      CHECK(std::memcmp(got.raw_data(), want.raw_data(), static_cast<std::size_t>(got.numel()) * itemsize(dtype)) == 0);
      if (dtype != i64) {
        const Tensor got_mean = mean(x, c.dims), want_mean = mean(moved, last);
        CHECK(std::memcmp(got_mean.raw_data(), want_mean.raw_data(),
                          static_cast<std::size_t>(got_mean.numel()) * itemsize(dtype)) == 0);
      }
    }
  }
}
