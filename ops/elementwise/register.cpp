// Built-in elementwise ops, in the order `tapegrad ops` lists them.
#include "ops/registry.hpp"

namespace tg {

OpDef make_add_op();
OpDef make_sub_op();
OpDef make_mul_op();
OpDef make_div_op();
OpDef make_pow_op();
OpDef make_pow_scalar_op();
OpDef make_maximum_op();
OpDef make_minimum_op();
OpDef make_neg_op();
OpDef make_exp_op();
OpDef make_log_op();
OpDef make_sqrt_op();
OpDef make_abs_op();
OpDef make_relu_op();
OpDef make_relu_backward_op();
OpDef make_sigmoid_op();
OpDef make_tanh_op();
OpDef make_clamp_op();
OpDef make_where_op();
OpDef make_cast_op();
OpDef make_eq_op();
OpDef make_ne_op();
OpDef make_lt_op();
OpDef make_le_op();
OpDef make_gt_op();
OpDef make_ge_op();

void register_elementwise_ops(OpRegistry& registry) {
  registry.add(make_add_op());
  registry.add(make_sub_op());
  registry.add(make_mul_op());
  registry.add(make_div_op());
  registry.add(make_pow_op());
  registry.add(make_pow_scalar_op());
  registry.add(make_maximum_op());
  registry.add(make_minimum_op());
  registry.add(make_neg_op());
  registry.add(make_exp_op());
  registry.add(make_log_op());
  registry.add(make_sqrt_op());
  registry.add(make_abs_op());
  registry.add(make_relu_op());
  registry.add(make_relu_backward_op());
  registry.add(make_sigmoid_op());
  registry.add(make_tanh_op());
  registry.add(make_clamp_op());
  registry.add(make_where_op());
  registry.add(make_cast_op());
  registry.add(make_eq_op());
  registry.add(make_ne_op());
  registry.add(make_lt_op());
  registry.add(make_le_op());
  registry.add(make_gt_op());
  registry.add(make_ge_op());
}

}  // namespace tg
