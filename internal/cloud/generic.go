package cloud

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
)

// Product is an RPC-style service that drills may call through CallRPC.
type Product struct {
	Code    string // ecs, rds, dysms, ram, ims, sts, actiontrail
	Version string // API version on the wire
	Host    string // public endpoint; %s is the region
}

// Products lists the services CallRPC knows. The lab answers every one of
// them; against Alibaba Cloud they are the public endpoints.
var Products = map[string]Product{
	"ecs":         {Code: "ecs", Version: "2014-05-26", Host: "ecs.%s.aliyuncs.com"},
	"rds":         {Code: "rds", Version: "2014-08-15", Host: "rds.aliyuncs.com"},
	"dysms":       {Code: "dysms", Version: "2017-05-25", Host: "dysmsapi.aliyuncs.com"},
	"ram":         {Code: "ram", Version: ramVersion, Host: "ram.aliyuncs.com"},
	"ims":         {Code: "ims", Version: imsVersion, Host: imsEndpoint},
	"sts":         {Code: "sts", Version: stsVersion, Host: "sts.%s.aliyuncs.com"},
	"actiontrail": {Code: "actiontrail", Version: actionTrailVersion, Host: "actiontrail.%s.aliyuncs.com"},
	"kms":         {Code: "kms", Version: "2016-01-20", Host: "kms.%s.aliyuncs.com"},
}

// ProductCodes returns the known product codes, sorted.
func ProductCodes() []string {
	out := make([]string, 0, len(Products))
	for k := range Products {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var genericMu sync.Mutex

// CallRPC calls any action of a known RPC product with string parameters
// and returns the decoded response body. It exists for incident drills on
// the lab ("play the attacker": ecs RunInstances, dysms SendSms) and for
// ad-hoc checks; akresp's own features use the typed methods. It is treated
// as a mutation that must not be replayed after an ambiguous failure.
func (c *Clients) CallRPC(ctx context.Context, product, action string, params map[string]string) (map[string]any, error) {
	p, ok := Products[strings.ToLower(product)]
	api := apiSpec{service: "Generic", action: action, unsafe: true}
	if !ok {
		return nil, refuse(api, "", "unknown product %q; known: %s", product, strings.Join(ProductCodes(), ", "))
	}
	// Share the typed methods' limiters for the four services they cover.
	switch p.Code {
	case "ram", "ims", "sts":
		api.service = strings.ToUpper(p.Code)
	case "actiontrail":
		api.service = "ActionTrail"
	default:
		api.service = p.Code
	}
	if action == "" {
		return nil, refuse(api, "", "action is empty")
	}
	client, err := c.genericClient(p)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := c.rpc(ctx, client, api, p.Version, "", params, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// genericClient returns (building once) an openapi client for product's
// host: the endpoint override when set, the public endpoint otherwise.
func (c *Clients) genericClient(p Product) (*openapi.Client, error) {
	genericMu.Lock()
	defer genericMu.Unlock()
	if c.generic == nil {
		c.generic = map[string]*openapi.Client{}
	}
	if cl, ok := c.generic[p.Code]; ok {
		return cl, nil
	}
	host := c.s.endpoint.host
	if host == "" {
		host = p.Host
		if strings.Contains(host, "%s") {
			host = fmt.Sprintf(host, c.s.Region)
		}
	}
	cl, err := openapi.NewClient(c.s.openapiConfig(c.cred, c.doer, host))
	if err != nil {
		return nil, fmt.Errorf("build %s client: %w", p.Code, err)
	}
	c.generic[p.Code] = cl
	return cl, nil
}
