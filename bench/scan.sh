#!/usr/bin/env bash
# Git history scan benchmark: `akresp scan --no-verify` next to gitleaks
# v8.30.1 (`gitleaks git`, full history) on the same generated repository,
# in the same run (issue 17: at least as fast as gitleaks).
#
#   bench/scan.sh [COMMITS]        (default 10000)
#
# The repository is written with one `git fast-import` (seconds, not
# COMMITS `git commit` calls) by a generator embedded below: ~400 Go,
# YAML and Markdown files, every commit changing one to four of them (now
# and then adding or deleting one), PAIRS AccessKey ID + secret pairs
# planted in .env files, Go code and YAML (most deleted again a few
# commits later, a few left in HEAD, one on a side branch only), and
# documentation examples and masked values that are not leaks. The
# planted keys are random strings generated here; they were never keys.
#
# BENCH_DIR=DIR keeps (and reuses) the repository and the binaries
# (without it everything is written to a temporary directory, removed at exit);
# RUNS=N times each tool N times (default 2; the first run also warms the
# page cache). Prints wall time, CPU and peak RSS (GNU time -v: the peak of
# the largest single process, the git children included) and how many of
# the planted pairs each tool found. Needs no credentials and no network
# beyond `go install` of gitleaks (module proxy) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-10000}
RUNS=${RUNS:-2}
if ! [[ $N =~ ^[0-9]+$ ]] || [ "$N" -lt 500 ]; then
	echo "bench/scan.sh: COMMITS must be a number of at least 500, not \"$N\"" >&2
	exit 2
fi
PAIRS=25
GITLEAKS_VERSION=v8.30.1
if [ -n "${BENCH_DIR:-}" ]; then
	WORK=$BENCH_DIR
	mkdir -p "$WORK"
else
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true
for tool in git jq /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench/scan.sh needs $tool" >&2; exit 1; }
done

echo "building akresp" >&2
go build -o "$WORK/akresp" ./cmd/akresp

GITLEAKS=$(go env GOPATH)/bin/gitleaks
gitleaks_version() { go version -m "$GITLEAKS" 2>/dev/null | awk '$1 == "mod" {print $3}'; }
if [ "$(gitleaks_version)" != "$GITLEAKS_VERSION" ]; then
	echo "installing gitleaks $GITLEAKS_VERSION (go install, not in go.mod)" >&2
	(cd "$WORK" && GOFLAGS= go install "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION")
fi

REPO=$WORK/repo-$N
if [ ! -f "$WORK/.done-repo-$N" ]; then
	rm -rf "$REPO" "$WORK/gen"
	mkdir -p "$WORK/gen"
	cat >"$WORK/gen/main.go" <<'EOF'
// Command gen writes a git fast-import stream: n commits of a small
// project with planted AccessKey pairs. Deterministic (fixed seed).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
)

const base62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

var rng = rand.New(rand.NewSource(17))

func rnd(n int, set string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[rng.Intn(len(set))]
	}
	return string(b)
}

var words = strings.Fields("user account region bucket client config request response handler server token session cache index record event policy role store queue worker batch limit retry timeout status result value")

func word() string { return words[rng.Intn(len(words))] }

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func goLine() string {
	switch rng.Intn(8) {
	case 0:
		return fmt.Sprintf("\t%s := %s.%s(ctx, %q)", word(), word(), title(word()), word()+"-"+rnd(6, "abcdef0123456789"))
	case 1:
		return fmt.Sprintf("\tif err != nil {\n\t\treturn fmt.Errorf(\"%s %s: %%w\", err)\n\t}", word(), word())
	case 2:
		return fmt.Sprintf("\t// %s the %s before the %s is %s.", title(word()), word(), word(), word())
	case 3:
		return fmt.Sprintf("\tfor _, %s := range %s.%s {\n\t\t%s = append(%s, %s.%s)\n\t}", word(), word(), title(word()), word(), word(), word(), title(word()))
	case 4:
		return fmt.Sprintf("\tconst %s%s = %d", word(), title(word()), rng.Intn(100000))
	case 5:
		return fmt.Sprintf("\tchecksum := %q", rnd(40, "0123456789abcdef"))
	case 6:
		return fmt.Sprintf("\tlog.Printf(\"%s %%s took %%v\", %s, time.Since(start))", word(), word())
	default:
		return fmt.Sprintf("\t%s.%s = %s%s(%d)", word(), title(word()), word(), title(word()), rng.Intn(64))
	}
}

