package audit

import (
	"fmt"
	"slices"
	"strings"
)

// Per-event bookkeeping of the sequence, window and hourly rules added for
// issue 13 (CTX-07, EXEC-02, EXEC-04, PERS-08, EXFIL-01, EXFIL-03, COST-04,
// DEST-07, EVADE-07; declared in their families' files, see
// rules_catalogue.go). The engine calls observeMore for each event of the
// key and observeOtherSTS for each event of another STS key; both are O(1)
// for the events they do not care about (a slice lookup by API). What they
// keep is bounded: the rare API calls the sequence and window rules read (at
// most maxMoreRecs), GetObject counts per hour and source with a few
// samples each, and per STS key and source a count and a few samples.

// moreKind classifies an API for these rules.
type moreKind uint8

const (
	mkNone moreKind = iota
	mkCreateCmd
	mkInvokeCmd
	mkRunCmd
	mkCmdResults
	mkDeleteCmd
	mkStop
	mkNetDoor
	mkEipAlloc
	mkEipAssoc
	mkBalance
	mkSpend
	mkImageShare
	mkImageExport
	mkImageCopy
	mkBackup
	mkDescribeBackups
	mkClone
	mkDeleteUser
	mkAttachRole
	mkDescribeRole
	mkAssumeRole
	mkMetaRead // a Cloud Assistant command reading the metadata service (EXEC-03)
	mkGetObject
	mkUnknown moreKind = 255
)

var moreKinds = func() map[nameKey]moreKind {
	m := map[nameKey]moreKind{}
	set := func(k moreKind, service, names string) {
		for _, a := range apis(service, names) {
			m[nameKey{a.service, a.name}] = k
		}
	}
	set(mkCreateCmd, "Ecs", "CreateCommand")
	set(mkInvokeCmd, "Ecs", "InvokeCommand")
	set(mkRunCmd, "Ecs", "RunCommand")
	set(mkCmdResults, "Ecs", "DescribeInvocationResults")
	set(mkDeleteCmd, "Ecs", "DeleteCommand")
	set(mkStop, "Ecs", "StopInstance StopInstances")
	set(mkNetDoor, "Vpc", "CreateVpnGateway CreateSslVpnServer CreateSslVpnClientCert CreateForwardEntry")
	set(mkEipAlloc, "Vpc", "AllocateEipAddress")
	set(mkEipAssoc, "Vpc", "AssociateEipAddress")
	set(mkBalance, "BssOpenApi", "QueryAccountBalance QueryBill QueryInstanceBill DescribeInstanceBill")
	set(mkSpend, "Ecs", "RunInstances CreateInstance CreateAutoProvisioningGroup StartInstance StartInstances ModifyInstanceSpec")
	set(mkImageShare, "Ecs", "ModifyImageSharePermission")
	set(mkImageExport, "Ecs", "ExportImage")
	set(mkImageCopy, "Ecs", "CopyImage")
	set(mkBackup, "Rds", "CreateBackup")
	set(mkDescribeBackups, "Rds", "DescribeBackups")
	set(mkClone, "Rds", "CloneDBInstance")
	set(mkDeleteUser, "Ram", "DeleteUser")
	set(mkDeleteUser, "Ims", "DeleteUser")
	set(mkAttachRole, "Ecs", "AttachInstanceRamRole")
	set(mkDescribeRole, "Ecs", "DescribeInstanceRamRole")
	set(mkAssumeRole, "Sts", "AssumeRole AssumeRoleWithSAML AssumeRoleWithOIDC")
	set(mkGetObject, "Oss", "GetObject GetObjects")
	return m
}()

// Bounds of the bookkeeping.
const (
	maxMoreRecs      = 20000 // rare API calls kept for the sequence and window rules
	maxSTSKeys       = 5000  // other STS keys followed for CTX-07
	maxSTSSources    = 256   // sources per STS key
	maxGetSources    = 64    // sources per hour with GetObject samples
	maxBucketsSeen   = 50000 // buckets with a first-download time
	getSampleK       = 6     // GetObject samples per (hour, source)
	stsSampleK       = 6     // samples per (STS key, source)
	bulkGetFloor     = 500   // EXFIL-01 downloads per hour
	bulkGetFactor    = 5     // EXFIL-01 x the busiest baseline hour
	bulkBuckets      = 3     // EXFIL-01 buckets per hour
	batchInstances   = 5     // EXEC-04 instances per call
	batchInvocations = 5     // EXEC-04 invocations per window
	stopInstances    = 3     // DEST-07 instances per window
)

