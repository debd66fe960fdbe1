// Built-in reductions, in the order `tapegrad ops` lists them.
#include "ops/registry.hpp"

namespace tg {

OpDef make_sum_op();
OpDef make_mean_op();
OpDef make_max_op();
OpDef make_amax_op();
OpDef make_argmax_op();
OpDef make_softmax_op();
OpDef make_log_softmax_op();

void register_reduction_ops(OpRegistry& registry) {
  registry.add(make_sum_op());
  registry.add(make_mean_op());
  registry.add(make_max_op());
  registry.add(make_amax_op());
  registry.add(make_argmax_op());
  registry.add(make_softmax_op());
  registry.add(make_log_softmax_op());
}

}  // namespace tg
