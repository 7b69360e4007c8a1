#!/usr/bin/env bash
# make demo: a leaked AccessKey handled end to end on the local lab, with
# the real akresp binary. No credentials, no network beyond loopback.
#
#   scripts/demo.sh [path/to/akresp]
#
# Leaves the reports in ./demo-out/ (or $DEMO_OUT).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-bin/akresp}
OUT=${DEMO_OUT:-demo-out}
[ -x "$BIN" ] || { echo "demo: $BIN not found; run 'make build' first" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

work=$(mktemp -d "${TMPDIR:-/tmp}/akresp-demo.XXXXXX")
# The demo never uses your real credentials or profiles.
for v in $(env | awk -F= '/^ALIBABA_CLOUD_|^ALICLOUD_|^AKRESP_/ {print $1}'); do unset "$v"; done
export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true
export HOME="$work/home" AKRESP_STATE_DIR="$work/state" AKRESP_TZ=UTC NO_COLOR=1
mkdir -p "$HOME"

bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
[ -t 1 ] || { bold=; plain=; }
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
say() { printf '   %s\n' "$*"; }
run() { printf '%s$ akresp %s%s\n' "$bold" "$*" "$plain"; "$BIN" "$@"; }

"$BIN" lab serve --scenario builtin:leak --info-file "$work/lab.json" >/dev/null 2>"$work/lab.log" &
lab_pid=$!
cleanup() {
	kill -INT "$lab_pid" 2>/dev/null || true
	wait "$lab_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -s "$work/lab.json" ] && break; sleep 0.1; done
[ -s "$work/lab.json" ] || { echo "demo: the lab did not start:" >&2; cat "$work/lab.log" >&2; exit 1; }

lab() { "$BIN" lab "$@"; }
note() { lab env --info "$work/lab.json" --note "$1"; }
eval "$(lab env --info "$work/lab.json" --as admin)"
KEY=$(note leaked_key_id)
USER_=$(note leaked_user)
ATTACKER=$(note attacker_ip)
OFFICE=$(note office_ip)
OFFICE_CIDR=$(note office_cidr)
CREATED=$(note created_user)

step "The story"
say "It is 3 a.m. A secret scanner reports that AccessKey $KEY of RAM user"
say "'$USER_' was pushed to a public repository. The lab plays Alibaba Cloud on"
say "$AKRESP_ENDPOINT: the office calls from $OFFICE, the attacker from $ATTACKER."
say "You are the on-call engineer, signed in as the 'admin' RAM user."

step "1. Audit: how is the key used, and is it abused?"
run audit "$KEY" --since 30d | sed -n '1,16p'
say "(full report: akresp audit $KEY; -o json for scripts)"

step "2. Contain: fence the key to the office and deny high-risk actions"
run contain "$KEY" --allow-ip "$OFFICE_CIDR" --yes
say "Running it again changes nothing:"
run contain "$KEY" --allow-ip "$OFFICE_CIDR" --yes 2>&1 | tail -n 2

step "3. The attacker tries again; the office keeps working"
call() { printf '%s$ akresp lab call %s%s\n' "$bold" "$*" "$plain"; lab call --info "$work/lab.json" "$@" >/dev/null || true; }
call --as "$USER_" --from "$ATTACKER" ecs DescribeInstances RegionId=cn-hangzhou
call --as "$USER_" --from "$OFFICE" ecs DescribeInstances RegionId=cn-hangzhou
call --as "$USER_" --from "$OFFICE" ram CreateUser UserName=mallory
call --as "$USER_" --from "$OFFICE" ecs DeleteInstance InstanceId=i-bp1prodweb01zxcv9lm

say "The audit tells the attacker's refused retries and your own tests apart from the evidence:"
run audit "$KEY" | sed -n '/^INCIDENT/,/^SERVICES/p' | sed '$d'

step "4. Rotate: give the application a new key, then retire the leaked one"
run rotate "$KEY" --secret-file "$work/new-key.json" --yes
say "The application switches to the new key (from the office):"
call --key-file "$work/new-key.json" --from "$OFFICE" ecs DescribeInstances RegionId=cn-hangzhou
say "The old key has been quiet since; finish the rotation (a drill, so no 24 h wait):"
run rotate "$KEY" --quiet-for 0s --observe 0s --yes

step "5. Eradicate: remove the attacker's foothold and stop the spend"
say "The plan: '$CREATED' (the user the attacker created) loses its console login,"
say "policies and keys; the GPU instances it launched are stopped; the port it opened is closed."
run eradicate "$KEY" --yes 2>/dev/null | sed -n -e '/$ akresp eradicate/p' -e '/spend/p' -e '/^Result/,/^  ok  stop-instance/p' -e '/^Journal/,$p'
say "(one line per stopped instance above is cut; every action is in the journal)"

step "6. Report: what happened, what was done, what is still open"
mkdir -p "$OUT"
run report "$KEY" -o markdown --also html --out "$OUT" >/dev/null
ls -1 "$OUT"

step "Done"
say "Reports: $OUT/ (open the .html in a browser). The lab stops now."
