// Shape and view ops: storage sharing, values against naive index loops, Python slicing
// edge cases, padding, cat/stack, hand-computed gradients, and the adjoint identity of
// every registered shape op's samples (first and second order). Indexing ops:
// test_indexing_ops.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <string>

#include "shape_test_util.hpp"
#include "tapegrad.hpp"

using namespace tg;

using namespace shape_test;

TEST_CASE("views share storage with their input") {
  Tensor x = iota(24, {2, 3, 4});
  const auto same_storage = [&](const Tensor& v) { return v.impl().storage == x.impl().storage; };

  Tensor p = permute(x, {2, 0, 1});
  CHECK(same_storage(p));
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.strides() == Strides{1, 12, 4});

  Tensor t = transpose(x, 0, -1);
  CHECK(same_storage(t));
  CHECK(t.strides() == Strides{1, 4, 12});

  Tensor u = unsqueeze(x, 1);
  CHECK(same_storage(u));
  CHECK(u.shape() == Shape{2, 1, 3, 4});
  Tensor s = squeeze(u, 1);
  CHECK(same_storage(s));
  CHECK(s.shape() == x.shape());
  CHECK(s.strides() == x.strides());
  CHECK(squeeze(x, 0).shape() == x.shape());  // size 2: unchanged

  Tensor sl = slice(x, 1, 1, 3);
  CHECK(same_storage(sl));
  CHECK(element_offset(sl, x) == 4);
  CHECK(sl.raw_data() == static_cast<void*>(x.data<double>() + 4));
  Tensor stepped = slice(x, 2, 1, 4, 2);
  CHECK(stepped.strides() == Strides{12, 4, 2});
  CHECK(element_offset(stepped, x) == 1);

  Tensor n = narrow(x, 0, -1, 1);
  CHECK(same_storage(n));
  CHECK(element_offset(n, x) == 12);

  Tensor f = flatten(x, 1);
  CHECK(f.raw_data() == x.raw_data());
  CHECK(f.shape() == Shape{2, 12});
  Tensor e = expand(unsqueeze(x, 0), {5, 2, 3, 4});
  CHECK(same_storage(e));
  CHECK(e.strides()[0] == 0);

  CHECK(contiguous(x).is_same(x));  // already contiguous: x itself
  Tensor c = contiguous(p);
  CHECK_FALSE(same_storage(c));
  CHECK(c.is_contiguous());
  CHECK(c.to_vector() == p.to_vector());
}

TEST_CASE("permute, slice, flip values match naive index loops") {
  Tensor x = iota(24, {2, 3, 4});
  Tensor p = permute(x, {2, 0, 1});
  Tensor f = flip(x, {0, -1});
  Tensor s = slice(x, 2, -3, 100, 2);  // columns 1, 3
  for (std::int64_t i = 0; i < 2; ++i) {
    for (std::int64_t j = 0; j < 3; ++j) {
      for (std::int64_t k = 0; k < 4; ++k) {
        const double v = static_cast<double>(i * 12 + j * 4 + k);
        CHECK(p.value({k, i, j}) == v);
        CHECK(f.value({1 - i, j, 3 - k}) == v);
        if (k % 2 == 1) CHECK(s.value({i, j, k / 2}) == v);
      }
    }
  }
  CHECK(s.shape() == Shape{2, 3, 2});
  CHECK(flip(x, {}).to_vector() == x.to_vector());
  CHECK(flip(p, {1}).value({3, 0, 2}) == x.value({1, 2, 3}));  // flip of a strided view
}

