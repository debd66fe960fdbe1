// The handles of the recurrent cells (LSTM and GRU cells) ops. Each family of ops keeps its handles in a header
// of its own, so that adding an op recompiles that family only; ops/builtin_ops.cpp
// registers the families in a fixed order after the core ops (builtin_ops.hpp).
#pragma once

#include "ops/registry.hpp"

namespace tg {

struct RecurrentOps {
  OpHandle<NoAttrs> lstm_cell_pointwise;
  OpHandle<NoAttrs> gru_cell_pointwise;
  OpHandle<NoAttrs> lstm_sequence;
};

OpDef<NoAttrs> make_lstm_cell_pointwise_op();
OpDef<NoAttrs> make_gru_cell_pointwise_op();
OpDef<NoAttrs> make_lstm_sequence_op();

// Valid from the first call on, from any thread (filled while the registry is built).
const RecurrentOps& recurrent_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
RecurrentOps register_recurrent_ops(OpRegistry& registry);

}  // namespace tg
