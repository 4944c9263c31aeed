package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// BenchmarkScale5000 tracks 5,000 tables (each with an object and an array
// relationship) through replace_metadata on a running engine and reports
// how long the change took (catalogue read + schema build + swap) and the
// process's resident memory afterwards (the engine runs in this process).
//
//	go test ./engine/app -run '^$' -bench Scale5000 -benchtime 1x
//
// With STRATA_SCALE_HEAPPROFILE=file it writes a heap profile of the
// running engine there (go tool pprof -sample_index=inuse_space -top file).
func BenchmarkScale5000(b *testing.B) { benchmarkScale(b, nil) }

// BenchmarkScale5000Roles is BenchmarkScale5000 with two roles that may
// select every table (one with every column, aggregations and no filter,
// one with a row filter and without aggregations), each answering one
// query after the change, so that both role schemas are built and held.
func BenchmarkScale5000Roles(b *testing.B) { benchmarkScale(b, []string{"reader", "author"}) }

// scaleRolePermission is the select permission of role on every table of
// the scale benchmarks.
func scaleRolePermission(role string) map[string]any {
	if role == "reader" {
		return map[string]any{"role": role, "permission": map[string]any{"columns": "*", "filter": map[string]any{}, "allow_aggregations": true}}
	}
	return map[string]any{"role": role, "permission": map[string]any{"columns": "*", "filter": map[string]any{"id": map[string]any{"_gt": 0}}}}
}

func benchmarkScale(b *testing.B, roles []string) {
	const n = 5000
	// In chunks: one transaction creating 5,000 tables exhausts the lock table.
	var scripts []string
	var ddl strings.Builder
	ddl.WriteString("CREATE TABLE t0 (id serial PRIMARY KEY, name text, parent_id int);")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&ddl, "CREATE TABLE t%d (id serial PRIMARY KEY, name text, amount numeric, created_at timestamptz, parent_id int REFERENCES t%d(id));", i, i-1)
		if i%250 == 0 {
			scripts = append(scripts, ddl.String())
			ddl.Reset()
		}
	}
	scripts = append(scripts, ddl.String())
	base, _, stop := startEngineOn(b, scripts...)
	defer func() { _ = stop() }()

	perms := make([]any, len(roles))
	for i, r := range roles {
		perms[i] = scaleRolePermission(r)
	}
	tables := make([]map[string]any, n)
	for i := range n {
		t := map[string]any{"table": map[string]string{"schema": "public", "name": fmt.Sprintf("t%d", i)}}
		if i > 0 {
			t["object_relationships"] = []any{map[string]any{"name": "parent", "using": map[string]any{"foreign_key_constraint_on": "parent_id"}}}
		}
		if i < n-1 {
			t["array_relationships"] = []any{map[string]any{"name": "children", "using": map[string]any{"foreign_key_constraint_on": map[string]any{
				"table": map[string]string{"schema": "public", "name": fmt.Sprintf("t%d", i+1)}, "column": "parent_id"}}}}
		}
		if len(perms) > 0 {
			t["select_permissions"] = perms
		}
		tables[i] = t
	}
	md := map[string]any{"version": 3, "sources": []any{map[string]any{"name": "default", "kind": "postgres", "tables": tables,
		"configuration": map[string]any{"connection_info": map[string]any{"database_url": map[string]string{"from_env": "HASURA_GRAPHQL_DATABASE_URL"}}}}}}
	resetPeakRSS()
	rssStart, _ := rssMB()
	b.ResetTimer()
	var took time.Duration
	for b.Loop() {
		t0 := time.Now()
		var resp map[string]any
		postJSON(b, base+"/v1/metadata", map[string]any{"type": "replace_metadata", "args": md}, &resp)
		took = time.Since(t0)
		if resp["message"] != "success" {
			raw, _ := json.Marshal(resp)
			b.Fatalf("replace_metadata: %.300s", raw)
		}
	}
	b.StopTimer()
	var out map[string]any
	postJSON(b, base+"/v1/graphql", map[string]any{"query": "{ t4999(limit: 1) { id parent { id } } }"}, &out)
	if out["data"] == nil {
		b.Fatalf("query on the 5,000th table: %v", out)
	}
	// Each role's first query builds its schema.
	t0 := time.Now()
	for _, r := range roles {
		out = postAs(b, base+"/v1/graphql", r, "{ t4999(limit: 1) { id parent { id } } }")
		if out["data"] == nil {
			b.Fatalf("query as %s: %v", r, out)
		}
	}
	rolesTook := time.Since(t0)
	// rss-MB is what the process holds 3 s after the change (and the role
	// queries), the engine left to itself (it returns freed memory 1 s
	// after a change, see releaseAfterSwaps); rss-peak-MB the most it ever
	// held (VmHWM, the build included); rss-start-MB what it held before
	// (no table); heap-MB the heap in use then, garbage not yet swept
	// included; live-MB the heap after a forced collection.
	time.Sleep(3 * time.Second)
	rss, rssPeak := rssMB()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(took.Seconds(), "replace-s")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(rssPeak, "rss-peak-MB")
	b.ReportMetric(rssStart, "rss-start-MB")
	if len(roles) > 0 {
		b.ReportMetric(rolesTook.Seconds(), "roles-s")
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MB")
	if p := os.Getenv("STRATA_SCALE_HEAPPROFILE"); p != "" {
		if err := writeHeapProfile(p); err != nil {
			b.Fatal(err)
		}
	}
}

// postAs posts a GraphQL query as role (no admin secret is configured, so
// x-hasura-role picks the role) and decodes the answer.
func postAs(tb testing.TB, url, role, query string) map[string]any {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Role", role)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("%s as %s: %s", url, role, raw)
	}
	return out
}

// writeHeapProfile writes a heap profile of the live objects to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

// resetPeakRSS resets this process's VmHWM to its current RSS (Linux:
// 5 in /proc/self/clear_refs), so that one benchmark's peak is not an
// earlier one's.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// rssMB reads this process's resident set size now and its peak (VmRSS
// and VmHWM of /proc/self/status), in MiB.
func rssMB() (now, peak float64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb float64
		if _, err := fmt.Sscanf(sc.Text(), "VmRSS: %f kB", &kb); err == nil {
			now = kb / 1024
		}
		if _, err := fmt.Sscanf(sc.Text(), "VmHWM: %f kB", &kb); err == nil {
			peak = kb / 1024
		}
	}
	return now, peak
}
