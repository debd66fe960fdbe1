// Direct convolution in the channel layout (see conv_direct.hpp), forward: which shapes it
// suits, and the driver that packs weights, pads the input planes and cuts the work into
// register tiles. The weight gradient is in conv_channel_wgrad.cpp.
#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "ops/kernels/conv/conv_direct.hpp"
#include "ops/kernels/int_math.hpp"
#include "ops/kernels/scratch.hpp"
#include "tensor/parallel.hpp"

namespace tg::kernels {

namespace {

using conv_detail::direct_kernel;
using conv_detail::DirectKernel;

constexpr std::int64_t kWeightBlockBytes = 16 * 1024;  // weights of one input-channel block (half of L1)
constexpr std::int64_t kWeightsStationaryPlane = 64;   // output pixels below which weights stay put

// Output channels in `count` blocks of near-equal whole vectors; block cb covers channels
// [first(cb), first(cb) + channels(cb)) in vectors(cb) vectors, and `block` is the widest
// block's lanes (the packed weights' stride).
struct ChannelBlocks {
  std::int64_t cout_g, lanes, total, count, block;
  ChannelBlocks(std::int64_t cout_g_, std::int64_t lanes_, std::int64_t count_)
      : cout_g(cout_g_),
        lanes(lanes_),
        total(ceil_div(cout_g_, lanes_)),
        count(std::clamp<std::int64_t>(count_, 1, total)),
        block(ceil_div(total, count) * lanes_) {}
  // The fewest blocks of at most max_vectors vectors each.
  static ChannelBlocks widest(std::int64_t cout_g, std::int64_t lanes, std::int64_t max_vectors) {
    return {cout_g, lanes, ceil_div(ceil_div(cout_g, lanes), max_vectors)};
  }
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
  const std::int64_t max_vectors = max_acc >= 24 && g.kernel_h * g.kernel_w > 1 ? 32 : g.out_w > max_acc / 2 ? 16 : 8;
  const bool few_channels = cout_g <= max_vectors * lanes;
  // Against the GEMM it also needs enough taps per output: with few (a 1x1 kernel) each
  // block of channels rereads an input much larger than its work. A 1x1 kernel needs 256
  // input channels whatever the vector width: at 128 on AVX2 (the one-tap phase of ResNet's
  // 1x1/2 input gradient, 128 -> 64 channels at 28 x 28, batch 8) the GEMM took 2.2-3.1 ms
  // against 4.3-7.4 ms here.
  const bool enough_taps = kdim >= 16 * lanes && (g.kernel_h * g.kernel_w > 1 || kdim >= 256);
  // At a stride the row layout does not run, so its fill is no rival, and a large kernel
  // has taps enough on few input channels: the GEMM's im2col would copy each input element
  // taps / stride^2 times (12 at ResNet's 7x7/2 stem, 3 -> 64 channels, where the channel
  // layout halves the forward and the weight gradient against the GEMM).
  const bool strided = g.stride_w > 1;
  const bool large_strided_kernel = strided && g.kernel_h * g.kernel_w >= 25;
  return lanes > 1 && channel_fill >= 0.75 && (channel_fill > row_fill || strided) && few_channels && kdim >= 8 &&
         (enough_taps || large_strided_kernel || conv2d_direct_suits<T>(g));
}

namespace {

// The channel-layout forward: output channels in blocks of up to channel_vectors vectors, each block's
// weights packed tap-major, input channels summed in L1-sized weight blocks.
template <class T>
class ChannelForward {
 public:
  ChannelForward(const T* x, ConvWeights<T> weights, const T* b, T* y, const ConvLoopGeometry& g)
      : x_(x),
        weights_(weights),
        b_(b),
        y_(y),
        g_(g),
        kernel_(direct_kernel<T>()),
        lanes_(kernel_.lanes),
        cin_g_(g.cin_g()),
        kdim_(g.kdim()),
        taps_(g.kernel_h * g.kernel_w),
        // A short row (ResNet's 7 x 7 planes) is one tile of as many vectors as fit beside it.
        widest_(
            ChannelBlocks::widest(g.cout_g(), lanes_,
                                  g.out_w <= kernel_.max_acc / 3
                                      ? std::clamp<std::int64_t>(kernel_.max_acc / g.out_w, 1, kernel_.channel_vectors)
                                      : kernel_.channel_vectors)),
        stationary_(g.out_h * g.out_w < kWeightsStationaryPlane),
        blocks_(stationary_ ? ChannelBlocks(g.cout_g(), lanes_, balanced_count(get_num_threads())) : widest_),
        tile_pixels_(kernel_.max_acc / (widest_.block / lanes_)),
        packed_block_((kdim_ + 1) * blocks_.block),
        hp_(conv_detail::padded_rows(g)),
        wp_(conv_detail::padded_cols(g)),
        live_rows_(conv_detail::live_padded_rows(g, hp_)),
        live_cols_(conv_detail::live_padded_cols(g, wp_)),
        // Input channels in near-equal blocks whose weights stay in L1 while the pixels pass
        // under them; sums are carried from block to block in a pixel-major buffer. Sized by
        // the widest blocks, not the thread count's: an output sums its border taps after the
        // others within each block (ChannelRowTaps), so the blocks must not depend on it.
        c_blocks_(std::clamp<std::int64_t>(
            ceil_div(kdim_ * widest_.block * static_cast<std::int64_t>(sizeof(T)), kWeightBlockBytes), 1, cin_g_)),
        plane_lanes_(g.out_h * g.out_w * blocks_.block),
        parts_(ceil_div(g.out_w, tile_pixels_)) {
    plan_taps();
  }

