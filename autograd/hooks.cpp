#include "autograd/hooks.hpp"

#include <algorithm>
#include <atomic>

#include "autograd/node.hpp"

namespace tg {
namespace {

// Hooks registered and not removed. A leaf that dies with hooks on it leaves this high, which
// costs only the walk it gates.
std::atomic<std::int64_t> registered_hooks{0};
std::atomic<std::uint64_t> next_hook_id{1};
thread_local autograd::BackwardCallbackScope* current_scope = nullptr;

}  // namespace

std::uint64_t register_grad_ready_hook(const Tensor& leaf, GradReadyHook hook) {
  TG_CHECK(leaf.defined() && leaf.requires_grad() && leaf.is_leaf(), AutogradError,
           "register_grad_ready_hook: the tensor must be a leaf that requires grad (shape {})",
           leaf.defined() ? leaf.shape() : Shape{});
  TG_CHECK(static_cast<bool>(hook), ValueError, "register_grad_ready_hook: empty hook");
  const std::uint64_t id = next_hook_id.fetch_add(1);
  leaf.impl().autograd->grad_ready_hooks.emplace_back(id, std::move(hook));
  registered_hooks.fetch_add(1);
  return id;
}

void remove_grad_ready_hook(const Tensor& leaf, std::uint64_t id) {
  if (!leaf.defined() || !leaf.impl().autograd) return;
  auto& hooks = leaf.impl().autograd->grad_ready_hooks;
  const auto removed = std::erase_if(hooks, [id](const auto& entry) { return entry.first == id; });
  registered_hooks.fetch_sub(static_cast<std::int64_t>(removed));
}

void queue_backward_callback(std::function<void()> callback) {
  TG_CHECK(current_scope != nullptr, AutogradError,
           "queue_backward_callback: called outside backward() (call it from a grad-ready hook)");
  current_scope->queue(std::move(callback));
}

namespace autograd {

bool any_grad_ready_hooks() { return registered_hooks.load(std::memory_order_relaxed) > 0; }

BackwardCallbackScope::BackwardCallbackScope() : enclosing_(current_scope) { current_scope = this; }

BackwardCallbackScope::~BackwardCallbackScope() { current_scope = enclosing_; }

void BackwardCallbackScope::run() {
  // By index: a callback may queue another, which then runs in this same pass.
  for (std::size_t i = 0; i < callbacks_.size(); ++i) {
    std::function<void()> callback = std::move(callbacks_[i]);
    callback();
  }
  callbacks_.clear();
}

}  // namespace autograd
}  // namespace tg
