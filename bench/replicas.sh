#!/usr/bin/env bash
# Capacity of the shared store, one run, one machine: the bare net/http baseline, then
# createLoginFlow (wrk) and password-login journeys (bench/journey) against one replica in
# memory, one replica on Redis, and two replicas on Redis behind the round-robin balancer of
# examples/replicas; then Redis's memory per live flow. Every process shares the machine's
# cores with the load generators, so on a 2-core machine a second replica adds no capacity —
# the figures say what one Redis-backed replica costs, and what sharing costs.
# Usage: bash bench/replicas.sh [seconds] [connections]
# Needs wrk, curl, jq and redis-server (apt-get install -y wrk curl jq redis-server).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-50}
for tool in wrk curl jq redis-server redis-cli; do
  command -v $tool >/dev/null || { echo "$tool is not installed (apt-get install -y wrk curl jq redis-server)"; exit 2; }
done
go build -o bin/idflows ./cmd/idflows
go build -o bin/bare ./bench/bare
go build -o bin/journey ./bench/journey
go build -o bin/lb ./examples/replicas/lb
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
# Redis in memory only (no persistence): the store's cost, not the disk's.
redis-server --port 4490 --bind 127.0.0.1 --save "" --appendonly no --loglevel warning & pids+=($!)
for _ in $(seq 50); do redis-cli -p 4490 ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p 4490 flushall >/dev/null
R=redis://127.0.0.1:4490/0
LB=http://127.0.0.1:4485
# The journey signs one persona in over and over: the documented 10 submits a minute per
# identifier would stop it after ten.
./bin/bare --listen 127.0.0.1:4480 & pids+=($!)
./bin/idflows mock --listen 127.0.0.1:4481 --log-level error --login-limit 100000000 >/dev/null 2>&1 & pids+=($!)
./bin/idflows mock --listen 127.0.0.1:4483 --log-level error --login-limit 100000000 --store $R --base-url $LB >/dev/null 2>&1 & pids+=($!)
./bin/idflows mock --listen 127.0.0.1:4484 --log-level error --login-limit 100000000 --store $R --base-url $LB >/dev/null 2>&1 & pids+=($!)
./bin/lb --listen 127.0.0.1:4485 http://127.0.0.1:4483 http://127.0.0.1:4484 2>/dev/null & pids+=($!)
for port in 4480 4481 4483 4484 4485; do
  for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/" || curl -fs -o /dev/null "http://127.0.0.1:$port/_mock/ready" && break; sleep 0.1; done
done

bare_rps=""
# tenants.lua spreads wrk's requests over 50 X-Mock-Tenant tenants, as parallel test suites do.
tenants=$(mktemp --suffix .lua)
cat > "$tenants" <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, {["X-Mock-Tenant"] = "bench-" .. (n % 50)})
end
LUA
run() { # run URL NAME [wrk args…]
  local url=$1 name=$2; shift 2
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url" | awk -v name="$name" -v bare="$bare_rps" '
    /Requests\/sec/ {rps=$2} / 99%/ {p99=$2}
    END {ratio = (bare != "" && bare > 0) ? sprintf("%.2f of bare", rps / bare) : "baseline";
         printf "%-44s %10s req/s   p99 %-8s %s\n", name, rps, p99, ratio}'; }
journey() { # journey URL NAME [journey args…]
  local url=$1 name=$2; shift 2
  ./bin/journey -target "$url" -c "$conns" -d "${secs}s" -name "$(printf '%-44s' "$name")" "$@"; }
used() { redis-cli -p 4490 info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
flows() { redis-cli -p 4490 zcard 'idf:{default}:F'; }

echo "$(nproc) cores, $conns connections, ${secs}s each; wrk, journeys, Redis and every server on the same machine"
line=$(run http://127.0.0.1:4480/ "bare net/http (fixed JSON)"); echo "$line"
bare_rps=$(echo "$line" | awk '{for (i = 2; i <= NF; i++) if ($i == "req/s") print $(i-1)}')
run http://127.0.0.1:4481/v1/flows/login "createLoginFlow, 1 replica in memory"
mem0=$(used); flows0=$(flows)
run http://127.0.0.1:4483/v1/flows/login "createLoginFlow, 1 replica on Redis"
mem1=$(used); flows1=$(flows)
run $LB/v1/flows/login "createLoginFlow, 2 replicas on Redis + lb"
run http://127.0.0.1:4481/v1/flows/login "createLoginFlow, memory, 50 tenants" -s "$tenants"
run http://127.0.0.1:4483/v1/flows/login "createLoginFlow, 1 on Redis, 50 tenants" -s "$tenants"
run $LB/v1/flows/login "createLoginFlow, 2 on Redis + lb, 50 tenants" -s "$tenants"
journey http://127.0.0.1:4481 "journeys, 1 replica in memory"
journey http://127.0.0.1:4483 "journeys, 1 replica on Redis"
journey $LB "journeys, 2 replicas on Redis + lb"
journey http://127.0.0.1:4481 "journeys, memory, 50 tenants" -tenants 50
journey http://127.0.0.1:4483 "journeys, 1 on Redis, 50 tenants" -tenants 50
journey $LB "journeys, 2 on Redis + lb, 50 tenants" -tenants 50
echo "Redis memory per live login flow: $(( (mem1 - mem0) / (flows1 - flows0) )) bytes ($(( flows1 - flows0 )) flows, used_memory $mem0 -> $mem1)"
