// The handles of the loss ops beyond cross_entropy and bce_with_logits (nll_loss,
// binary_cross_entropy). Each family of ops keeps its handles in a header of its own, so that
// adding an op recompiles that family only; ops/builtin_ops.cpp registers the families in a
// fixed order after the core ops (builtin_ops.hpp).
#pragma once

#include "ops/loss.hpp"
#include "ops/registry.hpp"

namespace tg {

struct LossOps {
  OpHandle<NllLossAttrs> nll_loss;
  OpHandle<NoAttrs> binary_cross_entropy;
};

OpDef<NllLossAttrs> make_nll_loss_op();
OpDef<NoAttrs> make_binary_cross_entropy_op();

// Valid from the first call on, from any thread (filled while the registry is built).
const LossOps& loss_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
LossOps register_loss_ops(OpRegistry& registry);

}  // namespace tg
