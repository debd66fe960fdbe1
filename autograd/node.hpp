// The tape's unit: one recorded op application.
//
// Ownership mirrors the data flow: a tensor produced by a recorded op owns its Node
// (AutogradMeta::grad_fn); a Node owns the autograd identities of its inputs (edges),
// so a live result keeps exactly the graph behind it alive. The Node refers to its own
// output only weakly, which breaks the cycle output -> node -> output; when the forward
// saved its output, the Node also keeps the output's data (an alias without autograd
// identity), so backward can rebuild the output after the caller dropped it.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "autograd/hooks.hpp"
#include "tensor/tensor.hpp"

namespace tg {

struct Node;

// Per-tensor autograd state. A tensor with requires_grad and no grad_fn is a leaf.
struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;                    // accumulated gradient (leaves)
  std::shared_ptr<Node> grad_fn;  // the node that produced this tensor (non-leaves)
  std::vector<std::pair<std::uint64_t, GradReadyHook>> grad_ready_hooks;  // leaves: by id (autograd/hooks.hpp)
};

struct InputInfo {
  Shape shape;
  DType dtype = DType::Float32;
  bool needs_grad = false;
};

// What a backward rule sees: the tensors the forward saved by name, the output (if the
// forward asked to keep it), and which inputs need a gradient. (The attributes reach the
// rule typed, as an argument: see OpDef in ops/registry.hpp.)
class BackwardContext {
 public:
  explicit BackwardContext(const Node& node) : node_(node) {}
  const std::string& op_name() const;
  // The tensor the forward saved under `name`; throws AutogradError for a name it did not
  // save, and when the tensor was written in place since.
  const Tensor& saved(std::string_view name) const;
  // The attributes, type-erased: only OpDef's typed wrapper reads them.
  const std::any& erased_attrs() const;
  Tensor output() const;  // requires the forward to have called save_output()
  std::size_t num_inputs() const;
  bool needs_input_grad(std::size_t i) const;
  const Shape& input_shape(std::size_t i) const;
  DType input_dtype(std::size_t i) const;

 private:
  const Node& node_;
};

// A tensor kept for backward (ForwardContext::save): which input it is, if it is one, and the
// version of its data when the node was recorded. An intermediate the forward computed has
// no autograd history, so a backward that uses it treats it as a constant.
struct SavedTensor {
  std::string name;  // as the forward saved it, for BackwardContext::saved(name)
  Tensor tensor;
  std::optional<std::size_t> input;  // empty for an intermediate
  std::uint64_t version = 0;
};

// Returns one gradient per input; an undefined Tensor where no gradient is needed/exists.
using BackwardFn = std::function<std::vector<Tensor>(const BackwardContext&, const Tensor& grad_output)>;

struct Node : std::enable_shared_from_this<Node> {
  std::string name;
  std::vector<std::shared_ptr<AutogradMeta>> edges;  // per input; null if it needs no grad
  std::vector<InputInfo> inputs;
  std::vector<SavedTensor> saved;
  std::weak_ptr<TensorImpl> output;
  Tensor output_data;  // set when saves_output: the output's data, without autograd identity
  bool saves_output = false;
  std::uint64_t output_version = 0;  // the output's version when recorded (if saves_output)
  std::any attrs;
  BackwardFn backward;
  std::uint64_t sequence = 0;  // recording order, over all threads (see tape.hpp)
  bool released = false;       // saved tensors freed by a backward without retain_graph
  std::string label;           // the AnomalyLabel scope it was recorded in, kept in anomaly mode only
};

}  // namespace tg