TEST_CASE("slice follows Python semantics") {
  Tensor x = iota(10, {10});
  const auto py = [&](std::int64_t start, std::int64_t stop, std::int64_t step) {
    return slice(x, 0, start, stop, step).to_vector();
  };
  CHECK(py(-3, 100, 1) == std::vector<double>{7, 8, 9});
  CHECK(py(-100, 3, 1) == std::vector<double>{0, 1, 2});
  CHECK(py(1, 8, 3) == std::vector<double>{1, 4, 7});
  CHECK(py(1, 7, 3) == std::vector<double>{1, 4});
  CHECK(py(-4, -1, 2) == std::vector<double>{6, 8});
  CHECK(py(0, 10, 20) == std::vector<double>{0});
  CHECK(py(5, 2, 1).empty());
  CHECK(py(-1, -1, 1).empty());
  CHECK(py(10, 12, 1).empty());
  CHECK(py(100, 200, 3).empty());
  CHECK(slice(x, 0, 5, 2).shape() == Shape{0});
  CHECK(slice(x, -1, 0, 10, 1).shape() == Shape{10});
  CHECK(narrow(x, 0, 7, 3).to_vector() == std::vector<double>{7, 8, 9});
  CHECK(narrow(x, 0, -2, 2).to_vector() == std::vector<double>{8, 9});
  CHECK(narrow(x, 0, 10, 0).numel() == 0);

  CHECK_THROWS_AS((void)slice(x, 0, 0, 5, 0), ValueError);
  CHECK_THROWS_AS((void)slice(x, 0, 0, 5, -1), ValueError);
  CHECK_THROWS_AS((void)slice(x, 1, 0, 5), IndexError);
  CHECK_THROWS_AS((void)slice(scalar_tensor(1.0), 0, 0, 1), ShapeError);
  CHECK_THROWS_AS((void)narrow(x, 0, 8, 3), IndexError);
  CHECK_THROWS_AS((void)narrow(x, 0, -11, 1), IndexError);
  CHECK_THROWS_AS((void)narrow(x, 0, 2, -1), IndexError);
}

TEST_CASE("pad pads and crops in PyTorch order") {
  Tensor x = iota(6, {2, 3});  // [[0, 1, 2], [3, 4, 5]]
  Tensor a = pad(x, {1, 2}, -1.0);
  CHECK(a.shape() == Shape{2, 6});
  CHECK(a.to_vector() == std::vector<double>{-1, 0, 1, 2, -1, -1, -1, 3, 4, 5, -1, -1});
  Tensor b = pad(x, {-1, 0, 1, -1});  // crop first column, one row on top, crop last row
  CHECK(b.shape() == Shape{2, 2});
  CHECK(b.to_vector() == std::vector<double>{0, 0, 1, 2});
  Tensor c = pad(x, {-1, -1});
  CHECK(c.to_vector() == std::vector<double>{1, 4});
  Tensor d = pad(x, {-3, 2}, 7.0);  // every column cropped, two added
  CHECK(d.to_vector() == std::vector<double>{7, 7, 7, 7});
  Tensor e = pad(transpose(x, 0, 1), {0, 1, 1, 0});  // non-contiguous input
  CHECK(e.shape() == Shape{4, 3});
  CHECK(e.to_vector() == std::vector<double>{0, 0, 0, 0, 3, 0, 1, 4, 0, 2, 5, 0});
  // Backward is pad with negated pads: the gradient is the window of g that held x.
  Tensor xg = iota(6, {2, 3}, true);
  Tensor w = iota(4, {2, 2});
  sum(mul(pad(xg, {-1, 0, 1, -1}), w)).backward();  // b[0] = pad row; b[1] = x[0, 1:]
  CHECK(xg.grad().to_vector() == std::vector<double>{0, 2, 3, 0, 0, 0});

  CHECK_THROWS_AS((void)pad(x, {1}), ShapeError);
  CHECK_THROWS_AS((void)pad(x, {1, 1, 1, 1, 1, 1}), ShapeError);
  CHECK_THROWS_AS((void)pad(x, {-2, -2}), ShapeError);
}

