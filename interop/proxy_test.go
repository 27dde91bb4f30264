package interop

import (
	"io"
	"net"
	"sync"
	"testing"
)

// cutProxy forwards TCP connections to a target and can be armed to cut
// the connection after a number of bytes from the dialler (lnkit) to the
// target (lnd): the bytes up to the limit are forwarded, then both sides
// are closed. Message sizes are fixed by the protocol, so a byte count
// picks the message the cut falls in.
type cutProxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	conns    []net.Conn
	accepted int // connections accepted so far
	limit    int // bytes left to forward before the cut; -1: not armed
	sent     int // bytes forwarded from the dialler so far
	cut      chan struct{}
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, limit: -1}
	t.Cleanup(func() { ln.Close(); p.closeAll() })
	go p.accept()
	return p
}

func (p *cutProxy) Addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, u)
		p.accepted++
		p.mu.Unlock()
		go p.pipe(c, u, true)
		go p.pipe(u, c, false)
	}
}

// arm cuts the connection once n more bytes have gone from the dialler to
// the target; the returned channel is closed at the cut.
func (p *cutProxy) arm(n int) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.limit = n
	p.cut = make(chan struct{})
	return p.cut
}

func (p *cutProxy) pipe(src, dst net.Conn, upstream bool) {
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			cutNow := false
			if upstream {
				p.mu.Lock()
				p.sent += n
				if p.limit >= 0 {
					if n >= p.limit {
						chunk = buf[:p.limit]
						cutNow = true
						p.limit = -1
					} else {
						p.limit -= n
					}
				}
				p.mu.Unlock()
			}
			if len(chunk) > 0 {
				if _, werr := dst.Write(chunk); werr != nil {
					return
				}
			}
			if cutNow {
				p.closeAll()
				p.mu.Lock()
				close(p.cut)
				p.mu.Unlock()
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				_ = err
			}
			src.Close()
			dst.Close()
			return
		}
	}
}

// connections is the number of connections accepted so far.
func (p *cutProxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// upstreamBytes is the count of bytes the dialler has sent.
func (p *cutProxy) upstreamBytes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent
}

func (p *cutProxy) closeAll() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}
