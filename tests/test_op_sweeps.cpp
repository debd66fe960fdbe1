// Sweeps over the registry, OpInfo-style: every registered op, on every one of its samples
// (the samples verify_op gradchecks), runs in each sample class below and must agree with
// its plain run. A new op gets every sweep by being registered with samples.
//
//   layouts  each input laid out transposed (strides reversed), sliced (every other element
//            of a larger buffer, at an offset) and with size-1 dims given stride 0 (as expand
//            makes them): the output and every input gradient have the same bits as for the
//            contiguous input. A kernel that reads strides wrongly, or takes a fast path
//            without checking contiguity, differs here.
//   float32  the float64 inputs cast to float32: the output keeps float32 (when the float64
//            run kept float64) and agrees, in value and gradients, with the float64 run on
//            the same (float32-rounded) inputs, within float32 rounding.
//   threads  1 and 2 threads give the same bits (forward and gradients); so do two runs.
//
// Zero-size samples are part of every sweep (verify_op requires one per op); gradcheck and
// gradgradcheck (double backward) of every sample run in test_registry.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "tapegrad.hpp"

using namespace tg;

namespace {

// What one run of an op on a sample gives: the output and the gradient of every input that
// requires one, for a fixed output gradient.
struct Run {
  Tensor output;
  std::vector<Tensor> grads;
};

bool floating(const Tensor& t) { return t.defined() && is_floating(t.dtype()); }

// A fixed, non-constant output gradient: 0.5, -0.25, 0.75, ... in the output's dtype, so
// every gradient element depends on its own grad_out element.
Tensor output_gradient(const Tensor& y) {
  Tensor g = empty(y.shape(), {.dtype = f64});
  for (std::int64_t i = 0; i < g.numel(); ++i) g.data<double>()[i] = 0.25 * static_cast<double>(i % 7) - 0.5;
  return g.to(y.dtype());
}

Run run(const Op& op, const OpSample<std::any>& sample, const std::vector<Tensor>& inputs) {
  Run r;
  r.output = call(op, inputs, sample.attrs);
  std::vector<Tensor> wrt;
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) wrt.push_back(t);
  }
  if (op.backward && !wrt.empty() && floating(r.output) && r.output.requires_grad()) {
    r.grads = grad({r.output}, wrt, {output_gradient(r.output)}, {.allow_unused = true});
  }
  return r;
}

// Same shape, dtype and bits (which tells -0 from 0 and compares NaN payloads).
void require_same_bits(const Tensor& a, const Tensor& b, const std::string& what) {
  INFO(what);
  REQUIRE(a.defined() == b.defined());
  if (!a.defined()) return;
  REQUIRE(a.shape() == b.shape());
  REQUIRE(a.dtype() == b.dtype());
  const Tensor ac = a.contiguous(), bc = b.contiguous();
  CHECK(std::memcmp(ac.raw_data(), bc.raw_data(), static_cast<std::size_t>(ac.numel()) * itemsize(ac.dtype())) == 0);
}

void require_same_run(const Run& a, const Run& b) {
  require_same_bits(a.output, b.output, "output");
  REQUIRE(a.grads.size() == b.grads.size());
  for (std::size_t i = 0; i < a.grads.size(); ++i)
    require_same_bits(a.grads[i], b.grads[i], fmt::format("gradient {}", i));
}

// The same values in another layout, as a fresh leaf (requires_grad as the original).
// `strides` and `offset` address a buffer of `extent` elements; the values are copied in.
Tensor relaid(const Tensor& t, const Strides& strides, std::int64_t offset, std::int64_t extent) {
  const Tensor buffer = zeros({extent}, {.dtype = t.dtype()});
  Tensor view = raw::as_strided(buffer, t.shape(), strides, offset);
  raw::copy_into(view, t.detach());
  return view.set_requires_grad(t.requires_grad());
}

