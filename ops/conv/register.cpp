// Built-in convolution and pooling ops.
#include "ops/registry.hpp"

namespace tg {

void register_conv_ops(OpRegistry& /*registry*/) {}

}  // namespace tg
