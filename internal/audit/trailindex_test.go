package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// notedOf is what idNotes.record notes for raw (nil and all=true when the
// record hides a value).
func notedOf(ix *TrailIndex, raw string) (map[uint64]struct{}, bool) {
	var n idNotes
	n.reset(ix)
	n.record([]byte(raw))
	return setOf(&n), n.all
}

// notedIDs is the distinct hashes n noted, sorted (none once all is set).
func notedIDs(n *idNotes) []uint64 {
	n.compact()
	return n.ids
}

// setOf is the set of the distinct values n noted (empty once all is set).
func setOf(n *idNotes) map[uint64]struct{} {
	set := map[uint64]struct{}{}
	for _, h := range notedIDs(n) {
		set[h] = struct{}{}
	}
	return set
}

// eventNotes is what the index notes for a parsed event: the values
// follower.route and follower.mintedFor match on.
func eventNotes(ix *TrailIndex, ev *Event) map[uint64]struct{} {
	var n idNotes
	n.reset(ix)
	n.event(ev)
	return setOf(&n)
}

// checkNotesCover fails when raw parses into an event whose routed values
// a first pass did not note for the file holding it, and the file was not
// marked to be read always: the walk over an unparsed record, and the
// readers over raw as a JSON-array element scanned for its end and as a
// JSON line, both under a key filter that drops it unparsed.
func checkNotesCover(t *testing.T, raw []byte) {
	t.Helper()
	ev, err := ParseEvent(raw, Origin{})
	if err != nil {
		return
	}
	ix := NewTrailIndex()
	want := eventNotes(ix, &ev)
	covers := func(how string, got map[uint64]struct{}, all bool) {
		if all {
			return
		}
		for h := range want {
			if _, ok := got[h]; !ok {
				t.Fatalf("%s: record %q parses into key %q user %q RoleArn %q, but the note missed one of them", how, raw, ev.AccessKeyID, ev.UserName, ev.Params["RoleArn"])
			}
		}
	}
	got, all := notedOf(ix, string(raw))
	covers("walk", got, all)
	dir := t.TempDir()
	for _, f := range []struct{ name, body string }{{"array.json", "[" + string(raw) + "]"}, {"lines.json", string(raw) + "\n"}} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.body), 0o600); err != nil {
			t.Fatal(err)
		}
		fx := NewTrailIndex()
		fx.seed = ix.seed
		if _, _, err := ReadTrails(context.Background(), []string{p}, ReadOptions{KeyID: "LTAI5tNOTinANYrecord0001", Workers: 1, Index: fx}, func(*Event) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if len(fx.files) != 1 {
			t.Fatalf("%s: %d files noted", f.name, len(fx.files))
		}
		nf := fx.files[0]
		set := map[uint64]struct{}{}
		for h := range want {
			if _, ok := slices.BinarySearch(nf.ids, uint32(h)); ok {
				set[h] = struct{}{}
			}
		}
		covers(f.name, set, nf.all)
	}
}