func yamlLine() string {
	switch rng.Intn(4) {
	case 0:
		return fmt.Sprintf("%s_%s: %d", word(), word(), rng.Intn(10000))
	case 1:
		return fmt.Sprintf("%s: %s-%s", word(), word(), rnd(8, "abcdefghijklmnopqrstuvwxyz0123456789"))
	case 2:
		return fmt.Sprintf("# %s %s %s", word(), word(), word())
	default:
		return fmt.Sprintf("  %s: %q", word(), word()+"/"+word())
	}
}

func mdLine() string {
	return fmt.Sprintf("The %s sends the %s to the %s when the %s is %s.", word(), word(), word(), word(), word())
}

func line(path string) string {
	switch {
	case strings.HasSuffix(path, ".go"):
		return goLine()
	case strings.HasSuffix(path, ".yaml"):
		return yamlLine()
	default:
		return mdLine()
	}
}

func newFile(path string) []string {
	var ls []string
	if strings.HasSuffix(path, ".go") {
		ls = append(ls, "package "+strings.Split(path, "/")[1], "", "func "+title(word())+title(word())+"(ctx context.Context) error {")
	}
	for i, n := 0, 30+rng.Intn(90); i < n; i++ {
		ls = append(ls, line(path))
	}
	if strings.HasSuffix(path, ".go") {
		ls = append(ls, "\treturn nil", "}")
	}
	return ls
}

// docExamples are what documentation and tests hold: not leaks.
var docExamples = []string{
	"export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tYourAccessKeyId123\nexport ALIBABA_CLOUD_ACCESS_KEY_SECRET=YourAccessKeySecretHere1234567",
	"access_key_id: LTAI5tEXAMPLEEXAMPLEEXAM\naccess_key_secret: exampleSecretexampleSecret1234",
	"AccessKey ID `LTAI5tQm2xW8kP3n****`, secret `Qx8PzW2mKs7TnL4vR9bYc1DfG6hJk3****`",
	"accessKeyId = \"LTAIxxxxxxxxxxxxxxxxxxxx\"\naccessKeySecret = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
}

type leak struct {
	id, secret  string
	add, remove int // commit numbers; remove 0: stays in HEAD
	path        string
	branch      bool
}

func leakText(l leak, k int) []string {
	switch k % 3 {
	case 0:
		return []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + l.id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + l.secret}
	case 1:
		return []string{"\tcfg := &openapi.Config{", "\t\tAccessKeyId:     tea.String(\"" + l.id + "\"),", "\t\tAccessKeySecret: tea.String(\"" + l.secret + "\"),", "\t}"}
	default:
		return []string{"alibaba_access_key_id: " + l.id, "alibaba_secret: " + l.secret}
	}
}

