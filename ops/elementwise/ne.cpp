// ne: y = (a != b), broadcasting, bool result; not differentiable (see compare.hpp).
#include "ops/elementwise/compare.hpp"

namespace tg {

OpDef make_ne_op() {
  return detail::make_compare_op("ne", "a != b, broadcasting (bool, not differentiable)",
                                 [](auto x, auto y) { return x != y; });
}

Tensor ne(const Tensor& a, const Tensor& b) {
  static const OpDef& op = registry().get("ne");
  return call(op, {a, b});
}

}  // namespace tg
