#!/usr/bin/env bash
# The main jobs: installs missing packages (including the data), builds tapegrad optimized,
# and trains.
#   tools/train.sh [--job fashion-mnist] [args]  the LeNet-5-style CNN on Fashion-MNIST (default)
#   tools/train.sh --job char-lm [args]          the character-level language model on fortunes
#   tools/train.sh --np 2 --batch-size 32        Fashion-MNIST data-parallel over 2 processes (mpirun;
#                                                installs Open MPI and builds the distributed component)
# Extra arguments go to the trainer, e.g. tools/train.sh --epochs 10 --threads 2
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
job=fashion-mnist
processes=0
while [[ "${1:-}" == "--job" || "${1:-}" == "--np" ]]; do
  case "$1" in
    --job) job="${2:?--job needs fashion-mnist or char-lm}" ;;
    --np) processes="${2:?--np needs a process count}" ;;
  esac
  shift 2
done
case "$job" in
  fashion-mnist) package=dataset-fashion-mnist target=train_fashion_mnist ;;
  char-lm) package=fortunes target=train_char_lm ;;
  *) echo "tools/train.sh: unknown job '$job' (fashion-mnist or char-lm)" >&2; exit 2 ;;
esac
# Unity build: from scratch it takes about half the CPU time of a per-file build
# (tools/test.sh release configures build/release alike, so neither invalidates the other).
flags=(-DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_UNITY_BUILD=ON)
if ((processes > 0)); then
  [[ "$job" == fashion-mnist ]] || { echo "tools/train.sh: --np is for the fashion-mnist job" >&2; exit 2; }
  tools/install_deps.sh "$package" libopenmpi-dev openmpi-bin
  flags+=(-DTAPEGRAD_DISTRIBUTED=ON)
else
  tools/install_deps.sh "$package"
fi
cmake -S . -B build/release -G Ninja "${flags[@]}" > /dev/null
cmake --build build/release -j "$(nproc)" --target "$target"
if ((processes == 0)); then exec "build/release/examples/$target" --out-dir "build/$job-run" "$@"; fi
# Open MPI refuses to start as root unless told (containers, CI); --oversubscribe lets more
# processes run than the machine has cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI's single-copy shared-memory transport (CMA) needs ptrace rights containers withhold.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
exec mpirun -np "$processes" --oversubscribe "build/release/examples/$target" --distributed \
  --out-dir "build/$job-run-np$processes" "$@"
