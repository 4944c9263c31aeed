package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

const overheadQuery = `{ artist(order_by: {name: asc}) { id name albums(order_by: {id: asc}) { title tracks(order_by: {id: asc}) { name milliseconds } } } }`

// BenchmarkEngineOverhead compares the same query through the engine over
// HTTP with the floor: the SQL the engine generated for it (from
// /v1/graphql/explain), run with pgx behind a minimal HTTP handler. Requests
// alternate between the two so both see the same machine load. It reports
// both p50 latencies and their ratio (target: ≤ 1.15).
//
//	go test ./engine/app -run '^$' -bench EngineOverhead -benchtime 3000x
func BenchmarkEngineOverhead(b *testing.B) {
	base, pool, stop := startDemoEngine(b)
	defer stop()

	var explained []struct {
		SQL       string `json:"sql"`
		Arguments []any  `json:"arguments"`
	}
	postJSON(b, base+"/v1/graphql/explain", map[string]any{"query": map[string]any{"query": overheadQuery}}, &explained)
	if len(explained) != 1 {
		b.Fatalf("explain returned %d fields", len(explained))
	}
	sql, args := explained[0].SQL, explained[0].Arguments
	floor := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		var raw []byte
		if err := pool.QueryRow(r.Context(), sql, args...).Scan(&raw); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"artist":`))
		_, _ = w.Write(raw)
		_, _ = w.Write([]byte(`}}`))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: floor}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	floorURL := "http://" + ln.Addr().String() + "/v1/graphql"

	body, _ := json.Marshal(map[string]string{"query": overheadQuery})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	send := func(url string) time.Duration {
		t0 := time.Now()
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n < 100 {
			b.Fatalf("%s answered %d with %d bytes", url, resp.StatusCode, n)
		}
		return time.Since(t0)
	}
	for range 50 { // warm up both paths (plan cache, prepared statements)
		send(base + "/v1/graphql")
		send(floorURL)
	}
	var engine, raw []time.Duration
	b.ResetTimer()
	for b.Loop() {
		engine = append(engine, send(base+"/v1/graphql"))
		raw = append(raw, send(floorURL))
	}
	b.StopTimer()
	pe, pf := p50(engine), p50(raw)
	b.ReportMetric(float64(pe.Microseconds()), "engine-p50-µs")
	b.ReportMetric(float64(pf.Microseconds()), "floor-p50-µs")
	b.ReportMetric(float64(pe)/float64(pf), "ratio")
}

func p50(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// startDemoEngine runs an engine over a fresh demo database with the demo
// metadata applied through the metadata API.
func startDemoEngine(tb testing.TB) (base string, pool *pgxpool.Pool, stop func()) {
	tb.Helper()
	demo, err := os.ReadFile("../../hack/demo.sql")
	if err != nil {
		tb.Fatal(err)
	}
	base, url, stopEngine := startEngineOn(tb, string(demo))
	md, err := os.ReadFile("../../hack/demo-metadata.json")
	if err != nil {
		tb.Fatal(err)
	}
	var resp map[string]any
	postJSON(tb, base+"/v1/metadata", map[string]any{"type": "replace_metadata", "args": json.RawMessage(md)}, &resp)
	if resp["message"] != "success" {
		tb.Fatalf("replace_metadata: %v", resp)
	}
	pool, err = pgxpool.New(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	return base, pool, func() { pool.Close(); _ = stopEngine() }
}

func postJSON(tb testing.TB, url string, body any, out any) {
	tb.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, out); err != nil {
		tb.Fatalf("%s: %s", url, raw)
	}
}
