// The registration list of the mask ops, in the order `tapegrad ops` lists them.
#include "ops/shape/mask_ops.hpp"

namespace tg {

MaskOps register_mask_ops(OpRegistry& registry) {
  return {
      .masked_fill = registry.add(make_masked_fill_op()),
      .tril = registry.add(make_tril_op()),
      .triu = registry.add(make_triu_op()),
  };
}

}  // namespace tg
