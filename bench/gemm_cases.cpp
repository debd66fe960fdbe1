// GEMM cases: C = A B (fp32, row-major, beta = 0) through tg::kernels::gemm, torch::mm_out
// and OpenBLAS's cblas_sgemm, on the same operands.
#include <fmt/format.h>

#include <memory>

#include "bench/cases.hpp"
#include "bench/torch_util.hpp"
#include "ops/kernels/gemm/gemm.hpp"
#include "tensor/random.hpp"

#ifdef TAPEGRAD_BENCH_OPENBLAS
#include <cblas.h>
#endif

namespace tg::bench {
namespace {

struct GemmSpec {
  const char* label;
  std::int64_t m, k, n;
  std::string name() const { return fmt::format("gemm {}{}x{}x{}", label, m, k, n); }
};

struct GemmData {
  GemmSpec s;
  tg::Tensor a, b, c, c_ref;
#ifdef TAPEGRAD_BENCH_TORCH
  torch::Tensor ta, tb, tc;
#endif
  explicit GemmData(const GemmSpec& spec) : s(spec) {
    tg::Generator gen(2000 + static_cast<std::uint64_t>(s.m + s.k + s.n));
    a = tg::randn({s.m, s.k}, gen);
    b = tg::randn({s.k, s.n}, gen);
    c = tg::empty({s.m, s.n});
    c_ref = tg::empty({s.m, s.n});
#ifdef TAPEGRAD_BENCH_TORCH
    ta = as_torch(a), tb = as_torch(b), tc = torch::empty({s.m, s.n}, torch::kFloat);
#endif
  }
  void tapegrad() const {
    tg::kernels::gemm<float>(s.m, s.n, s.k, 1.0f, a.data<float>(), s.k, 1, b.data<float>(), s.n, 1, 0.0f,
                             c.data<float>(), s.n);
  }
#ifdef TAPEGRAD_BENCH_OPENBLAS
  void blas(float* out) const {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(s.m), static_cast<int>(s.n),
                static_cast<int>(s.k), 1.0f, a.data<float>(), static_cast<int>(s.k), b.data<float>(),
                static_cast<int>(s.n), 0.0f, out, static_cast<int>(s.n));
  }
#endif
  std::string check() {
    tapegrad();
    std::vector<std::string> v;
#ifdef TAPEGRAD_BENCH_TORCH
    torch::mm_out(tc, ta, tb);
    v.push_back(compare(c, tc));
#endif
#ifdef TAPEGRAD_BENCH_OPENBLAS
    blas(c_ref.data<float>());
    v.push_back(verdict(relative_error(c.data<float>(), c_ref.data<float>(), c.numel())));
#endif
    return combine(v);
  }
};

CaseGroup gemm_group(const GemmSpec& spec) {
  return {{spec.name()}, [spec] {
            auto d = std::make_shared<GemmData>(spec);
            Variant v;
            v.name = spec.name();
            v.work = 2.0 * static_cast<double>(spec.m) * static_cast<double>(spec.k) * static_cast<double>(spec.n);
            v.tapegrad = [d] { d->tapegrad(); };
            v.check = [d] { return d->check(); };
#ifdef TAPEGRAD_BENCH_TORCH
            v.torch = [d] { torch::mm_out(d->tc, d->ta, d->tb); };
#endif
#ifdef TAPEGRAD_BENCH_OPENBLAS
            v.blas = [d] { d->blas(d->c_ref.data<float>()); };
#endif
            return std::vector<Variant>{v};
          }};
}

}  // namespace

std::vector<CaseGroup> gemm_cases() {
  // m x k x n; the last two are fully connected layers (batch x in x out).
  const GemmSpec specs[] = {{"", 256, 256, 256},    {"", 512, 512, 512},   {"", 1024, 1024, 1024},
                            {"", 2048, 2048, 2048}, {"fc ", 64, 400, 120}, {"fc ", 64, 3136, 128}};
  std::vector<CaseGroup> groups;
  for (const GemmSpec& s : specs) groups.push_back(gemm_group(s));
  return groups;
}

}  // namespace tg::bench
