// The handles of the statistics and scans over a dim (var, std, norm, amin, min, logsumexp,
// cumsum, argsort, topk) ops, their attributes, and the kernels they share. Each family of
// ops keeps its handles in a header of its own, so that adding an op recompiles that family
// only; ops/builtin_ops.cpp registers the families in a fixed order after the core ops
// (builtin_ops.hpp).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ops/reduction/reduce_attrs.hpp"
#include "ops/registry.hpp"

namespace tg {

namespace detail {

// var and std: the sum of squared deviations from the mean over `dims`, divided by
// n - 1 (unbiased) or n.
struct VarianceAttrs {
  std::vector<std::int64_t> dims;  // as given (empty = all)
  bool unbiased = true;
  bool keepdim = false;
};

struct NormAttrs {
  double p = 2.0;  // 1, 2 or infinity
  std::vector<std::int64_t> dims;
  bool keepdim = false;
};

struct SortAttrs {
  std::int64_t dim = -1;
  bool descending = false;
};

struct TopkAttrs {
  std::int64_t k = 1;
  std::int64_t dim = -1;
  bool largest = true;
};

// var (or std when `root`) of a float tensor over the wrapped sorted `dims`, two passes
// (mean, then squared deviations) in the fixed block order of kernels::reduce_rows. Raw.
Tensor variance_forward(std::string_view op, const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim,
                        bool unbiased, bool root);
// n - correction: the divisor of var and std (n = the number of reduced elements).
double variance_divisor(const Shape& shape, const VarianceAttrs& attrs, std::string_view op);
// x - mean(x, dims, keepdim = true), with ops (differentiable).
Tensor centred(const Tensor& x, const VarianceAttrs& attrs);
// The samples var and std share (seeded differently).
std::vector<OpSample<VarianceAttrs>> variance_samples(std::uint64_t seed);

// The positions along `dim` that sort each lane of x (stable; NaN counts as the largest
// value), truncated to the first k (k < 0: all). Raw, int64.
Tensor sorted_positions(std::string_view op, const Tensor& x, std::int64_t dim, bool descending, std::int64_t k);

}  // namespace detail

struct StatisticOps {
  OpHandle<detail::VarianceAttrs> var;
  OpHandle<detail::VarianceAttrs> std_dev;  // registered as "std"
  OpHandle<detail::NormAttrs> norm;
  OpHandle<detail::ReduceAttrs> amin;
  OpHandle<detail::ReduceAttrs> min;
  OpHandle<detail::ReduceAttrs> logsumexp;
  OpHandle<std::int64_t> cumsum;
  OpHandle<detail::SortAttrs> argsort;
  OpHandle<detail::TopkAttrs> topk_indices;
};

OpDef<detail::VarianceAttrs> make_var_op();
OpDef<detail::VarianceAttrs> make_std_op();
OpDef<detail::NormAttrs> make_norm_op();
OpDef<detail::ReduceAttrs> make_amin_op();
OpDef<detail::ReduceAttrs> make_min_op();
OpDef<detail::ReduceAttrs> make_logsumexp_op();
OpDef<std::int64_t> make_cumsum_op();
OpDef<detail::SortAttrs> make_argsort_op();
OpDef<detail::TopkAttrs> make_topk_indices_op();

// Valid from the first call on, from any thread (filled while the registry is built).
const StatisticOps& statistic_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
StatisticOps register_statistic_ops(OpRegistry& registry);

}  // namespace tg