func main() {
	n := flag.Int("n", 10000, "commits")
	pairs := flag.Int("pairs", 25, "planted pairs")
	keys := flag.String("keys", "", "write the planted AK IDs here")
	flag.Parse()

	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	files := map[string][]string{}
	var paths []string
	addPath := func(p string) {
		files[p] = newFile(p)
		paths = append(paths, p)
	}
	for i := 0; i < 320; i++ {
		addPath(fmt.Sprintf("src/pkg%02d/%s_%d.go", i/10, word(), i))
	}
	for i := 0; i < 40; i++ {
		addPath(fmt.Sprintf("docs/%s-%d.md", word(), i))
		addPath(fmt.Sprintf("config/%s-%d.yaml", word(), i))
	}

	// The side branch forks at commit fork and holds the last few commits.
	side := 10
	mainN := *n - side
	fork := mainN / 2
	var leaks []leak
	for i := 0; i < *pairs; i++ {
		l := leak{id: "LTAI5t" + rnd(18, base62), secret: rnd(30, base62)}
		l.add = 2 + rng.Intn(mainN-300)
		switch {
		case i == 0:
			l.branch, l.add = true, mainN+3
		case i < 5:
			// stays in HEAD
		default:
			l.remove = l.add + 1 + rng.Intn(200)
		}
		leaks = append(leaks, l)
	}
	if *keys != "" {
		var ids []string
		for _, l := range leaks {
			ids = append(ids, l.id)
		}
		if err := os.WriteFile(*keys, []byte(strings.Join(ids, "\n")+"\n"), 0o600); err != nil {
			panic(err)
		}
	}
	sort.Slice(leaks, func(i, j int) bool { return leaks[i].add < leaks[j].add })

	mark := 0
	ts := int64(1600000000)
	changed := map[string]bool{}
	deleted := map[string]bool{}
	pinned := map[string]bool{} // files that hold or held a planted pair
	emit := func(ref string, from int, msg string) {
		mark++
		ts += 600 + int64(rng.Intn(3000))
		fmt.Fprintf(w, "commit %s\nmark :%d\nauthor Dev %d <dev%d@example.com> %d +0800\ncommitter Dev %d <dev%d@example.com> %d +0800\ndata %d\n%s\n",
			ref, mark, mark%7, mark%7, ts, mark%7, mark%7, ts, len(msg), msg)
		if from > 0 {
			fmt.Fprintf(w, "from :%d\n", from)
		}
		for p := range deleted {
			fmt.Fprintf(w, "D %s\n", p)
		}
		for p := range changed {
			body := strings.Join(files[p], "\n") + "\n"
			fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", p, len(body), body)
		}
		clear(changed)
		clear(deleted)
	}
	touch := func() {
		p := paths[rng.Intn(len(paths))]
		if pinned[p] {
			return // a file holding a planted pair stays as it was
		}
		ls := files[p]
		for j, m := 0, 1+rng.Intn(5); j < m; j++ {
			i := rng.Intn(len(ls))
			if rng.Intn(3) == 0 {
				ls = append(ls[:i], append([]string{line(p)}, ls[i:]...)...)
			} else {
				ls[i] = line(p)
			}
		}
		files[p] = ls
		changed[p] = true
	}
	li := 0
	examples := 0
	for c := 1; c <= mainN; c++ {
		if c == 1 {
			for _, p := range paths {
				changed[p] = true
			}
		} else {
			for j, m := 0, 1+rng.Intn(4); j < m; j++ {
				touch()
			}
			switch r := rng.Intn(100); {
			case r < 3:
				addPath(fmt.Sprintf("src/pkg%02d/%s_%d.go", rng.Intn(40), word(), c))
				changed[paths[len(paths)-1]] = true
			case r < 4 && len(paths) > 300:
				i := rng.Intn(len(paths))
				p := paths[i]
				if strings.HasPrefix(p, "src/") && !changed[p] && !pinned[p] {
					paths = append(paths[:i], paths[i+1:]...)
					delete(files, p)
					deleted[p] = true
				}
			}
			if c%500 == 0 && examples < 40 {
				p := fmt.Sprintf("docs/credentials-%d.md", examples)
				files[p] = append([]string{"# Credentials", "", mdLine(), "", "```"}, append(strings.Split(docExamples[examples%len(docExamples)], "\n"), "```", "", mdLine())...)
				paths = append(paths, p)
				changed[p] = true
				examples++
			}
		}
		for li < len(leaks) && leaks[li].add == c && !leaks[li].branch {
			l := &leaks[li]
			k := li
			switch k % 3 {
			case 0:
				l.path = fmt.Sprintf("deploy/prod-%d.env", k)
				files[l.path] = leakText(*l, k)
				paths = append(paths, l.path)
			default:
				ext := ".go"
				if k%3 == 2 {
					ext = ".yaml"
				}
				for l.path == "" || !strings.HasSuffix(l.path, ext) || pinned[l.path] {
					l.path = paths[rng.Intn(len(paths))]
				}
				ls := files[l.path]
				at := len(ls) / 2
				files[l.path] = append(ls[:at:at], append(leakText(*l, k), ls[at:]...)...)
			}
			changed[l.path] = true
			pinned[l.path] = true
			li++
		}
		for i := range leaks {
			l := leaks[i]
			if l.remove != c || l.path == "" {
				continue
			}
			if strings.HasSuffix(l.path, ".env") {
				for j, p := range paths {
					if p == l.path {
						paths = append(paths[:j], paths[j+1:]...)
						break
					}
				}
				delete(files, l.path)
				delete(changed, l.path)
				deleted[l.path] = true
				continue
			}
			var kept []string
			for _, s := range files[l.path] {
				if !strings.Contains(s, l.id) && !strings.Contains(s, l.secret) {
					kept = append(kept, s)
				}
			}
			files[l.path] = kept
			changed[l.path] = true
		}
		from := mark
		if c == 1 {
			from = 0
		}
		emit("refs/heads/main", from, fmt.Sprintf("%s %s %s (#%d)", title(word()), word(), word(), c))
	}
	// Side branch: forked from main's commit fork, never merged.
	from := fork
	for c := 1; c <= side; c++ {
		p := fmt.Sprintf("src/tools/experiment_%d.go", c)
		files[p] = newFile(p)
		if c == 3 {
			for _, l := range leaks {
				if l.branch {
					files[p] = append(files[p], leakText(l, 0)...)
				}
			}
		}
		changed[p] = true
		emit("refs/heads/experiment", from, fmt.Sprintf("Experiment %d", c))
		from = mark
	}
}
EOF
	echo "generating $N commits with git fast-import under $REPO" >&2
	git init -q -b main "$REPO"
	start=$(date +%s.%N)
	(cd "$WORK/gen" && GOFLAGS= go run main.go -n "$N" -pairs "$PAIRS" -keys "$WORK/planted-$N.txt") |
		git -C "$REPO" fast-import --quiet
	git -C "$REPO" checkout -q -f main
	echo "generated in $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s:" \
		"$(git -C "$REPO" rev-list --all --count) commits," \
		"$(du -sh "$REPO/.git" | cut -f1) .git" >&2
	touch "$WORK/.done-repo-$N"
