#!/usr/bin/env bash
# Mutation testing (make mutate): go-gremlins changes one operator at a time
# (< to <=, + to -, == to !=, ...) in the code that makes security decisions
# and runs that package's tests against each change. A mutant the tests do
# not notice ("LIVED") is a behaviour no test pins: kill it with a test or
# explain it in docs/mutation.md.
#
# Usage: scripts/mutate.sh [target...]
#   targets: policy lab-auth audit-rules respond rotate (default: all, in
#   that order). One package at a time, one worker: it is slow on purpose
#   (minutes per package) and is not part of `make test`.
# Environment: GREMLINS (path to a gremlins binary; installed with
#   `go install` when unset), MUTATE_WORKERS (default 1),
#   MUTATE_TIMEOUT_COEFFICIENT (default 30), MUTATE_OUT (default bench/out/mutate),
#   MUTATE_AUDIT_FILES (audit-rules: the rules*.go files to mutate, default
#   all; the audit package's tests take ~30 s a run, so all 450 mutants take
#   hours: MUTATE_AUDIT_FILES=rules_anom.go measures the thresholds alone),
#   MUTATE_FILES (respond, rotate, policy: the package's files to mutate,
#   default all; e.g. MUTATE_FILES="plan.go undo.go" to finish a run cut
#   short).
# gremlins is a tool, never a module dependency: go.mod does not change.
# --test-cpu is deliberately not used: gremlins 0.6.0 passes it to go test
# as the single argument "-cpu 1", go test then fails to start, and every
# mutant is counted as KILLED. Run the whole script under nice instead.
set -euo pipefail

GREMLINS_VERSION=v0.6.0
cd "$(dirname "$0")/.."
export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true
# gremlins times the package's tests once to set each mutant's timeout; a
# cached `go test` result answers in under a second and every mutant then
# times out while its test binary is still being built.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1"

workers=${MUTATE_WORKERS:-1}
coef=${MUTATE_TIMEOUT_COEFFICIENT:-30}
out=${MUTATE_OUT:-bench/out/mutate}
mkdir -p "$out"

gremlins=${GREMLINS:-}
if [ -z "$gremlins" ]; then
	gobin=$(go env GOPATH)/bin
	gremlins=$gobin/gremlins
	if ! go version -m "$gremlins" 2>/dev/null | grep -q "gremlins[[:space:]]*$GREMLINS_VERSION"; then
		echo "mutate: installing gremlins $GREMLINS_VERSION" >&2
		GOFLAGS=-buildvcs=false go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
	fi
fi

# excludes_except DIR FILE... prints -E flags excluding every non-test .go
# file under DIR (paths relative to DIR, as gremlins matches them) except
# the FILEs given.
excludes_except() {
	local dir=$1
	shift
	local f rel keep k
	while IFS= read -r f; do
		rel=${f#"$dir"/}
		keep=no
		for k in "$@"; do
			if [ "$rel" = "$k" ]; then keep=yes; fi
		done
		if [ $keep = no ]; then
			printf -- '-E\n^%s$\n' "${rel//./\\.}"
		fi
	done < <(find "$dir" -name '*.go' ! -name '*_test.go' | sort)
}

# run NAME DIR [gremlins flags...]
run() {
	local name=$1 dir=$2
	shift 2
	echo "mutate: $name ($dir), $workers worker(s), timeout coefficient $coef" >&2
	local rc=0
	"$gremlins" unleash "./$dir" --workers "$workers" \
		--timeout-coefficient "$coef" -o "$out/$name.json" "$@" \
		>"$out/$name.txt" 2>&1 || rc=$?
	grep -E '^(Killed|Timed out|Mutator coverage|Test efficacy)|^ +LIVED' "$out/$name.txt" >&2 || true
	if [ $rc -ne 0 ]; then
		echo "mutate: gremlins failed on $name (exit $rc), see $out/$name.txt" >&2
		return $rc
	fi
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	targets=(policy lab-auth audit-rules respond rotate)
fi
for t in "${targets[@]}"; do
	case $t in
	policy | respond | rotate)
		ex=()
		if [ -n "${MUTATE_FILES:-}" ]; then
			# shellcheck disable=SC2086 # a list of file names
			mapfile -t ex < <(excludes_except "internal/$t" $MUTATE_FILES)
		fi
		run "$t" "internal/$t" "${ex[@]}"
		;;
	lab-auth)
		mapfile -t ex < <(excludes_except internal/lab sign.go authz.go)
		run lab-auth internal/lab "${ex[@]}"
		;;
	audit-rules)
		files=${MUTATE_AUDIT_FILES:-$(cd internal/audit && ls rules*.go | grep -v _test)}
		mapfile -t ex < <(excludes_except internal/audit $files)
		# TestSLSEqualsOnline (13 s of ~21) compares two readers over the
		# same rules: no rule mutant can change one side only.
		AKRESP_MUTATE_AUDIT_RULES=1 run audit-rules internal/audit "${ex[@]}"
		;;
	*)
		echo "mutate: unknown target $t (want policy, lab-auth, audit-rules, respond or rotate)" >&2
		exit 2
		;;
	esac
done
echo "mutate: results in $out (publish in docs/mutation.md)" >&2
