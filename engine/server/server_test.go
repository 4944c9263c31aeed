package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestGracefulShutdownDrainsInFlight(t *testing.T) {
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = w.Write([]byte("done"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, h, 5*time.Second, slog.New(slog.DiscardHandler)) }()

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

	r := <-got
	if r.err != nil || r.body != "done" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("listener still accepts connections after shutdown")
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
	go func() { served <- Serve(ctx, ln, h, 200*time.Millisecond, slog.New(slog.DiscardHandler)) }()
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
