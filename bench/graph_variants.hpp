// The two variants of a differentiable case: `fwd` (the forward alone, without recording)
// and `fwd+bwd` (the forward recorded, then backward from a fixed random output gradient
// into every leaf). The check runs the recorded forward and backward once on each side and
// compares the outputs and every leaf's gradient.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/cases.hpp"
#include "tensor/tensor.hpp"

#ifdef TAPEGRAD_BENCH_TORCH
#include <torch/torch.h>
#endif

namespace tg::bench {

// The forward of one side and the leaves whose gradients fwd+bwd computes.
struct TgGraph {
  std::function<tg::Tensor()> forward;
  std::vector<tg::Tensor> leaves;  // each requires grad
};

#ifdef TAPEGRAD_BENCH_TORCH
struct TorchGraph {
  std::function<torch::Tensor()> forward;
  std::vector<torch::Tensor> leaves;  // in the order of TgGraph::leaves
};
#else
struct TorchGraph {};
#endif

struct GraphWork {
  double forward = 0;  // flops or bytes per call of the forward
  double forward_backward = 0;
  Bound bound = Bound::flops;
};

// "<name> fwd" and "<name> fwd+bwd".
std::vector<std::string> graph_variant_names(const std::string& name);
std::vector<Variant> graph_variants(const std::string& name, GraphWork work, TgGraph tapegrad, TorchGraph torch);

}  // namespace tg::bench
