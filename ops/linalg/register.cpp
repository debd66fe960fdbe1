// Built-in matrix products.
#include "ops/registry.hpp"

namespace tg {

OpDef make_matmul_op();

void register_linalg_ops(OpRegistry& registry) { registry.add(make_matmul_op()); }

}  // namespace tg
