#!/usr/bin/env bash
# Runs the whole addlink pipeline for one wiki: `WIKI_ID=cswiki ./run-pipeline.sh`.
# WIKI_ID and DUMPS_DIR are read by addlink itself; every argument is passed on to
# `addlink run` (see `./addlink.sh run --help`). With no WIKI_ID it runs the built-in
# sample wiki.
set -euo pipefail
exec "$(dirname "$0")/addlink.sh" run "$@"
