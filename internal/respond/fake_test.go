package respond

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// fakeCloud is an in-memory account implementing ContainCloud and
// DisableCloud, with per-method failure injection, a hook run before every
// call, an optional latency and a high-water mark of concurrent calls.
type fakeCloud struct {
	mu       sync.Mutex
	caller   cloud.CallerIdentity
	selfKey  string
	users    map[string]cloud.User
	keys     map[string]*fakeKey
	policies map[string]*fakePolicy
	attached map[string][]string // user -> custom policy names
	logins   map[string]*cloud.LoginProfile
	lastUsed map[string]cloud.LastUsedInfo
	ips      map[string][]cloud.LastUsedIP
	recycle  map[string][]cloud.AccessKey // user id -> keys
	account  string                       // account-level network policy
	calls    []string
	fail     map[string]error
	hook     func(method string)
	latency  time.Duration
	inflight atomic.Int32
	maxPar   atomic.Int32
}

type fakeKey struct {
	user   string
	status string
	acl    string
}

type fakePolicy struct {
	desc     string
	versions []cloud.PolicyVersion
	next     int
}

func notFound(api, code string) error {
	return &cloud.APIError{API: api, Code: code, HTTPStatus: 404, RequestID: "REQ-NF"}
}

func newFake() *fakeCloud {
	f := &fakeCloud{
		caller:   cloud.CallerIdentity{IdentityType: "RAMUser", AccountID: "1234567890123456", Arn: "acs:ram::1234567890123456:user/admin"},
		selfKey:  "LTAIadminadminadmin00000",
		users:    map[string]cloud.User{},
		keys:     map[string]*fakeKey{},
		policies: map[string]*fakePolicy{},
		attached: map[string][]string{},
		logins:   map[string]*cloud.LoginProfile{},
		lastUsed: map[string]cloud.LastUsedInfo{},
		ips:      map[string][]cloud.LastUsedIP{},
		recycle:  map[string][]cloud.AccessKey{},
		fail:     map[string]error{},
	}
	f.addUser("admin", f.selfKey)
	f.addUser("app-prod", leakedKey)
	f.logins["app-prod"] = &cloud.LoginProfile{UserName: "app-prod"}
	return f
}

const leakedKey = "LTAI5tLEAKEDLEAKED000001"

func (f *fakeCloud) addUser(name, key string) {
	f.users[name] = cloud.User{UserName: name, UserID: "2000" + name, UserPrincipalName: name + "@acct.onaliyun.com"}
	if key != "" {
		f.keys[key] = &fakeKey{user: name, status: "Active"}
	}
}

var reqN atomic.Int64

func (f *fakeCloud) enter(method string) (func(), error) {
	n := f.inflight.Add(1)
	for {
		m := f.maxPar.Load()
		if n <= m || f.maxPar.CompareAndSwap(m, n) {
			break
		}
	}
	if f.hook != nil {
		f.hook(method)
	}
	if f.latency > 0 {
		time.Sleep(f.latency)
	}
	f.mu.Lock()
	f.calls = append(f.calls, method)
	err := f.fail[method]
	return func() { f.mu.Unlock(); f.inflight.Add(-1) }, err
}

func rid() string { return fmt.Sprintf("REQ-%d", reqN.Add(1)) }

func (f *fakeCloud) callCount(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == method {
			n++
		}
	}
	return n
}

func (f *fakeCloud) mutations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		switch c {
		case "SetAccessKeyPolicy", "CreatePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "DeletePolicy",
			"AttachPolicyToUser", "DetachPolicyFromUser", "UpdateLoginProfileMFA", "UpdateAccessKeyStatus", "DeleteAccessKey":
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeCloud) GetCallerIdentity(ctx context.Context) (cloud.CallerIdentity, error) {
	done, err := f.enter("GetCallerIdentity")
	defer done()
	return f.caller, err
}
func (f *fakeCloud) CredentialKeyID(ctx context.Context) (string, error) { return f.selfKey, nil }
func (f *fakeCloud) Endpoint() string                                    { return "127.0.0.1:1" }

