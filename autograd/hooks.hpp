// Hooks into backward(), for code that must act on gradients while the replay is still
// running: data-parallel training starts averaging a layer's gradients across processes
// as soon as they are final, while backward goes on through the layers below
// (nn/distributed/data_parallel.hpp). The same pair PyTorch offers as
// register_post_accumulate_grad_hook and the engine's queue_callback.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "tensor/tensor.hpp"

namespace tg {

// Receives the gradient a leaf's .grad() will hold when backward() returns: its earlier
// .grad() (if any) plus what this backward() sends it.
using GradReadyHook = std::function<void(const Tensor& grad)>;

// Runs `hook` during every later backward() (not grad(), which leaves .grad() alone) that
// sends `leaf` a gradient, once, as soon as no node still to be replayed can add to it.
// `leaf` must be a leaf tensor that requires grad. Returns an id for remove_grad_ready_hook.
std::uint64_t register_grad_ready_hook(const Tensor& leaf, GradReadyHook hook);
// Removes the hook with this id; ids that are not registered on `leaf` are ignored.
void remove_grad_ready_hook(const Tensor& leaf, std::uint64_t id);

// Runs `callback` once, after the backward() running on this thread has written every
// .grad() (callbacks in the order they were queued). Only callable during a backward(), from
// a grad-ready hook; throws AutogradError otherwise.
void queue_backward_callback(std::function<void()> callback);

namespace autograd {
// Whether any grad-ready hook is registered in the process: only then does backward() count,
// before its replay, which nodes can still reach each leaf.
bool any_grad_ready_hooks();

// The engine's side of queue_backward_callback: one scope per backward() call, nested when a
// hook runs a backward() of its own.
class BackwardCallbackScope {
 public:
  BackwardCallbackScope();
  ~BackwardCallbackScope();
  BackwardCallbackScope(const BackwardCallbackScope&) = delete;
  BackwardCallbackScope& operator=(const BackwardCallbackScope&) = delete;
  void queue(std::function<void()> callback) { callbacks_.push_back(std::move(callback)); }
  void run();  // the queued callbacks, in order (each may queue more)

 private:
  std::vector<std::function<void()>> callbacks_;
  BackwardCallbackScope* enclosing_;
};
}  // namespace autograd

}  // namespace tg
