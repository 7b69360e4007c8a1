package audit

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/policy"
)

// The verdict answers "disable, rotate or contain?":
//
//   - suspected_leak: a high or critical finding (other than CTX-01, which
//     says what kind of key this is, not what happened to it), or a medium
//     finding with evidence from a new or untrusted source, or any use
//     after LeakTime from such a source.
//   - idle: no events in the window, and the key was never used or last
//     used (Options.Facts.LastUsed) more than IdleDays ago.
//   - in_use: everything else.
//
// Next steps follow Alibaba's response plan: contain a leaked key that is
// in use (network ACL to the suggested trusted sources + deny high-risk
// policy), disable what the attacker created, write the report, then rotate
// (legitimate users exist) or disable (none found). An idle key is disabled;
// an old key in normal use is rotated.

// postureRules describe the key rather than an incident; alone they do not
// make a leak.
var postureRules = map[string]bool{"CTX-01": true}

// maxDisableSteps bounds the "akresp disable" steps suggested for the
// AccessKeys the leaked key created; beyond it one eradicate step covers
// them all.
const maxDisableSteps = 5

// footholdRules are the findings of changes eradicate reverts beyond the
// created identities (docs/eradicate.md), with what the step says of them.
var footholdRules = []struct{ id, what string }{
	{"COST-01", "launched instances"},
	{"EVADE-05", "opened security-group rules"},
	{"PERS-07", "added instance login keys"},
	{"PRIV-02", "rewrote policies"},
	{"PRIV-03", "created or changed roles"},
	{"EXEC-01", "ran Cloud Assistant commands"},
}

// foothold says what the attacker left that eradicate removes: the
// identities the attacker's sources created or changed with the key
// (CreatedIdentity.Attacker: eradicate leaves the owners' alone; keys
// beyond the disable steps, nkeys in all), and the changes of
// footholdRules' findings when at least one attempt from a suspect source
// succeeded. Empty: no eradicate step.
func (e *Engine) foothold(r *Result, nkeys int, suspectIP map[string]bool) []string {
	var out []string
	var users []string
	kinds := map[string]int{}
	for _, c := range r.Created {
		if !c.Attacker {
			continue
		}
		if c.Kind == KindUser {
			users = append(users, c.Name)
		}
		kinds[c.Kind]++
	}
	switch {
	case len(users) == 1:
		out = append(out, "created RAM user "+users[0])
	case len(users) > 1:
		out = append(out, fmt.Sprintf("created %d RAM users", len(users)))
	}
	for _, k := range []struct{ kind, one, many string }{
		{KindLoginProfile, "set a console login", "set %d console logins"},
		{KindPolicyAttachment, "attached a policy", "attached %d policies"},
		{KindRole, "created a role", "created %d roles"},
	} {
		switch n := kinds[k.kind]; {
		case n == 1:
			out = append(out, k.one)
		case n > 1:
			out = append(out, fmt.Sprintf(k.many, n))
		}
	}
	if nkeys > maxDisableSteps {
		// Thousands of keys are not disabled one command at a time, and
		// the first few alone would read as all there is.
		out = append(out, fmt.Sprintf("created %d AccessKeys, %d more than the ones above (all under created_identities)", nkeys, nkeys-maxDisableSteps))
	}
	for _, fr := range footholdRules {
		if e.refused[fr.id] {
			continue
		}
		if i := slices.IndexFunc(r.Findings, func(f Finding) bool {
			return f.ID == fr.id && slices.ContainsFunc(f.IPs, func(ip string) bool { return suspectIP[ip] })
		}); i >= 0 {
			out = append(out, fr.what)
		}
	}
	return out
}

func (e *Engine) verdict(r *Result, bl *baselineInfo) Verdict {
	e.suggested = e.suggestTrusted(bl)
	return e.verdictWith(r, e.suggested)
}

