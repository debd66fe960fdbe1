#include "ops/compose.hpp"

#include <algorithm>

#include "ops/elementwise.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/factories.hpp"

namespace tg::compose {

Tensor dilate(const Tensor& x, std::int64_t dim, std::int64_t step) {
  if (step == 1) return x;
  const std::int64_t d = wrap_dim(dim, x.dim(), "dilate");
  // Each element followed by step - 1 zeros along a new dim, merged into dim; then the
  // trailing zeros after the last element are cut.
  const Tensor spread = pad_dim(unsqueeze(x, d + 1), d + 1, 0, step - 1);
  Shape merged = x.shape();
  const std::int64_t n = merged[static_cast<std::size_t>(d)];
  merged[static_cast<std::size_t>(d)] = n * step;
  return slice(reshape(spread, merged), d, 0, n == 0 ? 0 : (n - 1) * step + 1);
}

Tensor pad_dim(const Tensor& x, std::int64_t dim, std::int64_t before, std::int64_t after, double value) {
  const std::int64_t d = wrap_dim(dim, x.dim(), "pad_dim");
  // pad's list starts at the last dim: {left, right} of dim is at 2 * (rank - 1 - dim).
  std::vector<std::int64_t> pads(static_cast<std::size_t>(2 * (x.dim() - d)), 0);
  pads[pads.size() - 2] = before;
  pads[pads.size() - 1] = after;
  return pad(x, pads, value);
}

Tensor one_hot(const Tensor& index, std::int64_t num_classes, DType dtype) {
  const Tensor classes = arange(static_cast<double>(num_classes), {.dtype = DType::Int64});
  return cast(eq(unsqueeze(index, -1), classes), dtype);
}

Windows windows(Pair2 input_size, Pair2 kernel, Pair2 stride, Pair2 padding, Pair2 dilation, Pair2 out) {
  // Past the padding, the rows the last window still reaches (only ceil_mode has any).
  const auto beyond = [](std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t d,
                         std::int64_t o) {
    return std::max<std::int64_t>(0, (o - 1) * s + d * (k - 1) + 1 - (in + 2 * p));
  };
  const Pair2 extra{beyond(input_size.h, kernel.h, stride.h, padding.h, dilation.h, out.h),
                    beyond(input_size.w, kernel.w, stride.w, padding.w, dilation.w, out.w)};
  return {kernel, stride, dilation, out, padding, {padding.h + extra.h, padding.w + extra.w}};
}

Windows pool_windows(Pair2 input_size, const Pool2dOptions& o, Pair2 out) {
  const Pair2 stride{o.stride.h == 0 ? o.kernel_size.h : o.stride.h, o.stride.w == 0 ? o.kernel_size.w : o.stride.w};
  return windows(input_size, o.kernel_size, stride, o.padding, o.dilation, out);
}

Tensor pad_for(const Tensor& x, const Windows& w, double value) {
  return pad(x, {w.pad_begin.w, w.pad_end.w, w.pad_begin.h, w.pad_end.h}, value);
}

Tensor crop_for(const Tensor& padded, const Windows& w) {
  return pad(padded, {-w.pad_begin.w, -w.pad_end.w, -w.pad_begin.h, -w.pad_end.h});
}

std::vector<Tensor> taps(const Tensor& padded, const Windows& w) {
  std::vector<Tensor> out;
  for (std::int64_t u = 0; u < w.kernel.h; ++u) {
    for (std::int64_t v = 0; v < w.kernel.w; ++v) {
      const std::int64_t r0 = u * w.dilation.h;
      const std::int64_t q0 = v * w.dilation.w;
      const Tensor rows = slice(padded, 2, r0, r0 + (w.out.h - 1) * w.stride.h + 1, w.stride.h);
      out.push_back(slice(rows, 3, q0, q0 + (w.out.w - 1) * w.stride.w + 1, w.stride.w));
    }
  }
  return out;
}

Tensor taps_adjoint(const Tensor& g, const Windows& w, Pair2 padded_size) {
  const Tensor spread = dilate(dilate(g, 2, w.stride.h), 3, w.stride.w);
  Tensor sum;
  for (std::int64_t u = 0; u < w.kernel.h; ++u) {
    for (std::int64_t v = 0; v < w.kernel.w; ++v) {
      const std::int64_t r0 = u * w.dilation.h;
      const std::int64_t q0 = v * w.dilation.w;
      const Tensor placed =
          pad(spread, {q0, padded_size.w - q0 - spread.size(3), r0, padded_size.h - r0 - spread.size(2)});
      sum = sum.defined() ? sum + placed : placed;
    }
  }
  return sum;
}

Tensor window_counts(Pair2 input_size, const Windows& w, bool count_padding, DType dtype) {
  // Ones over what counts, zeros over the rest of the padded input; each window sums them.
  const Pair2 begin = count_padding ? Pair2{0, 0} : w.pad_begin;
  const Pair2 ones_size =
      count_padding ? Pair2{input_size.h + 2 * w.pad_begin.h, input_size.w + 2 * w.pad_begin.w} : input_size;
  const Pair2 end{w.pad_begin.h + w.pad_end.h + input_size.h - begin.h - ones_size.h,
                  w.pad_begin.w + w.pad_end.w + input_size.w - begin.w - ones_size.w};
  const Tensor mask = pad(ones({1, 1, ones_size.h, ones_size.w}, {.dtype = dtype}), {begin.w, end.w, begin.h, end.h});
  Tensor count;
  for (const Tensor& tap : taps(mask, w)) count = count.defined() ? count + tap : tap;
  return reshape(count, {w.out.h, w.out.w});
}

Tensor adaptive_average_matrix(std::int64_t in, std::int64_t out, DType dtype) {
  std::vector<double> m(static_cast<std::size_t>(out * in), 0.0);
  for (std::int64_t i = 0; i < out; ++i) {
    const std::int64_t start = i * in / out;
    const std::int64_t stop = ((i + 1) * in + out - 1) / out;
    for (std::int64_t r = start; r < stop; ++r)
      m[static_cast<std::size_t>(i * in + r)] = 1.0 / static_cast<double>(stop - start);
  }
  return from_vector(m, {out, in}, {.dtype = dtype});
}

Tensor rot180_input_grad(const Tensor& dy, const Tensor& weight, Pair2 input_size, const Conv2dOptions& o) {
  const Pair2 kernel{weight.size(2), weight.size(3)};
  const Tensor spread = dilate(dilate(dy, 2, o.stride.h), 3, o.stride.w);
  // Before: d(k-1) - p, so the first output row sees the kernel's last tap on dy's first
  // row; after: whatever brings the full correlation to the input's size.
  const Pair2 before{o.dilation.h * (kernel.h - 1) - o.padding.h, o.dilation.w * (kernel.w - 1) - o.padding.w};
  const Pair2 after{input_size.h - spread.size(2) + o.padding.h, input_size.w - spread.size(3) + o.padding.w};
  const Tensor padded = pad(spread, {before.w, after.w, before.h, after.h});
  const Tensor rotated = flip(weight, {2, 3});
  const std::int64_t cout_g = weight.size(0) / o.groups;
  std::vector<Tensor> swapped;  // per group [C_in/groups, C_out/groups, kH, kW]
  for (std::int64_t grp = 0; grp < o.groups; ++grp) {
    swapped.push_back(permute(slice(rotated, 0, grp * cout_g, (grp + 1) * cout_g), {1, 0, 2, 3}));
  }
  return conv2d(padded, cat(swapped, 0), Tensor(), {.dilation = o.dilation, .groups = o.groups});
}

}  // namespace tg::compose
