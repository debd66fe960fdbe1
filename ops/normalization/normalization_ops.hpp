// The handles of the normalization layers' primitives (layer_norm) ops. Each family of ops keeps its handles in a
// header of its own, so that adding an op recompiles that family only; ops/builtin_ops.cpp registers the families in a
// fixed order after the core ops (builtin_ops.hpp).
#pragma once

#include "ops/registry.hpp"

namespace tg {

struct NormalizationOps {};

// Valid from the first call on, from any thread (filled while the registry is built).
const NormalizationOps& normalization_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
NormalizationOps register_normalization_ops(OpRegistry& registry);

}  // namespace tg
