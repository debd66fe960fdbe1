// The autograd members of Tensor (declared in tensor/tensor.hpp).
#include "autograd/engine.hpp"
#include "autograd/node.hpp"

namespace tg {

bool Tensor::requires_grad() const {
  const auto& meta = impl().autograd;
  return meta != nullptr && meta->requires_grad;
}

Tensor& Tensor::set_requires_grad(bool required) {
  auto& meta = impl().autograd;
  if (meta && meta->grad_fn) {
    TG_CHECK(required, AutogradError,
             "set_requires_grad: cannot turn off requires_grad of a non-leaf tensor of shape {}; use detach()",
             shape());
    return *this;
  }
  TG_CHECK(!required || is_floating_point(), DTypeError,
           "set_requires_grad: only floating-point tensors can require grad, got {}", dtype());
  if (!meta) meta = std::make_shared<AutogradMeta>();
  meta->requires_grad = required;
  return *this;
}

Tensor Tensor::grad() const {
  const auto& meta = impl().autograd;
  return meta ? meta->grad : Tensor();
}

void Tensor::set_grad(const Tensor& grad) const {
  auto& meta = impl().autograd;
  if (grad.defined()) {
    TG_CHECK(grad.shape() == shape(), ShapeError, "set_grad: gradient shape {} differs from tensor shape {}",
             grad.shape(), shape());
    TG_CHECK(grad.dtype() == dtype(), DTypeError, "set_grad: gradient dtype {} differs from tensor dtype {}",
             grad.dtype(), dtype());
  }
  if (!meta) meta = std::make_shared<AutogradMeta>();
  meta->grad = grad;
}

void Tensor::zero_grad() const {
  if (impl().autograd) impl().autograd->grad = Tensor();
}

bool Tensor::is_leaf() const {
  const auto& meta = impl().autograd;
  return meta == nullptr || meta->grad_fn == nullptr;
}

Tensor Tensor::detach() const { return raw::alias(*this); }

void Tensor::backward(const Tensor& grad_output, BackwardOptions options) const {
  tg::backward({*this}, {grad_output}, options);
}

}  // namespace tg
