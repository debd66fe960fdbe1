// The registration list of the normalization ops, in the order `tapegrad ops` lists them.
#include "ops/normalization/normalization_ops.hpp"

namespace tg {

NormalizationOps register_normalization_ops(OpRegistry& registry) {
  return {
      .layer_norm = registry.add(make_layer_norm_op()),
      .batch_norm = registry.add(make_batch_norm_op()),
  };
}

}  // namespace tg
