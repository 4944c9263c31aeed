package graphql

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BenchmarkInsert1000 inserts 1,000 rows with one insert_bench(objects:)
// returning { id } through the HTTP handler, and the same rows with pgx
// CopyFrom (PostgreSQL's bulk load), into the same table. It reports rows/s
// of both and their ratio (copy / handler; the target is within 3x).
//
//	go test ./engine/graphql -run '^$' -bench 'Insert1000|InsertOne' -benchtime 50x
func BenchmarkInsert1000(b *testing.B) {
	e := newMutationEnv(b)
	ctx := context.Background()
	const rows = 1000
	objs := make([]any, rows)
	copyRows := make([][]any, rows)
	for i := range objs {
		objs[i] = map[string]any{"name": fmt.Sprintf("row %d", i), "value": i}
		copyRows[i] = []any{fmt.Sprintf("row %d", i), int32(i)}
	}
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($objs: [bench_insert_input!]!) { insert_bench(objects: $objs) { affected_rows returning { id } } }`,
		"variables": map[string]any{"objs": objs},
	})
	truncate := func() {
		if _, err := e.pool.Exec(ctx, "TRUNCATE bench RESTART IDENTITY"); err != nil {
			b.Fatal(err)
		}
	}
	var handler, bulk time.Duration
	for b.Loop() {
		b.StopTimer()
		truncate()
		b.StartTimer()
		start := time.Now()
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/graphql", strings.NewReader(string(body))))
		handler += time.Since(start)
		if !strings.Contains(rec.Body.String(), `"affected_rows" : 1000`) {
			b.Fatalf("insert: %.300s", rec.Body.String())
		}

		b.StopTimer()
		truncate()
		b.StartTimer()
		start = time.Now()
		n, err := e.pool.CopyFrom(ctx, pgx.Identifier{"bench"}, []string{"name", "value"}, pgx.CopyFromRows(copyRows))
		bulk += time.Since(start)
		if err != nil || n != rows {
			b.Fatalf("copy: %d %v", n, err)
		}
	}
	hps := float64(rows*b.N) / handler.Seconds()
	cps := float64(rows*b.N) / bulk.Seconds()
	b.ReportMetric(hps, "handler_rows/s")
	b.ReportMetric(cps, "copy_rows/s")
	b.ReportMetric(cps/hps, "copy/handler")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkInsertOne measures single-row insert_bench_one latency through
// the handler (a reused plan with slot variables) and reports p50 and p99.
func BenchmarkInsertOne(b *testing.B) {
	e := newMutationEnv(b)
	q := `mutation($n: String!, $v: Int) { insert_bench_one(object: {name: $n, value: $v}) { id } }`
	var lat []time.Duration
	i := 0
	for b.Loop() {
		i++
		body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"n": fmt.Sprint("one ", i), "v": i}})
		start := time.Now()
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/graphql", strings.NewReader(string(body))))
		lat = append(lat, time.Since(start))
		if !strings.Contains(rec.Body.String(), `"id"`) {
			b.Fatalf("insert: %s", rec.Body.String())
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_µs")
}