  void run() const {
    if (stationary_) {
      weights_stationary();
    } else {
      image_by_image();
    }
  }

 private:
  // Each task pads its image and passes it under every weight block, all packed first.
  void image_by_image() const {
    ScratchLease weight_lease;
    T* const w_packed = weight_lease.array<T>(g_.groups * blocks_.count * packed_block_);
    parallel_for(g_.groups * blocks_.count, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t block_index = begin; block_index < end; ++block_index) {
        pack_block(block_index, w_packed + block_index * packed_block_);
      }
    });
    conv_detail::for_each_padded_image(x_, g_, hp_, wp_, [&](std::int64_t n, std::int64_t grp, const T* xp) {
      ScratchLease partial_lease;
      T* const partial = c_blocks_ > 1 ? partial_lease.array<T>(plane_lanes_) : nullptr;
      for (std::int64_t cb = 0; cb < blocks_.count; ++cb) {
        const T* w_block = w_packed + (grp * blocks_.count + cb) * packed_block_;
        const T* bias = w_block + kdim_ * blocks_.block;
        for (std::int64_t ci = 0; ci < c_blocks_; ++ci) {
          run_block(grp, cb, w_block + k_begin(ci) * blocks_.vectors(cb) * lanes_, bias, ci, n, xp, partial);
        }
      }
    });
  }

  // Blocks of output channels for the weights-stationary pass: as few as the widest tiles
  // allow, or a few more if that makes the groups' blocks share out evenly among the threads
  // (ResNet's 512 channels at 7 x 7: 11 blocks leave one thread 6 of them on two threads;
  // 12 give 8.5 against 10.5 ms). Blocks only regroup channels: each output's sum runs over
  // (input channel, tap) in the same order, carried through the partial sums between
  // input-channel blocks, so the bits do not depend on the thread count.
  std::int64_t balanced_count(std::int64_t threads) const {
    const std::int64_t most = std::min(widest_.total, 2 * widest_.count);
    for (std::int64_t count = widest_.count; count <= most; ++count) {
      if (g_.groups * count % threads == 0) return count;
    }
    return widest_.count;
  }

