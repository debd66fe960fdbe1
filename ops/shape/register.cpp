// Built-in shape, view and indexing ops, in the order `tapegrad ops` lists them.
#include "ops/registry.hpp"

namespace tg {

OpDef make_reshape_op();
OpDef make_expand_op();

void register_shape_ops(OpRegistry& registry) {
  registry.add(make_reshape_op());
  registry.add(make_expand_op());
}

}  // namespace tg
