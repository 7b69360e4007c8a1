package slsq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/akresp/akresp/internal/redact"
)

// Defaults of Config.
const (
	DefaultAttempts  = 5
	DefaultMinWindow = time.Minute
	DefaultParallel  = 4
	DefaultTimeout   = 60 * time.Second
)

// Config builds a Client.
type Config struct {
	// Endpoint is the region endpoint without the project, e.g.
	// "cn-hangzhou.log.aliyuncs.com"; see NormalizeEndpoint for the
	// scheme (HTTPS unless "http://" or a loopback host).
	Endpoint string
	// AccessKeyID/AccessKeySecret/SecurityToken are fixed credentials; or
	// set Refresh to a function returning current ones (STS tokens that
	// rotate).
	AccessKeyID     string
	AccessKeySecret redact.Secret
	SecurityToken   redact.Secret
	Refresh         func() (id string, secret, token redact.Secret, expire time.Time, err error)
	// HTTPClient carries timeouts, proxies and, in the lab, a dialer pinned
	// to the emulator. nil = a client with Timeout whose connections are
	// pinned to the endpoint when it is an address. Its Transport is
	// wrapped (on a copy) to count the bytes received.
	HTTPClient *http.Client
	UserAgent  string
	// Timeout bounds one HTTP request including the SDK's own 5xx retries.
	Timeout time.Duration
	// Attempts is how often one window is asked while the answer is
	// Incomplete or the read quota is exceeded (default 5).
	Attempts int
	// Backoff is the wait before attempt n (n >= 1); nil = 0.5 s doubling
	// to 8 s.
	Backoff func(n int) time.Duration
	// MinWindow is the narrowest window split to (default 1 minute).
	MinWindow time.Duration
	// Parallel bounds concurrent requests per client (default 4, well under
	// SLS's 15 per project).
	Parallel int
}

// Client runs queries against one SLS region endpoint.
type Client struct {
	c        sls.ClientInterface
	endpoint string
	attempts int
	backoff  func(int) time.Duration
	minWin   time.Duration
	sem      chan struct{}
	received atomic.Int64
}

// NormalizeEndpoint checks an SLS region endpoint and gives it the scheme
// the SDK should use: "https://" or "http://" as written, otherwise HTTPS,
// except plain HTTP for a loopback host (the lab), like internal/cloud's
// endpoint rule. The SDK itself would default to plain HTTP.
func NormalizeEndpoint(raw string) (string, error) {
	ep := strings.TrimSuffix(strings.TrimSpace(raw), "/")
	if ep == "" {
		return "", errors.New("sls endpoint: empty (want a region endpoint such as cn-hangzhou.log.aliyuncs.com)")
	}
	scheme, hostport := "", ep
	if i := strings.Index(ep, "://"); i >= 0 {
		scheme, hostport = strings.ToLower(ep[:i]), ep[i+3:]
		if scheme != "http" && scheme != "https" {
			return "", fmt.Errorf("sls endpoint %q: scheme %q: want http or https", raw, scheme)
		}
	}
	if hostport == "" || strings.ContainsAny(hostport, "/?#@ \t") {
		return "", fmt.Errorf("sls endpoint %q: want host[:port] with an optional http:// or https:// scheme, no path, query or user info", raw)
	}
	u, err := url.Parse("//" + hostport)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("sls endpoint %q: want host[:port]", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("sls endpoint %q: port %q: want 1-65535", raw, p)
		}
	} else if strings.HasSuffix(hostport, ":") {
		return "", fmt.Errorf("sls endpoint %q: empty port", raw)
	}
	if scheme == "" {
		scheme = "https"
		if isLoopback(u.Hostname()) {
			scheme = "http"
		}
	}
	return scheme + "://" + u.Host, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pinnedHost is the address to dial for every request when the endpoint