// verdictWith is verdict with the trusted sources already suggested.
func (e *Engine) verdictWith(r *Result, suggested []string) Verdict {
	v := Verdict{Severity: r.MaxSeverity(), Reasons: []string{}, SuggestedTrustedCIDRs: slices.Clone(suggested), NextSteps: []NextStep{}}
	// A "trusted" list that admits every IPv4 or IPv6 address (for example
	// --trusted-cidr 0.0.0.0/0, or its halves) fences nothing in: it is
	// never suggested as a fence (contain would refuse it anyway).
	noFence := ""
	if c := policy.ListCoverage(v.SuggestedTrustedCIDRs); c.Open() {
		noFence = fmt.Sprintf("the trusted sources %s cover %s, so they are not suggested as a network ACL: such a fence admits every attacker address", strings.Join(v.SuggestedTrustedCIDRs, ","), c)
		v.SuggestedTrustedCIDRs = []string{}
	}
	// More trusted sources than a network ACL holds: a suggested fence
	// would not run (contain refuses it), and choosing which to leave out,
	// or how to widen them, is the operator's call.
	tooMany := 0
	if n := len(v.SuggestedTrustedCIDRs); n > policy.MaxACLEntries {
		tooMany = n
		noFence = fmt.Sprintf("%d sources used the key before the suspicious activity, more than the %d entries a network ACL holds, so none is suggested as a fence: fence the key with --allow-ip and at most %d CIDRs that cover the networks you know", n, policy.MaxACLEntries, policy.MaxACLEntries)
		v.SuggestedTrustedCIDRs = []string{}
	}
	suspectIP := map[string]bool{}
	for _, ip := range e.ipList {
		if (ip.n > 0 || ip.overflow) && !ip.internal && (ip.isNew || ip.untrusted) {
			suspectIP[ip.text] = true
		}
	}
	var triggers []Finding
	for _, f := range r.Findings {
		switch {
		case postureRules[f.ID]:
		case f.Severity >= High:
			triggers = append(triggers, f)
		case f.Severity == Medium:
			for _, ip := range f.IPs {
				if suspectIP[ip] {
					triggers = append(triggers, f)
					break
				}
			}
		}
	}
	now := e.opts.Now
	facts := r.Key
	switch {
	case len(triggers) > 0:
		v.Status = StatusSuspectedLeak
	case e.events == 0 && (facts.LastUsed.IsZero() || now.Sub(facts.LastUsed) > time.Duration(e.opts.IdleDays)*24*time.Hour):
		v.Status = StatusIdle
	default:
		v.Status = StatusInUse
	}

	id := r.Key.AccessKeyID
	if id == "" {
		id = "<AK-ID>"
	}
	root := facts.OwnerType == "root-account"
	for _, f := range r.Findings {
		root = root || f.ID == "CTX-01"
	}
	cidrs := strings.Join(v.SuggestedTrustedCIDRs, ",")

	switch v.Status {
	case StatusSuspectedLeak:
		var srcs, owners []string
		for _, ip := range e.sortedSources() {
			switch {
			case ip.attacker():
				srcs = append(srcs, ip.text)
			case ip.flagged && ip.isIP && !ip.trusted && !coveredBy(ip.addr, v.SuggestedTrustedCIDRs):
				// Known, flagged for a sensitive write only, and left out
				// of the fence suggested (not inside a trusted block).
				owners = append(owners, ip.text)
			}
		}
		first, _ := r.FirstSuspicious() // the attacker's first call, not an owner's finding
		v.Summary = fmt.Sprintf("Suspected leak: %s", countBySeverity(r.Findings))
		if len(srcs) > 0 {
			v.Summary += " from " + listSome(srcs, 3)
		}
		if !first.IsZero() {
			v.Summary += " since " + first.UTC().Format(time.RFC3339)
		}
		v.Summary += "."
		for i, f := range triggers {
			if i == 5 {
				v.MoreFindings = len(triggers) - 5
				break
			}
			v.Reasons = append(v.Reasons, reasonLine(f))
		}
		why := "fence the key to the sources that used it before the suspicious activity and deny high-risk actions; --trusted-from-audit takes this list from the audit"
		if len(owners) > 0 {
			// Known sources are left out of the fence for a sensitive
			// write: say so, the responder may know it was their own.
			them := "them"
			if len(owners) == 1 {
				them = "it"
			}
			why += fmt.Sprintf("; it leaves out %s, which used the key before but made sensitive writes since: add %s to --allow-ip if those were your own", listSome(owners, 3), them)
		}
		if kept := routineKept(e.criticalRoutine(), v.SuggestedTrustedCIDRs); len(kept) > 0 {
			why += fmt.Sprintf("; it keeps %s, whose critical operations recur as the key's routine: leave them out of --allow-ip unless they are yours", listSome(kept, 3))
		}
		switch {
		case tooMany > 0 && root:
			// A root key takes no RAM policy: contain without a fence
			// would change nothing. Blocking public use is the one
			// containment that runs as suggested.
			v.NextSteps = append(v.NextSteps, NextStep{
				Command: "akresp contain " + id + " --deny-public",
				Why:     fmt.Sprintf("block every public use of the key now (access from VPCs stays); %d sources used it before, more than a network ACL's %d entries, so none can be fenced in as suggested: to keep your own networks, use --allow-ip with at most %d CIDRs that cover them instead", tooMany, policy.MaxACLEntries, policy.MaxACLEntries),
			})
		case tooMany > 0:
			v.NextSteps = append(v.NextSteps, NextStep{
				Command: "akresp contain " + id,
				Why:     fmt.Sprintf("deny high-risk actions now; %d sources used the key before, more than a network ACL's %d entries: add --allow-ip with CIDRs that cover your own networks to fence it", tooMany, policy.MaxACLEntries),
			})
		case cidrs == "":
			v.NextSteps = append(v.NextSteps, NextStep{
				Command: "akresp contain " + id + " --deny-public",
				Why:     "no source can be trusted: block every public use of the key and deny high-risk actions",
			})
		default:
			v.NextSteps = append(v.NextSteps, NextStep{Command: "akresp contain " + id + " --allow-ip " + cidrs, Why: why})
		}
		if root {
			v.NextSteps[0].Why += "; this is a root-account key: RAM policies cannot attach to it, so only the network ACL applies"
		}
		// The attacker's keys first (the owners' own, from a known source,
		// are theirs to judge: a provisioning key's tenants must not hide
		// the back door), in creation order.
		var keys []CreatedIdentity
		nAttacker := 0
		for _, c := range r.Created {
			if c.Kind == KindAccessKey && c.Name != "" && c.Name != id {
				keys = append(keys, c)
				nAttacker += b2i(c.Attacker)
			}
		}
		slices.SortStableFunc(keys, func(a, b CreatedIdentity) int { return b2i(b.Attacker) - b2i(a.Attacker) })
		if len(keys) > maxDisableSteps {
			// The owners' keys only when all of them fit: a few of a
			// provisioning routine's thousands tell nothing.
			keys = keys[:min(nAttacker, maxDisableSteps)]
		}
		for _, c := range keys {
			owner := c.User
			if owner == "" {
				owner = "the key's own user"
			}
			why := "the leaked key created this AccessKey for " + owner + " (" + c.Action + ")" + beforeUsed
			if a := e.ips[c.Event.SourceIP]; !c.Attacker && a != nil && a.n > 0 && !a.overflow && !a.internal && !a.isNew {
				// What the follow does not count as an attacker chain
				// (the owners' own administration from a source of the
				// baseline) is not presented as one.
				why = "the leaked key created this AccessKey for " + owner + " (" + c.Action + ") from " + a.text +
					", a source that used the key before the suspicious activity: ask the key's owner before disabling it"
			}
			v.NextSteps = append(v.NextSteps, NextStep{Command: "akresp disable " + c.Name, Why: why})
		}
		if foothold := e.foothold(r, nAttacker, suspectIP); len(foothold) > 0 {
			how := ""
			if slices.Contains(foothold, "launched instances") {
				how = " (instances are stopped, released only with --release)"
			}
			v.NextSteps = append(v.NextSteps, NextStep{Command: "akresp eradicate " + id,
				Why: "the leaked key " + joinAnd(foothold) + ": eradicate removes or reverts each of them" + how + "; it shows its plan and asks first"})
		}
		v.NextSteps = append(v.NextSteps, NextStep{Command: "akresp report " + id, Why: "write the incident report: timeline, sources, persistence and actions taken"})
		if e.knownSources() > 0 || len(e.trustedPrefixes()) > 0 {
			v.NextSteps = append(v.NextSteps, NextStep{Command: "akresp rotate " + id, Why: "legitimate sources still use the key: give them a new key, then disable this one"})
		} else {
			v.NextSteps = append(v.NextSteps, NextStep{Command: "akresp disable " + id, Why: "no legitimate use was identified: disable the key"})
		}
	case StatusIdle:
		if facts.LastUsed.IsZero() {
			v.Summary = "Idle: no events in the window and no recorded use."
			v.Reasons = append(v.Reasons, "no events in the analysed window", "no last-used record (GetAccessKeyLastUsed*)")
		} else {
			days := int(now.Sub(facts.LastUsed) / (24 * time.Hour))
			v.Summary = fmt.Sprintf("Idle: last used %s (%d days ago).", facts.LastUsed.UTC().Format(time.RFC3339), days)
			v.Reasons = append(v.Reasons, "no events in the analysed window", fmt.Sprintf("last used %d days ago, more than %d", days, e.opts.IdleDays))
		}
		v.NextSteps = append(v.NextSteps, NextStep{Command: "akresp disable " + id, Why: "nothing uses the key: disabling it removes the risk and can be undone"})
	default:
		routine := e.criticalRoutine()
		if e.events == 0 {
			v.Summary = fmt.Sprintf("In use: no events in the window, but last used %s.", facts.LastUsed.UTC().Format(time.RFC3339))
			v.Reasons = append(v.Reasons, "GetAccessKeyLastUsed* reports recent use that the analysed events do not show")
		} else {
			v.Summary = fmt.Sprintf("In use: %d events from %d sources; no sign of abuse.", e.events, e.activeSources())
			v.Reasons = append(v.Reasons, "no high or critical finding, and no medium finding from a new or untrusted source")
			if len(routine) > 0 {
				// Not "no sign of abuse" when the key's routine holds
				// critical operations from public networks nobody
				// vouched for: the audit cannot tell them apart.
				var names []string
				for _, n := range routine {
					names = append(names, n.name)
				}
				v.Summary = fmt.Sprintf("In use: %d events from %d sources; no new activity, but critical operations from %s recur as the key's routine: confirm they are yours.", e.events, e.activeSources(), listSome(names, 3))
				v.Reasons = append(v.Reasons, fmt.Sprintf("critical operations judged routine from %s (see the caveats): if one is not yours, audit again with --trusted-cidr naming your networks", plural(len(routine), "public network")))
			}
			if r.MaxSeverity() >= Low && len(r.Findings) > 0 {
				v.Reasons = append(v.Reasons, fmt.Sprintf("%s to review", countBySeverity(r.Findings)))
			}
		}
		if facts.AgeDays > e.opts.MaxKeyAgeDays {
			v.NextSteps = append(v.NextSteps, NextStep{Command: "akresp rotate " + id, Why: fmt.Sprintf("the key is %d days old (more than %d): rotate it", facts.AgeDays, e.opts.MaxKeyAgeDays)})
		}
		if cidrs != "" {
			why := "optional hardening: restrict the key to the sources that use it"
			if kept := routineKept(routine, v.SuggestedTrustedCIDRs); len(kept) > 0 {
				why += fmt.Sprintf(", once you have confirmed that %s, whose critical operations recur as the key's routine, are yours (leave them out of --allow-ip if not)", listSome(kept, 3))
			}
			v.NextSteps = append(v.NextSteps, NextStep{Command: "akresp contain " + id + " --allow-ip " + cidrs, Why: why})
		}
	}
	if root {
		v.Reasons = append(v.Reasons, "root-account key (CTX-01): replace it with a RAM user's key")
	}
	if strings.EqualFold(facts.Status, "Inactive") {
		v.Reasons = append(v.Reasons, "the key is already disabled (Inactive)")
	}
	if noFence != "" {
		v.Reasons = append(v.Reasons, noFence)
	}
	if by := e.opts.CreatedBy; by != "" {
		var ips []string
		for _, a := range e.opts.KnownAttackers {
			ips = append(ips, a.String())
		}
		v.Reasons = append(v.Reasons, fmt.Sprintf("the key was created from the sources the incident of %s flags as the attacker (%s): they count as this key's attacker too", by, listSome(ips, 3)))
		first := []NextStep{{Command: "akresp eradicate " + by,
			Why: "this key belongs to the incident of " + by + ", whose attacker created it: eradicate removes what that attacker created, this key included (it shows its plan first)"}}
		if !strings.EqualFold(facts.Status, "Inactive") {
			first = append(first, NextStep{Command: "akresp disable " + id,
				Why: "the attacker's key: disable it now (its calls from " + listSome(ips, 3) + " do not count as use)"})
		}
		v.NextSteps = append(first, slices.DeleteFunc(v.NextSteps, func(s NextStep) bool { return s.Command == "akresp disable "+id })...)
	}
	return v
}

