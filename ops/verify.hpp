// Registry verification: every op checked on its own sample inputs.
//
// For each op: its samples run; if it has a backward, every sample is gradchecked and (when
// twice differentiable) gradgradchecked; if it has a reference composition, forward values
// and all input gradients (for the same random output gradient) are compared against it.
// An op without samples fails.
//
// Zero-size inputs: every op needs a sample with an empty input or output, run like any
// other (an empty gradient has nothing to compare, but its shape is checked, and the
// non-empty inputs' gradients are gradchecked), or a sample of empty inputs it rejects as
// PyTorch does (OpSample::rejects), which must throw exactly that tg:: error. An op without
// either fails. A sample's `expected` value, when given, is compared exactly (NaN to NaN).
// `tapegrad ops` prints this report.
#pragma once

#include <string>
#include <vector>

#include "autograd/gradcheck.hpp"
#include "ops/registry.hpp"

namespace tg {

enum class CheckStatus { Passed, Failed, NotApplicable };

struct CheckResult {
  CheckStatus status = CheckStatus::NotApplicable;
  double max_error = 0.0;  // largest absolute error over the samples
};

struct OpReport {
  std::string name{};
  std::size_t num_samples = 0;
  CheckResult forward{};        // every sample ran without error
  CheckResult gradcheck{};      // n/a for ops without a backward
  CheckResult gradgradcheck{};  // n/a without a backward or when not twice differentiable
  CheckResult reference{};      // n/a without a reference composition
  CheckResult zero_size{};      // failed without a zero-size sample, or when one fails
  std::size_t num_zero_size_samples = 0;
  double max_error = 0.0;               // largest error seen in any check
  std::vector<std::string> failures{};  // each names the sample label

  bool passed() const { return failures.empty(); }
};

struct RegistryReport {
  std::vector<OpReport> ops;
  bool passed() const;
  std::size_t num_failed() const;
};

struct VerifyOptions {
  GradcheckOptions gradcheck{};
  // Samples whose output is float32 are finite-differenced with this step and atol:
  // float32 rounding (about 6e-8 relative) would swamp a 1e-6 step.
  double float32_eps = 1e-3;
  double float32_atol = 1e-4;
  // Agreement with the reference composition (values and gradients): |a - b| <= atol + rtol |b|.
  double reference_rtol = 1e-7;
  double reference_atol = 1e-9;
  double reference_float32_rtol = 1e-4;
  double reference_float32_atol = 1e-5;
};

OpReport verify_op(const Op& op, VerifyOptions options = {});
template <class Attrs = NoAttrs>
OpReport verify_op(OpDef<Attrs> def, VerifyOptions options = {}) {
  return verify_op(Op(std::move(def)), options);
}
RegistryReport verify_registry(const OpRegistry& registry = tg::registry(), VerifyOptions options = {});

std::string_view to_string(CheckStatus status);  // "PASS", "FAIL", "n/a"

}  // namespace tg
