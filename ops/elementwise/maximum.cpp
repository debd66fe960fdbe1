// maximum: y = max(a, b), broadcasting. da = g where a > b, g/2 on ties, 0 elsewhere;
// db symmetric. (Shared with minimum: see maximum_minimum.hpp.)
#include "ops/elementwise/maximum_minimum.hpp"

namespace tg {

OpDef make_maximum_op() {
  return detail::make_extremum_op("maximum", "elementwise max(a, b), broadcasting; gradient split evenly on ties",
                                  samples::kSeed + 42, [](auto x, auto y) { return x > y; });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  static const OpDef& op = registry().get("maximum");
  return call(op, {a, b});
}

}  // namespace tg
