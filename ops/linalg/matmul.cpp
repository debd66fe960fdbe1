// matmul (NumPy semantics): C[..., i, j] = sum_p A[..., i, p] * B[..., p, j], batch dims
// broadcast; a 1-D A is promoted to [1, K] and a 1-D B to [K, 1], and the added dim is
// removed from the result (1-D x 1-D is the dot product, a 0-d tensor).
// dA = g @ B^T and dB = A^T @ g (on the promoted shapes), each summed back over the batch
// dims its operand was broadcast along, then reshaped to the operand's shape.
#include "ops/builtin_ops.hpp"
#include "ops/kernels/gemm/gemm.hpp"
#include "ops/linalg.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/checked_math.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace {

struct MatmulPlan {
  Shape a2;   // A's promoted shape (at least 2-D)
  Shape b2;   // B's promoted shape
  Shape c2;   // batch + [m, n]
  Shape out;  // c2 without the dims added by promotion
  std::int64_t m = 0, n = 0, k = 0;
};

MatmulPlan plan_matmul(const Shape& a, const Shape& b) {
  TG_CHECK(!a.empty() && !b.empty(), ShapeError, "matmul: both operands must be at least 1-D, got shapes {} and {}", a,
           b);
  MatmulPlan p;
  p.a2 = a.size() == 1 ? Shape{1, a[0]} : a;
  p.b2 = b.size() == 1 ? Shape{b[0], 1} : b;
  const std::int64_t ka = p.a2.back();
  const std::int64_t kb = p.b2[p.b2.size() - 2];
  TG_CHECK(ka == kb, ShapeError, "matmul: shapes {} and {} cannot be multiplied ({} != {})", a, b, ka, kb);
  p.m = p.a2[p.a2.size() - 2];
  p.k = ka;
  p.n = p.b2.back();
  const Shape batch_a(p.a2.begin(), p.a2.end() - 2);
  const Shape batch_b(p.b2.begin(), p.b2.end() - 2);
  p.c2 = broadcast_shapes(batch_a, batch_b, "matmul");
  p.out = p.c2;
  if (a.size() > 1) p.out.push_back(p.m);
  if (b.size() > 1) p.out.push_back(p.n);
  p.c2.push_back(p.m);
  p.c2.push_back(p.n);
  return p;
}

// x viewed with its promoted shape (a stride-0 dim for the added one), then broadcast to
// batch + its last two dims. No copy: gemm reads any strides.
Tensor promoted_view(const Tensor& x, const Shape& promoted, const Shape& c2, bool is_a) {
  Strides strides = x.strides();
  if (x.dim() == 1) strides = is_a ? Strides{0, strides[0]} : Strides{strides[0], 0};
  Shape target(c2.begin(), c2.end() - 2);
  target.push_back(promoted[promoted.size() - 2]);
  target.push_back(promoted.back());
  return raw::as_strided(x, target, broadcast_strides(promoted, strides, target, "matmul"), x.offset());
}

Tensor matmul_forward(const Tensor& a, const Tensor& b) {
  const MatmulPlan p = plan_matmul(a.shape(), b.shape());
  TG_CHECK(a.dtype() == b.dtype(), DTypeError, "matmul: operands have different dtypes {} and {}",
           dtype_name(a.dtype()), dtype_name(b.dtype()));
  return visit_floating(a.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    // With k == 0 the product is all zeros (an empty sum).
    Tensor c = p.k == 0 ? zeros(p.c2, {.dtype = a.dtype()}) : empty(p.c2, {.dtype = a.dtype()});
    const Tensor av = promoted_view(a, p.a2, p.c2, true);
    const Tensor bv = promoted_view(b, p.b2, p.c2, false);
    const auto rank = static_cast<std::int64_t>(p.c2.size());
    const std::int64_t batches = numel(p.c2) == 0 ? 0 : numel(p.c2) / (p.m * p.n);
    if (batches == 0 || p.k == 0) return raw::as_strided(c, p.out, contiguous_strides(p.out), 0);
    const T* a0 = av.data<T>();
    const T* b0 = bv.data<T>();
    T* c0 = c.data<T>();
    // Each product is one gemm call writing its own block of c, so running the batches in
    // parallel does not change any bits.
    const std::int64_t work = saturating_mul(p.m * p.n, p.k);  // m * n fits: c holds it
    const std::int64_t grain = std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(work, 1));
    parallel_for(batches, grain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t bi = begin; bi < end; ++bi) {
        std::int64_t a_off = 0, b_off = 0, rem = bi;
        for (std::int64_t d = rank - 3; d >= 0; --d) {
          const std::int64_t i = rem % p.c2[d];
          rem /= p.c2[d];
          a_off += i * av.strides()[d];
          b_off += i * bv.strides()[d];
        }
        kernels::gemm<T>(p.m, p.n, p.k, T(1), a0 + a_off, av.strides()[rank - 2], av.strides()[rank - 1], b0 + b_off,
                         bv.strides()[rank - 2], bv.strides()[rank - 1], T(0), c0 + bi * p.m * p.n, p.n);
      }
    });
    return raw::as_strided(c, p.out, contiguous_strides(p.out), 0);
  });
}

}  // namespace

