#!/usr/bin/env bash
# Offline audit benchmark: 1,000,000 ActionTrail events as gzip JSON-array
# trail files (bench/gentrail), audited end to end by `akresp audit --trail`
# (read, inflate, parse, every rule), in two cases:
#   account     a realistic account: 26 keys, the audited one among them
#               (its ~500 events go through the rules; the others are read,
#               inflated and filtered)
#   single key  every event is the audited key's (gentrail -single): a busy
#               key's office traffic plus an attack burst, so all 1,000,000
#               events are parsed and go through every rule
#   delivery    the OSS delivery shape (gentrail -busy -files 10000 -per
#               100): 1,000,000 events in 10,000 small gzip files, the
#               audited key busy (~15% of events, ~7,600 sources, tens of
#               thousands of resources, thousands of created identities)
# next to jq counting events by source IP over the account files, and jq
# and DuckDB (read_json, bench/duckcount) counting the busy key's events by
# source IP over the delivery files.
#
#   bench/offline.sh [EVENTS] [FILES]      (defaults 1000000 and 100)
#
# BENCH_DIR=DIR keeps (and reuses) the generated files; NO_JQ=1 skips the
# jq comparisons (minutes each), NO_DUCKDB=1 the DuckDB one (its first
# build compiles the cgo bindings), NO_DELIVERY=1 the delivery case.
# REPEAT=N runs each akresp case N times (the machine may be shared: report
# the best and the worst), and DuckDB beside each delivery run (after it in
# odd rounds, before it in even ones); every data set is read once, untimed,
# before its first run (warm). JQ_FILES=N runs jq over the first N delivery
# files only (events/s is then of N x 100 events; all 10,000 take ~30 min).
# Each line ends with the 1-minute load average when the run ended.
#
# Prints events/s and peak RSS (GNU time -v, or /proc when it is missing).
# Needs no credentials and no network.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-1000000}
FILES=${2:-100}
KEY=LTAI5tLEAKEDbenchKEY0001
WORK=${BENCH_DIR:-$(mktemp -d)}
export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true

echo "building akresp and gentrail" >&2
go build -o "$WORK/akresp" ./cmd/akresp
go build -o "$WORK/gentrail" ./bench/gentrail
# gen DIR [FLAGS...]: generate N events in FILES files once per setting.
gen() {
	local dir=$1
	shift
	# The marker sits beside the directory: a file inside it would be
	# counted (and reported) by the audit as an ignored input.
	if [ ! -f "$dir.done-$N-$FILES" ]; then
		rm -rf "$dir"
		echo "generating $N events in $FILES files under $dir $*" >&2
		"$WORK/gentrail" -n "$N" -files "$FILES" -out "$dir" -leaked "$KEY" "$@"
		touch "$dir.done-$N-$FILES"
	fi
	du -sh "$dir" >&2
}
gen "$WORK/trails"
gen "$WORK/single" -single
if [ -z "${NO_DELIVERY:-}" ] && [ ! -f "$WORK/delivery.done" ]; then
	rm -rf "$WORK/delivery"
	echo "generating the delivery shape (10,000 files of 100 events) under $WORK/delivery" >&2
	"$WORK/gentrail" -busy -files 10000 -per 100 -out "$WORK/delivery" -leaked "$KEY"
	touch "$WORK/delivery.done"
fi

# run LABEL CMD... : time CMD, print wall seconds, events/s (of EVENTS,
# default N), CPU seconds and peak RSS (MB).
run() {
	local label=$1 events=${EVENTS:-$N}
	shift
	local start end secs rss cpu
	if [ -x /usr/bin/time ]; then
		start=$(date +%s.%N)
		/usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/$label.out"
		end=$(date +%s.%N)
		rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/time.txt")
		cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$WORK/time.txt")
	else
		start=$(date +%s.%N)
		"$@" >"$WORK/$label.out" &
		local pid=$! peak=0 cur
		while kill -0 "$pid" 2>/dev/null; do
			cur=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
			[ "${cur:-0}" -gt "$peak" ] && peak=$cur
			sleep 0.05
		done
		wait "$pid"
		end=$(date +%s.%N)
		rss=$((peak / 1024))
		cpu=n/a
	fi
	secs=$(echo "$end - $start" | bc -l)
	printf '%-40s %8.2f s %12.0f events/s %8s s CPU %6s MB peak RSS  load %s\n' "$label" "$secs" "$(echo "$events / $secs" | bc -l)" "$cpu" "$rss" "$(cut -d' ' -f1 /proc/loadavg)"
}
REPEAT=${REPEAT:-1}

