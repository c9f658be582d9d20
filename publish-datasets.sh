#!/usr/bin/env bash
# Publishes a wiki's datasets: `WIKI_ID=cswiki ./publish-datasets.sh [--dry-run] [--publish-root DIR]`,
# a thin wrapper around `addlink publish` (see `./addlink.sh publish --help`).
set -euo pipefail
if [ -z "${WIKI_ID:-}" ]; then
  echo "publish-datasets.sh: set WIKI_ID (for example WIKI_ID=cswiki)" >&2
  exit 2
fi
exec "$(dirname "$0")/addlink.sh" publish --wiki "$WIKI_ID" "$@"
