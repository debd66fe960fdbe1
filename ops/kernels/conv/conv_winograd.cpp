// F(2x2, 3x3) Winograd convolution (see conv_winograd.hpp). Per group and per chunk of
// images (or band of an image's block rows): every input plane's blocks are transformed into
// V (16 matrices of [C_in, blocks]), 16 GEMMs multiply them by the transformed kernels U, and
// the output transform turns each block's 16 sums back into its 2x2 outputs, plus the bias. The weight gradient
// transforms dy's blocks into Z instead, sums Z . V^T over the blocks and transforms the 16 sums back into 3x3 kernels.
// The transforms run on the current SIMD path (conv_winograd_tile.hpp); each writes its own planes, and the GEMMs' sums
// do not depend on the thread count, so neither does the result.
#include "ops/kernels/conv/conv_winograd.hpp"

#include <algorithm>

#include "ops/kernels/conv/conv_direct.hpp"
#include "ops/kernels/conv/conv_winograd_kernels.hpp"
#include "ops/kernels/gemm/gemm.hpp"
#include "ops/kernels/scratch.hpp"
#include "ops/kernels/simd/simd_path.hpp"
#include "tensor/parallel.hpp"

namespace tg::kernels {

namespace {

using winograd_detail::Blocks;
using winograd_detail::kPoints;

// conv2d_fast's choice, measured against the direct paths (1 thread) on AVX-512: ResNet's
// 64-, 128- and 256-channel layers at batch 8 gain 1.55x, 1.5x and 1.3x; 16 to 64 channels
// on 14 x 14 to 56 x 56 planes 1.05-1.5x. There it lost on 7 x 7 planes, whose 16 blocks
// compute 8 x 8 outputs and must repay the kernel transform (512 channels: 0.88x; 32 -> 64
// channels: 0.81x), and where the whole batch has too few blocks per channel (one 14 x 14
// image of 64 channels: 0.77x). The weight gradient keeps that rule on every path.
constexpr std::int64_t kMinChannels = 16;  // per group, on both sides
constexpr std::int64_t kMinPlaneSide = 12;

// On an Intel Xeon with two 512-bit FMA units (docs/performance.md, "AVX-512 and AVX2 on an
// Intel Xeon of family 6 model 167") the channel layout runs at twice a 256-bit unit's rate,
// and Winograd's transforms, memory-bound, gain little from the width: below 64 channels it
// lost there on every map (1 thread, Winograd's time over the channel layout's, forward /
// input gradient / weight gradient: 32 -> 64 at 14 x 14, batch 64 (MNIST's second layer)
// 1.08 / 1.34 / 1.34; 32 -> 32 at 14 x 14 1.25 / 1.31 / 1.53; 16 -> 32 at 28 x 28 1.42 / 1.38
// / 1.62; 32 -> 64 at 28 x 28 1.00 / 1.26 / 1.15), and from 64 it mostly wins (64 at 28 x 28:
// 0.91 / 0.90 / 0.93; 64 at 56 x 56: 0.71 / 0.73 / 0.85; 256 at 14 x 14: 0.80 / 0.76 / 0.64;
// 64 at 14 x 14 is level: 1.06 / 1.03 / 1.07). So the AVX-512 path takes it from 64 channels.
// The measurements above were made on 256-bit units (Zen 4), where Winograd gained from 16
// channels: such a host gives up that gain on 16 to 32 channels.
constexpr std::int64_t kWideMinChannels = 64;

std::int64_t min_channels() { return simd_path() == SimdPath::avx512 ? kWideMinChannels : kMinChannels; }

// On AVX2 and the portable path the GEMM has half or a quarter of AVX-512's width to repay
// and the kernel transform is cheap next to it, so the forward and the input gradient take
// Winograd from 7 x 7 planes and from a few blocks per channel (Zen 3, 1 thread, forward /
// input gradient against the GEMM path: 512 channels at 7 x 7, batch 2: 1.11x / 1.11x,
// batch 8: 1.31x / 1.27x; 256 channels at 14 x 14, one image: 1.70x / 1.62x; 32 -> 64 at
// 14 x 14, one image: 1.22x / 1.18x; portable: 1.1-2.3x). One image of 7 x 7 (16 blocks)
// stays on the GEMM: 0.92x / 0.83x at 512 channels, 0.95x / 0.90x at 64.
constexpr std::int64_t kNarrowMinPlaneSide = 7;
constexpr std::int64_t kNarrowMinBlocks = 32;
constexpr std::int64_t kNarrowChannelsPerBlock = 16;

// The shapes both rules below start from.
bool winograd_applies_with_channels(const ConvLoopGeometry& g) {
  return conv2d_winograd_applies(g) && std::min(g.cin_g(), g.cout_g()) >= min_channels();
}

// The rule measured on AVX-512, which every path keeps (see above).
bool winograd_repays_everywhere(const ConvLoopGeometry& g) {
  const std::int64_t blocks = g.batch * Blocks(g).per_image;
  return winograd_applies_with_channels(g) && std::min(g.out_h, g.out_w) >= kMinPlaneSide &&
         2 * blocks >= 3 * std::max(g.cin_g(), g.cout_g());
}

// Blocks per chunk: enough for the GEMMs to run at speed and to repay packing the
// kernel-sized operand once per chunk (1.5 per channel), and no more, so that the transformed
// data stays as near the cache as the GEMMs allow.
std::int64_t chunk_blocks(const ConvLoopGeometry& g) {
  return std::max<std::int64_t>(96, 3 * std::max(g.cin_g(), g.cout_g()) / 2);
}

// Images per chunk, when an image has fewer blocks than a chunk.
std::int64_t chunk_images(const ConvLoopGeometry& g, const Blocks& blocks) {
  return std::clamp<std::int64_t>(ceil_div(chunk_blocks(g), blocks.per_image), 1, g.batch);
}

// The chunks of the batch, forward and weight gradient: a few whole images, or one image's
// band of block rows when an image holds two chunks or more (ResNet's 64 channels at
// 56 x 56: 784 blocks, whose transformed planes, 3.2 MB each for V and M, leave L2 between
// the transforms and the GEMMs; in bands of 112 blocks it runs 4% faster on one thread, 9%
// on two). A band is a convolution of its own: the same planes with its output rows and the
// top padding shifted (negative past the first band), writing into the whole output. Bands
// of a chunk's blocks or more: narrower ones (84 blocks there) leave the GEMMs too short
// and lose 10%.
struct Band {
  ConvLoopGeometry g;      // the band's output rows, its top padding shifted
  std::int64_t first_row;  // of the whole output
};

struct Chunks {
  std::int64_t images = 1, bands = 1, band_rows = 0;
  // The weight gradient's chunks: `images` at a time through each batch slice.
  Chunks(const ConvLoopGeometry& g, const Blocks& blocks) : band_rows(blocks.rows) {
    if (blocks.per_image < 2 * chunk_blocks(g)) {
      images = chunk_images(g, blocks);
      return;
    }
    bands = ceil_div(blocks.rows, ceil_div(chunk_blocks(g), blocks.cols));
    band_rows = ceil_div(blocks.rows, bands);
    bands = ceil_div(blocks.rows, band_rows);
  }
  // The forward's chunks, which go to threads whole: the images spread evenly over them, and
  // their count a multiple of the threads where the batch allows. At ResNet's 256 channels
  // on 7 x 7, batch 32, 24 images a chunk made chunks of 24 and 8, and two threads ran the
  // layer 1.28x faster than one. No sum depends on a chunk's images: the bits stay.
  Chunks(const ConvLoopGeometry& g, const Blocks& blocks, std::int64_t threads) : Chunks(g, blocks) {
    batch_ = g.batch;
    image_groups_ = bands > 1 ? g.batch : ceil_div(g.batch, images);
    if (bands == 1 && image_groups_ > 1) image_groups_ = std::min(g.batch, round_up(image_groups_, threads));
  }
  std::int64_t count() const { return image_groups_ * bands; }
  // Chunk ci's band (the whole image's geometry when there are no bands) and images.
  Band band(const ConvLoopGeometry& g, std::int64_t ci) const {
    Band band{g, ci % bands * band_rows * 2};
    band.g.out_h = std::min(g.out_h - band.first_row, band_rows * 2);
    band.g.pad_top = g.pad_top - band.first_row;
    band.g.y_plane = y_plane_stride(g);
    band.g.y_row = y_row_stride(g);
    return band;
  }
  // The forward's groups of images hold batch / groups images, give or take one.
  std::int64_t first_image(std::int64_t ci) const { return ci / bands * batch_ / image_groups_; }
  std::int64_t end_image(std::int64_t ci) const { return (ci / bands + 1) * batch_ / image_groups_; }

