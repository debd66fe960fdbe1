#!/usr/bin/env bash
# Installs the built tapegrad into a scratch prefix, then configures, builds and runs the
# consumer project against it with find_package(tapegrad).
set -euo pipefail
build_dir="$1"
source_dir="$(cd "$(dirname "$0")" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Each step's log is shown only when the step fails.
run() { local log="$1"; shift; "$@" > "$log" 2>&1 || { cat "$log"; exit 1; }; }
run "$scratch/install.log" cmake --install "$build_dir" --prefix "$scratch/prefix"
run "$scratch/configure.log" cmake -S "$source_dir" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release
run "$scratch/build.log" cmake --build "$scratch/build" --parallel 2
"$scratch/build/consumer"
if [[ -x "$scratch/build/consumer_distributed" ]]; then "$scratch/build/consumer_distributed"; fi
