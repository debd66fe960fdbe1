// Loss functions (PyTorch semantics). Each validates shapes and dtypes and names itself
// in errors. Reduction::Mean averages over all elements (over the batch for class losses).
#pragma once

#include "nn/modules/module.hpp"
#include "tensor/tensor.hpp"

namespace tg::nn {

enum class Reduction { None, Mean, Sum };

struct CrossEntropyOptions {
  Reduction reduction = Reduction::Mean;
  double label_smoothing = 0.0;  // in [0, 1]
};

// logits [N, C], target [N] int64 class indices in [0, C).
Tensor cross_entropy(const Tensor& logits, const Tensor& target, CrossEntropyOptions options = {});
// log_probs [N, C] (e.g. log_softmax output), target [N] int64: -log_probs[i, target[i]].
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// Numerically stable -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]; target in [0, 1].
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::Mean);

}  // namespace tg::nn
