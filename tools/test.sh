#!/usr/bin/env bash
# The whole test suite: installs missing packages, then builds and runs every test twice —
# an optimized build with warnings as errors, and a build under AddressSanitizer +
# UndefinedBehaviorSanitizer. Usage: tools/test.sh [release|sanitize]... (default: both)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools/install_deps.sh
jobs="$(nproc)"
builds=("$@")
if ((${#builds[@]} == 0)); then builds=(release sanitize); fi
for kind in "${builds[@]}"; do
  case "$kind" in
    release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
    sanitize) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_SANITIZE=ON) ;;
    *) echo "usage: tools/test.sh [release|sanitize]..." >&2; exit 2 ;;
  esac
  echo "=== tapegrad tests: $kind build"
  cmake -S . -B "build/$kind" -G Ninja -DTAPEGRAD_WERROR=ON "${flags[@]}" > /dev/null
  cmake --build "build/$kind" -j "$jobs"
  ctest --test-dir "build/$kind" -j "$jobs" --output-on-failure
done
