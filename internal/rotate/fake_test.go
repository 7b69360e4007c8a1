package rotate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

// fakeCloud is an in-memory account: keys per user ("" = root), last-used
// times and ActionTrail events, with per-method error injection.
type fakeCloud struct {
	mu       sync.Mutex
	now      func() time.Time
	caller   Caller
	credKey  string
	owners   map[string]string // key id -> user ("" root)
	keys     map[string]*Key
	lastUsed map[string]time.Time
	events   []map[string]any
	seq      int
	calls    []string
	fail     map[string]error // method name -> error (once)
	secrets  map[string]string
	acls     map[string]string // key id -> network ACL document
}

func newFakeCloud(now func() time.Time) *fakeCloud {
	return &fakeCloud{now: now, caller: Caller{IdentityType: "RAMUser", AccountID: "1234567890123456", Arn: "acs:ram::1234567890123456:user/admin"},
		owners: map[string]string{}, keys: map[string]*Key{}, lastUsed: map[string]time.Time{}, fail: map[string]error{}, secrets: map[string]string{}, acls: map[string]string{}}
}

func (f *fakeCloud) addKey(user, id, status string, created time.Time) {
	f.owners[id] = user
	f.keys[id] = &Key{ID: id, Status: status, CreateDate: created}
}

// use records a call made with key from ip, the way the lab would.
func (f *fakeCloud) use(keyID, ip, ua, service string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev := map[string]any{"eventName": "DescribeInstances", "eventTime": at.UTC().Format(time.RFC3339), "serviceName": service,
		"sourceIpAddress": ip, "userAgent": ua, "requestId": fmt.Sprintf("REQ-%d", len(f.events)), "userIdentity": map[string]any{"accessKeyId": keyID}}
	if k := f.keys[keyID]; k != nil && k.Status == StatusInactive {
		ev["errorCode"] = "InvalidAccessKeyId.Inactive"
	} else {
		f.lastUsed[keyID] = at
	}
	f.events = append(f.events, ev)
}

func (f *fakeCloud) failing(method string) error {
	f.calls = append(f.calls, method)
	if err, ok := f.fail[method]; ok {
		delete(f.fail, method)
		return err
	}
	return nil
}

func (f *fakeCloud) userKeys(user string) []Key {
	var out []Key
	for id, k := range f.keys {
		if f.owners[id] == user {
			out = append(out, *k)
		}
	}
	slices.SortFunc(out, func(a, b Key) int { return a.CreateDate.Compare(b.CreateDate) })
	return out
}

func (f *fakeCloud) UserByAccessKey(_ context.Context, keyID string) (Owner, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("UserByAccessKey"); err != nil {
		return Owner{}, false, err
	}
	u, ok := f.owners[keyID]
	if !ok || u == "" {
		return Owner{RequestID: "REQ-GETUSER-NOTFOUND"}, false, nil
	}
	return Owner{UserName: u, UserPrincipalName: u + "@example.onaliyun.com"}, true, nil
}

func (f *fakeCloud) GetAccessKeyPolicy(_ context.Context, keyID, _ string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("GetAccessKeyPolicy"); err != nil {
		return "", err
	}
	if f.keys[keyID] == nil {
		return "", fmt.Errorf("EntityNotExist.User.AccessKey %s", keyID)
	}
	return f.acls[keyID], nil
}

func (f *fakeCloud) SetAccessKeyPolicy(_ context.Context, keyID, _, doc string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("SetAccessKeyPolicy"); err != nil {
		return "", err
	}
	if f.keys[keyID] == nil {
		return "", fmt.Errorf("EntityNotExist.User.AccessKey %s", keyID)
	}
	f.acls[keyID] = doc
	return "REQ-SETACL", nil
}

func (f *fakeCloud) ListAccessKeys(_ context.Context, user string) ([]Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("ListAccessKeys"); err != nil {
		return nil, err
	}
	return f.userKeys(user), nil
}

func (f *fakeCloud) CreateAccessKey(_ context.Context, user string) (NewKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("CreateAccessKey"); err != nil {
		return NewKey{}, err
	}
	if len(f.userKeys(user)) >= 2 {
		return NewKey{}, errors.New("LimitExceeded.User.AccessKey")
	}
	f.seq++
	id := fmt.Sprintf("LTAI5tNEWKEY%012d", f.seq)
	f.addKey(user, id, StatusActive, f.now())
	secret := fmt.Sprintf("s3cr3t-%d-abcdefghijklmnopqrstuvwxyz", f.seq)
	f.secrets[id] = secret
	return NewKey{ID: id, Secret: redact.Secret(secret), Status: StatusActive, CreateDate: f.now(), RequestID: fmt.Sprintf("REQ-CREATE-%d", f.seq)}, nil
}

func (f *fakeCloud) UpdateAccessKeyStatus(_ context.Context, user, keyID, status string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("UpdateAccessKeyStatus"); err != nil {
		return "", err
	}
	k := f.keys[keyID]
	if k == nil || f.owners[keyID] != user {
		return "", fmt.Errorf("EntityNotExist.User.AccessKey %s", keyID)
	}
	k.Status = status
	return "REQ-UPDATE", nil
}

func (f *fakeCloud) DeleteAccessKey(_ context.Context, user, keyID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("DeleteAccessKey"); err != nil {
		return "", err
	}
	if f.keys[keyID] == nil || f.owners[keyID] != user {
		return "", fmt.Errorf("EntityNotExist.User.AccessKey %s", keyID)
	}
	delete(f.keys, keyID)
	return "REQ-DELETE", nil
}

func (f *fakeCloud) AccessKeyLastUsedInfo(_ context.Context, keyID string) (LastUsedInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("AccessKeyLastUsedInfo"); err != nil {
		return LastUsedInfo{}, err
	}
	t, ok := f.lastUsed[keyID]
	info := LastUsedInfo{Found: ok, UsedAt: t, ServiceName: "Ecs"}
	if u, known := f.owners[keyID]; ok && known {
		info.AccountType = "ram-user"
		if u == "" {
			info.AccountType = "root-account"
		}
	}
	return info, nil
}

func (f *fakeCloud) GetAccessKeyLastUsed(_ context.Context, _, keyID string) (time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("GetAccessKeyLastUsed"); err != nil {
		return time.Time{}, err
	}
	return f.lastUsed[keyID], nil
}

func (f *fakeCloud) LookupEvents(_ context.Context, q Query, page func([]json.RawMessage) error) error {
	f.mu.Lock()
	if err := f.failing("LookupEvents"); err != nil {
		f.mu.Unlock()
		return err
	}
	var out []json.RawMessage
	for _, e := range f.events {
		if q.AttributeKey != "EventAccessKeyId" || e["userIdentity"].(map[string]any)["accessKeyId"] != q.AttributeValue {
			continue
		}
		t, _ := time.Parse(time.RFC3339, e["eventTime"].(string))
		if t.Before(q.Start.Truncate(time.Second)) || t.After(q.End) {
			continue
		}
		b, _ := json.Marshal(e)
		out = append(out, b)
	}
	f.mu.Unlock()
	return page(out)
}

func (f *fakeCloud) CallerIdentity(context.Context) (Caller, error) { return f.caller, nil }
func (f *fakeCloud) CredentialKeyID(context.Context) (string, error) {
	return f.credKey, nil
}

var _ Cloud = (*fakeCloud)(nil)
