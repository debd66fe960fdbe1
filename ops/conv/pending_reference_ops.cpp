// TEMPORARY: a stub for matmul, which conv2d's reference composition uses, until its
// implementation lands (then this file is deleted).
#include "ops/linalg.hpp"
namespace tg {
Tensor matmul(const Tensor&, const Tensor&) { fail<Error>("not implemented yet"); }
}  // namespace tg
