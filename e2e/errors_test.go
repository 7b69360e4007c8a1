package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/lab"
)

// requestIDPattern is the lab's (and Alibaba's) request id shape.
var requestIDPattern = regexp.MustCompile(`request [0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}`)

// Every class of cloud error reaches the user with the API, the key or user
// concerned, the cloud's error code, the request ID and what to do about it,
// and exit 1.
func TestHonestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, l *inprocLab) (env []string)
		args  func(l *inprocLab) []string
		want  []string // substrings of stderr besides a request id
	}{
		{
			name:  "no permission",
			setup: func(t *testing.T, l *inprocLab) []string { return l.env(t, "idle-bot") },
			args: func(l *inprocLab) []string {
				return []string{"contain", l.info.Notes["leaked_key_id"], "--allow-ip", "127.0.0.10/31", "--yes", "--no-audit"}
			},
			want: []string{"ims:GetUser", "LTAI5tAPPPRODLEAKED00001", "NoPermission", "hint:", "--profile"},
		},
		{
			name:  "entity missing",
			setup: func(t *testing.T, l *inprocLab) []string { return l.env(t, "admin") },
			args:  func(l *inprocLab) []string { return []string{"disable", "LTAI5tDOESNOTEXIST000000", "--yes"} },
			// The one answer every command gives a key that does not exist
			// (cloud.UnknownKeyError): the key in full, the account, the
			// request that said so, what to check.
			want: []string{"no AccessKey LTAI5tDOESNOTEXIST000000 in account 1234567890123456", "(request ", "check the key ID"},
		},
		{
			name: "network ACL denial",
			// reporting's key only works from the office; akresp calls from 127.0.0.1.
			setup: func(t *testing.T, l *inprocLab) []string { return l.env(t, "reporting") },
			args:  func(l *inprocLab) []string { return []string{"audit", l.info.Notes["leaked_key_id"]} },
			want:  []string{"actiontrail:LookupEvents", "LTAI5tAPPPRODLEAKED00001", "Forbidden.AccessKeyPolicy", "127.0.0.1", "hint:", "network policy"},
		},
		{
			name: "wrong secret",
			setup: func(t *testing.T, l *inprocLab) []string {
				return append(l.env(t, "admin"), "ALIBABA_CLOUD_ACCESS_KEY_SECRET=notTheSecretOfThisKey0000000")
			},
			args: func(l *inprocLab) []string { return []string{"audit", l.info.Notes["leaked_key_id"]} },
			want: []string{"actiontrail:LookupEvents", "LTAI5tAPPPRODLEAKED00001", "SignatureDoesNotMatch", "hint:", "credentials"},
		},
		{
			name: "unknown caller key",
			setup: func(t *testing.T, l *inprocLab) []string {
				return append(l.env(t, "admin"), "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tNOSUCHCALLER000000")
			},
			args: func(l *inprocLab) []string { return []string{"audit", l.info.Notes["leaked_key_id"]} },
			want: []string{"actiontrail:LookupEvents", "InvalidAccessKeyId", "hint:"},
		},
		{
			name: "disabled caller key",
			setup: func(t *testing.T, l *inprocLab) []string {
				id := l.info.Credentials["idle-bot"].AccessKeyID
				l.srv.Update(func(w *lab.World) { w.AccessKeys[id].Status = "Inactive" })
				return l.env(t, "idle-bot")
			},
			args: func(l *inprocLab) []string { return []string{"audit", l.info.Notes["leaked_key_id"]} },
			want: []string{"actiontrail:LookupEvents", "InvalidAccessKeyId.Inactive", "hint:", "disabled", "--profile"},
		},
		{
			name: "service failing past retries",
			setup: func(t *testing.T, l *inprocLab) []string {
				l.srv.SetFaultRate(1)
				return l.env(t, "admin")
			},
			args: func(l *inprocLab) []string {
				return []string{"contain", l.info.Notes["leaked_key_id"], "--allow-ip", "127.0.0.10/31", "--yes"}
			},
			want: []string{"sts:GetCallerIdentity", "after 5 attempts", "hint:", "retry later"},
		},
		{
			name: "throttled past retries",
			setup: func(t *testing.T, l *inprocLab) []string {
				// A thousandth of the real quota: the bucket holds one
				// token that takes minutes to refill.
				l.srv.SetQuotaScale(0.001)
				return l.env(t, "admin")
			},
			// One region: every region's lookup would wait out its own
			// retries on the one-token bucket.
			args: func(l *inprocLab) []string {
				return []string{"audit", l.info.Notes["leaked_key_id"], "--regions", "cn-hangzhou"}
			},
			want: []string{"actiontrail:LookupEvents", "LTAI5tAPPPRODLEAKED00001", "Throttling.User", "after 5 attempts", "hint:", "retry later"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := startInproc(t, "builtin:leak", lab.Options{})
			env := tt.setup(t, l)
			before := l.srv.StateJSON()
			r := l.runEnv(t, env, tt.args(l)...)
			if r.code != 1 {
				t.Fatalf("want exit 1:\n%s", r)
			}
			// A request ID exists only if some attempt got an answer: with
			// every attempt's connection dropped there is none to quote, and
			// the message must then say that no answer came.
			if !requestIDPattern.MatchString(r.stderr) &&
				!(tt.name == "service failing past retries" && strings.Contains(r.stderr, "EOF")) {
				t.Errorf("stderr names no request id:\n%s", r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("crashed:\n%s", r.stderr)
			}
			if string(before) != string(l.srv.StateJSON()) {
				t.Errorf("a failed run changed the lab's state")
			}
		})
	}
}
