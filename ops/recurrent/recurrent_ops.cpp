// The registration list of the recurrent ops, in the order `tapegrad ops` lists them.
#include "ops/recurrent/recurrent_ops.hpp"

namespace tg {

RecurrentOps register_recurrent_ops(OpRegistry& registry) {
  return {
      .lstm_cell_pointwise = registry.add(make_lstm_cell_pointwise_op()),
      .gru_cell_pointwise = registry.add(make_gru_cell_pointwise_op()),
      .lstm_sequence = registry.add(make_lstm_sequence_op()),
  };
}

}  // namespace tg
