#!/usr/bin/env bash
# Load test: createLoginFlow on `idflows mock` (request validation on) against a bare net/http
# server answering a login-flow-sized fixed JSON body, same machine, same run, with wrk.
# Usage: bash bench/load.sh [seconds] [connections]   (needs wrk: apt-get install -y wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-50}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)"; exit 2; }
go build -o bin/idflows ./cmd/idflows
go build -o bin/bare ./bench/bare
./bin/idflows mock --listen 127.0.0.1:4481 --log-level error >/dev/null 2>&1 & mock=$!
./bin/bare --listen 127.0.0.1:4480 & bare=$!
trap 'kill $mock $bare 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs http://127.0.0.1:4481/_mock/ready >/dev/null && curl -fs http://127.0.0.1:4480/ >/dev/null && break; sleep 0.1; done

run() { wrk -t2 -c"$conns" -d"${secs}s" --latency "$1" | awk -v name="$2" '
  /Requests\/sec/ {rps=$2} / 99%/ {p99=$2} END {printf "%-28s %10s req/s   p99 %s\n", name, rps, p99}'; }
echo "$(nproc) cores, $conns connections, ${secs}s each, wrk and servers on the same machine"
run http://127.0.0.1:4480/ "bare net/http (fixed JSON)"
run http://127.0.0.1:4481/v1/flows/login "mock createLoginFlow"