func (f *fakeCloud) GetUserByAccessKey(ctx context.Context, keyID string) (cloud.User, error) {
	done, err := f.enter("GetUserByAccessKey")
	defer done()
	if err != nil {
		return cloud.User{}, err
	}
	k, ok := f.keys[keyID]
	if !ok || k.user == "" {
		return cloud.User{}, notFound("ims:GetUser", "EntityNotExist.User")
	}
	return f.users[k.user], nil
}

func (f *fakeCloud) GetUser(ctx context.Context, name string) (cloud.User, error) {
	done, err := f.enter("GetUser")
	defer done()
	if err != nil {
		return cloud.User{}, err
	}
	u, ok := f.users[name]
	if !ok {
		return cloud.User{}, notFound("ram:GetUser", "EntityNotExist.User")
	}
	return u, nil
}

func (f *fakeCloud) ListAccessKeys(ctx context.Context, user string) ([]cloud.AccessKey, error) {
	done, err := f.enter("ListAccessKeys")
	defer done()
	if err != nil {
		return nil, err
	}
	if user != "" {
		if _, ok := f.users[user]; !ok {
			return nil, notFound("ram:ListAccessKeys", "EntityNotExist.User")
		}
	}
	var out []cloud.AccessKey
	for id, k := range f.keys {
		if k.user == user {
			out = append(out, cloud.AccessKey{AccessKeyID: id, Status: k.status})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AccessKeyID < out[j].AccessKeyID })
	return out, nil
}

func (f *fakeCloud) GetAccessKeyPolicy(ctx context.Context, keyID, upn string) (string, error) {
	done, err := f.enter("GetAccessKeyPolicy")
	defer done()
	if err != nil {
		return "", err
	}
	k, ok := f.keys[keyID]
	if !ok {
		return "", notFound("ims:GetAccessKeyPolicy", "EntityNotExist.User.AccessKey")
	}
	return k.acl, nil
}

func (f *fakeCloud) GetAccessKeyPolicyForAccount(ctx context.Context) (string, error) {
	done, err := f.enter("GetAccessKeyPolicyForAccount")
	defer done()
	if err != nil {
		return "", err
	}
	return f.account, nil
}

func (f *fakeCloud) SetAccessKeyPolicy(ctx context.Context, keyID, upn, doc string) (string, error) {
	done, err := f.enter("SetAccessKeyPolicy")
	defer done()
	if err != nil {
		return "", err
	}
	k, ok := f.keys[keyID]
	if !ok {
		return "", notFound("ims:SetAccessKeyPolicy", "EntityNotExist.User.AccessKey")
	}
	k.acl = doc
	return rid(), nil
}

func (f *fakeCloud) GetPolicy(ctx context.Context, name, typ string) (cloud.Policy, error) {
	done, err := f.enter("GetPolicy")
	defer done()
	if err != nil {
		return cloud.Policy{}, err
	}
	p, ok := f.policies[name]
	if !ok {
		return cloud.Policy{}, notFound("ram:GetPolicy", "EntityNotExist.Policy")
	}
	for _, v := range p.versions {
		if v.IsDefault {
			return cloud.Policy{PolicyName: name, PolicyType: "Custom", Description: p.desc, DefaultVersion: v.VersionID, Document: v.Document}, nil
		}
	}
	return cloud.Policy{}, fmt.Errorf("fake: no default version")
}

func (f *fakeCloud) ListPolicyVersions(ctx context.Context, name, typ string) ([]cloud.PolicyVersion, error) {
	done, err := f.enter("ListPolicyVersions")
	defer done()
	if err != nil {
		return nil, err
	}
	p, ok := f.policies[name]
	if !ok {
		return nil, notFound("ram:ListPolicyVersions", "EntityNotExist.Policy")
	}
	return slices.Clone(p.versions), nil
}

