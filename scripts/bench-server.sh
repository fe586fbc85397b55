#!/usr/bin/env bash
# Storefront server load test (issue #6): wrk against a release build on loopback.
#
#   scripts/bench-server.sh                       # DURATION=20s CONNECTIONS="16 32 64" THREADS=2
#   BIN=target/release/fitview-server scripts/bench-server.sh      # no rebuild
#
# Starts `fitview-server` (default offline provider, SQLite in a temporary data directory, logs at
# `warn`, rate limits raised out of the way) on 127.0.0.1, seeds one retailer with a model and a
# product with its garment photo, makes one try-on as a customer, then runs wrk --latency for
# DURATION on each of:
#   - cached try-on: `POST /api/v1/tryon` for that model and product (answered from the
#     in-memory result cache; the history write is folded to one per user/pair per 10 minutes);
#   - job lookup:    `GET /api/v1/tryon/{job_id}` (one indexed database read);
#   - catalog:       `GET /api/v1/products?limit=20` (a page of the catalog from the database).
# Each endpoint is loaded once per connection count in CONNECTIONS: wrk keeps that many requests
# in flight, so on 2 cores shared with wrk the latency is mostly queueing (connections /
# requests per second) and the table shows where the p99 bound holds. Prints requests/s and
# latency percentiles as a Markdown table (the one in docs/benchmarks.md) and checks that every
# wrk request got a 2xx. The last column is the server's own CPU time per
# request (user + system, from /proc): unlike requests/s it does not depend on what else runs on
# the machine, so 2 cores / that time bounds what the server could answer with no wrk beside it.
#
# Needs curl, python3 and wrk (Debian package `wrk`). All traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-16 32 64}
THREADS=${THREADS:-2}
PORT=${PORT:-18480}
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "wrk is missing (Debian package wrk)" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p fitview-server >&2
  BIN=target/release/fitview-server
fi

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

FITVIEW_LOG=warn FITVIEW_JWT_SECRET="bench-secret-of-at-least-thirty-two-bytes" \
  "$BIN" --addr "127.0.0.1:$PORT" --data-dir "$WORK/data" \
  --tryon-per-minute 1000000000 --login-per-minute 1000000 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$BASE/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$BASE/health" >/dev/null

json() { python3 -c 'import json,sys; print(json.load(sys.stdin)'"$1"')'; }
register() {
  curl -fsS -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"$1-$$@bench.test\",\"password\":\"a good password\",\"role\":\"$1\"}" | json '["access_token"]'
}

RETAILER=$(register retailer)
MODEL=$(curl -fsS -X POST "$BASE/api/v1/models" -H "authorization: Bearer $RETAILER" \
  -F image=@fixtures/persons/slim-light-full.jpg -F name=Asha -F body_type=slim -F size=S | json '["id"]')
for i in $(seq 1 40); do
  curl -fsS -X POST "$BASE/api/v1/products" -H "authorization: Bearer $RETAILER" \
    -H 'content-type: application/json' \
    -d "{\"name\":\"Shirt $i\",\"description\":\"Cotton shirt number $i\",\"category\":\"shirts\",\"garment_category\":\"top\",\"sizes\":[\"S\",\"M\"],\"colour\":\"Blue\",\"price_cents\":$((1999 + i)),\"currency\":\"EUR\",\"stock\":10}" \
    | json '["id"]' >"$WORK/product"
done
PRODUCT=$(cat "$WORK/product")
curl -fsS -X PUT "$BASE/api/v1/products/$PRODUCT/image" -H "authorization: Bearer $RETAILER" \
  -F image=@fixtures/garments/shirt-striped.jpg >/dev/null
CUSTOMER=$(register customer)
TRYON_BODY="{\"model_id\":\"$MODEL\",\"product_id\":\"$PRODUCT\"}"
JOB=$(curl -fsS -X POST "$BASE/api/v1/tryon" -H "authorization: Bearer $CUSTOMER" \
  -H 'content-type: application/json' \
  -d "{\"model_id\":\"$MODEL\",\"product_id\":\"$PRODUCT\",\"wait_ms\":30000}" | json '["job_id"]')
# The next identical try-on is a cache hit (200, cached: true).
CACHED=$(curl -fsS -X POST "$BASE/api/v1/tryon" -H "authorization: Bearer $CUSTOMER" \
  -H 'content-type: application/json' -d "$TRYON_BODY" | json '["cached"]')
[ "$CACHED" = "True" ] || { echo "the second try-on was not a cache hit" >&2; exit 1; }

# wrk script: optional method/body, and a count of non-2xx answers printed at the end.
cat >"$WORK/bench.lua" <<LUA
wrk.method = os.getenv("WRK_METHOD") or "GET"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["authorization"] = "Bearer $CUSTOMER"
if wrk.body then wrk.headers["content-type"] = "application/json" end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status < 200 or status > 299 then bad = bad + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("non-2xx: %d\n", total))
end
LUA

# User + system CPU ticks the server has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

run() { # name method path [body]
  local name=$1 method=$2 path=$3 body=${4:-}
  local connections before after
  for connections in $CONNECTIONS; do
    before=$(cpu_ticks)
    WRK_METHOD=$method WRK_BODY=$body wrk -t"$THREADS" -c"$connections" -d"$DURATION" --latency \
      -s "$WORK/bench.lua" "$BASE$path" >"$WORK/$name.txt"
    after=$(cpu_ticks)
    cat "$WORK/$name.txt" >&2
    python3 - "$name" "$method $path" "$WORK/$name.txt" "$((after - before))" "$(getconf CLK_TCK)" "$connections" <<'PY'
import re, sys
name, what, path, ticks, hz, connections = sys.argv[1:]
text = open(path).read()
def ms(value):
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
pct = {p: ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M)}
bad = int(re.search(r"non-2xx: (\d+)", text).group(1))
requests = int(re.search(r"(\d+) requests in", text).group(1))
cpu_us = int(ticks) / int(hz) * 1e6 / requests
what = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "{id}", what)
errors = re.search(r"Socket errors: (.*)", text)
print(f"| {name} | `{what}` | {connections} | {rps:,.0f} | {pct['50']:.2f} | {pct['90']:.2f} | {pct['99']:.2f} | {bad} | {cpu_us:.0f} |")
if bad or errors:
    sys.exit(f"{name}: {bad} non-2xx answers; {errors.group(0) if errors else ''}")
PY
  done
}

echo "wrk -t$THREADS -c{$CONNECTIONS} -d$DURATION --latency, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $BIN" >&2
echo "| endpoint | request | connections | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | server CPU µs/request |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
run "cached try-on" POST /api/v1/tryon "$TRYON_BODY"
run "job lookup" GET "/api/v1/tryon/$JOB"
run "catalog page" GET "/api/v1/products?limit=20"
