// gradcheck / gradgradcheck: analytic vector-Jacobian products (from the tape) against
// central finite differences in float64, for any function of tensors.
//
// gradcheck draws a random output gradient v (seeded, normal: all-ones would hide errors
// that cancel across outputs) and compares, for every element x_j of every input that
// requires grad,
//   analytic  (tg::grad(f(x), x, v))_j
//   numeric   < f(x + eps e_j) - f(x - eps e_j), v > / (2 eps)
// It passes iff |analytic - numeric| <= atol + rtol * |numeric| everywhere and no input
// that requires grad is vacuous (analytic and numeric gradients both zero: such a check
// proves nothing, and is usually a forgotten dependency or a bad sample). An empty Jacobian
// (an input or the output without elements) is not vacuous: there is nothing to compare.
//
// gradgradcheck does what PyTorch's does: it gradchecks (x, v) -> tg::grad(f(x), x, v,
// create_graph = true) with v random and itself requiring grad, so the backward rule is
// verified as a differentiable function. Second derivatives with respect to x are
// legitimately zero for linear ops, so only the v inputs are held to the vacuity rule.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.hpp"

namespace tg {

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  bool raise = false;          // throw GradcheckError instead of returning a failed report
  bool allow_vacuous = false;  // accept inputs whose gradients are all zero
  std::uint64_t seed = 0;      // for the random output gradients
};

struct GradcheckReport {
  bool passed = true;
  double max_abs_error = 0.0;  // max |analytic - numeric|
  double max_rel_error = 0.0;  // max |analytic - numeric| / max(|numeric|, atol)
  // The element furthest outside the tolerance (or closest to it when all pass). For
  // gradgradcheck, indices >= inputs.size() refer to the random output gradient v.
  std::size_t worst_input = 0;
  std::int64_t worst_element = -1;  // flat row-major element index in that input
  double worst_analytic = 0.0;
  double worst_numeric = 0.0;
  std::vector<std::size_t> vacuous_inputs;  // inputs whose analytic and numeric Jacobians are all zero
  std::string message;                      // empty when passed; otherwise says what failed, where

  // One line: "passed (max abs error ..., max rel error ...)" or "FAILED: <message>".
  std::string summary() const;
};

class GradcheckError : public Error {
 public:
  using Error::Error;
};

// Inputs that require grad must be float64 (DTypeError otherwise), and at least one must
// (ValueError). Outputs may be float32, but then eps must be large enough (about 1e-3)
// for float32 rounding not to swamp the differences. `fn` must be deterministic.
GradcheckReport gradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options = {});
GradcheckReport gradgradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options = {});

}  // namespace tg
