// The handles of the masking (masked_fill, tril, triu) ops, and the kernels tril and triu
// share. Each family of ops keeps its handles in a header of its own, so that adding an op
// recompiles that family only; ops/builtin_ops.cpp registers the families in a fixed order
// after the core ops (builtin_ops.hpp).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ops/registry.hpp"

namespace tg {

namespace detail {

// tril (lower) or triu of x over its last two dims: element (i, j) is kept when
// j - i <= diagonal (tril) or j - i >= diagonal (triu), else 0. Raw; ShapeError below 2-D.
Tensor triangle_forward(std::string_view op, const Tensor& x, std::int64_t diagonal, bool lower);
// The kept positions as a bool [rows, cols] tensor, composed from arange and comparisons
// (for the reference compositions).
Tensor triangle_keep_mask(std::int64_t rows, std::int64_t cols, std::int64_t diagonal, bool lower);
// where(keep, x, 0): the reference composition of tril and triu.
Tensor triangle_composition(const Tensor& x, std::int64_t diagonal, bool lower);
// The samples tril and triu share (seeded differently).
std::vector<OpSample<std::int64_t>> triangle_samples(std::uint64_t seed, bool lower);

}  // namespace detail

struct MaskOps {
  OpHandle<double> masked_fill;
  OpHandle<std::int64_t> tril;
  OpHandle<std::int64_t> triu;
};

OpDef<double> make_masked_fill_op();
OpDef<std::int64_t> make_tril_op();
OpDef<std::int64_t> make_triu_op();

// Valid from the first call on, from any thread (filled while the registry is built).
const MaskOps& mask_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
MaskOps register_mask_ops(OpRegistry& registry);

}  // namespace tg