 private:
  std::int64_t image_groups_ = 1, batch_ = 0;  // set by the forward's constructor
};

template <class T>
const winograd_detail::Transforms<T>& transforms() {
  return *pick_by_simd_path(&winograd_detail::portable_transforms<T>(), &winograd_detail::avx2_transforms<T>(),
                            &winograd_detail::avx512_transforms<T>());
}

}  // namespace

bool conv2d_winograd_applies(const ConvLoopGeometry& g) {
  return g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 &&
         g.dilation_w == 1;
}

template <class T>
bool conv2d_winograd_suits(const ConvLoopGeometry& g) {
  if (winograd_repays_everywhere(g)) return true;
  const std::int64_t blocks = g.batch * Blocks(g).per_image;
  return simd_path() != SimdPath::avx512 && winograd_applies_with_channels(g) &&
         std::min(g.out_h, g.out_w) >= kNarrowMinPlaneSide &&
         blocks >= std::max(kNarrowMinBlocks, std::max(g.cin_g(), g.cout_g()) / kNarrowChannelsPerBlock);
}

template <class T>
bool conv2d_weight_grad_winograd_suits(const ConvLoopGeometry& g) {
  // Its GEMMs ([C_out, blocks] . [blocks, C_in]) pack both operands by transposing: with 16
  // channels on both sides that costs more than the products saved (16 -> 16 at 28 x 28 and
  // 56 x 56: 0.62x); from 32 on one side it gains (1.05-1.1x), and 1.4-1.6x on ResNet's
  // 128 and 256 channels.
  return winograd_repays_everywhere(g) && std::max(g.cin_g(), g.cout_g()) >= 2 * kMinChannels;
}

template <class T>
void conv2d_winograd(const T* x, ConvWeights<T> weights, const T* b, T* y, const ConvLoopGeometry& g) {
  if (conv2d_forward_trivial(b, y, g)) return;
  const winograd_detail::Transforms<T>& tf = transforms<T>();
  const std::int64_t kg = g.cout_g(), cg = g.cin_g();
  const Chunks chunking(g, Blocks(g), get_num_threads());
  const std::int64_t chunks = chunking.count();
  // U is built in the GEMM's packed A layout (see Transforms::weights) and read in place:
  // packing it took a fifth of the time at 512 channels.
  const std::int64_t mr = gemm_panel_rows<T>();
  const std::int64_t u_point = round_up(kg, mr) * cg;
  ScratchLease u_lease;
  T* const u = u_lease.array<T>(kPoints * u_point);

  // Chunk ci of group grp: its input transform, 16 GEMMs and output transform, each step
  // shared out among threads when `parallel`.
  const auto run_chunk = [&](std::int64_t grp, std::int64_t ci, bool parallel) {
    const auto [band, first_row] = chunking.band(g, ci);
    const Blocks blocks(band);
    const std::int64_t n0 = chunking.first_image(ci), n1 = chunking.end_image(ci);
    const std::int64_t ld = (n1 - n0) * blocks.per_image;
    ScratchLease vm_lease;
    T* const v = vm_lease.array<T>(kPoints * (cg + kg) * ld);
    T* const m = v + kPoints * cg * ld;
    parallel_for_if(parallel, (n1 - n0) * cg, 8, [&](std::int64_t begin, std::int64_t end) {
      ScratchLease lease;
      T* const scratch = lease.array<T>(winograd_detail::input_scratch(band));
      for (std::int64_t task = begin; task < end; ++task) {
        const std::int64_t n = n0 + task / cg, c = task % cg;
        tf.input(x + (n * g.in_channels + grp * cg + c) * g.in_h * g.in_w, band,
                 v + c * ld + (n - n0) * blocks.per_image, cg * ld, scratch);
      }
    });
    // The 16 GEMMs side by side, each on one thread: small products (128 x 196 x 128 for
    // ResNet's 28 x 28 layer) shared out inside would pay two parallel regions each.
    parallel_for_if(parallel, kPoints, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t xi = begin; xi < end; ++xi) {
        gemm_packed_a<T>(kg, ld, cg, T(1), u + xi * u_point, strided_b_panels(v + xi * cg * ld, ld, std::int64_t{1}),
                         T(0), m + xi * kg * ld, ld, false);
      }
    });
    parallel_for_if(parallel, (n1 - n0) * kg, 8, [&](std::int64_t begin, std::int64_t end) {
      ScratchLease lease;
      T* const scratch = lease.array<T>(winograd_detail::output_scratch(band));
      for (std::int64_t task = begin; task < end; ++task) {
        const std::int64_t n = n0 + task / kg, k = task % kg;
        tf.output(m + k * ld + (n - n0) * blocks.per_image, kg * ld, b != nullptr ? b[grp * kg + k] : T(0), band,
                  y + (n * g.out_channels + grp * kg + k) * y_plane_stride(g) + first_row * y_row_stride(g), scratch);
      }
    });
  };

  for (std::int64_t grp = 0; grp < g.groups; ++grp) {
    // U in one run of strips per thread: the weight packer then reads a rotated kernel in
    // memory order across the run's strips.
    const std::int64_t strips = ceil_div(kg, mr);
    const std::int64_t runs = std::min<std::int64_t>(strips, get_num_threads());
    parallel_for(runs, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        const std::int64_t k0 = run_begin(strips * mr, mr, runs, r);
        const std::int64_t rows = run_begin(strips * mr, mr, runs, r + 1) - k0;
        ScratchLease lease;
        T* const scratch = lease.array<T>(
            winograd_detail::weights_scratch(winograd_detail::weights_span(weights.rot180, rows, mr), mr));
        tf.weights(weights, g, grp, k0, rows, mr, u + k0 * cg, u_point, scratch);
      }
    });
    // Several chunks go to threads whole (one parallel region, where sharing out every step
    // of every chunk would open three); a single chunk shares out its steps. Either way each
    // output is computed the same way, so the bits do not depend on the thread count.
    if (chunks > 1) {
      parallel_for(chunks, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t ci = begin; ci < end; ++ci) run_chunk(grp, ci, false);
      });
    } else {
      run_chunk(grp, 0, true);
    }
  }
}

