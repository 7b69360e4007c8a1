package leaks

import (
	"testing"
	"time"
)

func TestNextStep(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	const id = "LTAI5tAPPPRODLEAKED00001"
	live := KeyState{KeyID: id, Exists: true, Status: "Active", Owner: "app-prod", LastUsed: now.Add(-time.Hour)}
	idle := live
	idle.LastUsed = now.Add(-30 * 24 * time.Hour)
	inactive := live
	inactive.Status = "Inactive"
	unread := KeyState{KeyID: id, Exists: true, Problem: "owner: NoPermission"}
	root := live
	root.Owner = "root"
	cases := []struct {
		name string
		row  Row
		want string
		res  bool
	}{
		{"pending, live", Row{Status: StatusPending, Key: live, SecretValidity: "valid"}, "akresp contain " + id, false},
		// A root key takes no deny policy: the first step must fence it.
		{"pending, live root key", Row{Status: StatusPending, Key: root, SecretValidity: "valid"}, "akresp contain " + id + " --deny-public", false},
		{"secret invalid", Row{Status: StatusPending, Key: live, SecretValidity: "invalid"}, "akresp audit " + id, false},
		{"state unreadable", Row{Status: StatusPending, Key: unread}, "akresp audit " + id, false},
		{"inactive outside akresp", Row{Status: StatusPending, Key: inactive}, "akresp disable " + id, false},
		{"contained, in use", Row{Status: StatusPending, Key: live, Incident: IncidentState{Contained: true}}, "akresp rotate " + id, true},
		{"contained, idle", Row{Status: StatusPending, Key: idle, Incident: IncidentState{Contained: true}}, "akresp disable " + id, true},
		{"rotating", Row{Status: StatusPending, Key: live, Incident: IncidentState{RotationInProgress: true}}, "akresp rotate " + id, false},
		{"disabled", Row{Status: StatusPending, Key: inactive, Incident: IncidentState{DisabledAt: now}}, "akresp leaks resolve " + id, true},
		{"gone", Row{Status: StatusPending, Key: KeyState{KeyID: id}}, "akresp leaks resolve " + id, true},
		{"handled", Row{Status: StatusHandled, Key: live}, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.row.KeyID = id
			got, why := NextStep(c.row, now)
			if got != c.want || why == "" {
				t.Errorf("NextStep = %q (%s), want %q", got, why, c.want)
			}
			if r := !c.row.handled() && resolvable(c.row.Incident, c.row.Key); r != c.res {
				t.Errorf("resolvable = %v, want %v", r, c.res)
			}
		})
	}
	s := Summary(Row{URL: "https://github.com/x/y/blob/1/a.env", FoundAt: now, Source: "GitHub", Status: StatusPending})
	if s != "found leaked at https://github.com/x/y/blob/1/a.env on 2026-05-01 (GitHub); pending in Security Center" {
		t.Errorf("Summary = %q", s)
	}
}
