#include "bench/graph_variants.hpp"

#include <memory>

#include "autograd/grad_mode.hpp"
#include "bench/torch_util.hpp"
#include "tensor/random.hpp"

namespace tg::bench {

std::vector<std::string> graph_variant_names(const std::string& name) { return {name + " fwd", name + " fwd+bwd"}; }

std::vector<Variant> graph_variants(const std::string& name, GraphWork work, TgGraph tapegrad, TorchGraph torch) {
  struct State {
    TgGraph tg_graph;
    TorchGraph torch_graph;
    tg::Tensor grad_output;  // the fixed upstream gradient of the output
#ifdef TAPEGRAD_BENCH_TORCH
    torch::Tensor torch_grad_output;
#endif
  };
  auto s = std::make_shared<State>();
  s->tg_graph = std::move(tapegrad);
  s->torch_graph = std::move(torch);
  {
    tg::NoGradGuard no_grad;
    tg::Generator gen(4242);
    s->grad_output = tg::randn(s->tg_graph.forward().shape(), gen);
  }
#ifdef TAPEGRAD_BENCH_TORCH
  s->torch_grad_output = as_torch(s->grad_output).clone();
#endif
  const std::vector<std::string> names = graph_variant_names(name);

  Variant fwd;
  fwd.name = names[0];
  fwd.work = work.forward;
  fwd.bound = work.bound;
  fwd.tapegrad = [s] {
    tg::NoGradGuard no_grad;
    s->tg_graph.forward();
  };
  Variant both;
  both.name = names[1];
  both.work = work.forward_backward;
  both.bound = work.bound;
  // Gradients are dropped before each call on both sides, so that none accumulates.
  both.tapegrad = [s] {
    for (const tg::Tensor& leaf : s->tg_graph.leaves) leaf.zero_grad();
    s->tg_graph.forward().backward(s->grad_output);
  };
#ifdef TAPEGRAD_BENCH_TORCH
  fwd.torch = [s] {
    torch::NoGradGuard no_grad;
    s->torch_graph.forward();
  };
  both.torch = [s] {
    for (torch::Tensor& leaf : s->torch_graph.leaves) leaf.mutable_grad().reset();
    s->torch_graph.forward().backward(s->torch_grad_output);
  };
  // One check serves both variants: the output, then every leaf's gradient.
  auto verdicts = std::make_shared<std::string>();
  const auto check = [s, verdicts] {
    if (!verdicts->empty()) return *verdicts;
    for (const tg::Tensor& leaf : s->tg_graph.leaves) leaf.zero_grad();
    for (torch::Tensor& leaf : s->torch_graph.leaves) leaf.mutable_grad().reset();
    const tg::Tensor out = s->tg_graph.forward();
    const torch::Tensor want = s->torch_graph.forward();
    std::vector<std::string> v{compare(out.detach(), want.detach())};
    out.backward(s->grad_output);
    want.backward(s->torch_grad_output);
    for (std::size_t i = 0; i < s->tg_graph.leaves.size(); ++i)
      v.push_back(compare(s->tg_graph.leaves[i].grad(), s->torch_graph.leaves[i].grad()));
    *verdicts = combine(v);
    return *verdicts;
  };
  fwd.check = check;
  both.check = check;
#endif
  return {fwd, both};
}

}  // namespace tg::bench
