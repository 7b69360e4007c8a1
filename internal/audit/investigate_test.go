package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// fakeCloud is a function-field fake of Cloud and SweepCloud; a nil field
// answers with a zero value.
type fakeCloud struct {
	getUserByKey  func(keyID string) (cloud.User, error)
	listKeys      func(user string) ([]cloud.AccessKey, error)
	caller        func() (cloud.CallerIdentity, error)
	lookup        func(q cloud.LookupQuery, page func([]json.RawMessage) error) error
	lastUsedInfo  func(keyID string) (cloud.LastUsedInfo, error)
	products      func(keyID string) ([]cloud.LastUsedProduct, error)
	ips           func(keyID, svc string) ([]cloud.LastUsedIP, error)
	resources     func(keyID, svc string) ([]cloud.LastUsedResource, error)
	ramLastUsed   func(user, keyID string) (time.Time, error)
	listUsers     func() ([]cloud.User, error)
	loginProfile  func(user string) (cloud.LoginProfile, bool, error)
	mfa           func(user string) (cloud.MFAInfo, error)
	credReport    func() ([]cloud.CredentialReportRow, error)
	lookupQueries []cloud.LookupQuery
}

var (
	_ Cloud      = (*fakeCloud)(nil)
	_ SweepCloud = (*fakeCloud)(nil)
)

func (f *fakeCloud) GetUserByAccessKey(_ context.Context, keyID string) (cloud.User, error) {
	if f.getUserByKey == nil {
		return cloud.User{}, &cloud.APIError{Code: "EntityNotExist.User"}
	}
	return f.getUserByKey(keyID)
}
func (f *fakeCloud) ListAccessKeys(_ context.Context, user string) ([]cloud.AccessKey, error) {
	if f.listKeys == nil {
		return nil, nil
	}
	return f.listKeys(user)
}
func (f *fakeCloud) GetCallerIdentity(context.Context) (cloud.CallerIdentity, error) {
	if f.caller == nil {
		return cloud.CallerIdentity{IdentityType: "RAMUser", AccountID: testAccount}, nil
	}
	return f.caller()
}
func (f *fakeCloud) LookupEvents(_ context.Context, q cloud.LookupQuery, page func([]json.RawMessage) error) error {
	f.lookupQueries = append(f.lookupQueries, q)
	if f.lookup == nil {
		return nil
	}
	return f.lookup(q, page)
}
func (f *fakeCloud) AccessKeyLastUsedInfo(_ context.Context, keyID string) (cloud.LastUsedInfo, error) {
	if f.lastUsedInfo == nil {
		return cloud.LastUsedInfo{}, nil
	}
	return f.lastUsedInfo(keyID)
}
func (f *fakeCloud) AccessKeyLastUsedProducts(_ context.Context, keyID string) ([]cloud.LastUsedProduct, error) {
	if f.products == nil {
		return nil, nil
	}
	return f.products(keyID)
}
func (f *fakeCloud) AccessKeyLastUsedIPs(_ context.Context, keyID, svc string) ([]cloud.LastUsedIP, error) {
	if f.ips == nil {
		return nil, nil
	}
	return f.ips(keyID, svc)
}
func (f *fakeCloud) AccessKeyLastUsedResources(_ context.Context, keyID, svc string) ([]cloud.LastUsedResource, error) {
	if f.resources == nil {
		return nil, nil
	}
	return f.resources(keyID, svc)
}
func (f *fakeCloud) GetAccessKeyLastUsed(_ context.Context, user, keyID string) (time.Time, error) {
	if f.ramLastUsed == nil {
		return time.Time{}, nil
	}
	return f.ramLastUsed(user, keyID)
}
func (f *fakeCloud) ListUsers(context.Context) ([]cloud.User, error) {
	if f.listUsers == nil {
		return nil, nil
	}
	return f.listUsers()
}
func (f *fakeCloud) GetLoginProfile(_ context.Context, user string) (cloud.LoginProfile, bool, error) {
	if f.loginProfile == nil {
		return cloud.LoginProfile{}, false, nil
	}
	return f.loginProfile(user)
}
func (f *fakeCloud) GetUserMFAInfo(_ context.Context, user string) (cloud.MFAInfo, error) {
	if f.mfa == nil {
		return cloud.MFAInfo{}, nil
	}
	return f.mfa(user)
}
func (f *fakeCloud) CredentialReport(context.Context) ([]cloud.CredentialReportRow, error) {
	if f.credReport == nil {
		return nil, &cloud.APIError{Code: "NoPermission"}
	}
	return f.credReport()
}

