// Built-in loss ops, in the order `tapegrad ops` lists them.
#include "ops/registry.hpp"

namespace tg {

OpDef make_cross_entropy_op();
OpDef make_bce_with_logits_op();

void register_loss_ops(OpRegistry& registry) {
  registry.add(make_cross_entropy_op());
  registry.add(make_bce_with_logits_op());
}

}  // namespace tg
