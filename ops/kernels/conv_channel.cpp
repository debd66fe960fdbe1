// Direct convolution in the channel layout (see conv_direct.hpp): the drivers that pack
// weights and dy, pad the input planes and cut the work into register tiles.
#include <algorithm>
#include <vector>

#include "ops/kernels/conv_direct.hpp"
#include "ops/kernels/int_math.hpp"
#include "ops/kernels/scratch.hpp"
#include "ops/kernels/transpose.hpp"
#include "tensor/parallel.hpp"

namespace tg::kernels {

namespace {

using conv_detail::direct_kernel;
using conv_detail::DirectKernel;

constexpr std::int64_t kMaxChannelVectors = 4;  // vectors of channels per forward tile
constexpr std::int64_t kMaxWeightGradVectors = 2;  // vectors of channels per weight-gradient tile
constexpr std::int64_t kWeightBlockBytes = 16 * 1024;  // weights of one input-channel block (half of L1)
constexpr std::int64_t kWeightsStationaryPlane = 64;    // output pixels below which weights stay put

// Output channels in `count` blocks of near-equal whole vectors, at most kMaxChannelVectors
// each; block cb covers channels [first(cb), first(cb) + channels(cb)) in vectors(cb)
// vectors, and `block` is the widest block's lanes (the packed weights' stride).
struct ChannelBlocks {
  std::int64_t cout_g, lanes, total, count, block;
  ChannelBlocks(std::int64_t cout_g_, std::int64_t lanes_, std::int64_t max_vectors)
      : cout_g(cout_g_),
        lanes(lanes_),
        total(ceil_div(cout_g_, lanes_)),
        count(ceil_div(total, max_vectors)),
        block(ceil_div(total, count) * lanes_) {}
  std::int64_t first(std::int64_t cb) const { return std::min(cout_g, cb * total / count * lanes); }
  std::int64_t channels(std::int64_t cb) const { return first(cb + 1) - first(cb); }
  std::int64_t vectors(std::int64_t cb) const { return ceil_div(channels(cb), lanes); }
};

}  // namespace

template <class T>
bool conv2d_direct_channels_suit(const ConvLoopGeometry& g) {
  const std::int64_t lanes = direct_kernel<T>().lanes;
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const std::int64_t row_lanes = round_up(g.out_w, lanes);
  // Share of the computed lanes that are real channels, against the row layout's share of
  // real columns.
  const double channel_fill = static_cast<double>(cout_g) / static_cast<double>(round_up(cout_g, lanes));
  const double row_fill = static_cast<double>(g.out_w) / static_cast<double>(row_lanes);
  // Up to 8 vectors of channels; up to 16 where a row holds more than half a tile's
  // accumulators (ResNet's 256 channels at 14 x 14). With 24 accumulators (AVX-512) and a
  // kernel of several taps, up to 32: the tiles skip the taps that read padding, which the
  // packed GEMM multiplies (18% of them on 7 x 7 planes), and that outweighs the GEMM's
  // longer reuse of each packed element (ResNet's 512 channels at 7 x 7: 16.5-18 against
  // 19.5 ms). Past 32 vectors an image's pass over the weights leaves the cache (1024
  // channels at 7 x 7: 91 against 75 ms); a 1x1 kernel has no padding taps to skip.
  const std::int64_t max_acc = direct_kernel<T>().max_acc;
  const std::int64_t max_vectors = max_acc >= 24 && g.kernel_h * g.kernel_w > 1 ? 32
                                   : g.out_w > max_acc / 2                      ? 16
                                                                                : 8;
  const bool few_channels = cout_g <= max_vectors * lanes;
  // Against the GEMM it also needs enough taps per output: with few (a 1x1 kernel) each
  // block of channels rereads an input much larger than its work.
  return lanes > 1 && channel_fill >= 0.75 && channel_fill > row_fill && few_channels && kdim >= 8 &&
         (kdim >= 16 * lanes || conv2d_direct_suits<T>(g));
}

template <class T>
bool conv2d_weight_grad_direct_channels_suit(const ConvLoopGeometry& g) {
  // Transposing dy costs one pass over it per image, and every tile loads and stores its
  // accumulators once per image; with fewer than 8 vectors' worth of taps these outweigh
  // the multiply-adds (measured: MNIST's 1->32 layer, ResNet's 1x1 downsampling). Its tiles
  // hold one vector of channels, so past 8 vectors the input is walked too many times
  // (ResNet's 256 channels: 28 against the GEMM's 20 ms).
  const std::int64_t kdim = g.kdim();
  const std::int64_t lanes = direct_kernel<T>().lanes;
  return conv2d_direct_channels_suit<T>(g) && kdim >= 8 * lanes && g.cout_g() <= 8 * lanes;
}

template <class T>
void conv2d_direct_channels(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g) {
  conv2d_direct_channels(x, ConvWeights<T>{w, false}, b, y, g);
}

template <class T>
void conv2d_direct_channels(const T* x, ConvWeights<T> weights, const T* b, T* y, const ConvLoopGeometry& g) {
  const DirectKernel<T>& kernel = direct_kernel<T>();
  const std::int64_t lanes = kernel.lanes;
  const std::int64_t cin_g = g.cin_g();
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const std::int64_t y_plane = y_plane_stride(g);
  // A short row (ResNet's 7 x 7 planes) is one tile of as many vectors as fit beside it.
  const std::int64_t max_vectors =
      g.out_w <= kernel.max_acc / 3 ? std::clamp<std::int64_t>(kernel.max_acc / g.out_w, 1, kMaxChannelVectors)
                                    : kMaxChannelVectors;
  const ChannelBlocks blocks(cout_g, lanes, max_vectors);
  // Block block_index = grp * blocks.count + cb of the weights, tap-major [kdim][vectors * lanes]
  // (zero in the lanes past the block's channels), followed by its bias.
  const std::int64_t packed_block = (kdim + 1) * blocks.block;
  const auto pack_block = [&](std::int64_t block_index, T* dst) {
    const std::int64_t grp = block_index / blocks.count, cb = block_index % blocks.count;
    const std::int64_t k0 = grp * cout_g + blocks.first(cb);  // first output channel
    T* const bias_dst = dst + kdim * blocks.block;
    // [kdim][width] is the GEMM's packing of the block's weight rows as one panel.
    weight_panels(weights, g, grp)(dst, blocks.vectors(cb) * lanes, blocks.first(cb), blocks.channels(cb), 0, kdim);
    std::fill(bias_dst, bias_dst + blocks.block, T(0));
    for (std::int64_t k = 0; k < blocks.channels(cb) && b != nullptr; ++k) bias_dst[k] = b[k0 + k];
  };
  const std::int64_t hp = conv_detail::padded_rows(g);
  const std::int64_t wp = conv_detail::padded_cols(g);
  const auto live = conv_detail::live_padded_rows(g, hp);
  const auto live_cols = conv_detail::live_padded_cols(g, wp);
  // Input channels in near-equal blocks whose weights stay in L1 while every pixel of the
  // image passes under them; sums are carried from block to block in a pixel-major buffer.
  const std::int64_t c_blocks = std::clamp<std::int64_t>(
      ceil_div(kdim * blocks.block * static_cast<std::int64_t>(sizeof(T)), kWeightBlockBytes), 1, cin_g);
  const std::int64_t plane_lanes = g.out_h * g.out_w * blocks.block;  // one image's partial sums
  // Block cb of group grp's output channels (packed weights w_block), summed over input-channel
  // block ci, for image n.
  const auto run_block = [&](std::int64_t grp, std::int64_t cb, const T* w_block, std::int64_t ci, std::int64_t n,
                             const T* xp, T* partial) {
    const std::int64_t nvc = blocks.vectors(cb);
    // Columns in near-equal parts of at most max_acc / nvc pixels.
    const std::int64_t parts = ceil_div(g.out_w, kernel.max_acc / nvc);
    for (std::int64_t part = 0; part < parts; ++part) {
      const std::int64_t j0 = part * g.out_w / parts;
      const std::int64_t j1 = (part + 1) * g.out_w / parts;
      const conv_detail::ChannelTile<T> tile{
          .xp = xp,
          .hp = hp,
          .wp = wp,
          .live_rows_begin = live.first,
          .live_rows_end = live.second,
          .first_taps = conv_detail::live_kernel_rows(j0 * g.stride_w, g.kernel_w, g.dilation_w, live_cols.first,
                                                      live_cols.second),
          .last_taps = conv_detail::live_kernel_rows((j1 - 1) * g.stride_w, g.kernel_w, g.dilation_w, live_cols.first,
                                                     live_cols.second),
          .c_begin = ci * cin_g / c_blocks,
          .c_end = (ci + 1) * cin_g / c_blocks,
          .kh = g.kernel_h,
          .kw = g.kernel_w,
          .dil_h = g.dilation_h,
          .dil_w = g.dilation_w,
          .stride_h = g.stride_h,
          .stride_w = g.stride_w,
          .w = w_block,
          .bias = b != nullptr ? w_block + kdim * blocks.block : nullptr,
          .partial = partial != nullptr ? partial + g.out_h * j0 * nvc * lanes : nullptr,
          .cin_g = cin_g,
          .y = y + (n * g.out_channels + grp * cout_g + blocks.first(cb)) * y_plane,
          .y_plane = y_plane,
          .y_row = y_row_stride(g),
          .y_col = g.y_col,
          .out_h = g.out_h,
          .out_w = g.out_w,
          .j0 = j0,
          .channels = blocks.channels(cb),
      };
      kernel.run_channels(tile, nvc, j1 - j0);
    }
  };
  if (g.out_h * g.out_w >= kWeightsStationaryPlane) {
    // Image by image: each task pads its image and passes it under every weight block,
    // all packed first.
    ScratchLease weight_lease;
    T* const w_packed = weight_lease.array<T>(g.groups * blocks.count * packed_block);
    parallel_for(g.groups * blocks.count, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t block_index = begin; block_index < end; ++block_index) {
        pack_block(block_index, w_packed + block_index * packed_block);
      }
    });
    conv_detail::for_each_padded_image(x, g, hp, wp, [&](std::int64_t n, std::int64_t grp, const T* xp) {
      ScratchLease partial_lease;
      T* const partial = c_blocks > 1 ? partial_lease.array<T>(plane_lanes) : nullptr;
      for (std::int64_t cb = 0; cb < blocks.count; ++cb) {
        const T* w_block = w_packed + (grp * blocks.count + cb) * packed_block;
        for (std::int64_t ci = 0; ci < c_blocks; ++ci) run_block(grp, cb, w_block, ci, n, xp, partial);
      }
    });
    return;
  }
  // Small planes (ResNet's 7 x 7): an image is too little work to pay for a pass over the
  // weights (9.4 MB at 512 channels, from L3 or memory), so each weight block stays in L1
  // while a slice of images passes under it. All images are padded first. Slices only
  // group images, so they may follow the thread count: enough tasks to share out evenly.
  ScratchLease pad_lease;
  const std::int64_t image_planes = cin_g * hp * wp;
  T* const x_pad = pad_lease.array<T>(g.batch * g.groups * image_planes);
  parallel_for(g.batch * g.groups, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t task = begin; task < end; ++task) {
      conv_detail::pad_planes(x, g, task / g.groups, task % g.groups, hp, wp, x_pad + task * image_planes);
    }
  });
  const std::int64_t block_tasks = g.groups * blocks.count;
  const std::int64_t slices = std::clamp<std::int64_t>(ceil_div(8 * get_num_threads(), block_tasks), 1, g.batch);
  parallel_for(block_tasks * slices, 1, [&](std::int64_t begin, std::int64_t end) {
    ScratchLease task_lease;
    T* const w_block = task_lease.array<T>(packed_block + (c_blocks > 1 ? ceil_div(g.batch, slices) * plane_lanes : 0));
    T* const partials = c_blocks > 1 ? w_block + packed_block : nullptr;
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t grp = task / slices / blocks.count, cb = task / slices % blocks.count;
      const std::int64_t n0 = task % slices * g.batch / slices, n1 = (task % slices + 1) * g.batch / slices;
      // Packed by the task that uses it, so that it is still in L2 (weights packed all at
      // once would make a round trip to memory).
      pack_block(grp * blocks.count + cb, w_block);
      for (std::int64_t ci = 0; ci < c_blocks; ++ci) {
        for (std::int64_t n = n0; n < n1; ++n) {
          run_block(grp, cb, w_block, ci, n, x_pad + (n * g.groups + grp) * image_planes,
                    partials != nullptr ? partials + (n - n0) * plane_lanes : nullptr);
        }
      }
    }
  });
}

