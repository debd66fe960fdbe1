#include "ops/verify.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <typeinfo>
#include <utility>

#include "autograd/engine.hpp"
#include "autograd/tape.hpp"
#include "tensor/random.hpp"

namespace tg {
namespace {

struct Agreement {
  bool ok = true;
  double max_error = 0.0;
  std::int64_t worst = -1;  // first element outside the tolerance
  double actual = 0.0;
  double expected = 0.0;
};

// allclose with the error located: |a - b| <= atol + rtol |b|; NaN matches only NaN.
Agreement compare_values(const Tensor& a, const Tensor& b, double rtol, double atol) {
  const std::vector<double> x = a.to_vector();
  const std::vector<double> y = b.to_vector();
  Agreement out;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) && std::isnan(y[i])) continue;
    const double err = std::abs(x[i] - y[i]);
    out.max_error = std::max(out.max_error, std::isnan(err) ? HUGE_VAL : err);
    if (out.ok && !(err <= atol + rtol * std::abs(y[i])))
      out = {false, out.max_error, static_cast<std::int64_t>(i), x[i], y[i]};
  }
  return out;
}

// The name of a tg:: error type, for messages.
std::string error_name(const std::type_info& type) {
  const std::pair<const std::type_info*, const char*> names[] = {{&typeid(Error), "tg::Error"},
                                                                 {&typeid(ShapeError), "tg::ShapeError"},
                                                                 {&typeid(DTypeError), "tg::DTypeError"},
                                                                 {&typeid(IndexError), "tg::IndexError"},
                                                                 {&typeid(ValueError), "tg::ValueError"},
                                                                 {&typeid(IOError), "tg::IOError"},
                                                                 {&typeid(AutogradError), "tg::AutogradError"}};
  for (const auto& [t, name] : names) {
    if (*t == type) return name;
  }
  return type.name();
}

class SampleChecker {
 public:
  SampleChecker(const Op& op, const OpSample<std::any>& sample, const VerifyOptions& options, OpReport& report)
      : op_(op), sample_(sample), options_(options), report_(report) {}

  // `message` says which check failed and how ("gradcheck: gradient mismatch ...").
  void fail(CheckResult& result, std::string_view message) {
    result.status = CheckStatus::Failed;
    report_.failures.push_back(fmt::format("{}: sample '{}': {}", op_.name, sample_.label, message));
  }

  Tensor run() const { return call(op_, sample_.inputs, sample_.attrs); }

  void note(CheckResult& result, double error) {
    result.max_error = std::max(result.max_error, error);
    report_.max_error = std::max(report_.max_error, error);
  }

  // A sample the op must reject: exactly the declared tg:: error, not another, not none.
  void rejection() {
    const std::string want = error_name(*sample_.rejects);
    try {
      (void)run();
    } catch (const Error& e) {
      if (typeid(e) == *sample_.rejects) return;
      return fail(report_.zero_size,
                  fmt::format("expected a {} but the forward threw a {}: {}", want, error_name(typeid(e)), e.what()));
    } catch (const std::exception& e) {
      return fail(report_.zero_size,
                  fmt::format("expected a {} but the forward threw an untyped exception: {}", want, e.what()));
    }
    fail(report_.zero_size, fmt::format("expected a {} but the forward returned a result", want));
  }

  // The sample's declared result, compared exactly (NaN matches NaN).
  void expected(const Tensor& y) {
    const Tensor& e = sample_.expected;
    if (y.shape() != e.shape() || y.dtype() != e.dtype()) {
      return fail(report_.forward,
                  fmt::format("expected {} {} but the op gives {} {}", e.dtype(), e.shape(), y.dtype(), y.shape()));
    }
    const Agreement values = compare_values(y, e, 0.0, 0.0);
    if (!values.ok) {
      fail(report_.forward,
           fmt::format("value {} is {:.17g}, expected {:.17g}", values.worst, values.actual, values.expected));
    }
  }

