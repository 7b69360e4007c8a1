package respond

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"golang.org/x/sync/errgroup"
)

// Disable modes.
const (
	ModeDisable = "disable"
	ModeEnable  = "enable"
	ModeDelete  = "delete"
)

// Defaults of disable's safety periods.
const (
	DefaultQuietPeriod = 24 * time.Hour
	DefaultObserve     = incident.DefaultDisableObserve
)

// DisableOptions is what the engineer asked disable to do.
type DisableOptions struct {
	KeyID       string
	Mode        string // disable | enable | delete
	QuietPeriod time.Duration
	Observe     time.Duration
	Force       bool
	StateDir    string
	// Legitimate says whether a use of the key from ip at t counts as
	// legitimate (the incident record: not from a flagged source, not
	// refused by the fence). nil: every use counts. Only legitimate use
	// within the quiet period keeps the key "in use".
	Legitimate func(ip netip.Addr, t time.Time) bool
	Now        func() time.Time
}

// LastUse is the key's most recent use.
type LastUse struct {
	Found   bool      `json:"found"`
	Time    time.Time `json:"time,omitzero"`
	Service string    `json:"service,omitempty"`
	IP      string    `json:"ip,omitempty"`
	Source  string    `json:"source,omitempty"` // actiontrail | ram
}

// DisablePlan is a disable/enable/delete plan plus the facts shown with it.
type DisablePlan struct {
	*Plan
	LastUse LastUse `json:"last_use"`
	// LastLegitimate is the last use that counts as legitimate (zero
	// Found: none recorded); FlaggedUse are the sources flagged as the
	// attacker that used the key within the quiet period.
	LastLegitimate LastUse   `json:"last_legitimate_use"`
	FlaggedUse     []string  `json:"flagged_use,omitempty"`
	DisabledAt     time.Time `json:"disabled_at,omitzero"` // from the journal
}

