package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/internal/testdb"
)

// startEngine runs a real engine on a loopback port against a fresh database.
func startEngine(t *testing.T) (base string, stop func() error) {
	base, _, stop = startEngineOn(t)
	return base, stop
}

// startEngineOn is startEngine over a database loaded with scripts; it
// also returns the database URL.
func startEngineOn(t testing.TB, scripts ...string) (base, url string, stop func() error) {
	return startEngineWith(t, nil, scripts...)
}

// startEngineWith is startEngineOn with extra command-line arguments.
func startEngineWith(t testing.TB, args []string, scripts ...string) (base, url string, stop func() error) {
	t.Helper()
	url = testdb.New(t, scripts...)
	cfg, err := config.Parse(append([]string{"--database-url", url, "--graceful-shutdown-timeout", "5"}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), url, func() error { cancel(); return <-done }
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEngineServesHealthAndVersion(t *testing.T) {
	base, stop := startEngine(t)
	if code, body := get(t, base+"/healthz"); code != 200 || body != "OK" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/v1/version"); code != 200 || !strings.Contains(body, `"version":"dev"`) {
		t.Errorf("/v1/version: %d %q", code, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestUnreachableDatabaseFailsWithOneLine(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cfg, err := config.Parse([]string{"--database-url", "postgres://postgres@" + addr + "/x", "--db-connect-timeout", "500ms"},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %q should name %s on one line", err, addr)
	}
	if time.Since(t0) > 5*time.Second {
		t.Fatalf("connect timeout not honoured: %s", time.Since(t0))
	}
}

// HASURA_GRAPHQL_CORS_DOMAIN's default (*) lets every origin read the
// engine's answers and answers preflight requests.
func TestEngineAnswersCORS(t *testing.T) {
	base, stop := startEngine(t)
	defer stop()
	req, _ := http.NewRequest("OPTIONS", base+"/v1/graphql", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ = http.NewRequest("GET", base+"/v1/version", nil)
	req.Header.Set("Origin", "https://app.example.com")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("GET from another origin: %v", resp.Header)
	}
}