// moreRec is one kept call.
type moreRec struct {
	kind   moreKind
	ref    evSample
	ip     *ipAgg
	nm     *nameAgg
	failed bool
	id     string   // CommandId, AllocationId, DBInstanceId, UserName, role, region or STS key id
	role   string   // lower-cased role name (AssumeRole, metadata reads)
	inst   []string // target instances
}

// getHour counts one clock hour's downloads.
type getHour struct {
	n       int
	buckets idSet // strTable ids
	srcs    []getSrc
	lastSrc int
}

type getSrc struct {
	ip      *ipAgg
	n       int
	samples sampleSet
}

// stsAgg is another STS key's use, for CTX-07.
type stsAgg struct {
	key  string
	user string // userIdentity.userName: <RoleName>:<SessionName>
	srcs map[string]*stsSrc
}

type stsSrc struct {
	text    string
	first   int64
	n       int
	vpc     bool
	samples sampleSet
}

type moreState struct {
	kinds       []moreKind // by nameAgg.idx
	recs        []moreRec
	gets        map[int32]*getHour
	lastGet     *getHour
	lastGetH    int32
	bucketFirst map[uint32]int64
	sts         map[string]*stsAgg
	selfChecked bool
	selfSTS     bool
	selfUser    string
}

func (e *Engine) moreState() *moreState {
	if e.more == nil {
		e.more = &moreState{gets: map[int32]*getHour{}, bucketFirst: map[uint32]int64{}, sts: map[string]*stsAgg{}}
	}
	return e.more
}

func (m *moreState) kind(nm *nameAgg) moreKind {
	for int(nm.idx) >= len(m.kinds) {
		m.kinds = append(m.kinds, mkUnknown)
	}
	k := m.kinds[nm.idx]
	if k == mkUnknown {
		k = moreKinds[nameKey{nm.svc.name, nm.name}]
		m.kinds[nm.idx] = k
	}
	return k
}

