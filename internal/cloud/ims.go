package cloud

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// IMS 2019-08-15. No IMS SDK is a project dependency, so these go through
// the generic openapi client with the Params the ims SDK generates
// (alibaba-cloud-api.md §11).

func imsAPI(action string) apiSpec { return apiSpec{service: "IMS", action: action} }

func (c *Clients) imsCall(ctx context.Context, api apiSpec, target string, query map[string]string, out any) error {
	return c.rpc(ctx, c.ims, api, imsVersion, target, query, out)
}

type imsUser struct {
	UserID            string `json:"UserId"`
	UserName          string `json:"UserName"`
	UserPrincipalName string `json:"UserPrincipalName"`
	DisplayName       string `json:"DisplayName"`
	Comments          string `json:"Comments"`
	Status            string `json:"Status"`
	CreateDate        string `json:"CreateDate"`
	UpdateDate        string `json:"UpdateDate"`
	LastLoginDate     string `json:"LastLoginDate"`
}

// GetUserByAccessKey finds the RAM user owning a key (IMS GetUser with
// UserAccessKeyId). A key with no RAM user, such as a root-account key,
// comes back as ErrNotFound; ask STS or the credential report about those.
func (c *Clients) GetUserByAccessKey(ctx context.Context, keyID string) (User, error) {
	api := imsAPI("GetUser")
	api.keyTarget = true
	if keyID == "" {
		return User{}, refuse(api, "", "access key id is empty")
	}
	var out struct {
		RequestID string   `json:"RequestId"`
		User      *imsUser `json:"User"`
	}
	if err := c.imsCall(ctx, api, keyID, map[string]string{"UserAccessKeyId": keyID}, &out); err != nil {
		return User{}, err
	}
	if out.User == nil || (out.User.UserID == "" && out.User.UserName == "" && out.User.UserPrincipalName == "") {
		return User{}, &APIError{API: api.name(), Target: keyID, RequestID: out.RequestID,
			Message: "no RAM user owns this AccessKey (a root-account key?)", class: ErrNotFound}
	}
	u := out.User
	name := api.name()
	return User{
		UserID:            u.UserID,
		UserName:          u.UserName,
		DisplayName:       u.DisplayName,
		Comments:          u.Comments,
		UserPrincipalName: u.UserPrincipalName,
		Status:            u.Status,
		CreateDate:        c.parseTime(name, "CreateDate", u.CreateDate),
		UpdateDate:        c.parseTime(name, "UpdateDate", u.UpdateDate),
		LastLoginDate:     c.parseTime(name, "LastLoginDate", u.LastLoginDate),
	}, nil
}

// GetAccessKeyPolicy returns the key's network access policy document;
// "" means none is set. IMS addresses users by UserPrincipalName (from
// GetUserByAccessKey); "" means the key belongs to the caller itself, so
// another user's key needs its owner's UPN.
func (c *Clients) GetAccessKeyPolicy(ctx context.Context, keyID, userPrincipalName string) (string, error) {
	api := imsAPI("GetAccessKeyPolicy")
	api.keyTarget = true
	if keyID == "" {
		return "", refuse(api, userPrincipalName, "access key id is empty")
	}
	q := map[string]string{"UserAccessKeyId": keyID}
	if userPrincipalName != "" {
		q["UserPrincipalName"] = userPrincipalName
	}
	var out struct {
		AccessKeyPolicy string `json:"AccessKeyPolicy"`
	}
	if err := c.imsCall(ctx, api, keyID, q, &out); err != nil {
		return "", err
	}
	return strings.TrimSpace(out.AccessKeyPolicy), nil
}

// SetAccessKeyPolicy replaces the key's network access policy (the
// document shape is internal/policy's business). userPrincipalName is the
// key owner's UPN, "" for the caller's own key. Setting the same document
// twice is harmless, so it is retried like a read.
func (c *Clients) SetAccessKeyPolicy(ctx context.Context, keyID, userPrincipalName, policyJSON string) (string, error) {
	api := imsAPI("SetAccessKeyPolicy")
	api.keyTarget = true
	switch {
	case keyID == "":
		return "", refuse(api, userPrincipalName, "access key id is empty")
	case strings.TrimSpace(policyJSON) == "":
		return "", refuse(api, keyID, "access key policy document is empty")
	}
	q := map[string]string{"UserAccessKeyId": keyID, "AccessKeyPolicy": policyJSON}
	if userPrincipalName != "" {
		q["UserPrincipalName"] = userPrincipalName
	}
	var out struct {
		RequestID string `json:"RequestId"`
	}
	if err := c.imsCall(ctx, api, keyID, q, &out); err != nil {
		return "", err
	}
	return out.RequestID, nil
}

