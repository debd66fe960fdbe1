// The im2col-GEMM path of convolution (see conv_dispatch.hpp for when it runs): per group,
//   forward        y = W . X_col, a packed GEMM whose B panels are filled with im2col
//                  patches on the fly (im2col.hpp) and whose A panels are the weights
//                  (conv_weights.hpp, read rotated in place for the ROT180 rule);
//   weight grad    dW = dY . X_col^T, with X_col^T packed panel by panel; the batch is
//                  reduced over a fixed partition in a fixed order;
//   input grad     dx = col2im(W^T . dY), the strided ROT180 rule without its zeros
//                  (docs/convolution.md, section 3): per image or chunk of small images,
//                  one GEMM whose A is the kernel read transposed in place, then a scatter.
#include "ops/kernels/conv/conv_im2col_gemm.hpp"

#include <algorithm>

#include "ops/kernels/conv/conv_direct.hpp"
#include "ops/kernels/conv/im2col.hpp"
#include "ops/kernels/gemm/gemm.hpp"
#include "ops/kernels/int_math.hpp"
#include "ops/kernels/scratch.hpp"
#include "tensor/parallel.hpp"

namespace tg::kernels {

namespace {

constexpr std::int64_t kMaxColumns = 2048;          // output pixels per GEMM (gemm's block size)
constexpr std::int64_t kMaxPartialElems = 1 << 22;  // memory bound on weight-gradient partial sums
constexpr std::int64_t kMaxPartials = 8;

// The batch cut into equal chunks of whole images, each chunk one GEMM of at most
// kMaxColumns columns and max_images images. An image of a quarter of that or more is a
// GEMM of its own: wide enough to keep the micro-kernel busy, and its GEMM reads and writes
// the NCHW planes in place where several images side by side need a copy. Depends only on
// the shape, never on the thread count.
struct BatchChunks {
  std::int64_t images_per_chunk, count;
  BatchChunks(std::int64_t batch, std::int64_t plane, std::int64_t max_images = kMaxColumns) {
    const std::int64_t most = plane >= kMaxColumns / 4 ? 1 : std::clamp<std::int64_t>(kMaxColumns / plane, 1, batch);
    count = ceil_div(batch, std::min(most, max_images));
    images_per_chunk = ceil_div(batch, count);
  }
  std::int64_t first(std::int64_t chunk) const { return chunk * images_per_chunk; }
  std::int64_t size(std::int64_t chunk, std::int64_t batch) const {
    return std::min(images_per_chunk, batch - first(chunk));
  }
};

// Runs task(t, allow_parallel) for t < tasks: across threads when there are enough tasks
// to keep every thread busy, otherwise one after another with each GEMM, and the loops that
// move its product into place, parallel inside. Either way each task computes the same bits.
template <class F>
void run_tasks(std::int64_t tasks, F&& task) {
  if (tasks >= 2 * get_num_threads() && get_num_threads() > 1) {
    parallel_for(tasks, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t t = begin; t < end; ++t) task(t, false);
    });
  } else {
    for (std::int64_t t = 0; t < tasks; ++t) task(t, true);
  }
}

// Planes per parallel chunk of a loop that moves `work` elements per plane: chunks of about
// 16K elements, where a small plane (7 x 7) each would cost more to hand out than to move.
std::int64_t planes_per_task(std::int64_t work) {
  constexpr std::int64_t kChunkElements = 1 << 14;
  return std::max<std::int64_t>(1, kChunkElements / std::max<std::int64_t>(work, 1));
}

// dst[n, c, i, j] = x[n, c, i * stride_h, j * stride_w] for the out_h x out_w output
// positions of g (zero where that lies past the input).
template <class T>
void subsample_planes(const T* x, const ConvLoopGeometry& g, T* dst) {
  const std::int64_t rows = g.batch * g.in_channels * g.out_h;
  parallel_for(rows, std::max<std::int64_t>(1, 8192 / g.out_w), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      const std::int64_t plane = row / g.out_h, r = row % g.out_h * g.stride_h;
      T* out = dst + row * g.out_w;
      const T* src = x + (plane * g.in_h + r) * g.in_w;
      for (std::int64_t j = 0; j < g.out_w; ++j) {
        out[j] = r < g.in_h && j * g.stride_w < g.in_w ? src[j * g.stride_w] : T(0);
      }
    }
  });
}

