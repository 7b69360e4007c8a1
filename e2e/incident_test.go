package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/lab"
)

// productVersions are the wire versions of the products the drill calls.
var productVersions = map[string]string{
	"ecs": "2014-05-26",
	"ram": "2015-05-01",
	"sts": "2015-04-01",
}

// callAs makes one signed RPC call through the official SDK with the key
// pair (id, secret) from source address ip, retrying only what the lab's
// fault knobs would break. It returns the cloud's error code ("" when the
// call was allowed).
func callAs(t *testing.T, l *inprocLab, id, secret, ip, product, action string, query map[string]string) (string, error) {
	t.Helper()
	cfg := &openapi.Config{
		AccessKeyId:     tea.String(id),
		AccessKeySecret: tea.String(secret),
		Endpoint:        tea.String(l.srv.Addr()),
		Protocol:        tea.String("http"),
		RegionId:        tea.String("cn-hangzhou"),
		ReadTimeout:     tea.Int(10000),
		ConnectTimeout:  tea.Int(5000),
		HttpClient:      newSourceClient(ip),
	}
	c, err := openapi.NewClient(cfg)
	if err != nil {
		return "", err
	}
	params := &openapi.Params{
		Action: tea.String(action), Version: tea.String(productVersions[product]),
		Protocol: tea.String("HTTP"), Pathname: tea.String("/"), Method: tea.String("POST"),
		AuthType: tea.String("AK"), Style: tea.String("RPC"), ReqBodyType: tea.String("formData"), BodyType: tea.String("json"),
	}
	q := map[string]*string{}
	for k, v := range query {
		q[k] = tea.String(v)
	}
	req := &openapi.OpenApiRequest{Query: q}
	for i := 0; ; i++ {
		_, err = c.CallApi(params, req, &dara.RuntimeOptions{})
		if err == nil {
			return "", nil
		}
		var se *tea.SDKError
		if errors.As(err, &se) && tea.StringValue(se.Code) != "" && !transient(err) {
			return tea.StringValue(se.Code), nil
		}
		if i == 20 {
			return "", err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reportDoc is the part of `akresp report -o json` this test reads.
type reportDoc struct {
	raw map[string]any
}

// strings returns every string found under key anywhere in the document.
func findAll(v any, key string, out *[]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == key {
				*out = append(*out, e)
			}
			findAll(e, key, out)
		}
	case []any:
		for _, e := range x {
			findAll(e, key, out)
		}
	}
}

// suggestedCommands returns every `akresp ...` line of the "command"
// fields of a JSON document (a field may hold several lines).
func suggestedCommands(doc any) []string {
	var fields []any
	findAll(doc, "command", &fields)
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		s, _ := f.(string)
		for _, line := range strings.Split(s, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "akresp ") && !seen[line] {
				seen[line] = true
				out = append(out, line)
			}
		}
	}
	return out
}

