#!/usr/bin/env bash
# What idflows proxy adds, one run, one machine: the bare net/http baseline, then getLoginFlow
# and createLoginFlow straight at the mock and through `idflows proxy` (which judges every
# exchange), with wrk; each line gives its median and p99 latency, and the proxy's lines what
# they add to the median.
# Usage: bash bench/proxy.sh [seconds] [connections]   (wrk, curl, jq; loopback only)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-10}
for tool in wrk curl jq; do
  command -v $tool >/dev/null || { echo "$tool is not installed (apt-get install -y wrk curl jq)"; exit 2; }
done
go build -o bin/idflows ./cmd/idflows
go build -o bin/bare ./bench/bare
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
./bin/bare --listen 127.0.0.1:4480 & pids+=($!)
./bin/idflows mock --listen 127.0.0.1:4481 --log-level error >/dev/null 2>&1 & pids+=($!)
./bin/idflows proxy --upstream http://127.0.0.1:4481 --listen 127.0.0.1:4486 >/dev/null 2>&1 & pids+=($!)
for url in http://127.0.0.1:4480/ http://127.0.0.1:4481/_mock/ready http://127.0.0.1:4486/_mock/ready; do
  for _ in $(seq 50); do curl -fs -o /dev/null "$url" && break; sleep 0.1; done
done
login=$(curl -fsS http://127.0.0.1:4481/v1/flows/login | jq -r .id)

median() { # median URL NAME → prints its line, and sets $p50ms
  local out
  out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "$1" | awk -v name="$2" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2}
    END {printf "%-40s %10s req/s   p50 %-9s p99 %-9s|%.3f\n", name, rps, p50, p99, ms(p50)}')
  echo "${out%|*}"
  p50ms=${out##*|}
}
echo "$(nproc) cores, $conns connections, ${secs}s each; wrk and every server on the same machine"
median http://127.0.0.1:4480/ "bare net/http (fixed JSON)"
for op in "getLoginFlow /v1/flows/login/$login" "createLoginFlow /v1/flows/login"; do
  set -- $op
  median "http://127.0.0.1:4481$2" "$1, straight at the mock"; direct=$p50ms
  median "http://127.0.0.1:4486$2" "$1, through idflows proxy"; through=$p50ms
  awk -v a="$direct" -v b="$through" -v name="$1" 'BEGIN {printf "%-40s the proxy adds %.2f ms to the median\n", name, b - a}'
done
