// TEMPORARY: stubs for the declared ops conv2d's reference composition uses, until their
// implementations land (then this file is deleted).
#include "ops/linalg.hpp"
#include "ops/shape_ops.hpp"
namespace tg {
#define TG_PENDING(sig) sig { fail<Error>("not implemented yet"); }
TG_PENDING(Tensor pad(const Tensor&, const std::vector<std::int64_t>&, double))
TG_PENDING(Tensor stack(const std::vector<Tensor>&, std::int64_t))
TG_PENDING(Tensor cat(const std::vector<Tensor>&, std::int64_t))
TG_PENDING(Tensor matmul(const Tensor&, const Tensor&))
#undef TG_PENDING
}  // namespace tg
