#!/usr/bin/env bash
# The main job: installs missing packages (including the Fashion-MNIST data set), builds
# tapegrad optimized, and trains the LeNet-5-style CNN on Fashion-MNIST.
# Extra arguments go to the trainer, e.g. tools/train.sh --epochs 10 --threads 2
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools/install_deps.sh dataset-fashion-mnist
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build/release -j "$(nproc)" --target train_fashion_mnist
exec build/release/examples/train_fashion_mnist --out-dir build/fashion-mnist-run "$@"
