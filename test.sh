#!/usr/bin/env bash
# The project's test command (README, .ci/run): formatting, vet, the test suite, the race
# detector on the concurrent packages, and a short run of every fuzz target. FUZZTIME (default 4s) sets how long each target fuzzes.
set -euo pipefail
cd "$(dirname "$0")"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
# Tests that need the fixtures (real dumps and the reference pipeline's outputs, outside
# the repository) or a Debian tool skip without them, each writing a line to this log
# (internal/testfixtures); under CI=true they fail instead.
skiplog=$(mktemp)
trap 'rm -f "$skiplog"' EXIT
ADDLINK_SKIP_LOG=$skiplog go test -count=1 -timeout 30m ./...
# The data race detector on the packages whose goroutines share structures (the
# embeddings trainer's weights, which its shards read side by side and merge into,
# the dictionary the features workers read, the bzip2 workers, the dump reader, the loader's
# parallel imports; the follower's reader, workers and committer; the articles cache's
# readers).
go test -count=1 -race -timeout 30m ./internal/embed ./internal/linker ./internal/bz2 ./internal/dump ./internal/articles ./pipeline/features ./loader
go test -count=1 -race -short ./service ./follow ./review
# addlink-beam (beam/) is a module of its own, which ./... does not reach.
(cd beam && go vet ./... && ADDLINK_SKIP_LOG=$skiplog go test -count=1 -timeout 30m ./...)

fuzztime=${FUZZTIME:-4s}
if [ "$fuzztime" != "0" ]; then
  grep -rl --include='*_test.go' --exclude-dir=beam '^func Fuzz' . | sort | while read -r f; do
    pkg=./$(dirname "${f#./}")
    grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | while read -r name; do
      echo "fuzz $pkg $name ($fuzztime)"
      for try in 1 2; do
        if out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
          break
        fi
        # Go 1.26's fuzzing coordinator can report "context deadline exceeded" when
        # -fuzztime ends while a worker is busy (go.dev/issue/75804, fixed in Go 1.27):
        # no input failed and none is written. Such a run is retried once; a real
        # finding names its failing input and fails at once.
        if [ "$try" = 1 ] && grep -q 'context deadline exceeded' <<<"$out" &&
          ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' <<<"$out"; then
          echo "fuzz $pkg $name: the coordinator's deadline race (go.dev/issue/75804), once more" >&2
          continue
        fi
        echo "$out" >&2 # the failing input and the test's message
        exit 1
      done
    done
  done
fi

# Tests (and subtests) counted once each.
count() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$skiplog" | sort -u | wc -l; }
fixtures=$(count fixture)
tools=$(count tool)
optional=$(count optional)
if [ "$optional" != 0 ]; then
  echo "skipped $optional test(s) that need another project's clone CI cannot have (ADDLINK_REFERENCE_REPO; docs/development.md)."
fi
if [ "$fixtures" != 0 ] || [ "$tools" != 0 ]; then
  echo "passed; skipped $fixtures test(s) whose fixtures are missing and $tools that need a Debian package (listed in .ci/run)."
  echo "To run them: ADDLINK_FIXTURES=/path/to/fixtures ./test.sh (default ../shared/fixtures beside the checkout); CI=true makes a missing fixture fail."
else
  if [ "$optional" != 0 ]; then echo "passed; no fixture or Debian package missing."; else echo "passed; no test skipped."; fi
fi