// ListAccessKeysInRecycleBin lists deleted keys that can still be restored
// (userID "" = the caller's). Status is "" for these keys.
func (c *Clients) ListAccessKeysInRecycleBin(ctx context.Context, userID string) ([]AccessKey, error) {
	api := imsAPI("ListAccessKeysInRecycleBin")
	q := map[string]string{}
	if userID != "" {
		q["UserId"] = userID
	}
	var out struct {
		AccessKeys *struct {
			AccessKey []struct {
				AccessKeyID string `json:"AccessKeyId"`
				CreateDate  string `json:"CreateDate"`
			} `json:"AccessKey"`
		} `json:"AccessKeys"`
	}
	if err := c.imsCall(ctx, api, userID, q, &out); err != nil {
		return nil, err
	}
	var keys []AccessKey
	if out.AccessKeys != nil {
		for _, k := range out.AccessKeys.AccessKey {
			keys = append(keys, AccessKey{AccessKeyID: k.AccessKeyID, CreateDate: c.parseTime(api.name(), "CreateDate", k.CreateDate)})
		}
	}
	return keys, nil
}

// RestoreAccessKeyFromRecycleBin brings a deleted key back (it returns in
// the state it was deleted in).
func (c *Clients) RestoreAccessKeyFromRecycleBin(ctx context.Context, userID, keyID string) (string, error) {
	api := imsAPI("RestoreAccessKeyFromRecycleBin")
	api.keyTarget = true
	if keyID == "" {
		return "", refuse(api, userID, "access key id is empty")
	}
	q := map[string]string{"UserAccessKeyId": keyID}
	if userID != "" {
		q["UserId"] = userID
	}
	var out struct {
		RequestID string `json:"RequestId"`
	}
	if err := c.imsCall(ctx, api, keyID, q, &out); err != nil {
		return "", err
	}
	return out.RequestID, nil
}

// CredentialReport generates the account's credential report, waits for it
// (bounded), and returns its rows, following NextToken across pages.
func (c *Clients) CredentialReport(ctx context.Context) ([]CredentialReportRow, error) {
	gen := imsAPI("GenerateCredentialReport")
	wait := c.reportPoll
	for poll := 1; ; poll++ {
		var out struct {
			State string `json:"State"`
		}
		if err := c.imsCall(ctx, gen, "", nil, &out); err != nil {
			return nil, err
		}
		if strings.EqualFold(out.State, "COMPLETED") {
			break
		}
		if poll >= c.reportMax {
			return nil, &APIError{API: gen.name(), Attempts: poll, class: ErrTransient,
				Message: fmt.Sprintf("report still %s after %d polls", out.State, poll)}
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, interrupted(gen, "", poll, nil, err)
		}
		wait = min(2*wait, retryCap)
	}

	get := imsAPI("GetCredentialReport")
	var (
		content bytes.Buffer
		token   string
		seen    = map[string]bool{}
		header  string
	)
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, &APIError{API: get.name(), Message: "gave up after 10000 pages", class: errNoClass}
		}
		q := map[string]string{"MaxItems": "3501"}
		if token != "" {
			q["NextToken"] = token
		}
		var out struct {
			RequestID   string `json:"RequestId"`
			Content     string `json:"Content"`
			IsTruncated string `json:"IsTruncated"`
			NextToken   string `json:"NextToken"`
		}
		if err := c.imsCall(ctx, get, "", q, &out); err != nil {
			return nil, err
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(out.Content))
		if err != nil {
			return nil, &APIError{API: get.name(), RequestID: out.RequestID, Err: err, class: errNoClass,
				Message: "report content is not base64: " + err.Error()}
		}
		raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
		first, rest, _ := bytes.Cut(raw, []byte("\n"))
		line := strings.TrimRight(string(first), "\r")
		switch {
		case page == 0:
			header = line
			content.Write(raw)
		case line == header:
			// Later pages repeat the header: keep one.
			content.Write(rest)
		default:
			content.Write(raw)
		}
		if content.Len() > 0 && !bytes.HasSuffix(content.Bytes(), []byte("\n")) {
			content.WriteByte('\n')
		}
		truncated, _ := strconv.ParseBool(strings.TrimSpace(out.IsTruncated))
		if !truncated || out.NextToken == "" {
			break
		}
		if seen[out.NextToken] {
			return nil, &APIError{API: get.name(), RequestID: out.RequestID, Message: "the service repeated a paging token", class: errNoClass}
		}
		seen[out.NextToken] = true
		token = out.NextToken
	}
	rows, err := ParseCredentialReport(&content)
	if err != nil {
		return nil, &APIError{API: get.name(), Err: err, Message: err.Error(), class: errNoClass}
	}
	return rows, nil
}

