// Convolution cases: forward, input gradient, weight gradient, and all three with the
// bias gradient ("fwd+bwd"), through tapegrad's public ops and libtorch's
// torch::conv2d / at::convolution_backward.
#include <fmt/format.h>

#include <array>
#include <memory>
#include <optional>

#include "autograd/grad_mode.hpp"
#include "bench/cases.hpp"
#include "bench/torch_util.hpp"
#include "ops/conv.hpp"
#include "ops/reduction.hpp"
#include "tensor/random.hpp"

namespace tg::bench {
namespace {

struct ConvSpec {
  const char* label;
  std::int64_t n, c_in, c_out, h, k, stride, pad;
  std::int64_t out() const { return (h + 2 * pad - k) / stride + 1; }
  // One map's multiply-adds x 2 (forward, input gradient and weight gradient cost the same).
  double flops() const {
    return 2.0 * static_cast<double>(n * c_out * out() * out()) * static_cast<double>(c_in * k * k);
  }
  std::string name() const {
    return fmt::format("conv {} {}->{} {}x{}{}@{} b{}", label, c_in, c_out, k, k,
                       stride > 1 ? fmt::format("/{}", stride) : "", h, n);
  }
};

struct ConvData {
  ConvSpec spec;
  tg::Tensor x, w, b, dy;
  tg::Conv2dOptions opts;
#ifdef TAPEGRAD_BENCH_TORCH
  torch::Tensor tx, tw, tb, tdy;
#endif
  std::optional<std::array<std::string, 4>> verdicts;  // fwd, input-grad, weight-grad, fwd+bwd

  explicit ConvData(const ConvSpec& s) : spec(s), opts{.stride = s.stride, .padding = s.pad} {
    tg::Generator gen(1000 + static_cast<std::uint64_t>(s.c_in * 7 + s.c_out * 13 + s.h));
    x = tg::randn({s.n, s.c_in, s.h, s.h}, gen);
    w = tg::randn({s.c_out, s.c_in, s.k, s.k}, gen);
    b = tg::randn({s.c_out}, gen);
    dy = tg::randn({s.n, s.c_out, s.out(), s.out()}, gen);
#ifdef TAPEGRAD_BENCH_TORCH
    tx = as_torch(x), tw = as_torch(w), tb = as_torch(b), tdy = as_torch(dy);
#endif
  }

  void tg_forward() const {
    tg::NoGradGuard no_grad;
    tg::conv2d(x, w, b, opts);
  }
  void tg_input_grad() const {
    tg::NoGradGuard no_grad;
    tg::conv2d_input_grad(dy, w, {spec.h, spec.h}, opts);
  }
  void tg_weight_grad() const {
    tg::NoGradGuard no_grad;
    tg::conv2d_weight_grad(x, dy, {spec.k, spec.k}, opts);
  }
  void tg_all() const {
    tg::NoGradGuard no_grad;
    tg::conv2d(x, w, b, opts);
    tg::conv2d_input_grad(dy, w, {spec.h, spec.h}, opts);
    tg::conv2d_weight_grad(x, dy, {spec.k, spec.k}, opts);
    tg::sum(dy, {0, 2, 3});
  }

#ifdef TAPEGRAD_BENCH_TORCH
  std::vector<std::int64_t> stride() const { return {spec.stride, spec.stride}; }
  std::vector<std::int64_t> padding() const { return {spec.pad, spec.pad}; }
  torch::Tensor torch_forward() const {
    torch::NoGradGuard no_grad;
    return torch::conv2d(tx, tw, tb, stride(), padding());
  }
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> torch_backward(std::array<bool, 3> mask) const {
    torch::NoGradGuard no_grad;
    const std::vector<std::int64_t> bias_sizes{spec.c_out};
    return at::convolution_backward(tdy, tx, tw, at::OptionalIntArrayRef(bias_sizes), stride(), padding(), {1, 1},
                                    false, {0, 0}, 1, mask);
  }
#endif

  const std::array<std::string, 4>& check() {
    if (verdicts) return *verdicts;
    verdicts.emplace();
#ifdef TAPEGRAD_BENCH_TORCH
    tg::NoGradGuard no_grad;
    const auto [dx, dw, db] = torch_backward({true, true, true});
    auto& v = *verdicts;
    v[0] = compare(tg::conv2d(x, w, b, opts), torch_forward());
    v[1] = compare(tg::conv2d_input_grad(dy, w, {spec.h, spec.h}, opts), dx);
    v[2] = compare(tg::conv2d_weight_grad(x, dy, {spec.k, spec.k}, opts), dw);
    v[3] = combine({v[0], v[1], v[2], compare(tg::sum(dy, {0, 2, 3}), db)});
#endif
    return *verdicts;
  }
};

const char* const kVariants[4] = {"fwd", "input-grad", "weight-grad", "fwd+bwd"};

CaseGroup conv_group(const ConvSpec& spec) {
  CaseGroup group;
  for (const char* v : kVariants) group.names.push_back(spec.name() + " " + v);
  group.make = [spec, names = group.names] {
    auto d = std::make_shared<ConvData>(spec);
    std::vector<Variant> out(4);
    for (int i = 0; i < 4; ++i) {
      out[i].name = names[static_cast<std::size_t>(i)];
      out[i].work = spec.flops() * (i == 3 ? 3 : 1);
      out[i].check = [d, i] { return d->check()[static_cast<std::size_t>(i)]; };
    }
    out[0].tapegrad = [d] { d->tg_forward(); };
    out[1].tapegrad = [d] { d->tg_input_grad(); };
    out[2].tapegrad = [d] { d->tg_weight_grad(); };
    out[3].tapegrad = [d] { d->tg_all(); };
#ifdef TAPEGRAD_BENCH_TORCH
    out[0].torch = [d] { d->torch_forward(); };
    out[1].torch = [d] { d->torch_backward({true, false, false}); };
    out[2].torch = [d] { d->torch_backward({false, true, false}); };
    out[3].torch = [d] {
      d->torch_forward();
      d->torch_backward({true, true, true});
    };
#endif
    return out;
  };
  return group;
}

}  // namespace

std::vector<CaseGroup> conv_cases() {
  const ConvSpec specs[] = {
      {"lenet-c1", 64, 1, 6, 28, 5, 1, 2},
      {"lenet-c2", 64, 6, 16, 14, 5, 1, 0},
      {"mnist-c1", 64, 1, 32, 28, 3, 1, 1},
      {"mnist-c2", 64, 32, 64, 14, 3, 1, 1},
      {"resnet", 8, 64, 64, 56, 3, 1, 1},
      {"resnet", 8, 128, 128, 28, 3, 1, 1},
      {"resnet", 8, 256, 256, 14, 3, 1, 1},
      {"resnet", 8, 512, 512, 7, 3, 1, 1},
      {"resnet-down", 8, 64, 128, 56, 3, 2, 1},
      {"resnet-down", 8, 64, 128, 56, 1, 2, 0},
      // The stem: one large kernel on three channels, where FFT convolution is said to pay
      // (docs/convolution.md counts the operations).
      {"resnet-stem", 8, 3, 64, 224, 7, 2, 3},
      {"resnet-stem", 8, 3, 64, 112, 7, 2, 3},
  };
  std::vector<CaseGroup> groups;
  for (const ConvSpec& s : specs) groups.push_back(conv_group(s));
  return groups;
}

}  // namespace tg::bench
