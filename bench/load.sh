#!/usr/bin/env bash
# Load test, one run, one machine: a bare net/http server answering a login-flow-sized fixed
# JSON body (the baseline), then `idflows mock` (request validation on) — createLoginFlow,
# getLoginFlow, whoami, getSettingsFlow with wrk, password-login journeys with bench/journey —
# and Prism mocking the same contract; each line gives its ratio to the bare server.
# Usage: bash bench/load.sh [seconds] [connections]
# Needs wrk, curl and jq (apt-get install -y wrk curl jq); Prism is measured when npm is there
# (installed once under bench/.prism). Every target is on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-50}
for tool in wrk curl jq; do
  command -v $tool >/dev/null || { echo "$tool is not installed (apt-get install -y wrk curl jq)"; exit 2; }
done
go build -o bin/idflows ./cmd/idflows
go build -o bin/bare ./bench/bare
go build -o bin/journey ./bench/journey
# The journey signs one persona in over and over: the documented 10 submits a minute per
# identifier would stop it after ten.
./bin/idflows mock --listen 127.0.0.1:4481 --log-level error --login-limit 100000000 >/dev/null 2>&1 & mock=$!
./bin/bare --listen 127.0.0.1:4480 & bare=$!
prism=""
trap 'kill $mock $bare $prism 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs http://127.0.0.1:4481/_mock/ready >/dev/null && curl -fs http://127.0.0.1:4480/ >/dev/null && break; sleep 0.1; done

# A signed-in persona and its settings flow, for the authenticated GETs.
B=http://127.0.0.1:4481
flow=$(curl -fsS "$B/v1/flows/login")
csrf=$(echo "$flow" | jq -r '.ui.nodes[] | select(.attributes.name=="csrf_token") | .attributes.value')
token=$(curl -fsS -X POST "$B/v1/flows/login/$(echo "$flow" | jq -r .id):submit" -H 'Content-Type: application/json' \
  -d "{\"method\":\"password\",\"body\":{\"identifier\":\"jane@acme.com\",\"password\":\"Secure-Passw0rd!\",\"csrf_token\":\"$csrf\"}}" | jq -r .session.token)
settings=$(curl -fsS "$B/v1/flows/settings" -H "Authorization: Bearer $token" | jq -r .id)
login=$(curl -fsS "$B/v1/flows/login" | jq -r .id)

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
run "$B/v1/flows/login/$login" "mock getLoginFlow"
run "$B/v1/sessions/whoami" "mock getSession (whoami)" -H "Authorization: Bearer $token"
run "$B/v1/flows/settings/$settings" "mock getSettingsFlow" -H "Authorization: Bearer $token"
./bin/journey -target "$B" -c "$conns" -d "${secs}s"

if command -v npm >/dev/null; then
  [ -x bench/.prism/node_modules/.bin/prism ] ||
    npm install --prefix bench/.prism --no-audit --no-fund --silent @stoplight/prism-cli@5.14.2 >/dev/null 2>&1 || true
  if [ -x bench/.prism/node_modules/.bin/prism ]; then
    bench/.prism/node_modules/.bin/prism mock -p 4482 --host 127.0.0.1 openapi/avnology-id-flows.yaml >/dev/null 2>&1 & prism=$!
    for _ in $(seq 100); do curl -fs -o /dev/null http://127.0.0.1:4482/v1/flows/login && break; sleep 0.2; done
    run http://127.0.0.1:4482/v1/flows/login "Prism 5.14.2 createLoginFlow"
  fi
fi
