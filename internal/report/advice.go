package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/rotate"
)

var riskRank = map[string]int{RiskCritical: 0, RiskHigh: 1, RiskMedium: 2, RiskLow: 3}

func (b *builder) risk(r Risk) { b.doc.Risks = append(b.doc.Risks, r) }

func (b *builder) rec(r Recommendation) { b.doc.Recommendations = append(b.doc.Recommendations, r) }

// resourceCalls groups the key's successful calls that create or start
// billable resources (the catalogue's cost category, plus Create*, Run*,
// Allocate*, Purchase* and Buy* writes outside RAM/IMS/STS), by service,
// API and region. When an attacker source is known, the key's own
// sources' calls (the application's routine) are counted in own instead.
func (b *builder) resourceCalls() (out []string, own int) {
	type k struct{ svc, name, region string }
	counts := map[k]int{}
	for ev, n := range b.apiUses {
		if ev.Failed || ev.RW == "Read" {
			continue
		}
		switch ev.Service {
		case "Ram", "Ims", "Sts", "Actiontrail":
			continue
		}
		cost := slices.Contains(audit.SensitiveCategories(ev.Service, ev.Name), audit.CategoryCost)
		creates := false
		for _, p := range []string{"Create", "Run", "Allocate", "Purchase", "Buy"} {
			if strings.HasPrefix(ev.Name, p) {
				creates = true
			}
		}
		switch {
		case !cost && !creates:
		case ev.Own && b.anyFlagged:
			own += n
		default:
			counts[k{ev.Service, ev.Name, ev.Region}] += n
		}
	}
	for x, n := range counts {
		s := fmt.Sprintf("%s %s x%d", x.svc, x.name, n)
		if x.region != "" {
			s += " in " + x.region
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out, own
}

// destructiveCalls lists the key's successful calls of the catalogue's
// destruction category; like resourceCalls, the key's own sources' calls
// are counted apart when an attacker source is known.
func (b *builder) destructiveCalls() (out []string, own int) {
	counts := map[string]int{}
	for ev, n := range b.apiUses {
		if ev.Failed || !slices.Contains(audit.SensitiveCategories(ev.Service, ev.Name), audit.CategoryDest) {
			continue
		}
		if ev.Own && b.anyFlagged {
			own += n
			continue
		}
		counts[ev.Service+" "+ev.Name] += n
	}
	for n, c := range counts {
		out = append(out, fmt.Sprintf("%s x%d", n, c))
	}
	slices.Sort(out)
	return out, own
}

// ownCallsNote says how many calls of the key's own sources a count left
// out, or "".
func ownCallsNote(own int) string {
	if own == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d such call(s) from the key's own trusted sources are left out.)", own)
}

func (b *builder) risks() {
	s := &b.doc.Summary
	id := b.keyID
	live := b.in.Live
	suspect := b.r.Verdict.Status == audit.StatusSuspectedLeak
	active := s.KeyStatus == "Active" || s.KeyStatus == ""

	switch {
	case s.State == StateOpen && active && b.in.Incident != nil && b.in.Incident.CreatedBy != "":
		// The attacker's own key: disabled and removed, never rotated.
		by := b.in.Incident.CreatedBy
		b.risk(Risk{ID: "key-open", Level: RiskCritical, Title: "The attacker's key is active",
			Detail:  "The attacker of " + by + "'s incident created this key and can call with it. Disable it now (its calls from the attacker's sources do not count as use), then remove it with the attacker's other footholds: akresp eradicate " + by + ".",
			Command: "akresp disable " + id})
	case s.State == StateOpen && active && suspect:
		b.risk(Risk{ID: "key-open", Level: RiskCritical, Title: "The leaked key is active and not contained",
			Detail:  "Nothing stops the attacker from using the key again. Contain it now, then rotate or disable it.",
			Command: b.containCommand()})
	case s.State == StateOpen && active:
		b.risk(Risk{ID: "key-open", Level: RiskMedium, Title: "The key is active and not contained",
			Detail: "No containment, disable or rotation is in effect for this key.", Command: "akresp contain " + id + " --dry-run"})
	case s.State == StatePartiallyContained:
		b.risk(Risk{ID: "key-partially-contained", Level: RiskHigh, Title: "Containment does not fully hold",
			Detail: s.StateDetail + ". Re-run contain to restore it.", Command: "akresp contain " + id + " --status"})
	case s.State == StateContained && active && !b.rotationUnfinished():
		// (During a rotation its own risk says what is left.)
		b.risk(Risk{ID: "key-still-active", Level: RiskMedium, Title: "The key is contained but still active",
			Detail:  "The network ACL and deny policy limit it, but the secret is still valid. Replace it and retire it.",
			Command: "akresp rotate " + id})
	}

	for _, src := range b.doc.Sources {
		if src.Flagged && src.BlockedNow != nil && !*src.BlockedNow && active {
			b.risk(Risk{ID: "attacker-allowed", Level: RiskHigh, Title: "Flagged source " + src.IP + " can still call with the key",
				Detail:  fmt.Sprintf("The key's network ACL allows %s, which made %d calls from %s.", src.IP, src.Count, src.FirstSeen.Format(time.RFC3339)),
				Command: b.containCommand()})
		}
	}

	var cut []string
	for _, src := range b.doc.Sources {
		if !src.Flagged && src.Class == ClassTrusted && src.BlockedNow != nil && *src.BlockedNow && !src.LastSeen.Before(b.in.Now.Add(-7*24*time.Hour)) {
			cut = append(cut, src.IP)
		}
	}
	if len(cut) > 0 && active {
		b.risk(Risk{ID: "legitimate-blocked", Level: RiskMedium, Title: "The network ACL blocks sources that used the key legitimately",
			Detail: strings.Join(cut, ", ") + " (trusted or known sources of the key, active in the last 7 days) are refused by the ACL now. " +
				"If they are your workload it is failing: allow them with contain --allow-ip, or move the workload to the replacement key."})
	}

	// The owners' identities after the attacker's (same level: a
	// provisioning routine's earlier thousands come first in time).
	var created, owned []createdRisk
	for _, c := range b.doc.Created {
		switch c.State {
		case "active":
			if c.Kind == audit.KindUser && b.strippedByEradicate(c.Name) {
				// eradicate took its console login, policies and groups
				// and disabled its keys; the user is deleted by a re-run
				// after the observation period.
				period := "the --observe period (default 24h)"
				if e := b.in.Eradicate; e != nil && !e.DeleteFrom.IsZero() && e.DeleteFrom.After(b.in.Now) {
					period = "the --observe period (default 24h: with it, from " + upToSecond(e.DeleteFrom) + ")"
				}
				created = append(created, createdRisk{c: c, many: "%s created by the key are stripped, awaiting deletion",
					manyDetail: "akresp eradicate removed their console logins, policies and groups and disabled their AccessKeys (journal). " +
						"Re-run it after " + period + " to delete their keys and then the users.",
					Risk: Risk{ID: "created-user-stripped", Level: RiskMedium,
						Title: fmt.Sprintf("%s %s created by the key is stripped, awaiting deletion", kindLabel(c.Kind), c.Name),
						Detail: "akresp eradicate removed its console login, policies and groups and disabled its AccessKeys (journal). " +
							"Re-run it after " + period + " to delete its keys and then the user.",
						Command: "akresp eradicate " + b.keyID}})
				continue
			}
			if b.ownersCreated(c) {
				owned = append(owned, ownerCreatedRisk(c))
				continue
			}
			created = append(created, createdRisk{c: c, many: "%s created by the key are still active",
				manyDetail: "Still active now." + b.createdAfterDeleteNote(c),
				Risk: Risk{ID: "created-" + strings.ReplaceAll(c.Kind, "_", "-") + "-active", Level: RiskHigh,
					Title:   fmt.Sprintf("%s %s created by the key is still active", kindLabel(c.Kind), c.Name),
					Detail:  fmt.Sprintf("Created by %s from %s at %s. Now: %s.", c.Action, cmp.Or(c.SourceIP, "an unknown source"), c.CreatedAt.Format(time.RFC3339), cmp.Or(c.StateDetail, c.State)) + b.createdAfterDeleteNote(c),
					Command: cmp.Or(b.containCreatedCommand(c), b.eradicateCommand())}})
		case "contained":
			created = append(created, createdRisk{c: c, many: "%s created by the key still exist (denied)",
				manyDetail: "The deny-high-risk policy limits them, but they can still read. Delete them once the investigation no longer needs them.",
				Risk: Risk{ID: "created-" + strings.ReplaceAll(c.Kind, "_", "-") + "-contained", Level: RiskMedium,
					Title:   fmt.Sprintf("%s %s created by the key still exists (denied)", kindLabel(c.Kind), c.Name),
					Detail:  "The deny-high-risk policy limits it, but it can still read. Delete it once the investigation no longer needs it. " + c.StateDetail,
					Command: b.eradicateCommand()}})
		case "unknown":
			if b.ownersCreated(c) {
				// Offline too: a provisioning routine's thousands of
				// tenants must not bury the attacker's few.
				owned = append(owned, ownerCreatedRisk(c))
				continue
			}
			created = append(created, createdRisk{c: c, many: "%s created by the key: state not checked",
				manyDetail: "Check them by hand in the RAM console or re-run the report online.",
				Risk: Risk{ID: "created-unchecked", Level: RiskMedium,
					Title:  fmt.Sprintf("%s %s created by the key: state not checked", kindLabel(c.Kind), c.Name),
					Detail: "Check it by hand in the RAM console or re-run the report online. " + c.StateDetail}})
		}
	}
	for _, r := range groupCreatedRisks(append(created, owned...)) {
		b.risk(r)
	}

	if live != nil && live.OtherKeysKnown {
		var act []string
		// The rotation's own new key is the fix, not a second exposure.
		rotated := ""
		if b.in.Rotation != nil {
			rotated = b.in.Rotation.NewKeyID
		}
		for _, k := range live.OtherKeys {
			if k.Status == "Active" && !b.isCreatedKey(k.AccessKeyID) && k.AccessKeyID != rotated {
				act = append(act, k.AccessKeyID)
			}
		}
		if len(act) > 0 {
			b.risk(Risk{ID: "owner-other-keys", Level: RiskMedium, Title: fmt.Sprintf("%s has %d other active AccessKey(s)", cmp.Or(s.Owner, "The owner"), len(act)),
				Detail:  "The same user holds " + strings.Join(act, ", ") + ". The leak may have exposed them too (same repository, same host); audit each.",
				Command: "akresp audit " + act[0]})
		}
	}
	if live != nil && live.Console != nil && live.Console.HasLogin && !live.Console.MFAEnabled {
		b.risk(Risk{ID: "owner-no-mfa", Level: RiskHigh, Title: cmp.Or(s.Owner, "The owner") + " can sign in to the console without MFA",
			Detail:  "A console password without MFA lets whoever changed or learned it sign in. Require MFA at the next login.",
			Command: b.keyCommand("akresp contain " + id + " --require-mfa --yes")})
	}

	if calls, own := b.resourceCalls(); len(calls) > 0 {
		by := "The key"
		if b.anyFlagged {
			by = "The attacker's sources"
		}
		r := Risk{ID: "resource-charges", Level: RiskHigh, Title: "Resource-creating calls succeeded: check for charges",
			Detail: by + " created or started billable resources: " + strings.Join(calls, "; ") +
				"." + ownCallsNote(own) + " Find and release them in each region, and check the bill (Billing > Bills, or BSS QueryBill) for the incident window.",
			Command: b.eradicateCommand()}
		if r.Command != "" {
			r.Detail += " akresp eradicate stops the attacker's instances and removes what it opened (plan first with --dry-run)."
		}
		if e := b.in.Eradicate; e != nil && e.Stopped > 0 {
			// Stopped is not gone: "release them" must say which and how.
			r.Detail += fmt.Sprintf(" %d of the attacker's instances are stopped but not released: their disks (and any EIP bound to them) are still billed. akresp eradicate %s --release releases each once it has been stopped for the --observe period (default 24h)", e.Stopped, b.keyID)
			if !e.ReleaseFrom.IsZero() && e.ReleaseFrom.After(b.in.Now) {
				r.Detail += ": with the default, the first from " + upToSecond(e.ReleaseFrom)
			}
			r.Detail += "."
			if r.Command == "" {
				r.Command = "akresp eradicate " + b.keyID + " --release"
			}
		}
		if c := b.doc.Cost; c != nil && (c.Instances > 0 || c.Warning == "") {
			r.Detail += fmt.Sprintf(" Spend caused by the attacker so far: %.2f %s; ", c.SoFar, cmp.Or(c.Currency, "CNY"))
			if c.PerHour > 0 {
				r.Detail += fmt.Sprintf("per hour if nothing is stopped: %.2f %s.", c.PerHour, cmp.Or(c.Currency, "CNY"))
			} else {
				r.Detail += "none of the attacker's instances is running, so their compute accrues nothing more per hour."
			}
		}
		b.risk(r)
	}
	if e := b.in.Eradicate; e != nil && len(e.ByHand) > 0 {
		what := strings.Join(e.ByHand, "; ")
		if e.ByHandOmitted > 0 {
			what += fmt.Sprintf("; and %d more", e.ByHandOmitted)
		}
		b.risk(Risk{ID: "remove-by-hand", Level: RiskHigh, Title: fmt.Sprintf("%d resource(s) the attacker created must be removed by hand", len(e.ByHand)+e.ByHandOmitted),
			Detail:  "akresp eradicate does not remove these itself: " + what + ". Its plan names the event and the console for each.",
			Command: "akresp eradicate " + b.keyID + " --dry-run"})
	}
	if d, own := b.destructiveCalls(); len(d) > 0 {
		by := "The key"
		if b.anyFlagged {
			by = "The attacker's sources"
		}
		b.risk(Risk{ID: "destructive-calls", Level: RiskHigh, Title: "Destructive calls succeeded",
			Detail:  by + " deleted or stopped resources: " + strings.Join(d, "; ") + "." + ownCallsNote(own) + " Restore from snapshots or backups and check the dependent services.",
			Command: b.eradicateCommand()})
	}

	if rot := b.in.Rotation; rot != nil {
		switch {
		case b.rotationUnfinished():
			b.risk(Risk{ID: "rotation-unfinished", Level: RiskMedium, Title: "Rotation stopped at step " + string(rot.Step),
				Detail: "The old key is still active until the rotation disables it.", Command: "akresp rotate " + id})
		case rot.Step == rotate.StepRolledBack:
			b.risk(Risk{ID: "rotation-rolled-back", Level: RiskMedium, Title: "Rotation was rolled back",
				Detail:  "The old key was re-enabled after an application failed without it; find that application and rotate again.",
				Command: "akresp rotate " + id})
		case rot.Step == rotate.StepDisabled:
			b.risk(Risk{ID: "rotation-not-deleted", Level: RiskLow, Title: "Rotation: the old key is disabled, not yet deleted",
				Detail:  "The rotation watches for failures with the old key before it deletes it (a disabled key can be enabled again by anyone allowed to).",
				Command: "akresp rotate " + id + " --wait"})
		case rot.Step == rotate.StepVerified:
			b.risk(Risk{ID: "rotation-not-deleted", Level: RiskLow, Title: "Rotation: the old key is disabled, not yet deleted",
				Detail:  "Nothing failed with the old key for the observation period; its deletion is the rotation's last step (a disabled key can be enabled again by anyone allowed to).",
				Command: "akresp rotate " + id + " --delete"})
		}
		if rot.Pending != nil {
			b.risk(Risk{ID: "rotation-pending", Level: RiskMedium, Title: "Rotation has an unfinished call: " + rot.Pending.Action + " " + rot.Pending.Target,
				Detail: "Resume the rotation: it re-reads the live state.", Command: "akresp rotate " + id})
		}
	}
	for _, p := range b.pending {
		cmd := "akresp " + p.Command + " " + id
		if p.Command == cmdContainUndo {
			cmd = "akresp contain " + id + " --undo"
		}
		b.risk(Risk{ID: "journal-pending", Level: RiskMedium, Title: fmt.Sprintf("%s %s %s never recorded an outcome", p.Command, p.Action, p.Target),
			Detail:  fmt.Sprintf("Run %s stopped during the call; the change may or may not have happened.", p.RunID),
			Command: b.keyCommand(cmd)})
	}
	if b.keyGone() && b.in.Live != nil && b.in.Live.DenyPolicyAttached != nil && *b.in.Live.DenyPolicyAttached && b.r.Key.Owner != "" {
		pol := cmp.Or(b.in.Live.DenyPolicyName, DefaultDenyPolicyName)
		b.risk(Risk{ID: "deny-policy-left", Level: RiskLow, Title: "The deny-high-risk policy is still attached to " + b.r.Key.Owner,
			Detail: "The leaked key is deleted, so the plan's reason to keep " + pol + " on the user is gone; it also limits the user's other keys (the rotation's new key). " +
				"Detach it once the investigation no longer needs it (undo every contain run; the deleted key's network ACL went with it).",
			Command: "akresp contain " + b.r.Key.AccessKeyID + " --undo --all"})
	}
	if b.in.Live == nil && suspect {
		b.risk(Risk{ID: "offline", Level: RiskLow, Title: "Offline report: current state not checked",
			Detail: "Key status, network ACL, created identities and the owner's other keys were not read from the cloud. Re-run the report online."})
	}
	slices.SortStableFunc(b.doc.Risks, func(x, y Risk) int { return cmp.Compare(riskRank[x.Level], riskRank[y.Level]) })
}

// keyGone reports whether the key no longer exists (deleted, or the
// rotation deleted it): commands that act on it would be refused.
func (b *builder) keyGone() bool {
	s := b.doc.Summary
	if s.State == StateDeleted || s.KeyStatus == "Deleted" {
		return true
	}
	if rot := b.in.Rotation; rot != nil && rot.Step == rotate.StepDeleted {
		return true
	}
	return b.in.Incident != nil && !b.in.Incident.DeletedAt.IsZero()
}

// keyCommand returns cmd, or "" when the key it acts on is gone.
// containCommand fences the key to the sources the audit trusts. When the
// audit suggests none (no unflagged source before the onset, more than a
// network ACL holds, or a list that admits every address),
// --trusted-from-audit would be refused: the audit's own containment step
// is given instead (--deny-public, or the deny policy alone), without
// --yes, so that the operator sees its plan first; with no such step (no
// suspected leak), the audit, to choose the sources to allow.
func (b *builder) containCommand() string {
	id := b.keyID
	if len(b.r.Verdict.SuggestedTrustedCIDRs) > 0 {
		return "akresp contain " + id + " --trusted-from-audit --yes"
	}
	for _, s := range b.r.Verdict.NextSteps {
		if s.Command == "akresp contain "+id || strings.HasPrefix(s.Command, "akresp contain "+id+" ") {
			return s.Command
		}
	}
	return "akresp audit " + id
}

func (b *builder) keyCommand(cmd string) string {
	if b.keyGone() {
		return ""
	}
	return cmd
}

// strippedByEradicate reports whether eradicate's journal holds an ok
// outcome that took something from user (console login, a policy, a group)
// and none that deleted it.
func (b *builder) strippedByEradicate(user string) bool {
	stripped := false
	for _, a := range b.doc.Actions {
		if a.Command != "eradicate" || a.Target != user || a.Result != "ok" {
			continue
		}
		switch a.Action {
		case "delete-user":
			return false
		case "delete-login-profile", "user-policy", "group-member", "mfa-device":
			stripped = true
		}
	}
	return stripped
}

// containCreatedCommand is what to run about one active created identity:
// contain --contain-created while the leaked key exists; once it is gone,
// disable a created key directly, and nothing akresp can run for a user.
// contain --contain-created acts on users (deny policy) and keys (disable)
// only: a console login, a policy attachment or a role is eradicate's
// (when planning it found it; after --contain-created it was suggested
// again for a login it leaves in place).
func (b *builder) containCreatedCommand(c CreatedIdentity) string {
	if c.Kind != audit.KindUser && c.Kind != audit.KindAccessKey {
		return b.eradicateCommand()
	}
	if !b.keyGone() {
		return "akresp contain " + b.keyID + " --contain-created --yes"
	}
	if c.Kind == audit.KindAccessKey {
		return "akresp disable " + c.Name + " --yes"
	}
	return ""
}

func (b *builder) createdAfterDeleteNote(c CreatedIdentity) string {
	if !b.keyGone() || c.Kind == audit.KindAccessKey {
		return ""
	}
	if b.eradicateCommand() != "" {
		return " The leaked key is deleted, so contain --contain-created cannot reach it any more: akresp eradicate removes it (its login, policies and keys first), after saving what the investigation needs."
	}
	return " The leaked key is deleted, so contain --contain-created cannot reach it any more: remove it in the RAM console (or with aliyun ram), after saving what the investigation needs."
}

// eradicateCommand is `akresp eradicate <key> --yes` when planning it now
// (online, by the CLI) found changes to make; "" otherwise: the command
// would do nothing, or its state is unknown (offline).
func (b *builder) eradicateCommand() string {
	if e := b.in.Eradicate; e != nil && e.Changes > 0 {
		return "akresp eradicate " + b.keyID + " --yes"
	}
	return ""
}

func (b *builder) isCreatedKey(id string) bool {
	for _, c := range b.r.Created {
		if c.Kind == audit.KindAccessKey && c.Name == id {
			return true
		}
	}
	return false
}

// createdRisk is the risk of one identity the key created, with what a
// group of them says (many: a title format for "<count> <kinds>").
type createdRisk struct {
	Risk
	c          CreatedIdentity
	many       string
	manyDetail string
}

// maxCreatedRisks is how many identities of one kind of risk are listed
// one by one: a key that provisioned thousands of users made a report of
// thousands of risks. Beyond it they are one risk with the count, the
// first names, their sources and times (created_identities lists each).
const maxCreatedRisks = 10

// groupCreatedRisks keeps up to maxCreatedRisks risks of one ID as they
// are and folds a larger group into one, in the order the IDs first came.
func groupCreatedRisks(rs []createdRisk) []Risk {
	byID := map[string][]createdRisk{}
	var order []string
	for _, r := range rs {
		if _, ok := byID[r.ID]; !ok {
			order = append(order, r.ID)
		}
		byID[r.ID] = append(byID[r.ID], r)
	}
	var out []Risk
	for _, id := range order {
		g := byID[id]
		if len(g) <= maxCreatedRisks {
			for _, r := range g {
				out = append(out, r.Risk)
			}
			continue
		}
		out = append(out, foldCreatedRisks(g))
	}
	return out
}

// foldCreatedRisks is one risk for a group of identities with the same
// risk: its count by kind, the first names, the sources and times they
// were created from and at, and the command when they share one.
func foldCreatedRisks(g []createdRisk) Risk {
	kinds := map[string]int{}
	var kindOrder, names, ips []string
	first, last := g[0].c.CreatedAt, g[0].c.CreatedAt
	command := g[0].Command
	for _, r := range g {
		if kinds[r.c.Kind] == 0 {
			kindOrder = append(kindOrder, r.c.Kind)
		}
		kinds[r.c.Kind]++
		if len(names) < maxCreatedRisks {
			names = append(names, r.c.Name)
		}
		if ip := r.c.SourceIP; ip != "" && !slices.Contains(ips, ip) && len(ips) < 4 {
			ips = append(ips, ip)
		}
		if r.c.CreatedAt.Before(first) {
			first = r.c.CreatedAt
		}
		if r.c.CreatedAt.After(last) {
			last = r.c.CreatedAt
		}
		if r.Command != command {
			command = ""
		}
	}
	what := fmt.Sprintf("%d identities", len(g))
	if len(kindOrder) == 1 {
		what = kindCount(kindOrder[0], len(g))
	}
	r := g[0].Risk
	r.Title = fmt.Sprintf(g[0].many, what)
	if len(kindOrder) > 1 {
		var parts []string
		for _, k := range kindOrder {
			parts = append(parts, kindCount(k, kinds[k]))
		}
		r.Title += " (" + strings.Join(parts, ", ") + ")"
	}
	detail := fmt.Sprintf("%s and %d more (created_identities lists each), created between %s and %s",
		strings.Join(names, ", "), len(g)-len(names), first.Format(time.RFC3339), last.Format(time.RFC3339))
	if len(ips) > 0 {
		detail += " from " + strings.Join(ips, ", ")
		if len(ips) == 4 {
			detail += " and others"
		}
	}
	r.Detail = detail + ". " + g[0].manyDetail
	if command == "" && g[0].Command != "" {
		r.Detail += " One command per identity, for example: " + g[0].Command + "."
	}
	r.Command = command
	return r
}

// kindCount is "3 users", "1 AccessKey", "2 console logins".
func kindCount(k string, n int) string {
	label := map[string]string{
		audit.KindUser: "user", audit.KindAccessKey: "AccessKey", audit.KindLoginProfile: "console login",
		audit.KindRole: "role", audit.KindPolicyAttachment: "policy attachment",
	}[k]
	if label == "" {
		label = strings.ReplaceAll(k, "_", " ")
	}
	if n != 1 {
		label += "s"
	}
	return fmt.Sprintf("%d %s", n, label)
}

func kindLabel(k string) string {
	switch k {
	case audit.KindUser:
		return "User"
	case audit.KindAccessKey:
		return "AccessKey"
	case audit.KindLoginProfile:
		return "Console login of"
	case audit.KindRole:
		return "Role"
	case audit.KindPolicyAttachment:
		return "Policy attachment"
	}
	return k
}

func (b *builder) recommendations() {
	s := b.doc.Summary
	id := b.keyID
	if s.State != StateRotated && s.State != StateDeleted {
		if s.OwnerType == "root-account" {
			b.rec(Recommendation{ID: "retire-root-key", Title: "Retire the root-account key",
				Detail:  "Root-account keys cannot be limited by RAM policies. Create a RAM user (or better, a role) for the workload, move it over, then disable and delete this key.",
				Command: "akresp disable " + id})
		} else {
			b.rec(Recommendation{ID: "rotate", Title: "Rotate the key",
				Detail:  "Create the replacement, hand its secret to the application, wait for cut-over, then disable and delete the old key (resumable).",
				Command: "akresp rotate " + id})
		}
	}
	if len(b.doc.Created) > 0 {
		var names, keys []string // keys: the created AccessKeys' disable commands
		for _, c := range b.doc.Created {
			if c.State != "deleted" && c.State != "detached" {
				names = append(names, kindLabel(c.Kind)+" "+c.Name)
				if c.Kind == audit.KindAccessKey {
					keys = append(keys, "akresp disable "+c.Name)
				}
			}
		}
		if len(names) > 0 {
			rc := Recommendation{ID: "remove-persistence", Title: "Remove the persistence the attacker created",
				Detail:  "Deny and disable first (keeps the evidence), delete once the investigation is closed: " + strings.Join(names, ", ") + ".",
				Command: b.keyCommand("akresp contain " + id + " --contain-created --yes")}
			if rc.Command == "" {
				if rc.Command = b.eradicateCommand(); rc.Command != "" {
					rc.Detail += " The leaked key is deleted, so contain --contain-created cannot run from it any more: akresp eradicate removes them (plan first with --dry-run)."
				} else {
					rc.Detail += " The leaked key is deleted, so contain --contain-created cannot run from it any more: "
					if len(keys) > 0 {
						rc.Detail += "disable the created keys (" + strings.Join(keys, "; ") + "), and delete the created users in the RAM console."
					} else {
						rc.Detail += "delete the created users in the RAM console."
					}
				}
			}
			b.rec(rc)
		}
	}
	if l := b.in.Live; l != nil && l.Console != nil && l.Console.HasLogin && !l.Console.MFAEnabled {
		b.rec(Recommendation{ID: "require-mfa", Title: "Require MFA for " + s.Owner,
			Detail: "Bind an MFA device at the next console login, and review the account's password and MFA policy (RAM > Security settings).", Command: b.keyCommand("akresp contain " + id + " --require-mfa --yes")})
	}
	b.leakRecommendation()
	if calls, _ := b.resourceCalls(); len(calls) > 0 {
		b.rec(Recommendation{ID: "check-charges", Title: "Check the bill for resources the attacker started",
			Detail: "Look in every region the calls name (" + strings.Join(calls, "; ") + ") and release what you did not start; open a ticket with Alibaba Cloud support about fraudulent charges."})
	}
	if l := b.in.Live; l != nil && l.OtherKeysKnown {
		for _, k := range l.OtherKeys {
			if k.Status == "Active" && !b.isCreatedKey(k.AccessKeyID) && (b.in.Rotation == nil || k.AccessKeyID != b.in.Rotation.NewKeyID) {
				b.rec(Recommendation{ID: "audit-" + k.AccessKeyID, Title: "Audit the owner's other key " + k.AccessKeyID,
					Detail: "It belongs to the same user and was likely stored next to the leaked one.", Command: "akresp audit " + k.AccessKeyID})
			}
		}
	}
	if b.doc.STS = b.stsPlan(); b.doc.STS != nil {
		b.rec(Recommendation{ID: "move-to-sts", Title: "Move the workload to STS tokens (role " + b.doc.STS.RoleName + ")",
			Detail: "Short-lived tokens from a RAM role leave no long-lived secret to leak. The steps, trust policies and credentials-go settings are in the STS migration section."})
	}
	trailOnly := true
	for _, src := range b.r.Window.Sources {
		if !strings.HasPrefix(src, audit.OriginLookup) {
			trailOnly = false
		}
	}
	if trailOnly {
		b.rec(Recommendation{ID: "keep-trails", Title: "Keep events longer than 90 days",
			Detail: "This report read ActionTrail's event history, which keeps 90 days. Create a trail that delivers to OSS or Simple Log Service so a later investigation still has the events."})
	}
	if b.doc.Evidence != nil || b.nEvents > 0 {
		b.rec(Recommendation{ID: "preserve-evidence", Title: "Preserve the evidence",
			Detail: "Store the evidence file and its SHA-256 with the incident ticket; the checksum shows it was not changed afterwards."})
	}
}

// stsPlan builds the STS migration for a RAM user's key.
func (b *builder) stsPlan() *STSPlan {
	s := b.doc.Summary
	if s.OwnerType != "ram-user" || s.Owner == "" {
		return nil
	}
	acct := cmp.Or(s.AccountID, "<account-id>")
	role := roleName(s.Owner)
	arn := "acs:ram::" + acct + ":role/" + role
	p := &STSPlan{User: s.Owner, RoleName: role, RoleArn: arn, Policies: []string{}}
	denyName := DefaultDenyPolicyName
	if l := b.in.Live; l != nil {
		denyName = cmp.Or(l.DenyPolicyName, denyName)
		for _, ap := range l.AttachedPolicies {
			if ap.Name == denyName {
				continue // akresp's containment, not the workload's
			}
			p.Policies = append(p.Policies, ap.Type+":"+ap.Name)
		}
	}
	slices.Sort(p.Policies)
	p.TrustECS = `{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": { "Service": ["ecs.aliyuncs.com"] }
    }
  ]
}`
	p.TrustAccount = policy.DocText(fmt.Sprintf(`{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": { "RAM": ["acs:ram::%s:root"] }
    }
  ]
}`, acct))
	p.AssumePolicy = policy.DocText(fmt.Sprintf(`{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Resource": "%s"
    }
  ]
}`, arn))
	p.Credentials = STSCredCfg{
		ECSRAMRole: fmt.Sprintf(`credentials.NewCredential(new(credentials.Config).SetType("ecs_ram_role").SetRoleName(%q))`, role),
		RAMRoleArn: fmt.Sprintf(`credentials.NewCredential(new(credentials.Config).SetType("ram_role_arn").SetRoleArn(%q).SetRoleSessionName(%q).SetAccessKeyId(<assume-only key id>).SetAccessKeySecret(<from your secret store>))`, arn, role),
	}
	policyDetail := "The role gets what the user has now."
	if len(p.Policies) == 0 {
		policyDetail = "The user's policies were not read (offline); list them with: aliyun ram ListPoliciesForUser --UserName " + shellQuote(s.Owner) + "."
	}
	for _, ap := range p.Policies {
		if strings.HasSuffix(ap, ":AdministratorAccess") {
			policyDetail += " AdministratorAccess is far more than a workload needs: grant only the services it used (" + strings.Join(b.usedServices(), ", ") + ")."
			break
		}
	}
	attach := []string{}
	for _, ap := range p.Policies {
		typ, name, _ := strings.Cut(ap, ":")
		attach = append(attach, fmt.Sprintf("aliyun ram AttachPolicyToRole --PolicyType %s --PolicyName %s --RoleName %s", shellQuote(typ), shellQuote(name), role))
	}
	p.Steps = []STSStep{
		{Title: "Create the RAM role " + role + " with a trust policy",
			Detail: "Use the ECS trust policy when the workload runs on ECS (an instance RAM role); otherwise the account trust policy, which lets identities of the account that hold sts:AssumeRole on the role assume it.",
			Command: fmt.Sprintf("aliyun ram CreateRole --RoleName %s --Description %s --AssumeRolePolicyDocument \"$(cat trust-policy.json)\"",
				role, shellQuote("workload of "+s.Owner+", replaces AccessKey "+b.keyID))},
		{Title: "Attach the user's current policies to the role", Detail: policyDetail, Command: strings.Join(attach, "\n")},
		{Title: "Let the workload assume the role",
			Detail:  "On ECS, attach the role to the instances. Elsewhere, attach the assume-role policy to the identity the workload keeps (a RAM user whose only permission is sts:AssumeRole on this role).",
			Command: fmt.Sprintf("aliyun ecs AttachInstanceRamRole --RegionId <region> --InstanceIds '[\"<instance-id>\"]' --RamRoleName %s", role)},
		{Title: "Switch the application to credentials-go's role providers",
			Detail: "ECS RAM role provider (ecs_ram_role) on ECS, ram_role_arn elsewhere; both refresh STS tokens before they expire. With the default chain, set ALIBABA_CLOUD_ECS_METADATA=" + role + " (ECS) or ALIBABA_CLOUD_ROLE_ARN=" + arn + " and ALIBABA_CLOUD_ROLE_SESSION_NAME."},
		retireStep(b),
	}
	return p
}

func (b *builder) usedServices() []string {
	var out []string
	for _, s := range b.r.Services {
		out = append(out, s.Service)
	}
	if len(out) == 0 {
		out = slices.Clone(b.r.Key.UsedServices)
	}
	if len(out) == 0 {
		return []string{"see the services section"}
	}
	return out
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_.:/@,=+ (values from the cloud go into commands
// people copy).
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/@,=+", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// roleName derives the role name <user>-app within RAM's rules (letters,
// digits, '.', '-', at most 64 characters).
func roleName(user string) string {
	var sb strings.Builder
	for _, r := range user {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			sb.WriteRune(r)
		default:
			sb.WriteByte('-')
		}
	}
	n := sb.String()
	if len(n) > 60 {
		n = n[:60]
	}
	return n + "-app"
}

func (b *builder) diagnostics() {
	for _, d := range b.r.Diagnostics {
		b.doc.Diagnostics = append(b.doc.Diagnostics, Diagnostic{Level: d.Level, Source: "audit: " + d.Source, Summary: d.Summary, Detail: d.Detail})
	}
	for _, w := range b.in.JournalWarnings {
		b.doc.Diagnostics = append(b.doc.Diagnostics, Diagnostic{Level: "warning", Source: "journal", Summary: w})
	}
	if l := b.in.Live; l != nil {
		b.doc.Diagnostics = append(b.doc.Diagnostics, l.Problems...)
	}
	b.doc.Diagnostics = append(b.doc.Diagnostics, b.in.Diagnostics...)
}

// retireStep is the STS migration's last step: retire the AccessKey the
// workload uses now. Once the leaked key is deleted that is the rotation's
// new key, when there is one; with neither, nothing is left to retire.
func retireStep(b *builder) STSStep {
	key := b.keyID
	if b.keyGone() {
		key = ""
		if rot := b.in.Rotation; rot != nil && rot.NewKeyID != "" && !rot.NewKeyGone {
			key = rot.NewKeyID
		}
	}
	if key == "" {
		return STSStep{Title: "Nothing left to retire", Detail: "The leaked key is deleted and no rotation key replaced it."}
	}
	what := "the key"
	if key != b.keyID {
		what = "the rotation's new key " + key + ", which the workload uses now,"
	}
	return STSStep{Title: "Confirm the old key is no longer used, then delete it",
		Detail:  "When the audit shows no calls with " + what + " after the switch, disable it, wait a day, then delete it.",
		Command: "akresp audit " + key + " --since 24h\nakresp disable " + key + " --yes\nakresp disable " + key + " --delete --yes"}
}

// leakRecommendation: a pending Security Center leak record is marked
// handled once the incident record shows the key contained, disabled or
// deleted (or the cloud no longer lists it) - the same rule `akresp leaks
// resolve` applies, so the command is shown only when it would run.
func (b *builder) leakRecommendation() {
	var pending []LeakRecord
	for _, l := range b.doc.Summary.LeakRecords {
		if l.Status != "handled" {
			pending = append(pending, l)
		}
	}
	if len(pending) == 0 {
		return
	}
	rec := b.in.Incident
	resolvable := rec != nil && (rec.IsContained() || !rec.DisabledAt.IsZero() || !rec.DeletedAt.IsZero())
	if l := b.in.Live; l != nil && l.KeyStatus == "Deleted" {
		resolvable = true
	}
	r := Recommendation{ID: "resolve-leak-record", Title: "Mark the Security Center leak record handled",
		Detail: pending[0].Line + "."}
	if resolvable {
		r.Detail += " The key is contained, disabled or deleted: mark the record handled so the console stops listing it."
		r.Command = "akresp leaks resolve " + b.keyID + " --yes"
	} else {
		r.Detail += " Contain, disable or delete the key first; akresp leaks resolve refuses until then."
	}
	b.rec(r)
}

// rotationUnfinished reports a rotation between creating the new key and
// disabling the old one.
func (b *builder) rotationUnfinished() bool {
	rot := b.in.Rotation
	if rot == nil {
		return false
	}
	switch rot.Step {
	case rotate.StepCreating, rotate.StepCreated, rotate.StepHandedOver, rotate.StepCutOver:
		return true
	}
	return false
}

// upToSecond formats t in whole seconds rounded up (never before t), as
// eradicate's own next steps name the same times.
func upToSecond(t time.Time) string {
	return t.UTC().Add(time.Second - 1).Truncate(time.Second).Format(time.RFC3339)
}

// ownersCreated reports whether c was made from a source of the key's own
// while another source is the attacker's: the owners' to confirm, not to
// contain.
func (b *builder) ownersCreated(c CreatedIdentity) bool {
	return !c.Attacker && len(b.doc.Summary.AttackerIPs) > 0
}

// ownerCreatedRisk is the risk of an identity the owners' source created.
func ownerCreatedRisk(c CreatedIdentity) createdRisk {
	return createdRisk{c: c, many: "%s created with the key from its own sources: confirm they are yours",
		manyDetail: "They were made from the key's own sources (known before the incident, or trusted; not counted as the attacker's); contain --contain-created and eradicate leave them alone. If one is not your own, disable or delete it by hand.",
		Risk: Risk{ID: "created-by-owner", Level: RiskMedium,
			Title: fmt.Sprintf("%s %s created with the key from its own source %s: confirm it is yours", kindLabel(c.Kind), c.Name, cmp.Or(c.SourceIP, "(unknown)")),
			Detail: fmt.Sprintf("Created by %s from %s at %s, one of the key's own sources (known before the incident, or trusted; not counted as the attacker's). Now: %s. contain --contain-created and eradicate leave it alone; if it is not your own, disable or delete it by hand.",
				c.Action, cmp.Or(c.SourceIP, "an unknown source"), c.CreatedAt.Format(time.RFC3339), cmp.Or(c.StateDetail, c.State))}}
}
