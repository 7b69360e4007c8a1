package lab

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// A client that sends its headers and then its body slowly (or never) is
// disconnected after ReadTimeout, and while MaxConns such clients hold
// every slot the lab still answers as soon as one is dropped: it never
// stops answering because connections pile up.
func TestSlowBodyClientsCannotPinTheLab(t *testing.T) {
	const maxConns = 4
	readTimeout := 400 * time.Millisecond
	s, err := New(Options{MaxConns: maxConns, ReadTimeout: readTimeout, IdleTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Fill every slot with a client that promises a body and sends none.
	var slow []net.Conn
	for range maxConns {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: ram.aliyuncs.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nAction=")
		slow = append(slow, c)
	}
	time.Sleep(50 * time.Millisecond) // let the server accept them

	// A fresh client is answered once the slow ones time out, well before
	// the old behaviour (no body timeout: never).
	start := time.Now()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + s.Addr() + "/?Action=GetCallerIdentity")
	if err != nil {
		t.Fatalf("the lab did not answer while slow clients were connected: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if d := time.Since(start); d > 3*readTimeout+time.Second {
		t.Errorf("answered after %s, want about ReadTimeout (%s)", d, readTimeout)
	}

	// The slow clients were disconnected (read returns, no hang).
	for i, c := range slow {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := bufio.NewReader(c).ReadString('\n')
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("slow client %d still connected after ReadTimeout", i)
		}
	}
}

func TestServerTimeoutDefaults(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.srv.ReadTimeout != DefaultReadTimeout || s.srv.ReadHeaderTimeout != DefaultReadTimeout/2 ||
		s.srv.WriteTimeout != DefaultWriteTimeout || s.srv.IdleTimeout != DefaultIdleTimeout || s.srv.MaxHeaderBytes != maxHeaderBytes {
		t.Errorf("server limits %v/%v/%v/%v/%d", s.srv.ReadHeaderTimeout, s.srv.ReadTimeout, s.srv.WriteTimeout, s.srv.IdleTimeout, s.srv.MaxHeaderBytes)
	}
	if ll, ok := s.ln.(*limitListener); !ok || cap(ll.sem) != DefaultMaxConns {
		t.Errorf("listener %T does not limit to %d connections", s.ln, DefaultMaxConns)
	}
}

// Keep-alive connections idle in clients' pools do not lock others out:
// with every slot held by one, a new client is answered at once (the
// longest-idle connection is closed for it), not after IdleTimeout.
func TestIdleKeepAlivesYieldToNewClients(t *testing.T) {
	const maxConns = 4
	s, err := New(Options{MaxConns: maxConns, IdleTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	get := func(c *http.Client) error {
		resp, err := c.Get("http://" + s.Addr() + "/?Action=GetCallerIdentity")
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	for i := range maxConns + 4 {
		// Each client keeps its connection open and idle afterwards.
		c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{}}
		start := time.Now()
		if err := get(c); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("client %d answered after %s", i, d)
		}
	}
}
