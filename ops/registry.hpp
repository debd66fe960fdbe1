// The op registry: every op, built-in or user-defined, is one OpDef<Attrs>, typed by its
// attribute struct (NoAttrs for an op without attributes).
//
// An OpDef bundles what tapegrad needs to run, differentiate and verify an op:
//   forward    computes the output (shape checks included) and saves, by name, what
//              backward needs: Tensor(ForwardContext&, const Attrs&);
//   backward   returns one gradient per input, written with tensor ops so that it can
//              itself be differentiated (create_graph); skips inputs that need none:
//              std::vector<Tensor>(const BackwardContext&, const Tensor& grad_out, const Attrs&);
//   reference  the same function composed from other registered ops, which the verifier
//              compares against (forward values and all gradients); every op that is not
//              `elementary` has one: Tensor(std::span<const Tensor>, const Attrs&);
//   samples    float64 sample inputs, with their attributes, that drive gradcheck /
//              gradgradcheck for this op: std::vector<OpSample<Attrs>>().
// Registering an OpDef<Attrs> returns an OpHandle<Attrs>; `call(handle, inputs, attrs)` takes
// exactly that Attrs type, so a wrong attribute type does not compile. `call` runs the
// forward with recording off and, when an input requires grad, appends one node to the tape.
//
// The registry keeps each op type-erased (Op): the attributes travel as std::any and are
// cast back to Attrs in one place, the wrappers Op's constructor builds, so every function
// an op author writes sees the typed value. The verifier, `tapegrad ops` and the tests walk
// the erased ops, whose samples are OpSample<std::any>.
#pragma once

#include <any>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "autograd/node.hpp"
#include "tensor/tensor.hpp"

namespace tg {

struct Op;

// The attributes of an op that takes none.
struct NoAttrs {};

namespace detail {
bool any_empty(std::span<const Tensor> inputs);
}  // namespace detail

template <class Attrs>
struct OpSample {
  std::string label{};           // e.g. "stride 2, padding 1"
  std::vector<Tensor> inputs{};  // float64 for differentiable inputs; requires_grad marks what is checked
  Attrs attrs{};                 // the op's attributes, as `call` takes them
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
  bool zero_size() const { return detail::any_empty(inputs); }
};

class ForwardContext {
 public:
  ForwardContext(const Op& op, std::span<const Tensor> inputs, bool recording);
  const std::string& op_name() const;
  std::size_t num_inputs() const { return inputs_.size(); }
  const Tensor& input(std::size_t i) const;
  std::span<const Tensor> inputs() const { return inputs_; }
  // True when a node will be recorded, i.e. when saving anything is worthwhile.
  bool recording() const { return recording_; }
  bool needs_input_grad(std::size_t i) const;
  // Keeps a tensor for backward under `name` (BackwardContext::saved(name) reads it): an
  // input, or an intermediate the forward computed. Saving a name twice throws
  // AutogradError. Never pass the output: use save_output(), which keeps it without a
  // reference cycle.
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
  void save(std::string_view name, const Tensor& t);
  void save_output() { saves_output_ = true; }

  std::vector<SavedTensor> take_saved() { return std::move(saved_); }
  bool saves_output() const { return saves_output_; }

 private:
  const Op& op_;
  std::span<const Tensor> inputs_;
  bool recording_;
  std::vector<SavedTensor> saved_;
  bool saves_output_ = false;
};

template <class Attrs = NoAttrs>
struct OpDef {
  using ForwardFn = std::function<Tensor(ForwardContext&, const Attrs&)>;
  using BackwardFn = std::function<std::vector<Tensor>(const BackwardContext&, const Tensor& grad_out, const Attrs&)>;
  using ReferenceFn = std::function<Tensor(std::span<const Tensor>, const Attrs&)>;
  using SamplesFn = std::function<std::vector<OpSample<Attrs>>()>;

  std::string name{};
  int arity = -1;  // number of tensor inputs; -1 for variadic (cat, stack)
  ForwardFn forward{};
  BackwardFn backward{};             // empty: not differentiable
  ReferenceFn reference{};           // required unless elementary
  SamplesFn samples{};               // required for registration checks
  bool twice_differentiable = true;  // false: gradgradcheck is skipped (say why in the op file)
  // Not composed from other registered ops (a primitive of the op set): the only kind of op
  // allowed to have no reference composition.
  bool elementary = false;
  std::string summary{};  // one line for `tapegrad ops`
};

namespace detail {

// The one cast from the erased attributes back to the op's type.
template <class Attrs>
const Attrs& attrs_as(const std::any& attrs, std::string_view op_name) {
  const Attrs* a = std::any_cast<Attrs>(&attrs);
  TG_CHECK(a != nullptr, ValueError, "{}: called with attributes of the wrong type", op_name);
  return *a;
}

}  // namespace detail

// A registered op with its attribute type erased: what the registry stores, the verifier
// checks and `tapegrad ops` lists. Build one from an OpDef<Attrs> (OpRegistry::add does).
struct Op {
  std::string name;
  int arity = -1;
  std::string summary;
  bool twice_differentiable = true;
  bool elementary = false;
  std::function<Tensor(ForwardContext&, const std::any&)> forward;
  BackwardFn backward;                                                        // empty: not differentiable
  std::function<Tensor(std::span<const Tensor>, const std::any&)> reference;  // may be empty
  std::function<std::vector<OpSample<std::any>>()> samples;                   // may be empty

