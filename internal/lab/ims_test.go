package lab

import (
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func upnOf(name string) string { return name + "@" + defaultAccountAlias + ".onaliyun.com" }

func TestIMSUsersAndKeys(t *testing.T) {
	f := newFixture(t, Options{})
	kim := f.addUser("kim")

	tests := []struct {
		name  string
		query map[string]string
	}{
		{"by principal name", map[string]string{"UserPrincipalName": upnOf("kim")}},
		{"by principal name with account id", map[string]string{"UserPrincipalName": "kim@" + defaultAccountID + ".onaliyun.com"}},
		{"by access key", map[string]string{"UserAccessKeyId": kim.id}},
		{"by user id", map[string]string{"UserId": f.srv.Snapshot().Users["kim"].UserID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := f.ims(f.root, "GetUser", tt.query)
			mustOK(t, err)
			u, _ := body["User"].(map[string]any)
			if _, hasStatus := u["Status"]; u["UserPrincipalName"] != upnOf("kim") || u["UserName"] != "kim" || hasStatus {
				t.Fatalf("GetUser = %v", body)
			}
		})
	}
	_, err := f.ims(f.root, "GetUser", map[string]string{"UserAccessKeyId": testRootKey})
	wantCode(t, err, "EntityNotExist.User", http.StatusNotFound)
	_, err = f.ims(f.root, "GetUser", map[string]string{"UserPrincipalName": "kim@other.onaliyun.com"})
	wantCode(t, err, "EntityNotExist.User", http.StatusNotFound)

	created, err := f.ims(f.root, "CreateAccessKey", map[string]string{"UserPrincipalName": upnOf("kim")})
	mustOK(t, err)
	newID := created["AccessKey"].(map[string]any)["AccessKeyId"].(string)
	_, err = f.ims(f.root, "CreateAccessKey", map[string]string{"UserPrincipalName": upnOf("kim")})
	wantCode(t, err, "LimitExceeded.User.AccessKey", http.StatusConflict)

	list, err := f.ims(f.root, "ListAccessKeys", map[string]string{"UserPrincipalName": upnOf("kim")})
	mustOK(t, err)
	keys := list["AccessKeys"].(map[string]any)["AccessKey"].([]any)
	if len(keys) != 2 || keys[0].(map[string]any)["UpdateDate"] == nil {
		t.Fatalf("ListAccessKeys = %v", list)
	}

	_, err = f.ims(f.root, "UpdateAccessKey", map[string]string{"UserPrincipalName": upnOf("kim"), "UserAccessKeyId": kim.id, "Status": "Inactive"})
	mustOK(t, err)
	_, err = f.ims(kim, "GetUser", map[string]string{"UserPrincipalName": upnOf("kim")})
	wantCode(t, err, "InvalidAccessKeyId.Inactive", http.StatusBadRequest)

	// Delete → recycle bin → restore.
	_, err = f.ims(f.root, "DeleteAccessKey", map[string]string{"UserPrincipalName": upnOf("kim"), "UserAccessKeyId": kim.id})
	mustOK(t, err)
	_, err = f.ims(kim, "GetUser", map[string]string{"UserPrincipalName": upnOf("kim")})
	wantCode(t, err, "InvalidAccessKeyId.NotFound", http.StatusNotFound)
	bin, err := f.ims(f.root, "ListAccessKeysInRecycleBin", nil)
	mustOK(t, err)
	if got := bin["AccessKeys"].(map[string]any)["AccessKey"].([]any); len(got) != 1 || got[0].(map[string]any)["AccessKeyId"] != kim.id {
		t.Fatalf("recycle bin = %v", bin)
	}
	info, err := f.ims(f.root, "GetAccessKeyInfoInRecycleBin", map[string]string{"UserAccessKeyId": kim.id})
	mustOK(t, err)
	if ak := info["AccessKey"].(map[string]any); ak["UserPrincipalName"] != upnOf("kim") || ak["UserRecycled"] != false {
		t.Fatalf("GetAccessKeyInfoInRecycleBin = %v", info)
	}
	_, err = f.ims(f.root, "CreateAccessKey", map[string]string{"UserPrincipalName": upnOf("kim")})
	mustOK(t, err)
	_, err = f.ims(f.root, "RestoreAccessKeyFromRecycleBin", map[string]string{"UserAccessKeyId": kim.id})
	wantCode(t, err, "LimitExceeded.User.AccessKey", http.StatusConflict)
	_, err = f.ims(f.root, "DeleteAccessKey", map[string]string{"UserPrincipalName": upnOf("kim"), "UserAccessKeyId": newID})
	mustOK(t, err)
	_, err = f.ims(f.root, "RestoreAccessKeyFromRecycleBin", map[string]string{"UserAccessKeyId": kim.id})
	mustOK(t, err)
	if k := f.srv.Snapshot().AccessKeys[kim.id]; k == nil || k.Status != "Inactive" || k.Owner != "kim" {
		t.Fatalf("restored key = %+v", k)
	}
	_, err = f.ims(f.root, "DeleteAccessKeyInRecycleBin", map[string]string{"UserAccessKeyId": newID})
	mustOK(t, err)
	if _, ok := f.srv.Snapshot().RecycleBin[newID]; ok {
		t.Fatal("purged key is still in the recycle bin")
	}
}

func TestIMSLoginMFAAndSummary(t *testing.T) {
	f := newFixture(t, Options{})
	lee := f.addUser("lee")
	f.srv.Update(func(w *World) {
		w.Logins["lee"] = &LoginProfile{UserName: "lee", Status: "Active", CreateDate: time.Now(), UpdateDate: time.Now()}
		w.MFADevices["lee"] = &MFADevice{UserName: "lee", SerialNumber: "acs:ram::1:mfa/lee", Type: "VMFA", BindDate: time.Now()}
	})
	_, err := f.ims(f.root, "UpdateLoginProfile", map[string]string{"UserPrincipalName": upnOf("lee"), "Status": "Inactive", "MFABindRequired": "true"})
	mustOK(t, err)
	lp, err := f.ims(f.root, "GetLoginProfile", map[string]string{"UserPrincipalName": upnOf("lee")})
	mustOK(t, err)
	if p := lp["LoginProfile"].(map[string]any); p["Status"] != "Inactive" || p["MFABindRequired"] != true {
		t.Fatalf("GetLoginProfile = %v", lp)
	}
	_, err = f.ims(f.root, "UpdateLoginProfile", map[string]string{"UserPrincipalName": upnOf("lee"), "Status": "Off"})
	wantCode(t, err, "InvalidParameter.Status", http.StatusBadRequest)
	mfa, err := f.ims(f.root, "GetUserMFAInfo", map[string]string{"UserPrincipalName": upnOf("lee")})
	mustOK(t, err)
	if mfa["IsMFAEnable"] != true {
		t.Fatalf("GetUserMFAInfo = %v", mfa)
	}
	f.addUser("nomfa")
	mfa, err = f.ims(f.root, "GetUserMFAInfo", map[string]string{"UserPrincipalName": upnOf("nomfa")})
	mustOK(t, err)
	if mfa["IsMFAEnable"] != false {
		t.Fatalf("GetUserMFAInfo without device = %v", mfa)
	}
	sum, err := f.ims(f.root, "GetAccountSummary", nil)
	mustOK(t, err)
	if m := sum["SummaryMap"].(map[string]any); fmt.Sprint(m["Users"]) != "2" || fmt.Sprint(m["AccessKeysPerUserQuota"]) != "2" {
		t.Fatalf("GetAccountSummary = %v", sum)
	}
	_, err = f.ims(lee, "GetSecurityPreference", nil)
	wantCode(t, err, "NoPermission", http.StatusForbidden)
	_, err = f.ims(f.root, "GetSecurityPreference", nil)
	mustOK(t, err)
}

func TestCredentialReport(t *testing.T) {
	f := newFixture(t, Options{})
	for _, n := range []string{"amy", "ben", "cat"} {
		f.addUser(n)
	}
	_, err := f.ims(f.root, "GetCredentialReport", nil)
	wantCode(t, err, "EntityNotExist.CredentialReport", http.StatusNotFound)
	// STARTED, then INPROGRESS while it is built, then COMPLETED.
	states := []string{}
	for i := 0; i < 100; i++ {
		gen, err := f.ims(f.root, "GenerateCredentialReport", nil)
		mustOK(t, err)
		st, _ := gen["State"].(string)
		if len(states) == 0 || states[len(states)-1] != st {
			states = append(states, st)
		}
		if st == "COMPLETED" {
			break
		}
		if st == "INPROGRESS" {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if strings.Join(states, ">") != "STARTED>INPROGRESS>COMPLETED" {
		t.Fatalf("GenerateCredentialReport states = %v, want STARTED>INPROGRESS>COMPLETED", states)
	}
	var rows [][]string
	token := ""
	for pages := 0; ; pages++ {
		q := map[string]string{"MaxItems": "3"}
		if token != "" {
			q["NextToken"] = token
		}
		rep, err := f.ims(f.root, "GetCredentialReport", q)
		mustOK(t, err)
		raw, err := base64.StdEncoding.DecodeString(rep["Content"].(string))
		if err != nil {
			t.Fatalf("Content is not base64: %v", err)
		}
		recs, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
		if err != nil {
			t.Fatalf("Content is not CSV: %v", err)
		}
		if recs[0][0] != "user" || len(recs[0]) != 28 {
			t.Fatalf("header = %v", recs[0])
		}
		rows = append(rows, recs[1:]...)
		truncated := rep["IsTruncated"]
		if truncated != "true" && truncated != "false" {
			t.Fatalf("IsTruncated = %#v, want the string true/false", truncated)
		}
		if truncated == "false" {
			break
		}
		token, _ = rep["NextToken"].(string)
		if pages > 3 {
			t.Fatal("report paging does not end")
		}
	}
	if len(rows) != 4 || rows[0][0] != "<root>" || rows[1][0] != upnOf("amy") || rows[1][8] != "TRUE" || rows[1][12] != "FALSE" {
		t.Fatalf("report rows = %v", rows)
	}
	// A user who never signed in shows "-" (not "N/A").
	if rows[1][2] != "-" || rows[1][11] != "-" {
		t.Fatalf("never-used cells = %q, %q, want -", rows[1][2], rows[1][11])
	}
	// A new report at most every 4 hours: another user appears only in a
	// report generated 4 hours later.
	f.addUser("dan")
	gen, err := f.ims(f.root, "GenerateCredentialReport", nil)
	mustOK(t, err)
	if gen["State"] != "COMPLETED" {
		t.Fatalf("GenerateCredentialReport within 4 hours = %v, want COMPLETED (the last report)", gen)
	}
	again, err := f.ims(f.root, "GetCredentialReport", nil)
	mustOK(t, err)
	if raw, _ := base64.StdEncoding.DecodeString(again["Content"].(string)); strings.Contains(string(raw), upnOf("dan")) {
		t.Fatal("a report was regenerated within 4 hours")
	}
	_, err = f.ims(f.root, "GetCredentialReport", map[string]string{"NextToken": "bogus"})
	wantCode(t, err, "InvalidParameter.NextToken", http.StatusBadRequest)
}
