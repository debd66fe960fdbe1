// Memory-bound cases on 64M-float tensors (256 MB each): add, multiply by a scalar, relu,
// exp and the sum of all elements, as public out-of-place ops on both sides (so both pay
// for allocating their result). The rate is bytes read + written per second.
#include <memory>

#include "autograd/grad_mode.hpp"
#include "bench/cases.hpp"
#include "bench/torch_util.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "tensor/random.hpp"

namespace tg::bench {
namespace {

constexpr std::int64_t kNumel = std::int64_t{64} << 20;
constexpr double kBytes = kNumel * 4.0;

struct MemoryData {
  tg::Generator gen{4000};
  tg::Tensor a = tg::randn({kNumel}, gen);
  tg::Tensor b = tg::randn({kNumel}, gen);
#ifdef TAPEGRAD_BENCH_TORCH
  torch::Tensor ta = as_torch(a), tb = as_torch(b);
#endif
};

struct MemoryOp {
  const char* name;
  int tensors_moved;  // inputs read + outputs written, in 256 MB tensors
  Bound bound;
  tg::Tensor (*tapegrad)(const MemoryData&);
#ifdef TAPEGRAD_BENCH_TORCH
  torch::Tensor (*torch)(const MemoryData&);
#endif
};

#ifdef TAPEGRAD_BENCH_TORCH
#define TG_TORCH_OP(expr) , [](const MemoryData& d) -> torch::Tensor { return expr; }
#else
#define TG_TORCH_OP(expr)
#endif

const MemoryOp kOps[] = {
    {"add", 3, Bound::stream,
     [](const MemoryData& d) { return tg::add(d.a, d.b); } TG_TORCH_OP(torch::add(d.ta, d.tb))},
    {"mul-scalar", 2, Bound::memcpy, [](const MemoryData& d) { return d.a * 2.0; } TG_TORCH_OP(d.ta * 2.0)},
    {"relu", 2, Bound::memcpy, [](const MemoryData& d) { return tg::relu(d.a); } TG_TORCH_OP(torch::relu(d.ta))},
    {"exp", 2, Bound::memcpy, [](const MemoryData& d) { return tg::exp(d.a); } TG_TORCH_OP(torch::exp(d.ta))},
    {"sum", 1, Bound::memcpy, [](const MemoryData& d) { return tg::sum(d.a); } TG_TORCH_OP(torch::sum(d.ta))},
};

#undef TG_TORCH_OP

std::string op_name(const MemoryOp& op) { return std::string(op.name) + " 64M f32"; }

}  // namespace

std::vector<CaseGroup> memory_cases() {
  CaseGroup group;
  for (const MemoryOp& op : kOps) group.names.push_back(op_name(op));
  group.make = [] {
    auto d = std::make_shared<MemoryData>();
    std::vector<Variant> out;
    for (const MemoryOp& op : kOps) {
      Variant v;
      v.name = op_name(op);
      v.work = op.tensors_moved * kBytes;
      v.bound = op.bound;
      v.tapegrad = [d, &op] {
        tg::NoGradGuard no_grad;
        op.tapegrad(*d);
      };
#ifdef TAPEGRAD_BENCH_TORCH
      v.torch = [d, &op] {
        torch::NoGradGuard no_grad;
        op.torch(*d);
      };
      v.check = [d, &op] {
        tg::NoGradGuard no_grad;
        return compare(op.tapegrad(*d), op.torch(*d));
      };
#endif
      out.push_back(std::move(v));
    }
    return out;
  };
  return {group};
}

}  // namespace tg::bench
