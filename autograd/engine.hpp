// Reverse-mode replay of the tape.
#pragma once

#include <vector>

#include "tensor/tensor.hpp"

namespace tg {

// Accumulates d(sum_i <roots[i], grad_roots[i]>)/d(leaf) into each reachable leaf's .grad().
// grad_roots may be empty (or hold undefined tensors) for one-element roots.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots = {},
              BackwardOptions options = {});

struct GradOptions {
  bool retain_graph = false;  // forced on when create_graph is set
  bool create_graph = false;
  bool allow_unused = false;  // an input no output depends on yields an undefined Tensor
};

// Gradients of outputs with respect to inputs (leaves or intermediate tensors), returned
// rather than accumulated into .grad().
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, GradOptions options = {});

}  // namespace tg
