package lab

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	"github.com/alibabacloud-go/tea/tea"
)

func TestRAMUserAndKeyLifecycle(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.ram(f.root)

	cu, err := c.CreateUser(&ram.CreateUserRequest{UserName: tea.String("alice"), DisplayName: tea.String("Alice"), Email: tea.String("a@example.com")})
	mustOK(t, err)
	if got := tea.StringValue(cu.Body.User.UserName); got != "alice" || tea.StringValue(cu.Body.User.UserId) == "" || tea.StringValue(cu.Body.RequestId) == "" {
		t.Fatalf("CreateUser body = %+v", cu.Body)
	}
	_, err = c.CreateUser(&ram.CreateUserRequest{UserName: tea.String("alice")})
	wantCode(t, err, "EntityAlreadyExists.User", http.StatusConflict)
	_, err = c.CreateUser(&ram.CreateUserRequest{UserName: tea.String("bad name!")})
	wantCode(t, err, "InvalidParameter.UserName.InvalidChars", http.StatusBadRequest)

	gu, err := c.GetUser(&ram.GetUserRequest{UserName: tea.String("alice")})
	mustOK(t, err)
	if tea.StringValue(gu.Body.User.DisplayName) != "Alice" || tea.StringValue(gu.Body.User.Email) != "a@example.com" {
		t.Fatalf("GetUser user = %+v", gu.Body.User)
	}
	_, err = c.GetUser(&ram.GetUserRequest{UserName: tea.String("nobody")})
	wantCode(t, err, "EntityNotExist.User", http.StatusNotFound)

	var keys []string
	for i := 0; i < 2; i++ {
		ck, err := c.CreateAccessKey(&ram.CreateAccessKeyRequest{UserName: tea.String("alice")})
		mustOK(t, err)
		id, secret := tea.StringValue(ck.Body.AccessKey.AccessKeyId), tea.StringValue(ck.Body.AccessKey.AccessKeySecret)
		if len(id) != 24 || !strings.HasPrefix(id, "LTAI") || len(secret) != 30 || tea.StringValue(ck.Body.AccessKey.Status) != "Active" {
			t.Fatalf("CreateAccessKey key = %+v", ck.Body.AccessKey)
		}
		keys = append(keys, id)
	}
	_, err = c.CreateAccessKey(&ram.CreateAccessKeyRequest{UserName: tea.String("alice")})
	wantCode(t, err, "LimitExceeded.User.AccessKey", http.StatusConflict)

	lk, err := c.ListAccessKeys(&ram.ListAccessKeysRequest{UserName: tea.String("alice")})
	mustOK(t, err)
	if n := len(lk.Body.AccessKeys.AccessKey); n != 2 {
		t.Fatalf("ListAccessKeys returned %d keys, want 2", n)
	}

	_, err = c.UpdateAccessKey(&ram.UpdateAccessKeyRequest{UserName: tea.String("alice"), UserAccessKeyId: tea.String(keys[0]), Status: tea.String("Inactive")})
	mustOK(t, err)
	if st := f.srv.Snapshot().AccessKeys[keys[0]].Status; st != "Inactive" {
		t.Fatalf("key status after UpdateAccessKey = %s, want Inactive", st)
	}
	_, err = c.UpdateAccessKey(&ram.UpdateAccessKeyRequest{UserName: tea.String("alice"), UserAccessKeyId: tea.String(keys[0]), Status: tea.String("Disabled")})
	wantCode(t, err, "InvalidParameter.Status", http.StatusBadRequest)
	// Without UserName the root caller addresses its own keys.
	_, err = c.UpdateAccessKey(&ram.UpdateAccessKeyRequest{UserAccessKeyId: tea.String(keys[0]), Status: tea.String("Active")})
	wantCode(t, err, "EntityNotExist.User.AccessKey", http.StatusNotFound)

	_, err = c.DeleteUser(&ram.DeleteUserRequest{UserName: tea.String("alice")})
	wantCode(t, err, "DeleteConflict.User.AccessKey", http.StatusConflict)

	for _, k := range keys {
		_, err = c.DeleteAccessKey(&ram.DeleteAccessKeyRequest{UserName: tea.String("alice"), UserAccessKeyId: tea.String(k)})
		mustOK(t, err)
	}
	snap := f.srv.Snapshot()
	for _, k := range keys {
		if _, ok := snap.RecycleBin[k]; !ok {
			t.Errorf("deleted key %s is not in the recycle bin", k)
		}
	}
	_, err = c.DeleteUser(&ram.DeleteUserRequest{UserName: tea.String("alice")})
	mustOK(t, err)
	if _, ok := f.srv.Snapshot().Users["alice"]; ok {
		t.Fatal("alice still exists after DeleteUser")
	}
}