// followTriggers are the followed identities' findings that make a leak
// (high or critical, posture rules aside), each titled with its identity.
func followTriggers(r *Result) []Finding {
	var out []Finding
	for _, id := range r.Followed {
		for _, f := range id.Findings {
			if postureRules[f.ID] || f.Severity < High {
				continue
			}
			f.Title += " (followed " + id.Kind + " " + id.Name + ")"
			out = append(out, f)
		}
	}
	return out
}

// beforeUsed ends the disable step of a created key; followVerdict
// rewrites it for a key the follow found in use.
const beforeUsed = ": disable it before it is used"

// followVerdict weighs the followed identities' findings (follow.go): a
// high or critical finding over an identity the attacker created (its
// console sign-in, its key's calls) makes the audited key a suspected leak
// and raises the verdict's severity; the verdict names the chains. A
// verdict that already says suspected leak keeps its summary, reasons and
// next steps; either way the reasons gain one item per followed identity
// with a high or critical finding, naming its chain, and the disable step
// of a created key the follow found in use says so.
func (e *Engine) followVerdict(r *Result) {
	defer inUseSteps(r) // after the verdict below, which may write the steps anew
	trig := followTriggers(r)
	if len(trig) == 0 {
		return
	}
	if r.Verdict.Status != StatusSuspectedLeak {
		// The original suggestion, before an open or too long list was
		// set aside.
		suggested := r.Verdict.SuggestedTrustedCIDRs
		if e.suggested != nil {
			suggested = e.suggested
		}
		cp := *r
		cp.Findings = append(slices.Clone(r.Findings), trig...)
		steps := r.Verdict.NextSteps
		r.Verdict = e.verdictWith(&cp, suggested)
		if len(r.Verdict.NextSteps) == 0 {
			r.Verdict.NextSteps = steps
		}
	}
	for _, f := range trig {
		r.Verdict.Severity = max(r.Verdict.Severity, f.Severity)
	}
	for _, id := range r.Followed { // at most MaxFollowed
		if id.MaxSeverity() >= High {
			r.Verdict.Reasons = append(r.Verdict.Reasons, fmt.Sprintf("followed %s %s (%s): %s", id.Kind, id.Name, ViaText(id.Via), countBySeverity(id.Findings)))
		}
	}
}

