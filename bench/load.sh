#!/usr/bin/env bash
# Load test: createLoginFlow, whoami and getSettingsFlow on `idflows mock` (request validation
# on) against a bare net/http server answering a login-flow-sized fixed JSON body, same machine,
# same run, with wrk; each line gives the ratio to the bare server.
# Usage: bash bench/load.sh [seconds] [connections]   (needs wrk: apt-get install -y wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-50}
for tool in wrk curl jq; do
  command -v $tool >/dev/null || { echo "$tool is not installed (apt-get install -y wrk curl jq)"; exit 2; }
done
go build -o bin/idflows ./cmd/idflows
go build -o bin/bare ./bench/bare
./bin/idflows mock --listen 127.0.0.1:4481 --log-level error >/dev/null 2>&1 & mock=$!
./bin/bare --listen 127.0.0.1:4480 & bare=$!
trap 'kill $mock $bare 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs http://127.0.0.1:4481/_mock/ready >/dev/null && curl -fs http://127.0.0.1:4480/ >/dev/null && break; sleep 0.1; done

# A signed-in persona and its settings flow, for the authenticated GETs.
B=http://127.0.0.1:4481
flow=$(curl -fsS "$B/v1/flows/login")
csrf=$(echo "$flow" | jq -r '.ui.nodes[] | select(.attributes.name=="csrf_token") | .attributes.value')
token=$(curl -fsS -X POST "$B/v1/flows/login/$(echo "$flow" | jq -r .id):submit" -H 'Content-Type: application/json' \
  -d "{\"method\":\"password\",\"body\":{\"identifier\":\"jane@acme.com\",\"password\":\"Secure-Passw0rd!\",\"csrf_token\":\"$csrf\"}}" | jq -r .session.token)
settings=$(curl -fsS "$B/v1/flows/settings" -H "Authorization: Bearer $token" | jq -r .id)

bare_rps=""
run() { # run URL NAME [wrk args…]
  local url=$1 name=$2; shift 2
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url" | awk -v name="$name" -v bare="$bare_rps" '
    /Requests\/sec/ {rps=$2} / 99%/ {p99=$2}
    END {ratio = (bare != "" && bare > 0) ? sprintf("%.2f of bare", rps / bare) : "baseline";
         printf "%-28s %10s req/s   p99 %-8s %s\n", name, rps, p99, ratio}'; }
echo "$(nproc) cores, $conns connections, ${secs}s each, wrk and servers on the same machine"
line=$(run http://127.0.0.1:4480/ "bare net/http (fixed JSON)"); echo "$line"
bare_rps=$(echo "$line" | awk '{for (i = 2; i <= NF; i++) if ($i == "req/s") print $(i-1)}')
run "$B/v1/flows/login" "mock createLoginFlow"
run "$B/v1/sessions/whoami" "mock getSession (whoami)" -H "Authorization: Bearer $token"
run "$B/v1/flows/settings/$settings" "mock getSettingsFlow" -H "Authorization: Bearer $token"
