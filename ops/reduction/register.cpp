// Built-in reductions, in the order `tapegrad ops` lists them.
#include "ops/registry.hpp"

namespace tg {

OpDef make_sum_op();

void register_reduction_ops(OpRegistry& registry) { registry.add(make_sum_op()); }

}  // namespace tg