func TestRAMListUsersPaging(t *testing.T) {
	f := newFixture(t, Options{})
	for i := 0; i < 7; i++ {
		f.addUser(fmt.Sprintf("user%02d", i))
	}
	c := f.ram(f.root)
	var got []string
	marker := ""
	pages := 0
	for {
		req := &ram.ListUsersRequest{MaxItems: tea.Int32(3)}
		if marker != "" {
			req.Marker = tea.String(marker)
		}
		resp, err := c.ListUsers(req)
		mustOK(t, err)
		pages++
		for _, u := range resp.Body.Users.User {
			got = append(got, tea.StringValue(u.UserName))
		}
		if !tea.BoolValue(resp.Body.IsTruncated) {
			if resp.Body.Marker != nil {
				t.Fatalf("last page carries Marker %q", tea.StringValue(resp.Body.Marker))
			}
			break
		}
		marker = tea.StringValue(resp.Body.Marker)
		if marker == "" {
			t.Fatal("truncated page without Marker")
		}
	}
	want := "user00,user01,user02,user03,user04,user05,user06"
	if strings.Join(got, ",") != want || pages != 3 {
		t.Fatalf("paged users = %v in %d pages, want %s in 3", got, pages, want)
	}
	_, err := c.ListUsers(&ram.ListUsersRequest{MaxItems: tea.Int32(0)})
	wantCode(t, err, "InvalidParameter.MaxItems", http.StatusBadRequest)
	_, err = c.ListUsers(&ram.ListUsersRequest{Marker: tea.String("!!not-a-marker!!")})
	wantCode(t, err, "InvalidParameter.Marker", http.StatusBadRequest)
}