// The whole builtin:leak incident as an on-call engineer walks it, while
// the attacker keeps calling every second from 127.0.0.66: audit, contain
// with the audit's trusted sources, the office's own test calls (one
// allowed, two refused by the deny policy), contain again, rotate to the
// end (create, hand over, wait with a 10 s quiet period, disable, observe,
// delete), report. The commands must agree with each other all along: the
// office is never cut off, the new key inherits the fence, the attacker's
// refused calls neither hold the cut-over nor call for a rollback, and the
// report names only the attacker.
func TestWholeIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("walks a whole incident (about a minute)")
	}
	l := startInproc(t, "builtin:leak", lab.Options{})
	key, user := l.note(t, "leaked_key_id"), l.note(t, "leaked_user")
	attacker, office := l.note(t, "attacker_ip"), l.note(t, "office_ip")
	leaked := l.info.Credentials[user]
	if leaked.AccessKeyID != key {
		t.Fatalf("test bug: the scenario's %s credentials are %s, not the leaked key %s", user, leaked.AccessKeyID, key)
	}

	// The attacker calls every second with the leaked key, from start to end.
	ctx, stop := context.WithCancel(context.Background())
	var attackerCalls, attackerAllowed atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			code, err := callAs(t, l, leaked.AccessKeyID, leaked.AccessKeySecret, attacker, "ecs", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"})
			if err == nil {
				attackerCalls.Add(1)
				if code == "" {
					attackerAllowed.Add(1)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { stop(); wg.Wait() }()

	officeCall := func(id, secret, product, action string, q map[string]string) string {
		t.Helper()
		code, err := callAs(t, l, id, secret, office, product, action, q)
		if err != nil {
			t.Fatalf("office call %s %s: %v", product, action, err)
		}
		return code
	}
	officeReads := func(stage string, id, secret string) {
		t.Helper()
		if code := officeCall(id, secret, "ecs", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"}); code != "" {
			t.Fatalf("%s: the office (%s) is cut off: DescribeInstances with %s refused with %s", stage, office, id, code)
		}
	}

	// 1. Audit.
	a := l.mustRun(t, 0, "admin", "audit", key, "-o", "json")
	var audit map[string]any
	if err := json.Unmarshal([]byte(a.stdout), &audit); err != nil {
		t.Fatalf("audit -o json: %v\n%s", err, a)
	}

	// 2. Contain with the audit's trusted sources.
	l.mustRun(t, 0, "admin", "contain", key, "--trusted-from-audit", "--yes")
	containedAt := time.Now()
	officeReads("after contain", leaked.AccessKeyID, leaked.AccessKeySecret)

	// 3. The responder's own tests from the office: one allowed, two refused
	// by the deny-high-risk policy.
	if code := officeCall(leaked.AccessKeyID, leaked.AccessKeySecret, "ram", "CreateUser", map[string]string{"UserName": "mallory"}); code == "" {
		t.Fatal("the office's CreateUser with the contained key was allowed: the deny policy does not hold")
	}
	if code := officeCall(leaked.AccessKeyID, leaked.AccessKeySecret, "ecs", "DeleteInstance", map[string]string{"InstanceId": l.note(t, "deleted_instance_id")}); code == "" {
		t.Fatal("the office's DeleteInstance with the contained key was allowed: the deny policy does not hold")
	}
	// Let the attacker's refused calls pile up.
	time.Sleep(2 * time.Second)

	// 4. Contain again: the same command must not narrow the fence.
	l.mustRun(t, 0, "admin", "contain", key, "--trusted-from-audit", "--yes")
	officeReads("after the second contain", leaked.AccessKeyID, leaked.AccessKeySecret)

	// 5. Rotate: create and hand over.
	secretFile := filepath.Join(l.dir, "new-key.json")
	l.mustRun(t, 0, "admin", "rotate", key, "--secret-file", secretFile, "--yes")
	nk := readNewKey(t, secretFile)
	if code, err := callAs(t, l, nk.AccessKeyID, nk.AccessKeySecret, attacker, "ecs", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"}); err != nil || code == "" {
		t.Fatalf("the new key %s answers the attacker's address %s (code %q, err %v): the fence was not inherited", nk.AccessKeyID, attacker, code, err)
	}
	// The application moves to the new key, from the office.
	officeReads("the application on the new key", nk.AccessKeyID, nk.AccessKeySecret)

	// Wait for the cut-over with a 10 s quiet period while the attacker
	// keeps trying the old key.
	start := time.Now()
	w := l.mustRun(t, 0, "admin", "rotate", key, "--wait", "--quiet-for", "10s", "--observe", "2s", "--yes")
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the cut-over took %s with the attacker calling every second; want < 30s:\n%s", took, w)
	}
	if strings.Contains(w.stdout+w.stderr, "--rollback") {
		t.Errorf("rotate advises a rollback although only the attacker's refused calls used the old key:\n%s", w)
	}
	l.mustRun(t, 0, "admin", "rotate", key, "--delete", "--yes")
	officeReads("after the rotation", nk.AccessKeyID, nk.AccessKeySecret)

	// 6. Report.
	r := l.mustRun(t, 0, "admin", "report", key, "-o", "json", "--out", filepath.Join(l.dir, "report"))
	var rep map[string]any
	_ = os.WriteFile("/tmp/incident-report.json", []byte(r.stdout), 0o600)
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report -o json: %v\n%s", err, r)
	}
	stop()
	wg.Wait()
	if attackerCalls.Load() < 10 {
		t.Fatalf("test bug: the attacker made only %d calls", attackerCalls.Load())
	}

	// Only the attacker is named as attacker.
	var attackers []any
	findAll(rep, "attacker_ips", &attackers)
	if len(attackers) == 0 {
		t.Fatalf("the report has no attacker_ips:\n%s", r.stdout)
	}
	for _, v := range attackers {
		list, _ := v.([]any)
		if len(list) != 1 || list[0] != attacker {
			t.Errorf("report attacker_ips = %v, want only %s", v, attacker)
		}
	}
	// The report rests on the journal it quotes: its chain head is the
	// verified head of the key's journals.
	sum, _ := rep["summary"].(map[string]any)
	head, err := journal.Head(l.stateDir(), key)
	if err != nil || head == "" || sum["journal_chain_head"] != head {
		t.Errorf("report journal_chain_head = %v, want the journals' head %q (err %v)", sum["journal_chain_head"], head, err)
	}

	// The office stays trusted, and is the responder, not the attacker.
	inc, _ := rep["incident"].(map[string]any)
	officeAddr := netip.MustParseAddr(office)
	found := false
	trusted, _ := inc["trusted_cidrs"].([]any)
	for _, c := range trusted {
		if p, err := netip.ParsePrefix(c.(string)); err == nil && p.Contains(officeAddr) {
			found = true
		}
	}
	if !found {
		t.Errorf("the report's trusted CIDRs %v do not hold the office %s", trusted, office)
	}
	if flagged, _ := inc["flagged_ips"].([]any); len(flagged) != 1 || flagged[0] != attacker {
		t.Errorf("the incident's flagged sources are %v, want only %s", flagged, attacker)
	}
	var still []any
	findAll(inc, "attacker_still_trying", &still)
	if len(still) != 1 || !strings.Contains(toJSON(still[0]), attacker) {
		t.Errorf("the report does not list %s as still trying: %v", attacker, still)
	}

	// Time to contain: from the attacker's first call (the scenario's leak
	// time: its first GetCallerIdentity) to the first contain.
	leak, err := time.Parse(time.RFC3339, l.note(t, "leak_time"))
	if err != nil {
		t.Fatalf("scenario leak_time: %v", err)
	}
	want := containedAt.Sub(leak)
	var ttc []any
	findAll(rep, "time_to_contain_seconds", &ttc)
	if len(ttc) == 0 {
		t.Fatalf("the report has no time_to_contain_seconds:\n%s", r.stdout)
	}
	got := time.Duration(ttc[0].(float64)) * time.Second
	if d := got - want; d < -2*time.Minute || d > 2*time.Minute {
		t.Errorf("time to contain = %s, want about %s (the scenario's leak time %s to the first contain)", got, want.Round(time.Second), leak)
	}

	// Every command the report suggests for now would run (the STS
	// migration is a runbook for later: its steps wait on the workload).
	delete(rep, "sts_migration")
	cmds := suggestedCommands(rep)
	if len(cmds) == 0 {
		t.Fatalf("the report suggests no akresp command at all:\n%s", r.stdout)
	}
	for _, c := range cmds {
		args := strings.Fields(strings.TrimPrefix(c, "akresp "))
		args = append(args, "--dry-run")
		res := l.run(t, "admin", args...)
		if res.code == 2 || res.code == 4 {
			t.Errorf("the report suggests %q, which would be refused:\n%s", c, res)
		}
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
