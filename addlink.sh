#!/usr/bin/env bash
# Runs bin/addlink with the given arguments, building it first when the sources are newer
# than it. The other scripts go through it.
set -euo pipefail
cd "$(dirname "$0")"
bin=bin/addlink
if [ ! -x "$bin" ] || [ -n "$(find cmd internal pipeline datasets checksum publish go.mod go.sum -newer "$bin" -print -quit 2>/dev/null)" ]; then
  go build -trimpath -o "$bin" ./cmd/addlink
fi
exec "$bin" "$@"
