package lab

import (
	"net/http"
	"strings"
	"testing"
	"time"

	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	sts "github.com/alibabacloud-go/sts-20150401/v2/client"
	"github.com/alibabacloud-go/tea/tea"
)

func TestGetCallerIdentity(t *testing.T) {
	f := newFixture(t, Options{})
	// A user without any policy: GetCallerIdentity needs no permission.
	ivan := f.addUser("ivan")
	uid := f.srv.Snapshot().Users["ivan"].UserID

	tests := []struct {
		name              string
		cred              cred
		typ, arn, pid, id string
	}{
		{"root", f.root, "Account", "acs:ram::" + defaultAccountID + ":root", defaultAccountID, defaultAccountID},
		{"ram user", ivan, "RAMUser", "acs:ram::" + defaultAccountID + ":user/ivan", uid, uid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := f.sts(tt.cred).GetCallerIdentity()
			mustOK(t, err)
			b := resp.Body
			if tea.StringValue(b.IdentityType) != tt.typ || tea.StringValue(b.Arn) != tt.arn || tea.StringValue(b.PrincipalId) != tt.pid ||
				tea.StringValue(b.UserId) != tt.id || tea.StringValue(b.AccountId) != defaultAccountID {
				t.Fatalf("GetCallerIdentity = %+v", b)
			}
		})
	}
	evs := eventsFor(f.srv, "GetCallerIdentity")
	if len(evs) != 2 || evs[1].UserIdentity.Type != "ram-user" || evs[0].UserIdentity.UserName != "root" || evs[0].UserIdentity.PrincipalID != defaultAccountID {
		t.Fatalf("GetCallerIdentity events = %+v", evs)
	}
}

