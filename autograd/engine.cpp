#include "autograd/engine.hpp"

#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "autograd/anomaly.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/hooks.hpp"
#include "autograd/tape.hpp"

namespace tg {
namespace {

// A gradient gathered from the terms sent to one tensor. `owned` says that `sum` is a buffer
// the replay created (by an earlier out-of-place sum) and has not handed to anyone yet: a
// later term may then be added into it in place, as PyTorch's InputBuffer does, which spares
// a new tensor per term (a recurrent weight used at every step gets one term per step).
// A term received from a backward is never written: it may alias another gradient (add's
// backward passes g to both inputs) or a tensor the user holds.
struct GradSum {
  Tensor sum;
  bool owned = false;

  // sum += g with the same bits either way (the same elementwise add, terms in the same
  // order). With grad mode on (create_graph), the sum is recorded instead, so that the
  // accumulation is differentiated too, and always built out of place.
  void add(const Tensor& g) {
    if (!sum.defined()) {
      sum = g;
      owned = false;
      return;
    }
    if (owned && !is_grad_enabled() && sum.dtype() == g.dtype()) {
      raw::add_into(sum, sum, g);
      return;
    }
    Tensor out = raw::add(sum, g);
    const std::vector<Tensor> inputs{sum, g};
    if (is_grad_enabled() && autograd::any_requires_grad(inputs)) {
      autograd::record("accumulate_grad", inputs, out, {}, false, {},
                       [](const BackwardContext& ctx, const Tensor& grad) -> std::vector<Tensor> {
                         return {ctx.needs_input_grad(0) ? grad : Tensor(), ctx.needs_input_grad(1) ? grad : Tensor()};
                       });
    }
    sum = std::move(out);
    owned = !is_grad_enabled();
  }
};

// A node waiting for its backward, with the gradient of its output gathered so far.
struct Pending {
  std::shared_ptr<Node> node;
  GradSum grad_output;
  int contributions = 0;  // more than one: grad_output is a sum computed here
};

// A leaf's gradient in one backward: the sum of the terms sent to it, and once its grad-ready
// hooks have run, the total they saw (its earlier .grad() plus the sum), which backward()
// then stores as is.
struct LeafGrad {
  std::shared_ptr<AutogradMeta> meta;
  GradSum sum;
  std::optional<Tensor> total;
};

// The sum of a leaf's earlier .grad() and this backward's gradient g. The .grad() a user holds
// is never written: accumulating starts a new sum.
Tensor accumulated(const AutogradMeta& meta, Tensor g, const BackwardOptions& options) {
  if (!options.create_graph && g.requires_grad()) g = g.detach();
  GradSum total{meta.grad};
  total.add(g);
  return std::move(total.sum);
}

struct Replay {
  BackwardOptions options;
  // By sequence, newest first. Every consumer of a node was recorded after it (on whichever
  // thread), so when a node comes first here, all the gradient it will receive has arrived.
  std::map<std::uint64_t, Pending, std::greater<>> pending{};
  std::map<std::uint64_t, LeafGrad> leaves{};  // by first arrival
  std::uint64_t leaf_order = 0;
  std::unordered_map<const AutogradMeta*, std::uint64_t> leaf_index{};
  std::unordered_map<const Node*, Tensor> captured{};  // for grad(): gradients of intermediates
  // Leaves with grad-ready hooks (backward() only): how many senders (reachable nodes with an
  // edge to them, and roots that are the leaf itself) have still to run.
  std::unordered_map<const AutogradMeta*, int> senders_left{};

  void send(const std::shared_ptr<AutogradMeta>& meta, const Tensor& g) {
    if (meta->grad_fn) {
      Pending& slot = pending[meta->grad_fn->sequence];
      slot.node = meta->grad_fn;
      slot.grad_output.add(g);
      ++slot.contributions;
      return;
    }
    auto [it, inserted] = leaf_index.try_emplace(meta.get(), leaf_order);
    if (inserted) ++leaf_order;
    auto& entry = leaves[it->second];
    entry.meta = meta;
    entry.sum.add(g);
  }