func (f *fakeCloud) CreatePolicy(ctx context.Context, name, doc, desc string) (string, error) {
	done, err := f.enter("CreatePolicy")
	defer done()
	if err != nil {
		return "", err
	}
	if _, ok := f.policies[name]; ok {
		return "", &cloud.APIError{API: "ram:CreatePolicy", Code: "EntityAlreadyExists.Policy", HTTPStatus: 409}
	}
	f.policies[name] = &fakePolicy{desc: desc, next: 2, versions: []cloud.PolicyVersion{{VersionID: "v1", IsDefault: true, Document: doc}}}
	return rid(), nil
}

func (f *fakeCloud) CreatePolicyVersion(ctx context.Context, name, doc string, setDefault bool) (cloud.PolicyVersion, string, error) {
	done, err := f.enter("CreatePolicyVersion")
	defer done()
	if err != nil {
		return cloud.PolicyVersion{}, "", err
	}
	p, ok := f.policies[name]
	if !ok {
		return cloud.PolicyVersion{}, "", notFound("ram:CreatePolicyVersion", "EntityNotExist.Policy")
	}
	if len(p.versions) >= 5 {
		return cloud.PolicyVersion{}, "", &cloud.APIError{API: "ram:CreatePolicyVersion", Code: "LimitExceeded.Policy.Version", HTTPStatus: 409}
	}
	v := cloud.PolicyVersion{VersionID: fmt.Sprintf("v%d", p.next), Document: doc, IsDefault: setDefault}
	p.next++
	if setDefault {
		for i := range p.versions {
			p.versions[i].IsDefault = false
		}
	}
	p.versions = append(p.versions, v)
	return v, rid(), nil
}

func (f *fakeCloud) DeletePolicyVersion(ctx context.Context, name, id string) (string, error) {
	done, err := f.enter("DeletePolicyVersion")
	defer done()
	if err != nil {
		return "", err
	}
	p, ok := f.policies[name]
	if !ok {
		return "", notFound("ram:DeletePolicyVersion", "EntityNotExist.Policy")
	}
	for i, v := range p.versions {
		if v.VersionID == id {
			if v.IsDefault {
				return "", &cloud.APIError{API: "ram:DeletePolicyVersion", Code: "DeleteConflict.Policy.Version.Default", HTTPStatus: 409}
			}
			p.versions = slices.Delete(p.versions, i, i+1)
			return rid(), nil
		}
	}
	return "", notFound("ram:DeletePolicyVersion", "EntityNotExist.Policy.Version")
}

func (f *fakeCloud) DeletePolicy(ctx context.Context, name string) (string, error) {
	done, err := f.enter("DeletePolicy")
	defer done()
	if err != nil {
		return "", err
	}
	if _, ok := f.policies[name]; !ok {
		return "", notFound("ram:DeletePolicy", "EntityNotExist.Policy")
	}
	for _, ps := range f.attached {
		if slices.Contains(ps, name) {
			return "", &cloud.APIError{API: "ram:DeletePolicy", Code: "DeleteConflict.Policy.User", HTTPStatus: 409}
		}
	}
	if len(f.policies[name].versions) > 1 {
		return "", &cloud.APIError{API: "ram:DeletePolicy", Code: "DeleteConflict.Policy.Version", HTTPStatus: 409}
	}
	delete(f.policies, name)
	return rid(), nil
}

func (f *fakeCloud) ListPoliciesForUser(ctx context.Context, user string) ([]cloud.AttachedPolicy, error) {
	done, err := f.enter("ListPoliciesForUser")
	defer done()
	if err != nil {
		return nil, err
	}
	if _, exists := f.users[user]; !exists {
		return nil, notFound("ram:ListPoliciesForUser", "EntityNotExist.User") // as RAM answers
	}
	out := []cloud.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyType: "System"}}
	for _, n := range f.attached[user] {
		out = append(out, cloud.AttachedPolicy{PolicyName: n, PolicyType: "Custom"})
	}
	return out, nil
}

