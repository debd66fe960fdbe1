// The one explicit list of built-in ops, in registration order (the order `tapegrad ops`
// lists them): the core ops here, then each family's list (ops/<family>/<family>_ops.cpp)
// in the order of `Builtins`. (Static self-registration would be dropped by the linker from
// a static library, so registration is a plain call chain.) Each op file defines its
// make_<op>_op.
#include "ops/builtin_ops.hpp"

#include <string_view>

#include "ops/attention/attention_ops.hpp"
#include "ops/conv.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/elementwise/activation_ops.hpp"
#include "ops/embedding/embedding_ops.hpp"
#include "ops/loss.hpp"
#include "ops/loss/loss_ops.hpp"
#include "ops/normalization/normalization_ops.hpp"
#include "ops/pool/pool_common.hpp"
#include "ops/recurrent/recurrent_ops.hpp"
#include "ops/reduction/reduce_attrs.hpp"
#include "ops/reduction/statistic_ops.hpp"
#include "ops/shape/indexing.hpp"
#include "ops/shape/mask_ops.hpp"

namespace tg {

OpDef<NoAttrs> make_add_op();
OpDef<NoAttrs> make_sub_op();
OpDef<NoAttrs> make_mul_op();
OpDef<NoAttrs> make_div_op();
OpDef<NoAttrs> make_pow_op();
OpDef<PowScalarAttrs> make_pow_scalar_op();
OpDef<NoAttrs> make_maximum_op();
OpDef<NoAttrs> make_minimum_op();
OpDef<NoAttrs> make_neg_op();
OpDef<NoAttrs> make_exp_op();
OpDef<NoAttrs> make_log_op();
OpDef<NoAttrs> make_sqrt_op();
OpDef<NoAttrs> make_abs_op();
OpDef<NoAttrs> make_relu_op();
OpDef<NoAttrs> make_relu_backward_op();
OpDef<NoAttrs> make_sigmoid_op();
OpDef<NoAttrs> make_tanh_op();
OpDef<ClampAttrs> make_clamp_op();
OpDef<NoAttrs> make_where_op();
OpDef<DType> make_cast_op();
OpDef<NoAttrs> make_comparison_op(std::string_view name);  // eq ne lt le gt ge
OpDef<detail::ReduceAttrs> make_sum_op();
OpDef<detail::ReduceAttrs> make_mean_op();
OpDef<detail::ReduceAttrs> make_max_op();
OpDef<detail::ReduceAttrs> make_amax_op();
OpDef<detail::ReduceAttrs> make_argmax_op();
OpDef<std::int64_t> make_softmax_op();
OpDef<std::int64_t> make_log_softmax_op();
OpDef<std::int64_t> make_softmax_backward_op();
OpDef<Shape> make_reshape_op();
OpDef<Shape> make_expand_op();
OpDef<std::vector<std::int64_t>> make_permute_op();
OpDef<std::int64_t> make_squeeze_op();
OpDef<std::int64_t> make_unsqueeze_op();
OpDef<SliceAttrs> make_slice_op();
OpDef<SliceBackwardAttrs> make_slice_backward_op();
OpDef<PadAttrs> make_pad_op();
OpDef<std::vector<std::int64_t>> make_flip_op();
OpDef<std::int64_t> make_cat_op();
OpDef<std::int64_t> make_index_select_op();
OpDef<detail::IndexBackwardAttrs> make_index_select_backward_op();
OpDef<std::int64_t> make_gather_op();
OpDef<detail::IndexBackwardAttrs> make_gather_backward_op();
OpDef<NoAttrs> make_contiguous_op();
OpDef<NoAttrs> make_matmul_op();
OpDef<Conv2dOptions> make_conv2d_op();
OpDef<detail::ConvGradAttrs> make_conv2d_input_grad_op();
OpDef<detail::ConvGradAttrs> make_conv2d_weight_grad_op();
OpDef<ConvTranspose2dOptions> make_conv_transpose2d_op();
OpDef<Pool2dOptions> make_max_pool2d_op();
OpDef<Pair2> make_max_pool2d_scatter_op();
OpDef<NoAttrs> make_max_pool2d_select_op();
OpDef<Pool2dOptions> make_avg_pool2d_op();
OpDef<detail::PoolGradAttrs> make_avg_pool2d_backward_op();
OpDef<Pair2> make_adaptive_avg_pool2d_op();
OpDef<Pair2> make_adaptive_avg_pool2d_backward_op();
OpDef<CrossEntropyAttrs> make_cross_entropy_op();
OpDef<NoAttrs> make_bce_with_logits_op();

namespace {

// The braced list runs its initialisers in order, so the ops register in member order.
BuiltinOps register_builtin_ops(OpRegistry& r) {
  return {
      .add = r.add(make_add_op()),
      .sub = r.add(make_sub_op()),
      .mul = r.add(make_mul_op()),
      .div = r.add(make_div_op()),
      .pow = r.add(make_pow_op()),
      .pow_scalar = r.add(make_pow_scalar_op()),
      .maximum = r.add(make_maximum_op()),
      .minimum = r.add(make_minimum_op()),
      .neg = r.add(make_neg_op()),
      .exp = r.add(make_exp_op()),
      .log = r.add(make_log_op()),
      .sqrt = r.add(make_sqrt_op()),
      .abs = r.add(make_abs_op()),
      .relu = r.add(make_relu_op()),
      .relu_backward = r.add(make_relu_backward_op()),
      .sigmoid = r.add(make_sigmoid_op()),
      .tanh = r.add(make_tanh_op()),
      .clamp = r.add(make_clamp_op()),
      .where = r.add(make_where_op()),
      .cast = r.add(make_cast_op()),
      .eq = r.add(make_comparison_op("eq")),
      .ne = r.add(make_comparison_op("ne")),
      .lt = r.add(make_comparison_op("lt")),
      .le = r.add(make_comparison_op("le")),
      .gt = r.add(make_comparison_op("gt")),
      .ge = r.add(make_comparison_op("ge")),
      .sum = r.add(make_sum_op()),
      .mean = r.add(make_mean_op()),
      .max = r.add(make_max_op()),
      .amax = r.add(make_amax_op()),
      .argmax = r.add(make_argmax_op()),
      .softmax = r.add(make_softmax_op()),
      .log_softmax = r.add(make_log_softmax_op()),
      .softmax_backward = r.add(make_softmax_backward_op()),
      .reshape = r.add(make_reshape_op()),
      .expand = r.add(make_expand_op()),
      .permute = r.add(make_permute_op()),
      .squeeze = r.add(make_squeeze_op()),
      .unsqueeze = r.add(make_unsqueeze_op()),
      .slice = r.add(make_slice_op()),
      .slice_backward = r.add(make_slice_backward_op()),
      .pad = r.add(make_pad_op()),
      .flip = r.add(make_flip_op()),
      .cat = r.add(make_cat_op()),
      .index_select = r.add(make_index_select_op()),
      .index_select_backward = r.add(make_index_select_backward_op()),
      .gather = r.add(make_gather_op()),
      .gather_backward = r.add(make_gather_backward_op()),
      .contiguous = r.add(make_contiguous_op()),
      .matmul = r.add(make_matmul_op()),
      .conv2d = r.add(make_conv2d_op()),
      .conv2d_input_grad = r.add(make_conv2d_input_grad_op()),
      .conv2d_weight_grad = r.add(make_conv2d_weight_grad_op()),
      .conv_transpose2d = r.add(make_conv_transpose2d_op()),
      .max_pool2d = r.add(make_max_pool2d_op()),
      .max_pool2d_scatter = r.add(make_max_pool2d_scatter_op()),
      .max_pool2d_select = r.add(make_max_pool2d_select_op()),
      .avg_pool2d = r.add(make_avg_pool2d_op()),
      .avg_pool2d_backward = r.add(make_avg_pool2d_backward_op()),
      .adaptive_avg_pool2d = r.add(make_adaptive_avg_pool2d_op()),
      .adaptive_avg_pool2d_backward = r.add(make_adaptive_avg_pool2d_backward_op()),
      .cross_entropy = r.add(make_cross_entropy_op()),
      .bce_with_logits = r.add(make_bce_with_logits_op()),
  };
}

// The core ops, then each family in turn.
struct Builtins {
  OpRegistry registry;
  BuiltinOps ops;
  ActivationOps activation;
  StatisticOps statistic;
  MaskOps mask;
  EmbeddingOps embedding;
  LossOps loss;
  NormalizationOps normalization;
  AttentionOps attention;
  RecurrentOps recurrent;
};

// Built on first use, which the C++ runtime makes thread-safe; never destroyed, since ops
// may run during static destruction.
Builtins& builtins() {
  static Builtins* const instance = [] {
    auto* b = new Builtins();
    b->ops = register_builtin_ops(b->registry);
    b->activation = register_activation_ops(b->registry);
    b->statistic = register_statistic_ops(b->registry);
    b->mask = register_mask_ops(b->registry);
    b->embedding = register_embedding_ops(b->registry);
    b->loss = register_loss_ops(b->registry);
    b->normalization = register_normalization_ops(b->registry);
    b->attention = register_attention_ops(b->registry);
    b->recurrent = register_recurrent_ops(b->registry);
    return b;
  }();
  return *instance;
}

}  // namespace

OpRegistry& registry() { return builtins().registry; }
const BuiltinOps& builtin_ops() { return builtins().ops; }
const ActivationOps& activation_ops() { return builtins().activation; }
const StatisticOps& statistic_ops() { return builtins().statistic; }
const MaskOps& mask_ops() { return builtins().mask; }
const EmbeddingOps& embedding_ops() { return builtins().embedding; }
const LossOps& loss_ops() { return builtins().loss; }
const NormalizationOps& normalization_ops() { return builtins().normalization; }
const AttentionOps& attention_ops() { return builtins().attention; }
const RecurrentOps& recurrent_ops() { return builtins().recurrent; }

}  // namespace tg
