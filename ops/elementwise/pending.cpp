// TEMPORARY: declared elementwise ops not implemented yet. Delete each as it is implemented.
#include "ops/elementwise.hpp"
namespace tg {
#define TG_PENDING(sig) sig { fail<Error>("not implemented yet"); }
TG_PENDING(Tensor sub(const Tensor&, const Tensor&))
TG_PENDING(Tensor div(const Tensor&, const Tensor&))
TG_PENDING(Tensor neg(const Tensor&))
}  // namespace tg
