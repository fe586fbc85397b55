#!/usr/bin/env bash
# `fitview batch` benchmark (issue #5): scheduling overhead and memory of a whole catalog run.
#
#   scripts/bench-batch.sh     # ITEMS=1000 CONCURRENCY=64 LATENCY_MS=2000 MEM_ITEMS="1000 10000" MEM_LATENCY_MS=50
#   BIN=target/release/fitview MEM_ITEMS= scripts/bench-batch.sh    # wall time only, no rebuild
#
# 1. Wall time: ITEMS items against the mock provider answering every call after a fixed
#    LATENCY_MS, CONCURRENCY provider calls in flight. The ideal is ITEMS / CONCURRENCY × latency (31.25 s
#    for the defaults); the script prints the ratio (target: within 5%).
# 2. Memory: peak RSS of the same kind of run with MEM_ITEMS items each (default 1,000 and
#    10,000) at a short latency: it should be flat in the number of items.
#
# The manifest is generated: the four full-length fixture models and ITEMS / 4 products, each
# with its own garment picture (a PNG of a different colour, made here with python3), so every
# item has different pixels and is one real provider call: the engine's content key and its
# coalescing of identical requests cannot fold two items into one. The script checks that the
# report counts ITEMS items generated, none cached.
#
# Needs python3 (standard library only) and /usr/bin/time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."

ITEMS=${ITEMS:-1000}
CONCURRENCY=${CONCURRENCY:-64}
LATENCY_MS=${LATENCY_MS:-2000}
MEM_ITEMS=${MEM_ITEMS-"1000 10000"}
MEM_LATENCY_MS=${MEM_LATENCY_MS:-50}
# Output encoding of every item: small, so the numbers are about the batch, not the encoder.
SIZE=${SIZE:-256}
THUMBNAILS=${THUMBNAILS:-128}
MODELS=4

missing=()
command -v python3 >/dev/null || missing+=(python3)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    echo "missing tools; install them with:  apt-get install -y ${missing[*]}" >&2
    exit 2
fi

# BIN=path/to/fitview measures an existing build instead.
if [ -z "${BIN:-}" ]; then
    cargo build --quiet --release -p fitview-cli
    BIN=$PWD/target/release/fitview