OpDef<NoAttrs> make_matmul_op() {
  return {
      .name = "matmul",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            // Each gradient needs the other operand only.
            if (ctx.needs_input_grad(1)) ctx.save("a", ctx.input(0));
            if (ctx.needs_input_grad(0)) ctx.save("b", ctx.input(1));
            return matmul_forward(ctx.input(0), ctx.input(1));
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Shape& a_shape = ctx.input_shape(0);
        const Shape& b_shape = ctx.input_shape(1);
        const MatmulPlan p = plan_matmul(a_shape, b_shape);
        const Tensor a = ctx.needs_input_grad(1) ? ctx.saved("a") : Tensor();
        const Tensor b = ctx.needs_input_grad(0) ? ctx.saved("b") : Tensor();
        const Tensor g2 = reshape(g, p.c2);
        Tensor da, db;
        if (ctx.needs_input_grad(0)) {
          da = reshape(sum_to(matmul(g2, transpose(reshape(b, p.b2), -1, -2)), p.a2), a_shape);
        }
        if (ctx.needs_input_grad(1)) {
          db = reshape(sum_to(matmul(transpose(reshape(a, p.a2), -1, -2), g2), p.b2), b_shape);
        }
        return {da, db};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 40);
            Tensor base = samples::arg({4, 3}, gen);
            Tensor transposed = raw::as_strided(base.detach(), {3, 4}, {1, 3}, 0).set_requires_grad(true);
            return std::vector<OpSample<NoAttrs>>{
                {"[3] . [3]", {samples::arg({3}, gen), samples::arg({3}, gen)}, {}},
                {"[3] @ [3, 4]", {samples::arg({3}, gen), samples::arg({3, 4}, gen)}, {}},
                {"[3, 4] @ [4]", {samples::arg({3, 4}, gen), samples::arg({4}, gen)}, {}},
                {"[2, 3] @ [3, 4]", {samples::arg({2, 3}, gen), samples::arg({3, 4}, gen)}, {}},
                {"[2, 3] @ [3, 4] transposed", {samples::arg({2, 3}, gen), transposed}, {}},
                {"[2, 1, 3, 4] @ [3, 4, 2]", {samples::arg({2, 1, 3, 4}, gen), samples::arg({3, 4, 2}, gen)}, {}},
                {"[4] @ [2, 4, 3]", {samples::arg({4}, gen), samples::arg({2, 4, 3}, gen)}, {}},
                // Zero-size: an empty inner dimension sums nothing (zeros); empty outer or batch dims.
                {.label = "[2, 0] @ [0, 3] (empty inner: zeros)",
                 .inputs = {samples::arg({2, 0}, gen), samples::arg({0, 3}, gen)},
                 .expected = zeros({2, 3}, {.dtype = DType::Float64})},
                {.label = "[0] . [0] (empty: 0)",
                 .inputs = {samples::arg({0}, gen), samples::arg({0}, gen)},
                 .expected = zeros({}, {.dtype = DType::Float64})},
                {"[0, 3] @ [3, 4] (empty)", {samples::arg({0, 3}, gen), samples::arg({3, 4}, gen)}, {}},
                {"[2, 3] @ [3, 0] (empty)", {samples::arg({2, 3}, gen), samples::arg({3, 0}, gen)}, {}},
                {"[0, 2, 3] @ [3] (empty batch)", {samples::arg({0, 2, 3}, gen), samples::arg({3}, gen)}, {}},
                // Both operands broadcast along batch dims (appended last: earlier samples keep their values).
                {"[2, 1, 3, 4] @ [5, 4, 2]", {samples::arg({2, 1, 3, 4}, gen), samples::arg({5, 4, 2}, gen)}, {}},
                {"[3, 1, 2, 3] @ [1, 2, 3, 2]", {samples::arg({3, 1, 2, 3}, gen), samples::arg({1, 2, 3, 2}, gen)}, {}},
            };
          },
      .elementary = true,
      .summary = "matrix product, NumPy semantics (1-D promotion, batch broadcasting)",
  };
}

Tensor matmul(const Tensor& a, const Tensor& b) { return call(builtin_ops().matmul, {a, b}); }

}  // namespace tg
