package cloud

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Security Center (SAS) 2018-12-03: the AccessKey leak records its GitHub
// scanner keeps. No SAS SDK is served by the module proxy, so the calls go
// through darabonba-openapi's generic client with the Params the generated
// SDKs use for RPC APIs (rpcParams), as IMS does.
//
// Wire facts, from the API reference pages (read 2026):
//   - DescribeAccesskeyLeakList (note the lower-case "k"): Status
//     pending|dealed, Query (an AccessKey ID, exact match), StartTs (ms),
//     PageSize (default 20, at most 100), CurrentPage (default 1). Answer:
//     AccessKeyLeakList[] {Id, AccesskeyId, AliUserName, UserType
//     master|ram, Status pending|dealed, DealType pending|manual|disable|
//     add-whitelist, DealTime "YYYY-MM-DD HH:mm:ss", GmtModified (ms: when
//     the leak was first detected), Url, Asset, Type "AccessKey"},
//     TotalCount, AkLeakCount (pending records), CurrentPage, PageSize.
//     https://www.alibabacloud.com/help/en/security-center/developer-reference/api-sas-2018-12-03-describeaccesskeyleaklist
//   - DescribeAccessKeyLeakDetail: Id (required). Answer: AccesskeyId,
//     Source (e.g. GitHub), GithubFileUrl, GithubRepoUrl, GithubUser,
//     GithubFileName, GithubFileType, GithubFileUpdateTime
//     "YYYY-MM-DDTHH:mm:ss", GmtCreate (first found) and GmtModified (last
//     found) "YYYY-MM-DD HH:mm:ss", TokenValid 0 to be confirmed | 1 valid
//     | 2 invalid, DealType, DealTime, Remark, WhitelistStatus yes|no,
//     Code (the leaked snippet: it can hold the secret, so it is never
//     read here).
//     https://www.alibabacloud.com/help/en/security-center/developer-reference/api-sas-2018-12-03-describeaccesskeyleakdetail
//   - ModifyAccessKeyLeakDeal: Id or IdList, Type manual|disable|
//     add-whitelist (required), Remark. Answer: RequestId. "HTTP 200 only
//     means the request was accepted, not that the record changed: query
//     DescribeAccesskeyLeakList to check" (the page's description), so
//     callers read the record back. Errors: 403 NoPermission, 500
//     ServerError.
//     https://www.alibabacloud.com/help/en/security-center/developer-reference/api-sas-2018-12-03-modifyaccesskeyleakdeal
//   - RAM actions: yundun-aegis:DescribeAccesskeyLeakList and
//     yundun-aegis:DescribeAccessKeyLeakDetail, but
//     yundun-sas:ModifyAccessKeyLeakDeal (as the pages list them).
//   - Endpoints (the SDK's regional endpoint map): tds.aliyuncs.com for the
//     China site, tds.ap-southeast-1.aliyuncs.com and
//     tds.ap-southeast-3.aliyuncs.com for those regions.
//   - The "YYYY-MM-DD HH:mm:ss" times carry no zone. The console shows them
//     in China Standard Time; akresp reads them as UTC+8 (an assumption:
//     the reference does not say).

const sasVersion = "2018-12-03"

// sasZone is the zone of SAS's zone-less time strings (see above).
var sasZone = time.FixedZone("UTC+8", 8*3600)

func sasAPI(action string) apiSpec { return apiSpec{service: "SAS", action: action} }

// sasHost is the Security Center endpoint of the configured region.
func (c *Clients) sasHost() string {
	switch c.s.Region {
	case "ap-southeast-1", "ap-southeast-3":
		return "tds." + c.s.Region + ".aliyuncs.com"
	}
	return "tds.aliyuncs.com"
}

func (c *Clients) sasCall(ctx context.Context, api apiSpec, target string, query map[string]string, out any) error {
	cl, err := c.genericClient(Product{Code: "sas", Version: sasVersion, Host: c.sasHost()})
	if err != nil {
		return err
	}
	return c.rpc(ctx, cl, api, sasVersion, target, query, out)
}

// Leak statuses and deal types of Security Center's leak records.
const (
	LeakPending = "pending"
	LeakHandled = "dealed" // the API's spelling

	LeakDealManual    = "manual"
	LeakDealDisable   = "disable"
	LeakDealWhitelist = "add-whitelist"
)