template <class T>
void conv2d_weight_grad_direct_channels(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g) {
  const DirectKernel<T>& kernel = direct_kernel<T>();
  const std::int64_t lanes = kernel.lanes;
  const std::int64_t cin_g = g.cin_g();
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const std::int64_t plane = g.out_h * g.out_w;
  const std::int64_t dw_size = g.out_channels * kdim;
  // The per-tap partial sums hold cout_g channels padded to whole vectors; dy is made
  // pixel-major one tile's vectors of channels at a time, so that it stays in cache.
  const std::int64_t padded_channels = round_up(cout_g, lanes);
  const std::int64_t sums_size = g.groups * kdim * padded_channels;
  const std::int64_t dyt_width = kMaxWeightGradVectors * lanes;
  const std::int64_t hp = conv_detail::padded_rows(g);
  const std::int64_t wp = conv_detail::padded_cols(g);
  const std::vector<std::int64_t> offsets = conv_detail::tap_offsets(g, hp, wp);
  conv_detail::reduce_over_batch_slices(dw, dw_size, g.batch, [&](std::int64_t n0, std::int64_t n1, T* out) {
    ScratchLease slice_lease;
    T* const sums = slice_lease.array<T>(sums_size + cin_g * hp * wp + plane * dyt_width);
    T* const xp = sums + sums_size;
    T* const dyt = xp + cin_g * hp * wp;
    std::fill(sums, sums + sums_size, T(0));
    for (std::int64_t n = n0; n < n1; ++n) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        conv_detail::pad_planes(x, g, n, grp, hp, wp, xp);
        // Two vectors of channels a tile where there are two (each broadcast then feeds two
        // multiply-adds), else one; taps in near-equal blocks that fill the accumulators.
        for (std::int64_t c0 = 0; c0 < padded_channels;) {
          const std::int64_t nv = std::min<std::int64_t>(kMaxWeightGradVectors, (padded_channels - c0) / lanes);
          const std::int64_t width = nv * lanes, channels = std::min(width, cout_g - c0);
          if (channels < width) std::fill(dyt, dyt + plane * width, T(0));
          transpose_blocked(dy + (n * g.out_channels + grp * cout_g + c0) * plane, plane, channels, plane, dyt, width);
          const std::int64_t tap_blocks = ceil_div(kdim, kernel.max_acc / nv);
          for (std::int64_t tb = 0; tb < tap_blocks; ++tb) {
            const std::int64_t t0 = tb * kdim / tap_blocks, t1 = (tb + 1) * kdim / tap_blocks;
            kernel.run_channels_wgrad({.xp = xp,
                                       .wp = wp,
                                       .stride_h = g.stride_h,
                                       .stride_w = g.stride_w,
                                       .tap_offsets = offsets.data() + t0,
                                       .dyt = dyt,
                                       .dyt_stride = width,
                                       .out_stride = padded_channels,
                                       .out_h = g.out_h,
                                       .out_w = g.out_w,
                                       .out = sums + (grp * kdim + t0) * padded_channels + c0},
                                      nv, t1 - t0);
          }
          c0 += width;
        }
      }
    }
    // Tap-major partial sums to dw's channel-major layout.
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      transpose_blocked(sums + grp * kdim * padded_channels, padded_channels, kdim, cout_g, out + grp * cout_g * kdim,
                        kdim);
    }
  });
}

#define TG_INSTANTIATE_CONV_CHANNELS(T)                                                                   \
  template bool conv2d_direct_channels_suit<T>(const ConvLoopGeometry&);                                 \
  template bool conv2d_weight_grad_direct_channels_suit<T>(const ConvLoopGeometry&);                     \
  template void conv2d_direct_channels<T>(const T*, const T*, const T*, T*, const ConvLoopGeometry&);    \
  template void conv2d_direct_channels<T>(const T*, ConvWeights<T>, const T*, T*, const ConvLoopGeometry&); \
  template void conv2d_weight_grad_direct_channels<T>(const T*, const T*, T*, const ConvLoopGeometry&);
TG_INSTANTIATE_CONV_CHANNELS(float)
TG_INSTANTIATE_CONV_CHANNELS(double)
#undef TG_INSTANTIATE_CONV_CHANNELS

}  // namespace tg::kernels
