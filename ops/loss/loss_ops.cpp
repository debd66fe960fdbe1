// The registration list of the loss ops, in the order `tapegrad ops` lists them.
#include "ops/loss/loss_ops.hpp"

namespace tg {

LossOps register_loss_ops(OpRegistry& registry) {
  return {
      .nll_loss = registry.add(make_nll_loss_op()),
      .binary_cross_entropy = registry.add(make_binary_cross_entropy_op()),
  };
}

}  // namespace tg
