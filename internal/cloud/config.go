package cloud

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultRegion      = "cn-hangzhou"
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 5
	DefaultRetryBase   = 200 * time.Millisecond

	// maxConnectTimeout caps the TCP/TLS connect timeout; the read timeout
	// is Config.Timeout itself.
	maxConnectTimeout = 5 * time.Second
	// retryCap is the ceiling of one backoff sleep.
	retryCap = 5 * time.Second
)

// Config says how to reach Alibaba Cloud. The zero value (plus credentials
// from the default chain) talks to the real service in cn-hangzhou.
type Config struct {
	// Region is the region ID used to pick regional endpoints (ActionTrail,
	// STS). Default "cn-hangzhou".
	Region string
	// Endpoint sends every call of every service to one host: the lab, or a
	// private/VPC endpoint. "" means the real Alibaba Cloud endpoints.
	// Accepted forms: "host:port", "http://host:port", "https://host[:port]";
	// the scheme is stripped before it reaches the SDK, and "http://" or a
	// loopback host selects plain HTTP.
	Endpoint string
	// Profile names a credentials profile: first the aliyun CLI config
	// (~/.aliyun/config.json or ALIBABA_CLOUD_CONFIG_FILE), then the
	// credentials file (~/.alibabacloud/credentials or
	// ALIBABA_CLOUD_CREDENTIALS_FILE). "" means the credentials-go default
	// chain. Ignored when Credential is set.
	Profile string
	// Credential gives explicit credentials (tests, the lab). nil means
	// Profile or the default chain.
	Credential *StaticCredential
	// Timeout is the read timeout of one HTTP request (default 10s); the
	// connect timeout is min(5s, Timeout).
	Timeout time.Duration
	// MaxAttempts bounds tries per call, first try included (default 5;
	// 1 disables retries).
	MaxAttempts int
	// RetryBase is the first backoff step (default 200ms). Backoff doubles
	// per attempt with full jitter and is capped at 5s per sleep.
	RetryBase time.Duration
	// RateScale multiplies every default client-side quota (0 means 1).
	RateScale float64
	// Limits overrides the client-side quota of single APIs, keyed
	// "<Service>.<Action>" with Service one of RAM, IMS, ActionTrail, STS
	// (e.g. "ActionTrail.LookupEvents"), in requests per second. Overrides
	// are absolute: RateScale does not apply to them. +Inf means unlimited.
	Limits map[string]float64
	// LocalAddr is the source IP to bind outgoing connections to. Tests use
	// it to call the lab from 127.0.0.66 ("the attacker") or 127.0.0.10
	// ("the office"). Not a user flag.
	LocalAddr string
	// Version is akresp's version; every request carries the User-Agent
	// suffix "akresp/<Version>".
	Version string
	// Product replaces "akresp" in that suffix. Audits leave akresp's own
	// calls out of the evidence by it, so drills that play the attacker or
	// an application (akresp lab call) set their own product name.
	Product string
	// Logger receives retry records (debug level) and, with HTTPDebug, one
	// record per HTTP exchange. nil discards.
	Logger *slog.Logger
	// HTTPDebug logs every HTTP exchange at debug level (AKRESP_DEBUG=http):
	// action, version, endpoint, status, request ID, duration and the
	// scrubbed query and headers. The caller must also let debug records
	// through its handler.
	HTTPDebug bool
}

// StaticCredential is an explicit AccessKey pair, optionally with an STS
// security token. Printing it (fmt, json, slog) never shows the secret or
// the token.
type StaticCredential struct {
	AccessKeyID     string
	AccessKeySecret redact.Secret
	SecurityToken   redact.Secret
}

// Format implements fmt.Formatter; secret and token print as [REDACTED]
// (see formatRedacted).
func (c StaticCredential) Format(f fmt.State, verb rune) {
	type plain StaticCredential
	formatRedacted(f, verb, plain(c))
}

// endpoint is the normalised form of Config.Endpoint.
type endpoint struct {
	host     string // host[:port] as the SDK wants it; "" = real endpoints
	protocol string // "http" or "https"
}

// settings is a validated Config with defaults applied.
type settings struct {
	Config
	endpoint       endpoint
	connectTimeout time.Duration
	localIP        net.IP
	userAgent      string
}

var regionRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// limitKeyRE matches "<Service>.<Action>".
var limitKeyRE = regexp.MustCompile(`^(RAM|IMS|ActionTrail|STS)\.[A-Za-z][A-Za-z0-9]*$`)

var versionRE = regexp.MustCompile(`^[A-Za-z0-9._+\-]+$`)

