package leaks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
)

// Journal names of `leaks resolve`.
const (
	CommandResolve = "leaks-resolve"
	ActionResolve  = "resolve-leak-record"
)

// ErrNoRecord: Security Center holds no leak record for the key.
var ErrNoRecord = errors.New("no Security Center leak record")

// Refusal is why a record may not be marked handled yet (a safety rail).
type Refusal struct {
	Rule     string `json:"rule"`
	Detail   string `json:"detail"`
	Override string `json:"override"`
}

// ResolvePlan says which records `leaks resolve` would mark handled, how,
// and why (or why not).
type ResolvePlan struct {
	KeyID    string
	Pending  []cloud.LeakRecord // to mark handled
	Handled  []cloud.LeakRecord // already handled
	DealType string             // manual | disable
	Remark   string
	Reason   string // the incident fact that allows it
	Refusal  *Refusal
}

// PlanResolve reads the key's records and its incident record. It refuses
// (Refusal set) unless the incident record shows the key contained,
// disabled or deleted, or the cloud confirms the key no longer exists.
func PlanResolve(ctx context.Context, c Reader, keys KeyReader, stateDir, keyID string) (*ResolvePlan, error) {
	recs, err := c.AccessKeyLeaks(ctx, cloud.LeakQuery{KeyID: keyID})
	if err != nil {
		return nil, err
	}
	p := &ResolvePlan{KeyID: keyID}
	for _, r := range recs {
		if r.AccessKeyID != keyID {
			continue
		}
		if r.Handled() {
			p.Handled = append(p.Handled, r)
		} else {
			p.Pending = append(p.Pending, r)
		}
	}
	if len(p.Pending) == 0 && len(p.Handled) == 0 {
		return nil, fmt.Errorf("leaks resolve %s: %w for this key (akresp leaks --status all lists the records)", keyID, ErrNoRecord)
	}
	if len(p.Pending) == 0 {
		return p, nil
	}
	rec, err := incident.LoadOwn(stateDir, keyID)
	if err != nil {
		return nil, err
	}
	inc := incidentState(rec)
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch {
	case !inc.DeletedAt.IsZero():
		p.DealType, p.Reason = cloud.LeakDealDisable, "the key was deleted at "+ts(inc.DeletedAt)
	case !inc.DisabledAt.IsZero():
		p.DealType, p.Reason = cloud.LeakDealDisable, "the key was disabled at "+ts(inc.DisabledAt)
	case inc.Contained:
		p.DealType, p.Reason = cloud.LeakDealManual, "the key was contained at "+ts(inc.ContainedAt)
	default:
		if ks := ReadKeyState(ctx, keys, keyID); !ks.Exists {
			p.DealType, p.Reason = cloud.LeakDealDisable, "the key no longer exists"
			break
		}
		p.Refusal = &Refusal{
			Rule: "leak-not-contained",
			Detail: fmt.Sprintf("%s: the incident record under the state dir shows the key neither contained, disabled nor deleted; "+
				"marking Security Center's record handled now would hide a live leak", keyID),
			Override: fmt.Sprintf("run 'akresp contain %s' (or disable or rotate it) first, with the same --state-dir", keyID),
		}
		return p, nil
	}
	p.Remark = "akresp: " + p.Reason
	return p, nil
}

// ResolveResult is one record's outcome.
type ResolveResult struct {
	ID        int64  `json:"id"`
	Result    string `json:"result"` // ok | error | unknown
	RequestID string `json:"request_id,omitempty"`
	Error     string `json:"error,omitempty"`
}

// ApplyOptions configure ApplyResolve.
type ApplyOptions struct {
	StateDir string
	Now      func() time.Time
	Operator string // caller ARN, journaled
	Endpoint string
}

type leakState struct {
	RecordID int64  `json:"record_id"`
	Status   string `json:"status"`
	DealType string `json:"deal_type,omitempty"`
}

// ApplyResolve marks each pending record handled, journaling an intent and
// an outcome per record under the key. The service's 200 only means the
// request was accepted (sas.go), so each record is read back: still pending
// is an outcome "unknown".
func ApplyResolve(ctx context.Context, c Resolver, p *ResolvePlan, o ApplyOptions) ([]ResolveResult, error) {
	if p.Refusal != nil {
		return nil, errors.New("leaks resolve: the plan was refused")
	}
	if len(p.Pending) == 0 {
		return nil, nil
	}
	j, err := journal.Open(o.StateDir, p.KeyID, CommandResolve, o.Now)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	note, _ := json.Marshal(map[string]any{"reason": p.Reason, "deal_type": p.DealType, "records": len(p.Pending)})
	if err := j.Append(journal.Record{Kind: journal.KindNote, Action: "plan", After: note, Operator: o.Operator,
		Endpoint: o.Endpoint, Message: p.Reason}); err != nil {
		return nil, err
	}
	var out []ResolveResult
	var firstErr error
	for _, r := range p.Pending {
		target := "sas-leak-record/" + strconv.FormatInt(r.ID, 10)
		before, _ := json.Marshal(leakState{RecordID: r.ID, Status: cloud.LeakPending})
		after, _ := json.Marshal(leakState{RecordID: r.ID, Status: cloud.LeakHandled, DealType: p.DealType})
		actionID := fmt.Sprintf("resolve-%d", r.ID)
		base := journal.Record{ActionID: actionID, Action: ActionResolve, Target: target, Before: before, After: after,
			Operator: o.Operator, Endpoint: o.Endpoint}
		intent := base
		intent.Kind = journal.KindIntent
		if err := j.Append(intent); err != nil {
			return out, err
		}
		reqID, callErr := c.ResolveAccessKeyLeak(ctx, r.ID, p.DealType, p.Remark)
		res := ResolveResult{ID: r.ID, RequestID: reqID, Result: journal.ResultOK}
		outcome := base
		outcome.Kind, outcome.RequestID = journal.KindOutcome, reqID
		if callErr != nil {
			res.Result, res.Error = journal.ResultError, callErr.Error()
			outcome.Result, outcome.Error = journal.ResultError, callErr.Error()
			var ae *cloud.APIError
			if errors.As(callErr, &ae) {
				outcome.ErrorCode, outcome.RequestID, res.RequestID = ae.Code, ae.RequestID, ae.RequestID
			}
			if firstErr == nil {
				firstErr = callErr
			}
		} else if handled, verr := isHandled(ctx, c, p.KeyID, r.ID); verr != nil || !handled {
			res.Result = journal.ResultUnknown
			res.Error = "the service accepted the request but the record still reads as pending"
			if verr != nil {
				res.Error = "the service accepted the request; reading the record back failed: " + verr.Error()
			}
			outcome.Result, outcome.Error = res.Result, res.Error
			if firstErr == nil {
				firstErr = fmt.Errorf("leaks resolve %s: record %d: %s", p.KeyID, r.ID, res.Error)
			}
		} else {
			outcome.Result = journal.ResultOK
		}
		if err := j.Append(outcome); err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, firstErr
}

func isHandled(ctx context.Context, c Reader, keyID string, id int64) (bool, error) {
	recs, err := c.AccessKeyLeaks(ctx, cloud.LeakQuery{KeyID: keyID})
	if err != nil {
		return false, err
	}
	for _, r := range recs {
		if r.ID == id {
			return r.Handled(), nil
		}
	}
	return false, nil
}