// A strided 1x1 kernel without padding reads every s-th pixel. Gathered once, in order, they
// are the input of a stride-1 pointwise convolution whose im2col panels are plain copies;
// gathered panel by panel, each panel row would start a cold stream in another channel
// plane. Runs run(x_sub, pointwise geometry) and returns true for such a g.
template <class T, class Run>
bool as_pointwise(const T* x, const ConvLoopGeometry& g, Run&& run) {
  if (g.kernel_h != 1 || g.kernel_w != 1 || (g.stride_h == 1 && g.stride_w == 1) || g.pad_top != 0 || g.pad_left != 0) {
    return false;
  }
  ScratchLease lease;
  T* const x_sub = lease.array<T>(g.batch * g.in_channels * g.out_h * g.out_w);
  ConvLoopGeometry pointwise = g;
  pointwise.in_h = g.out_h;
  pointwise.in_w = g.out_w;
  pointwise.stride_h = pointwise.stride_w = 1;
  subsample_planes(x, g, x_sub);
  run(static_cast<const T*>(x_sub), pointwise);
  return true;
}

// The im2col matrix of group grp's images from n0 on, as the GEMM's B panels (zero past
// the matrix's last column).
template <class T>
PackBPanel<T> im2col_panels(const T* x, const ConvLoopGeometry& g, std::int64_t grp, std::int64_t n0) {
  return [x, g, grp, n0](T* dst, std::int64_t nr, std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t w) {
    im2col_pack_panels(x, g, grp, n0, k0, kc, j0, w, dst, nr);
  };
}

}  // namespace

template <class T>
void conv2d_im2col_gemm(const T* x, ConvWeights<T> weights, const T* b, T* y, const ConvLoopGeometry& g) {
  if (as_pointwise(x, g, [&](const T* x_sub, const ConvLoopGeometry& pointwise) {
        conv2d_im2col_gemm(x_sub, weights, b, y, pointwise);
      })) {
    return;
  }
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const std::int64_t plane = g.out_h * g.out_w;
  const BatchChunks chunks(g.batch, plane);
  run_tasks(g.groups * chunks.count, [&](std::int64_t task, bool allow_parallel) {
    const std::int64_t grp = task / chunks.count;
    const std::int64_t chunk = task % chunks.count;
    const std::int64_t n0 = chunks.first(chunk);
    const std::int64_t images = chunks.size(chunk, g.batch);
    const std::int64_t cols = images * plane;
    const PackAPanel<T> pack_a = weight_panels(weights, g, grp);
    // C = W . X_col into c (leading dimension ldc) with beta.
    const auto product = [&](T* c, std::int64_t ldc, T beta) {
      if (images == 1 && pointwise(g)) {
        // X_col is the image's own [C_in/groups, plane] matrix: read in place.
        gemm_row_major_b<T>(cout_g, cols, kdim, T(1), pack_a, x + (n0 * g.in_channels + grp * g.cin_g()) * plane, plane,
                            beta, c, ldc, allow_parallel);
      } else {
        gemm_panels<T>(cout_g, cols, kdim, T(1), pack_a, im2col_panels(x, g, grp, n0), beta, c, ldc, allow_parallel);
      }
    };
    const T* b_g = b != nullptr ? b + grp * cout_g : nullptr;
    if (images == 1 && dense_output(g)) {
      // One image: its output channels are the rows of C. The bias seeds C (beta = 1).
      T* y_g = y + (n0 * g.out_channels + grp * cout_g) * plane;
      if (b_g != nullptr) {
        for (std::int64_t k = 0; k < cout_g; ++k) std::fill(y_g + k * plane, y_g + (k + 1) * plane, b_g[k]);
      }
      product(y_g, plane, b_g != nullptr ? T(1) : T(0));
      return;
    }
    // Several small images side by side in one wider GEMM (or a strided output layout),
    // then moved to their planes with the bias, plane by plane.
    ScratchLease lease;
    T* const c = lease.array<T>(cout_g * cols);
    product(c, cols, T(0));
    parallel_for_if(allow_parallel, images * cout_g, planes_per_task(plane), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t t = begin; t < end; ++t) {
        const std::int64_t i = t / cout_g, k = t % cout_g;
        store_plane(c + k * cols + i * plane, b_g != nullptr ? b_g[k] : T(0),
                    y + ((n0 + i) * g.out_channels + grp * cout_g + k) * y_plane_stride(g), g);
      }
    });
  });
}

