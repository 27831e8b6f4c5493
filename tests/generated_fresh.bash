#!/usr/bin/env bash
# man/ and completions/ are committed for readers and packagers without a
# build; they must say what this golfops' CLI definitions say. Regenerate
# with: cmake --build --preset dev --target regenerate
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
"$GOLFOPS" __generate "$fresh"
stale=0
for dir in man completions; do
  if ! diff -r "$top/$dir" "$fresh/$dir" >"$fresh/$dir.diff"; then
    echo "$dir/ is stale against the CLI definitions:"
    head -40 "$fresh/$dir.diff"
    stale=1
  fi
done
if ((stale)); then
  echo "regenerate with: cmake --build --preset dev --target regenerate (and commit man/ and completions/)"
  exit 1
fi
echo "man/ and completions/ match the CLI definitions"
