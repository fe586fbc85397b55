#!/usr/bin/env bash
# Storefront page weight and speed (issue #13): a release `fitview-server` on loopback with a
# catalog of 10,000 products, on SQLite and on PostgreSQL, measured side by side in one run.
#
#   scripts/bench-storefront.sh                 # DURATION=10s PRODUCTS=10000
#   BIN=target/release/fitview-server POSTGRES_URL=postgres://u:p@127.0.0.1:5432/db scripts/bench-storefront.sh
#
# For each database (PostgreSQL only when POSTGRES_URL names a server; a database of its own is
# created there and dropped after):
#   1. seeds one retailer, one model and PRODUCTS products (names and descriptions drawn from a
#      vocabulary of colours, fabrics and kinds, so searches match hundreds of them), through the
#      JSON API, 8 at a time; the measured product gets its garment photo;
#   2. page weight: the bytes of the product page's HTML, CSS and JS as a browser loads them
#      (target: under 100 KB before images);
#   3. server time of the home page `/` and a product page `/products/{id}` at 32 concurrent
#      clients (wrk -c32), anonymous shoppers, catalog cache warm (target p95 < 50 ms);
#   4. search latency on the whole catalog: `GET /api/v1/products?q=<two words>` through the API,
#      which reads the database every time (no catalog cache), rotating over 60 different
#      queries, at 1 and at 32 connections (target p95 < 20 ms).
# wrk prints p95 through its Lua `done` hook; every answer must be 2xx.
#
# Needs curl, python3, wrk (Debian package `wrk`) and, for PostgreSQL, psql. Traffic stays on
# 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
PRODUCTS=${PRODUCTS:-10000}
PORT=${PORT:-18490}
BASE="http://127.0.0.1:$PORT"
POSTGRES_URL=${POSTGRES_URL:-${FITVIEW_TEST_POSTGRES_URL:-}}

command -v wrk >/dev/null || { echo "wrk is missing (Debian package wrk)" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p fitview-server >&2
  BIN=target/release/fitview-server
fi

WORK=$(mktemp -d)
SERVER_PID=""
BENCH_DB=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
}
cleanup() {
  stop_server
  if [ -n "$BENCH_DB" ]; then psql "$POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server() { # [database-url] (default: SQLite in the data directory)
  rm -rf "$WORK/data"
  local database=()
  if [ -n "${1:-}" ]; then database=(--database-url "$1"); fi
  FITVIEW_LOG=warn FITVIEW_JWT_SECRET="bench-secret-of-at-least-thirty-two-bytes" \
    "$BIN" --addr "127.0.0.1:$PORT" --data-dir "$WORK/data" "${database[@]}" \
    --tryon-per-minute 1000000000 --login-per-minute 1000000 --register-per-minute 1000000 \
    >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    curl -fsS "$BASE/health" >/dev/null 2>&1 && return
    sleep 0.1
  done
  cat "$WORK/server.log" >&2
  exit 1
}

