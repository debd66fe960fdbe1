#include "nn/text/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "tensor/error.hpp"

namespace tg::nn {

std::int64_t sample_token(const Tensor& logits, SamplingOptions options, Generator& gen) {
  TG_CHECK(logits.dim() == 1 && logits.numel() > 0 && is_floating(logits.dtype()), ValueError,
           "sample_token: logits must be a non-empty 1-D float tensor, got {} {}", logits.dtype(), logits.shape());
  TG_CHECK(options.temperature >= 0.0 && options.top_k >= 0, ValueError,
           "sample_token: temperature {} and top_k {} must not be negative", options.temperature, options.top_k);
  const std::vector<double> x = logits.to_vector();
  for (const double v : x) TG_CHECK(std::isfinite(v), ValueError, "sample_token: logit {} is not finite", v);
  const auto v = static_cast<std::int64_t>(x.size());
  const std::int64_t k = options.top_k == 0 ? v : std::min(options.top_k, v);
  // The ids by decreasing logit, ties by increasing id; only the first k matter.
  std::vector<std::int64_t> ids(x.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](std::int64_t a, std::int64_t b) {
    return x[static_cast<std::size_t>(a)] > x[static_cast<std::size_t>(b)] ||
           (x[static_cast<std::size_t>(a)] == x[static_cast<std::size_t>(b)] && a < b);
  });
  if (options.temperature == 0.0) return ids[0];
  // Softmax over the k kept logits, shifted by the largest, then one uniform draw.
  const double top = x[static_cast<std::size_t>(ids[0])];
  std::vector<double> weights(static_cast<std::size_t>(k));
  for (std::size_t i = 0; i < weights.size(); ++i)
    weights[i] = std::exp((x[static_cast<std::size_t>(ids[i])] - top) / options.temperature);
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  double u = gen.uniform() * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (u < weights[i]) return ids[i];
    u -= weights[i];
  }
  return ids[weights.size() - 1];  // rounding left u at the very end
}

}  // namespace tg::nn
