package audit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tableRule is a rule that is, at heart, a list of sensitive APIs: every
// matching event is evidence. check (optional) reads the parameters: it can
// drop the event (ok=false), change the severity and name the subject
// ("svc-backup") shown in the finding title. params are the request
// parameters quoted in the evidence detail. Each is declared in its rule's
// ruleDef (rules_<family>.go), which gives it id, sev and routine.
type tableRule struct {
	id      string // the ruleDef's ID
	apis    []ruleAPI
	sev     Severity // the ruleDef's Severity
	params  []string
	subject string // parameter naming the subject, if check does not
	check   func(ev *Event) (ok bool, sev Severity, subject string)
	// routine rules are read-like (the ruleDef's routine is routineKnown):
	// evidence from a known, trusted source calling an API it already
	// called before the baseline end is routine and dropped.
	routine bool
	// onset rules mark the first suspicious activity of a source; the
	// baseline ends there (see baseline.go). Derived: !routine && sev >= High,
	// unless noOnset.
	noOnset bool
	onset   bool
}

// ruleAPI names one API: service "" matches any service.
type ruleAPI struct{ service, name string }

func apis(service string, names string) []ruleAPI {
	var out []ruleAPI
	for n := range strings.FieldsSeq(names) {
		out = append(out, ruleAPI{CanonicalService(service), n})
	}
	return out
}