template <class T>
void conv2d_im2col_gemm(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g) {
  if (conv2d_forward_trivial(b, y, g)) return;
  conv2d_im2col_gemm(x, ConvWeights<T>{w, false}, b, y, g);
}

template <class T>
void conv2d_weight_grad_gemm(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g) {
  if (conv2d_weight_grad_trivial(dw, g)) return;
  if (as_pointwise(x, g, [&](const T* x_sub, const ConvLoopGeometry& pointwise) {
        conv2d_weight_grad_gemm(x_sub, dy, dw, pointwise);
      })) {
    return;
  }
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const std::int64_t plane = g.out_h * g.out_w;
  const std::int64_t dw_g_size = cout_g * kdim;
  const BatchChunks chunks(g.batch, plane);
  // Chunks are split into `partials` fixed slices whose sums are added in slice order.
  const std::int64_t partials =
      std::clamp<std::int64_t>(std::min(kMaxPartialElems / dw_g_size, kMaxPartials), 1, chunks.count);
  ScratchLease lease;
  T* const partial_sums = lease.array<T>((partials - 1) * dw_g_size);

  for (std::int64_t grp = 0; grp < g.groups; ++grp) {
    T* const dw_g = dw + grp * dw_g_size;
    run_tasks(partials, [&](std::int64_t slice, bool allow_parallel) {
      T* const out = slice == 0 ? dw_g : partial_sums + (slice - 1) * dw_g_size;
      const std::int64_t chunk_begin = slice * chunks.count / partials;
      const std::int64_t chunk_end = (slice + 1) * chunks.count / partials;
      ScratchLease slice_lease;
      for (std::int64_t chunk = chunk_begin; chunk < chunk_end; ++chunk) {
        const std::int64_t n0 = chunks.first(chunk);
        const std::int64_t images = chunks.size(chunk, g.batch);
        const std::int64_t cols = images * plane;
        // A = dY of the chunk, [cout_g, cols]: a view for one image, else gathered.
        const T* a = dy + (n0 * g.out_channels + grp * cout_g) * plane;
        std::int64_t a_row = plane;
        if (images > 1) {
          T* const tile = slice_lease.array<T>(cout_g * cols);
          for (std::int64_t k = 0; k < cout_g; ++k) {
            for (std::int64_t i = 0; i < images; ++i) {
              const T* src = dy + ((n0 + i) * g.out_channels + grp * cout_g + k) * plane;
              std::copy(src, src + plane, tile + k * cols + i * plane);
            }
          }
          a = tile;
          a_row = cols;
        }
        // B = X_col^T, [cols, kdim]: each panel is an im2col block, transposed.
        const PackBPanel<T> pack_b = [&](T* dst, std::int64_t nr, std::int64_t k0, std::int64_t kc, std::int64_t j0,
                                         std::int64_t w) {
          ScratchLease block_lease;
          T* const block = block_lease.array<T>(std::min(nr, w) * kc);
          for (std::int64_t j = 0; j < w; j += nr) {  // a panel at a time, its block in L1
            const std::int64_t width = std::min(nr, w - j);
            im2col_block(x, g, grp, n0, j0 + j, width, k0, kc, block, kc);
            // Element (p, q) of the panel is block[q * kc + p].
            strided_b_panels(block, std::int64_t{1}, kc)(dst + j * kc, nr, 0, kc, 0, width);
          }
        };
        gemm_panels<T>(cout_g, kdim, cols, T(1), strided_panels(a, a_row, 1), pack_b,
                       chunk == chunk_begin ? T(0) : T(1), out, kdim, allow_parallel);
      }
    });
    conv_detail::add_partial_sums(dw_g, partial_sums, partials - 1, dw_g_size);
  }
}

bool conv2d_input_grad_col2im_suits(const ConvLoopGeometry& g) {
  return (g.stride_h > 1 || g.stride_w > 1) && g.cout_g() >= 64;
}

