package rotate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCutOverDecision(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	created := now.Add(-6 * time.Hour)
	used := func(t time.Time) *KeyUsage { return &KeyUsage{KeyID: "NEW", Known: true, LastUsed: t} }
	for _, tc := range []struct {
		name      string
		ev        Evidence
		quiet     time.Duration
		wantReady bool
		wantWait  string
		wantWake  bool
	}{
		{"switched and quiet", Evidence{New: used(now.Add(-time.Hour)), Old: KeyUsage{Known: true, LastUsed: now.Add(-5 * time.Hour)}}, 4 * time.Hour, true, "", false},
		{"old never used", Evidence{New: used(now), Old: KeyUsage{Known: true}}, 24 * time.Hour, true, "", false},
		{"zero quiet", Evidence{New: used(now), Old: KeyUsage{Known: true, LastUsed: now}}, 0, true, "", false},
		{"new unused", Evidence{New: &KeyUsage{KeyID: "NEW", Known: true}, Old: KeyUsage{Known: true}}, time.Hour, false, "has not been used yet", false},
		{"old still busy per summary (events unread)", Evidence{New: used(now), Old: KeyUsage{Known: true, LastUsed: now.Add(-time.Hour)}, CallersUnread: true}, 4 * time.Hour, false, "must stay quiet", true},
		{"old still busy per legitimate events", Evidence{New: used(now), Old: KeyUsage{Known: true, LastUsed: now.Add(-time.Minute)}, LegitLastUsed: now.Add(-time.Hour)}, 4 * time.Hour, false, "must stay quiet", true},
		{"only the attacker uses the old key", Evidence{New: used(now), Old: KeyUsage{Known: true, LastUsed: now.Add(-time.Second)}, LegitLastUsed: now.Add(-5 * time.Hour),
			Attackers: []Source{{IP: "127.0.0.66", Count: 37, Errors: 37, Why: whyRefused, Last: now.Add(-time.Second)}}}, 4 * time.Hour, true, "", false},
		{"quiet boundary", Evidence{New: used(now), Old: KeyUsage{Known: true}, LegitLastUsed: now.Add(-4 * time.Hour)}, 4 * time.Hour, true, "", false},
		{"one second short of quiet", Evidence{New: used(now), Old: KeyUsage{Known: true}, LegitLastUsed: now.Add(-4*time.Hour + time.Second)}, 4 * time.Hour, false, "must stay quiet", true},
		{"old busy per trail", Evidence{New: used(now), Old: KeyUsage{Known: true, LastUsed: now.Add(-10 * time.Hour)},
			OldCallers: []Source{{IP: "10.0.0.1", UserAgent: "cron", Last: now.Add(-time.Minute)}}}, time.Hour, false, "10.0.0.1, cron", true},
		{"unknown data", Evidence{Old: KeyUsage{}}, time.Hour, false, "could not be read", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ready, wait, wake := cutOver(&tc.ev, created, tc.quiet, now)
			if ready != tc.wantReady || !strings.Contains(wait, tc.wantWait) || wake.IsZero() == tc.wantWake {
				t.Errorf("cutOver = %v %q %v", ready, wait, wake)
			}
		})
	}
}

func TestCallersAndFailures(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	evs := []trailEvent{
		{EventName: "DescribeInstances", ServiceName: "Ecs", SourceIPAddress: "1.1.1.1", UserAgent: "a", time: t0},
		{EventName: "GetObject", ServiceName: "Oss", SourceIPAddress: "1.1.1.1", UserAgent: "a", time: t0.Add(time.Hour)},
		{EventName: "DescribeDBInstances", ServiceName: "Rds", SourceIPAddress: "2.2.2.2", UserAgent: "b", time: t0.Add(2 * time.Hour), ErrorCode: "InvalidAccessKeyId.Inactive"},
		{EventName: "X", SourceIPAddress: "3.3.3.3", time: t0.Add(3 * time.Hour), ErrorCode: "NoPermission"},
	}
	cs := callers(evs)
	if len(cs) != 3 || cs[0].IP != "3.3.3.3" || cs[2].IP != "1.1.1.1" || cs[2].Count != 2 || strings.Join(cs[2].Services, ",") != "Ecs,Oss" || cs[1].Errors != 1 {
		t.Errorf("callers %+v", cs)
	}
	fs := failures(evs)
	if len(fs) != 1 || fs[0].SourceIP != "2.2.2.2" || fs[0].Service != "Rds" {
		t.Errorf("failures %+v", fs)
	}
}

func TestReadLastUsedFallback(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		fail      []string
		lastUsed  bool
		wantKnown bool
		wantFrom  string
	}{
		{"actiontrail answers", nil, true, true, "actiontrail"},
		{"actiontrail fails, ram answers", []string{"AccessKeyLastUsedInfo"}, true, true, "ram"},
		{"never used", nil, false, true, "ram"},
		{"both fail", []string{"AccessKeyLastUsedInfo", "GetAccessKeyLastUsed"}, true, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := newFakeCloud(func() time.Time { return now })
			if tc.lastUsed {
				fc.lastUsed["K"] = now
			}
			for _, m := range tc.fail {
				fc.fail[m] = errors.New("Throttling")
			}
			u, warns := readLastUsed(context.Background(), fc, "u", "K")
			if u.Known != tc.wantKnown || u.From != tc.wantFrom || len(warns) != len(tc.fail) {
				t.Errorf("usage %+v warnings %v", u, warns)
			}
		})
	}
}