// PlanDisable resolves the key and builds a one-action plan, with the safety
// rails: the key akresp runs with (never), a key used within the quiet
// period (disable; --force), an Active key (delete: disable first), a key
// disabled for less than the observation period (delete; --force).
func PlanDisable(ctx context.Context, c DisableCloud, o DisableOptions) (*DisablePlan, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.QuietPeriod == 0 {
		o.QuietPeriod = DefaultQuietPeriod
	}
	if o.Observe == 0 {
		o.Observe = DefaultObserve
	}
	cmd := map[string]string{ModeDisable: CmdDisable, ModeEnable: CmdEnable, ModeDelete: CmdDelete}[o.Mode]
	if cmd == "" {
		return nil, &InputError{Msg: fmt.Sprintf("disable %s: unknown mode %q", o.KeyID, o.Mode)}
	}
	now := o.Now()
	dp := &DisablePlan{Plan: &Plan{Command: cmd, Key: KeyInfo{AccessKeyID: o.KeyID}, Forced: o.Force}}
	p := dp.Plan

	var (
		ident    cloud.CallerIdentity
		selfKey  string
		owner    cloud.User
		ownerErr error
		info     cloud.LastUsedInfo
		infoErr  error
		ips      []cloud.LastUsedIP
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		ident, err = c.GetCallerIdentity(gctx)
		if err != nil {
			return fmt.Errorf("%s %s: who am I (sts:GetCallerIdentity): %w", cmd, o.KeyID, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		selfKey, err = c.CredentialKeyID(gctx)
		if err != nil {
			return fmt.Errorf("%s %s: resolve akresp's own AccessKey: %w", cmd, o.KeyID, err)
		}
		return nil
	})
	g.Go(func() error { owner, ownerErr = c.GetUserByAccessKey(gctx, o.KeyID); return nil })
	if o.Mode != ModeEnable {
		g.Go(func() error { info, infoErr = c.AccessKeyLastUsedInfo(gctx, o.KeyID); return nil })
		g.Go(func() error { ips, _ = c.AccessKeyLastUsedIPs(gctx, o.KeyID, ""); return nil })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	p.Operator = OperatorInfo{AccountID: ident.AccountID, Arn: ident.Arn, IdentityType: cloud.IdentityTypeName(ident.IdentityType), Endpoint: c.Endpoint(), KeyID: selfKey}
	switch {
	case ownerErr == nil:
		p.Key.OwnerType, p.Key.Owner, p.Key.UserID, p.Key.UserPrincipalName = OwnerRAMUser, owner.UserName, owner.UserID, owner.UserPrincipalName
	case errors.Is(ownerErr, cloud.ErrNotFound):
		root, err := isRootKey(ctx, c, ident, o.KeyID, nil)
		if err != nil {
			return nil, err
		}
		if !root {
			return nil, unknownKey(o.KeyID, ident, ownerErr)
		}
		p.Key.OwnerType = OwnerRoot
	default:
		return nil, fmt.Errorf("%s %s: find the key's owner: %w", cmd, o.KeyID, ownerErr)
	}
	res := &keyResource{c: c, del: c, keyID: o.KeyID, user: p.Key.Owner, delete: o.Mode == ModeDelete}
	cur, err := res.observe(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read key status: %w", cmd, o.KeyID, err)
	}
	p.ObservedAt = o.Now().UTC().Truncate(time.Second)
	ks := cur.(keyState)
	p.Key.Status = ks.Status
	if ks.Status == StatusDeleted {
		return nil, unknownKey(o.KeyID, ident, nil)
	}

	// Last use.
	switch {
	case infoErr == nil && info.Found:
		dp.LastUse = LastUse{Found: true, Time: info.UsedAt, Service: info.ServiceName, Source: "actiontrail"}
	default:
		if r, ok := c.(RAMLastUsedReader); ok && p.Key.Owner != "" {
			if t, err := r.GetAccessKeyLastUsed(ctx, p.Key.Owner, o.KeyID); err == nil && !t.IsZero() {
				dp.LastUse = LastUse{Found: true, Time: t, Source: "ram"}
			}
		}
	}
	var newest time.Time
	for _, ip := range ips {
		if ip.UsedAt.After(newest) {
			newest, dp.LastUse.IP = ip.UsedAt, ip.IP
		}
	}
	if newest.After(dp.LastUse.Time) {
		dp.LastUse.Found, dp.LastUse.Time = true, newest
	}
	dp.LastLegitimate, dp.FlaggedUse = legitimateUse(dp.LastUse, ips, o.Legitimate, now.Add(-o.QuietPeriod))

	// The key akresp runs with: never (disabling it cuts this session off,
	// and nothing could re-enable it with the same credentials).
	if selfKey != "" && selfKey == o.KeyID && o.Mode != ModeEnable {
		p.Rails = append(p.Rails, &RailError{Rule: "self-key",
			Detail: fmt.Sprintf("%s is the AccessKey akresp is running with; run %s from another identity (--profile)", o.KeyID, cmd)})
		p.Forced = false
	}

	var target string
	switch o.Mode {
	case ModeDisable:
		target = "Inactive"
		lu := dp.LastLegitimate
		if lu.Found && now.Sub(lu.Time) < o.QuietPeriod {
			p.Rails = append(p.Rails, &RailError{Rule: "key-in-use",
				Detail: fmt.Sprintf("%s was used %s ago (%s, %s%s), within the quiet period of %s; disabling a key in use breaks whatever uses it. The response plan says to rotate it instead (akresp rotate %s)",
					o.KeyID, roundAgo(now.Sub(lu.Time)), lu.Time.UTC().Format(time.RFC3339), cmp.Or(lu.Service, "service unknown"), ipSuffix(lu.IP), o.QuietPeriod, o.KeyID),
				Override: "--force"})
		}
		if len(dp.FlaggedUse) > 0 {
			if lu.Found && now.Sub(lu.Time) < o.QuietPeriod {
				p.Notes = append(p.Notes, fmt.Sprintf("also used within the last %s from flagged sources: %s", o.QuietPeriod, strings.Join(dp.FlaggedUse, ", ")))
			} else {
				p.Notes = append(p.Notes, fmt.Sprintf("used in the last %s only from flagged sources: %s; that is the attacker, not a reason to keep the key", roundAgo(o.QuietPeriod), strings.Join(dp.FlaggedUse, ", ")))
			}
		}
	case ModeEnable:
		target = "Active"
	case ModeDelete:
		target = StatusDeleted
		if !strings.EqualFold(ks.Status, "Inactive") {
			p.Rails = append(p.Rails, &RailError{Rule: "delete-active-key",
				Detail: fmt.Sprintf("%s is %s; disable it first (akresp disable %s), watch for breakage for %s, then delete", o.KeyID, ks.Status, o.KeyID, o.Observe)})
			p.Forced = false
			break
		}
		at, err := disabledAt(o.StateDir, o.KeyID)
		if err != nil {
			return nil, fmt.Errorf("delete %s: read the journal for when the key was disabled: %w", o.KeyID, err)
		}
		dp.DisabledAt = at
		switch {
		case !dp.DisabledAt.IsZero():
			if now.Sub(dp.DisabledAt) < o.Observe {
				p.Rails = append(p.Rails, &RailError{Rule: "observe-period",
					Detail:   fmt.Sprintf("%s was disabled %s ago (%s), less than the observation period of %s; deletion cannot be rolled back by akresp", o.KeyID, roundAgo(now.Sub(dp.DisabledAt)), dp.DisabledAt.UTC().Format(time.RFC3339), o.Observe),
					Override: "--force"})
			}
		case dp.LastUse.Found && now.Sub(dp.LastUse.Time) >= o.Observe:
			p.Notes = append(p.Notes, fmt.Sprintf("no journal of when the key was disabled; it was last used %s ago, longer than the observation period", roundAgo(now.Sub(dp.LastUse.Time))))
		case !dp.LastUse.Found:
			p.Notes = append(p.Notes, "no journal of when the key was disabled and no recorded use")
		default:
			p.Rails = append(p.Rails, &RailError{Rule: "observe-period",
				Detail:   fmt.Sprintf("no journal says when %s was disabled, and it was used %s ago, within the observation period of %s", o.KeyID, roundAgo(now.Sub(dp.LastUse.Time)), o.Observe),
				Override: "--force"})
		}
	}
	a := newAction(o.Mode+":"+o.KeyID, res, ks, keyState{KeyID: o.KeyID, User: p.Key.Owner, Status: target}, fmt.Sprintf("%s AccessKey %s", o.Mode, o.KeyID))
	if o.Mode == ModeDelete {
		a.Warnings = append(a.Warnings, "irreversible for akresp: deleting cannot be undone by --enable")
	}
	p.Actions = []*Action{a}
	p.seal()
	return dp, nil
}

// disabledAt is when akresp last disabled the key, per every journal of
// the state directory (incident.KeyDisabledAt).
func disabledAt(base, keyID string) (time.Time, error) { return incident.KeyDisabledAt(base, keyID) }

// RecycleBinNote says where a deleted key can still be restored, when the
// account has an IMS recycle bin.
func RecycleBinNote(ctx context.Context, c any, p *Plan) string {
	rb, ok := c.(RecycleBinLister)
	if !ok || p.Key.UserID == "" {
		return ""
	}
	ks, err := rb.ListAccessKeysInRecycleBin(ctx, p.Key.UserID)
	if err != nil {
		return ""
	}
	for _, k := range ks {
		if k.AccessKeyID == p.Key.AccessKeyID {
			return fmt.Sprintf("%s is in the IMS AccessKey recycle bin of user %s and can be restored there (RestoreAccessKeyFromRecycleBin) until it is purged", p.Key.AccessKeyID, p.Key.Owner)
		}
	}
	return ""
}

func roundAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// orDash is s, or "-" for a value the event did not carry.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ipSuffix(ip string) string {
	if ip == "" {
		return ""
	}
	return ", from " + ip
}

// attributeWindow is how close a last-used IP's time must be to the key's
// last-use time for that use to be attributed to it.
const attributeWindow = time.Minute

// legitimateUse splits the key's recent use by source: the last use that
// counts as legitimate, and the flagged sources seen since "since". The
// key's last use without a source (ActionTrail's last-used info, RAM's
// GetAccessKeyLastUsed) counts as legitimate unless a flagged source's use
// accounts for it and no legitimate one does.
func legitimateUse(last LastUse, ips []cloud.LastUsedIP, legit func(netip.Addr, time.Time) bool, since time.Time) (LastUse, []string) {
	if legit == nil {
		return last, nil
	}
	var out LastUse
	var flagged []string
	flaggedNear, legitNear := false, false
	for _, u := range ips {
		ip, err := netip.ParseAddr(u.IP)
		isLegit := err != nil || legit(ip.Unmap(), u.UsedAt) // a source that is not an address cannot be judged
		near := !u.UsedAt.Before(last.Time.Add(-attributeWindow))
		switch {
		case isLegit:
			if near {
				legitNear = true
			}
			if !out.Found || u.UsedAt.After(out.Time) {
				out = LastUse{Found: true, Time: u.UsedAt, IP: u.IP, Source: last.Source}
			}
		default:
			if near {
				flaggedNear = true
			}
			if !u.UsedAt.Before(since) && !slices.Contains(flagged, u.IP) {
				flagged = append(flagged, u.IP)
			}
		}
	}
	if last.Found && (legitNear || !flaggedNear) && (!out.Found || last.Time.After(out.Time)) {
		l := last
		l.IP = "" // not attributable to a listed source...
		if legitNear {
			l.IP = out.IP // ...unless a legitimate one was seen then
		}
		out = l
	}
	slices.Sort(flagged)
	return out, flagged
}
