#!/usr/bin/env bash
# Formats every C++ file of the project with clang-format (the style is .clang-format).
# Usage: tools/format.sh           rewrite the files in place
#        tools/format.sh --check   change nothing; list the files that differ and fail
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools/install_deps.sh clang-format
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if [[ "${1:-}" == --check ]]; then
  unformatted=()
  for f in "${files[@]}"; do
    clang-format --style=file "$f" | cmp -s - "$f" || unformatted+=("$f")
  done
  if ((${#unformatted[@]} > 0)); then
    printf 'tapegrad: not formatted (run tools/format.sh): %s\n' "${unformatted[@]}" >&2
    exit 1
  fi
  echo "tapegrad: ${#files[@]} files formatted as .clang-format says"
else
  clang-format --style=file -i "${files[@]}"
fi
