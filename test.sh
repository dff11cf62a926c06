#!/usr/bin/env bash
# Runs every test of every module in this repository, with the race detector,
# plus go vet and a gofmt check, on the Go of go.mod and again on Go 1.27
# (whose encoding/json runs on the v2 implementation). This is the command
# the README and CI use.
#
#   ./test.sh              # everything
#   ./test.sh -run Vector  # extra flags go to every `go test`
#   TOOLCHAINS=local ./test.sh   # only the installed Go
set -euo pipefail
cd "$(dirname "$0")"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: not formatted:" $unformatted >&2
  exit 1
fi

# "local" is the installed go (GOTOOLCHAIN as set); the others are toolchain
# names the module proxy serves, fetched once by the go command.
read -r -a toolchains <<<"${TOOLCHAINS:-local go1.27.3}"

status=0
for tc in "${toolchains[@]}"; do
  if [ "$tc" = local ]; then tcenv=(); else tcenv=(env "GOTOOLCHAIN=$tc"); fi
  for mod in $(find . -name go.mod -not -path './.git/*' | sort); do
    dir=$(dirname "$mod")
    echo "== $dir ($("${tcenv[@]}" go version | cut -d' ' -f3))"
    "${tcenv[@]}" go -C "$dir" vet ./... || status=1
    "${tcenv[@]}" go -C "$dir" test -race -timeout 20m "$@" ./... || status=1
  done
done
exit $status
