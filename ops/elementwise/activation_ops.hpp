// The handles of the activations and smooth elementwise functions (sin, cos, erf, gelu, silu, ...) ops. Each family of
// ops keeps its handles in a header of its own, so that adding an op recompiles that family only; ops/builtin_ops.cpp
// registers the families in a fixed order after the core ops (builtin_ops.hpp).
#pragma once

#include "ops/registry.hpp"

namespace tg {

struct ActivationOps {};

// Valid from the first call on, from any thread (filled while the registry is built).
const ActivationOps& activation_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
ActivationOps register_activation_ops(OpRegistry& registry);

}  // namespace tg
