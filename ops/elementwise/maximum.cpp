// maximum: y = max(a, b), broadcasting. da = g where a > b, g/2 on ties, 0 elsewhere;
// db symmetric. (Shared with minimum: see maximum_minimum.hpp.)
#include "ops/builtin_ops.hpp"
#include "ops/elementwise/maximum_minimum.hpp"

namespace tg {

OpDef<NoAttrs> make_maximum_op() {
  return detail::make_extremum_op("maximum", "elementwise max(a, b), broadcasting; gradient split evenly on ties",
                                  samples::kSeed + 42, [](auto x, auto y) { return x > y; });
}

Tensor maximum(const Tensor& a, const Tensor& b) { return call(builtin_ops().maximum, {a, b}); }

}  // namespace tg
