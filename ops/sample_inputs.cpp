#include "ops/sample_inputs.hpp"

#include <algorithm>
#include <numeric>

namespace tg::samples {

Tensor arg(const Shape& shape, Generator& gen, double low, double high) {
  return uniform(shape, low, high, gen, {.dtype = DType::Float64, .requires_grad = true});
}

Tensor constant(const Shape& shape, Generator& gen, double low, double high) {
  return uniform(shape, low, high, gen, {.dtype = DType::Float64});
}

Tensor distinct_arg(const Shape& shape, Generator& gen, double gap) {
  const auto n = static_cast<std::size_t>(numel(shape));
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i)
    values[i] = (static_cast<double>(i) - static_cast<double>(n / 2) + 0.5) * gap;  // never exactly 0, also for odd n
  for (std::size_t i = n; i > 1; --i) {                                             // Fisher-Yates with our generator
    std::swap(values[i - 1], values[static_cast<std::size_t>(gen.integer(0, static_cast<std::int64_t>(i)))]);
  }
  return from_vector(values, shape, {.dtype = DType::Float64, .requires_grad = true});
}

std::vector<std::pair<Shape, Shape>> binary_broadcast_shapes() {
  // The last two are zero-size: an empty operand, and an empty dim broadcast against a 1.
  return {{{3, 4}, {3, 4}}, {{2, 3, 4}, {4}}, {{3, 1}, {1, 4}}, {{2, 3}, {}}, {{0, 4}, {4}}, {{2, 0, 1}, {1, 3}}};
}

std::vector<OpSample<NoAttrs>> binary_broadcast(double low, double high) {
  Generator gen(kSeed);
  std::vector<OpSample<NoAttrs>> out;
  for (const auto& [sa, sb] : binary_broadcast_shapes()) {
    out.push_back({fmt::format("{} with {}", sa, sb), {arg(sa, gen, low, high), arg(sb, gen, low, high)}, {}});
  }
  return out;
}

std::vector<OpSample<NoAttrs>> unary(double low, double high, bool distinct) {
  Generator gen(kSeed + 1);
  auto make = [&](const Shape& s) {
    const double gap = (high - low) / (2.0 * static_cast<double>(std::max<std::int64_t>(numel(s), 1)));
    return distinct ? distinct_arg(s, gen, gap) : arg(s, gen, low, high);
  };
  std::vector<OpSample<NoAttrs>> out;
  out.push_back({"0-d", {make({})}, {}});
  out.push_back({"[5]", {make({5})}, {}});
  out.push_back({"[3, 4]", {make({3, 4})}, {}});
  // A transposed (non-contiguous) leaf: exercises the strided kernels.
  Tensor base = make({4, 2, 3});
  Tensor strided = raw::as_strided(base.detach(), {3, 2, 4}, {1, 3, 6}, 0).set_requires_grad(true);
  out.push_back({"[3, 2, 4] non-contiguous", {strided}, {}});
  out.push_back({"[0]", {make({0})}, {}});
  out.push_back({"[2, 0, 3]", {make({2, 0, 3})}, {}});
  return out;
}

}  // namespace tg::samples
