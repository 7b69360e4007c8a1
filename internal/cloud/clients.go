package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	actiontrail "github.com/alibabacloud-go/actiontrail-20200706/v3/client"
	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	sts "github.com/alibabacloud-go/sts-20150401/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/credentials-go/credentials"

	"github.com/akresp/akresp/internal/redact"
)

// API versions spoken on the wire.
const (
	ramVersion         = "2015-05-01"
	imsVersion         = "2019-08-15"
	actionTrailVersion = "2020-07-06"
	stsVersion         = "2015-04-01"

	// imsEndpoint is IMS's only published endpoint; the ims SDK maps just
	// cn-hangzhou (alibaba-cloud-api.md §11).
	imsEndpoint = "ims.aliyuncs.com"
)

// Clients talks to RAM, IMS, ActionTrail and STS. It is safe for concurrent
// use; rate limiters are shared by all goroutines using it.
type Clients struct {
	s    settings
	ram  *ram.Client
	at   *actiontrail.Client
	sts  *sts.Client
	ims  *openapi.Client
	cred credentials.Credential
	doer dara.HttpClient

	// regional holds the per-region ActionTrail clients (regions.go).
	regional regionalAT
	ecs      regionalECS // per-region ECS clients (ecs.go)
	// generic holds CallRPC's per-product clients, built on first use.
	generic map[string]*openapi.Client
	limits  *limiters
	logger  *slog.Logger

	// verified is set once any call succeeded, proving the caller's own
	// credentials work (see newAPIError).
	verified atomic.Bool

	// Seams for tests.
	sleep      func(context.Context, time.Duration) error
	reportPoll time.Duration // first wait between GenerateCredentialReport polls
	reportMax  int           // GenerateCredentialReport polls before giving up
}

// New validates cfg and builds the clients. It never touches the network:
// credentials resolve on first use.
func New(ctx context.Context, cfg Config) (*Clients, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	cred, err := newCredential(s)
	if err != nil {
		return nil, err
	}
	doer := newHTTPDoer(s)
	c := &Clients{
		s:          s,
		cred:       cred,
		doer:       doer,
		limits:     newLimiters(s),
		logger:     s.Logger,
		sleep:      sleepCtx,
		reportPoll: 250 * time.Millisecond,
		reportMax:  30,
	}
	// Each SDK Init mutates its Config, so every client gets its own.
	if c.ram, err = ram.NewClient(s.openapiConfig(cred, doer, s.endpoint.host)); err != nil {
		return nil, fmt.Errorf("build ram client: %w", err)
	}
	if c.at, err = actiontrail.NewClient(s.openapiConfig(cred, doer, s.endpoint.host)); err != nil {
		return nil, fmt.Errorf("build actiontrail client: %w", err)
	}
	if c.sts, err = sts.NewClient(s.openapiConfig(cred, doer, s.endpoint.host)); err != nil {
		return nil, fmt.Errorf("build sts client: %w", err)
	}
	imsHost := s.endpoint.host
	if imsHost == "" {
		// The generic client has no endpoint rules: without a host it
		// would send requests to an empty authority.
		imsHost = imsEndpoint
	}
	if c.ims, err = openapi.NewClient(s.openapiConfig(cred, doer, imsHost)); err != nil {
		return nil, fmt.Errorf("build ims client: %w", err)
	}
	return c, nil
}

// openapiConfig is the darabonba Config shared by the four clients. The
// SDK's own retries stay off (RetryOptions nil): call retries, so retries
// are logged and honour ctx.
func (s settings) openapiConfig(cred credentials.Credential, doer dara.HttpClient, host string) *openapi.Config {
	readMS := int(s.Timeout / time.Millisecond)
	connectMS := int(s.connectTimeout / time.Millisecond)
	cfg := &openapi.Config{
		Credential:     cred,
		RegionId:       dara.String(s.Region),
		Protocol:       dara.String(s.endpoint.protocol),
		UserAgent:      dara.String(s.userAgent),
		ReadTimeout:    dara.Int(readMS),
		ConnectTimeout: dara.Int(connectMS),
		HttpClient:     doer,
	}
	if host != "" {
		// Never pass "": RAM v2.2.1 checks Endpoint for nil, not empty,
		// and would use "" as the host (alibaba-cloud-api.md §2).
		cfg.Endpoint = dara.String(host)
	}
	return cfg
}

// Endpoint says where calls go: "127.0.0.1:1234" with an override, or
// "ram.aliyuncs.com (default endpoints)" without one. Mutating commands
// print it in the plan header.
func (c *Clients) Endpoint() string {
	if c.s.endpoint.host != "" {
		return c.s.endpoint.host
	}
	return dara.StringValue(c.ram.Endpoint) + " (default endpoints)"
}

// String identifies the clients without showing credentials.
func (c *Clients) String() string { return "cloud.Clients(" + c.Endpoint() + ")" }

// Region returns the region ID in use.
func (c *Clients) Region() string { return c.s.Region }