fi

# measure NAME OUT -- CMD...: run CMD under GNU time, keep its stdout.
measure() {
	local name=$1 out=$2
	shift 3
	/usr/bin/time -v -o "$WORK/$name.time" "$@" >"$out" 2>"$WORK/$name.err" || {
		local rc=$?
		# gitleaks exits 1 on findings unless --exit-code 0; akresp 0 or 3.
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
			echo "$name failed ($rc):" >&2
			cat "$WORK/$name.err" >&2
			exit 1
		fi
	}
	local wall rss user sys
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/$name.time")
	user=$(awk -F': ' '/User time/{print $2}' "$WORK/$name.time")
	sys=$(awk -F': ' '/System time/{print $2}' "$WORK/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$WORK/$name.time")
	printf '%s\t%s\t%s\t%s\n' "$wall" "$user" "$sys" "$rss" >"$WORK/$name.row"
}

load_before=$(uptime | sed 's/.*load average: //')
echo "load average before: $load_before" >&2
for run in $(seq 1 "$RUNS"); do
	echo "run $run: akresp scan --no-verify" >&2
	measure "akresp-$run" "$WORK/akresp.json" -- \
		"$WORK/akresp" scan "$REPO" --no-verify -o json
	echo "run $run: gitleaks git" >&2
	rm -f "$WORK/gitleaks.json"
	measure "gitleaks-$run" /dev/null -- \
		"$GITLEAKS" git "$REPO" --no-banner --log-level error --exit-code 0 \
		--report-format json --report-path "$WORK/gitleaks.json"
done
load_after=$(uptime | sed 's/.*load average: //')
echo "load average after: $load_after" >&2

# What each found, compared with the planted IDs (AK IDs are not secrets).
planted=$WORK/planted-$N.txt
akr_ids=$(jq -r '.findings[].key_id' "$WORK/akresp.json" | sort -u)
akr_pairs=$(jq '.findings | length' "$WORK/akresp.json")
akr_head=$(jq '[.findings[] | select(any(.locations[]; .in_head == true)) | .key_id] | unique | length' "$WORK/akresp.json")
gl_ids=$(jq -r '.[] | select(.RuleID == "alibaba-access-key-id") | .Secret' "$WORK/gitleaks.json" | sort -u)
gl_secret_rule=$(jq '[.[] | select(.RuleID == "alibaba-secret-key")] | length' "$WORK/gitleaks.json")
count_in() { comm -12 <(printf '%s\n' "$1" | sed '/^$/d') <(sort -u "$planted") | wc -l; }
count_out() { comm -23 <(printf '%s\n' "$1" | sed '/^$/d') <(sort -u "$planted") | wc -l; }

echo
echo "repository: $N commits ($(git -C "$REPO" rev-list --all --count) reachable), $(git -C "$REPO" count-objects -vH | awk -F': ' '/size-pack/{print $2}') packed, $PAIRS planted pairs"
echo "load average (1, 5, 15 min) before: $load_before; after: $load_after"
echo "akresp $(git rev-parse --short HEAD 2>/dev/null || echo '?'), gitleaks $(gitleaks_version), git $(git --version | awk '{print $3}')"
echo
printf '| tool | run | wall s | user s | sys s | peak RSS MB |\n|---|---|---|---|---|---|\n'
for run in $(seq 1 "$RUNS"); do
	for t in akresp gitleaks; do
		IFS=$'\t' read -r wall user sys rss <"$WORK/$t-$run.row"
		printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$run" "$wall" "$user" "$sys" "$rss"
	done
done
echo
echo "akresp: $akr_pairs pairs, $(printf '%s\n' "$akr_ids" | sed '/^$/d' | wc -l) distinct IDs: $(count_in "$akr_ids") of $PAIRS planted ($akr_head in HEAD), $(count_out "$akr_ids") others;" \
	"$(jq '.ignored | length' "$WORK/akresp.json") example/mask locations ignored"
echo "gitleaks: $(printf '%s\n' "$gl_ids" | sed '/^$/d' | wc -l) AccessKey IDs (alibaba-access-key-id), $(count_in "$gl_ids") of $PAIRS planted, $(count_out "$gl_ids") others" \
	"($(printf '%s\n' "$gl_ids" | grep -v -x -F -f "$planted" | tr '\n' ' ')); $gl_secret_rule alibaba-secret-key findings"
# gitleaks' report holds the (generated) secrets in clear: do not keep it.
rm -f "$WORK/gitleaks.json"
