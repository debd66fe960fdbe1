// minimum: y = min(a, b), broadcasting. da = g where a < b, g/2 on ties, 0 elsewhere;
// db symmetric. (Shared with maximum: see maximum_minimum.hpp.)
#include "ops/builtin_ops.hpp"
#include "ops/elementwise/maximum_minimum.hpp"

namespace tg {

OpDef<NoAttrs> make_minimum_op() {
  return detail::make_extremum_op("minimum", "elementwise min(a, b), broadcasting; gradient split evenly on ties",
                                  samples::kSeed + 43, [](auto x, auto y) { return x < y; });
}

Tensor minimum(const Tensor& a, const Tensor& b) { return call(builtin_ops().minimum, {a, b}); }

}  // namespace tg