  void gradchecks(DType output_dtype) {
    GradcheckOptions gopts = options_.gradcheck;
    gopts.raise = false;
    gopts.allow_vacuous = gopts.allow_vacuous || sample_.allow_vacuous;
    if (output_dtype != DType::Float64) {
      gopts.eps = std::max(gopts.eps, options_.float32_eps);
      gopts.atol = std::max(gopts.atol, options_.float32_atol);
    }
    const TensorFn fn = [this](const std::vector<Tensor>& in) { return call(op_, in, sample_.attrs); };
    run_check(report_.gradcheck, "gradcheck", [&] { return gradcheck(fn, sample_.inputs, gopts); });
    if (op_.twice_differentiable) {
      const std::size_t failures = report_.failures.size();
      run_check(report_.gradgradcheck, "gradgradcheck", [&] { return gradgradcheck(fn, sample_.inputs, gopts); });
      if (report_.failures.size() > failures) report_.failures.back() += saved_intermediates_hint();
    }
  }

  // The usual cause of a wrong second derivative in a custom op: the forward saved an
  // intermediate, which the backward then treats as a constant (see ForwardContext::save).
  std::string saved_intermediates_hint() const {
    Tensor y;
    try {
      y = run();
    } catch (const std::exception&) {
      return "";
    }
    if (!y.requires_grad() || y.is_leaf()) return "";
    std::vector<std::string> intermediates;
    const std::vector<SavedTensor>& saved = y.impl().autograd->grad_fn->saved;
    for (const SavedTensor& s : saved) {
      if (!s.input) intermediates.push_back(fmt::format("saved tensor '{}' (shape {})", s.name, s.tensor.shape()));
    }
    if (intermediates.empty()) return "";
    return fmt::format(
        "; the forward saves an intermediate ({}) with ctx.save(): it has no autograd history, so the backward treats "
        "it as a constant and the second derivative misses its part. Save the inputs and recompute it in backward",
        fmt::join(intermediates, ", "));
  }

  void reference() {
    CheckResult& result = report_.reference;
    try {
      const Tensor y = run();
      const Tensor r = op_.reference(sample_.inputs, sample_.attrs);
      if (y.shape() != r.shape() || y.dtype() != r.dtype()) {
        return fail(result, fmt::format("reference: the op gives {} {} but the reference gives {} {}", y.dtype(),
                                        y.shape(), r.dtype(), r.shape()));
      }
      const Agreement values = agree(y, r);
      note(result, values.max_error);
      if (!values.ok) {
        return fail(result, fmt::format("reference: forward values differ at element {}: {:.17g} vs reference {:.17g}",
                                        values.worst, values.actual, values.expected));
      }
      if (!op_.backward || !y.is_floating_point()) return;
      std::vector<Tensor> wrt;
      for (const Tensor& t : sample_.inputs) {
        if (t.defined() && t.requires_grad()) wrt.push_back(t);
      }
      if (wrt.empty()) return;
      Generator gen(options_.gradcheck.seed);
      const Tensor v = randn(y.shape(), gen, {.dtype = y.dtype()});
      const auto grads_of = [&](const Tensor& out) {
        return out.requires_grad() ? grad({out}, wrt, {v}, {.allow_unused = true}) : std::vector<Tensor>(wrt.size());
      };
      const std::vector<Tensor> g_op = grads_of(y);
      const std::vector<Tensor> g_ref = grads_of(r);
      for (std::size_t i = 0; i < wrt.size(); ++i) {
        const Tensor a = g_op[i].defined() ? g_op[i] : zeros_like(wrt[i]);
        const Tensor b = g_ref[i].defined() ? g_ref[i] : zeros_like(wrt[i]);
        const Agreement grads = agree(a, b);
        note(result, grads.max_error);
        if (!grads.ok) {
          return fail(
              result,
              fmt::format("reference: gradient of differentiable input {} (shape {}) differs at element {}: {:.17g} vs "
                          "reference {:.17g}",
                          i, wrt[i].shape(), grads.worst, grads.actual, grads.expected));
        }
      }
    } catch (const std::exception& e) {
      fail(result, fmt::format("reference threw: {}", e.what()));
    }
  }

 private:
  template <class F>
  void run_check(CheckResult& result, std::string_view what, F check) {
    try {
      const GradcheckReport r = check();
      note(result, r.max_abs_error);
      if (!r.passed) fail(result, r.message);  // starts with "gradcheck: " or "gradgradcheck: "
    } catch (const std::exception& e) {
      fail(result, fmt::format("{} threw: {}", what, e.what()));
    }
  }

  Agreement agree(const Tensor& a, const Tensor& b) const {
    const bool single = a.dtype() == DType::Float32 || b.dtype() == DType::Float32;
    return compare_values(a, b, single ? options_.reference_float32_rtol : options_.reference_rtol,
                          single ? options_.reference_float32_atol : options_.reference_atol);
  }