template <class T>
void conv2d_input_grad_col2im(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g, std::int64_t max_product) {
  if (conv2d_input_grad_trivial(dx, g)) return;
  const std::int64_t cin_g = g.cin_g(), cout_g = g.cout_g(), kdim = g.kdim();
  const std::int64_t plane = g.out_h * g.out_w, in_plane = g.in_h * g.in_w;
  // dY read as the input of a pointwise convolution: im2col's rows are its channels, its
  // columns the pixels of several images side by side, as the forward packs them.
  ConvLoopGeometry dy_pointwise = g;
  dy_pointwise.in_channels = dy_pointwise.out_channels = g.out_channels;
  dy_pointwise.in_h = g.out_h;
  dy_pointwise.in_w = g.out_w;
  dy_pointwise.kernel_h = dy_pointwise.kernel_w = 1;
  dy_pointwise.stride_h = dy_pointwise.stride_w = dy_pointwise.dilation_h = dy_pointwise.dilation_w = 1;
  dy_pointwise.pad_top = dy_pointwise.pad_left = 0;
  // Images per product as the forward groups them, fewer where Z = W^T . dY would pass
  // max_product elements; one image's output rows are cut likewise.
  const BatchChunks chunks(g.batch, plane, std::max<std::int64_t>(1, max_product / (kdim * plane)));
  run_tasks(g.groups * chunks.count, [&](std::int64_t task, bool allow_parallel) {
    const std::int64_t grp = task / chunks.count, chunk = task % chunks.count;
    const std::int64_t n0 = chunks.first(chunk), images = chunks.size(chunk, g.batch);
    const auto dx_of = [&](std::int64_t n) { return dx + (n * g.in_channels + grp * cin_g) * in_plane; };
    parallel_for_if(allow_parallel, images * cin_g, planes_per_task(in_plane),
                    [&](std::int64_t begin, std::int64_t end) {
                      for (std::int64_t t = begin; t < end; ++t) {
                        T* const plane_start = dx_of(n0 + t / cin_g) + t % cin_g * in_plane;
                        std::fill(plane_start, plane_start + in_plane, T(0));
                      }
                    });
    // A = W_g^T: element (q, k) = w[(grp * cout_g + k) * kdim + q].
    const PackAPanel<T> pack_a = strided_panels(w + grp * cout_g * kdim, std::int64_t{1}, kdim);
    const std::int64_t rows_per_product =
        images > 1 ? g.out_h : std::clamp<std::int64_t>(max_product / (kdim * g.out_w), 1, g.out_h);
    ScratchLease lease;
    T* const z = lease.array<T>(kdim * images * rows_per_product * g.out_w);
    for (std::int64_t i0 = 0; i0 < g.out_h; i0 += rows_per_product) {
      const std::int64_t rows = std::min(rows_per_product, g.out_h - i0);
      const std::int64_t cols = images * rows * g.out_w;
      if (images == 1) {  // the image's rows of dY are a row-major matrix: read in place
        const T* dy_rows = dy + (n0 * g.out_channels + grp * cout_g) * plane + i0 * g.out_w;
        gemm_row_major_b<T>(kdim, cols, cout_g, T(1), pack_a, dy_rows, plane, T(0), z, cols, allow_parallel);
      } else {
        gemm_panels<T>(kdim, cols, cout_g, T(1), pack_a, im2col_panels(dy, dy_pointwise, grp, n0), T(0), z, cols,
                       allow_parallel);
      }
      // Input channel by input channel: each dx plane takes only its own channel's taps.
      parallel_for_if(allow_parallel, images * cin_g, planes_per_task(g.kernel_h * g.kernel_w * rows * g.out_w),
                      [&](std::int64_t begin, std::int64_t end) {
                        for (std::int64_t t = begin; t < end; ++t) {
                          const std::int64_t i = t / cin_g, c = t % cin_g;
                          col2im_add(z + i * plane, cols, g, i0, rows, c, c + 1, dx_of(n0 + i));
                        }
                      });
    }
  });
}

template void conv2d_im2col_gemm<float>(const float*, const float*, const float*, float*, const ConvLoopGeometry&);
template void conv2d_im2col_gemm<double>(const double*, const double*, const double*, double*, const ConvLoopGeometry&);
template void conv2d_im2col_gemm<float>(const float*, ConvWeights<float>, const float*, float*,
                                        const ConvLoopGeometry&);
template void conv2d_im2col_gemm<double>(const double*, ConvWeights<double>, const double*, double*,
                                         const ConvLoopGeometry&);
template void conv2d_input_grad_col2im<float>(const float*, const float*, float*, const ConvLoopGeometry&,
                                              std::int64_t);
template void conv2d_input_grad_col2im<double>(const double*, const double*, double*, const ConvLoopGeometry&,
                                               std::int64_t);
template void conv2d_weight_grad_gemm<float>(const float*, const float*, float*, const ConvLoopGeometry&);
template void conv2d_weight_grad_gemm<double>(const double*, const double*, double*, const ConvLoopGeometry&);

}  // namespace tg::kernels
