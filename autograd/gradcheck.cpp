#include "autograd/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "tensor/random.hpp"

namespace tg {
namespace {

// Internally a checked function may have several outputs (gradgradcheck's inner function
// returns one gradient per input); undefined outputs count as constant zeros.
using MultiFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

// A gradient whose magnitude stays below this fraction of atol everywhere counts as zero
// for the vacuity rule: at the check's own resolution it cannot be told from zero.
constexpr double kZeroFraction = 1e-2;

void validate(std::string_view what, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  TG_CHECK(options.eps > 0.0 && std::isfinite(options.eps), ValueError, "{}: eps must be positive and finite, got {}",
           what, options.eps);
  TG_CHECK(options.atol >= 0.0 && options.rtol >= 0.0, ValueError, "{}: atol ({}) and rtol ({}) must be non-negative",
           what, options.atol, options.rtol);
  bool any = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    TG_CHECK(inputs[i].defined(), ValueError, "{}: input {} is undefined", what, i);
    if (!inputs[i].requires_grad()) continue;
    any = true;
    TG_CHECK(inputs[i].dtype() == DType::Float64, DTypeError,
             "{}: input {} (shape {}) requires grad but is {}; finite differences need float64 inputs, since a step of "
             "eps = {} would be lost in {} rounding",
             what, i, inputs[i].shape(), inputs[i].dtype(), options.eps, inputs[i].dtype());
  }
  TG_CHECK(any, ValueError, "{}: no input requires grad, so there is nothing to check", what);
}

// Row-major multi-index of a flat element index, for messages.
std::vector<std::int64_t> unravel(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

// A private float64 copy of an input whose elements can be nudged one at a time. It keeps
// the input's strides and offset (so strided code paths see the layout they were given)
// unless elements share memory (broadcast views), where a contiguous copy is the only way
// to move one element alone.
struct Perturbable {
  Tensor tensor;
  double* base = nullptr;             // start of the copy's storage
  std::vector<std::int64_t> offsets;  // storage offset of each element, row-major

  explicit Perturbable(const Tensor& x) {
    const std::int64_t n = x.numel();
    offsets.reserve(static_cast<std::size_t>(n));
    for (std::int64_t j = 0; j < n; ++j) {
      const auto index = unravel(j, x.shape());
      std::int64_t off = x.offset();
      for (std::size_t d = 0; d < index.size(); ++d) off += index[d] * x.strides()[d];
      offsets.push_back(off);
    }
    std::vector<std::int64_t> sorted = offsets;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) {
      const auto storage_elems = static_cast<std::int64_t>(x.impl().storage->nbytes() / sizeof(double));
      Tensor copy = empty({storage_elems}, {.dtype = DType::Float64});
      std::memcpy(copy.impl().storage->data(), x.impl().storage->data(), x.impl().storage->nbytes());
      tensor = raw::as_strided(copy, x.shape(), x.strides(), x.offset());
    } else {
      tensor = x.clone_as(DType::Float64);
      for (std::int64_t j = 0; j < n; ++j) offsets[static_cast<std::size_t>(j)] = j;
    }
    base = static_cast<double*>(tensor.impl().storage->data());
    tensor.set_requires_grad(x.requires_grad());
  }
};

// The values of fn's outputs, as float64 vectors (empty for undefined or non-float outputs).
std::vector<std::vector<double>> evaluate(const MultiFn& fn, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> outputs = fn(inputs);
  std::vector<std::vector<double>> values(outputs.size());
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    if (outputs[k].defined() && outputs[k].is_floating_point()) values[k] = outputs[k].to_vector();
  }
  return values;
}

// <plus - minus, v> summed over outputs; the difference is taken first to keep precision.
double directional_difference(std::string_view what, const std::vector<std::vector<double>>& plus,
                              const std::vector<std::vector<double>>& minus,
                              const std::vector<std::vector<double>>& v) {
  TG_CHECK(plus.size() == v.size() && minus.size() == v.size(), ValueError,
           "{}: the function returned {} outputs for perturbed inputs but {} originally", what,
           plus.size() != v.size() ? plus.size() : minus.size(), v.size());
  double total = 0.0;
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (v[k].empty()) continue;  // undefined or non-float at the unperturbed point
    const auto& p = plus[k];
    const auto& m = minus[k];
    TG_CHECK(p.size() == v[k].size() && m.size() == v[k].size(), ValueError,
             "{}: output {} changed size from {} to {} under perturbation", what, k, v[k].size(),
             p.size() != v[k].size() ? p.size() : m.size());
    for (std::size_t e = 0; e < v[k].size(); ++e) total += (p[e] - m[e]) * v[k][e];
  }
  return total;
}

