package lab

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// limitListener accepts at most n connections at a time (a semaphore, as
// golang.org/x/net/netutil.LimitListener): Accept waits for a served
// connection to close before taking the next one from the backlog. When
// every slot is taken, the connection idle the longest between requests
// (a client's keep-alive pool) is closed to make room, as IdleTimeout
// would close it later; busy connections are bounded by the read and
// write timeouts.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	mu   sync.Mutex
	idle map[*limitConn]time.Time // keep-alive connections waiting for a request
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{}), idle: map[*limitConn]time.Time{}}
}

// reclaimEvery is how often a full listener looks for an idle connection
// to close while it waits.
const reclaimEvery = 50 * time.Millisecond

func (l *limitListener) Accept() (net.Conn, error) {
	for acquired := false; !acquired; {
		select {
		case l.sem <- struct{}{}:
			acquired = true
			continue
		case <-l.done:
			return nil, net.ErrClosed
		default:
		}
		l.closeOldestIdle()
		select {
		case l.sem <- struct{}{}:
			acquired = true
		case <-l.done:
			return nil, net.ErrClosed
		case <-time.After(reclaimEvery):
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	lc := &limitConn{Conn: c, l: l}
	return lc, nil
}

// closeOldestIdle closes the connection idle the longest, if any.
func (l *limitListener) closeOldestIdle() {
	l.mu.Lock()
	var oldest *limitConn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	if oldest != nil {
		delete(l.idle, oldest)
	}
	l.mu.Unlock()
	if oldest != nil {
		oldest.Close()
	}
}

// connState is the http.Server's ConnState hook: it tracks which
// connections are idle.
func (l *limitListener) connState(c net.Conn, st http.ConnState) {
	lc, ok := c.(*limitConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if st == http.StateIdle {
		l.idle[lc] = time.Now()
	} else {
		delete(l.idle, lc)
	}
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back once, on the first Close.
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.idle, c)
		c.l.mu.Unlock()
		<-c.l.sem
	})
	return err
}
