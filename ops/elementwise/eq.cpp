// eq: y = (a == b), broadcasting, bool result; not differentiable (see compare.hpp).
#include "ops/elementwise/compare.hpp"

namespace tg {

OpDef make_eq_op() {
  return detail::make_compare_op("eq", "a == b, broadcasting (bool, not differentiable)",
                                 [](auto x, auto y) { return x == y; });
}

Tensor eq(const Tensor& a, const Tensor& b) {
  static const OpDef& op = registry().get("eq");
  return call(op, {a, b});
}

}  // namespace tg
