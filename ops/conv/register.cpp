// Built-in convolution and pooling ops, in the order `tapegrad ops` lists them.
#include "ops/registry.hpp"

namespace tg {

OpDef make_conv2d_op();
OpDef make_conv2d_input_grad_op();
OpDef make_conv2d_weight_grad_op();
OpDef make_conv_transpose2d_op();
OpDef make_max_pool2d_op();
OpDef make_max_pool2d_scatter_op();
OpDef make_max_pool2d_select_op();
OpDef make_avg_pool2d_op();
OpDef make_avg_pool2d_backward_op();
OpDef make_adaptive_avg_pool2d_op();
OpDef make_adaptive_avg_pool2d_backward_op();

void register_conv_ops(OpRegistry& registry) {
  registry.add(make_conv2d_op());
  registry.add(make_conv2d_input_grad_op());
  registry.add(make_conv2d_weight_grad_op());
  registry.add(make_conv_transpose2d_op());
  registry.add(make_max_pool2d_op());
  registry.add(make_max_pool2d_scatter_op());
  registry.add(make_max_pool2d_select_op());
  registry.add(make_avg_pool2d_op());
  registry.add(make_avg_pool2d_backward_op());
  registry.add(make_adaptive_avg_pool2d_op());
  registry.add(make_adaptive_avg_pool2d_backward_op());
}

}  // namespace tg
