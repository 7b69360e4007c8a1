package audit

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
)

// KeyState is what a suggested command is checked against before it is
// shown: a command that the current state would refuse, or that would do
// nothing while claiming a change, is dropped or replaced.
type KeyState struct {
	KeyID string
	// Status is Active, Inactive, Deleted or "" (unknown).
	Status      string
	ContainedAt time.Time // zero: not contained per the journal
	// Rotation is the rotation's step ("" none); RotationDone says the old
	// key was deleted by it; RotationActive that it started and neither
	// finished nor was rolled back.
	Rotation       string
	RotationDone   bool
	RotationActive bool
	// Retired are other keys (the ones the attacker created) known to be
	// Inactive or gone: disabling them again does nothing.
	Retired map[string]bool
	// Eradicated says eradicate has run for the key (per the journal).
	Eradicated bool
}

// KeyStateOf combines what the audit saw with the incident record.
func KeyStateOf(r *Result, rec *incident.Record) KeyState {
	st := KeyState{KeyID: r.Key.AccessKeyID, Status: r.Key.Status}
	if rec != nil {
		st.ContainedAt = rec.ContainedAt
		st.Eradicated = rec.Eradications() > 0
		if !rec.DeletedAt.IsZero() {
			st.Status = "Deleted"
		}
		if st.Status == "" && !rec.DisabledAt.IsZero() {
			st.Status = "Inactive"
		}
		if rot := rec.Rotation; rot != nil {
			st.Rotation, st.RotationDone, st.RotationActive = rot.Step, rot.Finished, rot.InProgress()
		}
	}
	return st
}

// CheckSteps returns the steps that are valid in state st, in order,
// without duplicates. Rules:
//   - nothing acts on a deleted key but contain --undo (only report,
//     audit and the undo of its containment remain);
//   - no disable of a key already Inactive (or of a retired created key);
//     during a rotation, disabling is the rotation's job: rotate instead;
//   - no rotate after the rotation deleted the old key, nor of an Inactive
//     key no rotation is working on;
//   - a contained key gets "contain --status" instead of another fence;
//     an Inactive key's fence comes after the other steps (before the
//     report), saying why it still matters;
//   - eradicate that has run gets "eradicate --status" instead; a deleted
//     key's eradicate step is finishSteps'.
func CheckSteps(steps []NextStep, st KeyState) []NextStep {
	out := make([]NextStep, 0, len(steps))
	seen := map[string]bool{}
	add := func(s NextStep) {
		if !seen[s.Command] {
			seen[s.Command] = true
			out = append(out, s)
		}
	}
	deleted := st.Status == "Deleted" || st.RotationDone
	inactive := strings.EqualFold(st.Status, "Inactive")
	var later []NextStep // shown before the report step (or last)
	for _, s := range steps {
		f := strings.Fields(s.Command)
		if len(f) < 3 || f[0] != "akresp" {
			add(s)
			continue
		}
		cmd, target, flags := f[1], f[2], f[3:]
		has := func(flag string) bool {
			for _, x := range flags {
				if x == flag {
					return true
				}
			}
			return false
		}
		self := target == st.KeyID
		switch cmd {
		case "contain":
			switch {
			case !self:
				add(s)
			case deleted && has("--undo"):
				// Undo works on a deleted key: it takes the deny policy
				// off the owner (the key's ACL went with the key).
				add(s)
			case deleted:
			case has("--status") || has("--undo") || has("--contain-created") || has("--require-mfa"):
				add(s)
			case !st.ContainedAt.IsZero():
				add(NextStep{Command: "akresp contain " + target + " --status",
					Why: "the key is contained since " + st.ContainedAt.UTC().Format(time.RFC3339) + " (per akresp's journal): check that the fence still holds"})
			case inactive:
				// A disabled key signs nothing: its fence only matters if
				// someone enables it again, so it comes after what the
				// attacker can still use (created keys, eradicate).
				later = append(later, NextStep{Command: s.Command,
					Why: "the key is disabled (Inactive), so nobody can call with it now; the fence (and the deny policy on its owner) still holds the flagged sources off if someone enables it again"})
			default:
				add(s)
			}
		case "disable":
			switch {
			case !self && st.Retired[target] && !has("--delete"):
			case !self:
				add(s)
			case deleted:
			case has("--delete") || has("--enable"):
				if inactive || has("--enable") {
					add(s)
				}
			case inactive:
			case st.RotationActive:
				add(rotationStep(target, st.Rotation))
			default:
				add(s)
			}
		case "eradicate":
			switch {
			case !self || has("--status"):
				add(s)
			case deleted:
			case st.Eradicated:
				add(NextStep{Command: "akresp eradicate " + target + " --status",
					Why: "eradicate has run for this key (per akresp's journal): check what remains of what the key created"})
			default:
				add(s)
			}
		case "rotate":
			switch {
			case !self:
				add(s)
			case deleted:
			case inactive && !st.RotationActive:
			case st.RotationActive:
				add(rotationStep(target, st.Rotation))
			default:
				add(s)
			}
		default:
			add(s)
		}
	}
	if len(later) > 0 {
		at := slices.IndexFunc(out, func(s NextStep) bool { return strings.HasPrefix(s.Command, "akresp report ") })
		if at < 0 {
			at = len(out)
		}
		var kept []NextStep
		for _, s := range later {
			if !seen[s.Command] {
				seen[s.Command] = true
				kept = append(kept, s)
			}
		}
		out = slices.Insert(out, at, kept...)
	}
	return out
}

