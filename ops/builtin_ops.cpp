// The one explicit list of built-in op families. (Static self-registration would be
// dropped by the linker from a static library, so registration is a plain call chain.)
#include "ops/registry.hpp"

namespace tg {

void register_elementwise_ops(OpRegistry& registry);
void register_reduction_ops(OpRegistry& registry);
void register_shape_ops(OpRegistry& registry);
void register_linalg_ops(OpRegistry& registry);
void register_conv_ops(OpRegistry& registry);
void register_loss_ops(OpRegistry& registry);

void register_builtin_ops(OpRegistry& registry) {
  register_elementwise_ops(registry);
  register_reduction_ops(registry);
  register_shape_ops(registry);
  register_linalg_ops(registry);
  register_conv_ops(registry);
  register_loss_ops(registry);
}

}  // namespace tg
