// Shared definition of the comparisons eq, ne, lt, le, gt, ge: y = a <op> b after
// promoting a and b to their common dtype and broadcasting; y is bool. Not
// differentiable (no backward): the result is piecewise constant.
#pragma once

#include <string>

#include "ops/kernels/math/elementwise_map.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg::detail {

template <class Compare>
OpDef make_compare_op(std::string name, std::string summary, Compare compare) {
  return {
      .name = std::move(name),
      .arity = 2,
      .forward = [compare](ForwardContext& ctx) {
        const Tensor& a = ctx.input(0);
        const Tensor& b = ctx.input(1);
        const Shape shape = broadcast_shapes(a.shape(), b.shape(), ctx.op_name());
        const DType dtype = promote_types(a.dtype(), b.dtype());
        const Tensor x = a.dtype() == dtype ? a : a.clone_as(dtype);
        const Tensor y = b.dtype() == dtype ? b : b.clone_as(dtype);
        return visit_dtype(dtype, [&](auto tag) {
          using T = decltype(tag);
          return kernels::binary_map<bool, T>(x, y, shape, [compare](T u, T v) { return static_cast<bool>(compare(u, v)); });
        });
      },
      .samples = [] {
        // Inputs carry no requires_grad (nothing to check); some pairs are equal, so
        // eq/le/ge see ties: in the first sample b copies a's first row.
        std::vector<OpSample> out = samples::binary_broadcast();
        for (OpSample& s : out) {
          for (Tensor& t : s.inputs) t = t.detach().clone_as(DType::Float64);
        }
        raw::copy_into(raw::as_strided(out[0].inputs[1], {4}, {1}, 0), raw::as_strided(out[0].inputs[0], {4}, {1}, 0));
        return out;
      },
      .summary = std::move(summary),
  };
}

}  // namespace tg::detail