func (f *fakeCloud) AttachPolicyToUser(ctx context.Context, typ, name, user string) (string, error) {
	done, err := f.enter("AttachPolicyToUser")
	defer done()
	if err != nil {
		return "", err
	}
	if _, ok := f.policies[name]; !ok {
		return "", notFound("ram:AttachPolicyToUser", "EntityNotExist.Policy")
	}
	if slices.Contains(f.attached[user], name) {
		return "", &cloud.APIError{API: "ram:AttachPolicyToUser", Code: "EntityAlreadyExists.User.Policy", HTTPStatus: 409}
	}
	f.attached[user] = append(f.attached[user], name)
	return rid(), nil
}

func (f *fakeCloud) DetachPolicyFromUser(ctx context.Context, typ, name, user string) (string, error) {
	done, err := f.enter("DetachPolicyFromUser")
	defer done()
	if err != nil {
		return "", err
	}
	i := slices.Index(f.attached[user], name)
	if i < 0 {
		return "", notFound("ram:DetachPolicyFromUser", "EntityNotExist.User.Policy")
	}
	f.attached[user] = slices.Delete(f.attached[user], i, i+1)
	return rid(), nil
}

func (f *fakeCloud) GetLoginProfile(ctx context.Context, user string) (cloud.LoginProfile, bool, error) {
	done, err := f.enter("GetLoginProfile")
	defer done()
	if err != nil {
		return cloud.LoginProfile{}, false, err
	}
	lp, ok := f.logins[user]
	if !ok {
		return cloud.LoginProfile{}, false, nil
	}
	return *lp, true, nil
}

func (f *fakeCloud) UpdateLoginProfileMFA(ctx context.Context, user string, req bool) (string, error) {
	done, err := f.enter("UpdateLoginProfileMFA")
	defer done()
	if err != nil {
		return "", err
	}
	lp, ok := f.logins[user]
	if !ok {
		return "", notFound("ram:UpdateLoginProfile", "EntityNotExist.User.LoginProfile")
	}
	lp.MFABindRequired = req
	return rid(), nil
}

func (f *fakeCloud) UpdateAccessKeyStatus(ctx context.Context, user, keyID, status string) (string, error) {
	done, err := f.enter("UpdateAccessKeyStatus")
	defer done()
	if err != nil {
		return "", err
	}
	k, ok := f.keys[keyID]
	if !ok || k.user != user {
		return "", notFound("ram:UpdateAccessKey", "EntityNotExist.User.AccessKey")
	}
	k.status = status
	return rid(), nil
}

func (f *fakeCloud) DeleteAccessKey(ctx context.Context, user, keyID string) (string, error) {
	done, err := f.enter("DeleteAccessKey")
	defer done()
	if err != nil {
		return "", err
	}
	k, ok := f.keys[keyID]
	if !ok || k.user != user {
		return "", notFound("ram:DeleteAccessKey", "EntityNotExist.User.AccessKey")
	}
	delete(f.keys, keyID)
	uid := f.users[user].UserID
	f.recycle[uid] = append(f.recycle[uid], cloud.AccessKey{AccessKeyID: keyID})
	return rid(), nil
}

func (f *fakeCloud) AccessKeyLastUsedInfo(ctx context.Context, keyID string) (cloud.LastUsedInfo, error) {
	done, err := f.enter("AccessKeyLastUsedInfo")
	defer done()
	return f.lastUsed[keyID], err
}

func (f *fakeCloud) AccessKeyLastUsedIPs(ctx context.Context, keyID, service string) ([]cloud.LastUsedIP, error) {
	done, err := f.enter("AccessKeyLastUsedIPs")
	defer done()
	return f.ips[keyID], err
}

func (f *fakeCloud) ListAccessKeysInRecycleBin(ctx context.Context, userID string) ([]cloud.AccessKey, error) {
	done, err := f.enter("ListAccessKeysInRecycleBin")
	defer done()
	return f.recycle[userID], err
}

var (
	_ ContainCloud     = (*fakeCloud)(nil)
	_ DisableCloud     = (*fakeCloud)(nil)
	_ RecycleBinLister = (*fakeCloud)(nil)
)

type (
	cloudVersion  = cloud.PolicyVersion
	cloudAPIError = cloud.APIError
)
