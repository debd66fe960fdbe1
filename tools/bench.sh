#!/usr/bin/env bash
# The benchmark: installs missing packages (libtorch and OpenBLAS to compare against),
# builds bench_tapegrad optimized and runs it. Arguments go to the benchmark, e.g.
#   tools/bench.sh --threads 1 --filter resnet
#   tools/bench.sh --isa avx2 --threads 1,2     # every side held to AVX2, on any newer CPU
# --isa avx512|avx2|portable (default: the widest this CPU runs) puts every side on the same
# instruction set: tapegrad's kernels (TAPEGRAD_SIMD), ATen's own kernels
# (ATEN_CPU_CAPABILITY), oneDNN behind libtorch's convolutions (DNNL_MAX_CPU_ISA, also under
# its newer name ONEDNN_MAX_CPU_ISA) and OpenBLAS behind torch::mm and the OpenBLAS column
# (OPENBLAS_CORETYPE: SkylakeX, Haswell, or Prescott for portable). Naming OpenBLAS's kernels
# also keeps an OpenBLAS that does not know this CPU model from falling back to its oldest
# ones. The header of the table prints what each side ran.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

has_flags() {
  local flag
  for flag in "$@"; do grep -qw "$flag" /proc/cpuinfo || return 1; done
}
isa=""
args=()
while (($#)); do
  case "$1" in
    --isa) isa="${2:?--isa needs avx512, avx2 or portable}"; shift 2 ;;
    --isa=*) isa="${1#--isa=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
if [[ -z "$isa" ]]; then
  if has_flags avx512f avx512bw avx512vl avx512dq; then isa=avx512
  elif has_flags avx2 fma; then isa=avx2
  else isa=portable
  fi
fi
case "$isa" in
  avx512) needs=(avx512f avx512bw avx512vl avx512dq) aten=avx512 dnnl=AVX512_CORE blas=SkylakeX ;;
  avx2) needs=(avx2 fma) aten=avx2 dnnl=AVX2 blas=Haswell ;;
  portable) needs=() aten=default dnnl=SSE41 blas=Prescott ;;
  *) echo "tools/bench.sh: --isa must be avx512, avx2 or portable, got '$isa'" >&2; exit 2 ;;
esac
if ((${#needs[@]})) && ! has_flags "${needs[@]}"; then
  echo "tools/bench.sh: this CPU lacks ${needs[*]}, so --isa $isa cannot run here" >&2
  exit 2
fi

tools/install_deps.sh libtorch-dev libopenblas-dev pkg-config
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_BENCH=ON -DTAPEGRAD_UNITY_BUILD=ON > /dev/null
cmake --build build/bench -j "$(nproc)" --target bench_tapegrad
exec env TAPEGRAD_SIMD="$isa" ATEN_CPU_CAPABILITY="$aten" DNNL_MAX_CPU_ISA="$dnnl" ONEDNN_MAX_CPU_ISA="$dnnl" \
  OPENBLAS_CORETYPE="$blas" build/bench/bench/bench_tapegrad "${args[@]}"
