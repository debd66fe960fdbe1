// gradcheck / gradgradcheck: analytic vector-Jacobian products (from the tape) against
// central finite differences in float64, for any function of tensors.
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
  bool raise = false;  // throw GradcheckError instead of returning a failed report
  std::uint64_t seed = 0;  // for the random output gradients
};

struct GradcheckReport {
  bool passed = true;
  double max_abs_error = 0.0;
  double max_rel_error = 0.0;
  std::size_t worst_input = 0;     // index into inputs
  std::int64_t worst_element = -1;  // flat element index in that input
  std::vector<std::size_t> vacuous_inputs;  // inputs whose analytic and numeric Jacobians are all zero
  std::string message;  // empty when passed; otherwise says what failed, where
};

class GradcheckError : public Error {
 public:
  using Error::Error;
};

// TO BE IMPLEMENTED (see autograd/gradcheck.cpp).
GradcheckReport gradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options = {});
GradcheckReport gradgradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options = {});

}  // namespace tg
