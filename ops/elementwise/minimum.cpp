// minimum: y = min(a, b), broadcasting. da = g where a < b, g/2 on ties, 0 elsewhere;
// db symmetric. (Shared with maximum: see maximum_minimum.hpp.)
#include "ops/elementwise/maximum_minimum.hpp"

namespace tg {

OpDef make_minimum_op() {
  return detail::make_extremum_op("minimum", "elementwise min(a, b), broadcasting; gradient split evenly on ties",
                                  samples::kSeed + 43, [](auto x, auto y) { return x < y; });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  static const OpDef& op = registry().get("minimum");
  return call(op, {a, b});
}

}  // namespace tg
