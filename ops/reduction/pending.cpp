// TEMPORARY: declared reductions not implemented yet. Delete each as it is implemented.
#include "ops/reduction.hpp"
namespace tg {
#define TG_PENDING(sig) sig { fail<Error>("not implemented yet"); }
TG_PENDING(Tensor mean(const Tensor&, const Dims&, bool))
}  // namespace tg
