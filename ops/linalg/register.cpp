// Built-in matrix products.
#include "ops/registry.hpp"

namespace tg {

void register_linalg_ops(OpRegistry& /*registry*/) {}

}  // namespace tg
