#include "ops/recurrent/recurrent_kernels.hpp"

#include "tensor/error.hpp"
#include "tensor/format.hpp"

namespace tg::recurrent_detail {

Tensor with_contiguous_rows(const Tensor& t) { return t.size(1) <= 1 || t.strides()[1] == 1 ? t : raw::contiguous(t); }

std::int64_t check_cell_operands(std::string_view op, const Tensor& gates_x, const Tensor& gates_h, const Tensor& state,
                                 std::int64_t gates) {
  TG_CHECK(gates_x.dim() == 2 && gates_x.size(1) % gates == 0, ShapeError,
           "{}: gates_x must be [B, {} * H], got shape {}", op, gates, gates_x.shape());
  const std::int64_t b = gates_x.size(0), h = gates_x.size(1) / gates;
  TG_CHECK(gates_h.shape() == gates_x.shape(), ShapeError, "{}: gates_h has shape {}, gates_x {} (both [B, {} * H])",
           op, gates_h.shape(), gates_x.shape(), gates);
  TG_CHECK(state.shape() == (Shape{b, h}), ShapeError, "{}: the state has shape {}, expected [{}, {}] (gates_x {})", op,
           state.shape(), b, h, gates_x.shape());
  TG_CHECK(gates_x.is_floating_point() && gates_h.dtype() == gates_x.dtype() && state.dtype() == gates_x.dtype(),
           DTypeError, "{}: operands must share one floating dtype, got {}, {} and {}", op, gates_x.dtype(),
           gates_h.dtype(), state.dtype());
  return h;
}

}  // namespace tg::recurrent_detail
