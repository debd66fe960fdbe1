// Loss functions (PyTorch semantics). Each validates shapes and dtypes and names itself
// in errors. Reduction::Mean averages over all elements; for the class-index losses, over the
// targets that are not ignore_index (NaN when all are, as PyTorch).
#pragma once

#include <cstdint>

#include "nn/modules/module.hpp"
#include "tensor/tensor.hpp"

namespace tg::nn {

enum class Reduction { None, Mean, Sum };

struct CrossEntropyOptions {
  Reduction reduction = Reduction::Mean;
  double label_smoothing = 0.0;      // in [0, 1]
  std::int64_t ignore_index = -100;  // targets equal to it add no loss and no gradient
  // Optional class weights [C] (a constant, no gradient): position i's loss is scaled by
  // weight[t_i], and Reduction::Mean divides by the sum of weight[t_i] over the kept targets.
  // With label smoothing, the smoothing term weighs class c by weight[c] (PyTorch).
  Tensor weight{};
};

struct NllLossOptions {
  Reduction reduction = Reduction::Mean;
  std::int64_t ignore_index = -100;
  Tensor weight{};  // optional class weights [C], as CrossEntropyOptions::weight
};

// logits [N, C] or [N, C, d1, ...] (classes at dim 1), target [N] or [N, d1, ...] int64
// class indices in [0, C) or ignore_index. Reduction::None gives the target's shape.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, CrossEntropyOptions options = {});
// log_probs [N, C] or [N, C, d1, ...] (e.g. log_softmax output over dim 1), target [N] or
// [N, d1, ...] int64: -log_probs[i, target[i]], 0 where target[i] == ignore_index.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, NllLossOptions options);
// probs in [0, 1] (ValueError otherwise), target of the same shape, usually 0 or 1:
// -[y log p + (1 - y) log(1 - p)], each log clamped at -100 as PyTorch.
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// Numerically stable -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]; target in [0, 1].
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::Mean);

}  // namespace tg::nn