// LeakQuery selects leak records. Zero fields select everything.
type LeakQuery struct {
	Status string    // LeakPending | LeakHandled | "" (both)
	KeyID  string    // one AccessKey ID (exact)
	Since  time.Time // found at or after
}

// LeakRecord is one row of DescribeAccesskeyLeakList.
type LeakRecord struct {
	ID          int64
	AccessKeyID string
	AccountName string // AliUserName
	UserType    string // "master" (Alibaba Cloud account) | "ram"
	Status      string // LeakPending | LeakHandled
	DealType    string // pending | manual | disable | add-whitelist
	DealTime    time.Time
	FoundAt     time.Time // GmtModified: when the leak was first detected
	URL         string
	Asset       string
	Type        string
}

// Handled reports whether the record is marked handled.
func (r LeakRecord) Handled() bool { return strings.EqualFold(r.Status, LeakHandled) }

// LeakDetail is DescribeAccessKeyLeakDetail's answer, without the leaked
// code snippet.
type LeakDetail struct {
	ID              int64
	AccessKeyID     string
	Source          string // intelligence source, e.g. GitHub
	FileURL         string // GithubFileUrl
	RepoURL         string
	GithubUser      string
	FileName        string
	FileType        string
	FileUpdated     time.Time
	FirstFound      time.Time // GmtCreate
	LastFound       time.Time // GmtModified
	SecretValidity  string    // "valid" | "invalid" | "unconfirmed" (TokenValid 1 | 2 | 0)
	DealType        string
	DealTime        time.Time
	Remark          string
	Whitelisted     bool
	WhitelistedTime time.Time
}

// AccessKeyLeaks lists Security Center's AccessKey leak records, following
// CurrentPage to the end.
func (c *Clients) AccessKeyLeaks(ctx context.Context, q LeakQuery) ([]LeakRecord, error) {
	api := sasAPI("DescribeAccesskeyLeakList")
	switch q.Status {
	case "", LeakPending, LeakHandled:
	default:
		return nil, refuse(api, q.KeyID, "status %q: want %s or %s", q.Status, LeakPending, LeakHandled)
	}
	const pageSize = 100
	var all []LeakRecord
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, &APIError{API: api.name(), Target: q.KeyID, Message: "gave up after 10000 pages", class: errNoClass}
		}
		query := map[string]string{"PageSize": strconv.Itoa(pageSize), "CurrentPage": strconv.Itoa(page)}
		if q.Status != "" {
			query["Status"] = q.Status
		}
		if q.KeyID != "" {
			query["Query"] = q.KeyID
		}
		if !q.Since.IsZero() {
			query["StartTs"] = strconv.FormatInt(q.Since.UnixMilli(), 10)
		}
		var out struct {
			RequestID         string `json:"RequestId"`
			TotalCount        int    `json:"TotalCount"`
			AccessKeyLeakList []struct {
				ID          int64  `json:"Id"`
				AccesskeyID string `json:"AccesskeyId"`
				AliUserName string `json:"AliUserName"`
				UserType    string `json:"UserType"`
				Status      string `json:"Status"`
				DealType    string `json:"DealType"`
				DealTime    string `json:"DealTime"`
				GmtModified int64  `json:"GmtModified"`
				URL         string `json:"Url"`
				Asset       string `json:"Asset"`
				Type        string `json:"Type"`
			} `json:"AccessKeyLeakList"`
		}
		if err := c.sasCall(ctx, api, q.KeyID, query, &out); err != nil {
			return nil, err
		}
		for _, r := range out.AccessKeyLeakList {
			all = append(all, LeakRecord{
				ID: r.ID, AccessKeyID: r.AccesskeyID, AccountName: r.AliUserName, UserType: r.UserType,
				Status: r.Status, DealType: r.DealType, DealTime: c.sasTime(api.name(), "DealTime", r.DealTime),
				FoundAt: millis(r.GmtModified), URL: r.URL, Asset: r.Asset, Type: r.Type,
			})
		}
		if len(out.AccessKeyLeakList) < pageSize || len(all) >= out.TotalCount {
			return all, nil
		}
	}
}