# Seeds the catalog; prints "<retailer token> <customer token> <product id>".
seed() {
  python3 - "$BASE" "$PRODUCTS" <<'PY'
import json, sys, urllib.request, uuid
from concurrent.futures import ThreadPoolExecutor
base, count = sys.argv[1], int(sys.argv[2])
def call(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)
def register(role):
    body = {"email": f"{role}-{uuid.uuid4().hex}@bench.test", "password": "a good password", "role": role}
    return call("POST", "/api/v1/auth/register", body)["access_token"]
retailer, customer = register("retailer"), register("customer")
colours = ["blue", "green", "red", "black", "white", "sage", "navy", "ochre", "grey", "pink"]
fabrics = ["linen", "cotton", "denim", "silk", "wool", "jersey", "poplin", "twill", "satin", "fleece"]
kinds = ["shirt", "dress", "jeans", "skirt", "jacket", "tee", "kurta", "blouse", "coat", "trousers"]
fits = ["slim", "loose", "cropped", "long", "relaxed", "tailored", "oversized", "straight"]
def product(i):
    c, f, k, t = colours[i % 10], fabrics[(i // 10) % 10], kinds[(i // 100) % 10], fits[i % 8]
    body = {"name": f"{c.title()} {f} {k} {i}", "description": f"A {t} {k} in {c} {f}. Washes well; item {i}.",
            "category": k, "garment_category": "auto", "sizes": ["S", "M", "L"], "colour": c,
            "price_cents": 1500 + i % 9000, "currency": "EUR", "stock": 1 + i % 20}
    return call("POST", "/api/v1/products", body, retailer)["id"]
with ThreadPoolExecutor(8) as pool:
    ids = list(pool.map(product, range(count)))
print(retailer, customer, ids[count // 2])
PY
}

# wrk script: optional list of paths to rotate over, a bearer token, non-2xx count and p95.
cat >"$WORK/bench.lua" <<'LUA'
local token = os.getenv("WRK_TOKEN")
local paths = {}
for p in string.gmatch(os.getenv("WRK_PATHS") or "", "[^ ]+") do table.insert(paths, p) end
local n = 0
request = function()
  local headers = {}
  if token then headers["authorization"] = "Bearer " .. token end
  local path = nil
  if #paths > 0 then n = n + 1; path = paths[(n % #paths) + 1] end
  return wrk.format("GET", path, headers)
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status < 200 or status > 299 then bad = bad + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("non-2xx: %d\n", total))
  io.write(string.format("p95-us: %d\n", latency:percentile(95)))
end
LUA

run() { # database name connections path [token] [paths]
  local database=$1 name=$2 connections=$3 path=$4 token=${5:-} paths=${6:-}
  local threads=2
  if [ "$connections" -lt 2 ]; then threads=1; fi
  WRK_TOKEN=$token WRK_PATHS=$paths wrk -t"$threads" -c"$connections" -d"$DURATION" --latency \
    -s "$WORK/bench.lua" "$BASE$path" >"$WORK/run.txt"
  python3 - "$database" "$name" "$connections" "$WORK/run.txt" <<'PY'
import re, sys
database, name, connections, path = sys.argv[1:]
text = open(path).read()
def ms(value):
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
pct = {p: ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M)}
p95 = int(re.search(r"p95-us: (\d+)", text).group(1)) / 1000
bad = int(re.search(r"non-2xx: (\d+)", text).group(1))
print(f"| {database} | {name} | {connections} | {rps:,.0f} | {pct['50']:.2f} | {p95:.2f} | {pct['99']:.2f} | {bad} |")
if bad:
    sys.exit(f"{name}: {bad} non-2xx answers")
PY
}

# Sixty two-word searches: a colour or fabric with a kind.
QUERIES=$(python3 -c '
c = ["blue","green","red","black","white","sage","navy","ochre","grey","pink"]
f = ["linen","cotton","denim","silk","wool","jersey"]
k = ["shirt","dress","jeans","skirt","jacket","tee","kurta","blouse","coat","trousers"]
words = [(a, b) for a in c + f for b in k][:60]
print(" ".join(f"/api/v1/products?limit=24&q={a}+{b}" for a, b in words))')

measure() { # database-name [database-url]
  local database=$1
  start_server "${2:-}"
  echo "seeding $PRODUCTS products on $database..." >&2
  read -r RETAILER CUSTOMER PRODUCT < <(seed)
  curl -fsS -X PUT "$BASE/api/v1/products/$PRODUCT/image" -H "authorization: Bearer $RETAILER" \
    -F image=@fixtures/garments/shirt-striped.jpg >/dev/null
  if [ "$database" = SQLite ]; then
    # Page weight does not depend on the database: measured once.
    local html css js
    curl -fsS "$BASE/products/$PRODUCT" -o "$WORK/product.html"
    html=$(wc -c <"$WORK/product.html")
    css=$(curl -fsS "$BASE$(grep -o '/assets/app\.[0-9a-f]*\.css' "$WORK/product.html")" | wc -c)
    js=$(curl -fsS "$BASE$(grep -o '/assets/app\.[0-9a-f]*\.js' "$WORK/product.html")" | wc -c)
    echo "WEIGHT product page: HTML $html B + CSS $css B + JS $js B = $((html + css + js)) B ($(( (html + css + js + 1023) / 1024 )) KB) before images"
  fi
  # Warm the catalog cache, then load.
  curl -fsS "$BASE/" >/dev/null
  curl -fsS "$BASE/products/$PRODUCT" >/dev/null
  run "$database" "home page \`/\`" 32 "/"
  run "$database" "product page \`/products/{id}\`" 32 "/products/$PRODUCT"
  run "$database" "search \`/api/v1/products?q=\` (60 queries)" 1 "/" "$CUSTOMER" "$QUERIES"
  run "$database" "search \`/api/v1/products?q=\` (60 queries)" 32 "/" "$CUSTOMER" "$QUERIES"
  stop_server
}

echo "wrk -t2 -d$DURATION, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $BIN, $PRODUCTS products" >&2
echo "| database | request | connections | requests/s | p50 ms | p95 ms | p99 ms | non-2xx |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
measure SQLite
if [ -n "$POSTGRES_URL" ]; then
  BENCH_DB="fitview_bench_$$"
  psql "$POSTGRES_URL" -qc "CREATE DATABASE $BENCH_DB" >/dev/null
  measure PostgreSQL "${POSTGRES_URL%/*}/$BENCH_DB"
fi