Strides row_major_strides(const Shape& shape) {
  Strides s(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * std::max<std::int64_t>(shape[d], 1);
  return s;
}

// Dims stored in reverse order: the first dim varies fastest.
Tensor transposed_layout(const Tensor& t) {
  Strides s(t.dim(), 1);
  for (std::int64_t d = 1; d < t.dim(); ++d) s[d] = s[d - 1] * std::max<std::int64_t>(t.size(d - 1), 1);
  return relaid(t, s, 0, std::max<std::int64_t>(t.numel(), 1));
}

// Every other element of a buffer, from offset 1: a slice with step 2 of a larger tensor.
Tensor sliced_layout(const Tensor& t) {
  Strides s = row_major_strides(t.shape());
  for (auto& v : s) v *= 2;
  return relaid(t, s, 1, 2 * std::max<std::int64_t>(t.numel(), 1) + 1);
}

// Size-1 dims with stride 0, as expand and broadcasting views have them.
Tensor expanded_layout(const Tensor& t) {
  Strides s = row_major_strides(t.shape());
  for (std::int64_t d = 0; d < t.dim(); ++d) {
    if (t.size(d) == 1) s[d] = 0;
  }
  return relaid(t, s, 0, std::max<std::int64_t>(t.numel(), 1));
}

bool has_size_one_dim(const Tensor& t) {
  return std::ranges::any_of(t.shape(), [](std::int64_t n) { return n == 1; });
}

// Calls fn(op, sample, label) for every sample the op runs (not the ones it rejects).
template <class Fn>
void for_each_sample(Fn&& fn) {
  for (const Op* op : registry().ops()) {
    for (const OpSample<std::any>& sample : op->samples()) {
      if (sample.rejects != nullptr) continue;
      INFO("op ", op->name, ", sample \"", sample.label, "\"");
      fn(*op, sample);
    }
  }
}

// Inputs with input `which` replaced by `layout(input)` (only tensors with elements and at
// least one dim; nothing to relay out otherwise).
template <class Layout>
bool with_layout(std::vector<Tensor>& inputs, std::size_t which, Layout layout) {
  const Tensor& t = inputs[which];
  if (!t.defined() || t.dim() == 0) return false;
  inputs[which] = layout(t);
  return true;
}

// float64 inputs rounded to float32, in float64 and in float32.
std::pair<std::vector<Tensor>, std::vector<Tensor>> float32_rounded(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> as64, as32;
  for (const Tensor& t : inputs) {
    if (!t.defined() || t.dtype() != f64) {
      as64.push_back(t);
      as32.push_back(t);
      continue;
    }
    const Tensor single = t.detach().to(f32);
    as64.push_back(single.to(f64).set_requires_grad(t.requires_grad()));
    as32.push_back(single.clone().set_requires_grad(t.requires_grad()));
  }
  return {as64, as32};
}

// |a - b| <= tol * (1 + max|b|) elementwise, a in float32 and b in float64; exact for
// non-float outputs (comparisons, indices), which see the same rounded inputs.
void require_close_in_float32(const Tensor& a, const Tensor& b, const std::string& what, bool dtype_follows_input) {
  INFO(what);
  REQUIRE(a.defined() == b.defined());
  if (!a.defined()) return;
  REQUIRE(a.shape() == b.shape());
  if (!floating(b)) {
    CHECK(equal(a, b));
    return;
  }
  if (dtype_follows_input && b.dtype() == f64) CHECK(a.dtype() == f32);
  const Tensor a64 = a.detach().to(f64).contiguous(), b64 = b.detach().to(f64).contiguous();
  const double* x = a64.data<double>();
  const double* y = b64.data<double>();
  double scale = 1.0;
  for (std::int64_t i = 0; i < b64.numel(); ++i) {
    if (std::isfinite(y[i])) scale = std::max(scale, 1.0 + std::abs(y[i]));
  }
  for (std::int64_t i = 0; i < b64.numel(); ++i) {
    if (std::isnan(y[i]) || std::isinf(y[i])) {
      CHECK_MESSAGE((std::isnan(y[i]) ? std::isnan(x[i]) : x[i] == y[i]), "element ", i);
      continue;
    }
    CHECK_MESSAGE(std::abs(x[i] - y[i]) <= 2e-5 * scale, "element ", i, ": ", x[i], " vs ", y[i]);
  }
}

}  // namespace

TEST_CASE("every op gives the same bits for transposed, sliced and expanded input layouts") {
  std::size_t relaid_inputs = 0;
  for_each_sample([&](const Op& op, const OpSample<std::any>& sample) {
    const Run plain = run(op, sample, sample.inputs);
    const auto check_layout = [&](const char* name, auto layout, auto applies) {
      for (std::size_t i = 0; i < sample.inputs.size(); ++i) {
        std::vector<Tensor> inputs = sample.inputs;
        if (!applies(inputs[i]) || !with_layout(inputs, i, layout)) continue;
        INFO(name, " layout of input ", i);
        require_same_run(run(op, sample, inputs), plain);
        ++relaid_inputs;
      }
    };
    check_layout("transposed", transposed_layout, [](const Tensor& t) { return t.defined() && t.dim() >= 2; });
    check_layout("sliced", sliced_layout, [](const Tensor& t) { return t.defined(); });
    check_layout("expanded", expanded_layout, [](const Tensor& t) { return t.defined() && has_size_one_dim(t); });
  });
  CHECK(relaid_inputs > 300);  // the sweep reaches the ops: every op has a sample with tensor inputs
}

TEST_CASE("every op runs in float32 and agrees with float64 on the same inputs") {
  std::size_t compared = 0;
  for_each_sample([&](const Op& op, const OpSample<std::any>& sample) {
    if (std::ranges::none_of(sample.inputs, [](const Tensor& t) { return t.defined() && t.dtype() == f64; })) return;
    const auto [as64, as32] = float32_rounded(sample.inputs);
    const Run wide = run(op, sample, as64);
    const Run single = run(op, sample, as32);
    // An op whose attribute is a dtype (cast) chooses its output dtype itself.
    const bool dtype_follows_input = sample.attrs.type() != typeid(DType);
    require_close_in_float32(single.output, wide.output, "output", dtype_follows_input);
    REQUIRE(single.grads.size() == wide.grads.size());
    for (std::size_t i = 0; i < wide.grads.size(); ++i) {
      require_close_in_float32(single.grads[i], wide.grads[i], fmt::format("gradient {}", i), true);
    }
    ++compared;
  });
  CHECK(compared > 150);
}

TEST_CASE("every op gives the same bits on 1 and 2 threads, and run after run") {
  for_each_sample([&](const Op& op, const OpSample<std::any>& sample) {
    set_num_threads(1);
    const Run one = run(op, sample, sample.inputs);
    set_num_threads(2);
    const Run two = run(op, sample, sample.inputs);
    const Run again = run(op, sample, sample.inputs);
    set_num_threads(0);
    require_same_run(one, two);
    require_same_run(two, again);
  });
}