template <class T>
void conv2d_weight_grad_winograd(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g) {
  if (conv2d_weight_grad_trivial(dw, g)) return;
  const winograd_detail::Transforms<T>& tf = transforms<T>();
  const std::int64_t kg = g.cout_g(), cg = g.cin_g();
  const Blocks blocks(g);
  const Chunks chunking(g, blocks);
  const std::int64_t m_size = kPoints * kg * cg;
  ScratchLease m_lease;
  T* const m = m_lease.array<T>(m_size);
  for (std::int64_t grp = 0; grp < g.groups; ++grp) {
    // M[xi] = sum over blocks of Z[xi] . V[xi]^T: the batch in fixed slices, one task each
    // (reduce_over_batch_slices), each slice chunk by chunk in order.
    conv_detail::reduce_over_batch_slices(m, m_size, g.batch, [&](std::int64_t n_begin, std::int64_t n_end, T* out) {
      ScratchLease vz_lease, lease;
      T* const v = vz_lease.array<T>(kPoints * (cg + kg) * chunking.images * chunking.band_rows * blocks.cols);
      T* const scratch =
          lease.array<T>(std::max(winograd_detail::input_scratch(g), winograd_detail::output_grad_scratch(g)));
      for (std::int64_t n0 = n_begin; n0 < n_end; n0 += chunking.images) {
        const std::int64_t n1 = std::min(n_end, n0 + chunking.images);
        for (std::int64_t band_index = 0; band_index < chunking.bands; ++band_index) {
          const auto [band, first_row] = chunking.band(g, band_index);
          const std::int64_t per_image = Blocks(band).per_image;
          const std::int64_t ld = (n1 - n0) * per_image;
          T* const z = v + kPoints * cg * ld;
          for (std::int64_t n = n0; n < n1; ++n) {
            const std::int64_t t0 = (n - n0) * per_image;
            for (std::int64_t c = 0; c < cg; ++c) {
              tf.input(x + (n * g.in_channels + grp * cg + c) * g.in_h * g.in_w, band, v + c * ld + t0, cg * ld,
                       scratch);
            }
            for (std::int64_t k = 0; k < kg; ++k) {
              tf.output_grad(dy + ((n * g.out_channels + grp * kg + k) * g.out_h + first_row) * g.out_w, band,
                             z + k * ld + t0, kg * ld, scratch);
            }
          }
          const bool first = n0 == n_begin && band_index == 0;
          for (std::int64_t xi = 0; xi < kPoints; ++xi) {
            gemm_panels<T>(kg, cg, ld, T(1), strided_panels(z + xi * kg * ld, ld, std::int64_t{1}),
                           strided_b_panels(v + xi * cg * ld, std::int64_t{1}, ld), first ? T(0) : T(1),
                           out + xi * kg * cg, cg, false);
          }
        }
      }
    });
    parallel_for(kg, 4, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t k = begin; k < end; ++k) tf.kernel_grad(m + k * cg, kg * cg, g, grp, k, dw);
    });
  }
}

template <class T>
void conv2d_winograd(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g) {
  conv2d_winograd(x, ConvWeights<T>{w, false}, b, y, g);
}

#define TG_INSTANTIATE_WINOGRAD(T)                                                                   \
  template bool conv2d_winograd_suits<T>(const ConvLoopGeometry&);                                   \
  template bool conv2d_weight_grad_winograd_suits<T>(const ConvLoopGeometry&);                       \
  template void conv2d_winograd<T>(const T*, ConvWeights<T>, const T*, T*, const ConvLoopGeometry&); \
  template void conv2d_winograd<T>(const T*, const T*, const T*, T*, const ConvLoopGeometry&);       \
  template void conv2d_weight_grad_winograd<T>(const T*, const T*, T*, const ConvLoopGeometry&);
TG_INSTANTIATE_WINOGRAD(float)
TG_INSTANTIATE_WINOGRAD(double)
#undef TG_INSTANTIATE_WINOGRAD

}  // namespace tg::kernels