struct Worst {
  double ratio = -1.0;  // |analytic - numeric| / (atol + rtol |numeric|)
  std::size_t input = 0;
  std::int64_t element = -1;
  double analytic = 0.0;
  double numeric = 0.0;
  double tolerance = 0.0;
};

GradcheckReport check(std::string_view what, const MultiFn& fn, const std::vector<Tensor>& inputs,
                      const std::vector<std::string>& names, const std::vector<bool>& vacuity_applies,
                      const GradcheckOptions& options) {
  std::vector<std::size_t> diff;
  std::vector<Tensor> diff_inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    diff.push_back(i);
    diff_inputs.push_back(inputs[i]);
  }

  // Analytic: one vector-Jacobian product per input, with a random v per output.
  Generator gen(options.seed);
  std::vector<std::vector<double>> v;
  std::vector<std::vector<double>> analytic(diff.size());
  {
    GradModeGuard recording(true);
    std::vector<Tensor> outputs = fn(inputs);
    std::vector<Tensor> roots, root_grads;
    v.resize(outputs.size());
    for (std::size_t k = 0; k < outputs.size(); ++k) {
      const Tensor& y = outputs[k];
      if (!y.defined() || !y.is_floating_point()) continue;
      Tensor vk = randn(y.shape(), gen, {.dtype = y.dtype()});
      v[k] = vk.to_vector();
      if (y.requires_grad()) {
        roots.push_back(y);
        root_grads.push_back(vk);
      }
    }
    // No output depends differentiably on the inputs: every analytic gradient is zero.
    const std::vector<Tensor> grads =
        roots.empty() ? std::vector<Tensor>(diff.size()) : grad(roots, diff_inputs, root_grads, {.allow_unused = true});
    for (std::size_t d = 0; d < diff.size(); ++d) {
      analytic[d] = grads[d].defined() ? grads[d].to_vector()
                                       : std::vector<double>(static_cast<std::size_t>(inputs[diff[d]].numel()), 0.0);
    }
  }

  // Numeric: central differences, one element at a time, on a private copy.
  GradcheckReport report;
  Worst worst;
  const double zero = kZeroFraction * options.atol;
  // An empty Jacobian (no input or no output elements) has nothing to compare; it is not a
  // vacuous check but an edge case (empty slices, concatenating an empty tensor).
  std::size_t output_elements = 0;
  for (const auto& vk : v) output_elements += vk.size();
  for (std::size_t d = 0; d < diff.size(); ++d) {
    const std::size_t i = diff[d];
    Perturbable copy(inputs[i]);
    std::vector<Tensor> args = inputs;
    args[i] = copy.tensor;
    double max_analytic = 0.0, max_numeric = 0.0;
    for (std::int64_t j = 0; j < inputs[i].numel(); ++j) {
      double& x = copy.base[copy.offsets[static_cast<std::size_t>(j)]];
      const double original = x;
      x = original + options.eps;
      const auto plus = evaluate(fn, args);
      x = original - options.eps;
      const auto minus = evaluate(fn, args);
      x = original;
      const double numeric = directional_difference(what, plus, minus, v) / (2.0 * options.eps);
      const double a = analytic[d][static_cast<std::size_t>(j)];
      const double err = std::abs(a - numeric);
      const double tolerance = options.atol + options.rtol * std::abs(numeric);
      // A NaN anywhere must fail, and a zero tolerance admits only exact agreement.
      constexpr double kInf = std::numeric_limits<double>::infinity();
      const double ratio = std::isnan(err) ? kInf : tolerance > 0.0 ? err / tolerance : err > 0.0 ? kInf : 0.0;
      report.max_abs_error = std::max(report.max_abs_error, std::isnan(err) ? kInf : err);
      report.max_rel_error = std::max(
          report.max_rel_error,
          std::isnan(err) ? kInf
                          : err / std::max({std::abs(numeric), options.atol, std::numeric_limits<double>::min()}));
      if (ratio > worst.ratio) worst = {ratio, i, j, a, numeric, tolerance};
      max_analytic = std::max(max_analytic, std::abs(a));
      max_numeric = std::max(max_numeric, std::abs(numeric));
    }
    const bool empty_jacobian = inputs[i].numel() == 0 || output_elements == 0;
    if (vacuity_applies[i] && !options.allow_vacuous && !empty_jacobian && max_analytic <= zero &&
        max_numeric <= zero) {
      report.vacuous_inputs.push_back(i);
    }
  }

  report.worst_input = worst.input;
  report.worst_element = worst.element;
  report.worst_analytic = worst.analytic;
  report.worst_numeric = worst.numeric;
  std::vector<std::string> problems;
  if (worst.ratio > 1.0) {
    const Shape& shape = inputs[worst.input].shape();
    problems.push_back(fmt::format(
        "{}: gradient mismatch for {} (shape {}) at element {} (index {}): analytic {:.9g}, numeric {:.9g}, "
        "|difference| {:.3g} > atol + rtol * |numeric| = {:.3g}",
        what, names[worst.input], shape, worst.element, unravel(worst.element, shape), worst.analytic, worst.numeric,
        std::abs(worst.analytic - worst.numeric), worst.tolerance));
  }
  for (std::size_t i : report.vacuous_inputs) {
    problems.push_back(fmt::format(
        "{}: {} (shape {}) requires grad but its analytic and numeric gradients are all zero, so the check proves "
        "nothing (a missing dependency or a bad sample?); set allow_vacuous to accept this",
        what, names[i], inputs[i].shape()));
  }
  report.passed = problems.empty();
  report.message = fmt::format("{}", fmt::join(problems, "; "));
  if (!report.passed && options.raise) throw GradcheckError(report.message);
  return report;
}

