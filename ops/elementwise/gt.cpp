// gt: y = (a > b), broadcasting, bool result; not differentiable (see compare.hpp).
#include "ops/elementwise/compare.hpp"

namespace tg {

OpDef make_gt_op() {
  return detail::make_compare_op("gt", "a > b, broadcasting (bool, not differentiable)",
                                 [](auto x, auto y) { return x > y; });
}

Tensor gt(const Tensor& a, const Tensor& b) {
  static const OpDef& op = registry().get("gt");
  return call(op, {a, b});
}

}  // namespace tg