  // Small planes (ResNet's 7 x 7): an image is too little work to pay for a pass over the
  // weights (9.4 MB at 512 channels, from L3 or memory), so each weight block stays in L1
  // while the images pass under it. All images are padded first. With fewer blocks than
  // threads, the images are sliced too (slices only group images).
  void weights_stationary() const {
    ScratchLease pad_lease;
    const std::int64_t image_planes = cin_g_ * hp_ * wp_;
    T* const x_pad = pad_lease.array<T>(g_.batch * g_.groups * image_planes);
    parallel_for(g_.batch * g_.groups, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t task = begin; task < end; ++task) {
        conv_detail::pad_planes(x_, g_, task / g_.groups, task % g_.groups, hp_, wp_, x_pad + task * image_planes);
      }
    });
    const std::int64_t block_tasks = g_.groups * blocks_.count;
    const std::int64_t slices = std::clamp<std::int64_t>(ceil_div(get_num_threads(), block_tasks), 1, g_.batch);
    const std::int64_t partial_size = c_blocks_ > 1 ? ceil_div(g_.batch, slices) * plane_lanes_ : 0;
    // A block that one task uses is packed by that task an input-channel block at a time, into
    // L1 where the images read it, and the next one is asked for while they do: the read of the
    // weights from memory (9.4 MB at 512 channels) then hides behind the arithmetic. A block
    // that several slices share (few channels) is packed once, up front.
    ScratchLease weight_lease;
    T* const w_shared = slices > 1 ? weight_lease.array<T>(block_tasks * packed_block_) : nullptr;
    if (slices > 1) {
      parallel_for(block_tasks, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t b = begin; b < end; ++b) pack_block(b, w_shared + b * packed_block_);
      });
    }
    const std::int64_t own_size = slices > 1 ? 0 : ceil_div(cin_g_, c_blocks_) * taps_ * blocks_.block + blocks_.block;
    parallel_for(block_tasks * slices, 1, [&](std::int64_t begin, std::int64_t end) {
      ScratchLease task_lease;
      T* const w_own = task_lease.array<T>(own_size + partial_size);
      T* const partials = c_blocks_ > 1 ? w_own + own_size : nullptr;
      for (std::int64_t task = begin; task < end; ++task) {
        const std::int64_t grp = task / slices / blocks_.count, cb = task / slices % blocks_.count;
        const std::int64_t n0 = task % slices * g_.batch / slices, n1 = (task % slices + 1) * g_.batch / slices;
        const std::int64_t width = blocks_.vectors(cb) * lanes_;
        const T* const w_block = w_shared != nullptr ? w_shared + (grp * blocks_.count + cb) * packed_block_ : nullptr;
        // The task's own packed block ends with its bias; a block packed up front carries its
        // own (and the task's buffer then holds only partial sums, or nothing).
        T* const own_bias = w_block == nullptr ? w_own + own_size - blocks_.block : nullptr;
        const T* const bias = w_block != nullptr ? w_block + kdim_ * blocks_.block : own_bias;
        const PackAPanel<T> pack = weight_panels(weights_, g_, grp);
        const auto fetch = [&](std::int64_t ci) {  // ask for block ci's weights
          prefetch_weight_panel(weights_, g_, grp, blocks_.first(cb), blocks_.channels(cb), k_begin(ci), k_count(ci));
        };
        if (w_block == nullptr) {
          pack_bias(grp, cb, own_bias);
          fetch(0);
        }
        for (std::int64_t ci = 0; ci < c_blocks_; ++ci) {
          const T* w_ci = w_own;
          if (w_block != nullptr) {
            w_ci = w_block + k_begin(ci) * width;
          } else {
            pack(w_own, width, blocks_.first(cb), blocks_.channels(cb), k_begin(ci), k_count(ci));
            if (ci + 1 < c_blocks_) fetch(ci + 1);
          }
          for (std::int64_t n = n0; n < n1; ++n) {
            run_block(grp, cb, w_ci, bias, ci, n, x_pad + (n * g_.groups + grp) * image_planes,
                      partials != nullptr ? partials + (n - n0) * plane_lanes_ : nullptr);
          }
        }
      }
    });
  }

  // Block block_index = grp * blocks.count + cb of the weights into dst: tap-major
  // [kdim][vectors * lanes] (zero in the lanes past the block's channels), then its bias.
  void pack_block(std::int64_t block_index, T* dst) const {
    const std::int64_t grp = block_index / blocks_.count, cb = block_index % blocks_.count;
    // [kdim][width] is the GEMM's packing of the block's weight rows as one panel.
    weight_panels(weights_, g_, grp)(dst, blocks_.vectors(cb) * lanes_, blocks_.first(cb), blocks_.channels(cb), 0,
                                     kdim_);
    pack_bias(grp, cb, dst + kdim_ * blocks_.block);
  }

  // The bias of block cb of group grp's output channels, zero past its channels.
  void pack_bias(std::int64_t grp, std::int64_t cb, T* dst) const {
    const std::int64_t k0 = grp * g_.cout_g() + blocks_.first(cb);  // first output channel
    std::fill(dst, dst + blocks_.block, T(0));
    for (std::int64_t k = 0; k < blocks_.channels(cb) && b_ != nullptr; ++k) dst[k] = b_[k0 + k];
  }

  // First input channel of block ci (ci = c_blocks_ gives the end of the last).
  std::int64_t c_begin(std::int64_t ci) const { return ci * cin_g_ / c_blocks_; }
  // Block ci's columns of the weight matrix [C_out/groups, kdim]: first, and how many.
  std::int64_t k_begin(std::int64_t ci) const { return c_begin(ci) * taps_; }
  std::int64_t k_count(std::int64_t ci) const { return k_begin(ci + 1) - k_begin(ci); }

  // Block cb of group grp's output channels, summed over input-channel block ci (whose packed
  // weights are w_ci), for image n with padded planes xp.
  void run_block(std::int64_t grp, std::int64_t cb, const T* w_ci, const T* bias, std::int64_t ci, std::int64_t n,
                 const T* xp, T* partial) const {
    const std::int64_t nvc = blocks_.vectors(cb);
    for (std::int64_t part = 0; part < parts_; ++part) {
      const std::int64_t j0 = part_begin(part), j1 = part_begin(part + 1);
      const conv_detail::ChannelTile<T> tile{
          .xp = xp,
          .wp = wp_,
          .stride_h = g_.stride_h,
          .stride_w = g_.stride_w,
          .rows = row_taps_of_.data() + (ci * border_classes_ + part_border_[part]) * g_.out_h,
          .first_block = ci == 0,
          .last_block = ci == c_blocks_ - 1,
          .w = w_ci,
          .bias = b_ != nullptr ? bias : nullptr,
          .partial = partial != nullptr ? partial + g_.out_h * j0 * nvc * lanes_ : nullptr,
          .y = y_ + (n * g_.out_channels + grp * g_.cout_g() + blocks_.first(cb)) * y_plane_stride(g_),
          .y_plane = y_plane_stride(g_),
          .y_row = y_row_stride(g_),
          .y_col = g_.y_col,
          .out_h = g_.out_h,
          .j0 = j0,
          .channels = blocks_.channels(cb),
      };
      kernel_.run_channels(tile, nvc, j1 - j0);
    }
  }

  // Columns in near-equal parts of at most tile_pixels_, the same for every block whatever
  // the thread count: a tap that reads padding is skipped at a part's first and last pixel,
  // so the parts decide which zero products are added (they can turn -0 to +0, or an
  // infinite weight's product to NaN). Part p starts at column part_begin(p).
  std::int64_t part_begin(std::int64_t part) const { return part * g_.out_w / parts_; }

  // The taps of every output row, for each input-channel block and each border class of
  // the parts (which kernel columns the first and the last pixel read): row_taps_of_[(ci *
  // border_classes_ + border) * out_h + i]. Rows and parts share their lists by class, so a
  // list is built once per call whatever the batch.
  void plan_taps() {
    using conv_detail::LiveRows;
    std::vector<std::pair<LiveRows, LiveRows>> borders;
    for (std::int64_t part = 0; part < parts_; ++part) {
      part_border_.push_back(index_in(borders, {live_taps(part_begin(part)), live_taps(part_begin(part + 1) - 1)}));
    }
    border_classes_ = static_cast<std::int64_t>(borders.size());
    std::vector<LiveRows> row_ranges;
    std::vector<std::int64_t> row_range;
    for (std::int64_t i = 0; i < g_.out_h; ++i) {
      row_range.push_back(
          index_in(row_ranges, conv_detail::live_kernel_rows(i * g_.stride_h, g_.kernel_h, g_.dilation_h,
                                                             live_rows_.first, live_rows_.second)));
    }
    const std::vector<std::int64_t> offsets = conv_detail::tap_offsets(g_, hp_, wp_);
    std::vector<std::pair<std::int64_t, std::array<std::int64_t, 4>>> spans;  // (first tap, ends) per list
    for (std::int64_t ci = 0; ci < c_blocks_; ++ci) {
      for (const auto& border : borders) {
        for (const LiveRows rows : row_ranges) spans.push_back(append_taps(ci, border, rows, offsets));
      }
    }
    // The lists' addresses once tap_list_ is complete.
    for (const auto& [first, ends] : spans) row_taps_.push_back({tap_list_.data() + first, ends});
    const auto lists_per_border = static_cast<std::int64_t>(row_ranges.size());
    for (std::int64_t list = 0; list < c_blocks_ * border_classes_; ++list) {
      for (const std::int64_t range : row_range) {
        row_taps_of_.push_back(&row_taps_[static_cast<std::size_t>(list * lists_per_border + range)]);
      }
    }
  }

  // Appends to tap_list_ the taps of block ci's input channels and of kernel rows `rows`,
  // class by class for the border (the live kernel columns of a part's first and last pixel);
  // returns the position of the first and the classes' ends (see ChannelRowTaps). offsets:
  // every tap's window origin in the padded planes (conv_detail::tap_offsets).
  std::pair<std::int64_t, std::array<std::int64_t, 4>> append_taps(
      std::int64_t ci, const std::pair<conv_detail::LiveRows, conv_detail::LiveRows>& border,
      conv_detail::LiveRows rows, const std::vector<std::int64_t>& offsets) {
    const auto reads_padding = [](conv_detail::LiveRows live, std::int64_t q) {
      return q < live.begin || q >= live.end;
    };
    const auto first = static_cast<std::int64_t>(tap_list_.size());
    std::array<std::int64_t, 4> ends{};
    for (int cls = 0; cls < 4; ++cls) {
      for (std::int64_t c = c_begin(ci); c < c_begin(ci + 1); ++c) {
        for (std::int64_t u = rows.begin; u < rows.end; ++u) {
          for (std::int64_t q = 0; q < g_.kernel_w; ++q) {
            const int column_class =
                (reads_padding(border.first, q) ? 1 : 0) | (reads_padding(border.second, q) ? 2 : 0);
            if (column_class != cls) continue;
            const std::int64_t tap = (c * g_.kernel_h + u) * g_.kernel_w + q;
            tap_list_.push_back({.x = offsets[static_cast<std::size_t>(tap)], .w = tap - k_begin(ci)});
          }
        }
      }
      ends[static_cast<std::size_t>(cls)] = static_cast<std::int64_t>(tap_list_.size()) - first;
    }
    return {first, ends};
  }

  // Index of `value` among `distinct`, appended if it is new.
  template <class Value>
  static std::int64_t index_in(std::vector<Value>& distinct, const Value& value) {
    const auto found = std::find(distinct.begin(), distinct.end(), value);
    if (found != distinct.end()) return found - distinct.begin();
    distinct.push_back(value);
    return static_cast<std::int64_t>(distinct.size()) - 1;
  }

  // The kernel columns whose taps read the input, not padding, at output column j.
  conv_detail::LiveRows live_taps(std::int64_t j) const {
    return conv_detail::live_kernel_rows(j * g_.stride_w, g_.kernel_w, g_.dilation_w, live_cols_.first,
                                         live_cols_.second);
  }

  const T* x_;
  ConvWeights<T> weights_;
  const T* b_;
  T* y_;
  const ConvLoopGeometry& g_;
  const DirectKernel<T>& kernel_;
  std::int64_t lanes_, cin_g_, kdim_, taps_;
  ChannelBlocks widest_;
  bool stationary_;
  ChannelBlocks blocks_;
  std::int64_t tile_pixels_, packed_block_, hp_, wp_;
  std::pair<std::int64_t, std::int64_t> live_rows_, live_cols_;
  std::int64_t c_blocks_, plane_lanes_, parts_;
  std::vector<std::int64_t> part_border_;  // border class of each part
  std::int64_t border_classes_ = 0;
  std::vector<conv_detail::ChannelTap> tap_list_;  // the lists of row_taps_, one after another
  std::vector<conv_detail::ChannelRowTaps> row_taps_;
  std::vector<const conv_detail::ChannelRowTaps*> row_taps_of_;
};

}  // namespace

template <class T>
void conv2d_direct_channels(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g) {
  conv2d_direct_channels(x, ConvWeights<T>{w, false}, b, y, g);
}

template <class T>
void conv2d_direct_channels(const T* x, ConvWeights<T> weights, const T* b, T* y, const ConvLoopGeometry& g) {
  if (conv2d_forward_trivial(b, y, g)) return;
  ChannelForward<T>(x, weights, b, y, g).run();
}

#define TG_INSTANTIATE_CONV_CHANNELS(T)                                                               \
  template bool conv2d_direct_channels_suit<T>(const ConvLoopGeometry&);                              \
  template void conv2d_direct_channels<T>(const T*, const T*, const T*, T*, const ConvLoopGeometry&); \
  template void conv2d_direct_channels<T>(const T*, ConvWeights<T>, const T*, T*, const ConvLoopGeometry&);
TG_INSTANTIATE_CONV_CHANNELS(float)
TG_INSTANTIATE_CONV_CHANNELS(double)
#undef TG_INSTANTIATE_CONV_CHANNELS

}  // namespace tg::kernels
