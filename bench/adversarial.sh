#!/usr/bin/env bash
# Seconds per MB of every reader of wikitext (StripCode, PlainText, Sections,
# LinkedSentences, ScanLinks, the tokenizer) on ordinary article text and on 1 MB
# adversarial pages of every markup construct (unclosed, stray closers, deep nesting,
# combinations, long lines), each with its ratio to ordinary text, then each reader's
# worst ratio. Exits 1 when a construct is more than 5x ordinary text. Arguments go to
# the program (-size, -reps, -readers, -pages). Times are the best of -reps runs: on a busy
# machine, run it twice.
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/adversarial "$@"
