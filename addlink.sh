#!/usr/bin/env bash
# Runs bin/addlink with the given arguments, building it first when the sources are newer
# than it. The other scripts go through it. It runs in the caller's directory, so relative
# paths (--dump, --data-dir, FILE arguments) mean what they mean where they were typed;
# the artifacts go to the checkout's data/ unless --data-dir or ADDLINK_DATA_DIR says
# otherwise.
set -euo pipefail
repo=$(cd "$(dirname "$0")" && pwd)
bin=$repo/bin/addlink
if [ ! -x "$bin" ] || [ -n "$(cd "$repo" && find . \( -path ./data -o -path ./bin -o -path ./.git \) -prune -o \( -name '*.go' -o -name '*.s' -o -name go.mod -o -name go.sum \) -newer "$bin" -print -quit 2>/dev/null)" ]; then
  echo "building bin/addlink (the first build takes a minute or two) ..." >&2
  (cd "$repo" && go build -trimpath -o bin/addlink ./cmd/addlink)
fi
export ADDLINK_DATA_DIR=${ADDLINK_DATA_DIR:-$repo/data}
exec "$bin" "$@"
