// The registration list of the activation ops, in the order `tapegrad ops` lists them.
#include "ops/elementwise/activation_ops.hpp"

namespace tg {

ActivationOps register_activation_ops(OpRegistry& registry) {
  return {
      .sin = registry.add(make_sin_op()),
      .cos = registry.add(make_cos_op()),
      .erf = registry.add(make_erf_op()),
      .log1p = registry.add(make_log1p_op()),
      .expm1 = registry.add(make_expm1_op()),
      .rsqrt = registry.add(make_rsqrt_op()),
      .gelu = registry.add(make_gelu_op()),
      .gelu_backward = registry.add(make_gelu_backward_op()),
      .silu = registry.add(make_silu_op()),
      .silu_backward = registry.add(make_silu_backward_op()),
      .softplus = registry.add(make_softplus_op()),
      .elu = registry.add(make_elu_op()),
      .leaky_relu = registry.add(make_leaky_relu_op()),
  };
}

}  // namespace tg
