// The registration list of the attention ops, in the order `tapegrad ops` lists them.
#include "ops/attention/attention_ops.hpp"

namespace tg {

AttentionOps register_attention_ops(OpRegistry& registry) {
  return {
      .scaled_dot_product_attention = registry.add(make_scaled_dot_product_attention_op()),
  };
}

}  // namespace tg