// observeMore is called for every event of the key after the table rules.
func (e *Engine) observeMore(ev *Event, ip *ipAgg, nm *nameAgg, ref *sharedRef) {
	m := e.moreState()
	if !m.selfChecked {
		m.selfChecked = true
		if strings.HasPrefix(ev.AccessKeyID, "STS.") {
			m.selfSTS, m.selfUser = true, strings.Clone(ev.UserName)
		}
	}
	k := m.kind(nm)
	switch k {
	case mkNone:
		return
	case mkGetObject:
		e.countGet(m, ev, ip, ref)
		return
	}
	r := moreRec{kind: k, ip: ip, nm: nm, failed: ev.ErrorCode != "", ref: evSample{evRef: ref.ptr()}}
	switch k {
	case mkCreateCmd:
		r.id = responseString(ev, "CommandId")
		r.ref.detail = paramDetail(ev, []string{"Name", "Type"})
		if r.id != "" {
			r.ref.detail = joinDetail("CommandId="+clip(r.id), r.ref.detail)
		}
	case mkInvokeCmd, mkRunCmd:
		r.id = ev.Params["CommandId"]
		if r.id == "" {
			r.id = responseString(ev, "CommandId")
		}
		r.inst = instanceIDs(ev)
		r.ref.detail = joinDetail(paramDetail(ev, []string{"CommandId", "Type", "Name"}), instancesDetail(r.inst))
	case mkCmdResults, mkDeleteCmd:
		r.id = ev.Params["CommandId"]
		r.ref.detail = paramDetail(ev, []string{"CommandId", "InvokeId", "InstanceId"})
	case mkStop:
		r.inst = instanceIDs(ev)
		r.ref.detail = instancesDetail(r.inst)
	case mkEipAlloc:
		r.id = responseString(ev, "AllocationId")
		r.ref.detail = paramDetail(ev, []string{"Bandwidth", "RegionId"})
		if r.id != "" {
			r.ref.detail = joinDetail("AllocationId="+clip(r.id), r.ref.detail)
		}
	case mkEipAssoc:
		r.id = ev.Params["AllocationId"]
		r.ref.detail = paramDetail(ev, []string{"AllocationId", "InstanceId", "InstanceType"})
	case mkNetDoor:
		r.ref.detail = paramDetail(ev, []string{"VpnGatewayId", "SslVpnServerId", "ForwardTableId", "ExternalIp", "ExternalPort", "InternalIp", "InternalPort", "Name"})
	case mkBalance:
		r.ref.detail = paramDetail(ev, []string{"BillingCycle"})
	case mkSpend:
		r.ref.detail = paramDetail(ev, []string{"InstanceType", "Amount", "InstanceId", "RegionId"})
	case mkImageShare:
		var accts []string
		for key, v := range ev.Params {
			if v != "" && (key == "AddAccount" || strings.HasPrefix(key, "AddAccount.")) {
				accts = append(accts, v)
			}
		}
		if len(accts) == 0 {
			return // removing accounts or no change
		}
		slices.Sort(accts)
		r.id = strings.Join(accts, ",")
		r.ref.detail = joinDetail(paramDetail(ev, []string{"ImageId"}), "AddAccount="+clip(r.id))
	case mkImageExport:
		r.id = ev.Params["ImageId"]
		r.ref.detail = paramDetail(ev, []string{"ImageId", "OSSBucket", "OSSPrefix"})
	case mkImageCopy:
		r.id = ev.Params["DestinationRegionId"]
		r.ref.detail = paramDetail(ev, []string{"ImageId", "DestinationRegionId"})
	case mkBackup, mkDescribeBackups, mkClone:
		r.id = ev.Params["DBInstanceId"]
		r.ref.detail = paramDetail(ev, []string{"DBInstanceId", "BackupMethod", "BackupId"})
	case mkDeleteUser:
		r.id = targetUser(ev)
		r.ref.detail = paramDetail(ev, []string{"UserName", "UserPrincipalName"})
	case mkAttachRole, mkDescribeRole:
		r.role = strings.ToLower(ev.Params["RamRoleName"])
		if r.role == "" {
			return
		}
		r.inst = instanceIDs(ev)
		r.ref.detail = paramDetail(ev, []string{"RamRoleName", "InstanceIds"})
	case mkAssumeRole:
		r.id = assumedKeyID(ev)
		r.role = roleFromArn(ev.Params["RoleArn"])
		if r.id == "" && r.role == "" {
			return
		}
		r.ref.detail = paramDetail(ev, []string{"RoleArn", "RoleSessionName"})
	}
	e.keepRec(m, r)
	if k == mkRunCmd || k == mkCreateCmd {
		if text := commandText(ev); readsMetadataCredentials(text) {
			meta := r
			meta.kind = mkMetaRead
			meta.role = metadataRole(text)
			e.keepRec(m, meta)
		}
	}
}

func (e *Engine) keepRec(m *moreState, r moreRec) {
	if len(m.recs) >= maxMoreRecs {
		e.limit("more-recs", fmt.Sprintf("more than %d Cloud Assistant, instance stop, VPC, billing, image and backup calls; CTX-07, EXEC-02/04, PERS-08, EXFIL-03, COST-04, DEST-07 and EVADE-07 saw only the first ones", maxMoreRecs))
		return
	}
	r.id = strings.Clone(r.id)
	m.recs = append(m.recs, r)
}

// countGet counts one download for EXFIL-01.
func (e *Engine) countGet(m *moreState, ev *Event, ip *ipAgg, ref *sharedRef) {
	if ev.ErrorCode != "" {
		return
	}
	if s := ev.Params["http_status"]; s != "" && s[0] != '2' {
		return
	}
	h := hourOf(ref.t)
	gh := m.lastGet
	if gh == nil || m.lastGetH != h {
		gh = m.gets[h]
		if gh == nil {
			gh = &getHour{}
			m.gets[h] = gh
		}
		m.lastGet, m.lastGetH = gh, h
	}
	gh.n++
	if b := bucketOf(ev); b != "" {
		id := e.strs.id(b)
		gh.buckets.add(id)
		if first, ok := m.bucketFirst[id]; !ok {
			if len(m.bucketFirst) < maxBucketsSeen {
				m.bucketFirst[id] = ref.t
			} else {
				e.limit("buckets", fmt.Sprintf("more than %d distinct buckets downloaded from; EXFIL-01 treats further ones as known", maxBucketsSeen))
			}
		} else if ref.t < first {
			m.bucketFirst[id] = ref.t
		}
	}
	var src *getSrc
	if i := gh.lastSrc; i < len(gh.srcs) && gh.srcs[i].ip == ip {
		src = &gh.srcs[i]
	} else {
		for i := range gh.srcs {
			if gh.srcs[i].ip == ip {
				src, gh.lastSrc = &gh.srcs[i], i
				break
			}
		}
		if src == nil && len(gh.srcs) < maxGetSources {
			gh.srcs = append(gh.srcs, getSrc{ip: ip})
			gh.lastSrc = len(gh.srcs) - 1
			src = &gh.srcs[gh.lastSrc]
		}
	}
	if src == nil {
		return
	}
	src.n++
	if src.samples.wants(getSampleK, &ref.evRef) {
		src.samples.add(getSampleK, evSample{evRef: ref.ptr(), detail: "bucket=" + clip(bucketOf(ev))})
	}
	src.samples.n++
}