// rotationStep is the next step of a key whose rotation is in progress:
// resume it (not "give them a new key": it has one). Once verified, what
// is left is the deletion, which only --delete does (rotate without it
// stops there and names it).
func rotationStep(id, step string) NextStep {
	if step == "verified" {
		return NextStep{Command: "akresp rotate " + id + " --delete",
			Why: "a rotation of the key is in progress (step verified): the old key is disabled and nothing failed with it for the observation window; its last step deletes it"}
	}
	return NextStep{Command: "akresp rotate " + id,
		Why: "a rotation of the key is in progress (step " + step + "): resume it; it says what it waits for, and it retires the old key itself"}
}

// retiredCreatedKeys reads, online, the status of the AccessKeys the key
// created that a step suggests disabling, and returns those that are
// Inactive or gone. A failed read leaves the key out (it keeps its
// suggested disable). Only those keys: a key that created thousands (one
// user each) would otherwise cost a ListAccessKeys per user.
func retiredCreatedKeys(ctx context.Context, c Cloud, r *Result) map[string]bool {
	out := map[string]bool{}
	suggested := map[string]bool{}
	for _, s := range r.Verdict.NextSteps {
		if f := strings.Fields(s.Command); len(f) >= 3 && f[0] == "akresp" && f[1] == "disable" {
			suggested[f[2]] = true
		}
	}
	byUser := map[string][]string{}
	for _, ci := range r.Created {
		if ci.Kind == KindAccessKey && ci.Name != "" && ci.User != "" && ci.Name != r.Key.AccessKeyID && suggested[ci.Name] {
			byUser[ci.User] = append(byUser[ci.User], ci.Name)
		}
	}
	for user, ids := range byUser {
		keys, err := c.ListAccessKeys(ctx, user)
		if errors.Is(err, cloud.ErrNotFound) {
			for _, id := range ids {
				out[id] = true // the user is gone, and its keys with it
			}
			continue
		}
		if err != nil {
			continue
		}
		status := map[string]string{}
		for _, k := range keys {
			status[k.AccessKeyID] = k.Status
		}
		for _, id := range ids {
			if s, ok := status[id]; !ok || !strings.EqualFold(s, "Active") {
				out[id] = true
			}
		}
	}
	return out
}

// finishSteps checks the verdict's next steps against the current state
// (online, the created keys' status is read).
func finishSteps(ctx context.Context, c Cloud, online bool, r *Result, rec *incident.Record) {
	st := KeyStateOf(r, rec)
	if online && c != nil {
		st.Retired = retiredCreatedKeys(ctx, c, r)
	}
	steps := CheckSteps(r.Verdict.NextSteps, st)
	if st.RotationDone || st.Status == "Deleted" {
		id := r.Key.AccessKeyID
		has := false
		for _, s := range steps {
			has = has || s.Command == "akresp report "+id
		}
		if !has {
			steps = append(steps, NextStep{Command: "akresp report " + id,
				Why: "the key is deleted: write the incident report; its open risks list what is left (the deny policy on the owner, what the attacker created)"})
		}
		// contain --contain-created cannot reach what the attacker created
		// once the key is gone; eradicate works from the journaled
		// evidence and the events. Once it has run, what it left (users
		// and keys awaiting deletion after --observe) is its --status.
		erad := len(r.Created) > 0 || slices.ContainsFunc(r.Verdict.NextSteps, func(s NextStep) bool { return s.Command == "akresp eradicate "+id })
		switch {
		case !erad:
		case rec == nil || rec.Eradications() == 0:
			steps = append(steps, NextStep{Command: "akresp eradicate " + id + " --yes",
				Why: "the key is deleted but what the attacker created remains: eradicate removes it (plan first with --dry-run)"})
		default:
			steps = append(steps, NextStep{Command: "akresp eradicate " + id + " --status",
				Why: "the key is deleted and eradicate has run (per akresp's journal): check what remains; users and keys it disabled are deleted by a re-run after its --observe period"})
		}
		// What contain put on the owner outlives the key: the deny
		// policy restricts the owner's other keys too (a rotation's new
		// key). Its undo is the one change left that acts for this key.
		if rec.IsContained() {
			undo := "akresp contain " + id + " --undo --all"
			if !slices.ContainsFunc(steps, func(s NextStep) bool { return s.Command == undo }) {
				owner := "the owner"
				if r.Key.Owner != "" {
					owner = "user " + r.Key.Owner
				}
				steps = append(steps, NextStep{Command: undo,
					Why: "the key is deleted but its containment is not undone (per akresp's journal): the deny-high-risk policy on " + owner + " also restricts the owner's other keys, a rotation's new key among them; take it off once the incident is closed (keys the leaked key created stay disabled)"})
			}
		}
	}
	r.Verdict.NextSteps = steps
}
