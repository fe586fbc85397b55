#!/usr/bin/env bash
# FitView's preprocessing of a 24-megapixel JPEG into a 1024×1024 box, side by side with
# libvips' `vipsthumbnail` doing the same job: wall time and peak memory (RSS), several runs each,
# interleaved so that machine noise hits both alike. Prints the medians and the ratios.
#
#   scripts/bench-vs-vips.sh            # RUNS=10 SIZE=1024 QUALITY=85 WIDTH=6000 HEIGHT=4000
#
# Installs nothing: it names the Debian packages it needs when they are missing.
# Targets: FitView wall time <= 1.0x vipsthumbnail's, peak memory <= 1.5x.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10}
SIZE=${SIZE:-1024}
QUALITY=${QUALITY:-85}
WIDTH=${WIDTH:-6000}
HEIGHT=${HEIGHT:-4000}

missing=()
command -v vipsthumbnail >/dev/null || missing+=(libvips-tools)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    echo "missing tools; install them with:  apt-get install -y ${missing[*]}" >&2
    exit 2
fi

cargo build --quiet --release -p fitview-benches --bin preprocess
bin=target/release/preprocess
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" generate "$work/in.jpg" "$WIDTH" "$HEIGHT"
fitview=("$bin" thumbnail "$work/in.jpg" "$work/fitview.jpg" "$SIZE" "$QUALITY")
vips=(vipsthumbnail "$work/in.jpg" -s "${SIZE}x${SIZE}" -o "$work/vips.jpg[Q=$QUALITY]")

# One untimed run each: page cache, lazy binding.
"${fitview[@]}"; "${vips[@]}"

# measure NAME CMD...: appends "wall_ms rss_kib" to $work/NAME.
measure() {
    local name=$1; shift
    local start end
    start=$(date +%s%N)
    /usr/bin/time -f %M -o "$work/rss" "$@"
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000000 )) $(cat "$work/rss")" >> "$work/$name"
}
for _ in $(seq "$RUNS"); do
    measure fitview "${fitview[@]}"
    measure vips "${vips[@]}"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fw=$(cut -d' ' -f1 "$work/fitview" | median); fm=$(cut -d' ' -f2 "$work/fitview" | median)
vw=$(cut -d' ' -f1 "$work/vips" | median);    vm=$(cut -d' ' -f2 "$work/vips" | median)

# The size from the JPEG's frame header (python3 when present).
dims() { python3 - "$1" 2>/dev/null <<'PY' || echo "?"
import struct, sys
d = open(sys.argv[1], "rb").read()
i = 2
while i < len(d):
    m, n = d[i + 1], struct.unpack(">H", d[i + 2:i + 4])[0]
    if m in (0xC0, 0xC1, 0xC2):
        h, w = struct.unpack(">HH", d[i + 5:i + 9]); print(f"{w}x{h}"); break
    i += 2 + n
PY
}

echo
echo "input: ${WIDTH}x${HEIGHT} JPEG q90, $(stat -c %s "$work/in.jpg") bytes; box ${SIZE}x${SIZE}, output JPEG q${QUALITY}; ${RUNS} runs each, medians"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(vips --version 2>/dev/null || echo libvips)"
if command -v hyperfine >/dev/null; then
    echo
    hyperfine --style basic --warmup 1 --runs "$RUNS" -N \
        -n fitview "${fitview[*]}" -n vipsthumbnail "${vips[*]}" 2>/dev/null | sed -n '/Time/p;/Range/p'
fi
echo
printf '%-14s %10s %12s %12s %12s\n' tool "wall ms" "peak RSS MiB" "out bytes" "out size"
printf '%-14s %10s %12.1f %12s %12s\n' fitview "$fw" "$(awk -v k="$fm" 'BEGIN { print k / 1024 }')" "$(stat -c %s "$work/fitview.jpg")" "$(dims "$work/fitview.jpg")"
printf '%-14s %10s %12.1f %12s %12s\n' vipsthumbnail "$vw" "$(awk -v k="$vm" 'BEGIN { print k / 1024 }')" "$(stat -c %s "$work/vips.jpg")" "$(dims "$work/vips.jpg")"
echo
awk -v fw="$fw" -v vw="$vw" -v fm="$fm" -v vm="$vm" 'BEGIN {
    tw = fw / vw; tm = fm / vm
    printf "wall time ratio fitview/vips: %.2fx (target <= 1.00x: %s)\n", tw, (tw <= 1.0) ? "met" : "NOT met"
    printf "peak memory ratio fitview/vips: %.2fx (target <= 1.50x: %s)\n", tm, (tm <= 1.5) ? "met" : "NOT met"
}'
