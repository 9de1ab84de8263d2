#!/usr/bin/env bash
# Docs show examples that compile: every fenced code block that follows a marker
#   <!-- example: examples/embed/quickstart.c -->
# in README.md or docs/*.md must equal that file, which the build compiles (examples/) and the
# install test builds against an installed dien. Exits 1 naming each block that drifted.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0 checked=0
for doc in README.md docs/*.md; do
  while IFS= read -r path; do
    block=$(awk -v want="<!-- example: $path -->" '
      $0 == want { armed = 1; next }
      armed && /^```/ { if (inside) exit; inside = 1; next }
      inside { print }' "$doc")
    checked=$((checked + 1))
    if [ ! -f "$path" ]; then echo "$doc: example $path does not exist"; bad=1; continue; fi
    if ! diff -q <(printf '%s\n' "$block") "$path" > /dev/null; then
      echo "$doc: the block under 'example: $path' differs from the file:"
      diff <(printf '%s\n' "$block") "$path" | head -20
      bad=1
    fi
  done < <(sed -n 's/^<!-- example: \(.*\) -->$/\1/p' "$doc")
done
[ "$bad" -eq 0 ] && echo "doc examples: $checked blocks equal their files"
exit "$bad"
