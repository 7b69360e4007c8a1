#!/usr/bin/env bash
# A/B timing of two akresp binaries on one offline audit, runs alternated
# (A, B, A, B, ...) so that the machine's drift (on the shared build
# machine, ~10% within an hour) falls on both alike. Prints, per binary,
# the mean and the range of the wall time, the mean CPU (user+sys) and the
# peak RSS range, and whether the two JSON outputs differ (generated_at
# aside).
#
#   bench/ab.sh OLD_BINARY NEW_BINARY KEY TRAIL_DIR [RUNS]      (RUNS: 5)
#
# e.g. after `git stash; go build -o /tmp/old ./cmd/akresp; git stash pop;
# go build -o /tmp/new ./cmd/akresp`:
#
#   bench/ab.sh /tmp/old /tmp/new LTAI5tLEAKEDbenchKEY0001 "$BENCH_DIR/delivery"
#
# Needs GNU time (/usr/bin/time); no credentials, no network.
set -euo pipefail
if [ $# -lt 4 ]; then
	sed -n '2,15p' "$0" >&2
	exit 2
fi
A=$1 B=$2 KEY=$3 DIR=$4 RUNS=${5:-5}
export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true
for bin in "$A" "$B"; do
	[ -x "$bin" ] || { echo "not an executable: $bin" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq "$RUNS"); do
	for side in A B; do
		bin=$A
		[ "$side" = B ] && bin=$B
		/usr/bin/time -f "$side %e %U %S %M" -a -o "$work/times" \
			"$bin" audit "$KEY" --trail "$DIR" -o json >"$work/$side.json" 2>"$work/$side.err" ||
			{ echo "$side ($bin) failed:" >&2; tail -5 "$work/$side.err" >&2; exit 1; }
	done
done
awk '
	{ n[$1]++; s[$1] += $2; c[$1] += $3 + $4
	  if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2; if ($2 > hi[$1]) hi[$1] = $2
	  if (!($1 in rlo) || $5 < rlo[$1]) rlo[$1] = $5; if ($5 > rhi[$1]) rhi[$1] = $5 }
	END { for (k in n) printf "%s  wall %.2f s (%.2f-%.2f)  CPU %.2f s  peak RSS %d-%d MB  (%d runs)\n",
		k, s[k] / n[k], lo[k], hi[k], c[k] / n[k], rlo[k] / 1024, rhi[k] / 1024, n[k] }
' "$work/times" | sort | sed "s|^A|A $A|; s|^B|B $B|"
if cmp -s <(grep -v generated_at "$work/A.json") <(grep -v generated_at "$work/B.json"); then
	echo "outputs: identical (generated_at aside)"
else
	echo "outputs: DIFFER"
fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
