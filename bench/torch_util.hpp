// libtorch glue for the cases: views of tapegrad data as torch tensors, the comparison,
// and the thread setting of libtorch's OpenMP pool.
#pragma once

#ifdef TAPEGRAD_BENCH_TORCH

#include <ATen/Version.h>
#include <torch/torch.h>

#include <string>

#include "bench/cases.hpp"
#include "tensor/tensor.hpp"

namespace tg::bench {

// A torch view of a contiguous float32 tapegrad tensor (no copy: `t` must outlive it).
inline torch::Tensor as_torch(const tg::Tensor& t) {
  return torch::from_blob(t.data<float>(), at::IntArrayRef(t.shape()), torch::kFloat);
}

// tapegrad's result against libtorch's, both float32 or both float64.
inline std::string compare(const tg::Tensor& got, const torch::Tensor& want, double tolerance = 1e-4) {
  if (std::vector<std::int64_t>(want.sizes().begin(), want.sizes().end()) != got.shape()) return "FAIL shape";
  const torch::Tensor w = want.contiguous();
  if (want.scalar_type() == torch::kDouble) {
    const tg::Tensor g = got.clone_as(tg::DType::Float64);
    return verdict(relative_error(g.data<double>(), w.data_ptr<double>(), g.numel()), tolerance);
  }
  const tg::Tensor g = got.is_contiguous() ? got : got.clone_as(tg::DType::Float32);
  return verdict(relative_error(g.data<float>(), w.data_ptr<float>(), g.numel()), tolerance);
}

// libtorch's OpenMP pool gets `threads`; each OpenMP thread then sets FTZ/DAZ. Returns how
// many of libtorch's threads had them set afterwards.
inline int set_torch_threads(int threads, void (*flush)(), bool (*flushed)()) {
  torch::set_num_threads(threads);
  // at::parallel_for over `threads` items with grain 1 gives each OpenMP thread one item.
  at::parallel_for(0, threads, 1, [&](std::int64_t, std::int64_t) { flush(); });
  std::atomic<int> ok{0};
  at::parallel_for(0, threads, 1, [&](std::int64_t b, std::int64_t e) {
    if (flushed()) ok += static_cast<int>(e - b);
  });
  return ok.load();
}

}  // namespace tg::bench

#endif  // TAPEGRAD_BENCH_TORCH
