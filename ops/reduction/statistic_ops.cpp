// The registration list of the statistic ops, in the order `tapegrad ops` lists them.
#include "ops/reduction/statistic_ops.hpp"

namespace tg {

StatisticOps register_statistic_ops(OpRegistry& registry) {
  return {
      .var = registry.add(make_var_op()),
      .std_dev = registry.add(make_std_op()),
      .norm = registry.add(make_norm_op()),
      .amin = registry.add(make_amin_op()),
      .min = registry.add(make_min_op()),
      .logsumexp = registry.add(make_logsumexp_op()),
      .cumsum = registry.add(make_cumsum_op()),
      .argsort = registry.add(make_argsort_op()),
      .topk_indices = registry.add(make_topk_indices_op()),
  };
}

}  // namespace tg
