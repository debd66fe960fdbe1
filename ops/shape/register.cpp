// Built-in shape, view and indexing ops, in the order `tapegrad ops` lists them.
#include "ops/registry.hpp"

namespace tg {

OpDef make_reshape_op();
OpDef make_expand_op();
OpDef make_permute_op();
OpDef make_squeeze_op();
OpDef make_unsqueeze_op();
OpDef make_slice_op();
OpDef make_slice_backward_op();
OpDef make_pad_op();
OpDef make_flip_op();
OpDef make_cat_op();
OpDef make_index_select_op();
OpDef make_index_select_backward_op();
OpDef make_gather_op();
OpDef make_gather_backward_op();
OpDef make_contiguous_op();

void register_shape_ops(OpRegistry& registry) {
  registry.add(make_reshape_op());
  registry.add(make_expand_op());
  registry.add(make_permute_op());
  registry.add(make_squeeze_op());
  registry.add(make_unsqueeze_op());
  registry.add(make_slice_op());
  registry.add(make_slice_backward_op());
  registry.add(make_pad_op());
  registry.add(make_flip_op());
  registry.add(make_cat_op());
  registry.add(make_index_select_op());
  registry.add(make_index_select_backward_op());
  registry.add(make_gather_op());
  registry.add(make_gather_backward_op());
  registry.add(make_contiguous_op());
}

}  // namespace tg
