// Printing: the expected strings are what NumPy's repr prints for the same arrays (with
// "array(" replaced by "tensor(" and the indentation widened by one column to match).
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "tapegrad.hpp"

using namespace tg;

namespace {
// 0, 1, ..., n-1 in the given shape and dtype, filled by hand (independent of arange/reshape).
Tensor counting(const Shape& shape, DType dtype) {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  std::vector<double> values(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
  return from_vector(values, shape, {.dtype = dtype});
}
}  // namespace

TEST_CASE("small tensors print like NumPy arrays") {
  CHECK(to_string(tensor({{1, 2}, {3, 4}})) == "tensor([[1., 2.],\n        [3., 4.]], shape=[2, 2], dtype=float32)");
  CHECK(to_string(tensor({1.5, 2.0})) == "tensor([1.5, 2. ], shape=[2], dtype=float32)");
  CHECK(to_string(tensor({-1, 2}, {.dtype = f64})) == "tensor([-1.,  2.], shape=[2], dtype=float64)");
  // float32 values print their own shortest digits, not those of the widened double.
  CHECK(to_string(tensor({0.1, 0.2})) == "tensor([0.1, 0.2], shape=[2], dtype=float32)");
  CHECK(to_string(tensor({0.123456789, 1}, {.dtype = f64})) ==
        "tensor([0.12345679, 1.        ], shape=[2], dtype=float64)");
  CHECK(to_string(tensor({0, 0.25, 0.5}, {.dtype = f64})) == "tensor([0.  , 0.25, 0.5 ], shape=[3], dtype=float64)");
  CHECK(to_string(zeros({2})) == "tensor([0., 0.], shape=[2], dtype=float32)");
}

TEST_CASE("scientific notation when magnitudes are extreme or far apart") {
  CHECK(to_string(tensor({1e-5, 1.0})) == "tensor([1.e-05, 1.e+00], shape=[2], dtype=float32)");
  CHECK(to_string(tensor({1.5e-5, 1.0}, {.dtype = f64})) == "tensor([1.5e-05, 1.0e+00], shape=[2], dtype=float64)");
  CHECK(to_string(tensor({0.001, 2.0}, {.dtype = f64})) == "tensor([1.e-03, 2.e+00], shape=[2], dtype=float64)");
  CHECK(to_string(tensor({1e10, 1}, {.dtype = f64})) == "tensor([1.e+10, 1.e+00], shape=[2], dtype=float64)");
  CHECK(to_string(tensor({1e100, -1}, {.dtype = f64})) == "tensor([ 1.e+100, -1.e+000], shape=[2], dtype=float64)");
  CHECK(to_string(tensor({0.01, 2.0}, {.dtype = f64})) ==
        "tensor([0.01, 2.  ], shape=[2], dtype=float64)");  // ratio 200
}

TEST_CASE("non-finite values, ints, bools, 0-d and empty tensors") {
  CHECK(to_string(tensor({NAN, 1.5, -INFINITY}, {.dtype = f64})) ==
        "tensor([ nan,  1.5, -inf], shape=[3], dtype=float64)");
  CHECK(to_string(tensor({NAN, INFINITY})) == "tensor([nan, inf], shape=[2], dtype=float32)");
  CHECK(to_string(tensor({-5, 100, 7}, {.dtype = i64})) == "tensor([ -5, 100,   7], shape=[3], dtype=int64)");
  CHECK(to_string(eye(2, {.dtype = boolean})) ==
        "tensor([[ True, False],\n        [False,  True]], shape=[2, 2], dtype=bool)");
  CHECK(to_string(scalar_tensor(1.5)) == "tensor(1.5, shape=[], dtype=float32)");
  CHECK(to_string(scalar_tensor(1, {.dtype = boolean})) == "tensor(True, shape=[], dtype=bool)");
  CHECK(to_string(scalar_tensor(-3, {.dtype = i64})) == "tensor(-3, shape=[], dtype=int64)");
  CHECK(to_string(zeros({2, 0})) == "tensor([], shape=[2, 0], dtype=float32)");
  CHECK(to_string(Tensor()) == "tensor(undefined)");
}

TEST_CASE("3-d tensors separate blocks with a blank line, views print in logical order") {
  CHECK(to_string(counting({2, 2, 3}, i64)) ==
        "tensor([[[ 0,  1,  2],\n"
        "         [ 3,  4,  5]],\n"
        "\n"
        "        [[ 6,  7,  8],\n"
        "         [ 9, 10, 11]]], shape=[2, 2, 3], dtype=int64)");
  const Tensor transposed = raw::as_strided(counting({2, 3}, i64), {3, 2}, {1, 3}, 0);
  CHECK(to_string(transposed) == "tensor([[0, 3],\n        [1, 4],\n        [2, 5]], shape=[3, 2], dtype=int64)");
}

TEST_CASE("long rows wrap at 75 columns and large tensors are elided") {
  CHECK(to_string(counting({30}, f32)) ==
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12.,\n"
        "        13., 14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25.,\n"
        "        26., 27., 28., 29.], shape=[30], dtype=float32)");
  // 1000 elements is still printed in full; 1001 is summarised.
  CHECK(to_string(counting({1000}, i64)).find("...") == std::string::npos);
  CHECK(to_string(counting({1001}, i64)) ==
        "tensor([   0,    1,    2, ...,  998,  999, 1000], shape=[1001], dtype=int64)");
  CHECK(to_string(counting({20, 100}, i64)) ==
        "tensor([[   0,    1,    2, ...,   97,   98,   99],\n"
        "        [ 100,  101,  102, ...,  197,  198,  199],\n"
        "        [ 200,  201,  202, ...,  297,  298,  299],\n"
        "        ...,\n"
        "        [1700, 1701, 1702, ..., 1797, 1798, 1799],\n"
        "        [1800, 1801, 1802, ..., 1897, 1898, 1899],\n"
        "        [1900, 1901, 1902, ..., 1997, 1998, 1999]], shape=[20, 100], dtype=int64)");
  // Only the displayed values decide the layout (here: all from 0 to 1999 -> scientific).
  CHECK(to_string(counting({2000}, f32)) ==
        "tensor([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,\n"
        "        1.999e+03], shape=[2000], dtype=float32)");
  CHECK(to_string(counting({4, 4}, i64), {.threshold = 8, .edgeitems = 1}) ==
        "tensor([[ 0, ...,  3],\n        ...,\n        [12, ..., 15]], shape=[4, 4], dtype=int64)");
}

TEST_CASE("fmt, ostream, precision and requires_grad") {
  const Tensor t = tensor({3.14159265, 1.0});
  CHECK(fmt::format("{}", t) == to_string(t));
  CHECK(fmt::format("{:.3}", t) == "tensor([3.142, 1.   ], shape=[2], dtype=float32)");
  CHECK(to_string(t, {.precision = 0}) == "tensor([3., 1.], shape=[2], dtype=float32)");
  std::ostringstream os;
  os << tensor({1, 2}, {.dtype = i64});
  CHECK(os.str() == "tensor([1, 2], shape=[2], dtype=int64)");
  CHECK(to_string(ones({2}, {.requires_grad = true})) ==
        "tensor([1., 1.], shape=[2], dtype=float32, requires_grad=True)");
  CHECK(fmt::format("{}", Shape{2, 3}) == "[2, 3]");
  CHECK_THROWS_AS(to_string(t, {.precision = 41}), ValueError);
  CHECK_THROWS_AS(to_string(t, {.edgeitems = 0}), ValueError);
  CHECK_THROWS_AS((void)fmt::format(fmt::runtime("{:x}"), t), fmt::format_error);
}