// observeOtherSTS follows the events of other STS keys (CTX-07). It is
// called for events of keys other than the audited one.
func (e *Engine) observeOtherSTS(ev *Event, ua *uaInfo) {
	if !strings.HasPrefix(ev.AccessKeyID, "STS.") {
		return
	}
	m := e.moreState()
	a := m.sts[ev.AccessKeyID]
	if a == nil {
		if len(m.sts) >= maxSTSKeys {
			e.limit("sts-keys", fmt.Sprintf("more than %d STS keys in the input; CTX-07 follows only the first ones", maxSTSKeys))
			return
		}
		a = &stsAgg{key: strings.Clone(ev.AccessKeyID), user: strings.Clone(ev.UserName), srcs: map[string]*stsSrc{}}
		m.sts[a.key] = a
	}
	if a.user == "" && ev.UserName != "" {
		a.user = strings.Clone(ev.UserName)
	}
	t := ev.Time.UnixNano()
	s := a.srcs[ev.SourceIP]
	if s == nil {
		if len(a.srcs) >= maxSTSSources {
			return
		}
		s = &stsSrc{text: strings.Clone(ev.SourceIP), first: t}
		a.srcs[s.text] = s
	}
	s.n++
	s.first = min(s.first, t)
	s.vpc = s.vpc || ev.VpcID != ""
	r := evRef{t: t}
	r.setIDs(ev.ID, ev.RequestID, ev.Source.Pos)
	if s.samples.wants(stsSampleK, &r) {
		r.name, r.svc, r.ip, r.ua = e.strs.id(ev.Name), e.strs.id(ev.Service), e.strs.id(ev.SourceIP), ua.sid
		r.orig = e.origin(ev.Source)
		if ev.ErrorCode != "" {
			r.errc = e.strs.id(ev.ErrorCode)
		}
		shared := r // only a kept sample's reference leaves the stack
		s.samples.add(stsSampleK, evSample{evRef: &shared, detail: "accessKeyId=" + ev.AccessKeyID + ", userName=" + clip(ev.UserName)})
	}
	s.samples.n++
}

// responseString reads a top-level string of responseElements, matching
// the key case-insensitively.
func responseString(ev *Event, key string) string {
	for k, v := range ev.Response {
		if strings.EqualFold(k, key) {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}

// assumedKeyID is the STS key an AssumeRole call returned:
// responseElements.Credentials.AccessKeyId (ActionTrail writes
// credentials.accessKeyId), else an STS.* AccessKey resource.
func assumedKeyID(ev *Event) string {
	for k, v := range ev.Response {
		if !strings.EqualFold(k, "Credentials") {
			continue
		}
		if cm, ok := v.(map[string]any); ok {
			for ck, cv := range cm {
				if s, ok := cv.(string); ok && strings.EqualFold(ck, "AccessKeyId") {
					return s
				}
			}
		}
	}
	for _, r := range ev.Resources {
		if strings.HasPrefix(r.Name, "STS.") {
			return r.Name
		}
	}
	return ""
}

// roleFromArn is the lower-cased role name of acs:ram::<account>:role/<name>.
func roleFromArn(arn string) string {
	i := strings.LastIndex(strings.ToLower(arn), "role/")
	if i < 0 {
		return ""
	}
	return strings.ToLower(arn[i+len("role/"):])
}

func instancesDetail(ids []string) string {
	switch len(ids) {
	case 0:
		return ""
	case 1:
		return "instance " + ids[0]
	}
	shown := ids
	if len(shown) > 5 {
		shown = shown[:5]
	}
	s := fmt.Sprintf("%d instances: %s", len(ids), strings.Join(shown, ", "))
	if len(ids) > len(shown) {
		s += ", …"
	}
	return s
}

func joinDetail(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ", " + b
}
