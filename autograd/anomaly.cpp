#include "autograd/anomaly.hpp"

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "autograd/node.hpp"

namespace tg {
namespace {

std::atomic<bool> g_anomaly_enabled{false};
thread_local std::string t_label;

// How far the report of the ops that led to an anomaly reaches back.
constexpr int kMaxDepth = 3;
constexpr int kMaxLines = 24;

struct NonFinite {
  std::int64_t nan = 0;
  std::int64_t inf = 0;
  std::int64_t first = -1;  // flat index of the first non-finite element
  bool any() const { return first >= 0; }
};

template <class T, class Bits>
NonFinite scan_values(const T* p, std::int64_t n) {
  // Non-finite means all exponent bits set. Testing the bits keeps this first pass, which
  // every checked tensor takes, a vectorised loop; only an anomaly is counted in detail.
  constexpr Bits exponent = std::bit_cast<Bits>(std::numeric_limits<T>::infinity());
  Bits any = 0;
  for (std::int64_t i = 0; i < n; ++i) any |= static_cast<Bits>((std::bit_cast<Bits>(p[i]) & exponent) == exponent);
  NonFinite r;
  if (any == 0) return r;
  for (std::int64_t i = 0; i < n; ++i) {
    if (std::isfinite(p[i])) continue;
    ++(std::isnan(p[i]) ? r.nan : r.inf);
    if (r.first < 0) r.first = i;
  }
  return r;
}

NonFinite scan(const Tensor& t) {
  if (!t.defined() || !t.is_floating_point()) return {};
  const Tensor c = raw::contiguous(t);
  if (c.dtype() == DType::Float32) return scan_values<float, std::uint32_t>(c.data<float>(), c.numel());
  return scan_values<double, std::uint64_t>(c.data<double>(), c.numel());
}

// "2 NaN and 1 infinite value among 6 (the first at flat index 4 of shape [2, 3])"
std::string summary(const NonFinite& r, const Tensor& t) {
  return fmt::format("{} NaN and {} infinite value{} among {} (the first at flat index {} of shape {})", r.nan, r.inf,
                     r.inf == 1 ? "" : "s", t.numel(), r.first, t.shape());
}

std::string describe(const Node& node) {
  if (node.label.empty()) return fmt::format("'{}' (#{})", node.name, node.sequence);
  return fmt::format("'{}' (#{}, in {})", node.name, node.sequence, node.label);
}

// One line per input of `node`, then, indented, the inputs of its producer, a few levels
// deep. `notes` (optional, one per input) is appended to the first level's lines.
void append_producers(std::string& out, const Node& node, int depth, int& lines,
                      std::span<const std::string> notes = {}) {
  const std::string indent(static_cast<std::size_t>(2 * depth), ' ');
  for (std::size_t i = 0; i < node.edges.size(); ++i) {
    if (lines >= kMaxLines) {
      if (lines++ == kMaxLines) out += indent + "...\n";  // once, where the report stops
      return;
    }
    ++lines;
    const auto& edge = node.edges[i];
    const Shape& shape = node.inputs[i].shape;
    std::string what = !edge            ? fmt::format("not differentiated (data or a constant) of shape {}", shape)
                       : !edge->grad_fn ? fmt::format("leaf of shape {}", shape)
                                        : describe(*edge->grad_fn);
    out += fmt::format("{}input {}: {}{}\n", indent, i, what, i < notes.size() ? notes[i] : "");
    if (edge && edge->grad_fn && depth < kMaxDepth) append_producers(out, *edge->grad_fn, depth + 1, lines);
  }
}

std::string producers(const Node& node, std::span<const std::string> notes = {}) {
  std::string out = fmt::format("Recorded ops that led to {}:\n", describe(node));
  int lines = 0;
  append_producers(out, node, 1, lines, notes);
  return out;
}

}  // namespace

bool is_anomaly_enabled() { return g_anomaly_enabled.load(std::memory_order_relaxed); }
void set_detect_anomaly(bool enabled) { g_anomaly_enabled.store(enabled, std::memory_order_relaxed); }

DetectAnomalyGuard::DetectAnomalyGuard(bool enabled) : previous_(is_anomaly_enabled()) { set_detect_anomaly(enabled); }
DetectAnomalyGuard::~DetectAnomalyGuard() { set_detect_anomaly(previous_); }

AnomalyLabel::AnomalyLabel(std::string_view label) : outer_size_(t_label.size()) {
  if (!t_label.empty()) t_label += '.';
  t_label += label;
}
AnomalyLabel::~AnomalyLabel() { t_label.resize(outer_size_); }

const std::string& current_anomaly_label() { return t_label; }

namespace autograd {

void check_forward_anomaly(std::span<const Tensor> inputs, const Tensor& output) {
  const NonFinite bad = scan(output);
  if (!bad.any()) return;
  const Node& node = *output.impl().autograd->grad_fn;
  std::vector<std::string> notes(inputs.size());
  std::string held;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const NonFinite in = scan(inputs[i]);
    if (!in.any()) continue;
    notes[i] = fmt::format(" -- already non-finite: {}", summary(in, inputs[i]));
    held += fmt::format("{}{}", held.empty() ? "" : ", ", i);
  }
  const std::string cause =
      held.empty() ? fmt::format("its inputs were all finite, so '{}' produced them", node.name)
                   : fmt::format(
                         "input {} already held non-finite values: they come from outside the checked ops (a "
                         "leaf, data, or an op recorded before anomaly mode was on; see below)",
                         held);
  fail<AnomalyError>("anomaly: {} produced {}; {}.\n{}", describe(node), summary(bad, output), cause,
                     producers(node, notes));
}

void check_gradient_into(const Node& node, const Tensor& grad_output) {
  const NonFinite bad = scan(grad_output);
  if (!bad.any()) return;
  fail<AnomalyError>(
      "anomaly: the gradient flowing into the backward of {} holds {}; every gradient summed into it was finite, so "
      "their sum overflowed.\n{}",
      describe(node), summary(bad, grad_output), producers(node));
}

void check_gradients_from(const Node& node, std::span<const Tensor> grads) {
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (!node.edges[i] || !grads[i].defined()) continue;
    const NonFinite bad = scan(grads[i]);
    if (!bad.any()) continue;
    // The gradient of the output was checked on its way in; were the saved tensors finite?
    const BackwardContext ctx(node);
    std::string cause = fmt::format(
        "the gradient of its output and its saved tensors were finite, so the backward rule of '{}' produced it",
        node.name);
    for (std::size_t k = 0; k <= node.saved.size(); ++k) {
      const bool is_output = k == node.saved.size();
      const Tensor saved = is_output ? node.output_data : ctx.saved(node.saved[k].name);
      const NonFinite in = scan(saved);
      if (!in.any()) continue;
      cause = fmt::format(
          "its saved {} already held {}: the forward produced it (run the forward in anomaly mode too "
          "to find where)",
          is_output ? std::string("output") : fmt::format("tensor '{}'", node.saved[k].name), summary(in, saved));
      break;
    }
    fail<AnomalyError>("anomaly: the backward of {} returned a non-finite gradient for input {}: {}; {}.\n{}",
                       describe(node), i, summary(bad, grads[i]), cause, producers(node));
  }
}

void check_leaf_gradient(const Tensor& earlier, const Tensor& sum) {
  const NonFinite bad = scan(sum);
  if (!bad.any()) return;
  const NonFinite before = scan(earlier);
  fail<AnomalyError>(
      "anomaly: backward: the gradient of a leaf of shape {} holds {}; every gradient of this backward "
      "summed into it was finite, {}",
      sum.shape(), summary(bad, sum),
      before.any() ? fmt::format("but its .grad() already held {}", summary(before, earlier))
                   : std::string("and so was its earlier .grad(): the sum overflowed"));
}

void check_root_gradient(std::size_t index, const Tensor& grad) {
  const NonFinite bad = scan(grad);
  TG_CHECK(!bad.any(), AnomalyError, "anomaly: backward: the gradient given for output {} holds {}", index,
           summary(bad, grad));
}

}  // namespace autograd
}  // namespace tg
