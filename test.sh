#!/usr/bin/env bash
# Runs every test of every module in this repository, with the race detector,
# plus go vet and a gofmt check. This is the command the README and CI use.
#
#   ./test.sh              # everything
#   ./test.sh -run Vector  # extra flags go to every `go test`
set -euo pipefail
cd "$(dirname "$0")"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: not formatted:" $unformatted >&2
  exit 1
fi

status=0
for mod in $(find . -name go.mod -not -path './.git/*' | sort); do
  dir=$(dirname "$mod")
  echo "== $dir"
  go -C "$dir" vet ./... || status=1
  go -C "$dir" test -race -timeout 20m "$@" ./... || status=1
done
exit $status