func join(lists ...[]ruleAPI) []ruleAPI {
	var out []ruleAPI
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// ramAPIs are RAM user/policy APIs: ActionTrail logs them under Ram or Ims.
func ramAPIs(names string) []ruleAPI { return join(apis("Ram", names), apis("Ims", names)) }

// rulesFor returns the table rules of an API. OSS object deletions are
// judged by rate (rule DEST-04's burst part), not one by one.
func rulesFor(service, name string) []*tableRule {
	rs := ruleIndex[nameKey{service, name}]
	if rs == nil {
		if service == "Oss" && (name == "DeleteObject" || name == "DeleteMultipleObjects") {
			return []*tableRule{objectDeleteRule}
		}
		if dr := deleteRules[service]; dr != nil && strings.HasPrefix(name, "Delete") {
			return []*tableRule{dr}
		}
	}
	return rs
}

// objectDeleteRule only counts object deletions per minute; the finding is
// raised by the burst evaluation (rules_window.go).
var objectDeleteRule = &tableRule{id: "oss-object-delete"}

// match records one event matching a table rule.
func (e *Engine) match(rule *tableRule, ev *Event, ip *ipAgg, nm *nameAgg, cell *minuteCell, hb *hourBucket, ih *ipHour, off bool, ref *sharedRef) {
	if rule == objectDeleteRule {
		if cell != nil {
			cell.objDeletes++
		}
		return
	}
	sev, subject := rule.sev, ""
	if rule.check != nil {
		ok, s, subj := rule.check(ev)
		if !ok {
			return
		}
		sev, subject = s, subj
	}
	if subject == "" && rule.subject != "" {
		subject = ev.Params[rule.subject]
	}
	k := matchKey{rule, ip.idx}
	acc := e.matches[k]
	if acc == nil && len(e.matches) >= maxMatches {
		// A (rule, source) pair costs ~700 bytes: a written trail with
		// every source calling every sensitive API would take gigabytes.
		// Further pairs are counted under the overflow source, always
		// flagged; their evidence still names each event's address.
		e.limit("matches", fmt.Sprintf("more than %d (rule, source) pairs; the sensitive calls of further ones are counted under %q", maxMatches, overflowText))
		ip = e.overflowSource()
		k = matchKey{rule, ip.idx}
		acc = e.matches[k]
	}
	if acc == nil {
		acc = e.matchSlab.alloc()
		*acc = matchAcc{rule: rule, ip: ip, sev: sev, first: ref.t, last: ref.t}
		e.matches[k] = acc
	}
	acc.n++
	if ev.ErrorCode != "" {
		acc.errs++
	}
	acc.sev = max(acc.sev, sev)
	acc.first = min(acc.first, ref.t)
	acc.last = max(acc.last, ref.t)
	if h := hourOf(ref.t); h != acc.lastHour || acc.hours.len() == 0 {
		acc.hours.add(h)
		acc.lastHour = h
	}
	if nm != acc.lastName {
		acc.names.add(nm)
		acc.lastName = nm
	}
	if subject != "" {
		acc.addSubject(clip(subject))
	}
	acc.samples.n++
	// daySev is what this event makes of its day when a routine group
	// departs on it: a departing day is judged like any other activity, so
	// a GPU launch, or the hour's fifth instance, makes it critical.
	daySev := sev
	if rule.id == "COST-01" {
		amount := 1
		if s := ev.Params["Amount"]; s != "" {
			if v, err := strconv.Atoi(s); err == nil && v > 0 {
				amount = v
			}
		}
		if acc.amounts == nil {
			acc.amounts = map[int32]int{}
			acc.regions = map[uint32]struct{}{}
		}
		if ev.ErrorCode == "" {
			acc.amounts[hourOf(ref.t)] += amount
			if acc.amounts[hourOf(ref.t)] >= cost01Burst {
				daySev = Critical
			}
		}
		if ev.Region != "" {
			acc.regions[e.strs.id(ev.Region)] = struct{}{}
		}
		if isGPUInstanceType(ev.Params["InstanceType"]) {
			acc.gpu = true
			daySev = Critical
		}
	}
	e.recordRoutine(acc, ev, rule, nm, hb, ref, daySev, subject)

	switch rule.id {
	case "COST-03":
		if isSMSSend(ev.Name) {
			hb.sms++
		}
		if !e.hasSMS || ref.t < e.smsFirst {
			e.hasSMS, e.smsFirst = true, ref.t
		}
	}
	// Onset and ip.sens come from judgeRoutine (routine.go): a routine
	// operation starts no incident.
	if !rule.routine && sev >= High && off && ih != nil {
		ih.offSens = max(ih.offSens, int8(sev))
	}
	e.recordCreated(rule, ev, ref)
}

func (a *matchAcc) addSubject(s string) {
	for _, x := range a.subjects {
		if x == s {
			return
		}
	}
	if len(a.subjects) < maxSubjects {
		a.subjects = append(a.subjects, s)
		return
	}
	// Beyond the names a title shows, keep only hashes, distinct and
	// bounded, so the finding counts each subject once.
	h := subjectKey(s)
	if slices.Contains(a.moreHashes, h) {
		return
	}
	if len(a.moreHashes) >= maxAccSubjectHashes {
		a.moreSubj++
		return
	}
	a.moreHashes = append(a.moreHashes, h)
}

// maxAccSubjectHashes bounds the subjects one source's accumulator counts
// exactly beyond the names it keeps.
const maxAccSubjectHashes = 256

// markOnset notes that ip did something that starts an incident.
func (e *Engine) markOnset(ip *ipAgg, t int64, sev Severity) {
	if sev < Medium {
		return
	}
	if !ip.hasOnset || t < ip.onset {
		ip.hasOnset, ip.onset = true, t
	}
}

func isSMSSend(name string) bool {
	switch name {
	case "SendSms", "SendBatchSms", "BatchSendMessageToGlobe", "SendMessageToGlobe":
		return true
	}
	return false
}

// isGPUInstanceType reports ECS GPU / FPGA families (ecs.gn6v-..., ecs.vgn5i-...,
// ecs.sgn7i-..., ecs.ebmgn7-..., ecs.gi6s-..., ecs.f3-...), the usual
// cryptomining choice.
func isGPUInstanceType(t string) bool {
	fam, ok := strings.CutPrefix(strings.ToLower(t), "ecs.")
	if !ok {
		return false
	}
	fam, _, _ = strings.Cut(fam, "-")
	fam = strings.TrimPrefix(fam, "ebm")
	fam = strings.TrimPrefix(fam, "scc")
	for _, p := range []string{"gn", "vgn", "sgn", "gi", "f1", "f3"} {
		if strings.HasPrefix(fam, p) {
			return true
		}
	}
	return false
}

// paramDetail quotes the listed request parameters ("UserName=svc-backup").
// Parameters that could hold a secret are never quoted.
func paramDetail(ev *Event, keys []string) string {
	var b strings.Builder
	for _, k := range keys {
		v, ok := ev.Params[k]
		if !ok || v == "" || secretLike(k) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(clip(v))
	}
	return b.String()
}

// secretWords are the parameter-name fragments (any case) whose values
// evidence never shows.
var secretWords = [...]string{"secret", "password", "token", "signature", "credential"}

// secretLike reports whether parameter name k holds a secretWords
// fragment. It runs for every parameter a rule cites: an ASCII name (all
// real ones) is searched in place, without the copy strings.ToLower makes.
func secretLike(k string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			// Unicode case mapping (the Kelvin sign lowers to "k"): the
			// slow way, as before.
			l := strings.ToLower(k)
			return slices.ContainsFunc(secretWords[:], func(w string) bool { return strings.Contains(l, w) })
		}
	}
	for _, w := range secretWords {
		for i := 0; i+len(w) <= len(k); i++ {
			if strings.EqualFold(k[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// targetUser is the RAM user an identity API acts on: UserName, or the user
// part of UserPrincipalName (IMS).
func targetUser(ev *Event) string {
	if u := ev.Params["UserName"]; u != "" {
		return u
	}
	if upn := ev.Params["UserPrincipalName"]; upn != "" {
		u, _, _ := strings.Cut(upn, "@")
		return u
	}
	return ""
}

// actsOnOther reports whether an identity API targets a user other than the
// caller. No UserName means the caller's own user.
func actsOnOther(ev *Event) bool {
	u := targetUser(ev)
	return u != "" && u != ev.UserName
}

// createdKeyID reads the new key id from a CreateAccessKey response
// (responseElements.AccessKey.AccessKeyId). The secret next to it is never
// read.
func createdKeyID(ev *Event) string {
	if ev.Name != "CreateAccessKey" || ev.Response == nil {
		return ""
	}
	if ak, ok := ev.Response["AccessKey"].(map[string]any); ok {
		if id, ok := ak["AccessKeyId"].(string); ok {
			return id
		}
	}
	if id, ok := ev.Response["AccessKeyId"].(string); ok {
		return id
	}
	return ""
}

// recordCreated keeps the identities and grants the key created or changed
// successfully (Result.Created).
func (e *Engine) recordCreated(rule *tableRule, ev *Event, ref *sharedRef) {
	if ev.ErrorCode != "" {
		return
	}
	var c CreatedIdentity
	switch ev.Name {
	case "CreateUser":
		c = CreatedIdentity{Kind: KindUser, Name: targetUser(ev)}
	case "CreateAccessKey":
		c = CreatedIdentity{Kind: KindAccessKey, Name: createdKeyID(ev), User: targetUser(ev)}
	case "UpdateAccessKey", "RestoreAccessKeyFromRecycleBin":
		if rule.id != "PERS-03" {
			return
		}
		c = CreatedIdentity{Kind: KindAccessKey, Name: ev.Params["UserAccessKeyId"], User: targetUser(ev)}
	case "CreateLoginProfile", "UpdateLoginProfile":
		if rule.id != "PERS-02" {
			return
		}
		c = CreatedIdentity{Kind: KindLoginProfile, Name: targetUser(ev), User: targetUser(ev)}
	case "CreateRole", "UpdateRole":
		c = CreatedIdentity{Kind: KindRole, Name: ev.Params["RoleName"]}
	case "AttachPolicyToUser", "AttachPolicyToGroup", "AttachPolicyToRole":
		if rule.id != "PRIV-01" {
			return
		}
		c = CreatedIdentity{Kind: KindPolicyAttachment, Name: ev.Params["PolicyName"]}
		switch ev.Name {
		case "AttachPolicyToUser":
			c.User, c.PrincipalType = ev.Params["UserName"], "User"
		case "AttachPolicyToGroup":
			c.User, c.PrincipalType = ev.Params["GroupName"], "Group"
		default:
			c.User, c.PrincipalType = ev.Params["RoleName"], "Role"
		}
	default:
		return
	}
	if c.Name == "" && c.Kind != KindAccessKey {
		return
	}
	if len(e.created) >= maxCreated {
		e.createdDropped++
		e.limit("created", fmt.Sprintf("more than %d identities created; the list is truncated", maxCreated))
		return
	}
	c.Action = ev.Name
	e.created = append(e.created, createdRec{CreatedIdentity: c, ref: evSample{evRef: ref.ptr(), detail: paramDetail(ev, rule.params)}})
}

// instanceIDs lists the instances an ECS call targets: InstanceId,
// InstanceIds and InstanceId.N, each a single id, a JSON array or a
// comma-separated list.
func instanceIDs(ev *Event) []string {
	var out []string
	add := func(v string) {
		for f := range strings.FieldsFuncSeq(v, func(r rune) bool {
			return r == ',' || r == '[' || r == ']' || r == '"' || r == ' ' || r == '\t' || r == '\n'
		}) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	for k, v := range ev.Params {
		if k == "InstanceId" || k == "InstanceIds" || strings.HasPrefix(k, "InstanceId.") {
			add(v)
		}
	}
	slices.Sort(out)
	return out
}

func firstInstance(ev *Event) string {
	ids := instanceIDs(ev)
	switch len(ids) {
	case 0:
		return ""
	case 1:
		return ids[0]
	}
	return ids[0] + " +" + strconv.Itoa(len(ids)-1)
}

// bucketOf names the OSS bucket of an event: the bucket/BucketName
// parameter, else an ACS::OSS::Bucket resource, else the bucket part of an
// object resource ("bucket/key" or an acs:oss ARN).
func bucketOf(ev *Event) string {
	for _, k := range []string{"bucket", "BucketName", "bucketName"} {
		if v := ev.Params[k]; v != "" {
			return v
		}
	}
	var obj string
	for _, r := range ev.Resources {
		t := strings.ToLower(r.Type)
		switch {
		case strings.Contains(t, "oss::bucket"):
			return r.Name
		case obj == "" && strings.Contains(t, "oss::object"):
			obj = r.Name
		}
	}
	if obj == "" {
		return ""
	}
	if strings.HasPrefix(obj, "acs:oss:") {
		// acs:oss:<region>:<account>:<bucket>/<key>
		parts := strings.SplitN(obj, ":", 5)
		if len(parts) < 5 {
			return ""
		}
		obj = parts[4]
	}
	b, _, _ := strings.Cut(obj, "/")
	return b
}
