// where: y = cond ? a : b, with cond (bool), a and b broadcast together; y has the
// promoted dtype of a and b.  da = g where cond, 0 elsewhere; db = g where !cond, 0
// elsewhere (each summed back to its shape); cond gets no gradient.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise/binary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_where_op() {
  return {
      .name = "where",
      .arity = 3,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            const Tensor& cond = ctx.input(0);
            const Tensor& a = ctx.input(1);
            const Tensor& b = ctx.input(2);
            TG_CHECK(cond.dtype() == DType::Bool, DTypeError, "where: condition must be bool, got {}", cond.dtype());
            if (ctx.needs_input_grad(1) || ctx.needs_input_grad(2)) ctx.save("cond", cond);
            const Shape shape =
                broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
            const DType dtype = promote_types(a.dtype(), b.dtype());
            const Tensor x = a.dtype() == dtype ? a : a.clone_as(dtype);
            const Tensor y = b.dtype() == dtype ? b : b.clone_as(dtype);
            return visit_dtype(dtype, [&](auto tag) {
              using T = decltype(tag);
              return kernels::ternary_map<T, bool, T, T>(cond, x, y, shape, [](bool c, T u, T v) { return c ? u : v; });
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor& cond = ctx.saved("cond");
        const Tensor zero = scalar_tensor(0.0, {.dtype = g.dtype()});
        return {Tensor(), ctx.needs_input_grad(1) ? detail::reduce_grad(ctx, 1, where(cond, g, zero)) : Tensor(),
                ctx.needs_input_grad(2) ? detail::reduce_grad(ctx, 2, where(cond, zero, g)) : Tensor()};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 45);
            // A fixed mix of true and false, so both branches receive gradient.
            auto condition = [](const Shape& shape) {
              std::vector<double> bits(static_cast<std::size_t>(numel(shape)));
              for (std::size_t i = 0; i < bits.size(); ++i) bits[i] = (i * 7 + 3) % 5 < 2 ? 1.0 : 0.0;
              return from_vector(bits, shape, {.dtype = DType::Float64}).clone_as(DType::Bool);
            };
            return std::vector<OpSample<NoAttrs>>{
                {"[3, 4] everywhere", {condition({3, 4}), samples::arg({3, 4}, gen), samples::arg({3, 4}, gen)}, {}},
                {"cond [3, 1], a [1, 4], b [4]",
                 {condition({3, 1}), samples::arg({1, 4}, gen), samples::arg({4}, gen)},
                 {}},
                {"cond [2, 3, 4], a [3, 4], b 0-d",
                 {condition({2, 3, 4}), samples::arg({3, 4}, gen), samples::arg({}, gen)},
                 {}},
                {"cond [0, 4], a [4], b 0-d (empty)",
                 {condition({0, 4}), samples::arg({4}, gen), samples::arg({}, gen)},
                 {}},
            };
          },
      .elementary = true,
      .summary = "cond ? a : b, broadcasting all three",
  };
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) { return call(builtin_ops().where, {cond, a, b}); }

}  // namespace tg
