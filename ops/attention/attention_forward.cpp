// The fused forward of scaled_dot_product_attention, per batch entry b (one task each):
//   P_b = q_b k_b^T * scale           (GEMM, k_b read transposed through its strides)
//   P_b[i, j] += mask_b[i, j]; P_b[i, j] = -inf for j > i if causal
//   P_b[i, :] = softmax(P_b[i, :])    (in place: max-subtracted exp, sum, divide)
//   out_b = P_b v_b                   (GEMM)
// The operands are read through their strides (a head split by permute is not copied), and
// each score block is consumed while it is still in cache. Every row is computed by one
// task in a fixed order, so the bits do not depend on the thread count.
#include <cmath>
#include <limits>

#include "ops/attention/attention_ops.hpp"
#include "ops/kernels/gemm/gemm.hpp"
#include "ops/kernels/math/softmax_kernels.hpp"
#include "tensor/checked_math.hpp"
#include "tensor/parallel.hpp"

namespace tg::detail {

namespace {

Shape with_matrix(Shape batch, std::int64_t rows, std::int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

// Element offsets of each batch entry's matrix in t (whose leading dims are `batch`).
std::vector<std::int64_t> batch_offsets(const Tensor& t, const Shape& batch) {
  const auto rank = static_cast<std::int64_t>(batch.size());
  std::int64_t count = 1;
  for (std::int64_t d : batch) count *= d;
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(count));
  for (std::int64_t b = 0; b < count; ++b) {
    std::int64_t rem = b, off = 0;
    for (std::int64_t d = rank - 1; d >= 0; --d) {
      off += (rem % batch[d]) * t.strides()[d];
      rem /= batch[d];
    }
    offsets[b] = off;
  }
  return offsets;
}

template <class T>
void softmax_row_in_place(T* row, std::int64_t n) {
  const T m = kernels::row_max(row, n);
  kernels::exp_shifted(row, m, row, n);
  const T s = kernels::row_sum(row, n);
  for (std::int64_t j = 0; j < n; ++j) row[j] /= s;
}

}  // namespace

AttentionShape attention_shape(std::string_view op, const Tensor& q, const Tensor& k, const Tensor& v,
                               const Tensor& mask, const AttentionOptions& options) {
  TG_CHECK(q.defined() && k.defined() && v.defined(), ValueError, "{}: query, key and value must be defined", op);
  TG_CHECK(q.dim() >= 2 && k.dim() == q.dim() && v.dim() == q.dim(), ShapeError,
           "{}: query {}, key {} and value {} must have the same rank, at least 2", op, q.shape(), k.shape(),
           v.shape());
  AttentionShape a;
  a.batch = Shape(q.shape().begin(), q.shape().end() - 2);
  const Shape kb(k.shape().begin(), k.shape().end() - 2);
  const Shape vb(v.shape().begin(), v.shape().end() - 2);
  a.l = q.size(-2);
  a.e = q.size(-1);
  a.s = k.size(-2);
  a.ev = v.size(-1);
  TG_CHECK(kb == a.batch && vb == a.batch && k.size(-1) == a.e && v.size(-2) == a.s, ShapeError,
           "{}: query {} [..., L, E], key {} [..., S, E] and value {} [..., S, Ev] do not match", op, q.shape(),
           k.shape(), v.shape());
  TG_CHECK(k.dtype() == q.dtype() && v.dtype() == q.dtype(), DTypeError,
           "{}: query, key and value have dtypes {}, {} and {}", op, dtype_name(q.dtype()), dtype_name(k.dtype()),
           dtype_name(v.dtype()));
  if (mask.defined()) {
    TG_CHECK(mask.dtype() == q.dtype(), DTypeError, "{}: attn_mask must be an additive mask of dtype {}, got {}", op,
             dtype_name(q.dtype()), dtype_name(mask.dtype()));
    const Shape target = with_matrix(a.batch, a.l, a.s);
    const auto extra = static_cast<std::int64_t>(target.size()) - mask.dim();
    bool broadcasts = extra >= 0;
    for (std::int64_t d = 0; broadcasts && d < mask.dim(); ++d) {
      broadcasts = mask.size(d) == 1 || mask.size(d) == target[extra + d];
    }
    TG_CHECK(broadcasts, ShapeError, "{}: attn_mask {} does not broadcast to the scores' shape {}", op, mask.shape(),
             target);
  }
  a.scale = options.scale.value_or(a.e > 0 ? 1.0 / std::sqrt(static_cast<double>(a.e)) : 1.0);
  return a;
}

AttentionResult attention_forward(std::string_view op, const Tensor& q, const Tensor& k, const Tensor& v,
                                  const Tensor& mask, const AttentionShape& a, bool is_causal) {
  return visit_floating(q.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const Shape score_shape = with_matrix(a.batch, a.l, a.s);
    const TensorOptions opts{.dtype = q.dtype()};
    // Without keys the output is an empty sum; without features every score is 0.
    AttentionResult r{
        .out = a.s == 0 ? zeros(with_matrix(a.batch, a.l, a.ev), opts) : empty(with_matrix(a.batch, a.l, a.ev), opts),
        .probs = a.e == 0 ? zeros(score_shape, opts) : empty(score_shape, opts)};
    const std::int64_t batches = numel(a.batch);
    if (batches == 0 || a.l == 0 || a.s == 0) return r;
    const Tensor mb = mask.defined() ? raw::as_strided(mask, score_shape,
                                                       broadcast_strides(mask.shape(), mask.strides(), score_shape, op),
                                                       mask.offset())
                                     : Tensor();
    const std::vector<std::int64_t> qo = batch_offsets(q, a.batch), ko = batch_offsets(k, a.batch),
                                    vo = batch_offsets(v, a.batch),
                                    mo = mb.defined() ? batch_offsets(mb, a.batch) : std::vector<std::int64_t>{};
    const auto rank = static_cast<std::int64_t>(a.batch.size());
    const T* pq = q.data<T>();
    const T* pk = k.data<T>();
    const T* pv = v.data<T>();
    const T* pm = mb.defined() ? mb.data<T>() : nullptr;
    const std::int64_t ml = mb.defined() ? mb.strides()[rank] : 0, ms = mb.defined() ? mb.strides()[rank + 1] : 0;
    T* pp = r.probs.data<T>();
    T* po = r.out.data<T>();
    const std::int64_t work = saturating_mul(a.l * a.s, a.e + a.ev + 1);
    parallel_for(batches, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(work, 1)),
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t b = begin; b < end; ++b) {
                     T* p = pp + b * a.l * a.s;
                     if (a.e > 0) {
                       kernels::gemm<T>(a.l, a.s, a.e, static_cast<T>(a.scale), pq + qo[b], q.strides()[rank],
                                        q.strides()[rank + 1], pk + ko[b], k.strides()[rank + 1], k.strides()[rank],
                                        T(0), p, a.s);
                     }
                     for (std::int64_t i = 0; i < a.l; ++i) {
                       T* row = p + i * a.s;
                       if (pm != nullptr) {
                         const T* m = pm + mo[b] + i * ml;
                         for (std::int64_t j = 0; j < a.s; ++j) row[j] += m[j * ms];
                       }
                       if (is_causal) {
                         for (std::int64_t j = i + 1; j < a.s; ++j) row[j] = -std::numeric_limits<T>::infinity();
                       }
                       softmax_row_in_place(row, a.s);
                     }
                     kernels::gemm<T>(a.l, a.ev, a.s, T(1), p, a.s, 1, pv + vo[b], v.strides()[rank],
                                      v.strides()[rank + 1], T(0), po + b * a.l * a.ev, a.ev);
                   }
                 });
    return r;
  });
}

}  // namespace tg::detail
