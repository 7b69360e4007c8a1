package rotate

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
)

const fenceDoc = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.10/31"]}]}`

// editState rewrites the rotation state as akresp would (so only the
// semantic check can catch the lie).
func (f *fixture) editState(edit func(*State)) {
	f.t.Helper()
	st := f.state()
	edit(st)
	if err := SaveState(f.opts().StateDir, st); err != nil {
		f.t.Fatal(err)
	}
}

func TestStateFactsChecked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(f *fixture, st *State)
		field string
		want  string
	}{
		{"new key is the old key", func(_ *fixture, st *State) { st.NewKeyID = oldKey }, "new_key_id", "old key"},
		{"new key not created by this rotation", func(f *fixture, st *State) {
			f.cloud.addKey(appUser, "LTAI5tOTHERKEY0000000001", StatusActive, f.clock.Now())
			st.NewKeyID = "LTAI5tOTHERKEY0000000001"
		}, "new_key_id", "no journaled CreateAccessKey"},
		{"new key older than the rotation", func(f *fixture, st *State) {
			f.cloud.keys[st.NewKeyID].CreateDate = st.StartedAt.Add(-48 * time.Hour)
		}, "new_key_id", "before this rotation started"},
		{"owner edited", func(f *fixture, st *State) {
			f.cloud.addKey("someone-else", "LTAI5tELSEKEY00000000001", StatusActive, f.clock.Now())
			st.UserName = "someone-else"
		}, "user_name", "belongs to RAM user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if _, err := f.run(); err != nil {
				t.Fatal(err)
			}
			f.editState(func(st *State) { tc.edit(f, st) })
			keys := len(f.cloud.keys)
			for _, mode := range []string{"run", "rollback", "delete", "status"} {
				m, _ := New(f.opts(func(o *Options) { o.DeleteNew = true; o.Force = true }))
				var err error
				switch mode {
				case "run":
					_, err = m.Run(context.Background())
				case "rollback":
					_, err = m.Rollback(context.Background())
				case "delete":
					_, err = m.Delete(context.Background())
				case "status":
					_, err = m.Status(context.Background())
				}
				var fe *StateFactError
				if !errors.As(err, &fe) || exitCode(err) != 4 || fe.Field != tc.field || !strings.Contains(err.Error(), tc.want) ||
					!strings.Contains(err.Error(), StatePath(f.opts().StateDir, oldKey)) {
					t.Errorf("%s: %v", mode, err)
				}
			}
			if len(f.cloud.keys) != keys || f.cloud.keys[oldKey] == nil || f.cloud.keys[oldKey].Status != StatusActive {
				t.Errorf("a refused command changed keys: %+v", f.cloud.keys)
			}
		})
	}
}

func TestUnknownKey(t *testing.T) {
	f := newFixture(t)
	const typo = "LTAI5tTYPOKEY00000000001"
	for _, mode := range []string{"run", "status"} {
		m, _ := New(f.opts(func(o *Options) { o.KeyID = typo }))
		var err error
		if mode == "run" {
			_, err = m.Run(context.Background())
		} else {
			_, err = m.Status(context.Background())
		}
		var uk *cloud.UnknownKeyError
		if !errors.As(err, &uk) || exitCode(err) != 1 || uk.KeyID != typo || uk.AccountID != f.cloud.caller.AccountID || uk.RequestID == "" {
			t.Errorf("%s: %v", mode, err)
		}
	}
	if len(f.cloud.keys) != 1 {
		t.Error("a key was created for an unknown key")
	}
}

func TestWindowsSavedWithTheRotation(t *testing.T) {
	f := newFixture(t)
	if _, err := f.run(func(o *Options) {
		o.QuietFor, o.QuietForSet = 3*time.Hour, true
		o.Observe, o.ObserveSet = 90*time.Minute, true
	}); err != nil {
		t.Fatal(err)
	}
	if st := f.state(); st.QuietFor == nil || st.QuietFor.D() != 3*time.Hour || st.Observe.D() != 90*time.Minute {
		t.Fatalf("saved %v %v", st.QuietFor, st.Observe)
	}
	// Resume without the flags: the saved values apply (the fixture's
	// default of 2h would allow the disable now).
	f.cloud.use(f.state().NewKeyID, officeIP, "app/2.0", "Ecs", f.clock.Now())
	f.clock.Advance(100 * time.Minute) // old key last used 1h before the start: quiet 2h40m
	rep, err := f.run()
	if err != nil || rep.Step != StepHandedOver || !strings.Contains(rep.WaitingFor, "3h0m0s") {
		t.Fatalf("resume without flags: %v %s %q", err, rep.Step, rep.WaitingFor)
	}
	// A flag given on resume overrides, with a note, and is saved.
	rep, err = f.run(func(o *Options) { o.QuietForSet = true })
	if err != nil || rep.Step != StepDisabled {
		t.Fatalf("resume with --quiet-for 2h: %v %s", err, rep.Step)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "--quiet-for 2h0m0s replaces the 3h0m0s saved with this rotation (resumes without the flag keep 2h0m0s)") || f.state().QuietFor.D() != 2*time.Hour {
		t.Errorf("notes %q saved %v", rep.Notes, f.state().QuietFor)
	}
}

