package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestGracefulShutdownDrainsInFlight(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = w.Write([]byte("done"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, h, Timeouts{Grace: 5 * time.Second}, slog.New(slog.DiscardHandler)) }()

	url := "http://" + ln.Addr().String() + "/"
	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	cancel() // SIGTERM while the request is in flight
	// Shutdown closes the listener first; the request is still running.
	waitFor(t, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	close(release)

	r := <-got
	if r.err != nil || r.body != "done" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestGracePeriodBoundsShutdown(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-block:
		case <-r.Context().Done():
		}
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, ln, h, Timeouts{Grace: 200 * time.Millisecond}, slog.New(slog.DiscardHandler))
	}()
	go func() { _, _ = http.Get("http://" + ln.Addr().String() + "/") }()
	<-started
	t0 := time.Now()
	cancel()
	<-served
	if d := time.Since(t0); d > 3*time.Second {
		t.Fatalf("shutdown took %s, grace was 200ms", d)
	}
}

func TestHealthz(t *testing.T) {
	var pingErr error
	inconsistent := 0
	h := NewHandler(Deps{
		Version:             "v-test",
		Logger:              slog.New(slog.DiscardHandler),
		Ping:                func(context.Context) error { return pingErr },
		InconsistentObjects: func() int { return inconsistent },
	})
	check := func(path string, status int, body string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != status || rec.Body.String() != body {
			t.Errorf("%s: %d %q, want %d %q", path, rec.Code, rec.Body.String(), status, body)
		}
	}
	check("/healthz", 200, "OK")
	inconsistent = 2
	check("/healthz", 200, "WARN: inconsistent objects in schema")
	check("/healthz?strict=true", 500, "WARN: inconsistent objects in schema")
	pingErr = io.ErrUnexpectedEOF
	check("/healthz", 500, "ERROR\n")
	check("/v1/version", 200, "{\"version\":\"v-test\"}\n")
	check("/nope", 404, "{\"path\":\"$\",\"error\":\"resource does not exist\",\"code\":\"not-found\"}\n")
}

// serveRaw serves h with timeouts t and returns a raw connection to it.
func serveRaw(t *testing.T, h http.Handler, to Timeouts) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, h, to, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() { cancel(); <-served })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// The test fails rather than hangs if the server never answers.
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// A client that stops sending its body is cut off by the read timeout.
func TestReadTimeoutBoundsASlowBody(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := ReadBody(r, 0); err != nil {
			WriteError(w, 0, err)
			return
		}
		_, _ = w.Write([]byte("read it all"))
	})
	c := serveRaw(t, h, Timeouts{Read: 200 * time.Millisecond})
	_, _ = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "cannot read the request body") {
		t.Fatalf("got %d %s", resp.StatusCode, b)
	}
}

// An idle keep-alive connection is closed after the idle timeout.
func TestIdleTimeoutClosesKeepAlive(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	c := serveRaw(t, h, Timeouts{Idle: 200 * time.Millisecond})
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("the idle connection was not closed by the server: %v", err)
	}
}
