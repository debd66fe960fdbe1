// ResNet's stem (3 -> 64 channels, 7x7, stride 2, padding 3) computed by FFT with
// libtorch's own transforms, against tapegrad's direct forward: the measurement behind the
// FFT question in docs/convolution.md ("Large kernels: which algorithm").
//
// The stride is taken out first, as the input gradient's stride phases do: the padded input
// splits into its 4 (row, column) parity phases and the kernel into the matching 4x4, 4x3,
// 3x4 and 3x3 phase kernels (zero-padded to 4x4), so the layer is a stride-1 valid
// correlation over 4 x 3 = 12 channels. Each phase plane and each phase kernel is
// transformed at n x n (n >= the phase plane, so the circular correlation has no wrap in the
// outputs kept), the spectra are multiplied and summed over the 12 channels (a complex
// matrix product per frequency), and one inverse transform per output plane gives y.
// Without libtorch the case does not exist.
#include <fmt/format.h>

#include <memory>

#include "autograd/grad_mode.hpp"
#include "bench/cases.hpp"
#include "bench/torch_util.hpp"
#include "ops/conv.hpp"
#include "tensor/random.hpp"

namespace tg::bench {

#ifdef TAPEGRAD_BENCH_TORCH
namespace {

struct StemFft {
  std::int64_t n, c_in, c_out, h;
  static constexpr std::int64_t kKernel = 7, kStride = 2, kPad = 3;
  tg::Tensor x, w, b;
  torch::Tensor tx, tw, tb;
  std::int64_t out, phase, fft;  // output side, phase-plane side, transform side

  StemFft(std::int64_t n_, std::int64_t c_in_, std::int64_t c_out_, std::int64_t h_)
      : n(n_), c_in(c_in_), c_out(c_out_), h(h_) {
    tg::Generator gen(77);
    x = tg::randn({n, c_in, h, h}, gen);
    w = tg::randn({c_out, c_in, kKernel, kKernel}, gen);
    b = tg::randn({c_out}, gen);
    tx = as_torch(x), tw = as_torch(w), tb = as_torch(b);
    out = (h + 2 * kPad - kKernel) / kStride + 1;
    phase = (h + 2 * kPad + 1) / 2;
    fft = 1;
    while (fft < phase) fft *= 2;
  }

  double flops() const { return 2.0 * static_cast<double>(n * c_out * out * out * c_in * kKernel * kKernel); }

  tg::Tensor direct() const {
    tg::NoGradGuard no_grad;
    return tg::conv2d(x, w, b, {.stride = kStride, .padding = kPad});
  }

  // The 4 parity phases of t ([A, B, s, s]) stacked as channels: [A, 4B, side, side], each
  // phase zero-padded to side x side at the bottom and right.
  static torch::Tensor phases(const torch::Tensor& t, std::int64_t side) {
    std::vector<torch::Tensor> parts;
    for (std::int64_t a = 0; a < 2; ++a) {
      for (std::int64_t c = 0; c < 2; ++c) {
        using torch::indexing::None;
        using torch::indexing::Slice;
        const torch::Tensor p = t.index({Slice(), Slice(), Slice(a, None, 2), Slice(c, None, 2)});
        parts.push_back(torch::constant_pad_nd(p, {0, side - p.size(3), 0, side - p.size(2)}));
      }
    }
    return torch::cat(parts, 1);
  }

  // The spectra of the 4 x C_in phase kernels, conjugated (a correlation), [F, 4C, K].
  torch::Tensor kernel_spectra() const {
    const torch::Tensor wp = phases(tw, (kKernel + 1) / 2);
    const torch::Tensor wf = torch::fft::rfft2(wp, {fft, fft});  // [K, 4C, fft, fft/2+1]
    return wf.conj().flatten(2).permute({2, 1, 0}).contiguous();
  }

  torch::Tensor by_fft(const torch::Tensor& w_spectra) const {
    torch::NoGradGuard no_grad;
    const torch::Tensor xp = torch::constant_pad_nd(tx, {kPad, kPad, kPad, kPad});
    const torch::Tensor xf = torch::fft::rfft2(phases(xp, phase), {fft, fft});  // [N, 4C, fft, fft/2+1]
    const std::int64_t bins = xf.size(3);
    const torch::Tensor xs = xf.flatten(2).permute({2, 0, 1});  // [F, N, 4C]
    const torch::Tensor ys = torch::matmul(xs, w_spectra);      // [F, N, K]
    const torch::Tensor yf = ys.permute({1, 2, 0}).reshape({n, c_out, fft, bins});
    using torch::indexing::Slice;
    const torch::Tensor y = torch::fft::irfft2(yf, {fft, fft}).index({Slice(), Slice(), Slice(0, out), Slice(0, out)});
    return y + tb.view({1, c_out, 1, 1});
  }
};

CaseGroup stem_fft_case(std::int64_t h) {
  const std::string base = fmt::format("fft resnet-stem 3->64 7x7/2@{} b8 fwd", h);
  CaseGroup group;
  group.names = {base + " (libtorch FFT, kernel transformed each call)",
                 base + " (libtorch FFT, kernel transformed once)"};
  group.make = [h, names = group.names] {
    auto d = std::make_shared<StemFft>(8, 3, 64, h);
    auto spectra = std::make_shared<torch::Tensor>(d->kernel_spectra());
    std::vector<Variant> out(2);
    for (std::size_t i = 0; i < 2; ++i) {
      out[i].name = names[i];
      out[i].work = d->flops();
      out[i].tapegrad = [d] { d->direct(); };
      out[i].check = [d, spectra] { return compare(d->direct(), d->by_fft(*spectra)); };
    }
    out[0].torch = [d] { d->by_fft(d->kernel_spectra()); };
    out[1].torch = [d, spectra] { d->by_fft(*spectra); };
    return out;
  };
  return group;
}

}  // namespace

std::vector<CaseGroup> fft_conv_cases() { return {stem_fft_case(112), stem_fft_case(224)}; }

#else

std::vector<CaseGroup> fft_conv_cases() { return {}; }

#endif  // TAPEGRAD_BENCH_TORCH

}  // namespace tg::bench