// AccessKeyLeakDetail returns one leak record's details (where it was
// found, whether Security Center found the secret valid).
func (c *Clients) AccessKeyLeakDetail(ctx context.Context, id int64) (LeakDetail, error) {
	api := sasAPI("DescribeAccessKeyLeakDetail")
	target := leakTarget(id)
	if id <= 0 {
		return LeakDetail{}, refuse(api, target, "leak record id %d: want a positive number", id)
	}
	var out struct {
		AccesskeyID          string `json:"AccesskeyId"`
		Source               string `json:"Source"`
		GithubFileURL        string `json:"GithubFileUrl"`
		GithubRepoURL        string `json:"GithubRepoUrl"`
		GithubUser           string `json:"GithubUser"`
		GithubFileName       string `json:"GithubFileName"`
		GithubFileType       string `json:"GithubFileType"`
		GithubFileUpdateTime string `json:"GithubFileUpdateTime"`
		GmtCreate            string `json:"GmtCreate"`
		GmtModified          string `json:"GmtModified"`
		TokenValid           int    `json:"TokenValid"`
		DealType             string `json:"DealType"`
		DealTime             string `json:"DealTime"`
		Remark               string `json:"Remark"`
		WhitelistStatus      string `json:"WhitelistStatus"`
		WhitelistTime        int64  `json:"WhitelistTime"`
	}
	if err := c.sasCall(ctx, api, target, map[string]string{"Id": strconv.FormatInt(id, 10)}, &out); err != nil {
		return LeakDetail{}, err
	}
	name := api.name()
	validity := "unconfirmed"
	switch out.TokenValid {
	case 1:
		validity = "valid"
	case 2:
		validity = "invalid"
	}
	return LeakDetail{
		ID: id, AccessKeyID: out.AccesskeyID, Source: out.Source, FileURL: out.GithubFileURL,
		RepoURL: out.GithubRepoURL, GithubUser: out.GithubUser, FileName: out.GithubFileName,
		FileType: out.GithubFileType, FileUpdated: c.sasTime(name, "GithubFileUpdateTime", out.GithubFileUpdateTime),
		FirstFound: c.sasTime(name, "GmtCreate", out.GmtCreate), LastFound: c.sasTime(name, "GmtModified", out.GmtModified),
		SecretValidity: validity, DealType: out.DealType, DealTime: c.sasTime(name, "DealTime", out.DealTime),
		Remark: out.Remark, Whitelisted: strings.EqualFold(out.WhitelistStatus, "yes"), WhitelistedTime: millis(out.WhitelistTime),
	}, nil
}

// ResolveAccessKeyLeak marks a leak record handled (ModifyAccessKeyLeakDeal)
// with dealType LeakDealManual, LeakDealDisable or LeakDealWhitelist.
// Marking a record twice leaves it handled, so it is retried like a read.
func (c *Clients) ResolveAccessKeyLeak(ctx context.Context, id int64, dealType, remark string) (string, error) {
	api := sasAPI("ModifyAccessKeyLeakDeal")
	target := leakTarget(id)
	switch {
	case id <= 0:
		return "", refuse(api, target, "leak record id %d: want a positive number", id)
	case dealType != LeakDealManual && dealType != LeakDealDisable && dealType != LeakDealWhitelist:
		return "", refuse(api, target, "deal type %q: want %s, %s or %s", dealType, LeakDealManual, LeakDealDisable, LeakDealWhitelist)
	}
	q := map[string]string{"Id": strconv.FormatInt(id, 10), "Type": dealType}
	if remark != "" {
		q["Remark"] = remark
	}
	var out struct {
		RequestID string `json:"RequestId"`
	}
	if err := c.sasCall(ctx, api, target, q, &out); err != nil {
		return "", err
	}
	return out.RequestID, nil
}

func leakTarget(id int64) string { return fmt.Sprintf("leak record %d", id) }

// sasTime reads SAS's time strings: "YYYY-MM-DD HH:mm:ss" and
// "YYYY-MM-DDTHH:mm:ss" in UTC+8 (see the file comment), or anything
// parseTime knows.
func (c *Clients) sasTime(api, field, v string) time.Time {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, sasZone); err == nil {
			return t.UTC()
		}
	}
	return c.parseTime(api, field, v)
}
