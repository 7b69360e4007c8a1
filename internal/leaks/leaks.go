// Package leaks joins Security Center's AccessKey leak records with each
// key's live state and its incident record, suggests the next step for each,
// and marks a record handled once the incident record shows the key
// contained, disabled or deleted (journaled under the key).
//
// It takes the small interfaces below, satisfied by *cloud.Clients; it uses
// internal/cloud's plain result types only. It must not import internal/cli
// or internal/lab.
package leaks

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
)

// Reader reads Security Center's leak records.
type Reader interface {
	AccessKeyLeaks(ctx context.Context, q cloud.LeakQuery) ([]cloud.LeakRecord, error)
	AccessKeyLeakDetail(ctx context.Context, id int64) (cloud.LeakDetail, error)
}

// Resolver also marks records handled.
type Resolver interface {
	Reader
	ResolveAccessKeyLeak(ctx context.Context, id int64, dealType, remark string) (string, error)
}

// KeyReader reads a key's owner, status and last use.
type KeyReader interface {
	GetUserByAccessKey(ctx context.Context, keyID string) (cloud.User, error)
	ListAccessKeys(ctx context.Context, userName string) ([]cloud.AccessKey, error)
	AccessKeyLastUsedInfo(ctx context.Context, keyID string) (cloud.LastUsedInfo, error)
}

// Statuses of a record as akresp names them (the API says "dealed").
const (
	StatusPending = "pending"
	StatusHandled = "handled"
)

// KeyState is a key's live state. Exists is false only when the cloud
// confirmed the key does not exist; Problem says what could not be read.
type KeyState struct {
	KeyID       string    `json:"access_key_id"`
	Exists      bool      `json:"exists"`
	Status      string    `json:"status,omitempty"`    // Active | Inactive | "" unknown
	Owner       string    `json:"user_name,omitempty"` // RAM user name, "root" for an account key
	LastUsed    time.Time `json:"last_used,omitzero"`
	LastService string    `json:"last_used_service,omitempty"`
	Problem     string    `json:"problem,omitempty"`
}

// ReadKeyState reads a key's owner, status and last use. Errors other than
// "does not exist" become Problem: one unreadable key must not sink a list.
func ReadKeyState(ctx context.Context, c KeyReader, keyID string) KeyState {
	ks := KeyState{KeyID: keyID, Exists: true}
	var problems []string
	info, err := c.AccessKeyLastUsedInfo(ctx, keyID)
	if err != nil {
		problems = append(problems, "last use: "+err.Error())
	} else if info.Found {
		ks.LastUsed, ks.LastService = info.UsedAt, info.ServiceName
	}
	u, err := c.GetUserByAccessKey(ctx, keyID)
	switch {
	case err == nil:
		ks.Owner = u.UserName
		keys, lerr := c.ListAccessKeys(ctx, u.UserName)
		if lerr != nil {
			problems = append(problems, "status: "+lerr.Error())
			break
		}
		found := false
		for _, k := range keys {
			if k.AccessKeyID == keyID {
				ks.Status, found = k.Status, true
			}
		}
		if !found {
			ks.Exists = false
		}
	case errors.Is(err, cloud.ErrNotFound):
		if info.AccountType == "root-account" {
			// IMS finds no RAM user for an account's own key; ActionTrail
			// knows it. Its status needs the account's credentials.
			ks.Owner = "root"
		} else {
			ks.Exists = false
		}
	default:
		problems = append(problems, "owner: "+err.Error())
	}
	ks.Problem = strings.Join(problems, "; ")
	return ks
}

// IncidentState is what the incident record says about the key.
type IncidentState struct {
	Contained          bool      `json:"contained"`
	ContainedAt        time.Time `json:"contained_at,omitzero"`
	DisabledAt         time.Time `json:"disabled_at,omitzero"`
	DeletedAt          time.Time `json:"deleted_at,omitzero"`
	RotationInProgress bool      `json:"rotation_in_progress,omitempty"`
}

