// Built-in elementwise ops, in the order `tapegrad ops` lists them.
#include "ops/registry.hpp"

namespace tg {

OpDef make_add_op();
OpDef make_mul_op();
OpDef make_cast_op();

void register_elementwise_ops(OpRegistry& registry) {
  registry.add(make_add_op());
  registry.add(make_mul_op());
  registry.add(make_cast_op());
}

}  // namespace tg
