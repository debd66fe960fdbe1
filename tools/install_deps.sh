#!/usr/bin/env bash
# Installs the Debian packages tapegrad needs, skipping those already present.
# Usage: tools/install_deps.sh [extra-package ...]
set -euo pipefail
packages=(cmake ninja-build g++ libfmt-dev doctest-dev libtbb-dev zlib1g-dev nlohmann-json3-dev libcli11-dev libpng-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then exit 0; fi
echo "tapegrad: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
