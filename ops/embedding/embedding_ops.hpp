// The handles of the embedding lookups ops. Each family of ops keeps its handles in a header
// of its own, so that adding an op recompiles that family only; ops/builtin_ops.cpp
// registers the families in a fixed order after the core ops (builtin_ops.hpp).
#pragma once

#include "ops/embedding.hpp"
#include "ops/registry.hpp"

namespace tg {

struct EmbeddingOps {
  OpHandle<EmbeddingAttrs> embedding;
  OpHandle<EmbeddingBackwardAttrs> embedding_backward;
};

OpDef<EmbeddingAttrs> make_embedding_op();
OpDef<EmbeddingBackwardAttrs> make_embedding_backward_op();

// Valid from the first call on, from any thread (filled while the registry is built).
const EmbeddingOps& embedding_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
EmbeddingOps register_embedding_ops(OpRegistry& registry);

}  // namespace tg
