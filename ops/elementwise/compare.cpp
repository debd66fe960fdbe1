// The comparisons eq, ne, lt, le, gt, ge: y = a <op> b after promoting a and b to their
// common dtype and broadcasting; y is bool. Not differentiable (no backward): the result is
// piecewise constant.
#include <functional>
#include <string_view>
#include <variant>

#include "ops/builtin_ops.hpp"
#include "ops/kernels/math/elementwise_map.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

using Comparison = std::variant<std::equal_to<>, std::not_equal_to<>, std::less<>, std::less_equal<>, std::greater<>,
                                std::greater_equal<>>;

struct ComparisonRow {
  std::string_view name;
  std::string_view summary;
  Comparison compare;
};

constexpr ComparisonRow kComparisons[] = {
    {"eq", "a == b, broadcasting (bool, not differentiable)", std::equal_to<>()},
    {"ne", "a != b, broadcasting (bool, not differentiable)", std::not_equal_to<>()},
    {"lt", "a < b, broadcasting (bool, not differentiable)", std::less<>()},
    {"le", "a <= b, broadcasting (bool, not differentiable)", std::less_equal<>()},
    {"gt", "a > b, broadcasting (bool, not differentiable)", std::greater<>()},
    {"ge", "a >= b, broadcasting (bool, not differentiable)", std::greater_equal<>()},
};

Tensor compare_forward(ForwardContext& ctx, Comparison comparison) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), ctx.op_name());
  const DType dtype = promote_types(a.dtype(), b.dtype());
  const Tensor x = a.dtype() == dtype ? a : a.clone_as(dtype);
  const Tensor y = b.dtype() == dtype ? b : b.clone_as(dtype);
  return std::visit(
      [&](auto compare) {
        return visit_dtype(dtype, [&](auto tag) {
          using T = decltype(tag);
          return kernels::binary_map<bool, T>(x, y, shape,
                                              [compare](T u, T v) { return static_cast<bool>(compare(u, v)); });
        });
      },
      comparison);
}

std::vector<OpSample<NoAttrs>> compare_samples() {
  // Inputs carry no requires_grad (nothing to check); some pairs are equal, so eq/le/ge
  // see ties: in the first sample b copies a's first row.
  std::vector<OpSample<NoAttrs>> out = samples::binary_broadcast();
  for (OpSample<NoAttrs>& s : out) {
    for (Tensor& t : s.inputs) t = t.detach().clone_as(DType::Float64);
  }
  raw::copy_into(raw::as_strided(out[0].inputs[1], {4}, {1}, 0), raw::as_strided(out[0].inputs[0], {4}, {1}, 0));
  return out;
}

}  // namespace

OpDef<NoAttrs> make_comparison_op(std::string_view name) {
  for (const ComparisonRow& row : kComparisons) {
    if (row.name != name) continue;
    return {
        .name = std::string(row.name),
        .arity = 2,
        .forward = [compare = row.compare](ForwardContext& ctx,
                                           const NoAttrs&) { return compare_forward(ctx, compare); },
        .samples = compare_samples,
        .elementary = true,
        .summary = std::string(row.summary),
    };
  }
  fail<ValueError>("make_comparison_op: no comparison named '{}'", name);
}

Tensor eq(const Tensor& a, const Tensor& b) { return call(builtin_ops().eq, {a, b}); }
Tensor ne(const Tensor& a, const Tensor& b) { return call(builtin_ops().ne, {a, b}); }
Tensor lt(const Tensor& a, const Tensor& b) { return call(builtin_ops().lt, {a, b}); }
Tensor le(const Tensor& a, const Tensor& b) { return call(builtin_ops().le, {a, b}); }
Tensor gt(const Tensor& a, const Tensor& b) { return call(builtin_ops().gt, {a, b}); }
Tensor ge(const Tensor& a, const Tensor& b) { return call(builtin_ops().ge, {a, b}); }

}  // namespace tg