TEST_CASE("cat and stack of mixed shapes and dims") {
  Tensor a = iota(6, {2, 3});
  Tensor b = vec({10, 11, 12}, {1, 3});
  Tensor c = cat({a, b}, 0);
  CHECK(c.shape() == Shape{3, 3});
  CHECK(c.to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5, 10, 11, 12});
  Tensor d = cat({a, transpose(iota(4, {2, 2}), 0, 1), vec({-1, -2}, {2, 1})}, -1);
  CHECK(d.shape() == Shape{2, 6});
  CHECK(d.to_vector() == std::vector<double>{0, 1, 2, 0, 2, -1, 3, 4, 5, 1, 3, -2});
  Tensor mixed = cat(
      {from_vector(std::vector<float>{1.5F}, {1}), vec({2.25}, {1}), from_vector(std::vector<std::int64_t>{3}, {1})});
  CHECK(mixed.dtype() == f64);
  CHECK(mixed.to_vector() == std::vector<double>{1.5, 2.25, 3});
  CHECK(cat({a, zeros({2, 0}, {.dtype = f64})}, 1).to_vector() == a.to_vector());

  Tensor x = vec({1, 2, 3}, {3});
  Tensor y = vec({4, 5, 6}, {3});
  CHECK(stack({x, y}).shape() == Shape{2, 3});
  CHECK(stack({x, y}).to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
  Tensor s1 = stack({x, y}, -1);
  CHECK(s1.shape() == Shape{3, 2});
  CHECK(s1.to_vector() == std::vector<double>{1, 4, 2, 5, 3, 6});
  Tensor s2 = stack({a, a * 2.0, a * 3.0}, 1);
  CHECK(s2.shape() == Shape{2, 3, 3});
  for (std::int64_t i = 0; i < 2; ++i) {
    for (std::int64_t k = 0; k < 3; ++k) {
      for (std::int64_t j = 0; j < 3; ++j) CHECK(s2.value({i, k, j}) == static_cast<double>((k + 1) * (i * 3 + j)));
    }
  }

  CHECK_THROWS_AS((void)cat({}, 0), ValueError);
  CHECK_THROWS_AS((void)cat({a, iota(4, {2, 2})}, 0), ShapeError);
  CHECK_THROWS_AS((void)cat({a, iota(6, {6})}, 0), ShapeError);
  CHECK_THROWS_AS((void)cat({scalar_tensor(1.0)}, 0), ShapeError);
  CHECK_THROWS_AS((void)cat({a, a}, 2), IndexError);
  CHECK_THROWS_AS((void)stack({x, a}), ShapeError);
  CHECK_THROWS_AS((void)stack({x, y}, 2), IndexError);
  CHECK(error_message<ShapeError>([&] {
          (void)cat({a, iota(4, {2, 2})}, 0);
        }) == "cat: tensor 1 has shape [2, 2], which does not match shape [2, 3] of tensor 0 outside dim 0");
}

TEST_CASE("gradients of slices in the graph, twice sliced and recombined") {
  SUBCASE("slice of an intermediate") {
    Tensor x = iota(6, {2, 3}, true);
    Tensor s = slice(x * 2.0, 1, 0, 3, 2);  // columns 0 and 2
    sum(mul(s, vec({1, 2, 3, 4}, {2, 2}))).backward();
    CHECK(x.grad().to_vector() == std::vector<double>{2, 0, 4, 6, 0, 8});
  }
  SUBCASE("sliced twice, recombined by mul and cat") {
    Tensor x = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {6}, {.dtype = f64, .requires_grad = true});
    Tensor a = slice(x, 0, 0, 4);     // [1, 2, 3, 4]
    Tensor b = slice(x, 0, 2, 6, 2);  // [3, 5]
    Tensor c = slice(a, 0, 1, 3);     // [2, 3]
    Tensor y = sum(c * b) + sum(cat({c, b}) * vec({1, 10, 100, 1000}, {4}));
    CHECK(y.item() == 21.0 + 2 + 30 + 300 + 5000);
    y.backward();
    CHECK(x.grad().to_vector() == std::vector<double>{0, 4, 117, 0, 1003, 0});
  }
  SUBCASE("second derivative through slice") {
    Tensor x = from_vector(std::vector<double>{1, 2, 3}, {3}, {.dtype = f64, .requires_grad = true});
    Tensor s = slice(x, 0, 1, 3);
    auto dy = grad({sum(s * s * s)}, {x}, {}, {.create_graph = true});  // 3 s^2
    CHECK(dy[0].to_vector() == std::vector<double>{0, 12, 27});
    auto d2 = grad({sum(dy[0])}, {x});  // 6 s
    CHECK(d2[0].to_vector() == std::vector<double>{0, 12, 18});
  }
  SUBCASE("index_select and gather scatter-add repeated indices") {
    Tensor x = iota(6, {3, 2}, true);
    sum(index_select(x, 0, index({2, 0, 2})) * vec({1, 2, 3, 4, 5, 6}, {3, 2})).backward();
    CHECK(x.grad().to_vector() == std::vector<double>{3, 4, 0, 0, 6, 8});
    Tensor z = iota(6, {2, 3}, true);
    Tensor gi = from_vector(std::vector<std::int64_t>{2, 2, 0, 1}, {2, 2});
    sum(gather(z, 1, gi) * vec({1, 10, 100, 1000}, {2, 2})).backward();
    CHECK(z.grad().to_vector() == std::vector<double>{0, 0, 11, 100, 1000, 0});
  }
}

