#include "nn/modules/activation.hpp"

#include <fmt/format.h>

namespace tg::nn {

Tensor GELU::forward(const Tensor& x) { return gelu(x, approximate_); }
std::string GELU::describe() const {
  return fmt::format("GELU(approximate={})", approximate_ == GeluApproximate::Tanh ? "tanh" : "none");
}

Tensor SiLU::forward(const Tensor& x) { return silu(x); }

Tensor ELU::forward(const Tensor& x) { return elu(x, alpha_); }
std::string ELU::describe() const { return fmt::format("ELU(alpha={})", alpha_); }

Tensor Softplus::forward(const Tensor& x) { return softplus(x, beta_, threshold_); }
std::string Softplus::describe() const { return fmt::format("Softplus(beta={}, threshold={})", beta_, threshold_); }

}  // namespace tg::nn
