#!/usr/bin/env bash
# Runs the whole addlink pipeline for one wiki: `WIKI_ID=cswiki ./run-pipeline.sh`.
# WIKI_ID and DUMPS_DIR are read by addlink itself; every argument is passed on to
# `addlink run` (see `bin/addlink run --help`). With no WIKI_ID it runs the built-in sample
# wiki. Builds bin/addlink first when the sources are newer than it.
set -euo pipefail
cd "$(dirname "$0")"
bin=bin/addlink
if [ ! -x "$bin" ] || [ -n "$(find cmd internal pipeline datasets checksum publish go.mod go.sum -newer "$bin" -print -quit 2>/dev/null)" ]; then
  go build -trimpath -o "$bin" ./cmd/addlink
fi
exec "$bin" run "$@"
