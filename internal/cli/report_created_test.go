package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/report"
)

// slowCloud is the lab's cloud with every identity check slowed down and
// counted: how many run at once, how often each user's keys are listed. A
// user named fail-* cannot be read.
type slowCloud struct {
	ReportCloud
	mu        sync.Mutex
	now, most int
	keyLists  map[string]int
}

func (s *slowCloud) enter() {
	s.mu.Lock()
	s.now++
	s.most = max(s.most, s.now)
	s.mu.Unlock()
	time.Sleep(2 * time.Millisecond)
}

func (s *slowCloud) leave() {
	s.mu.Lock()
	s.now--
	s.mu.Unlock()
}

func (s *slowCloud) GetUser(ctx context.Context, name string) (cloud.User, error) {
	s.enter()
	defer s.leave()
	if strings.HasPrefix(name, "fail-") {
		return cloud.User{}, errors.New("throttled: " + name)
	}
	return s.ReportCloud.GetUser(ctx, name)
}

func (s *slowCloud) ListAccessKeys(ctx context.Context, user string) ([]cloud.AccessKey, error) {
	s.enter()
	defer s.leave()
	s.mu.Lock()
	s.keyLists[user]++
	s.mu.Unlock()
	return s.ReportCloud.ListAccessKeys(ctx, user)
}

func (s *slowCloud) ListPoliciesForUser(ctx context.Context, user string) ([]cloud.AttachedPolicy, error) {
	s.enter()
	defer s.leave()
	return s.ReportCloud.ListPoliciesForUser(ctx, user)
}

// A busy attacker's created identities are checked several at a time (one
// after the other, thousands took minutes), each user's keys listed once,
// and the states and problems come out in the audit's order, the same as
// checking them one by one.
func TestCreatedStatesConcurrently(t *testing.T) {
	_, _, c := leakLab(t)
	ctx := context.Background()
	var created []audit.CreatedIdentity
	for i := range 30 {
		switch i % 5 {
		case 0:
			created = append(created, audit.CreatedIdentity{Kind: audit.KindUser, Name: "svc-backup"})
		case 1:
			created = append(created, audit.CreatedIdentity{Kind: audit.KindUser, Name: fmt.Sprintf("ghost-%02d", i)})
		case 2:
			created = append(created, audit.CreatedIdentity{Kind: audit.KindUser, Name: fmt.Sprintf("fail-%02d", i)})
		case 3:
			created = append(created, audit.CreatedIdentity{Kind: audit.KindAccessKey, Name: fmt.Sprintf("LTAI5tNOTLISTED%09d", i), User: "app-prod"})
		default:
			created = append(created, audit.CreatedIdentity{Kind: audit.KindPolicyAttachment, Name: "AdministratorAccess", User: "svc-backup", PrincipalType: "User"})
		}
	}
	r := &audit.Result{Created: created}
	check := func(rc ReportCloud) ([]report.CreatedState, []string) {
		var probs []string
		got := createdStates(ctx, rc, r, "app-prod", report.DefaultDenyPolicyName, func(api, msg string, err error) {
			probs = append(probs, api+" "+msg+": "+fmt.Sprint(err))
		})
		return got, probs
	}
	// One by one: each identity through createdState with plain listings.
	want := make([]report.CreatedState, 0, len(created))
	var wantProbs []string
	serial := &slowCloud{ReportCloud: c, keyLists: map[string]int{}}
	for _, ci := range created {
		want = append(want, createdState(ctx, serial, ci, "app-prod", report.DefaultDenyPolicyName,
			func(u string) ([]cloud.AccessKey, error) { return serial.ListAccessKeys(ctx, u) },
			func(u string) ([]cloud.AttachedPolicy, error) { return serial.ListPoliciesForUser(ctx, u) },
			func(api, msg string, err error) { wantProbs = append(wantProbs, api+" "+msg+": "+fmt.Sprint(err)) }))
	}
	sc := &slowCloud{ReportCloud: c, keyLists: map[string]int{}}
	got, probs := check(sc)
	if !slices.Equal(got, want) {
		t.Errorf("states differ from checking one by one:\n got %+v\nwant %+v", got, want)
	}
	if !slices.Equal(probs, wantProbs) || len(probs) != 6 {
		t.Errorf("problems %q, want %q (one per fail-* user, in order)", probs, wantProbs)
	}
	if sc.most < 2 || sc.most > createdChecks {
		t.Errorf("%d checks ran at once, want 2-%d", sc.most, createdChecks)
	}
	for user, n := range sc.keyLists {
		if n != 1 {
			t.Errorf("the keys of %s were listed %d times, want once", user, n)
		}
	}
	for i, st := range got {
		if created[i].Name == "svc-backup" && created[i].Kind == audit.KindUser && st.State != "active" {
			t.Errorf("svc-backup: state %q, want active", st.State)
		}
		if strings.HasPrefix(st.Name, "ghost-") && st.State != "deleted" {
			t.Errorf("%s: state %q, want deleted", st.Name, st.State)
		}
	}
}