// inUseSteps rewrites the disable step of a created key the follow found
// in use: written before the follow, it said "before it is used".
func inUseSteps(r *Result) {
	for _, id := range r.Followed {
		if id.Kind != KindAccessKey || id.Events == 0 {
			continue
		}
		for i := range r.Verdict.NextSteps {
			s := &r.Verdict.NextSteps[i]
			if s.Command != "akresp disable "+id.Name || !strings.HasSuffix(s.Why, beforeUsed) {
				continue
			}
			ips := make([]string, 0, len(id.Sources))
			for _, src := range id.Sources {
				ips = append(ips, src.IP)
			}
			from := ""
			if len(ips) > 0 {
				from = " from " + listSome(ips, 3)
			}
			s.Why = fmt.Sprintf("%s: it is already in use (%s%s, the last at %s): disable it now",
				strings.TrimSuffix(s.Why, beforeUsed), plural(id.Events, "event"), from, id.LastSeen.UTC().Format(time.RFC3339))
		}
	}
}

// knownSources counts sources that are not flagged and not internal.
func (e *Engine) knownSources() int {
	n := 0
	for _, ip := range e.ipList {
		if ip.n > 0 && !ip.internal && !ip.flagged {
			n++
		}
	}
	return n
}

func (e *Engine) activeSources() int {
	n := 0
	for _, ip := range e.ipList {
		if ip.n > 0 {
			n++
		}
	}
	return n
}

