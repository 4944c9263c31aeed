package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// multiplexMark is the text every multiplexed live-query statement starts
// with (compile.Multiplex): what the benchmark calls a cohort query.
const multiplexMark = "json_array_elements($1::json) WITH ORDINALITY AS _subs"

// stmtProxy is a loopback TCP proxy between the engine and PostgreSQL that
// counts the statements the engine runs: every Execute message of the
// extended protocol and every simple Query message, read off the wire from
// the engine's side, so nothing in the engine is instrumented and nothing
// is missed or delayed as pg_stat_database's counters are (they are
// flushed at intervals). Cohort statements (the multiplexed SELECT) are
// told apart by their text, which Parse (or Query) carries.
type stmtProxy struct {
	ln       net.Listener
	upstream string

	mu     sync.Mutex
	total  int64
	cohort []time.Time // when each cohort statement was sent
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

// startProxy listens on a loopback port and forwards to upstream.
func startProxy(upstream string) (*stmtProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the statement proxy: %w", err)
	}
	p := &stmtProxy{ln: ln, upstream: upstream, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// addr is the proxy's host:port.
func (p *stmtProxy) addr() string { return p.ln.Addr().String() }

// close stops accepting, closes every proxied connection and waits for
// the forwarding goroutines.
func (p *stmtProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// counts returns the statements seen so far: all, and cohort statements.
func (p *stmtProxy) counts() (total, cohort int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total, int64(len(p.cohort))
}

// cohortTimes returns when each cohort statement in [from, to) was sent.
func (p *stmtProxy) cohortTimes(from, to time.Time) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Time
	for _, t := range p.cohort {
		if !t.Before(from) && t.Before(to) {
			out = append(out, t)
		}
	}
	return out
}

// track records an open connection (on) or forgets a closed one, so that
// close can end them all; one opened after close is closed at once.
func (p *stmtProxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on && p.closed {
		_ = c.Close()
	} else if on {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
}

func (p *stmtProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.track(client, true)
		p.track(server, true)
		p.wg.Add(2)
		go func() { // server → client: bytes as they come
			defer p.wg.Done()
			_, _ = io.Copy(client, server)
			_ = client.Close()
			p.track(server, false)
		}()
		go func() { // client → server: message by message, counted
			defer p.wg.Done()
			_ = p.forward(server, client)
			_ = server.Close()
			p.track(client, false)
		}()
	}
}

// forward copies the frontend's messages from client to server and counts
// its statements.
func (p *stmtProxy) forward(server io.Writer, client io.Reader) error {
	r := bufio.NewReaderSize(client, 64<<10)
	w := bufio.NewWriterSize(server, 64<<10)
	named := map[string]bool{} // prepared statement name → is a cohort statement
	var bound bool             // the last Bind's statement is a cohort statement
	startup := true
	var head [5]byte
	for {
		var typ byte
		var n int
		if startup { // untyped: length, then protocol code and parameters
			if _, err := io.ReadFull(r, head[:4]); err != nil {
				return err
			}
			n = int(binary.BigEndian.Uint32(head[:4]))
			if _, err := w.Write(head[:4]); err != nil {
				return err
			}
		} else {
			if _, err := io.ReadFull(r, head[:5]); err != nil {
				return err
			}
			typ, n = head[0], int(binary.BigEndian.Uint32(head[1:5]))
			if _, err := w.Write(head[:5]); err != nil {
				return err
			}
		}
		if n < 4 || n > 1<<30 {
			return fmt.Errorf("statement proxy: bad message length %d", n)
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return err
		}
		if _, err := w.Write(body); err != nil {
			return err
		}
		if startup {
			// SSLRequest and GSSENCRequest are followed by another untyped
			// message; the startup message itself ends the untyped part.
			code := uint32(0)
			if len(body) >= 4 {
				code = binary.BigEndian.Uint32(body[:4])
			}
			startup = code == 80877103 || code == 80877104
		} else {
			switch typ {
			case 'P': // Parse: name, query
				name, rest, _ := bytes.Cut(body, []byte{0})
				query, _, _ := bytes.Cut(rest, []byte{0})
				named[string(name)] = strings.Contains(string(query), multiplexMark)
			case 'B': // Bind: portal, statement
				_, rest, _ := bytes.Cut(body, []byte{0})
				stmt, _, _ := bytes.Cut(rest, []byte{0})
				bound = named[string(stmt)]
			case 'E':
				p.count(bound)
			case 'Q':
				p.count(bytes.Contains(body, []byte(multiplexMark)))
			}
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
}

func (p *stmtProxy) count(cohort bool) {
	now := time.Now()
	p.mu.Lock()
	p.total++
	if cohort {
		p.cohort = append(p.cohort, now)
	}
	p.mu.Unlock()
}