std::vector<std::string> input_names(std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back(fmt::format("input {}", i));
  return names;
}

}  // namespace

std::string GradcheckReport::summary() const {
  if (!passed) return "FAILED: " + message;
  return fmt::format("passed (max abs error {:.3g}, max rel error {:.3g})", max_abs_error, max_rel_error);
}

GradcheckReport gradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  validate("gradcheck", inputs, options);
  const MultiFn multi = [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{fn(in)}; };
  return check("gradcheck", multi, inputs, input_names(inputs.size()), std::vector<bool>(inputs.size(), true), options);
}

GradcheckReport gradgradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  validate("gradgradcheck", inputs, options);
  const std::size_t n = inputs.size();
  Tensor y;
  {
    GradModeGuard recording(true);
    y = fn(inputs);
  }
  TG_CHECK(y.defined() && y.is_floating_point(), ValueError,
           "gradgradcheck: the function must return a floating-point tensor, got {}",
           y.defined() ? fmt::format("{}", y.dtype()) : std::string("an undefined tensor"));
  // The output gradient is an input of the checked function; a different stream from the
  // v that the inner gradcheck draws.
  Generator gen(options.seed ^ 0x9e3779b97f4a7c15ULL);
  const Tensor v = randn(y.shape(), gen, {.dtype = DType::Float64, .requires_grad = true});
  y = Tensor();

  std::vector<std::size_t> diff;
  for (std::size_t i = 0; i < n; ++i) {
    if (inputs[i].requires_grad()) diff.push_back(i);
  }
  // (x..., v) -> dL/dx for L = <fn(x), v>, recorded so that it can be differentiated again.
  const MultiFn first_grad = [&](const std::vector<Tensor>& args) {
    GradModeGuard recording(true);
    const std::vector<Tensor> xs(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(n));
    const Tensor out = fn(xs);
    if (!out.requires_grad()) return std::vector<Tensor>(diff.size());
    std::vector<Tensor> wrt;
    for (std::size_t i : diff) wrt.push_back(xs[i]);
    return grad({out}, wrt, {args[n]}, {.create_graph = true, .allow_unused = true});
  };

  std::vector<Tensor> args = inputs;
  args.push_back(v);
  std::vector<std::string> names = input_names(n);
  names.push_back("the output gradient v");
  std::vector<bool> vacuity_applies(n, false);  // d2f/dx2 = 0 is legitimate (linear ops)
  vacuity_applies.push_back(true);              // d(J^T v)/dv = J^T is zero only if f is constant
  return check("gradgradcheck", first_grad, args, names, vacuity_applies, options);
}

}  // namespace tg