// CredentialKeyID returns the AccessKey ID akresp itself runs with, for the
// "never contain or disable yourself" safety rail. With a profile or the
// default chain this resolves the credential, which may mean a network
// round trip inside credentials-go (ECS metadata, AssumeRole).
func (c *Clients) CredentialKeyID(ctx context.Context) (string, error) {
	const api = "credentials:GetCredential"
	if sc := c.s.Credential; sc != nil {
		return sc.AccessKeyID, nil
	}
	id, err := resolveKeyID(ctx, c.cred)
	if err != nil {
		if ctx.Err() != nil {
			return "", &APIError{API: api, Err: err, Message: "interrupted: " + err.Error(), class: errNoClass}
		}
		return "", &APIError{API: api, Message: err.Error(), Err: err, class: ErrInvalidCredentials}
	}
	if id == "" {
		return "", &APIError{API: api, Message: "the credential has no AccessKey ID (bearer token?)", class: ErrInvalidCredentials}
	}
	return id, nil
}

// rpcParams are the Params the generated SDKs build for RPC-style APIs.
// Protocol "HTTPS" is overridden by the client-level Protocol.
func rpcParams(action, version string) *openapi.Params {
	return &openapi.Params{
		Action:      dara.String(action),
		Version:     dara.String(version),
		Protocol:    dara.String("HTTPS"),
		Pathname:    dara.String("/"),
		Method:      dara.String("POST"),
		AuthType:    dara.String("AK"),
		Style:       dara.String("RPC"),
		ReqBodyType: dara.String("formData"),
		BodyType:    dara.String("json"),
	}
}

// rpc calls an RPC API through a generic openapi client (IMS, and the
// ActionTrail and STS APIs whose v3.1.0/v2.0.4 SDKs lack context-aware
// methods) and decodes the response body into out with the SDK's lenient
// decoder ("true"/true, "12"/12 both accepted).
func (c *Clients) rpc(ctx context.Context, client *openapi.Client, api apiSpec, version, target string, query map[string]string, out any) error {
	client = shallowCopy(client)
	params := rpcParams(api.action, version)
	q := make(map[string]*string, len(query))
	for k, v := range query {
		q[k] = dara.String(v)
	}
	return c.call(ctx, api, target, func(ctx context.Context) error {
		res, err := client.CallApiWithCtx(ctx, params, &openapi.OpenApiRequest{Query: q}, &dara.RuntimeOptions{})
		if err != nil {
			return err
		}
		if out == nil {
			return nil
		}
		body, ok := res["body"]
		if !ok || body == nil {
			return fmt.Errorf("decode %s response: empty body", api.action)
		}
		if err := dara.Convert(body, out); err != nil {
			return fmt.Errorf("decode %s response: %w", api.action, err)
		}
		return nil
	})
}

// SDK clients are shared by goroutines, but darabonba-openapi v2.1.14's
// GetRpcHeaders, run on every request, writes client.Headers = nil: a data
// race (found by -race, 2026). Every call therefore runs on a shallow copy;
// the copy shares the credential, HTTP client and settings, which are safe
// for concurrent use, and owns its Headers field.
func shallowCopy(c *openapi.Client) *openapi.Client {
	cp := *c
	return &cp
}

// ramClient returns a per-call shallow copy of the RAM client (see
// shallowCopy).
func (c *Clients) ramClient() *ram.Client {
	cp := *c.ram
	return &cp
}

// runtime returns fresh per-call runtime options for typed SDK calls.
func runtime() *dara.RuntimeOptions { return &dara.RuntimeOptions{} }

// refuse builds the *APIError for an argument rejected before any call.
func refuse(api apiSpec, target, format string, args ...any) error {
	le := &localError{msg: fmt.Sprintf(format, args...)}
	return &APIError{API: api.name(), Target: target, Message: le.msg, Err: le, class: ErrInvalidParameter}
}

// str dereferences an SDK string pointer.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// parseTime reads the timestamp forms Alibaba APIs use. Unparseable
// values become the zero time and are logged: one odd date must not sink a
// whole audit.
func (c *Clients) parseTime(api, field, v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" || v == "N/A" || v == "-" || v == "no_information" || v == "not_supported" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms).UTC()
	}
	c.logger.Warn("unparseable time in cloud response", slog.String("api", api), slog.String("field", field), slog.String("value", v))
	return time.Time{}
}

// millis converts an ActionTrail millisecond timestamp.
func millis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// rawDetail turns an ActionTrail Detail (a JSON-encoded string) into raw
// JSON; text that is not JSON is kept as a JSON string so the result always
// marshals.
func rawDetail(s string) json.RawMessage {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}

// secretOf wraps an SDK secret pointer.
func secretOf(p *string) redact.Secret { return redact.Secret(str(p)) }

// secretFrom wraps a decoded secret string.
func secretFrom(s string) redact.Secret { return redact.Secret(s) }

// write runs one call whose answer matters only for its request ID (a
// RAM/IMS/ECS write), through c.call's retries and error mapping, and
// returns that ID ("" when the answer has no body).
func (c *Clients) write(ctx context.Context, api apiSpec, target string, do func(context.Context) (*string, error)) (string, error) {
	var rid *string
	if err := c.call(ctx, api, target, func(ctx context.Context) (err error) {
		rid, err = do(ctx)
		return err
	}); err != nil {
		return "", err
	}
	return str(rid), nil
}