// FuzzTrailIndexCoversParse: whatever a record is, the walk over its bytes
// notes every value the follow pass could select its event by, or marks
// the file to be read always. A miss would drop a followed identity's
// event from its audit.
func FuzzTrailIndexCoversParse(f *testing.F) {
	f.Add([]byte(realEvent))
	f.Add([]byte(mkEvent(1, sampleKey, t0)))
	f.Add([]byte(`{"eventName":"X","eventTime":"2026-01-01T00:00:00Z","userIdentity.accessKeyId":"LTAIflat","userIdentity.userName":"role:i-1"}`))
	f.Add([]byte(`{"eventName":"X","eventTime":"2026-01-01T00:00:00Z","userIdentity":{"userName":"Admin-Role:sess","accessKeyId":"STS.x"}}`))
	f.Add([]byte(`{"eventName":"AssumeRole","eventTime":"2026-01-01T00:00:00Z","requestParameters":{"RoleArn":"acs:ram::1:role/Ops"}}`))
	f.Add([]byte(`{"eventName":"X","eventTime":"2026-01-01T00:00:00Z","requestParameters.RoleArn":"acs:ram::1:role/ops"}`))
	f.Add([]byte(`{"eventName":"X","eventTime":"2026-01-01T00:00:00Z","userIdentity":{"user\u004eame":"hidden"}}`))
	f.Add([]byte(`{"eventName":"X","eventTime":"2026-01-01T00:00:00Z","userIdentity":{"userName":"caf\u00e9:\u0069-1"}}`))
	f.Add([]byte(`{"eventName":"X","eventTime":"2026-01-01T00:00:00Z","userIdentity":{"userName":12345}}`))
	f.Add([]byte(`{"event":"{\"eventName\":\"X\",\"eventTime\":\"2026-01-01T00:00:00Z\",\"userIdentity\":{\"userName\":\"u\"}}","__time__":"1"}`))
	f.Add([]byte(`{"eventName":"X","eventTime":"2026-01-01T00:00:00Z","userIdentity":"{\"accessKeyId\":\"LTAIinside\"}"}`))
	f.Add([]byte(`{"eventName":"X","eventTime":"2026-01-01T00:00:00Z","userIdentity":{"userName":"\xff\xfe"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) { checkNotesCover(t, raw) })
}

// TestTrailIndexRecord pins what the walk notes and when it gives up.
func TestTrailIndexRecord(t *testing.T) {
	ix := NewTrailIndex()
	h := func(kind byte, v string) uint64 { return ix.hashString(kind, v) }
	cases := []struct {
		name string
		raw  string
		want []uint64 // noted (all false)
		not  []uint64 // not noted
		all  bool
	}{
		{name: "identity", raw: `{"userIdentity":{"accessKeyId":"LTAIa","userName":"alice","type":"ram-user"},"sourceIpAddress":"alice"}`,
			want: []uint64{h(idKey, "LTAIa"), h(idUser, "alice")}, not: []uint64{h(idKey, "alice"), h(idUser, "LTAIa"), h(idUser, "ram-user")}},
		{name: "spaces around the colon", raw: "{\"userName\" :\t \"bob\"}", want: []uint64{h(idUser, "bob")}},
		{name: "flattened keys", raw: `{"userIdentity.accessKeyId":"LTAIf","requestParameters.RoleArn":"acs:ram::1:role/Ops-Admin"}`,
			want: []uint64{h(idKey, "LTAIf"), h(idRole, "ops-admin")}},
		{name: "a role session: role lower-cased, session as is", raw: `{"userName":"Admin-Role:i-ABC"}`,
			want: []uint64{h(idUser, "Admin-Role:i-ABC"), h(idRole, "admin-role"), h(idSession, "i-ABC")}, not: []uint64{h(idSession, "i-abc")}},
		{name: "a value that only looks like a key name", raw: `{"x":"userName","y":"carol"}`, not: []uint64{h(idUser, "carol")}},
		{name: "a longer key ending in the name", raw: `{"myuserName":"dave","RoleArnX":"acs:ram::1:role/r"}`, not: []uint64{h(idUser, "dave"), h(idRole, "r")}},
		{name: "an escaped value is noted decoded", raw: `{"userName":"\u0065ve"}`, want: []uint64{h(idUser, "eve")}},
		{name: "an escaped key name", raw: `{"user\u004eame":"frank"}`, want: []uint64{h(idUser, "frank")}},
		{name: "null", raw: `{"userName":null,"accessKeyId":"LTAIn"}`, want: []uint64{h(idKey, "LTAIn")}},
		{name: "a number as the name", raw: `{"userName":42}`, all: true},
		{name: "an object as the name", raw: `{"accessKeyId":{"a":"b"}}`, all: true},
		{name: "JSON text naming a key", raw: `{"event":"{\"userIdentity\":{\"userName\":\"gina\"}}"}`, all: true},
		{name: "escaped text naming nothing", raw: `{"userAgent":"say \"hi\"","userName":"hank"}`, want: []uint64{h(idUser, "hank")}},
		{name: "an unterminated string", raw: `{"userName":"ivy`, all: true},
		{name: "an escaped quote inside a name", raw: `{"userName":"a\"b","accessKeyId":"LTAIq"}`, want: []uint64{h(idUser, `a"b`), h(idKey, "LTAIq")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, all := notedOf(ix, c.raw)
			if all != c.all {
				t.Fatalf("all = %v, want %v", all, c.all)
			}
			for _, w := range c.want {
				if _, ok := got[w]; !ok {
					t.Errorf("a wanted value was not noted (%d noted)", len(got))
				}
			}
			for _, w := range c.not {
				if _, ok := got[w]; ok {
					t.Errorf("a value that no route matches was noted")
				}
			}
			checkNotesCover(t, []byte(c.raw))
		})
	}
}

// TestTrailIndexCap: a file naming more than maxIndexedIDs values is read
// by every pass.
func TestTrailIndexCap(t *testing.T) {
	ix := NewTrailIndex()
	var n idNotes
	n.reset(ix)
	for i := range maxIndexedIDs {
		n.add(ix.hashString(idUser, strconv.Itoa(i)))
	}
	if n.all {
		t.Fatalf("all set at exactly %d values", maxIndexedIDs)
	}
	n.add(ix.hashString(idUser, "one more"))
	if !n.all || len(n.ids) != 0 {
		t.Fatalf("all = %v with %d values kept past the cap", n.all, len(n.ids))
	}
	ix.put(n.done(0, "/nonexistent/big", 1, time.Time{}))
	if read, skipped, _ := ix.Select([]uint64{ix.hashString(idUser, "unrelated")}); len(read) != 1 || skipped != 0 {
		t.Fatalf("Select = %v, %d skipped; want the capped file read", read, skipped)
	}
}

// TestTrailIndexSelect: files that name a value are read in the first
// pass's order, others skipped unless they changed or vanished; standard
// input is reported, never listed.
func TestTrailIndexSelect(t *testing.T) {
	dir := t.TempDir()
	ix := NewTrailIndex()
	alice, bob := ix.hashString(idUser, "alice"), ix.hashString(idUser, "bob")
	notes := [][]uint32{{uint32(alice)}, {uint32(bob)}, {}, {uint32(alice), uint32(bob)}}
	slices.Sort(notes[3])
	var paths []string
	for i := range notes {
		p := filepath.Join(dir, fmt.Sprintf("f%d.json", i))
		if err := os.WriteFile(p, []byte("[]"), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for i := len(paths) - 1; i >= 0; i-- { // in reverse: Select restores the order of the read
		fi, err := os.Stat(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		ix.put(indexedFile{order: i, path: paths[i], size: fi.Size(), mod: fi.ModTime(), ids: notes[i]})
	}
	read, skipped, stdin := ix.Select([]uint64{alice})
	if want := []string{paths[0], paths[3]}; !slices.Equal(read, want) || skipped != 2 || stdin {
		t.Fatalf("Select(alice) = %v, %d skipped, stdin %v; want %v, 2", read, skipped, stdin, want)
	}
	// f2 grows after the first pass: it is read again whatever it named.
	if err := os.WriteFile(paths[2], []byte("[ ]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(paths[1]); err != nil {
		t.Fatal(err)
	}
	read, skipped, _ = ix.Select([]uint64{alice})
	if want := []string{paths[0], paths[1], paths[2], paths[3]}; !slices.Equal(read, want) || skipped != 0 {
		t.Fatalf("after changes Select(alice) = %v, %d skipped; want %v", read, skipped, want)
	}
	ix.put(indexedFile{order: 4, path: StdinName, ids: []uint32{uint32(bob)}})
	if _, _, stdin := ix.Select([]uint64{alice}); stdin {
		t.Fatal("standard input reported for a value it does not name")
	}
	if read, _, stdin := ix.Select([]uint64{bob}); !stdin || slices.Contains(read, StdinName) {
		t.Fatalf("Select(bob) = %v, stdin %v; want standard input reported, not listed", read, stdin)
	}
}

// resultJSON is r as the CLI prints it, for comparing two audits.
func resultJSON(t *testing.T, r *Result) string {
	t.Helper()
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var followFilesRe = regexp.MustCompile(`following (\d+) identities through (\d+) of (\d+) trail files \(pass (\d+)\)`)

// auditBoth audits key over trails with the first pass's index and without
// it (every follow pass reading every file), fails when the results
// differ, and returns the indexed one with its follow progress lines.
func auditBoth(t *testing.T, key string, now time.Time, trails []string) (*Result, []string) {
	t.Helper()
	run := func(noIndex bool) (*Result, []string) {
		noTrailIndex = noIndex
		defer func() { noTrailIndex = false }()
		var lines []string
		r, err := Investigate(context.Background(), nil, InvestigateOptions{
			Engine: Options{KeyID: key, Now: now, TZ: shanghai}, Trails: trails, ReadWorkers: 2,
			Progress: func(m string) {
				if strings.HasPrefix(m, "following") && strings.Contains(m, "pass") {
					lines = append(lines, m)
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return r, lines
	}
	full, _ := run(true)
	indexed, lines := run(false)
	if a, b := resultJSON(t, full), resultJSON(t, indexed); a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		i := firstDiff(al, bl)
		t.Fatalf("key %s: the audit with the trail index differs from the one reading every file again at line %d:\n- %s\n+ %s",
			key, i+1, strings.Join(al[i:min(i+3, len(al))], "\n"), strings.Join(bl[i:min(i+3, len(bl))], "\n"))
	}
	return indexed, lines
}

// TestFollowIndexReadsOnlyNamingFiles: the incident's events spread over
// one file per event, among other keys' files. The follow passes read only
// the files naming a followed identity, and the audit is the same as when
// every file is read again.
func TestFollowIndexReadsOnlyNamingFiles(t *testing.T) {
	dir := t.TempDir()
	evs := followIncident()
	for i, e := range evs {
		writeTrailArray(t, filepath.Join(dir, fmt.Sprintf("trail-%04d.json", i)), []*Event{e})
	}
	for i := range 40 {
		e := tev(leakStart.Add(time.Duration(i)*time.Minute), "127.0.0.77", "Ecs", "DescribeInstances", withKey("LTAI5tSomeOtherKey000001"), withUser("ci"))
		writeTrailArray(t, filepath.Join(dir, fmt.Sprintf("other-%04d.json", i)), []*Event{e})
	}
	total := len(evs) + 40
	r, lines := auditBoth(t, testKey, testNow, []string{dir})
	if followedOf(r, FollowUser, "crossfire") == nil || followedOf(r, FollowSTSSession, stsSession) == nil {
		t.Fatalf("the second generation or the STS session was not followed: %+v", r.Followed)
	}
	if len(lines) == 0 {
		t.Fatal("no follow pass reported")
	}
	for _, l := range lines {
		m := followFilesRe.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("follow progress %q does not say how many files it reads", l)
		}
		read, of := atoi(t, m[2]), atoi(t, m[3])
		if of != total || read == 0 || read > total/4 {
			t.Fatalf("%q: want a few of the %d files read", l, total)
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFollowIndexCorpus: on every labelled incident, for every key, the
// audit with the index is the same as without it.
func TestFollowIndexCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the whole corpus twice")
	}
	dirs, err := filepath.Glob("testdata/incidents/*/labels.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	followed := 0
	for _, lp := range dirs {
		var l corpusLabels
		b, err := os.ReadFile(lp)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		trail := filepath.Join(filepath.Dir(lp), "trail.json.gz")
		for _, key := range l.Keys {
			r, _ := auditBoth(t, key, corpusStart.AddDate(0, 0, 32), []string{trail})
			followed += len(r.Followed)
		}
	}
	if followed == 0 {
		t.Fatal("no incident of the corpus follows an identity: the comparison proves nothing")
	}
}

// TestFollowIndexFileChangedBetweenPasses: a file that grows after the
// first pass (an OSS delivery rewritten, a file appended to) is read again
// by the follow pass even though its first-pass note names no followed
// identity.
func TestFollowIndexFileChangedBetweenPasses(t *testing.T) {
	dir := t.TempDir()
	evs := followIncident()
	main, late := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	writeTrailArray(t, main, evs)
	filler := tev(leakStart, "127.0.0.77", "Ecs", "DescribeInstances", withKey("LTAI5tSomeOtherKey000001"), withUser("ci"))
	writeTrailArray(t, late, []*Event{filler})
	extra := tev(leakStart.Add(2*time.Hour), proxyIP, "Ecs", "DeleteInstance", withKey(backdoorKey), withUser("svc-backup"), withUA(attackerUA))
	extra.ID = "late-delivered-event"
	changed := false
	r, err := Investigate(context.Background(), nil, InvestigateOptions{
		Engine: Options{KeyID: testKey, Now: testNow, TZ: shanghai}, Trails: []string{dir}, ReadWorkers: 1,
		Progress: func(m string) {
			if strings.HasSuffix(m, "identities the key created") && !changed { // before the follow passes
				changed = true
				writeTrailArray(t, late, []*Event{filler, extra})
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	k := followedOf(r, FollowAccessKey, backdoorKey)
	if k == nil {
		t.Fatal("the backdoor key was not followed")
	}
	full := offlineFollowAudit(t, append(evs, extra), false)
	if w := followedOf(full, FollowAccessKey, backdoorKey); w == nil || k.Events != w.Events {
		t.Fatalf("the backdoor key has %d events after the file changed; reading everything gives %+v", k.Events, w)
	}
	if !changed {
		t.Fatal("the audit did not announce its follow passes")
	}
}

// TestFollowIndexEveryKind: a user with its login profile, its key, an
// STS session the key minted, a role the key created (assumed later by
// the backdoor key, its ARN in lower case, its session named after the
// role in mixed case) and an instance's role after a credential read, each
// event in a file of its own: every kind is followed with its events, and
// the index reads a few files yet gives the same audit as reading all.
func TestFollowIndexEveryKind(t *testing.T) {
	const (
		roleName    = "Crossfire-Role"
		roleSession = "STS.NUroleSession000001"
		instSession = "EcsRole:i-bp1pivot"
	)
	evs := followIncident()
	at := leakStart.Add(40 * time.Minute)
	evs = append(evs,
		intruder(leakStart.Add(11*time.Minute), "Ram", "CreateRole", withParams("RoleName", roleName,
			"AssumeRolePolicyDocument", `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::`+testAccount+`:root"]}}],"Version":"1"}`)),
		tev(at, proxyIP, "Sts", "AssumeRole", withKey(backdoorKey), withUser("svc-backup"), withUA(attackerUA),
			withParams("RoleArn", "acs:ram::"+testAccount+":role/crossfire-role", "RoleSessionName", "s1"),
			withResp(map[string]any{"Credentials": map[string]any{"AccessKeyId": roleSession}})),
		otherKey(at.Add(5*time.Minute), proxyIP, roleSession, roleName+":s1"),
		intruder(leakStart.Add(10*time.Minute), "Ecs", "RunCommand", withParams("InstanceId", "i-bp1pivot", "CommandContent", b64(stealCreds))),
		otherKey(leakStart.Add(-3*time.Hour), "10.0.0.5", "STS.pivot0000000001", instSession, withVPC("vpc-1")),
		otherKey(leakStart.Add(17*time.Minute), "203.0.113.9", "STS.pivot0000000002", instSession),
	)
	dir := t.TempDir()
	for i, e := range evs {
		writeTrailArray(t, filepath.Join(dir, fmt.Sprintf("trail-%04d.json", i)), []*Event{e})
	}
	r, lines := auditBoth(t, testKey, testNow, []string{dir})
	for _, w := range []struct{ kind, name string }{
		{FollowUser, "svc-backup"}, {FollowAccessKey, backdoorKey}, {FollowSTSSession, stsSession},
		{FollowRole, roleName}, {FollowInstanceRole, "i-bp1pivot"}, {FollowUser, "crossfire"},
	} {
		if x := followedOf(r, w.kind, w.name); x == nil || x.Events == 0 {
			t.Errorf("%s %s not followed with its events: %+v", w.kind, w.name, x)
		}
	}
	// The role's session is followed; its one event went to the role, read
	// in an earlier pass (an event joins one identity).
	if followedOf(r, FollowSTSSession, roleSession) == nil {
		t.Errorf("the role's session %s is not followed", roleSession)
	}
	read := 0
	for _, l := range lines {
		if m := followFilesRe.FindStringSubmatch(l); m != nil {
			read += atoi(t, m[2])
		}
	}
	if read == 0 || read >= len(evs) {
		t.Errorf("the follow passes read %d files of %d in all (%q)", read, len(evs), lines)
	}
}

// TestFollowIndexStdin: standard input cannot be read a second time; when
// it names a followed identity, the audit says so instead of reporting the
// identity idle without a word.
func TestFollowIndexStdin(t *testing.T) {
	p := filepath.Join(t.TempDir(), "trail.json")
	writeTrailArray(t, p, followIncident())
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	r, err := Investigate(context.Background(), nil, InvestigateOptions{
		Engine: Options{KeyID: testKey, Now: testNow, TZ: shanghai}, Trails: []string{"-"}, ReadWorkers: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if followedOf(r, FollowUser, "svc-backup") == nil {
		t.Fatalf("the attacker's user was not followed from standard input: %+v", r.Followed)
	}
	if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool {
		return d.Level == "warning" && strings.Contains(d.Summary, "standard input") && strings.Contains(d.Summary, "cannot be read a second time")
	}) {
		t.Fatalf("no warning that standard input was not read again: %+v", r.Diagnostics)
	}
	// From the file, the same identities have their events and no such warning.
	full := offlineFollowAudit(t, followIncident(), false)
	if u := followedOf(full, FollowUser, "svc-backup"); u == nil || u.Events == 0 {
		t.Fatalf("from a file the user has no events: %+v", u)
	}
	if slices.ContainsFunc(full.Diagnostics, func(d Diagnostic) bool { return strings.Contains(d.Summary, "standard input") }) {
		t.Fatalf("a warning about standard input without it: %+v", full.Diagnostics)
	}
}

// skipShapes are the elements both fast skips are checked on against the
// slower path they stand in for (scanValue, skipObject): the notes' cases,
// an event, and shapes made to break a fast path.
func skipShapes() []string {
	return []string{
		`{"userIdentity":{"accessKeyId":"LTAIa","userName":"alice","type":"ram-user"},"sourceIpAddress":"alice"}`,
		"{\"userName\" :\t \"bob\"}",
		`{"userIdentity.accessKeyId":"LTAIf","requestParameters.RoleArn":"acs:ram::1:role/Ops-Admin"}`,
		`{"userName":"Admin-Role:i-ABC","x":[1,2,{"y":"z"}],"w":[]}`,
		`{"x":"userName","y":"carol"}`,
		`{"user\u004eame":"frank","userName":"\u0065ve"}`,
		`{"userName":null,"accessKeyId":"LTAIn"}`,
		`{"userName":42}`,
		`{"accessKeyId":{"a":"b"}}`,
		`{"event":"{\"userIdentity\":{\"userName\":\"gina\"}}"}`,
		`{"userAgent":"say \"hi\"","userName":"hank"}`,
		`{"userName":"a\"b","accessKeyId":"LTAIq"}`,
		`{"a":"1234567\\","b":"12345678\"","c":"\\\\\\\"","d":"}]{["}`,
		`{"a":[}`,
		`{"a":{]}`,
		`{"a":"b"}}`,
		strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70),
		strings.Repeat(`[`, 63) + `{` + strings.Repeat(`]`, 63),
		`{"a":1} trailing`,
		mkEvent(7, sampleKey, t0),
	}
}

// TestSkipObjectMatchesScanValue: the splitter's fast skip over an element
// ends where scanValue ends and notes what scanValue notes, or leaves the
// element to scanValue (pos unchanged). The inputs are the notes' cases,
// events, and shapes made to break a fast path: strings and escapes across
// word boundaries, mismatched and deep brackets, truncation.
func TestSkipObjectMatchesScanValue(t *testing.T) {
	inputs := skipShapes()
	// Backslashes and quotes at every offset from a word boundary.
	for i := range 17 {
		inputs = append(inputs, `{"k":"`+strings.Repeat("x", i)+`\"\\","userName":"`+strings.Repeat("y", i)+`"}`)
	}
	ix := NewTrailIndex()
	for _, in := range inputs {
		for cut := len(in); cut >= 0; cut-- {
			raw := []byte(in[:cut])
			fpos, fok, fset, fall := skipRun(ix, raw, byObject)
			if !fok {
				if fpos != 0 {
					t.Errorf("%q: skipObject gave up but moved pos to %d", raw, fpos)
				}
				continue
			}
			spos, sok, sset, sall := skipRun(ix, raw, byScanValue)
			if !sok || spos != fpos {
				t.Errorf("%q: skipObject ends at %d, scanValue at %d (ok %v)", raw, fpos, spos, sok)
			}
			if fall != sall || !maps.Equal(fset, sset) {
				t.Errorf("%q: skipObject noted %d values (all %v), scanValue %d (all %v)", raw, len(fset), fall, len(sset), sall)
			}
		}
		// Whole inputs that are one complete object are skipped fast.
		if in[0] == '{' && !strings.Contains(in, "[}") && !strings.Contains(in, "{]") && !strings.HasPrefix(in, strings.Repeat(`{"a":`, 70)) {
			if _, ok, _, _ := skipRun(ix, []byte(in), byObject); !ok {
				t.Errorf("%q: skipObject left a complete object to scanValue", in)
			}
		}
	}
}

// The notes keep what they noted in one file apart from the next (a value
// seen in the last file is noted again in this one), and a value's hashes
// across files apart from another index's (each index has its own seed).
func TestNotesAcrossFilesAndIndexes(t *testing.T) {
	raw := []byte(`{"userIdentity":{"accessKeyId":"LTAIa","userName":"Ops-Role:i-1"}}`)
	var n idNotes
	for _, ix := range []*TrailIndex{NewTrailIndex(), NewTrailIndex()} {
		want := []uint64{ix.hashString(idKey, "LTAIa"), ix.hashString(idUser, "Ops-Role:i-1"), ix.hashString(idRole, "ops-role"), ix.hashString(idSession, "i-1")}
		slices.Sort(want)
		for file := range 3 {
			n.reset(ix)
			if got := notedIDs(&n); len(got) != 0 {
				t.Fatalf("index %p, file %d: %d values noted before reading", ix, file, len(got))
			}
			for range 2 {
				n.record(raw)
			}
			if got := notedIDs(&n); !slices.Equal(got, want) {
				t.Fatalf("index %p, file %d: noted %x, want %x", ix, file, got, want)
			}
		}
	}
	// The per-file stamp wraps: what was noted before is not taken as
	// noted in this file.
	ix := NewTrailIndex()
	n.gen = 0
	n.reset(ix) // stamp 1
	n.record(raw)
	n.gen = ^uint32(0) // the next reset wraps to stamp 1 again
	n.reset(ix)
	n.record(raw)
	if got := notedIDs(&n); len(got) != 4 {
		t.Fatalf("after the stamp wrapped: %d values noted, want 4", len(got))
	}
}