fi
bin=$BIN
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# manifest N LATENCY: writes $work/N/shop.toml (N items) and $work/N/fitview.toml.
manifest() {
    local n=$1 latency=$2 dir="$work/$1"
    mkdir -p "$dir/garments"
    printf '[provider_settings]\nmock_latency_ms = %s\n' "$latency" > "$dir/fitview.toml"
    python3 - "$dir" "$n" "$MODELS" "$PWD/fixtures/persons" <<'PY'
import struct, sys, zlib
out, items, models, persons = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if items % models:
    sys.exit(f"ITEMS must be a multiple of {models} (models × products)")
products = items // models
if products > 4096:
    sys.exit("at most 4096 products (16 levels per channel)")

def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

def garment(path, rgb, size=256):
    """A tee-shaped block of one colour on white: a body and wider sleeves."""
    white, colour = b"\xff\xff\xff", bytes(rgb)
    def row(left, right):
        return b"\x00" + white * left + colour * (right - left) + white * (size - right)
    rows = [row(0, 0)] * (size // 6)
    rows += [row(size // 12, size - size // 12)] * (size // 3 - size // 6)
    rows += [row(size // 5, size - size // 5)] * (5 * size // 6 - size // 3)
    rows += [row(0, 0)] * (size - len(rows))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)

people = ["slim-light-full", "curvy-tan-full", "broad-deep-full", "average-medium-full"]
lines = ['name = "Batch benchmark"\n']
for m in range(models):
    person = people[m % len(people)]
    lines.append(
        f'[[models]]\nid = "m{m}"\nimage = "{persons}/{person}.jpg"\n'
        f'landmarks = "{persons}/{person}.landmarks.json"\n'
    )
for p in range(products):
    # A different colour per product: 16 levels per channel, never near white.
    rgb = (20 + (p % 16) * 12, 20 + (p // 16 % 16) * 12, 20 + (p // 256 % 16) * 12)
    garment(f"{out}/garments/p{p}.png", rgb)
    lines.append(
        f'[[products]]\nsku = "SKU-{p:05}"\ncategory = "top"\nimage = "garments/p{p}.png"\n'
    )
open(f"{out}/shop.toml", "w").write("\n".join(lines))
PY
}

# run N CONCURRENCY: one batch run of $work/N into a fresh output directory, measured from the
# outside (wall time; peak RSS and CPU time from /usr/bin/time) and from its report.json (each
# item's own time and stages). Fails unless every item was a provider call. Writes
# $work/N/summary.json.
run() {
    local n=$1 concurrency=$2 dir="$work/$1"
    rm -rf "$dir/out"
    local start end
    start=$(date +%s%N)
    env -u FITVIEW_STORE -u FITVIEW_PROVIDER -u FITVIEW_CONFIG -u FITVIEW_REDIS_URL \
        /usr/bin/time -f '%M %U %S' -o "$dir/time" \
        "$bin" batch "$dir/shop.toml" --out "$dir/out" --config "$dir/fitview.toml" \
        --provider mock --concurrency "$concurrency" --size "$SIZE" --thumbnails "$THUMBNAILS" \
        > /dev/null 2> "$dir/log"
    end=$(date +%s%N)
    python3 - "$dir" "$(( (end - start) / 1000000 ))" "$concurrency" <<'PY'
import json, sys
dir, wall_ms, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
report = json.load(open(f"{dir}/out/report.json"))
c = report["counts"]
if c["generated"] != c["items"]:
    sys.exit(f"expected every item generated by the provider, report counts: {c}")
rss_kib, user, system = open(f"{dir}/time").read().split()
results = [item["result"] for item in report["items"]]
n = len(results)
mean = lambda key: sum(r["timings"][key] for r in results) / n / 1000
item_s = sum(r["elapsed_ms"] for r in results) / 1000
summary = {
    "items": n, "concurrency": concurrency, "wall_s": wall_ms / 1000,
    "rss_mib": int(rss_kib) / 1024, "cpu_s": float(user) + float(system),
    "item_s_mean": item_s / n,
    "provider_s": mean("provider"), "preprocess_s": mean("preprocess"),
    "postprocess_s": mean("postprocess"), "engine_total_s": mean("total"),
}
json.dump(summary, open(f"{dir}/summary.json", "w"))
PY
}

cores=$(nproc)
echo "== $cores cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== wall time: $ITEMS items, mock latency ${LATENCY_MS} ms, concurrency $CONCURRENCY (output ${SIZE}px webp + ${THUMBNAILS}px thumbnail)"
manifest "$ITEMS" "$LATENCY_MS"
run "$ITEMS" "$CONCURRENCY"
python3 - "$work/$ITEMS/summary.json" "$LATENCY_MS" "$cores" <<'PY'
import json, math, sys
s = json.load(open(sys.argv[1]))
latency, cores = int(sys.argv[2]) / 1000, int(sys.argv[3])
items, concurrency, wall = s["items"], s["concurrency"], s["wall_s"]
ideal = items / concurrency * latency
waves = math.ceil(items / concurrency) * latency
print(f"wall time          {wall:.2f} s")
print(f"ideal              {ideal:.2f} s  (items / concurrency × latency)")
print(f"ratio              {wall / ideal:.3f}  (target <= 1.05)")
print(f"whole waves        {waves:.2f} s  (ceil(items / concurrency) × latency)")
print(f"over the waves     {wall - waves:.2f} s  (the client's own work not hidden behind the calls: "
      f"preparing the first items, finishing the last)")
print(f"one item           {s['item_s_mean']:.3f} s on average from start to journal: provider stage "
      f"{s['provider_s']:.3f} s (waiting for a call slot, then the call), preprocess "
      f"{s['preprocess_s']:.3f} s, postprocess {s['postprocess_s']:.3f} s, rest (cache, files) "
      f"{s['item_s_mean'] - s['provider_s'] - s['preprocess_s'] - s['postprocess_s']:.3f} s")
print(f"CPU                {s['cpu_s']:.1f} s user+system, {s['cpu_s'] / items * 1000:.1f} ms per item "
      f"→ {s['cpu_s'] / cores:.1f} s of wall time on {cores} idle cores at best")
print(f"peak RSS           {s['rss_mib']:.1f} MiB")
PY

echo
echo "== memory: mock latency ${MEM_LATENCY_MS} ms, concurrency $CONCURRENCY"
printf '%8s  %10s  %14s  %12s\n' items wall "CPU per item" "peak RSS"
for n in $MEM_ITEMS; do
    manifest "$n" "$MEM_LATENCY_MS"
    run "$n" "$CONCURRENCY"
    python3 - "$work/$n/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"{s['items']:8d}  {s['wall_s']:8.1f} s  {s['cpu_s'] / s['items'] * 1000:11.1f} ms  {s['rss_mib']:8.1f} MiB")
PY
done
