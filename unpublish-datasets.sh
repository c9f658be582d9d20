#!/usr/bin/env bash
# Unpublishes a wiki's datasets: `WIKI_ID=cswiki ./unpublish-datasets.sh [--dry-run] [--publish-root DIR]`.
# A thin wrapper around `addlink unpublish` (see `bin/addlink unpublish --help`); builds bin/addlink
# when the sources are newer than it.
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${WIKI_ID:-}" ]; then
  echo "unpublish-datasets.sh: set WIKI_ID (for example WIKI_ID=cswiki)" >&2
  exit 2
fi
bin=bin/addlink
if [ ! -x "$bin" ] || [ -n "$(find cmd internal pipeline datasets checksum publish go.mod go.sum -newer "$bin" -print -quit 2>/dev/null)" ]; then
  go build -trimpath -o "$bin" ./cmd/addlink
fi
exec "$bin" unpublish --wiki "$WIKI_ID" "$@"