// resolve validates c and applies defaults. Errors name the field.
func (c Config) resolve() (settings, error) {
	s := settings{Config: c}
	if s.Region == "" {
		s.Region = DefaultRegion
	}
	if !regionRE.MatchString(s.Region) {
		return s, fmt.Errorf("cloud config: region %q: want lower-case letters, digits and dashes like %q", s.Region, DefaultRegion)
	}
	ep, err := parseEndpoint(s.Endpoint)
	if err != nil {
		return s, fmt.Errorf("cloud config: endpoint %q: %w", s.Endpoint, err)
	}
	s.endpoint = ep

	switch {
	case s.Timeout < 0:
		return s, fmt.Errorf("cloud config: timeout %s: must not be negative", s.Timeout)
	case s.Timeout == 0:
		s.Timeout = DefaultTimeout
	case s.Timeout < time.Millisecond:
		return s, fmt.Errorf("cloud config: timeout %s: must be at least 1ms", s.Timeout)
	}
	s.connectTimeout = min(maxConnectTimeout, s.Timeout)

	switch {
	case s.MaxAttempts < 0:
		return s, fmt.Errorf("cloud config: max attempts %d: must not be negative", s.MaxAttempts)
	case s.MaxAttempts == 0:
		s.MaxAttempts = DefaultMaxAttempts
	}
	switch {
	case s.RetryBase < 0:
		return s, fmt.Errorf("cloud config: retry base %s: must not be negative", s.RetryBase)
	case s.RetryBase == 0:
		s.RetryBase = DefaultRetryBase
	}
	switch {
	case math.IsNaN(s.RateScale) || math.IsInf(s.RateScale, 0) || s.RateScale < 0:
		return s, fmt.Errorf("cloud config: rate scale %v: must be a positive number", s.RateScale)
	case s.RateScale == 0:
		s.RateScale = 1
	}
	for k, v := range s.Limits {
		if !limitKeyRE.MatchString(k) {
			return s, fmt.Errorf("cloud config: rate limit key %q: want <Service>.<Action> with Service one of RAM, IMS, ActionTrail, STS", k)
		}
		if math.IsNaN(v) || v <= 0 {
			return s, fmt.Errorf("cloud config: rate limit %s=%v: must be a positive number of requests per second", k, v)
		}
	}
	if s.LocalAddr != "" {
		ip := net.ParseIP(s.LocalAddr)
		if ip == nil {
			return s, fmt.Errorf("cloud config: local address %q: not an IP address", s.LocalAddr)
		}
		s.localIP = ip
	}
	version := s.Version
	if version == "" {
		version = "dev"
	}
	if !versionRE.MatchString(version) {
		return s, fmt.Errorf("cloud config: version %q: only letters, digits and . _ + - are allowed in a User-Agent token", s.Version)
	}
	product := s.Product
	if product == "" {
		product = "akresp"
	}
	if !versionRE.MatchString(product) || strings.Contains(product, "/") {
		return s, fmt.Errorf("cloud config: product %q: only letters, digits and . _ + - are allowed in a User-Agent token", s.Product)
	}
	s.userAgent = product + "/" + version
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if cred := s.Credential; cred != nil {
		if err := cred.validate(); err != nil {
			return s, err
		}
	}
	return s, nil
}

func (c *StaticCredential) validate() error {
	switch {
	case c.AccessKeyID == "":
		return fmt.Errorf("cloud config: static credential: access key id is empty")
	case strings.ContainsFunc(c.AccessKeyID, isSpaceOrControl):
		return fmt.Errorf("cloud config: static credential %s: access key id contains whitespace", redact.MaskKeyID(c.AccessKeyID))
	case c.AccessKeySecret.IsZero():
		return fmt.Errorf("cloud config: static credential %s: access key secret is empty", redact.MaskKeyID(c.AccessKeyID))
	case strings.ContainsFunc(c.AccessKeySecret.Reveal(), isSpaceOrControl):
		return fmt.Errorf("cloud config: static credential %s: access key secret contains whitespace", redact.MaskKeyID(c.AccessKeyID))
	}
	return nil
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// parseEndpoint normalises Config.Endpoint. The SDK wants a bare
// host[:port]: a scheme ends up in the URL authority ("http://http//...",
// alibaba-cloud-api.md §2, observed 2026 with darabonba-openapi v2.1.14),
// and RAM v2.2.1 uses even "" as a host because it checks for nil rather
// than empty, so the empty form must never reach the SDK.
func parseEndpoint(raw string) (endpoint, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return endpoint{protocol: "https"}, nil
	}
	scheme := ""
	rest := raw
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme = strings.ToLower(raw[:i])
		rest = raw[i+3:]
		if scheme != "http" && scheme != "https" {
			return endpoint{}, fmt.Errorf("scheme %q: want http or https", scheme)
		}
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return endpoint{}, fmt.Errorf("no host")
	}
	if strings.ContainsAny(rest, "/?#@ \t") {
		return endpoint{}, fmt.Errorf("want host[:port] with an optional http:// or https:// scheme, no path, query or user info")
	}
	u, err := url.Parse("//" + rest)
	if err != nil {
		return endpoint{}, fmt.Errorf("want host[:port]: %w", err)
	}
	host := u.Hostname()
	if host == "" {
		return endpoint{}, fmt.Errorf("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return endpoint{}, fmt.Errorf("port %q: want 1-65535", p)
		}
	} else if strings.HasSuffix(rest, ":") {
		return endpoint{}, fmt.Errorf("empty port")
	}
	protocol := scheme
	if protocol == "" {
		protocol = "https"
		if isLoopback(host) {
			protocol = "http"
		}
	}
	return endpoint{host: u.Host, protocol: protocol}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