// ParseCredentialReport reads an IMS credential report CSV. Columns are
// found by header name, so their order does not matter and unknown columns
// are ignored. Booleans are TRUE/FALSE in any case; "N/A", "-" and ""
// mean empty (false, zero time). The column set follows the only public
// description found (alibaba-cloud-api.md §16, unverified).
func ParseCredentialReport(r io.Reader) ([]CredentialReportRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credential report header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	if _, ok := col["user"]; !ok {
		return nil, fmt.Errorf("credential report header: no %q column in %q", "user", strings.Join(header, ","))
	}
	// Key slots in header order.
	var slots []string
	for _, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if slot, ok := strings.CutSuffix(h, "_exist"); ok && strings.Contains(slot, "access_key_") {
			slots = append(slots, slot)
		}
	}

	var rows []CredentialReportRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("credential report: %w", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		p := reportRow{rec: rec, col: col, line: line}
		row := CredentialReportRow{
			User:           p.text("user"),
			UserCreated:    p.time("user_creation_time"),
			LastLogon:      p.time("user_last_logon"),
			PasswordExist:  p.bool("password_exist"),
			PasswordActive: p.bool("password_active"),
			MFAActive:      p.bool("mfa_active"),
		}
		for _, s := range slots {
			row.Keys = append(row.Keys, CredentialReportKey{
				Slot:        s,
				Exist:       p.bool(s + "_exist"),
				Active:      p.bool(s + "_active"),
				LastRotated: p.time(s + "_last_rotated"),
				LastUsed:    p.time(s + "_last_used"),
			})
		}
		if p.err != nil {
			return nil, p.err
		}
		if row.User == "" {
			return nil, fmt.Errorf("credential report line %d: empty user", line)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// reportRow reads cells of one CSV record by column name, keeping the
// first error.
type reportRow struct {
	rec  []string
	col  map[string]int
	line int
	err  error
}

func (p *reportRow) text(name string) string {
	i, ok := p.col[name]
	if !ok || i >= len(p.rec) {
		return ""
	}
	v := strings.TrimSpace(p.rec[i])
	switch strings.ToUpper(v) {
	case "N/A", "-", "NOT_SUPPORTED", "NO_INFORMATION":
		return ""
	}
	return v
}

func (p *reportRow) bool(name string) bool {
	v := p.text(name)
	switch strings.ToLower(v) {
	case "", "false":
		return false
	case "true":
		return true
	}
	if p.err == nil {
		p.err = fmt.Errorf("credential report line %d: column %s: %q is not a boolean", p.line, name, v)
	}
	return false
}

var reportTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"}

func (p *reportRow) time(name string) time.Time {
	v := p.text(name)
	if v == "" {
		return time.Time{}
	}
	for _, layout := range reportTimeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	if p.err == nil {
		p.err = fmt.Errorf("credential report line %d: column %s: %q is not a time", p.line, name, v)
	}
	return time.Time{}
}

// GetAccessKeyPolicyForAccount returns the account-level AccessKey network
// policy ("" = none). It applies to every permanent key of the account
// that has no Active key-level policy of its own: a key-level policy, when
// Active, replaces it (the leak-response plan's troubleshooting note).
// IMS 2019-08-15, no request parameters; not in any ims SDK, so it goes
// through the generic client (alibaba-cloud-api.md §15).
func (c *Clients) GetAccessKeyPolicyForAccount(ctx context.Context) (string, error) {
	api := imsAPI("GetAccessKeyPolicyForAccount")
	var out struct {
		AccessKeyPolicy string `json:"AccessKeyPolicy"`
	}
	if err := c.imsCall(ctx, api, "", map[string]string{}, &out); err != nil {
		return "", err
	}
	return strings.TrimSpace(out.AccessKeyPolicy), nil
}

// SetAccessKeyPolicyForAccount replaces the account-level AccessKey network
// policy. "Removing" it is setting {"Version":1,"Status":"Inactive",
// "Statements":[]}: there is no delete call. Setting the same document
// twice is harmless.
func (c *Clients) SetAccessKeyPolicyForAccount(ctx context.Context, policyJSON string) (string, error) {
	api := imsAPI("SetAccessKeyPolicyForAccount")
	if strings.TrimSpace(policyJSON) == "" {
		return "", refuse(api, "", "access key policy document is empty")
	}
	var out struct {
		RequestID string `json:"RequestId"`
	}
	if err := c.imsCall(ctx, api, "", map[string]string{"AccessKeyPolicy": policyJSON}, &out); err != nil {
		return "", err
	}
	return out.RequestID, nil
}