func reasonLine(f Finding) string {
	s := fmt.Sprintf("%s %s: %s", f.ID, f.Severity, f.Title)
	if len(f.IPs) > 0 {
		s += " (from " + listSome(f.IPs, 3) + ")"
	}
	return s
}

func countBySeverity(fs []Finding) string {
	var n [Critical + 1]int
	for _, f := range fs {
		n[f.Severity]++
	}
	var parts []string
	for s := Critical; s >= Info; s-- {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	word := "findings"
	if len(fs) == 1 {
		word = "finding"
	}
	if len(parts) == 0 {
		return "no findings"
	}
	return fmt.Sprintf("%d %s (%s)", len(fs), word, strings.Join(parts, ", "))
}

func listSome(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(xs[:n], ", "), len(xs)-n)
}

// caveats lists what the audit cannot see.
func (e *Engine) caveats(r *Result, bl *baselineInfo) []string {
	var out []string
	lookup := false
	for _, o := range e.originList {
		if o.Kind == OriginLookup {
			lookup = true
		}
	}
	if lookup {
		out = append(out, "ActionTrail LookupEvents keeps 90 days of management events; older use needs a trail delivered to OSS or SLS (audit --trail).")
	}
	out = append(out, "Events reach ActionTrail about 10 minutes after the call: the most recent activity may be missing.")
	if e.unreadFiles > 0 {
		out = append(out, fmt.Sprintf("%s could not be read to the end (see diagnostics): the verdict does not see the events after the problem that stopped each.", plural(e.unreadFiles, "input file")))
	}
	if e.dataPlane == 0 {
		out = append(out, "Data-plane calls (for example OSS object reads and writes) are not ActionTrail management events; add OSS access logs or SLS operation logs to see them.")
	}
	if !r.Key.LastUsed.IsZero() || e.events == 0 {
		out = append(out, "Last-used facts (GetAccessKeyLastUsed*) refresh hourly and reach back at most 400 days (data since 2022-02-01).")
	}
	switch bl.basis {
	case "none":
		if e.events > 0 {
			out = append(out, "No history before the suspicious activity: every source counts as new; pass --trusted-cidr to name the legitimate ones.")
		}
	case "history":
		if bl.end > e.maxT {
			out = append(out, "The window is under an hour long: nothing in it can be judged new.")
		} else {
			out = append(out, fmt.Sprintf("No suspicious onset found: sources, APIs and regions first seen after %s count as new (first part of the window as baseline); pass --leak-time to choose the split.", fmtUTC(bl.end)))
		}
	case "onset":
		out = append(out, fmt.Sprintf("The baseline ends at the first appearance of a suspicious source, %s; pass --leak-time to choose the split.", fmtUTC(bl.end)))
	}
	if e.events > 0 && bl.cold {
		out = append(out, fmt.Sprintf("Cold-start baseline (less than %d hours or %d events): call-rate rules use static ceilings.", int(coldStartSpan.Hours()), coldStartEvents))
	}
	if e.excluded > 0 {
		out = append(out, fmt.Sprintf("%d calls made by akresp itself (user agent %q) were left out.", e.excluded, e.opts.SelfUserAgent))
	}
	if c := e.criticalRoutineCaveat(); c != "" {
		out = append(out, c)
	}
	return out
}

