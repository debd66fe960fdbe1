#include "autograd/tape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "autograd/anomaly.hpp"

namespace tg {
namespace {
// Relaxed suffices: a tensor handed to another thread is handed over with synchronisation,
// which orders its producer's increment before any consumer's (read-modify-writes of one
// atomic follow a single order consistent with happens-before).
std::atomic<std::uint64_t> next_sequence{1};
}  // namespace

void Tape::append(const std::shared_ptr<Node>& node) {
  node->sequence = next_sequence.fetch_add(1, std::memory_order_relaxed);
  if (entries_.size() >= compact_at_) {
    compact();
    compact_at_ = std::max<std::size_t>(4096, 2 * entries_.size());
  }
  entries_.push_back({node->sequence, node});
}

std::size_t Tape::live_size() const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return !e.node.expired(); }));
}

void Tape::compact() {
  std::erase_if(entries_, [](const Entry& e) { return e.node.expired(); });
}

Tape& current_tape() {
  thread_local Tape tape;
  return tape;
}

namespace autograd {

bool any_requires_grad(std::span<const Tensor> inputs) {
  return std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.defined() && t.requires_grad(); });
}

void record(std::string_view name, std::span<const Tensor> inputs, Tensor& output, std::vector<SavedTensor> saved,
            bool saves_output, std::any attrs, BackwardFn backward) {
  TG_CHECK(output.is_floating_point(), AutogradError, "{}: only floating-point outputs can require grad, got {}", name,
           output.dtype());
  if (output.impl().autograd != nullptr ||
      std::any_of(inputs.begin(), inputs.end(), [&](const Tensor& t) { return t.defined() && t.is_same(output); })) {
    output = raw::alias(output);
  }
  auto node = std::make_shared<Node>();
  node->name = std::string(name);
  node->edges.reserve(inputs.size());
  node->inputs.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    const bool needs = t.defined() && t.requires_grad();
    node->edges.push_back(needs ? t.impl().autograd : nullptr);
    node->inputs.push_back(t.defined() ? InputInfo{t.shape(), t.dtype(), needs} : InputInfo{});
  }
  node->saved = std::move(saved);
  for (SavedTensor& s : node->saved) s.version = s.tensor.defined() ? s.tensor.version() : 0;
  node->saves_output = saves_output;
  node->output = output.impl_ptr();
  if (saves_output) {
    node->output_data = raw::alias(output);
    node->output_version = output.version();
  }
  node->attrs = std::move(attrs);
  node->backward = std::move(backward);
  if (is_anomaly_enabled()) node->label = current_anomaly_label();
  auto meta = std::make_shared<AutogradMeta>();
  meta->requires_grad = true;
  meta->grad_fn = node;
  output.impl().autograd = std::move(meta);
  current_tape().append(node);
}

}  // namespace autograd

// ---- BackwardContext ----

namespace {

// A saved tensor written in place since it was saved would give a silently wrong gradient.
// `what` names it for the message: "input 1", "the output", ...
template <class What>
void check_unmodified(const Node& node, const Tensor& t, std::uint64_t saved_version, What what) {
  if (!t.defined()) return;  // a forward may save an absent optional input
  TG_CHECK(t.version() == saved_version, AutogradError,
           "{}: a tensor saved for backward ({}, shape {}) was modified in place: saved at version {}, now version {}",
           node.name, what(), t.shape(), saved_version, t.version());
}

}  // namespace

const std::string& BackwardContext::op_name() const { return node_.name; }
const Tensor& BackwardContext::saved(std::string_view name) const {
  const auto s =
      std::find_if(node_.saved.begin(), node_.saved.end(), [&](const SavedTensor& t) { return t.name == name; });
  TG_CHECK(s != node_.saved.end(), AutogradError, "{}: backward asked for a saved tensor '{}' the forward did not save",
           node_.name, name);
  check_unmodified(node_, s->tensor, s->version, [&] {
    return s->input ? fmt::format("input {}", *s->input) : fmt::format("saved tensor '{}', an intermediate", name);
  });
  return s->tensor;
}
const std::any& BackwardContext::erased_attrs() const { return node_.attrs; }
Tensor BackwardContext::output() const {
  TG_CHECK(node_.saves_output, AutogradError, "{}: backward uses the output but the forward did not save it",
           node_.name);
  if (auto impl = node_.output.lock()) {
    Tensor out(std::move(impl));
    check_unmodified(node_, out, node_.output_version, [] { return "the output"; });
    return out;
  }
  // The caller dropped the output: rebuild it from the kept data, as a result of this node,
  // so that gradients of the backward (create_graph) still flow through it.
  TG_CHECK(node_.output_data.defined(), AutogradError, "{}: the saved output was already freed", node_.name);
  check_unmodified(node_, node_.output_data, node_.output_version, [] { return "the output"; });
  auto impl = std::make_shared<TensorImpl>(node_.output_data.impl());
  auto meta = std::make_shared<AutogradMeta>();
  meta->requires_grad = true;
  meta->grad_fn = std::const_pointer_cast<Node>(node_.shared_from_this());
  impl->autograd = std::move(meta);
  return Tensor(std::move(impl));
}
std::size_t BackwardContext::num_inputs() const { return node_.inputs.size(); }
bool BackwardContext::needs_input_grad(std::size_t i) const {
  return i < node_.inputs.size() && node_.inputs[i].needs_grad;
}
const Shape& BackwardContext::input_shape(std::size_t i) const { return node_.inputs.at(i).shape; }
DType BackwardContext::input_dtype(std::size_t i) const { return node_.inputs.at(i).dtype; }

}  // namespace tg