var notFound = fmt.Errorf("ims:GetUser: %w", cloud.ErrNotFound)

// rawEvent renders an ActionTrail event of testKey.
func rawEvent(id string, t time.Time, name, ip string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"eventId":%q,"eventName":%q,"eventTime":%q,"serviceName":"Ecs","eventRW":"Read","sourceIpAddress":%q,"userAgent":"aliyun-cli/3.0","userIdentity":{"type":"ram-user","accessKeyId":%q,"userName":"app","accountId":%q}}`,
		id, name, t.UTC().Format(time.RFC3339), ip, testKey, testAccount))
}

func TestInvestigateFacts(t *testing.T) {
	created := testNow.Add(-200 * 24 * time.Hour)
	used := testNow.Add(-3 * time.Hour)
	for _, tc := range []struct {
		name      string
		fc        *fakeCloud
		want      KeyFacts
		wantDiags []string // substrings of diagnostic summaries
	}{
		{
			name: "ram user",
			fc: &fakeCloud{
				getUserByKey: func(string) (cloud.User, error) { return cloud.User{UserName: "app"}, nil },
				listKeys: func(u string) ([]cloud.AccessKey, error) {
					if u != "app" {
						return nil, errors.New("wrong user")
					}
					return []cloud.AccessKey{{AccessKeyID: "LTAI5tOther000000000001", Status: "Active"}, {AccessKeyID: testKey, Status: "Active", CreateDate: created}}, nil
				},
				lastUsedInfo: func(string) (cloud.LastUsedInfo, error) {
					return cloud.LastUsedInfo{Found: true, AccountType: "ram-user", UserName: "app", ServiceName: "ecs", UsedAt: used, AccountID: testAccount}, nil
				},
				products: func(string) ([]cloud.LastUsedProduct, error) {
					return []cloud.LastUsedProduct{{ServiceName: "Ram", UsedAt: used.Add(-time.Hour)}, {ServiceName: "ECS", UsedAt: used}}, nil
				},
				ips: func(_, svc string) ([]cloud.LastUsedIP, error) {
					if svc == "Ecs" {
						return []cloud.LastUsedIP{{IP: officeA, UsedAt: used}, {IP: attacker, UsedAt: used.Add(-time.Minute)}}, nil
					}
					return []cloud.LastUsedIP{{IP: officeA, UsedAt: used.Add(-time.Hour)}}, nil
				},
			},
			want: KeyFacts{AccessKeyID: testKey, Owner: "app", OwnerType: "ram-user", AccountID: testAccount, Status: "Active", Created: created, AgeDays: 200,
				LastUsed: used, LastUsedService: "Ecs", UsedServices: []string{"Ecs", "Ram"}, LastUsedIPs: []string{officeA, attacker}},
		},
		{
			name: "root key seen by the root caller",
			fc: &fakeCloud{
				getUserByKey: func(string) (cloud.User, error) { return cloud.User{}, notFound },
				caller: func() (cloud.CallerIdentity, error) {
					return cloud.CallerIdentity{IdentityType: "Account", AccountID: testAccount}, nil
				},
				listKeys: func(u string) ([]cloud.AccessKey, error) {
					if u != "" {
						return nil, errors.New("wrong user")
					}
					return []cloud.AccessKey{{AccessKeyID: testKey, Status: "Inactive", CreateDate: created}}, nil
				},
			},
			want: KeyFacts{AccessKeyID: testKey, Owner: "root account " + testAccount, OwnerType: "root-account", AccountID: testAccount, Status: "Inactive", Created: created, AgeDays: 200},
		},
		{
			name: "root key told by ActionTrail",
			fc: &fakeCloud{
				getUserByKey: func(string) (cloud.User, error) { return cloud.User{}, notFound },
				lastUsedInfo: func(string) (cloud.LastUsedInfo, error) {
					return cloud.LastUsedInfo{Found: true, AccountType: "root-account", AccountID: testAccount, UsedAt: used, ServiceName: "Ecs"}, nil
				},
			},
			want:      KeyFacts{AccessKeyID: testKey, Owner: "root account " + testAccount, OwnerType: "root-account", AccountID: testAccount, LastUsed: used, LastUsedService: "Ecs"},
			wantDiags: []string{"no RAM user owns the key"},
		},
		{
			name: "every call fails",
			fc: &fakeCloud{
				getUserByKey: func(string) (cloud.User, error) { return cloud.User{}, errors.New("boom") },
				caller:       func() (cloud.CallerIdentity, error) { return cloud.CallerIdentity{}, errors.New("sts down") },
				lastUsedInfo: func(string) (cloud.LastUsedInfo, error) { return cloud.LastUsedInfo{}, errors.New("at down") },
				products:     func(string) ([]cloud.LastUsedProduct, error) { return nil, errors.New("at down") },
			},
			want:      KeyFacts{AccessKeyID: testKey, OwnerType: "unknown"},
			wantDiags: []string{"could not find the key's owner", "could not tell whether", "could not read the key's last use", "could not list the services"},
		},
		{
			name: "RAM last-used fallback",
			fc: &fakeCloud{
				getUserByKey: func(string) (cloud.User, error) { return cloud.User{UserName: "app"}, nil },
				listKeys:     func(string) ([]cloud.AccessKey, error) { return nil, nil },
				ramLastUsed:  func(u, k string) (time.Time, error) { return used, nil },
			},
			want:      KeyFacts{AccessKeyID: testKey, Owner: "app", OwnerType: "ram-user", AccountID: testAccount, LastUsed: used},
			wantDiags: []string{"does not list the key"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Investigate(context.Background(), tc.fc, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Online: true})
			if err != nil {
				t.Fatal(err)
			}
			got := r.Key
			if got.UsedServices == nil {
				got.UsedServices = nil
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tc.want) {
				t.Errorf("facts\n got %+v\nwant %+v", got, tc.want)
			}
			for _, want := range tc.wantDiags {
				if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return strings.Contains(d.Summary, want) }) {
					t.Errorf("no diagnostic %q in %+v", want, r.Diagnostics)
				}
			}
			if len(tc.wantDiags) == 0 && len(r.Diagnostics) > 0 {
				t.Errorf("unexpected diagnostics %+v", r.Diagnostics)
			}
		})
	}
}

func TestInvestigateWindowAndEvents(t *testing.T) {
	t0 := testNow.Add(-2 * 24 * time.Hour)
	page := []json.RawMessage{rawEvent("e1", t0, "DescribeInstances", officeA), []byte(`{"eventName":`), rawEvent("e2", t0.Add(time.Minute), "DescribeInstances", officeA)}
	lookup := func(q cloud.LookupQuery, pg func([]json.RawMessage) error) error { return pg(page) }

	t.Run("default window and a bad item", func(t *testing.T) {
		fc := &fakeCloud{lookup: lookup}
		r, err := Investigate(context.Background(), fc, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Online: true})
		if err != nil {
			t.Fatal(err)
		}
		q := fc.lookupQueries[0]
		if q.AttributeKey != "EventAccessKeyId" || q.AttributeValue != testKey || !q.Start.Equal(testNow.Add(-DefaultLookback)) || !q.End.Equal(testNow) || q.PageSize != 50 {
			t.Errorf("query %+v", q)
		}
		if r.Window.Events != 2 || !r.Window.Since.Equal(testNow.Add(-DefaultLookback)) || !r.Window.Until.Equal(testNow) {
			t.Errorf("window %+v", r.Window)
		}
		if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return d.Source == "LookupEvents:event 1" }) {
			t.Errorf("the unreadable item is not reported with its position: %+v", r.Diagnostics)
		}
	})
	t.Run("strict", func(t *testing.T) {
		_, err := Investigate(context.Background(), &fakeCloud{lookup: lookup}, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Online: true, Strict: true})
		var pe *ProblemError
		if !errors.As(err, &pe) || pe.Problem.Pos != 1 {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("too old", func(t *testing.T) {
		fc := &fakeCloud{}
		_, err := Investigate(context.Background(), fc, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Online: true, Since: testNow.Add(-100 * 24 * time.Hour)})
		if !errors.Is(err, ErrWindowTooLong) || len(fc.lookupQueries) != 0 {
			t.Fatalf("err %v, queries %d", err, len(fc.lookupQueries))
		}
	})
	t.Run("lookup fails", func(t *testing.T) {
		fc := &fakeCloud{lookup: func(cloud.LookupQuery, func([]json.RawMessage) error) error { return errors.New("throttled for good") }}
		_, err := Investigate(context.Background(), fc, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Online: true})
		if err == nil || !strings.Contains(err.Error(), "LookupEvents") || !strings.Contains(err.Error(), "throttled for good") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, o := range []InvestigateOptions{
			{Engine: Options{KeyID: testKey}, Online: true},                                                  // no cloud
			{Engine: Options{KeyID: testKey}},                                                                // nothing to read
			{Engine: Options{KeyID: testKey}, Trails: []string{"x"}, Since: testNow, Until: testNow.Add(-1)}, // until < since
		} {
			if _, err := Investigate(context.Background(), nil, o); err == nil {
				t.Errorf("%+v: no error", o)
			}
		}
	})
	t.Run("online and offline overlap", func(t *testing.T) {
		dir := t.TempDir()
		trail := filepath.Join(dir, "t.json")
		doc, _ := json.Marshal([]json.RawMessage{page[0], rawEvent("e3", t0.Add(2*time.Minute), "DescribeRegions", officeB)})
		os.WriteFile(trail, doc, 0o600)
		r, err := Investigate(context.Background(), &fakeCloud{lookup: lookup}, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Online: true, Trails: []string{trail}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Window.Events != 3 {
			t.Errorf("events %d, want 3 (e1 read twice counts once)", r.Window.Events)
		}
	})
	t.Run("offline over its own range, problems named", func(t *testing.T) {
		dir := t.TempDir()
		trail := filepath.Join(dir, "t.jsonl")
		old := testNow.Add(-400 * 24 * time.Hour)
		lines := string(rawEvent("o1", old, "DescribeInstances", officeA)) + "\n{\"eventName\":\"X\",\"userIdentity\":{\"accessKeyId\":\"" + testKey + "\"\n" + string(rawEvent("o2", old.Add(time.Hour), "DescribeInstances", officeA)) + "\n"
		os.WriteFile(trail, []byte(lines), 0o600)
		r, err := Investigate(context.Background(), nil, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Trails: []string{trail}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Window.Events != 2 || !r.Window.Since.Equal(old) {
			t.Errorf("window %+v", r.Window)
		}
		if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return d.Source == trail+":line 2" }) {
			t.Errorf("diagnostics %+v", r.Diagnostics)
		}
		if _, err := Investigate(context.Background(), nil, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Trails: []string{trail}, Strict: true}); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("strict: %v", err)
		}
		// --until narrows, inclusively.
		r, err = Investigate(context.Background(), nil, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Trails: []string{trail}, Until: old})
		if err != nil || r.Window.Events != 1 || r.Window.Filtered != 1 {
			t.Errorf("until: %v %+v", err, r.Window)
		}
	})
}

// Inputs that could not be read give an error, not a verdict: an "idle"
// from files nobody read would send the responder to disable the key.
func TestInvestigateNothingRead(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	notJSON := filepath.Join(dir, "notes")
	emptyArray := filepath.Join(dir, "quiet")
	for _, d := range []string{empty, notJSON, emptyArray} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, notJSON, "readme.txt", []byte("hello"))
	writeFile(t, notJSON, "photo.png", []byte("png"))
	writeFile(t, emptyArray, "trail.json", []byte("[]"))
	for _, c := range []struct {
		name, path, want string
	}{
		{"empty directory", empty, "(no file found)"},
		{"only files that are not records", notJSON, "1 file skipped, the first: " + filepath.Join(notJSON, "readme.txt") + ": not JSON"},
		{"a file that does not exist", filepath.Join(dir, "gone.json"), "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Investigate(context.Background(), nil, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Trails: []string{c.path}})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), testKey) {
				t.Fatalf("err %v, want an error naming the key and %q", err, c.want)
			}
			if strings.Contains(c.want, "(") && !strings.Contains(err.Error(), "nothing was audited") {
				t.Errorf("err %v does not say that nothing was audited", err)
			}
		})
	}
	// Files read that hold no record are an input like any other.
	r, err := Investigate(context.Background(), nil, InvestigateOptions{Engine: Options{KeyID: testKey, Now: testNow}, Trails: []string{emptyArray}})
	if err != nil || r.Verdict.Status != StatusIdle {
		t.Fatalf("empty array: err %v, verdict %+v", err, r)
	}
}
