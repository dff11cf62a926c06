#!/usr/bin/env bash
# Runs the side-by-side benchmarks of authkit's middleware against
# go-chi/jwtauth, auth0/go-jwt-middleware, echo-jwt and gin-jwt, and the
# password benchmarks of ../password, then prints the benchstat tables and the
# ratios the performance targets name.
#
#   ./run.sh                      # 6 rounds into bench.txt and password.txt
#   COUNT=10 ./run.sh             # more rounds
#   BENCH='Cold/alg=HS256' ./run.sh   # a subset (a -bench regexp)
#   SKIP_PASSWORD=1 ./run.sh      # only this module
#   OUT=new.txt ./run.sh          # another output file
#
# It takes about 12 minutes on two cores. Run it on an otherwise idle
# machine: the load average is printed before and after, and numbers taken
# under load are not comparable.
set -euo pipefail
cd "$(dirname "$0")"

out=${OUT:-bench.txt}
pwout=${PASSWORD_OUT:-password.txt}
count=${COUNT:-6}

echo "# load before: $(uptime)" >&2
# One process per round, each running every benchmark once, rather than
# -count: the rounds interleave, so a slow minute of a shared machine lands
# on every contender alike instead of on whichever ran then.
go test -c -o bench.test .
go -C .. test -c -o "$PWD/password.test" ./password/
trap 'rm -f bench.test password.test' EXIT
: > "$out"
: > "$pwout"
for round in $(seq "$count"); do
  echo "# round $round of $count" >&2
  ./bench.test -test.run '^$' -test.bench "${BENCH:-.}" -test.benchmem -test.count 1 -test.timeout 90m | tee -a "$out"
  if [ -z "${SKIP_PASSWORD:-}" ]; then
    (cd ../password && "$OLDPWD/password.test" -test.run '^$' -test.bench '^Benchmark(Hash|Verify|IDKey)$' -test.benchtime 3s -test.benchmem -test.count 1) | tee -a "$pwout"
  fi
done
echo "# load after: $(uptime)" >&2

if command -v benchstat >/dev/null 2>&1; then
  benchstat=(benchstat)
elif go run golang.org/x/perf/cmd/benchstat@latest -h >/dev/null 2>&1; then
  benchstat=(go run golang.org/x/perf/cmd/benchstat@latest)
else
  benchstat=()
  echo "benchstat is not available (go run golang.org/x/perf/cmd/benchstat@latest failed); skipping its tables" >&2
fi
if [ ${#benchstat[@]} -gt 0 ]; then
  echo
  echo "## Cold and warm, one column per contender (deltas against authkit)"
  "${benchstat[@]}" -filter '.name:(Cold OR Warm)' -col /impl -row .name,/alg "$out"
  echo
  echo "## Configuration size"
  "${benchstat[@]}" -filter '.name:Exclusions' -col /patterns -row .name,/paths,/mode "$out"
  "${benchstat[@]}" -filter '.name:KeySet' -col /keys -row .name,/alg "$out"
  if [ -z "${SKIP_PASSWORD:-}" ]; then
    echo
    echo "## Password"
    "${benchstat[@]}" "$pwout"
  fi
fi

echo
echo "## Medians and targets"
files=("$out")
[ -z "${SKIP_PASSWORD:-}" ] && files+=("$pwout")
go run ./targets "${files[@]}"
