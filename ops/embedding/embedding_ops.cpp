// The registration list of the embedding ops, in the order `tapegrad ops` lists them.
#include "ops/embedding/embedding_ops.hpp"

namespace tg {

EmbeddingOps register_embedding_ops(OpRegistry& registry) {
  return {
      .embedding = registry.add(make_embedding_op()),
      .embedding_backward = registry.add(make_embedding_backward_op()),
  };
}

}  // namespace tg
