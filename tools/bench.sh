#!/usr/bin/env bash
# The benchmark: installs missing packages (libtorch and OpenBLAS to compare against),
# builds bench_tapegrad optimized and runs it. Arguments go to the benchmark, e.g.
#   tools/bench.sh --threads 1 --filter resnet
# OPENBLAS_CORETYPE is removed from the environment of this one command, so OpenBLAS (behind
# libtorch's mm and the OpenBLAS column) picks the kernels for this CPU.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools/install_deps.sh libtorch-dev libopenblas-dev pkg-config
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_BENCH=ON -DTAPEGRAD_UNITY_BUILD=ON > /dev/null
cmake --build build/bench -j "$(nproc)" --target bench_tapegrad
exec env -u OPENBLAS_CORETYPE build/bench/bench/bench_tapegrad "$@"
