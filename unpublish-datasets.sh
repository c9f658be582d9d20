#!/usr/bin/env bash
# Unpublishes a wiki's datasets: `WIKI_ID=cswiki ./unpublish-datasets.sh [--dry-run] [--publish-root DIR]`,
# a thin wrapper around `addlink unpublish` (see `./addlink.sh unpublish --help`).
set -euo pipefail
if [ -z "${WIKI_ID:-}" ]; then
  echo "unpublish-datasets.sh: set WIKI_ID (for example WIKI_ID=cswiki)" >&2
  exit 2
fi
exec "$(dirname "$0")/addlink.sh" unpublish --wiki "$WIKI_ID" "$@"