func incidentState(r *incident.Record) IncidentState {
	if r == nil {
		return IncidentState{}
	}
	return IncidentState{Contained: r.IsContained(), ContainedAt: r.ContainedAt, DisabledAt: r.DisabledAt,
		DeletedAt: r.DeletedAt, RotationInProgress: r.Rotation.InProgress()}
}

// Row is one leak record joined with its key's state and next step.
type Row struct {
	ID             int64         `json:"id"`
	KeyID          string        `json:"access_key_id"`
	Status         string        `json:"status"` // pending | handled
	FoundAt        time.Time     `json:"found_at,omitzero"`
	Source         string        `json:"source,omitempty"`
	URL            string        `json:"url,omitempty"`
	SecretValidity string        `json:"secret_validity"` // valid | invalid | unconfirmed (Security Center's check)
	DealType       string        `json:"deal_type,omitempty"`
	HandledAt      time.Time     `json:"handled_at,omitzero"`
	Key            KeyState      `json:"key"`
	Incident       IncidentState `json:"incident"`
	// Resolvable: `leaks resolve` would mark this record handled now.
	Resolvable bool `json:"resolvable"`
	// Next is the command that fits the state; "" when nothing is left.
	Next    string `json:"next,omitempty"`
	NextWhy string `json:"next_why,omitempty"`
	Warning string `json:"warning,omitempty"`
}

// ListOptions select the records.
type ListOptions struct {
	Status   string // StatusPending | StatusHandled | "" (all)
	KeyID    string // one key, "" all
	StateDir string
	Now      func() time.Time
}

// List reads the records and joins each with its key's state, the incident
// record under StateDir, and the next step. Rows are newest first.
func List(ctx context.Context, c Reader, keys KeyReader, o ListOptions) ([]Row, error) {
	q := cloud.LeakQuery{KeyID: o.KeyID}
	switch o.Status {
	case StatusPending:
		q.Status = cloud.LeakPending
	case StatusHandled:
		q.Status = cloud.LeakHandled
	case "":
	default:
		return nil, fmt.Errorf("leak status %q: want %s or %s", o.Status, StatusPending, StatusHandled)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	recs, err := c.AccessKeyLeaks(ctx, q)
	if err != nil {
		return nil, err
	}
	states := map[string]KeyState{}
	incidents := map[string]*incident.Record{}
	rows := make([]Row, 0, len(recs))
	for _, r := range recs {
		row := rowFrom(r)
		if d, err := c.AccessKeyLeakDetail(ctx, r.ID); err != nil {
			row.Warning = "detail: " + err.Error()
		} else {
			mergeDetail(&row, d)
		}
		ks, ok := states[r.AccessKeyID]
		if !ok {
			ks = ReadKeyState(ctx, keys, r.AccessKeyID)
			states[r.AccessKeyID] = ks
		}
		row.Key = ks
		rec, ok := incidents[r.AccessKeyID]
		if !ok {
			if rec, err = incident.LoadOwn(o.StateDir, r.AccessKeyID); err != nil {
				return nil, err
			}
			incidents[r.AccessKeyID] = rec
		}
		row.Incident = incidentState(rec)
		row.Resolvable = !row.handled() && resolvable(row.Incident, row.Key)
		row.Next, row.NextWhy = NextStep(row, now())
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if !rows[i].FoundAt.Equal(rows[j].FoundAt) {
			return rows[i].FoundAt.After(rows[j].FoundAt)
		}
		return rows[i].ID > rows[j].ID
	})
	return rows, nil
}

func rowFrom(r cloud.LeakRecord) Row {
	row := Row{ID: r.ID, KeyID: r.AccessKeyID, Status: StatusPending, FoundAt: r.FoundAt, URL: r.URL,
		SecretValidity: "unconfirmed", DealType: r.DealType}
	if r.Handled() {
		row.Status, row.HandledAt = StatusHandled, r.DealTime
	}
	if row.DealType == "pending" {
		row.DealType = ""
	}
	return row
}