func TestAssumeRoleAndUseToken(t *testing.T) {
	clock := newTestClock(time.Now().UTC().Truncate(time.Second))
	f := newFixture(t, Options{Clock: clock.Now})
	jo := f.addUser("jo", "AliyunSTSAssumeRoleAccess")
	outsider := f.addUser("outsider", "AliyunSTSAssumeRoleAccess")
	root := f.ram(f.root)
	trust := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::` + defaultAccountID + `:user/jo"]}}]}`
	_, err := root.CreateRole(&ram.CreateRoleRequest{RoleName: tea.String("ir-role"), AssumeRolePolicyDocument: tea.String(trust)})
	mustOK(t, err)
	_, err = root.AttachPolicyToRole(&ram.AttachPolicyToRoleRequest{PolicyName: tea.String("AliyunRAMReadOnlyAccess"), PolicyType: tea.String("System"), RoleName: tea.String("ir-role")})
	mustOK(t, err)
	arn := "acs:ram::" + defaultAccountID + ":role/ir-role"

	_, err = f.sts(f.root).AssumeRole(&sts.AssumeRoleRequest{RoleArn: tea.String(arn), RoleSessionName: tea.String("s1")})
	wantCode(t, err, "NoPermission", http.StatusForbidden)
	_, err = f.sts(outsider).AssumeRole(&sts.AssumeRoleRequest{RoleArn: tea.String(arn), RoleSessionName: tea.String("s1")})
	wantCode(t, err, "NoPermission", http.StatusForbidden)
	_, err = f.sts(jo).AssumeRole(&sts.AssumeRoleRequest{RoleArn: tea.String(arn), RoleSessionName: tea.String("s1"), DurationSeconds: tea.Int64(100)})
	wantCode(t, err, "InvalidParameter.DurationSeconds", http.StatusBadRequest)
	_, err = f.sts(jo).AssumeRole(&sts.AssumeRoleRequest{RoleArn: tea.String("acs:ram::" + defaultAccountID + ":role/none"), RoleSessionName: tea.String("s1")})
	wantCode(t, err, "EntityNotExist.Role", http.StatusNotFound)

	ar, err := f.sts(jo).AssumeRole(&sts.AssumeRoleRequest{RoleArn: tea.String(arn), RoleSessionName: tea.String("ir-session"), DurationSeconds: tea.Int64(900)})
	mustOK(t, err)
	cr := ar.Body.Credentials
	tok := cred{id: tea.StringValue(cr.AccessKeyId), secret: tea.StringValue(cr.AccessKeySecret), token: tea.StringValue(cr.SecurityToken)}
	if !strings.HasPrefix(tok.id, "STS.") || tok.secret == "" || tok.token == "" || tea.StringValue(cr.Expiration) != fmtTime(clock.Now().Add(900*time.Second)) {
		t.Fatalf("credentials = %+v", cr)
	}
	if tea.StringValue(ar.Body.AssumedRoleUser.Arn) != arn+"/ir-session" {
		t.Fatalf("AssumedRoleUser = %+v", ar.Body.AssumedRoleUser)
	}

	// The token works for V3 (RAM) and V1 (STS) calls.
	_, err = f.ram(tok).ListUsers(&ram.ListUsersRequest{})
	mustOK(t, err)
	id, err := f.sts(tok).GetCallerIdentity()
	mustOK(t, err)
	roleID := f.srv.Snapshot().Roles["ir-role"].RoleID
	if tea.StringValue(id.Body.IdentityType) != "AssumedRoleUser" || tea.StringValue(id.Body.Arn) != "acs:ram::"+defaultAccountID+":assumed-role/ir-role/ir-session" ||
		tea.StringValue(id.Body.PrincipalId) != roleID+":ir-session" || tea.StringValue(id.Body.RoleId) != roleID {
		t.Fatalf("GetCallerIdentity with token = %+v", id.Body)
	}
	// The role only has read access.
	_, err = f.ram(tok).CreateUser(&ram.CreateUserRequest{UserName: tea.String("x")})
	wantCode(t, err, "NoPermission", http.StatusForbidden)

	// The event records the role session and never the secret or token.
	evs := eventsFor(f.srv, "ListUsers")
	last := evs[len(evs)-1]
	if last.UserIdentity.Type != "assumed-role" || last.UserIdentity.UserName != "ir-role:ir-session" || last.UserIdentity.PrincipalID != roleID+":ir-session" {
		t.Fatalf("token event identity = %+v", last.UserIdentity)
	}
	for _, e := range f.srv.Events() {
		raw := string(e.MarshalRaw())
		if strings.Contains(raw, tok.secret) || strings.Contains(raw, tok.token) {
			t.Fatalf("event %s leaks the STS secret or token: %s", e.EventName, raw)
		}
	}
	assumes := eventsFor(f.srv, "AssumeRole")
	okEv := assumes[len(assumes)-1]
	creds, _ := okEv.ResponseElements["Credentials"].(map[string]any)
	if creds["AccessKeyId"] != tok.id || creds["AccessKeySecret"] != nil || creds["SecurityToken"] != nil {
		t.Fatalf("AssumeRole responseElements = %v", okEv.ResponseElements)
	}

	// Token misuse.
	tests := []struct {
		name string
		c    cred
		code string
	}{
		{"missing token", cred{id: tok.id, secret: tok.secret}, "MissingSecurityToken"},
		{"garbage token", cred{id: tok.id, secret: tok.secret, token: "CAISgarbage"}, "InvalidSecurityToken.Malformed"},
		{"token on a permanent key", cred{id: jo.id, secret: jo.secret, token: tok.token}, "InvalidSecurityToken.MismatchWithAccessKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ram(tt.c).ListUsers(&ram.ListUsersRequest{})
			wantCode(t, err, tt.code, http.StatusBadRequest)
		})
	}

	// A session policy narrows the role.
	narrow := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:GetUser","Resource":"*"}]}`
	ar2, err := f.sts(jo).AssumeRole(&sts.AssumeRoleRequest{RoleArn: tea.String(arn), RoleSessionName: tea.String("narrow"), Policy: tea.String(narrow)})
	mustOK(t, err)
	c2 := cred{id: tea.StringValue(ar2.Body.Credentials.AccessKeyId), secret: tea.StringValue(ar2.Body.Credentials.AccessKeySecret), token: tea.StringValue(ar2.Body.Credentials.SecurityToken)}
	_, err = f.ram(c2).GetUser(&ram.GetUserRequest{UserName: tea.String("jo")})
	mustOK(t, err)
	_, err = f.ram(c2).ListUsers(&ram.ListUsersRequest{})
	wantCode(t, err, "NoPermission", http.StatusForbidden)

	// Expiry follows the lab clock.
	clock.Advance(901 * time.Second)
	_, err = f.ram(tok).ListUsers(&ram.ListUsersRequest{})
	wantCode(t, err, "InvalidSecurityToken.Expired", http.StatusBadRequest)
}