// host is an IP address or localhost: the SDK always sends requests to
// <project>.<endpoint>, a name that cannot resolve when the endpoint is an
// address (sls-pushdown.md section 1.1). "" = dial as asked.
func pinnedHost(ep string) string {
	u, err := url.Parse(ep)
	if err != nil {
		return ""
	}
	h := u.Hostname()
	if net.ParseIP(h) == nil && !strings.EqualFold(h, "localhost") {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(h, port)
}

// quietSDK replaces the SDK's package logger, which by default writes
// every record, debug included (credential refreshes, retries), to the
// process's stdout: that would corrupt akresp's -o json output.
var quietSDK sync.Once

type discardLogger struct{}

func (discardLogger) Log(...any) error { return nil }

// New returns a client. It makes no call. The endpoint is normalised by
// NormalizeEndpoint; an endpoint that is an address (the lab, a private
// link) pins every connection to that address.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.Endpoint) == "" {
		return nil, errors.New("sls: no endpoint (e.g. cn-hangzhou.log.aliyuncs.com)")
	}
	ep, err := NormalizeEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	quietSDK.Do(func() { sls.Logger = discardLogger{} })
	var prov sls.CredentialsProvider
	switch {
	case cfg.Refresh != nil:
		refresh := cfg.Refresh
		prov = sls.NewUpdateFuncProviderAdapter(func() (string, string, string, time.Time, error) {
			id, sk, tok, exp, err := refresh()
			return id, sk.Reveal(), tok.Reveal(), exp, err
		})
	case cfg.AccessKeyID != "" && !cfg.AccessKeySecret.IsZero():
		prov = sls.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.AccessKeySecret.Reveal(), cfg.SecurityToken.Reveal())
	default:
		return nil, errors.New("sls: no credentials")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	p := cfg.Parallel
	if p <= 0 {
		p = DefaultParallel
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = p
		if pin := pinnedHost(ep); pin != "" {
			tr.Proxy = nil
			tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, pin)
			}
		}
		hc = http.Client{Transport: tr, Timeout: timeout}
	}
	cl := &Client{endpoint: ep, attempts: cfg.Attempts, backoff: cfg.Backoff, minWin: cfg.MinWindow}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &countingTransport{base: base, n: &cl.received}
	c := sls.CreateNormalInterfaceV2(ep, prov)
	c.SetHTTPClient(&hc)
	c.SetRetryTimeout(timeout)
	if cfg.UserAgent != "" {
		c.SetUserAgent(cfg.UserAgent)
	}
	cl.c = c
	if cl.attempts <= 0 {
		cl.attempts = DefaultAttempts
	}
	if cl.backoff == nil {
		cl.backoff = func(n int) time.Duration { return min(500*time.Millisecond<<(n-1), 8*time.Second) }
	}
	if cl.minWin <= 0 {
		cl.minWin = DefaultMinWindow
	}
	cl.sem = make(chan struct{}, p)
	return cl, nil
}

// Endpoint is the normalised endpoint the client talks to.
func (c *Client) Endpoint() string { return c.endpoint }

// BytesReceived is the number of response-body bytes read from SLS so far,
// as they came over the wire (lz4-compressed when SLS compressed them).
func (c *Client) BytesReceived() int64 { return c.received.Load() }

