package cloud

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in       string
		host     string
		protocol string
		err      string
	}{
		{in: "", host: "", protocol: "https"},
		{in: "  ", host: "", protocol: "https"},
		{in: "127.0.0.1:8080", host: "127.0.0.1:8080", protocol: "http"},
		{in: "localhost:9", host: "localhost:9", protocol: "http"},
		{in: "[::1]:9000", host: "[::1]:9000", protocol: "http"},
		{in: "127.9.9.9:1", host: "127.9.9.9:1", protocol: "http"},
		{in: "http://127.0.0.1:8080", host: "127.0.0.1:8080", protocol: "http"},
		{in: "http://127.0.0.1:8080/", host: "127.0.0.1:8080", protocol: "http"},
		{in: "HTTP://lab.internal:80", host: "lab.internal:80", protocol: "http"},
		{in: "https://ram-vpc.cn-hangzhou.aliyuncs.com", host: "ram-vpc.cn-hangzhou.aliyuncs.com", protocol: "https"},
		{in: "ram.aliyuncs.com", host: "ram.aliyuncs.com", protocol: "https"},
		{in: "https://127.0.0.1:8443", host: "127.0.0.1:8443", protocol: "https"},
		{in: "ftp://x", err: `scheme "ftp"`},
		{in: "http://", err: "no host"},
		{in: "http://host/path", err: "no path"},
		{in: "host?x=1", err: "no path"},
		{in: "user@host", err: "no path"},
		{in: "host:0", err: "port"},
		{in: "host:70000", err: "port"},
		{in: "host:abc", err: "host[:port]"},
		{in: "host:", err: "empty port"},
		{in: ":8080", err: "no host"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ep, err := parseEndpoint(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseEndpoint(%q) error = %v, want containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseEndpoint(%q): %v", tt.in, err)
			}
			if ep.host != tt.host || ep.protocol != tt.protocol {
				t.Errorf("parseEndpoint(%q) = {%q %q}, want {%q %q}", tt.in, ep.host, ep.protocol, tt.host, tt.protocol)
			}
		})
	}
}

func TestConfigResolve(t *testing.T) {
	good := &StaticCredential{AccessKeyID: testKeyID, AccessKeySecret: redact.Secret(testSecret)}
	tests := []struct {
		name  string
		cfg   Config
		err   string
		check func(t *testing.T, s settings)
	}{
		{name: "defaults", cfg: Config{}, check: func(t *testing.T, s settings) {
			if s.Region != "cn-hangzhou" || s.Timeout != 10*time.Second || s.connectTimeout != 5*time.Second ||
				s.MaxAttempts != 5 || s.RetryBase != 200*time.Millisecond || s.RateScale != 1 || s.userAgent != "akresp/dev" || s.Logger == nil {
				t.Errorf("defaults not applied: %+v", s)
			}
		}},
		{name: "short timeout caps connect", cfg: Config{Timeout: 2 * time.Second, Version: "0.4.0"}, check: func(t *testing.T, s settings) {
			if s.connectTimeout != 2*time.Second || s.userAgent != "akresp/0.4.0" {
				t.Errorf("connect %s ua %q", s.connectTimeout, s.userAgent)
			}
		}},
		{name: "local addr", cfg: Config{LocalAddr: "127.0.0.66"}, check: func(t *testing.T, s settings) {
			if s.localIP.String() != "127.0.0.66" {
				t.Errorf("localIP %v", s.localIP)
			}
		}},
		{name: "bad region", cfg: Config{Region: "CN Hangzhou"}, err: `region "CN Hangzhou"`},
		{name: "bad endpoint", cfg: Config{Endpoint: "http://x/y"}, err: `endpoint "http://x/y"`},
		{name: "negative timeout", cfg: Config{Timeout: -1}, err: "timeout"},
		{name: "tiny timeout", cfg: Config{Timeout: time.Microsecond}, err: "at least 1ms"},
		{name: "negative attempts", cfg: Config{MaxAttempts: -1}, err: "max attempts -1"},
		{name: "negative base", cfg: Config{RetryBase: -time.Second}, err: "retry base"},
		{name: "nan scale", cfg: Config{RateScale: math.NaN()}, err: "rate scale"},
		{name: "negative scale", cfg: Config{RateScale: -2}, err: "rate scale"},
		{name: "bad limit key", cfg: Config{Limits: map[string]float64{"ram.GetUser": 1}}, err: `rate limit key "ram.GetUser"`},
		{name: "zero limit", cfg: Config{Limits: map[string]float64{"RAM.GetUser": 0}}, err: "RAM.GetUser=0"},
		{name: "inf limit ok", cfg: Config{Limits: map[string]float64{"ActionTrail.LookupEvents": math.Inf(1)}}},
		{name: "bad local addr", cfg: Config{LocalAddr: "not-an-ip"}, err: `local address "not-an-ip"`},
		{name: "bad version", cfg: Config{Version: "1.0 beta"}, err: `version "1.0 beta"`},
		{name: "static ok", cfg: Config{Credential: good}},
		{name: "static no id", cfg: Config{Credential: &StaticCredential{AccessKeySecret: "x"}}, err: "access key id is empty"},
		{name: "static no secret", cfg: Config{Credential: &StaticCredential{AccessKeyID: testKeyID}}, err: "LTAI5t…0000: access key secret is empty"},
		{name: "static space secret", cfg: Config{Credential: &StaticCredential{AccessKeyID: testKeyID, AccessKeySecret: "a b"}}, err: "secret contains whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.cfg.resolve()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("resolve error = %v, want containing %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "a b") {
					t.Fatalf("error shows the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func TestNewEndpointReporting(t *testing.T) {
	tests := []struct {
		endpoint string
		want     string
	}{
		{"", "ram.aliyuncs.com (default endpoints)"},
		{"http://127.0.0.1:1234", "127.0.0.1:1234"},
		{"127.0.0.1:1234", "127.0.0.1:1234"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			c := newTestClients(t, testConfig(tt.endpoint))
			if got := c.Endpoint(); got != tt.want {
				t.Errorf("Endpoint() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewDefaultEndpointsPerService(t *testing.T) {
	c := newTestClients(t, Config{Region: "cn-shanghai", Credential: testConfig("").Credential})
	got := map[string]string{
		"ram":         str(c.ram.Endpoint),
		"actiontrail": str(c.at.Endpoint),
		"sts":         str(c.sts.Endpoint),
		"ims":         str(c.ims.Endpoint),
	}
	want := map[string]string{
		"ram":         "ram.aliyuncs.com",
		"actiontrail": "actiontrail.cn-shanghai.aliyuncs.com",
		"sts":         "sts.cn-shanghai.aliyuncs.com",
		"ims":         "ims.aliyuncs.com",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s endpoint = %q, want %q", k, got[k], w)
		}
	}
	if p := str(c.ram.Protocol); p != "https" {
		t.Errorf("protocol = %q, want https", p)
	}
}

func TestNewRejectsCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(ctx, testConfig("")); err == nil {
		t.Fatal("New with a cancelled context succeeded")
	}
}
