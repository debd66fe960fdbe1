#include "ops/registry.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <shared_mutex>

#include "autograd/anomaly.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/tape.hpp"

namespace tg {

// ---- ForwardContext ----

ForwardContext::ForwardContext(const OpDef& op, std::span<const Tensor> inputs, const std::any& attrs, bool recording)
    : op_(op), inputs_(inputs), attrs_(attrs), recording_(recording) {}

const std::string& ForwardContext::op_name() const { return op_.name; }

const Tensor& ForwardContext::input(std::size_t i) const {
  TG_CHECK(i < inputs_.size(), IndexError, "{}: input {} requested but {} given", op_.name, i, inputs_.size());
  return inputs_[i];
}

bool ForwardContext::needs_input_grad(std::size_t i) const {
  return recording_ && i < inputs_.size() && inputs_[i].defined() && inputs_[i].requires_grad();
}

void ForwardContext::save(const Tensor& t) {
  if (!recording_) return;
  const auto input = std::find_if(inputs_.begin(), inputs_.end(), [&](const Tensor& in) { return in.is_same(t); });
  saved_.push_back({.tensor = t,
                    .input = input == inputs_.end() ? std::nullopt
                                                    : std::optional(static_cast<std::size_t>(input - inputs_.begin()))});
}

// ---- OpSample ----

bool OpSample::zero_size() const {
  return std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.defined() && t.numel() == 0; });
}

// ---- OpRegistry ----

struct OpRegistry::State {
  mutable std::shared_mutex mutex;
  std::deque<OpDef> ops;  // deque: references stay valid as ops are added
};

OpRegistry::OpRegistry() : state_(std::make_unique<State>()) {}
OpRegistry::~OpRegistry() = default;

const OpDef& OpRegistry::add(OpDef def) {
  TG_CHECK(!def.name.empty(), ValueError, "register_op: an op needs a name");
  TG_CHECK(static_cast<bool>(def.forward), ValueError, "register_op: op '{}' has no forward", def.name);
  std::unique_lock lock(state_->mutex);
  const bool duplicate =
      std::any_of(state_->ops.begin(), state_->ops.end(), [&](const OpDef& op) { return op.name == def.name; });
  TG_CHECK(!duplicate, ValueError, "register_op: an op named '{}' is already registered", def.name);
  state_->ops.push_back(std::move(def));
  return state_->ops.back();
}

const OpDef* OpRegistry::find(std::string_view name) const {
  std::shared_lock lock(state_->mutex);
  for (const OpDef& op : state_->ops) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

const OpDef& OpRegistry::get(std::string_view name) const {
  const OpDef* op = find(name);
  TG_CHECK(op != nullptr, ValueError, "registry: no op named '{}'", name);
  return *op;
}

std::vector<const OpDef*> OpRegistry::ops() const {
  std::shared_lock lock(state_->mutex);
  std::vector<const OpDef*> out;
  for (const OpDef& op : state_->ops) out.push_back(&op);
  return out;
}

OpRegistry& registry() {
  static OpRegistry* instance = [] {
    auto* r = new OpRegistry();  // never destroyed: ops may run during static destruction
    register_builtin_ops(*r);
    return r;
  }();
  return *instance;
}

const OpDef& register_op(OpDef def) { return registry().add(std::move(def)); }

// ---- dispatch ----

Tensor call(const OpDef& op, std::vector<Tensor> inputs, std::any attrs) {
  TG_CHECK(op.arity < 0 || static_cast<int>(inputs.size()) == op.arity, ValueError, "{}: expected {} inputs, got {}",
           op.name, op.arity, inputs.size());
  const bool recording = op.backward && is_grad_enabled() && autograd::any_requires_grad(inputs);
  ForwardContext ctx(op, inputs, attrs, recording);
  Tensor output;
  {
    NoGradGuard no_grad;  // the forward's internal ops are not recorded; the op is one node
    output = op.forward(ctx);
  }
  TG_CHECK(output.defined(), ValueError, "{}: forward returned an undefined tensor", op.name);
  if (recording && output.is_floating_point()) {
    autograd::record(op.name, inputs, output, ctx.take_saved(), ctx.saves_output(), std::move(attrs), op.backward);
    if (is_anomaly_enabled()) autograd::check_forward_anomaly(inputs, output);
  } else if (output.impl().autograd != nullptr) {
    output = raw::alias(output);  // e.g. a forward that returned an input unchanged
  }
  return output;
}

Tensor call(std::string_view name, std::vector<Tensor> inputs, std::any attrs) {
  return call(registry().get(name), std::move(inputs), std::move(attrs));
}

}  // namespace tg
