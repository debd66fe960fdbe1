// The handles of the activation ops and smooth elementwise functions (sin, cos, erf, gelu,
// silu, ...), with their attribute structs. Each family of ops keeps its handles in a header
// of its own, so that adding an op recompiles that family only; ops/builtin_ops.cpp
// registers the families in a fixed order after the core ops (builtin_ops.hpp).
#pragma once

#include "ops/elementwise.hpp"
#include "ops/registry.hpp"

namespace tg {

struct GeluAttrs {
  GeluApproximate approximate = GeluApproximate::None;
};
struct SoftplusAttrs {
  double beta = 1.0;
  double threshold = 20.0;
};
struct EluAttrs {
  double alpha = 1.0;
};
struct LeakyReluAttrs {
  double negative_slope = 0.01;
};

struct ActivationOps {
  OpHandle<NoAttrs> sin, cos, erf, log1p, expm1, rsqrt;
  OpHandle<GeluAttrs> gelu, gelu_backward;
  OpHandle<NoAttrs> silu, silu_backward;
  OpHandle<SoftplusAttrs> softplus;
  OpHandle<EluAttrs> elu;
  OpHandle<LeakyReluAttrs> leaky_relu;
};

OpDef<NoAttrs> make_sin_op();
OpDef<NoAttrs> make_cos_op();
OpDef<NoAttrs> make_erf_op();
OpDef<NoAttrs> make_log1p_op();
OpDef<NoAttrs> make_expm1_op();
OpDef<NoAttrs> make_rsqrt_op();
OpDef<GeluAttrs> make_gelu_op();
OpDef<GeluAttrs> make_gelu_backward_op();
OpDef<NoAttrs> make_silu_op();
OpDef<NoAttrs> make_silu_backward_op();
OpDef<SoftplusAttrs> make_softplus_op();
OpDef<EluAttrs> make_elu_op();
OpDef<LeakyReluAttrs> make_leaky_relu_op();

// Valid from the first call on, from any thread (filled while the registry is built).
const ActivationOps& activation_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
ActivationOps register_activation_ops(OpRegistry& registry);

}  // namespace tg
