package cloud

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// BSS OpenAPI (bssopenapi 2017-12-14) has no typed SDK served here: it is
// called through darabonba-openapi's generic CallApi, like IMS. Its RAM
// actions are "bssapi:*". The endpoint is business.aliyuncs.com (China
// site); the international site uses business.ap-southeast-1.aliyuncs.com.

const (
	bssVersion  = "2017-12-14"
	bssEndpoint = "business.aliyuncs.com"
	// bssPageSize is QueryInstanceBill's largest page.
	bssPageSize = 300
)

func bssAPI(action string) apiSpec { return apiSpec{service: "BSS", action: action} }

// BillItem is one row of an instance bill (QueryInstanceBill).
type BillItem struct {
	InstanceID     string
	ProductCode    string
	Region         string
	InstanceSpec   string
	BillingDate    string // YYYY-MM-DD with DAILY granularity
	PretaxAmount   float64
	Currency       string
	ServicePeriod  string
	ServiceSeconds float64
}

var reBillingCycle = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// BillingZone is the calendar of Alibaba Cloud's bills: a billing cycle is
// a calendar month in UTC+8 (China Standard Time, no daylight saving),
// on the international site too (its bill pages give every billing time,
// such as the final monthly bill at 12:00 on the 2nd, in UTC+8:
// https://www.alibabacloud.com/help/en/user-center/user-guide/how-to-manage-bills).
// An hour billed at 2024-02-29T20:00Z is in cycle 2024-03.
var BillingZone = time.FixedZone("UTC+8", 8*60*60)

// QueryInstanceBill reads the instance bill of one billing cycle
// ("YYYY-MM") for productCode ("" = every product), MONTHLY granularity,
// paging PageNum/PageSize=300.
func (c *Clients) QueryInstanceBill(ctx context.Context, billingCycle, productCode string) ([]BillItem, error) {
	api := bssAPI("QueryInstanceBill")
	if !reBillingCycle.MatchString(billingCycle) {
		return nil, refuse(api, billingCycle, "billing cycle %q: want YYYY-MM", billingCycle)
	}
	client, err := c.genericClient(Product{Code: "bss", Version: bssVersion, Host: bssEndpoint})
	if err != nil {
		return nil, err
	}
	var out []BillItem
	for page := 1; page <= maxPages; page++ {
		q := map[string]string{"BillingCycle": billingCycle, "PageNum": strconv.Itoa(page), "PageSize": strconv.Itoa(bssPageSize)}
		if productCode != "" {
			q["ProductCode"] = productCode
		}
		var resp struct {
			Code    string `json:"Code"`
			Message string `json:"Message"`
			Success bool   `json:"Success"`
			Data    struct {
				TotalCount int `json:"TotalCount"`
				Items      struct {
					Item []struct {
						InstanceID    string  `json:"InstanceID"`
						ProductCode   string  `json:"ProductCode"`
						Region        string  `json:"Region"`
						InstanceSpec  string  `json:"InstanceSpec"`
						BillingDate   string  `json:"BillingDate"`
						PretaxAmount  float64 `json:"PretaxAmount"`
						Currency      string  `json:"Currency"`
						ServicePeriod string  `json:"ServicePeriod"`
						ServiceUnit   string  `json:"ServicePeriodUnit"`
					} `json:"Item"`
				} `json:"Items"`
			} `json:"Data"`
		}
		if err := c.rpc(ctx, client, api, bssVersion, billingCycle, q, &resp); err != nil {
			return nil, err
		}
		if !resp.Success && resp.Code != "" && resp.Code != "Success" && resp.Code != "200" {
			return nil, &APIError{API: api.name(), Target: billingCycle, Code: resp.Code, Message: resp.Message,
				Err: fmt.Errorf("%s: %s", resp.Code, resp.Message), class: ErrInvalidParameter}
		}
		for _, it := range resp.Data.Items.Item {
			b := BillItem{InstanceID: it.InstanceID, ProductCode: it.ProductCode, Region: it.Region, InstanceSpec: it.InstanceSpec,
				BillingDate: it.BillingDate, PretaxAmount: it.PretaxAmount, Currency: it.Currency, ServicePeriod: it.ServicePeriod}
			if v, err := strconv.ParseFloat(it.ServicePeriod, 64); err == nil && it.ServiceUnit == "Second" {
				b.ServiceSeconds = v
			}
			out = append(out, b)
		}
		if len(resp.Data.Items.Item) == 0 || page*bssPageSize >= resp.Data.TotalCount {
			break
		}
	}
	return out, nil
}
