#!/usr/bin/env bash
# Measures authkit through real HTTP: wrk on loopback against ./http, which
# serves the same trivial handler with no middleware (/none), behind authkit
# with a new token on every request (/cold, a pool of 24576 tokens, more
# than authkit's cache holds) and behind authkit with one token (/warm). The
# tokens are the realistic HS256 ones of package tokens (16 claims, ~870
# bytes). Each path gets DURATION of load per round, ROUNDS rounds, the
# order of the paths rotating every round, after a warm-up; it prints the
# median requests per second of each path, the ratios to /none, and the
# server's CPU time per request, and appends the runs to OUT.
#
#   ./http.sh                          # 5 rounds of 5s per path, into http.txt
#   ROUNDS=3 DURATION=3s ./http.sh
#   CONNS=64 ./http.sh                 # wrk connections (default 32)
#   SHARED=1 OUT=http-shared.txt ./http.sh   # no pinning: both on every core
#
# On a machine of two or more cores, wrk runs on CPU 0 and the server, with
# GOMAXPROCS=1, on CPU 1 (taskset): each has a core of its own, so that
# wrk's work does not land on the server's time. With one core both share
# it, and the script says so. Numbers taken under other load are not
# comparable: the load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")"

rounds=${ROUNDS:-5}
duration=${DURATION:-5s}
conns=${CONNS:-32}
port=${PORT:-8089}
out=${OUT:-http.txt}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
tmp=$(mktemp -d)
go build -o "$tmp/server" ./http

procs=1
if [ -n "${SHARED:-}" ]; then
  server_pin=()
  wrk_pin=()
  procs=$(nproc)
  pinning="shared: server (GOMAXPROCS=$procs) and wrk (-t1) on every core, unpinned"
elif [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 1)
  wrk_pin=(taskset -c 0)
  pinning="server on CPU 1 (GOMAXPROCS=1), wrk on CPU 0 (-t1)"
else
  server_pin=()
  wrk_pin=()
  pinning="one core: server (GOMAXPROCS=1) and wrk share it"
fi

GOMAXPROCS=$procs "${server_pin[@]}" "$tmp/server" -addr "127.0.0.1:$port" -tokens "$tmp" >"$tmp/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
for _ in $(seq 120); do
  grep -q '^ready' "$tmp/server.log" && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
  sleep 0.5
done
grep -q '^ready' "$tmp/server.log" || { echo "server did not start" >&2; exit 1; }

# cpu_ticks is the server's user+system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)

# load runs wrk on path for the given duration and prints "req/s cpu-µs/req".
load() {
  local path=$1 dur=$2 file=warm.txt
  [ "$path" = cold ] && file=cold.txt
  local before after
  before=$(cpu_ticks)
  "${wrk_pin[@]}" wrk -t1 -c"$conns" -d"$dur" -s http/tokens.lua "http://127.0.0.1:$port/$path" -- "$tmp/$file" >"$tmp/wrk.out"
  after=$(cpu_ticks)
  if grep -q 'Non-2xx' "$tmp/wrk.out"; then
    echo "/$path answered non-2xx responses:" >&2
    cat "$tmp/wrk.out" >&2
    exit 1
  fi
  local rps reqs
  rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/wrk.out")
  reqs=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
  awk -v r="$rps" -v n="$reqs" -v t=$((after - before)) -v hz="$hz" 'BEGIN { printf "%s %.2f\n", r, t / hz * 1e6 / n }'
}

load_before=$(uptime)
echo "# load before: $load_before" >&2
echo "# $pinning; wrk -t1 -c$conns, $rounds rounds of $duration per path" >&2
for p in none cold warm; do load "$p" 1s >/dev/null; done # warm-up

: >"$out"
{
  echo "# $(go version); $(nproc) CPUs; $pinning; wrk -t1 -c$conns -d$duration"
  echo "# load before:${load_before#*load average:}"
} >>"$out"
order=(none cold warm)
for round in $(seq "$rounds"); do
  for p in "${order[@]}"; do
    read -r rps cpu < <(load "$p" "$duration")
    echo "HTTP/path=$p $rps req/s $cpu cpu-us/req" | tee -a "$out"
  done
  order=("${order[@]:1}" "${order[0]}")
done
load_after=$(uptime)
echo "# load after:${load_after#*load average:}" >>"$out"
echo "# load after: $load_after" >&2

echo
go run ./targets -http "$out"
