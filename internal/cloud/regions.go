package cloud

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"

	"github.com/alibabacloud-go/tea/dara"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
)

// ActionTrail is regional: LookupEvents at actiontrail.<region>.aliyuncs.com
// answers that region's events (and the global services' events, which
// every region holds). regionalAT builds one client per region on first use.
//
// Without --endpoint the client goes to actiontrail.<region>.aliyuncs.com.
// With an endpoint override (the lab, a proxy) every region's requests are
// sent to the override's address ("connect to", like curl --connect-to)
// while the URL, the Host header and the signature name the region's real
// endpoint, actiontrail.<region>.aliyuncs.com: the lab reads the region from
// the Host header. An override without a region in its Host (every other
// service's calls, any client pointed at the lab's address) reaches the
// lab's default region, cn-hangzhou.
type regionalAT struct {
	mu      sync.Mutex
	clients map[string]*openapi.Client
	doer    dara.HttpClient // the connect-to doer; nil without an override
}

// actionTrailHost is the public ActionTrail endpoint of a region (the SDK's
// "regional" endpoint rule; the few regions it maps elsewhere are not
// handled, see internal/lab/doc.go).
func actionTrailHost(region string) string { return "actiontrail." + region + ".aliyuncs.com" }

// actionTrailIn returns the ActionTrail client of region.
func (c *Clients) actionTrailIn(region string) (*openapi.Client, error) {
	c.regional.mu.Lock()
	defer c.regional.mu.Unlock()
	if cl, ok := c.regional.clients[region]; ok {
		return cl, nil
	}
	if c.regional.clients == nil {
		c.regional.clients = map[string]*openapi.Client{}
	}
	s := c.s
	s.Region = region
	doer := c.doer
	if c.s.endpoint.host != "" {
		if c.regional.doer == nil {
			c.regional.doer = newConnectToDoer(c.s)
		}
		doer = c.regional.doer
	}
	cl, err := openapi.NewClient(s.openapiConfig(c.cred, doer, actionTrailHost(region)))
	if err != nil {
		return nil, fmt.Errorf("build actiontrail client for %s: %w", region, err)
	}
	c.regional.clients[region] = cl
	return cl, nil
}

// newConnectToDoer is an httpDoer that dials the endpoint override for
// every request, whatever host the URL names, and never uses a proxy. Over
// HTTPS the certificate is checked against the override's host name.
func newConnectToDoer(s settings) *httpDoer {
	d := newHTTPDoer(s)
	tr := d.client.Transport.(*http.Transport)
	addr := s.endpoint.host
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	} else if s.endpoint.protocol == "http" {
		addr = net.JoinHostPort(addr, "80")
	} else {
		addr = net.JoinHostPort(addr, "443")
	}
	dial := tr.DialContext
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dial(ctx, network, addr)
	}
	tr.TLSClientConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	return d
}

// ActionTrailRegions lists the regions ActionTrail serves (DescribeRegions
// at the configured region's endpoint), sorted.
func (c *Clients) ActionTrailRegions(ctx context.Context) ([]string, error) {
	api := atAPI("DescribeRegions")
	client, err := c.actionTrailIn(c.s.Region)
	if err != nil {
		return nil, err
	}
	var out struct {
		Regions struct {
			Region []struct {
				RegionID string `json:"RegionId"`
			} `json:"Region"`
		} `json:"Regions"`
	}
	if err := c.rpc(ctx, client, api, actionTrailVersion, "", nil, &out); err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range out.Regions.Region {
		if r.RegionID != "" && regionRE.MatchString(r.RegionID) {
			ids = append(ids, r.RegionID)
		}
	}
	sort.Strings(ids)
	return ids, nil
}
