package cloud

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

// attempt records what the transport saw during one try of one call. The
// retry loop puts a fresh *attempt in the request context; the SDK passes
// that context into http.NewRequestWithContext, so Call can find it. It
// fills what the SDK's error values lose: the HTTP status of a non-JSON
// error body, the x-acs-request-id header and the throttling hint.
type attempt struct {
	sent       bool // a request reached Call
	status     int
	requestID  string
	retryAfter time.Duration // from x-ratelimit-user-api / x-ratelimit-user TimeLeft
}

type attemptKey struct{}

func withAttempt(ctx context.Context, a *attempt) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

func attemptFrom(ctx context.Context) *attempt {
	a, _ := ctx.Value(attemptKey{}).(*attempt)
	return a
}

// httpDoer implements tea's dara.HttpClient, the hook darabonba-openapi
// v2.1.14 offers through Config.HttpClient (STYLE.md point 30). It ignores
// the *http.Transport the SDK builds for every single request (that would
// defeat connection reuse) and uses one long-lived transport that owns the
// timeouts, the source address and proxying (HTTPS_PROXY/NO_PROXY with the
// standard library's semantics, rather than the SDK's exact host:port
// NO_PROXY match).
type httpDoer struct {
	client *http.Client
	logger *slog.Logger
	debug  bool
}

func newHTTPDoer(s settings) *httpDoer {
	dialer := &net.Dialer{Timeout: s.connectTimeout, KeepAlive: 30 * time.Second}
	if s.localIP != nil {
		dialer.LocalAddr = &net.TCPAddr{IP: s.localIP}
	}
	tr := &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		DialContext:       dialer.DialContext,
		ForceAttemptHTTP2: true,
		// Bounded fan-out (audit --idle, the identity hunt) runs up to a
		// few dozen calls at once against one API host; fewer idle
		// connections than that churns TCP connections and slows the
		// sweep well below its quota floor (measured in bench/).
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   s.connectTimeout,
		ResponseHeaderTimeout: s.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &httpDoer{
		// The whole exchange (connect + headers + body) is bounded like
		// the SDK's own client: connect timeout plus read timeout.
		client: &http.Client{Transport: tr, Timeout: s.connectTimeout + s.Timeout},
		logger: s.Logger,
		debug:  s.HTTPDebug,
	}
}

// Call implements dara.HttpClient.
func (h *httpDoer) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	start := time.Now()
	a := attemptFrom(req.Context())
	if a != nil {
		a.sent = true
	}
	resp, err := h.client.Do(req)
	if resp != nil && a != nil {
		a.status = resp.StatusCode
		a.requestID = resp.Header.Get("x-acs-request-id")
		a.retryAfter = throttleTimeLeft(resp.Header)
	}
	if h.debug {
		h.logExchange(req, resp, err, time.Since(start))
	}
	if err != nil {
		err = scrubTransportError(err)
	}
	return resp, err
}

func (h *httpDoer) logExchange(req *http.Request, resp *http.Response, err error, d time.Duration) {
	attrs := []slog.Attr{
		slog.String("action", headerValue(req.Header, "x-acs-action")),
		slog.String("version", headerValue(req.Header, "x-acs-version")),
		slog.String("method", req.Method),
		slog.String("endpoint", req.URL.Scheme+"://"+req.Host),
		slog.Duration("duration", d),
	}
	if resp != nil {
		attrs = append(attrs,
			slog.Int("status", resp.StatusCode),
			slog.String("request_id", resp.Header.Get("x-acs-request-id")))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", scrubTransportError(err).Error()))
	}
	attrs = append(attrs,
		slog.String("query", scrubQuery(req.URL.RawQuery)),
		slog.Any("headers", scrubHeaders(req.Header)))
	h.logger.LogAttrs(req.Context(), slog.LevelDebug, "http exchange", attrs...)
}

// headerValue finds a header whatever its case: tea sets request headers
// by lower-case map key, bypassing canonicalisation, so Header.Get misses
// them.
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// scrubbedParams are query parameters whose values never reach a log
// (go-cloud's setup.go scrub list, adapted to Alibaba's parameter names).
var scrubbedParams = []string{"signature", "securitytoken", "accesskeysecret", "password", "bearertoken", "newpassword", "oldpassword"}

const maxLoggedValue = 256

func scrubQuery(raw string) string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "(unparsable query withheld)"
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k + "=" + scrubValue(k, v))
		}
	}
	return b.String()
}

func scrubValue(name, v string) string {
	lower := strings.ToLower(name)
	switch {
	case slices.Contains(scrubbedParams, lower):
		return redact.Placeholder
	case strings.HasSuffix(lower, "accesskeyid"):
		return redact.MaskKeyID(v)
	case len(v) > maxLoggedValue:
		return v[:maxLoggedValue] + "…(" + strconv.Itoa(len(v)) + " bytes)"
	}
	return v
}

// scrubHeaders returns the request headers with credentials withheld.
func scrubHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		lower := strings.ToLower(k)
		v := strings.Join(vs, ",")
		switch lower {
		case "authorization", "proxy-authorization", "x-acs-security-token", "x-acs-bearer-token", "x-acs-zero-trust-idtoken":
			v = redact.Placeholder
		case "x-acs-accesskey-id":
			v = redact.MaskKeyID(v)
		}
		out[lower] = v
	}
	return out
}

// throttleTimeLeft reads "…,TimeLeft:<n>,…" from x-ratelimit-user-api and
// x-ratelimit-user (alibaba-cloud-api.md §19; unit assumed milliseconds)
// and returns the larger, as the Tea SDK's throttling back-off does: both
// limits must have reset before a retry can pass.
func throttleTimeLeft(h http.Header) time.Duration {
	var left time.Duration
	for _, name := range []string{"x-ratelimit-user-api", "x-ratelimit-user"} {
		for part := range strings.SplitSeq(h.Get(name), ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
			if !ok || !strings.EqualFold(k, "TimeLeft") {
				continue
			}
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 {
				left = max(left, time.Duration(n)*time.Millisecond)
			}
		}
	}
	return left
}
