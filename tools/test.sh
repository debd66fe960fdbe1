#!/usr/bin/env bash
# The whole test suite: installs missing packages, checks the formatting (tools/format.sh
# --check), then builds twice, with both compilers and warnings as errors — optimized with
# GCC, and with clang under AddressSanitizer + UndefinedBehaviorSanitizer — and runs every
# test in each build once per SIMD path the CPU supports (TAPEGRAD_SIMD=avx512, avx2,
# portable): a user's CPU may pick a path this host would not pick by itself. Then it fuzzes
# the file readers for 30 s each, from a fixed seed, under clang's libFuzzer (tools/fuzz.sh).
# Both builds include tapegrad::distributed (TAPEGRAD_DISTRIBUTED, Open MPI): its tests run
# 2 ranks under mpirun, and take seconds.
# Usage: tools/test.sh [format|release|sanitize|fuzz]... (default: all four)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools/install_deps.sh libopenmpi-dev openmpi-bin
jobs="$(nproc)"
builds=("$@")
if ((${#builds[@]} == 0)); then builds=(format release sanitize fuzz); fi

# The kernel paths this CPU can run, widest first (the same test the library makes at run time).
simd_paths=()
if grep -qw avx512f /proc/cpuinfo; then simd_paths+=(avx512); fi
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then simd_paths+=(avx2); fi
simd_paths+=(portable)

passed=0  # tests run and passed, over every build and path, for the closing line
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for kind in "${builds[@]}"; do
  case "$kind" in
    # The optimized build is a unity build, as tools/train.sh makes it (the same folder), and
    # its tests share a precompiled header; the sanitizer build stays per-file, so that a file
    # missing an #include is caught there.
    release) flags=(-DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_UNITY_BUILD=ON) ;;
    # clang, so that each compiler checks the code once; -O1 with line tables only is what the
    # sanitizers need for clear reports, and builds in half the time of -O2 -g. Debug keeps
    # the asserts. No test runs the example programs, so this build leaves them to the
    # optimized one (which compiles them with warnings as errors).
    sanitize)
      tools/install_deps.sh clang-16 libclang-rt-16-dev
      flags=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" -DTAPEGRAD_SANITIZE=ON
        -DCMAKE_CXX_COMPILER=clang++-16 -DTAPEGRAD_UNITY_BUILD=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF)
      # A CPU without AVX-512 never runs those kernels: they are compiled uninstrumented
      # (a fifth of this build's CPU time on such a host).
      if [[ " ${simd_paths[*]} " == *" avx512 "* ]]; then flags+=(-DTAPEGRAD_SANITIZE_AVX512=ON)
      else flags+=(-DTAPEGRAD_SANITIZE_AVX512=OFF); fi ;;
    format) tools/format.sh --check; continue ;;
    fuzz) tools/fuzz.sh 30 1; continue ;;
    *) echo "usage: tools/test.sh [format|release|sanitize|fuzz]..." >&2; exit 2 ;;
  esac
  echo "=== tapegrad tests: $kind build"
  cmake -S . -B "build/$kind" -G Ninja -DTAPEGRAD_WERROR=ON -DTAPEGRAD_DISTRIBUTED=ON "${flags[@]}" > /dev/null
  cmake --build "build/$kind" -j "$jobs"
  for path in "${simd_paths[@]}"; do
    echo "=== tapegrad tests: $kind build, TAPEGRAD_SIMD=$path"
    TAPEGRAD_SIMD="$path" ctest --test-dir "build/$kind" -j "$jobs" --output-on-failure | tee "$log"
    count="$(sed -n 's/^100% tests passed, 0 tests failed out of \([0-9]*\)$/\1/p' "$log")"
    passed=$((passed + ${count:-0}))
  done
done
echo "tapegrad: $passed passed, 0 failed"