func TestACLInheritance(t *testing.T) {
	t.Run("set and verified before the hand-over", func(t *testing.T) {
		f := newFixture(t)
		f.cloud.acls[oldKey] = fenceDoc
		var handedWith string
		rep, err := f.run(func(o *Options) {
			o.AfterStep = func(s Step) error {
				if s == StepHandedOver {
					handedWith = f.cloud.acls[f.state().NewKeyID]
				}
				return nil
			}
		})
		if err != nil || handedWith != fenceDoc || rep.ACL == nil || rep.ACL.SetOn != rep.NewKeyID {
			t.Fatalf("%v: ACL at hand-over %q report %+v", err, handedWith, rep.ACL)
		}
	})
	t.Run("set fails: the key is deleted, no secret leaves", func(t *testing.T) {
		f := newFixture(t)
		f.cloud.acls[oldKey] = fenceDoc
		f.cloud.fail["SetAccessKeyPolicy"] = errors.New("InternalError")
		rep, err := f.run()
		if err == nil || !strings.Contains(err.Error(), "--no-inherit-acl") || len(f.cloud.userKeys(appUser)) != 1 || len(rep.Discarded) != 1 {
			t.Fatalf("%v keys %+v", err, f.cloud.userKeys(appUser))
		}
		if _, serr := os.Stat(f.out); serr == nil {
			t.Error("the secret was handed over")
		}
	})
	t.Run("unreadable: nothing is created", func(t *testing.T) {
		f := newFixture(t)
		f.cloud.fail["GetAccessKeyPolicy"] = errors.New("NoPermission")
		if _, err := f.run(); err == nil || len(f.cloud.userKeys(appUser)) != 1 {
			t.Fatalf("%v keys %+v", err, f.cloud.userKeys(appUser))
		}
	})
	t.Run("--no-inherit-acl warns", func(t *testing.T) {
		f := newFixture(t)
		f.cloud.acls[oldKey] = fenceDoc
		rep, err := f.run(func(o *Options) { o.NoInheritACL = true })
		if err != nil || f.cloud.acls[rep.NewKeyID] != "" || !strings.Contains(strings.Join(rep.Notes, "\n"), "warning: --no-inherit-acl") {
			t.Fatalf("%v notes %q", err, rep.Notes)
		}
	})
}

// TestNextStepAfterDelete: rotate never removes the deny-high-risk policy
// contain attached; once the old key is deleted the next step is the
// command that removes it, and without one there is no next step.
func TestNextStepAfterDelete(t *testing.T) {
	for _, deny := range []bool{false, true} {
		f := newFixture(t)
		if deny {
			j, err := journal.Open(f.opts().StateDir, oldKey, "contain", f.clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			_ = j.Append(journal.Record{Kind: journal.KindOutcome, ActionID: "attach:" + appUser, Action: "attach-deny-policy", Target: appUser,
				Result: journal.ResultOK, After: []byte(`{"attached":true}`)})
			_ = j.Close()
		}
		if _, err := f.run(); err != nil {
			t.Fatal(err)
		}
		f.cloud.use(f.state().NewKeyID, officeIP, "app/2.0", "Ecs", f.clock.Now())
		f.clock.Advance(3 * time.Hour)
		if rep, err := f.run(func(o *Options) { o.Wait = true; o.Observe = time.Minute }); err != nil || rep.Step != StepVerified {
			t.Fatalf("to verified: %v", err)
		}
		m, _ := New(f.opts())
		rep, err := m.Delete(context.Background())
		if err != nil || !rep.Complete {
			t.Fatal(err)
		}
		want := ""
		if deny {
			want = "akresp contain " + oldKey + " --undo --all"
		}
		if rep.NextCommand != want {
			t.Errorf("deny %v: next %q, want %q", deny, rep.NextCommand, want)
		}
		for _, c := range f.cloud.calls {
			if strings.Contains(c, "Detach") {
				t.Errorf("rotate touched the deny policy: %s", c)
			}
		}
	}
}
