package audit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// tableRule is a rule that is, at heart, a list of sensitive APIs: every
// matching event is evidence. check (optional) reads the parameters: it can
// drop the event (ok=false), change the severity and name the subject
// ("svc-backup") shown in the finding title. params are the request
// parameters quoted in the evidence detail.
type tableRule struct {
	id      string
	apis    []ruleAPI
	sev     Severity
	params  []string
	subject string // parameter naming the subject, if check does not
	check   func(ev *Event) (ok bool, sev Severity, subject string)
	// routine rules are read-like: evidence from a known, trusted source
	// calling an API it already called before the baseline end is routine
	// and dropped.
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

// tableRules are the table-driven rules. Their documentation (logic,
// parameters, why) lives in ruleInfos (rules.go), which docs/rules.md is
// generated from.
var tableRules = []*tableRule{
	{id: "ENUM-01", sev: Low, routine: true, apis: apis("Sts", "GetCallerIdentity")},
	{id: "ENUM-04", sev: Medium, routine: true, apis: join(
		apis("Ram", "ListUsers GetUser ListRoles GetRole ListGroups ListGroupsForUser ListUsersForGroup ListPolicies ListPoliciesForUser ListPoliciesForGroup ListPoliciesForRole GetPolicy GetPolicyVersion ListPolicyVersions ListEntitiesForPolicy ListAccessKeys GetAccessKeyLastUsed GetLoginProfile GetUserMFAInfo GetAccountAlias"),
		apis("Ims", "ListUsers GetUser ListAccessKeys ListUserBasicInfos GetCredentialReport GenerateCredentialReport GetSecurityPreference GetPasswordPolicy ListSAMLProviders ListOIDCProviders ListApplications GetAccessKeyLastUsed")),
		params: []string{"UserName"}},
	{id: "ENUM-07", sev: High, routine: true, apis: join(apis("Ecs", "DescribeUserData DescribeInstanceRamRole"), apis("Kms", "ListSecrets")),
		params: []string{"InstanceId", "RegionId"}, subject: "InstanceId"},
	{id: "ENUM-08", sev: Low, routine: true, apis: join(
		apis("Actiontrail", "DescribeTrails GetTrailStatus LookupEvents"),
		apis("BssOpenApi", "QueryAccountBalance QueryBill QueryInstanceBill DescribeInstanceBill QueryAvailableInstances"),
		apis("ResourceCenter", "SearchResources GetResourceCounts"),
		apis("ResourceManager", "ListAccounts ListAccountsForParent GetResourceDirectory"))},

	{id: "EXEC-01", sev: High, apis: apis("Ecs", "RunCommand InvokeCommand CreateCommand SendFile StartTerminalSession"),
		params: []string{"InstanceId", "InstanceId.1", "Type", "CommandId", "Name"}, subject: "InstanceId"},

	{id: "PERS-01", sev: High, apis: ramAPIs("CreateUser"), params: []string{"UserName", "DisplayName"}, subject: "UserName"},
	{id: "PERS-02", sev: High, apis: ramAPIs("CreateLoginProfile UpdateLoginProfile ChangePassword"), params: []string{"UserName", "MFABindRequired", "PasswordResetRequired"},
		check: checkLoginProfile},
	{id: "PERS-03", sev: Critical, apis: ramAPIs("CreateAccessKey UpdateAccessKey RestoreAccessKeyFromRecycleBin"),
		params: []string{"UserName", "UserPrincipalName", "UserAccessKeyId", "Status"}, check: checkAccessKeyIssued},
	{id: "PERS-06", sev: Critical, apis: ramAPIs("CreateSAMLProvider UpdateSAMLProvider CreateOIDCProvider AddClientIdToOIDCProvider AddFingerprintToOIDCProvider SetUserSsoSettings CreateApplication CreateAppSecret"),
		params: []string{"SAMLProviderName", "OIDCProviderName", "AppName", "AppId"}},
	{id: "PERS-07", sev: High, apis: apis("Ecs", "ImportKeyPair CreateKeyPair AttachKeyPair ModifyInstanceVncPasswd ModifyInstanceAttribute"),
		params: []string{"KeyPairName", "InstanceId", "InstanceIds"}, check: checkInstanceLogin},

	{id: "PRIV-01", sev: High, apis: ramAPIs("AttachPolicyToUser AttachPolicyToGroup AttachPolicyToRole"),
		params: []string{"PolicyName", "PolicyType", "UserName", "GroupName", "RoleName"}, check: checkPolicyAttach},
	{id: "PRIV-02", sev: High, apis: ramAPIs("CreatePolicy CreatePolicyVersion SetDefaultPolicyVersion UpdatePolicyVersion"),
		params: []string{"PolicyName", "VersionId", "SetAsDefault"}, check: checkPolicyRewrite},
	{id: "PRIV-03", sev: High, apis: ramAPIs("CreateRole UpdateRole AttachPolicyToRole"),
		params: []string{"RoleName", "PolicyName"}, check: checkRoleTrust},
	{id: "PRIV-04", sev: Medium, routine: true, apis: apis("Sts", "AssumeRole AssumeRoleWithSAML AssumeRoleWithOIDC"),
		params: []string{"RoleArn", "RoleSessionName"}, subject: "RoleArn"},
	{id: "PRIV-05", sev: High, apis: apis("Ecs", "AttachInstanceRamRole"), params: []string{"RamRoleName", "InstanceIds"}, subject: "RamRoleName"},
	{id: "PRIV-06", sev: Medium, apis: ramAPIs("AddUserToGroup"), params: []string{"UserName", "GroupName"}, subject: "GroupName"},
	{id: "PRIV-07", sev: High, apis: ramAPIs("UnbindMFADevice DeleteVirtualMFADevice SetSecurityPreference SetPasswordPolicy"),
		params: []string{"UserName", "SerialNumber"}},

	{id: "EXFIL-02", sev: High, apis: apis("Oss", "PutBucketAcl PutObjectAcl PutBucketPolicy PutBucketReplication DeleteBucketPolicy"),
		params: []string{"BucketName", "bucket", "ObjectName", "x-oss-acl", "acl"}, check: checkBucketExposure},
	{id: "EXFIL-04", sev: High, apis: apis("Rds", "ModifySecurityIps AllocateInstancePublicConnection CreateAccount ResetAccountPassword GrantAccountPrivilege"),
		params: []string{"DBInstanceId", "SecurityIps", "AccountName", "AccountPrivilege"}, subject: "DBInstanceId"},

	{id: "COST-01", sev: High, apis: apis("Ecs", "RunInstances CreateInstance CreateAutoProvisioningGroup StartInstance StartInstances ModifyInstanceSpec"),
		params: []string{"InstanceType", "Amount", "RegionId", "InstanceId", "ImageId"}, subject: "InstanceType"},
	{id: "COST-03", sev: High, noOnset: true, apis: apis("Dysms", "SendSms SendBatchSms BatchSendMessageToGlobe SendMessageToGlobe AddSmsSign AddSmsTemplate CreateSmsSign CreateSmsTemplate"),
		params: []string{"SignName", "TemplateCode"}, subject: "SignName"},

	{id: "DEST-01", sev: Critical, apis: join(
		apis("Ecs", "DeleteInstance DeleteInstances ReleaseDedicatedHost DeregisterManagedInstance ResetDisk ReplaceSystemDisk"),
		apis("Eci", "DeleteContainerGroup DeleteContainerGroups")),
		params: []string{"InstanceId", "InstanceId.1", "DiskId", "ContainerGroupId"}, subject: "InstanceId"},
	{id: "DEST-02", sev: Critical, apis: join(
		apis("Ecs", "DeleteSnapshot DeleteSnapshotGroup DeleteImage"),
		apis("Rds", "DeleteBackup ModifyBackupPolicy")),
		params: []string{"SnapshotId", "ImageId", "DBInstanceId", "BackupId", "BackupRetentionPeriod"}},
	{id: "DEST-03", sev: Critical, apis: apis("Rds", "DeleteDBInstance DestroyDBInstance DeleteDatabase DeleteAccount"),
		params: []string{"DBInstanceId", "DBName", "AccountName"}, subject: "DBInstanceId"},
	{id: "DEST-04", sev: Critical, apis: apis("Oss", "DeleteBucket PutBucketLifecycle"), params: []string{"BucketName", "bucket"}, subject: "BucketName"},
	{id: "DEST-05", sev: Critical, apis: apis("Kms", "DisableKey ScheduleKeyDeletion DeleteKeyMaterial DeleteSecret"), params: []string{"KeyId", "SecretName"}},
	{id: "DEST-06", sev: High, apis: ramAPIs("DeleteAccessKey UpdateAccessKey DeleteUser UpdateLoginProfile"),
		params: []string{"UserName", "UserAccessKeyId", "Status"}, check: checkLockOut},

	{id: "EVADE-01", sev: Critical, apis: apis("Actiontrail", "StopLogging DeleteTrail"), params: []string{"Name"}, subject: "Name"},
	{id: "EVADE-02", sev: High, apis: apis("Actiontrail", "UpdateTrail DeleteDataEventSelector DisableInsight"),
		params: []string{"Name", "EventRW", "TrailRegion", "OssBucketName", "SlsProjectArn"}, subject: "Name"},
	{id: "EVADE-03", sev: Critical, apis: apis("Sls", "DeleteLogStore DeleteProject ClearLogStoreStorage UpdateLogStore DeleteIndex DeleteConfig"),
		params: []string{"ProjectName", "project", "logstore", "LogstoreName", "ttl"}},
	{id: "EVADE-04", sev: High, apis: apis("Vpc", "DeactiveFlowLog DeleteFlowLog"), params: []string{"FlowLogId"}},
	{id: "EVADE-05", sev: High, apis: apis("Ecs", "AuthorizeSecurityGroup AuthorizeSecurityGroupEgress ModifySecurityGroupPolicy"),
		params: []string{"SecurityGroupId", "SourceCidrIp", "DestCidrIp", "PortRange", "IpProtocol"}, check: checkFirewallOpen},
	{id: "EVADE-08", sev: High, apis: apis("Ims", "SetAccessKeyPolicy SetAccessKeyPolicyForAccount"),
		params: []string{"UserAccessKeyId", "UserPrincipalName", "AccessKeyId"}},
}

// deleteRules catch every other Delete* write on RDS, OSS and SLS (the
// issue asks for "Delete* on RDS/OSS/SLS"), filed under the family's rule.
var deleteRules = map[string]*tableRule{}

// ruleIndex maps (service, API) to the table rules matching it.
var ruleIndex = map[nameKey][]*tableRule{}

func init() {
	tableRules = append(tableRules, moreTableRules...) // rules_more.go
	for _, r := range tableRules {
		r.onset = !r.routine && !r.noOnset && r.sev >= High
		for _, a := range r.apis {
			k := nameKey{a.service, a.name}
			ruleIndex[k] = append(ruleIndex[k], r)
		}
	}
	byID := map[string]*tableRule{}
	for _, r := range tableRules {
		byID[r.id] = r
	}
	deleteRules["Rds"] = byID["DEST-03"]
	deleteRules["Oss"] = byID["DEST-04"]
	deleteRules["Sls"] = byID["EVADE-03"]
}

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
func (e *Engine) match(rule *tableRule, ev *Event, ip *ipAgg, nm *nameAgg, cell *minuteCell, hb *hourBucket, ih *ipHour, off bool, ref *evRef) {
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
	if acc == nil {
		acc = &matchAcc{rule: rule, ip: ip, sev: sev, first: ref.t, last: ref.t,
			hours: map[int32]struct{}{}, names: map[*nameAgg]struct{}{}}
		e.matches[k] = acc
	}
	acc.n++
	if ev.ErrorCode != "" {
		acc.errs++
	}
	acc.sev = max(acc.sev, sev)
	acc.first = min(acc.first, ref.t)
	acc.last = max(acc.last, ref.t)
	if h := hourOf(ref.t); h != acc.lastHour || len(acc.hours) == 0 {
		acc.hours[h] = struct{}{}
		acc.lastHour = h
	}
	if nm != acc.lastName {
		acc.names[nm] = struct{}{}
		acc.lastName = nm
	}
	if subject != "" {
		acc.addSubject(clip(subject))
	}
	acc.samples.n++
	e.recordRoutine(acc, ev, rule, nm, hb, ref, sev, subject)

	switch rule.id {
	case "COST-01":
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
		}
		if ev.Region != "" {
			acc.regions[e.strs.id(ev.Region)] = struct{}{}
		}
		if isGPUInstanceType(ev.Params["InstanceType"]) {
			acc.gpu = true
		}
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
	if !rule.routine && sev >= High && off {
		ih.offSens = max(ih.offSens, sev)
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

func secretLike(k string) bool {
	l := strings.ToLower(k)
	for _, s := range []string{"secret", "password", "token", "signature", "credential"} {
		if strings.Contains(l, s) {
			return true
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

func checkLoginProfile(ev *Event) (bool, Severity, string) {
	if ev.Name == "ChangePassword" && !actsOnOther(ev) {
		return false, 0, ""
	}
	return true, High, targetUser(ev)
}

func checkAccessKeyIssued(ev *Event) (bool, Severity, string) {
	if ev.Name == "UpdateAccessKey" && !strings.EqualFold(ev.Params["Status"], "Active") {
		return false, 0, ""
	}
	subj := targetUser(ev)
	if id := createdKeyID(ev); id != "" {
		if subj != "" {
			subj += " " + id
		} else {
			subj = id
		}
	}
	return true, Critical, subj
}

var adminPolicies = map[string]bool{"AdministratorAccess": true, "AliyunRAMFullAccess": true}

func checkPolicyAttach(ev *Event) (bool, Severity, string) {
	pol := ev.Params["PolicyName"]
	sev := High
	if adminPolicies[pol] {
		sev = Critical
	}
	who := ev.Params["UserName"]
	for _, k := range []string{"RoleName", "GroupName"} {
		if v := ev.Params[k]; v != "" {
			who = v
		}
	}
	subj := pol
	if who != "" {
		subj = pol + " to " + who
	}
	return true, sev, subj
}

func checkPolicyRewrite(ev *Event) (bool, Severity, string) {
	if ev.Name == "CreatePolicyVersion" {
		if v, ok := ev.Params["SetAsDefault"]; ok && !strings.EqualFold(v, "true") {
			return false, 0, ""
		}
	}
	return true, High, ev.Params["PolicyName"]
}

// checkRoleTrust raises role changes whose trust policy names an account
// other than the caller's own.
func checkRoleTrust(ev *Event) (bool, Severity, string) {
	doc := ev.Params["AssumeRolePolicyDocument"]
	if doc == "" {
		doc = ev.Params["NewAssumeRolePolicyDocument"]
	}
	if foreignAccount(doc, ev.AccountID) != "" {
		return true, Critical, ev.Params["RoleName"] + " trusts account " + foreignAccount(doc, ev.AccountID)
	}
	return true, High, ev.Params["RoleName"]
}

// foreignAccount returns the first 16-digit account id in doc that is not
// own ("" if none). Alibaba Cloud account ids are 16 digits.
func foreignAccount(doc, own string) string {
	run := 0
	for i := 0; i <= len(doc); i++ {
		if i < len(doc) && doc[i] >= '0' && doc[i] <= '9' {
			run++
			continue
		}
		if run == 16 {
			if id := doc[i-16 : i]; id != own {
				return id
			}
		}
		run = 0
	}
	return ""
}

func checkInstanceLogin(ev *Event) (bool, Severity, string) {
	if ev.Name == "ModifyInstanceAttribute" {
		_, pw := ev.Params["Password"]
		_, ud := ev.Params["UserData"]
		if !pw && !ud {
			return false, 0, ""
		}
	}
	subj := ev.Params["KeyPairName"]
	if subj == "" {
		subj = ev.Params["InstanceId"]
	}
	return true, High, subj
}

func checkBucketExposure(ev *Event) (bool, Severity, string) {
	if ev.Name == "PutBucketAcl" || ev.Name == "PutObjectAcl" {
		acl := ""
		for _, k := range []string{"x-oss-acl", "acl", "ACL", "Acl", "x-oss-object-acl"} {
			if v := ev.Params[k]; v != "" {
				acl = v
			}
		}
		// An ACL the log shows as private is not an exposure; an unlogged
		// one is judged conservatively.
		if acl != "" && !strings.Contains(strings.ToLower(acl), "public") {
			return false, 0, ""
		}
	}
	b := ev.Params["BucketName"]
	if b == "" {
		b = ev.Params["bucket"]
	}
	return true, High, b
}

func checkLockOut(ev *Event) (bool, Severity, string) {
	if !actsOnOther(ev) {
		return false, 0, ""
	}
	if ev.Name == "UpdateAccessKey" && !strings.EqualFold(ev.Params["Status"], "Inactive") {
		return false, 0, ""
	}
	return true, High, targetUser(ev)
}

func checkFirewallOpen(ev *Event) (bool, Severity, string) {
	if ev.Name == "AuthorizeSecurityGroup" {
		src := ev.Params["SourceCidrIp"]
		if src != "" && src != "0.0.0.0/0" && src != "::/0" {
			return false, 0, ""
		}
	}
	return true, High, ev.Params["SecurityGroupId"]
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
func (e *Engine) recordCreated(rule *tableRule, ev *Event, ref *evRef) {
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
	e.created = append(e.created, createdRec{CreatedIdentity: c, ref: evSample{evRef: *ref, detail: paramDetail(ev, rule.params)}})
}