func mergeDetail(row *Row, d cloud.LeakDetail) {
	row.Source = d.Source
	if d.FileURL != "" {
		row.URL = d.FileURL
	}
	if !d.FirstFound.IsZero() {
		row.FoundAt = d.FirstFound
	}
	if d.SecretValidity != "" {
		row.SecretValidity = d.SecretValidity
	}
}

func (r Row) handled() bool { return r.Status == StatusHandled }

// resolvable: the incident record shows the key contained, disabled or
// deleted, or the cloud confirms the key no longer exists (a deleted key
// cannot be used, whoever deleted it).
func resolvable(inc IncidentState, ks KeyState) bool {
	return inc.Contained || !inc.DisabledAt.IsZero() || !inc.DeletedAt.IsZero() || !ks.Exists
}

// recentUse is how recent a last use must be for rotate (not disable) to
// be the remediation after containment: the plan disables keys not in use
// and rotates keys in use.
const recentUse = 7 * 24 * time.Hour

// NextStep is the command that fits the row's state, and why.
func NextStep(r Row, now time.Time) (cmd, why string) {
	id := r.KeyID
	switch {
	case r.handled():
		return "", "the record is handled"
	case !r.Incident.DeletedAt.IsZero() || !r.Key.Exists:
		return "akresp leaks resolve " + id, "the key is deleted; mark the record handled"
	case !r.Incident.DisabledAt.IsZero():
		return "akresp leaks resolve " + id, "the key is disabled; mark the record handled"
	case r.Incident.RotationInProgress:
		return "akresp rotate " + id, "a rotation is in progress; resume it"
	case r.Incident.Contained:
		if !r.Key.LastUsed.IsZero() && now.Sub(r.Key.LastUsed) < recentUse {
			return "akresp rotate " + id, "contained and in use: rotate it (leaks resolve is possible now)"
		}
		return "akresp disable " + id, "contained and not in recent use: disable it (leaks resolve is possible now)"
	case r.Key.Status == "Inactive":
		return "akresp disable " + id, "inactive but not disabled by akresp: record the disabled state in the incident"
	case r.Key.Problem != "" && r.Key.Status == "":
		return "akresp audit " + id, "the key's state could not be read: " + r.Key.Problem
	case r.SecretValidity == "invalid":
		return "akresp audit " + id, "Security Center found the leaked secret invalid: check the key's use before acting"
	}
	if r.Key.Owner == "root" {
		// A root key takes no RAM policy: a contain without a fence
		// would change nothing.
		return "akresp contain " + id + " --deny-public", "leaked and not contained; a root-account key takes no deny policy: block its public use first (access from VPCs stays), or fence it to your own networks with --allow-ip instead"
	}
	return "akresp contain " + id, "leaked and not contained: deny its high-risk actions first; add --allow-ip (or --trusted-from-audit) to fence it to the networks that use it"
}

// Summary is the one-line form audit and report show: "found leaked at
// <url> on <date>" plus how it was handled.
func Summary(r Row) string {
	s := "found leaked"
	if r.URL != "" {
		s += " at " + r.URL
	}
	if !r.FoundAt.IsZero() {
		s += " on " + r.FoundAt.UTC().Format("2006-01-02")
	}
	if r.Source != "" {
		s += " (" + r.Source + ")"
	}
	if r.handled() {
		s += "; marked handled"
		if !r.HandledAt.IsZero() {
			s += " on " + r.HandledAt.UTC().Format("2006-01-02")
		}
	} else {
		s += "; pending in Security Center"
	}
	return s
}

// ForKey returns every leak record of one key (pending and handled) with
// its details, for audit and report. A key with no record gives none.
func ForKey(ctx context.Context, c Reader, keyID string) ([]Row, error) {
	recs, err := c.AccessKeyLeaks(ctx, cloud.LeakQuery{KeyID: keyID})
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, r := range recs {
		if r.AccessKeyID != keyID {
			continue
		}
		row := rowFrom(r)
		if d, err := c.AccessKeyLeakDetail(ctx, r.ID); err == nil {
			mergeDetail(&row, d)
		} else {
			row.Warning = "detail: " + err.Error()
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].FoundAt.Before(rows[j].FoundAt) })
	return rows, nil
}
