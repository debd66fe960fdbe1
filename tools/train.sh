#!/usr/bin/env bash
# The main jobs: installs missing packages (including the data), builds tapegrad optimized,
# and trains.
#   tools/train.sh [--job fashion-mnist] [args]  the LeNet-5-style CNN on Fashion-MNIST (default)
#   tools/train.sh --job char-lm [args]          the character-level language model on fortunes
# Extra arguments go to the trainer, e.g. tools/train.sh --epochs 10 --threads 2
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
job=fashion-mnist
if [[ "${1:-}" == "--job" ]]; then
  job="${2:?--job needs fashion-mnist or char-lm}"
  shift 2
fi
case "$job" in
  fashion-mnist) package=dataset-fashion-mnist target=train_fashion_mnist ;;
  char-lm) package=fortunes target=train_char_lm ;;
  *) echo "tools/train.sh: unknown job '$job' (fashion-mnist or char-lm)" >&2; exit 2 ;;
esac
tools/install_deps.sh "$package"
# Unity build: from scratch it takes about half the CPU time of a per-file build
# (tools/test.sh release configures build/release alike, so neither invalidates the other).
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_UNITY_BUILD=ON > /dev/null
cmake --build build/release -j "$(nproc)" --target "$target"
exec "build/release/examples/$target" --out-dir "build/$job-run" "$@"
