// Backpropagation through a convolution, in numbers: a 3x3 input, a 2x2 kernel, one channel.
// Prints x, w, the output z, the deltas dL/dz, and the input gradient dL/dx computed three
// ways: the ROT180 rule by hand, autograd through conv2d built from elementary ops, and
// finite differences. docs/convolution.md walks through the same example.
#include <fmt/format.h>

#include <vector>

#include "tapegrad.hpp"

namespace {

using tg::Tensor;

void print_matrix(const char* title, const std::vector<double>& v, std::int64_t rows, std::int64_t cols) {
  fmt::print("{}\n", title);
  for (std::int64_t r = 0; r < rows; ++r) {
    fmt::print("   ");
    for (std::int64_t c = 0; c < cols; ++c) fmt::print(" {:8.4f}", v[static_cast<std::size_t>(r * cols + c)]);
    fmt::print("\n");
  }
}

Tensor image(const std::vector<double>& v, std::int64_t h, std::int64_t w, bool requires_grad = false) {
  return tg::from_vector(v, {1, 1, h, w}, {.dtype = tg::f64, .requires_grad = requires_grad});
}

}  // namespace

int main() {
  const std::vector<double> xv{1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<double> wv{1, -1, 2, 0.5};
  const std::vector<double> delta{0.5, -1, 2, 3};
  const Tensor x = image(xv, 3, 3, true);
  const Tensor w = image(wv, 2, 2, true);
  const Tensor b = tg::from_vector(std::vector<double>{0.25}, {1}, {.dtype = tg::f64, .requires_grad = true});

  fmt::print("Forward: z = x (*) w + b  (cross-correlation, valid: 3 - 2 + 1 = 2)\n\n");
  print_matrix("x (3x3):", xv, 3, 3);
  print_matrix("w (2x2):", wv, 2, 2);
  fmt::print("b = 0.25\n");
  const Tensor z = tg::conv2d(x, w, b);
  print_matrix("z (2x2):  z_ij = sum_uv w_uv x_(i+u)(j+v) + b", z.to_vector(), 2, 2);
  print_matrix("delta = dL/dz (given by the layers above):", delta, 2, 2);

  // 1. The ROT180 rule by hand: pad delta with k-1 = 1 zero on every side and slide the kernel
  //    rotated by 180 degrees over it: a full convolution, 2 + 2 - 1 = 3 outputs per side.
  const std::vector<double> w_rot{wv[3], wv[2], wv[1], wv[0]};
  std::vector<double> padded(16, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      padded[static_cast<std::size_t>((i + 1) * 4 + j + 1)] = delta[static_cast<std::size_t>(i * 2 + j)];
  std::vector<double> by_hand(9, 0.0);
  for (int r = 0; r < 3; ++r)
    for (int q = 0; q < 3; ++q)
      for (int u = 0; u < 2; ++u)
        for (int v = 0; v < 2; ++v)
          by_hand[static_cast<std::size_t>(r * 3 + q)] +=
              padded[static_cast<std::size_t>((r + u) * 4 + q + v)] * w_rot[static_cast<std::size_t>(u * 2 + v)];
  fmt::print("\nInput gradient dL/dx (3x3), three ways\n\n");
  print_matrix("delta padded by k-1 = 1 (4x4):", padded, 4, 4);
  print_matrix("rot180(w):", w_rot, 2, 2);
  print_matrix("1. by hand, full_conv(delta, rot180(w)):", by_hand, 3, 3);
  fmt::print("    e.g. dL/dx_11 = delta_11 w_11 = {}, dL/dx_22 = d11 w22 + d12 w21 + d21 w12 + d22 w11 = {}\n",
             delta[0] * wv[0], delta[0] * wv[3] + delta[1] * wv[2] + delta[2] * wv[1] + delta[3] * wv[0]);

  // 2. Autograd through conv2d composed of elementary ops (pad, strided slices, stack, matmul).
  const tg::Op& conv = tg::registry().get("conv2d");
  const Tensor z_ref = conv.reference(std::vector<Tensor>{x, w, b}, std::any(tg::Conv2dOptions{}));
  const Tensor delta_t = image(delta, 2, 2);
  const auto composed = tg::grad({z_ref}, {x}, {delta_t});
  print_matrix("2. autograd through the elementary-op composition:", composed[0].to_vector(), 3, 3);

  // 3. Finite differences of L(x) = sum(delta * z(x)).
  std::vector<double> numeric(9);
  const double eps = 1e-6;
  for (std::size_t e = 0; e < 9; ++e) {
    auto loss = [&](double shift) {
      std::vector<double> xs = xv;
      xs[e] += shift;
      const std::vector<double> zs = tg::conv2d(image(xs, 3, 3), w.detach(), b.detach()).to_vector();
      double l = 0.0;
      for (std::size_t i = 0; i < 4; ++i) l += delta[i] * zs[i];
      return l;
    };
    numeric[e] = (loss(eps) - loss(-eps)) / (2 * eps);
  }
  print_matrix("3. finite differences:", numeric, 3, 3);

  // And what conv2d's own backward (the same rule, as an op) gives, with w and b.
  z.backward(delta_t);
  print_matrix("conv2d backward, dL/dx:", x.grad().to_vector(), 3, 3);
  print_matrix("conv2d backward, dL/dw = valid correlation of x with delta:", w.grad().to_vector(), 2, 2);
  fmt::print("conv2d backward, dL/db = sum of delta = {}\n", b.grad().item());
  return 0;
}
