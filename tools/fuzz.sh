#!/usr/bin/env bash
# Fuzzes the file readers (.npy, safetensors, JSON, IDX): installs clang and libFuzzer if
# missing, builds the fuzz targets under ASan + UBSan in build/fuzz, and runs each for the
# given time on a copy of its seed corpus (fuzz/corpus/<target>; the repository's copy is
# never written), after replaying past findings (fuzz/regressions/<target>). Fails if any
# target reports a finding; inputs that fail are kept in build/fuzz/findings/. See
# docs/fuzzing.md.
# Usage: tools/fuzz.sh [seconds-per-target [seed]]   (default 30 s, a random seed)
# tools/test.sh passes a fixed seed, so that a CI run explores the same inputs each time and
# fails for a change in the code, not for the luck of the draw; run it longer with random
# seeds to look for new findings.
set -euo pipefail
seconds="${1:-30}"
seed="${2:-0}"  # libFuzzer: 0 picks a random seed
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)) || ! [[ "$seed" =~ ^[0-9]+$ ]]; then
  echo "usage: tools/fuzz.sh [seconds-per-target [seed]]" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools/install_deps.sh clang-16 libclang-rt-16-dev
build=build/fuzz
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_WERROR=ON \
  -DTAPEGRAD_FUZZ=ON -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF -DTAPEGRAD_BUILD_TOOLS=OFF > /dev/null
cmake --build "$build" -j "$(nproc)" --target tapegrad_fuzz_targets

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
findings="$build/findings"
mkdir -p "$findings"
# An input a reader should reject is tiny, so any allocation of 64 MiB is a bug (a size
# taken from the file and trusted); -timeout catches inputs that take super-linear time.
limits=(-rss_limit_mb=2048 -malloc_limit_mb=64 -timeout=10)
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"  # where the undefined behaviour happened
failed=()
summary=()
for target in npy safetensors idx; do
  echo "=== fuzz_$target: ${seconds}s"
  cp -r "fuzz/corpus/$target" "$work/$target"
  log="$work/$target.log"
  # Past findings (fuzz/regressions/<target>) run first with the seeds; only the first
  # directory, the copy, receives new inputs.
  corpora=("$work/$target")
  if [[ -d "fuzz/regressions/$target" ]]; then corpora+=("fuzz/regressions/$target"); fi
  status=0
  "$build/fuzz/fuzz_$target" "${limits[@]}" -max_total_time="$seconds" -seed="$seed" -print_final_stats=1 \
    -dict="fuzz/dict/$target.dict" -artifact_prefix="$findings/$target-" "${corpora[@]}" > "$log" 2>&1 || status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  if ((status != 0)); then
    failed+=("$target")
    # The report: the sanitizer or libFuzzer message, the stack and the saved input.
    grep -v '^#[0-9]*[[:space:]]*\(INITED\|NEW\|REDUCE\|pulse\|RELOAD\)\|^[[:space:]]NEW_FUNC' "$log" | tail -60
    summary+=("fuzz_$target: FINDING (exit $status) after ${execs:-?} executions")
  else
    summary+=("fuzz_$target: ok, ${execs:-?} executions in ${seconds}s")
  fi
done
echo "=== fuzzing summary"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
  echo "findings in: ${failed[*]} (inputs in $findings)" >&2
  exit 1
fi