TEST_CASE("permute -> slice -> reshape -> sum against hand values") {
  Tensor x = iota(6, {2, 3}, true);  // [[0, 1, 2], [3, 4, 5]]
  Tensor p = permute(x, {1, 0});     // [[0, 3], [1, 4], [2, 5]]
  Tensor s = slice(p, 0, 1, 3);      // [[1, 4], [2, 5]], strides [1, 3]
  Tensor r = reshape(s, {4});        // [1, 4, 2, 5]: needs a copy
  CHECK(r.impl().storage != x.impl().storage);
  CHECK(r.to_vector() == std::vector<double>{1, 4, 2, 5});
  Tensor y = sum(r * vec({1, 2, 3, 4}, {4}));
  CHECK(y.item() == 1 + 8 + 6 + 20);
  y.backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 1, 3, 0, 2, 4});
}

TEST_CASE("reshape of strided tensors copies only when the layout requires it") {
  struct Case {
    std::string name;
    Tensor t;
    Shape target;
    Strides expected;  // empty: a copy is needed
  };
  Tensor base = iota(24, {4, 6});
  const std::vector<Case> cases{
      {"contiguous [4, 6] -> [2, 12]", base, {2, 12}, {12, 1}},
      {"transposed [6, 4] -> [24]", transpose(base, 0, 1), {24}, {}},
      {"transposed [6, 4] -> [3, 2, 4]", transpose(base, 0, 1), {3, 2, 4}, {2, 1, 6}},
      {"transposed [6, 4] -> [6, 2, 2]", transpose(base, 0, 1), {6, 2, 2}, {1, 12, 6}},
      {"every other column [4, 3] -> [12] (rows abut: one stride)", slice(base, 1, 0, 6, 2), {12}, {2}},
      {"columns 0:4:2 [4, 2] -> [8]", slice(base, 1, 0, 4, 2), {8}, {}},
      {"columns 0:4:2 [4, 2] -> [2, 2, 2]", slice(base, 1, 0, 4, 2), {2, 2, 2}, {12, 6, 2}},
      {"every other column [4, 3] -> [2, 2, 3]", slice(base, 1, 0, 6, 2), {2, 2, 3}, {12, 6, 2}},
      {"every other row [2, 6] -> [12]", slice(base, 0, 0, 4, 2), {12}, {}},
      {"every other row [2, 6] -> [2, 3, 2]", slice(base, 0, 0, 4, 2), {2, 3, 2}, {12, 2, 1}},
      {"column block [4, 3] -> [4, 3, 1]", slice(base, 1, 3, 6), {4, 3, 1}, {6, 1, 1}},
      {"expanded [3, 4] -> [12]", expand(vec({1, 2, 3}, {3, 1}), {3, 4}), {12}, {}},
      {"expanded [3, 4] -> [3, 2, 2]", expand(vec({1, 2, 3}, {3, 1}), {3, 4}), {3, 2, 2}, {1, 0, 0}},
      {"unsqueezed transposed [6, 1, 4] -> [6, 4]", unsqueeze(transpose(base, 0, 1), 1), {6, 4}, {1, 6}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK(view_strides(c.t.shape(), c.t.strides(), c.target) == c.expected);
    Tensor r = reshape(c.t, c.target);
    CHECK(r.shape() == c.target);
    CHECK((r.impl().storage == c.t.impl().storage) == !c.expected.empty());
    // Row-major order is preserved whether or not a copy was made (naive walk of c.t).
    std::vector<double> walk;
    const Shape& sh = c.t.shape();
    std::vector<std::int64_t> i(sh.size(), 0);
    for (std::int64_t n = 0; n < c.t.numel(); ++n) {
      walk.push_back(c.t.value(std::span<const std::int64_t>(i)));
      for (auto d = static_cast<std::int64_t>(sh.size()) - 1; d >= 0; --d) {
        if (++i[static_cast<std::size_t>(d)] < sh[static_cast<std::size_t>(d)]) break;
        i[static_cast<std::size_t>(d)] = 0;
      }
    }
    CHECK(r.to_vector() == walk);
  }
}

TEST_CASE("shape ops satisfy the adjoint identity on their samples (first and second order)") {
  // Every shape op is linear (pad: affine) in its differentiable inputs, so J w = f(x + w) - f(x)
  // exactly. Checks <u, J w> = sum_i <dx_i, w_i> for the backward rule, and that the
  // gradient of sum_i <dx_i, w_i> with respect to u is J w (the backward of the backward).
  const std::vector<std::string> names{"reshape",        "expand",
                                       "permute",        "squeeze",
                                       "unsqueeze",      "slice",
                                       "slice_backward", "pad",
                                       "flip",           "cat",
                                       "index_select",   "index_select_backward",
                                       "gather",         "gather_backward",
                                       "contiguous"};
  Generator gen(7);
  for (const std::string& name : names) {
    const Op& op = registry().get(name);
    REQUIRE(op.samples);
    const auto samples = op.samples();
    CHECK(!samples.empty());
    for (const OpSample<std::any>& sample : samples) {
      CAPTURE(name);
      CAPTURE(sample.label);
      std::vector<Tensor> diff;
      std::vector<Tensor> ws;
      std::vector<Tensor> shifted;
      for (const Tensor& in : sample.inputs) {
        if (in.requires_grad()) {
          diff.push_back(in);
          ws.push_back(randn(in.shape(), gen, {.dtype = f64}));
          shifted.push_back(raw::add(in, ws.back()));
        } else {
          shifted.push_back(in);
        }
      }
      REQUIRE(!diff.empty());
      Tensor y = call(op, sample.inputs, sample.attrs);
      Tensor jw;
      {
        NoGradGuard no_grad;
        jw = raw::add(call(op, shifted, sample.attrs), y.detach() * -1.0);
      }
      Tensor u = randn(y.shape(), gen, {.dtype = f64, .requires_grad = true});
      auto dx = grad({y}, diff, {u}, {.create_graph = true, .allow_unused = true});
      Tensor lhs = sum(mul(u, jw));
      Tensor rhs = scalar_tensor(0.0, {.dtype = f64});
      for (std::size_t i = 0; i < diff.size(); ++i) {
        if (dx[i].defined()) rhs = rhs + sum(mul(dx[i], ws[i]));
      }
      CHECK(rhs.item() == doctest::Approx(lhs.item()).epsilon(1e-12));
      if (!op.twice_differentiable || !rhs.requires_grad()) continue;
      auto du = grad({rhs}, {u});
      const auto got = du[0].to_vector();
      const auto want = jw.to_vector();
      REQUIRE(got.size() == want.size());
      for (std::size_t k = 0; k < got.size(); ++k) CHECK(got[k] == doctest::Approx(want[k]).epsilon(1e-12));
    }
  }
}