// routineNet is a public network whose critical operations were judged
// the key's routine (criticalRoutine).
type routineNet struct {
	name         string   // the one address, else the network
	ips          []string // the addresses
	calls        []string // "PRIV-01 AttachPolicyToUser"
	days, events int
}

// criticalRoutine returns the public networks whose critical operations
// were judged the key's routine when no --trusted-cidr names the owners'
// networks: a cadence is all the audit can go by then, and an intruder
// that repeats its persistence from the same network for a week or more
// (there before the window began) has one. The shortest routines first
// (the least established). None with --trusted-cidr: a source outside it
// is never routine.
func (e *Engine) criticalRoutine() []*routineNet {
	if len(e.opts.TrustedCIDRs) > 0 {
		return nil
	}
	byNet := map[string]*routineNet{}
	for _, g := range e.rt.groups {
		if !g.routine || g.net == "VPC" {
			continue
		}
		for _, acc := range g.accs {
			if acc.sev < Critical || acc.ip.internal {
				continue
			}
			n := byNet[g.net]
			if n == nil {
				n = &routineNet{name: g.net}
				byNet[g.net] = n
			}
			if !slices.Contains(n.ips, acc.ip.text) {
				n.ips = append(n.ips, acc.ip.text)
			}
			n.events += acc.n
			n.days = max(n.days, len(g.days))
			for nm := range acc.names.all() {
				if c := g.rule.id + " " + nm.name; !slices.Contains(n.calls, c) {
					n.calls = append(n.calls, c)
				}
			}
		}
	}
	nets := slices.Collect(maps.Values(byNet))
	for _, n := range nets {
		if len(n.ips) == 1 {
			n.name = n.ips[0] // one address did it all
		}
		slices.Sort(n.calls)
	}
	slices.SortFunc(nets, func(a, b *routineNet) int {
		return cmp.Or(cmp.Compare(a.days, b.days), cmp.Compare(a.events, b.events), strings.Compare(a.name, b.name))
	})
	return nets
}