// countingTransport counts response-body bytes.
type countingTransport struct {
	base http.RoundTripper
	n    *atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.Body != nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: t.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// Close releases the client.
func (c *Client) Close() { c.c.Close() }

// Target names a logstore.
type Target struct{ Project, Logstore string }

func (t Target) String() string { return t.Project + "/" + t.Logstore }

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,126}[a-z0-9]$`)

// ParseTarget reads "project/logstore".
func ParseTarget(s string) (Target, error) {
	p, l, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || !nameRe.MatchString(p) || !nameRe.MatchString(l) {
		return Target{}, fmt.Errorf("sls target %q: want PROJECT/LOGSTORE (lower-case letters, digits, - and _, 3 to 128 characters each)", s)
	}
	return Target{Project: p, Logstore: l}, nil
}

// Window is [From, To) in unix seconds.
type Window struct{ From, To int64 }

func (w Window) String() string {
	return time.Unix(w.From, 0).UTC().Format(time.RFC3339) + " to " + time.Unix(w.To, 0).UTC().Format(time.RFC3339)
}

// Request is one GetLogs query.
type Request struct {
	Target Target
	Window Window
	Query  string
	// Lines, Offset and Reverse page a search-only query (Lines <= 100).
	Lines, Offset int64
	Reverse       bool
	// RowCap, when > 0, treats an answer with that many rows as cut short
	// (an SQL LIMIT reached): the window is split like an Incomplete one.
	RowCap int
}

// Result is a (merged) answer.
type Result struct {
	Columns []string
	Rows    []map[string]string
	// Complete is false when some window stayed Incomplete (or capped) at
	// the narrowest split; Missing lists those windows.
	Complete bool
	Missing  []Window
	// Provenance.
	ProcessedRows int64
	Elapsed       time.Duration // server-reported, summed
	Calls         int           // GetLogs requests made
	Splits        int           // windows split
}

// Get asks one window, repeating while the answer is Incomplete (up to
// Attempts, and only while each repeat scans more rows than the last) and
// backing off on read-quota and server errors. It does not split.
func (c *Client) Get(ctx context.Context, req Request) (Result, error) {
	var res Result
	var lastErr error
	prev := int64(-1)
	for n := 1; ; n++ {
		r, err := c.once(ctx, req)
		res.Calls++
		switch {
		case err == nil && r.Complete:
			r.Calls = res.Calls
			return r, nil
		case err == nil:
			res, lastErr = r, nil
			res.Calls = n
			// A repeat that scanned no more than the last one is a scan
			// cap, not a cold cache: split instead of waiting.
			if prev > 0 && r.ProcessedRows <= prev {
				return res, nil
			}
			prev = r.ProcessedRows
		default:
			var se *Error
			if !errors.As(err, &se) || !se.retryable() {
				return Result{}, err
			}
			se.Attempts = n
			lastErr = se
		}
		if n >= c.attempts {
			if lastErr != nil {
				return Result{}, lastErr
			}
			return res, nil
		}
		t := time.NewTimer(c.backoff(n))
		select {
		case <-ctx.Done():
			t.Stop()
			return Result{}, fmt.Errorf("sls: query %s (%s): %w", req.Target, req.Window, ctx.Err())
		case <-t.C:
		}
	}
}

func (c *Client) once(ctx context.Context, req Request) (Result, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("sls: query %s (%s): %w", req.Target, req.Window, ctx.Err())
	}
	type out struct {
		r   *sls.GetLogsV3Response
		err error
	}
	ch := make(chan out, 1)
	go func() {
		defer func() { <-c.sem }()
		r, err := c.c.GetLogsV3(req.Target.Project, req.Target.Logstore, &sls.GetLogRequest{
			From: req.Window.From, To: req.Window.To, Query: req.Query,
			Lines: req.Lines, Offset: req.Offset, Reverse: req.Reverse,
		})
		ch <- out{r, err}
	}()
	var o out
	select {
	case o = <-ch:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("sls: query %s (%s): %w", req.Target, req.Window, ctx.Err())
	}
	if o.err != nil {
		return Result{}, mapError("sls:GetLogStoreLogs", req.Target.String(), o.err)
	}
	res := Result{
		Columns:       o.r.Meta.Keys,
		Rows:          o.r.Logs,
		Complete:      o.r.IsComplete(),
		ProcessedRows: o.r.Meta.ProcessedRows,
		Elapsed:       time.Duration(o.r.Meta.ElapsedMillisecond) * time.Millisecond,
	}
	if req.RowCap > 0 && len(res.Rows) >= req.RowCap {
		res.Complete = false
	}
	if !res.Complete {
		res.Missing = []Window{req.Window}
	}
	return res, nil
}

// Merge folds the answers of two adjacent windows (a earlier than b) into
// one.
type Merge func(a, b Result) Result

// Concat is the Merge of queries whose rows never overlap across windows
// (raw events; groups keyed by a minute or finer time bucket).
func Concat(a, b Result) Result {
	a.Rows = append(a.Rows, b.Rows...)
	if len(a.Columns) == 0 {
		a.Columns = b.Columns
	}
	return a
}

// Query answers req completely if it can: Get, and when the answer stays
// Incomplete (or reaches RowCap), split the window at a minute boundary,
// query both halves concurrently and merge them. Windows that cannot be
// completed at MinWindow are listed in Result.Missing with Complete false.
func (c *Client) Query(ctx context.Context, req Request, merge Merge) (Result, error) {
	r, err := c.Get(ctx, req)
	if err != nil {
		return Result{}, err
	}
	if r.Complete {
		return r, nil
	}
	w := req.Window
	step := int64(c.minWin / time.Second)
	mid := w.From + (w.To-w.From)/2
	mid -= mid % step
	if mid <= w.From || mid >= w.To || w.To-w.From <= step {
		return r, nil // cannot split further: r names the missing window
	}
	left, right := req, req
	left.Window, right.Window = Window{w.From, mid}, Window{mid, w.To}
	var lr, rr Result
	var lerr, rerr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); rr, rerr = c.Query(ctx, right, merge) }()
	lr, lerr = c.Query(ctx, left, merge)
	wg.Wait()
	if err := errors.Join(lerr, rerr); err != nil {
		return Result{}, err
	}
	m := merge(lr, rr)
	m.Complete = lr.Complete && rr.Complete
	m.Missing = append(append([]Window(nil), lr.Missing...), rr.Missing...)
	m.ProcessedRows = lr.ProcessedRows + rr.ProcessedRows
	m.Elapsed = lr.Elapsed + rr.Elapsed
	m.Calls = r.Calls + lr.Calls + rr.Calls
	m.Splits = 1 + lr.Splits + rr.Splits
	return m, nil
}

// Page reads every row of a search-only query (no SQL) by offset, 100 at a
// time, each page through Query so that Incomplete pages are completed.
// Pages are asked within a window whose total is fixed, so offsets are
// stable.
func (c *Client) Page(ctx context.Context, req Request) (Result, error) {
	req.Lines = 100
	var all Result
	all.Complete = true
	for off := int64(0); ; off += req.Lines {
		req.Offset = off
		r, err := c.Get(ctx, req)
		if err != nil {
			return Result{}, err
		}
		all.Calls += r.Calls
		all.ProcessedRows = max(all.ProcessedRows, r.ProcessedRows)
		all.Elapsed += r.Elapsed
		all.Columns = r.Columns
		if !r.Complete {
			// An Incomplete page cannot be trusted to be the right rows;
			// split the window instead.
			return c.pageSplit(ctx, req, all)
		}
		all.Rows = append(all.Rows, r.Rows...)
		if int64(len(r.Rows)) < req.Lines {
			return all, nil
		}
	}
}

func (c *Client) pageSplit(ctx context.Context, req Request, acc Result) (Result, error) {
	w := req.Window
	step := int64(c.minWin / time.Second)
	mid := w.From + (w.To-w.From)/2
	mid -= mid % step
	if mid <= w.From || mid >= w.To || w.To-w.From <= step {
		acc.Rows = nil
		acc.Complete = false
		acc.Missing = []Window{w}
		return acc, nil
	}
	out := Result{Complete: true, Calls: acc.Calls, Splits: 1}
	for _, win := range []Window{{w.From, mid}, {mid, w.To}} {
		sub := req
		sub.Window = win
		r, err := c.Page(ctx, sub)
		if err != nil {
			return Result{}, err
		}
		out.Rows = append(out.Rows, r.Rows...)
		out.Columns = r.Columns
		out.Complete = out.Complete && r.Complete
		out.Missing = append(out.Missing, r.Missing...)
		out.Calls += r.Calls
		out.Splits += r.Splits
		out.ProcessedRows += r.ProcessedRows
		out.Elapsed += r.Elapsed
	}
	return out, nil
}

// IndexKeys returns the indexed sub-keys of the JSON field "event" (for
// example "userIdentity.accessKeyId") and whether __topic__ is indexed.
func (c *Client) IndexKeys(ctx context.Context, t Target) (map[string]bool, error) {
	type out struct {
		ix  *sls.Index
		err error
	}
	ch := make(chan out, 1)
	go func() {
		ix, err := c.c.GetIndex(t.Project, t.Logstore)
		ch <- out{ix, err}
	}()
	var o out
	select {
	case o = <-ch:
	case <-ctx.Done():
		return nil, fmt.Errorf("sls: read the index of %s: %w", t, ctx.Err())
	}
	if o.err != nil {
		return nil, mapError("sls:GetIndex", t.String(), o.err)
	}
	keys := map[string]bool{}
	for name, k := range o.ix.Keys {
		if name == "event" {
			for sub, jk := range k.JsonKeys {
				if jk != nil && jk.DocValue {
					keys[sub] = true
				}
			}
		} else if k.DocValue {
			keys[name] = true
		}
	}
	return keys, nil
}

// Logstores lists a project's logstores.
func (c *Client) Logstores(ctx context.Context, project string) ([]string, error) {
	type out struct {
		names []string
		err   error
	}
	ch := make(chan out, 1)
	go func() {
		n, err := c.c.ListLogStore(project)
		ch <- out{n, err}
	}()
	var o out
	select {
	case o = <-ch:
	case <-ctx.Done():
		return nil, fmt.Errorf("sls: list the logstores of %s: %w", project, ctx.Err())
	}
	if o.err != nil {
		return nil, mapError("sls:ListLogStores", project, o.err)
	}
	return o.names, nil
}