  const Op& op_;
  const OpSample<std::any>& sample_;
  const VerifyOptions& options_;
  OpReport& report_;
};

CheckStatus initial(bool applies) { return applies ? CheckStatus::Passed : CheckStatus::NotApplicable; }

}  // namespace

OpReport verify_op(const Op& op, VerifyOptions options) {
  OpReport report{.name = op.name};
  const bool differentiable = static_cast<bool>(op.backward);
  report.forward.status = CheckStatus::Passed;
  report.gradcheck.status = initial(differentiable);
  report.gradgradcheck.status = initial(differentiable && op.twice_differentiable);
  report.reference.status = initial(static_cast<bool>(op.reference));
  report.zero_size.status = CheckStatus::Passed;

  std::vector<OpSample<std::any>> samples;
  try {
    if (op.samples) samples = op.samples();
  } catch (const std::exception& e) {
    report.forward.status = CheckStatus::Failed;
    report.failures.push_back(fmt::format("{}: generating the samples threw: {}", op.name, e.what()));
    return report;
  }
  report.num_samples = samples.size();
  if (samples.empty()) {
    // Nothing was checked: every check that applies fails.
    for (CheckResult* r :
         {&report.forward, &report.gradcheck, &report.gradgradcheck, &report.reference, &report.zero_size}) {
      if (r->status == CheckStatus::Passed) r->status = CheckStatus::Failed;
    }
    report.failures.push_back(
        fmt::format("{}: the op has no samples; every registered op needs sample inputs", op.name));
    return report;
  }

  bool any_gradchecked = false;
  for (const OpSample<std::any>& sample : samples) {
    SampleChecker checker(op, sample, options, report);
    const std::size_t failures_before = report.failures.size();
    if (sample.zero_size() || sample.rejects != nullptr) ++report.num_zero_size_samples;
    if (sample.rejects != nullptr) {
      checker.rejection();
      continue;
    }
    Tensor output;
    try {
      output = checker.run();
    } catch (const std::exception& e) {
      checker.fail(report.forward, fmt::format("forward threw: {}", e.what()));
      if (sample.zero_size()) report.zero_size.status = CheckStatus::Failed;
      continue;
    }
    const bool zero_size = sample.zero_size() || output.numel() == 0;
    if (zero_size && !sample.zero_size()) ++report.num_zero_size_samples;  // only the output is empty
    if (sample.expected.defined()) checker.expected(output);
    // Samples with an integer or bool result, or with no input requiring grad, exercise
    // the forward only.
    if (differentiable && output.is_floating_point() && autograd::any_requires_grad(sample.inputs)) {
      any_gradchecked = true;
      checker.gradchecks(output.dtype());
    }
    if (op.reference) checker.reference();
    if (zero_size && report.failures.size() > failures_before) report.zero_size.status = CheckStatus::Failed;
  }
  if (report.num_zero_size_samples == 0) {
    report.zero_size.status = CheckStatus::Failed;
    report.failures.push_back(fmt::format(
        "{}: the op has no zero-size sample; every op needs one with an empty input or output, or one of empty "
        "inputs it rejects as PyTorch does (OpSample::rejects)",
        op.name));
  }
  if (differentiable && !any_gradchecked) {
    report.gradcheck.status = CheckStatus::Failed;
    report.failures.push_back(fmt::format(
        "{}: the op has a backward but no sample has a floating-point output and an input that requires grad",
        op.name));
  }
  return report;
}

bool RegistryReport::passed() const { return num_failed() == 0; }

std::size_t RegistryReport::num_failed() const {
  return static_cast<std::size_t>(std::count_if(ops.begin(), ops.end(), [](const OpReport& r) { return !r.passed(); }));
}

RegistryReport verify_registry(const OpRegistry& registry, VerifyOptions options) {
  RegistryReport report;
  for (const Op* op : registry.ops()) report.ops.push_back(verify_op(*op, options));
  return report;
}

std::string_view to_string(CheckStatus status) {
  switch (status) {
    case CheckStatus::Passed:
      return "PASS";
    case CheckStatus::Failed:
      return "FAIL";
    case CheckStatus::NotApplicable:
      return "n/a";
  }
  return "?";
}

}  // namespace tg
