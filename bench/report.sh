#!/usr/bin/env bash
# Report memory benchmark: peak RSS of `akresp report KEY --trail F` next to
# `akresp audit KEY --trail F` on the same input, for two inputs made by
# bench/gentrail -single (every event is the audited key's, so every event
# is kept by the report):
#   150k     150,000 events in one gzip JSON-array file (~16 MB)
#   200MB    190,000 events in one uncompressed JSON-array file (~200 MB)
# The report keeps at most report.CollectChunk events in memory and streams
# the rest through sorted runs in a scratch file beside the report, so its
# peak should stay within 2x of the audit's and below 150 MB on the 200 MB
# file. It also prints the evidence file's event count and SHA-256.
#
#   bench/report.sh
#
# BENCH_DIR=DIR keeps (and reuses) the generated files and the binaries.
# Needs no network: offline (--trail only), with dummy credentials in the
# environment and the ECS metadata lookup disabled, so nothing can reach a
# cloud even by mistake.
set -euo pipefail
cd "$(dirname "$0")/.."

KEY=LTAI5tLEAKEDbenchKEY0001
WORK=${BENCH_DIR:-$(mktemp -d)}
export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tBENCHdummy0000001
export ALIBABA_CLOUD_ACCESS_KEY_SECRET=bench-dummy-secret-not-used
unset ALIBABA_CLOUD_SECURITY_TOKEN ALIBABA_CLOUD_PROFILE

echo "building akresp and gentrail" >&2
go build -o "$WORK/akresp" ./cmd/akresp
go build -o "$WORK/gentrail" ./bench/gentrail

if [ ! -f "$WORK/150k.done" ]; then
	rm -rf "$WORK/150k"
	"$WORK/gentrail" -n 150000 -files 1 -single -out "$WORK/150k"
	touch "$WORK/150k.done"
fi
if [ ! -f "$WORK/200MB.done" ]; then
	rm -rf "$WORK/200MB" "$WORK/200MB.gz"
	"$WORK/gentrail" -n 190000 -files 1 -single -seed 2 -out "$WORK/200MB.gz"
	mkdir -p "$WORK/200MB"
	gzip -dc "$WORK"/200MB.gz/*.json.gz >"$WORK/200MB/trail.json"
	rm -rf "$WORK/200MB.gz"
	touch "$WORK/200MB.done"
fi
du -sh "$WORK/150k" "$WORK/200MB" >&2

# peak LABEL CMD...: run CMD, print its wall time and peak RSS (MB).
peak() {
	local label=$1
	shift
	/usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/stdout.txt" 2>"$WORK/stderr.txt" || {
		echo "$label failed:" >&2
		cat "$WORK/stderr.txt" >&2
		exit 1
	}
	local rss wall
	rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/time.txt")
	wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$WORK/time.txt")
	printf '%-22s %6s MB peak RSS  %9s wall\n' "$label" "$rss" "$wall"
}

echo "load: $(uptime)"
for in in 150k 200MB; do
	rm -rf "$WORK/state" "$WORK/out-$in"
	peak "audit  ($in)" "$WORK/akresp" audit "$KEY" --trail "$WORK/$in" --state-dir "$WORK/state" -o json
	peak "report ($in)" "$WORK/akresp" report "$KEY" --trail "$WORK/$in" --state-dir "$WORK/state" --out "$WORK/out-$in" -o json
	python3 - "$WORK/stdout.txt" <<'PY' 2>/dev/null || true
import json, sys
d = json.load(open(sys.argv[1]))
e = d.get("evidence") or {}
print(f'  report: {d["summary"]["events"]} events analysed; evidence {e.get("events")} events, sha256 {e.get("sha256")}')
PY
done
echo "load: $(uptime)"
echo "work directory: $WORK (set BENCH_DIR to reuse the generated files)" >&2