# warm DIR: read every file under DIR once, untimed, so that each tool's
# first run reads from the page cache like the runs after it (a cold first
# run of the delivery shape read 10,000 files from disk: ~2.7 s instead of
# ~1.8 s, with 0.7 s of system time; DuckDB, run right after it, never paid
# that).
warm() { find -L "$1" -type f -exec cat {} + >/dev/null; }

# summary FILE: what the audit saw.
summary() {
	python3 - "$1" <<'PY' 2>/dev/null || true
import json, sys
r = json.load(open(sys.argv[1]))
w = r["window"]
print(f'  audit: {w["events"]} events of the key analysed, {w["filtered"]} other events read and filtered, '
      f'{len(r["findings"])} findings, verdict {r["verdict"]["status"]}')
PY
}

# Account: every event is read, inflated and scanned; the audited key's
# events go through every rule. (--trail alone: offline, no credentials.)
warm "$WORK/trails"
for _ in $(seq "$REPEAT"); do
	run "akresp audit --trail (account)" "$WORK/akresp" audit "$KEY" --trail "$WORK/trails" -o json
done
summary "$WORK/akresp audit --trail (account).out"
# Single busy key: every event is parsed and goes through every rule.
warm "$WORK/single"
for _ in $(seq "$REPEAT"); do
	run "akresp audit --trail (single key)" "$WORK/akresp" audit "$KEY" --trail "$WORK/single" -o json
done
summary "$WORK/akresp audit --trail (single key).out"

if [ -z "${NO_DELIVERY:-}" ]; then
	duck=
	if [ -z "${NO_DUCKDB:-}" ]; then
		if go build -o "$WORK/duckcount" ./bench/duckcount; then
			duck=1
		else
			echo "could not build bench/duckcount (duckdb-go needs cgo and a C compiler); skipping DuckDB" >&2
		fi
	fi
	warm "$WORK/delivery"
	# The OSS delivery shape: 10,000 small files, the audited key busy.
	# DuckDB runs beside each akresp run: this machine's speed drifts by
	# 15-20% within half an hour, so the two are compared in the same
	# rounds, each first in every other round.
	ak() { EVENTS=1000000 run "akresp audit --trail (delivery)" "$WORK/akresp" audit "$KEY" --trail "$WORK/delivery" -o json; }
	dk() { [ -z "$duck" ] || EVENTS=1000000 run "duckdb read_json by source IP (delivery)" "$WORK/duckcount" -key "$KEY" "$WORK/delivery/*.json.gz"; }
	for i in $(seq "$REPEAT"); do
		if [ $((i % 2)) -eq 1 ]; then
			ak
			dk
		else
			dk
			ak
		fi
	done
	summary "$WORK/akresp audit --trail (delivery).out"
fi

echo "load: $(uptime)" >&2
if [ -n "${NO_JQ:-}" ]; then
	:
elif ! command -v jq >/dev/null; then
	echo "jq not found: installing it (apt-get install -y jq)" >&2
	(apt-get install -y jq >/dev/null 2>&1 || sudo apt-get install -y jq >/dev/null 2>&1) || echo "could not install jq; skipping the comparison" >&2
fi
if [ -z "${NO_JQ:-}" ] && command -v jq >/dev/null; then
	jqcount() { for f in "$WORK"/trails/*.gz; do gzip -dc "$f" | jq -r '.[].sourceIpAddress'; done | sort | uniq -c | sort -rn; }
	export -f jqcount
	export WORK
	run "jq count by source IP" bash -c jqcount
	if [ -z "${NO_DELIVERY:-}" ]; then
		# The same question akresp answers for the busy key, per file.
		JQ_FILES=${JQ_FILES:-10000}
		jqkey() { for f in $(ls "$WORK"/delivery/*.gz | head -n "$JQ_FILES"); do gzip -dc "$f" | jq -r --arg k "$KEY" '.[] | select(.userIdentity.accessKeyId == $k) | .sourceIpAddress'; done | sort | uniq -c | sort -rn; }
		export -f jqkey
		export KEY JQ_FILES
		EVENTS=$((JQ_FILES * 100)) run "jq key's events by source IP (delivery, $JQ_FILES files)" bash -c jqkey
	fi
fi
echo "work directory: $WORK (set BENCH_DIR to reuse the generated files)" >&2