// routineKept returns the addresses of the networks (criticalRoutine)
// that the CIDRs (a suggested fence) admit.
func routineKept(nets []*routineNet, cidrs []string) []string {
	var out []string
	for _, n := range nets {
		for _, ip := range n.ips {
			if a, err := netip.ParseAddr(ip); err == nil && coveredBy(a, cidrs) {
				out = append(out, ip)
			}
		}
	}
	return out
}

// criticalRoutineCaveat says which critical operations were judged
// routine (criticalRoutine), and what to do; empty when none were.
func (e *Engine) criticalRoutineCaveat() string {
	nets := e.criticalRoutine()
	if len(nets) == 0 {
		return ""
	}
	var items []string
	for _, n := range nets {
		items = append(items, fmt.Sprintf("%s (%s: %s over %s)", n.name, strings.Join(n.calls, ", "), plural(n.events, "call"), plural(n.days, "day")))
	}
	return fmt.Sprintf("Critical operations from %s were judged the key's routine (the same rule from the same network on %d or more days), so they are not evidence and mark no onset; the shortest routines first: %s. If one of these networks is not yours, audit again with --trusted-cidr naming your networks: a source outside them is never routine.",
		plural(len(nets), "network"), routineMinDays, listSome(items, 3))
}

// coveredBy reports whether addr lies in one of cidrs (CIDR text).
func coveredBy(addr netip.Addr, cidrs []string) bool {
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}
