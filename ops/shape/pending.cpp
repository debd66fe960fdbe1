// TEMPORARY: declared shape ops not implemented yet. Delete each as it is implemented.
#include "ops/shape_ops.hpp"
namespace tg {
#define TG_PENDING(sig) sig { fail<Error>("not implemented yet"); }
TG_PENDING(Tensor flatten(const Tensor&, std::int64_t, std::int64_t))
TG_PENDING(Tensor permute(const Tensor&, const std::vector<std::int64_t>&))
TG_PENDING(Tensor transpose(const Tensor&, std::int64_t, std::int64_t))
TG_PENDING(Tensor squeeze(const Tensor&, std::int64_t))
TG_PENDING(Tensor unsqueeze(const Tensor&, std::int64_t))
TG_PENDING(Tensor slice(const Tensor&, std::int64_t, std::int64_t, std::int64_t, std::int64_t))
TG_PENDING(Tensor narrow(const Tensor&, std::int64_t, std::int64_t, std::int64_t))
TG_PENDING(Tensor contiguous(const Tensor&))
}  // namespace tg