  template <class Attrs>
  explicit Op(OpDef<Attrs> def)
      : name(std::move(def.name)),
        arity(def.arity),
        summary(std::move(def.summary)),
        twice_differentiable(def.twice_differentiable),
        elementary(def.elementary) {
    if (def.forward) {
      forward = [f = std::move(def.forward)](ForwardContext& ctx, const std::any& attrs) {
        return f(ctx, detail::attrs_as<Attrs>(attrs, ctx.op_name()));
      };
    }
    if (def.backward) {
      backward = [b = std::move(def.backward)](const BackwardContext& ctx, const Tensor& grad_out) {
        return b(ctx, grad_out, detail::attrs_as<Attrs>(ctx.erased_attrs(), ctx.op_name()));
      };
    }
    if (def.reference) {
      reference = [r = std::move(def.reference), op = name](std::span<const Tensor> inputs, const std::any& attrs) {
        return r(inputs, detail::attrs_as<Attrs>(attrs, op));
      };
    }
    if (def.samples) {
      samples = [s = std::move(def.samples)] {
        std::vector<OpSample<std::any>> out;
        for (OpSample<Attrs>& x : s()) {
          out.push_back({std::move(x.label), std::move(x.inputs), std::any(std::move(x.attrs)), x.allow_vacuous,
                         std::move(x.expected), x.rejects});
        }
        return out;
      };
    }
  }
};

// A registered (or made) op that takes attributes of type Attrs. Cheap to copy; an empty
// handle refers to no op.
template <class Attrs>
class OpHandle {
 public:
  OpHandle() = default;
  explicit OpHandle(std::shared_ptr<const Op> op) : op_(std::move(op)) {}
  const Op& operator*() const { return *op_; }
  const Op* operator->() const { return op_.get(); }
  const Op* get() const { return op_.get(); }

 private:
  std::shared_ptr<const Op> op_;
};

class OpRegistry {
 public:
  OpRegistry();
  ~OpRegistry();
  OpRegistry(const OpRegistry&) = delete;
  OpRegistry& operator=(const OpRegistry&) = delete;

  // Throws ValueError for a duplicate name or a missing forward. (The default lets a braced
  // OpDef of an op without attributes be passed as it is.)
  template <class Attrs = NoAttrs>
  OpHandle<Attrs> add(OpDef<Attrs> def) {
    return OpHandle<Attrs>(add(std::make_shared<const Op>(std::move(def))));
  }
  const Op* find(std::string_view name) const;
  const Op& get(std::string_view name) const;  // throws ValueError naming the op
  std::vector<const Op*> ops() const;          // in registration order

 private:
  std::shared_ptr<const Op> add(std::shared_ptr<const Op> op);

  struct State;
  std::unique_ptr<State> state_;
};

// The process-wide registry, holding every built-in op from first use on.
OpRegistry& registry();

template <class Attrs = NoAttrs>
OpHandle<Attrs> register_op(OpDef<Attrs> def) {
  return registry().add(std::move(def));
}

// Throws ValueError for an op without a name or a forward.
void check_op_definition(const Op& op);

// An op outside any registry (tests, one-off experiments), checked like a registered one.
template <class Attrs = NoAttrs>
OpHandle<Attrs> make_op(OpDef<Attrs> def) {
  auto op = std::make_shared<const Op>(std::move(def));
  check_op_definition(*op);
  return OpHandle<Attrs>(std::move(op));
}
// Runs an op on attributes of its own type (the verifier and registry walks; the cast
// throws ValueError for any other type).
Tensor call(const Op& op, std::vector<Tensor> inputs, std::any attrs);

template <class Attrs>
Tensor call(const OpHandle<Attrs>& op, std::vector<Tensor> inputs, std::type_identity_t<Attrs> attrs = {}) {
  TG_CHECK(op.get() != nullptr, ValueError, "call: the op handle refers to no op");
  return call(*op, std::move(inputs), std::any(std::move(attrs)));
}

}  // namespace tg
