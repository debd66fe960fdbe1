// The op registry: every op, built-in or user-defined, is one OpDef.
//
// An OpDef bundles what tapegrad needs to run, differentiate and verify an op:
//   forward    computes the output (shape checks included) and saves what backward needs;
//   backward   returns one gradient per input, written with tensor ops so that it can
//              itself be differentiated (create_graph); skips inputs that need none;
//   reference  optionally, the same function composed from other registered ops, which
//              the verifier compares against (forward values and all gradients);
//   samples    float64 sample inputs that drive gradcheck / gradgradcheck for this op.
// `call` runs the forward with recording off and, when an input requires grad, appends
// one node to the tape.
#pragma once

#include <any>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "autograd/node.hpp"
#include "tensor/tensor.hpp"

namespace tg {

struct OpDef;

struct OpSample {
  std::string label{};         // e.g. "stride 2, padding 1"
  std::vector<Tensor> inputs{};  // float64 for differentiable inputs; requires_grad marks what is checked
  std::any attrs{};            // the op's attribute struct, as `call` takes it
  // The sample's gradients are zero on purpose (e.g. x^0): gradcheck's vacuity rule, which
  // fails checks that compare only zeros, is waived for it.
  bool allow_vacuous = false;
  // The exact forward result, for a value that neither gradients nor a reference pin down:
  // an empty sum is 0, an empty mean NaN, a product over an empty inner dimension zeros.
  Tensor expected{};
  // Set for inputs the op rejects as PyTorch does (max over an empty dim): the forward must
  // throw exactly this tg:: error type, e.g. &typeid(ValueError); nothing else is checked.
  const std::type_info* rejects = nullptr;

  // Some input has no elements. The verifier requires of every op a sample with an empty
  // input or output (see verify.hpp).
  bool zero_size() const;
};

class ForwardContext {
 public:
  ForwardContext(const OpDef& op, std::span<const Tensor> inputs, const std::any& attrs, bool recording);
  const std::string& op_name() const;
  std::size_t num_inputs() const { return inputs_.size(); }
  const Tensor& input(std::size_t i) const;
  std::span<const Tensor> inputs() const { return inputs_; }
  template <class Attrs>
  const Attrs& attrs() const {
    const Attrs* a = std::any_cast<Attrs>(&attrs_);
    TG_CHECK(a != nullptr, ValueError, "{}: called with attributes of the wrong type", op_name());
    return *a;
  }
  // True when a node will be recorded, i.e. when saving anything is worthwhile.
  bool recording() const { return recording_; }
  bool needs_input_grad(std::size_t i) const;
  // Keeps a tensor for backward: an input, or an intermediate the forward computed. Never
  // pass the output: use save_output(), which keeps it without a reference cycle.
  //
  // Save inputs (or the output), not intermediates, when the backward differentiates
  // through the tensor. An intermediate has no autograd history, so under create_graph the
  // backward treats it as a constant and the second derivative silently loses its part
  // (e.g. a Huber loss saving clamp(x) gets zero second derivative). Recompute it from the
  // saved inputs in backward instead. Intermediates the backward only reads as constants
  // (indices, masks, statistics of integer data) are fine. verify_op's gradgradcheck
  // catches the mistake and names the saved intermediate; an op that is not meant to be
  // differentiated twice sets OpDef::twice_differentiable = false.
  //
  // Writing into a saved tensor in place before backward makes backward throw.
  void save(const Tensor& t);
  void save_output() { saves_output_ = true; }

  std::vector<SavedTensor> take_saved() { return std::move(saved_); }
  bool saves_output() const { return saves_output_; }

 private:
  const OpDef& op_;
  std::span<const Tensor> inputs_;
  const std::any& attrs_;
  bool recording_;
  std::vector<SavedTensor> saved_;
  bool saves_output_ = false;
};

using ForwardFn = std::function<Tensor(ForwardContext&)>;
using ReferenceFn = std::function<Tensor(std::span<const Tensor>, const std::any&)>;
using SamplesFn = std::function<std::vector<OpSample>()>;

struct OpDef {
  std::string name{};
  int arity = -1;  // number of tensor inputs; -1 for variadic (cat, stack)
  ForwardFn forward{};
  BackwardFn backward{};              // empty: not differentiable
  ReferenceFn reference{};            // optional
  SamplesFn samples{};                // required for registration checks
  bool twice_differentiable = true;   // false: gradgradcheck is skipped (say why in the op file)
  std::string summary{};              // one line for `tapegrad ops`
};

class OpRegistry {
 public:
  OpRegistry();
  ~OpRegistry();
  OpRegistry(const OpRegistry&) = delete;
  OpRegistry& operator=(const OpRegistry&) = delete;

  // Throws ValueError for a duplicate name or a missing forward.
  const OpDef& add(OpDef def);
  const OpDef* find(std::string_view name) const;
  const OpDef& get(std::string_view name) const;  // throws ValueError naming the op
  std::vector<const OpDef*> ops() const;           // in registration order

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The process-wide registry, holding every built-in op from first use on.
OpRegistry& registry();
const OpDef& register_op(OpDef def);

Tensor call(const OpDef& op, std::vector<Tensor> inputs, std::any attrs = {});
Tensor call(std::string_view name, std::vector<Tensor> inputs, std::any attrs = {});

// Registers the built-in ops (one explicit list per family, see builtin_ops.cpp).
void register_builtin_ops(OpRegistry& registry);

}  // namespace tg