func TestRAMPolicyLifecycle(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser("bob")
	c := f.ram(f.root)
	doc := func(action string) string {
		return `{"Version":"1","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
	}
	_, err := c.CreatePolicy(&ram.CreatePolicyRequest{PolicyName: tea.String("p1"), PolicyDocument: tea.String(doc("ecs:Describe*"))})
	mustOK(t, err)
	_, err = c.CreatePolicy(&ram.CreatePolicyRequest{PolicyName: tea.String("p1"), PolicyDocument: tea.String(doc("ecs:Describe*"))})
	wantCode(t, err, "EntityAlreadyExists.Policy", http.StatusConflict)
	_, err = c.CreatePolicy(&ram.CreatePolicyRequest{PolicyName: tea.String("p2"), PolicyDocument: tea.String(`{"Version":"1","Statement":`)})
	wantCode(t, err, "MalformedPolicyDocument", http.StatusBadRequest)

	// Five versions is the limit; a sixth needs the rotate strategy.
	for i := 2; i <= 5; i++ {
		_, err = c.CreatePolicyVersion(&ram.CreatePolicyVersionRequest{PolicyName: tea.String("p1"), PolicyDocument: tea.String(doc(fmt.Sprintf("ecs:Get%d", i)))})
		mustOK(t, err)
	}
	_, err = c.CreatePolicyVersion(&ram.CreatePolicyVersionRequest{PolicyName: tea.String("p1"), PolicyDocument: tea.String(doc("ecs:Get6"))})
	wantCode(t, err, "LimitExceeded.Policy.Version", http.StatusConflict)
	pv, err := c.CreatePolicyVersion(&ram.CreatePolicyVersionRequest{PolicyName: tea.String("p1"), PolicyDocument: tea.String(doc("ecs:Get6")),
		SetAsDefault: tea.Bool(true), RotateStrategy: tea.String("DeleteOldestNonDefaultVersionWhenLimitExceeded")})
	mustOK(t, err)
	if v := tea.StringValue(pv.Body.PolicyVersion.VersionId); v != "v6" || !tea.BoolValue(pv.Body.PolicyVersion.IsDefaultVersion) {
		t.Fatalf("rotated version = %+v", pv.Body.PolicyVersion)
	}
	lv, err := c.ListPolicyVersions(&ram.ListPolicyVersionsRequest{PolicyName: tea.String("p1"), PolicyType: tea.String("Custom")})
	mustOK(t, err)
	var ids []string
	for _, v := range lv.Body.PolicyVersions.PolicyVersion {
		ids = append(ids, tea.StringValue(v.VersionId))
	}
	if strings.Join(ids, ",") != "v1,v3,v4,v5,v6" {
		t.Fatalf("versions after rotation = %v, want the oldest non-default (v2) dropped", ids)
	}
	_, err = c.DeletePolicyVersion(&ram.DeletePolicyVersionRequest{PolicyName: tea.String("p1"), VersionId: tea.String("v6")})
	wantCode(t, err, "DeleteConflict.Policy.Version.Default", http.StatusConflict)

	gp, err := c.GetPolicy(&ram.GetPolicyRequest{PolicyName: tea.String("p1"), PolicyType: tea.String("Custom")})
	mustOK(t, err)
	if tea.StringValue(gp.Body.DefaultPolicyVersion.VersionId) != "v6" || !strings.Contains(tea.StringValue(gp.Body.DefaultPolicyVersion.PolicyDocument), "ecs:Get6") {
		t.Fatalf("GetPolicy default version = %+v", gp.Body.DefaultPolicyVersion)
	}
	gs, err := c.GetPolicy(&ram.GetPolicyRequest{PolicyName: tea.String("AdministratorAccess"), PolicyType: tea.String("System")})
	mustOK(t, err)
	if tea.StringValue(gs.Body.Policy.PolicyType) != "System" || tea.StringValue(gs.Body.DefaultPolicyVersion.PolicyDocument) == "" {
		t.Fatalf("GetPolicy(AdministratorAccess) = %+v", gs.Body)
	}

	// Attachments.
	_, err = c.AttachPolicyToUser(&ram.AttachPolicyToUserRequest{PolicyName: tea.String("p1"), PolicyType: tea.String("Custom"), UserName: tea.String("bob")})
	mustOK(t, err)
	_, err = c.AttachPolicyToUser(&ram.AttachPolicyToUserRequest{PolicyName: tea.String("p1"), PolicyType: tea.String("Custom"), UserName: tea.String("bob")})
	wantCode(t, err, "EntityAlreadyExists.User.Policy", http.StatusConflict)
	_, err = c.AttachPolicyToUser(&ram.AttachPolicyToUserRequest{PolicyName: tea.String("p1"), PolicyType: tea.String("Custom"), UserName: tea.String("nobody")})
	wantCode(t, err, "EntityNotExist.User", http.StatusNotFound)
	_, err = c.AttachPolicyToUser(&ram.AttachPolicyToUserRequest{PolicyName: tea.String("nope"), PolicyType: tea.String("Custom"), UserName: tea.String("bob")})
	wantCode(t, err, "EntityNotExist.Policy", http.StatusNotFound)
	lp, err := c.ListPoliciesForUser(&ram.ListPoliciesForUserRequest{UserName: tea.String("bob")})
	mustOK(t, err)
	if n := len(lp.Body.Policies.Policy); n != 1 || tea.StringValue(lp.Body.Policies.Policy[0].PolicyName) != "p1" {
		t.Fatalf("ListPoliciesForUser = %+v", lp.Body.Policies)
	}
	le, err := c.ListEntitiesForPolicy(&ram.ListEntitiesForPolicyRequest{PolicyName: tea.String("p1"), PolicyType: tea.String("Custom")})
	mustOK(t, err)
	if n := len(le.Body.Users.User); n != 1 || tea.StringValue(le.Body.Users.User[0].UserName) != "bob" {
		t.Fatalf("ListEntitiesForPolicy users = %+v", le.Body.Users)
	}

	_, err = c.DeletePolicy(&ram.DeletePolicyRequest{PolicyName: tea.String("p1")})
	wantCode(t, err, "DeleteConflict.Policy.User", http.StatusConflict)
	_, err = c.DetachPolicyFromUser(&ram.DetachPolicyFromUserRequest{PolicyName: tea.String("p1"), PolicyType: tea.String("Custom"), UserName: tea.String("bob")})
	mustOK(t, err)
	_, err = c.DetachPolicyFromUser(&ram.DetachPolicyFromUserRequest{PolicyName: tea.String("p1"), PolicyType: tea.String("Custom"), UserName: tea.String("bob")})
	wantCode(t, err, "EntityNotExist.User.Policy", http.StatusNotFound)
	_, err = c.DeletePolicy(&ram.DeletePolicyRequest{PolicyName: tea.String("p1")})
	wantCode(t, err, "DeleteConflict.Policy.Version", http.StatusConflict)
	_, err = c.DeletePolicy(&ram.DeletePolicyRequest{PolicyName: tea.String("p1"), CascadingDelete: tea.Bool(true)})
	mustOK(t, err)
	if _, ok := f.srv.Snapshot().Policies["p1"]; ok {
		t.Fatal("p1 still exists after DeletePolicy")
	}
}

func TestRAMGroupsRolesAndLoginProfile(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser("carol")
	c := f.ram(f.root)

	_, err := c.CreateGroup(&ram.CreateGroupRequest{GroupName: tea.String("ops")})
	mustOK(t, err)
	_, err = c.AddUserToGroup(&ram.AddUserToGroupRequest{GroupName: tea.String("ops"), UserName: tea.String("carol")})
	mustOK(t, err)
	_, err = c.AddUserToGroup(&ram.AddUserToGroupRequest{GroupName: tea.String("ops"), UserName: tea.String("carol")})
	wantCode(t, err, "EntityAlreadyExists.User.Group", http.StatusConflict)
	lg, err := c.ListGroupsForUser(&ram.ListGroupsForUserRequest{UserName: tea.String("carol")})
	mustOK(t, err)
	if len(lg.Body.Groups.Group) != 1 || tea.StringValue(lg.Body.Groups.Group[0].JoinDate) == "" {
		t.Fatalf("ListGroupsForUser = %+v", lg.Body.Groups)
	}
	lu, err := c.ListUsersForGroup(&ram.ListUsersForGroupRequest{GroupName: tea.String("ops")})
	mustOK(t, err)
	if len(lu.Body.Users.User) != 1 || tea.StringValue(lu.Body.Users.User[0].UserName) != "carol" {
		t.Fatalf("ListUsersForGroup = %+v", lu.Body.Users)
	}
	_, err = c.DeleteUser(&ram.DeleteUserRequest{UserName: tea.String("carol")})
	wantCode(t, err, "DeleteConflict.User.AccessKey", http.StatusConflict)

	_, err = c.CreateLoginProfile(&ram.CreateLoginProfileRequest{UserName: tea.String("carol"), Password: tea.String("Passw0rd!Passw0rd"), MFABindRequired: tea.Bool(true)})
	mustOK(t, err)
	glp, err := c.GetLoginProfile(&ram.GetLoginProfileRequest{UserName: tea.String("carol")})
	mustOK(t, err)
	if !tea.BoolValue(glp.Body.LoginProfile.MFABindRequired) {
		t.Fatalf("GetLoginProfile = %+v", glp.Body.LoginProfile)
	}
	_, err = c.GetUserMFAInfo(&ram.GetUserMFAInfoRequest{UserName: tea.String("carol")})
	wantCode(t, err, "EntityNotExist.User.MFADevice", http.StatusNotFound)
	_, err = c.DeleteLoginProfile(&ram.DeleteLoginProfileRequest{UserName: tea.String("carol")})
	mustOK(t, err)
	_, err = c.GetLoginProfile(&ram.GetLoginProfileRequest{UserName: tea.String("carol")})
	wantCode(t, err, "EntityNotExist.User.LoginProfile", http.StatusNotFound)

	trust := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::` + defaultAccountID + `:root"]}}]}`
	cr, err := c.CreateRole(&ram.CreateRoleRequest{RoleName: tea.String("ir-role"), AssumeRolePolicyDocument: tea.String(trust)})
	mustOK(t, err)
	if tea.StringValue(cr.Body.Role.Arn) != "acs:ram::"+defaultAccountID+":role/ir-role" || tea.Int64Value(cr.Body.Role.MaxSessionDuration) != 3600 {
		t.Fatalf("CreateRole = %+v", cr.Body.Role)
	}
	_, err = c.UpdateRole(&ram.UpdateRoleRequest{RoleName: tea.String("ir-role"), NewMaxSessionDuration: tea.Int64(7200)})
	mustOK(t, err)
	gr, err := c.GetRole(&ram.GetRoleRequest{RoleName: tea.String("ir-role")})
	mustOK(t, err)
	if tea.Int64Value(gr.Body.Role.MaxSessionDuration) != 7200 || tea.StringValue(gr.Body.Role.AssumeRolePolicyDocument) != trust {
		t.Fatalf("GetRole = %+v", gr.Body.Role)
	}
	_, err = c.AttachPolicyToRole(&ram.AttachPolicyToRoleRequest{PolicyName: tea.String("ReadOnlyAccess"), PolicyType: tea.String("System"), RoleName: tea.String("ir-role")})
	mustOK(t, err)
	_, err = c.DeleteRole(&ram.DeleteRoleRequest{RoleName: tea.String("ir-role")})
	wantCode(t, err, "DeleteConflict.Role.Policy", http.StatusConflict)
	lr, err := c.ListRoles(&ram.ListRolesRequest{})
	mustOK(t, err)
	if len(lr.Body.Roles.Role) != 1 || tea.BoolValue(lr.Body.IsTruncated) {
		t.Fatalf("ListRoles = %+v", lr.Body)
	}
	ga, err := c.GetAccountAlias()
	mustOK(t, err)
	if tea.StringValue(ga.Body.AccountAlias) != defaultAccountAlias {
		t.Fatalf("GetAccountAlias = %q", tea.StringValue(ga.Body.AccountAlias))
	}
}

func TestRAMUserCallsForItself(t *testing.T) {
	f := newFixture(t, Options{})
	dave := f.addUser("dave", "AliyunRAMFullAccess")
	c := f.ram(dave)
	// Without UserName a RAM user manages its own keys.
	lk, err := c.ListAccessKeys(&ram.ListAccessKeysRequest{})
	mustOK(t, err)
	if len(lk.Body.AccessKeys.AccessKey) != 1 || tea.StringValue(lk.Body.AccessKeys.AccessKey[0].AccessKeyId) != dave.id {
		t.Fatalf("ListAccessKeys for self = %+v", lk.Body.AccessKeys)
	}
	ck, err := c.CreateAccessKey(&ram.CreateAccessKeyRequest{})
	mustOK(t, err)
	if owner := f.srv.Snapshot().AccessKeys[tea.StringValue(ck.Body.AccessKey.AccessKeyId)].Owner; owner != "dave" {
		t.Fatalf("key created without UserName belongs to %q, want dave", owner)
	}
	_, err = c.CreateAccessKey(&ram.CreateAccessKeyRequest{})
	wantCode(t, err, "LimitExceeded.User.AccessKey", http.StatusConflict)
	lu, err := c.GetAccessKeyLastUsed(&ram.GetAccessKeyLastUsedRequest{UserAccessKeyId: tea.String(dave.id)})
	mustOK(t, err)
	if tea.StringValue(lu.Body.AccessKeyLastUsed.LastUsedDate) == "" {
		t.Fatal("GetAccessKeyLastUsed has no LastUsedDate for a key that just made calls")
	}
}