  // Counts, for every leaf with grad-ready hooks, the senders that can reach it from the roots.
  void count_hooked_senders(const std::vector<Tensor>& roots) {
    std::vector<const Node*> stack;
    std::unordered_set<const Node*> seen;
    auto visit = [&](const std::shared_ptr<AutogradMeta>& meta) {
      if (!meta) return;
      if (meta->grad_fn) {
        if (seen.insert(meta->grad_fn.get()).second) stack.push_back(meta->grad_fn.get());
      } else if (!meta->grad_ready_hooks.empty()) {
        ++senders_left[meta.get()];
      }
    };
    for (const Tensor& root : roots)
      if (root.defined()) visit(root.impl().autograd);
    while (!stack.empty()) {
      const Node* node = stack.back();
      stack.pop_back();
      for (const auto& edge : node->edges) visit(edge);
    }
  }

  // A sender of `meta` has run: when it was the last, the leaf's hooks see its total now.
  void sender_done(const std::shared_ptr<AutogradMeta>& meta) {
    if (!meta || meta->grad_fn) return;
    const auto left = senders_left.find(meta.get());
    if (left == senders_left.end() || --left->second > 0) return;
    senders_left.erase(left);
    run_hooks(*meta);
  }

  void run_hooks(const AutogradMeta& meta) {
    const auto index = leaf_index.find(&meta);
    if (index == leaf_index.end()) return;  // no gradient reached it in this backward
    LeafGrad& leaf = leaves[index->second];
    leaf.total = accumulated(meta, leaf.sum.sum, options);
    for (const auto& [id, hook] : meta.grad_ready_hooks) hook(*leaf.total);
  }
};

Tensor default_root_grad(const Tensor& root, const Tensor& given, std::size_t i) {
  if (given.defined()) {
    TG_CHECK(given.shape() == root.shape(), ShapeError, "backward: grad_output {} has shape {} but output has shape {}",
             i, given.shape(), root.shape());
    return given;
  }
  TG_CHECK(root.numel() == 1, AutogradError,
           "backward: output {} has shape {}; a gradient must be given for a non-scalar output", i, root.shape());
  return ones(root.shape(), {.dtype = root.dtype()});
}

// Replays the recorded nodes that the roots reach, newest first: the tape's order without
// visiting what the roots do not reach, and with no regard to which thread's tape a node
// is on (sequences are global).
void run(Replay& replay, const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots) {
  TG_CHECK(grad_roots.empty() || grad_roots.size() == roots.size(), ValueError,
           "backward: {} outputs but {} output gradients", roots.size(), grad_roots.size());
  GradModeGuard mode(replay.options.create_graph);
  const bool anomaly = is_anomaly_enabled();
  for (std::size_t i = 0; i < roots.size(); ++i) {
    const Tensor& root = roots[i];
    TG_CHECK(root.defined() && root.requires_grad(), AutogradError,
             "backward: output {} does not require grad (no input requires grad, or it was computed under NoGradGuard)",
             i);
    Tensor g = default_root_grad(root, grad_roots.empty() ? Tensor() : grad_roots[i], i);
    if (!replay.options.create_graph) g = g.requires_grad() ? g.detach() : g;
    if (anomaly) autograd::check_root_gradient(i, g);
    replay.send(root.impl().autograd, g);
  }
  for (const Tensor& root : roots) replay.sender_done(root.impl().autograd);

  while (!replay.pending.empty()) {
    auto newest = replay.pending.begin();
    const std::shared_ptr<Node> node = std::move(newest->second.node);
    const Tensor grad_output = std::move(newest->second.grad_output.sum);
    const bool summed = newest->second.contributions > 1;
    replay.pending.erase(newest);
    if (auto captured = replay.captured.find(node.get()); captured != replay.captured.end())
      captured->second = grad_output;
    TG_CHECK(
        !node->released, AutogradError,
        "backward: the graph through '{}' was already freed by an earlier backward; pass retain_graph = true to it",
        node->name);
    if (anomaly && summed) autograd::check_gradient_into(*node, grad_output);  // each term was checked
    std::vector<Tensor> grads = node->backward(BackwardContext(*node), grad_output);
    TG_CHECK(grads.size() == node->edges.size(), AutogradError, "{}: backward returned {} gradients for {} inputs",
             node->name, grads.size(), node->edges.size());
    if (anomaly) autograd::check_gradients_from(*node, grads);
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (!node->edges[i] || !grads[i].defined()) continue;
      TG_CHECK(grads[i].shape() == node->inputs[i].shape, AutogradError,
               "{}: backward returned a gradient of shape {} for input {} of shape {}", node->name, grads[i].shape(), i,
               node->inputs[i].shape);
      TG_CHECK(grads[i].dtype() == node->inputs[i].dtype, AutogradError,
               "{}: backward returned a {} gradient for {} input {}", node->name, grads[i].dtype(),
               node->inputs[i].dtype, i);
      replay.send(node->edges[i], grads[i]);
    }
    for (const auto& edge : node->edges) replay.sender_done(edge);
    if (!replay.options.retain_graph) {
      node->saved.clear();
      node->output_data = Tensor();
      node->released = true;
    }
  }
}

}  // namespace

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots, BackwardOptions options) {
  if (options.create_graph) options.retain_graph = true;
  autograd::BackwardCallbackScope callbacks;
  Replay replay{.options = options};
  if (autograd::any_grad_ready_hooks()) replay.count_hooked_senders(roots);
  run(replay, roots, grad_roots);
  // A leaf whose last sender never ran (no gradient reached that node) is complete now. In order
  // of first arrival, as everything over leaves here.
  for (auto& [order, leaf] : replay.leaves)
    if (replay.senders_left.erase(leaf.meta.get()) > 0) replay.run_hooks(*leaf.meta);
  // All sums first: an anomaly in one of them leaves every .grad() as it was.
  std::vector<Tensor> sums;
  for (auto& [order, leaf] : replay.leaves) {
    sums.push_back(leaf.total ? std::move(*leaf.total) : accumulated(*leaf.meta, std::move(leaf.sum.sum), options));
    if (is_anomaly_enabled()) autograd::check_leaf_gradient(leaf.meta->grad, sums.back());
  }
  std::size_t i = 0;
  for (auto& [order, leaf] : replay.leaves) leaf.meta->grad = std::move(sums[i++]);
  if (!options.retain_graph) current_tape().compact();
  callbacks.run();
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, GradOptions options) {
  BackwardOptions bo{.retain_graph = options.retain_graph || options.create_graph,
                     .create_graph = options.create_graph};
  Replay replay{.options = bo};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    TG_CHECK(inputs[i].defined() && inputs[i].requires_grad(), AutogradError, "grad: input {} does not require grad",
             i);
    const auto& meta = inputs[i].impl().autograd;
    if (meta->grad_fn) replay.captured[meta->grad_fn.get()] = Tensor();
  }
  run(replay, outputs, grad_outputs);
  std::vector<Tensor> result;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& meta = inputs[i].impl().autograd;
    Tensor g;
    if (meta->grad_fn) {
      g = replay.captured[meta->grad_fn.get()];
    } else if (auto idx = replay.leaf_index.find(meta.get()); idx != replay.leaf_index.end()) {
      g = replay.leaves[idx->second].sum.sum;
    }
    TG_CHECK(g.defined() || options.allow_unused, AutogradError,
             "grad: input {} (shape {}) is not reachable from the outputs; pass allow_unused = true", i,
             inputs[i].shape());
    if (g.defined() && !options.create_graph && g.requires_grad()) g = g.detach();
    result.push_back(g);
  }
  return result;
}

}  // namespace tg
