// Command profile finds where Strata spends its CPU on one benchmark query:
// it runs the engine in-process (engine/app) on the strata_bench database
// that `make bench` loaded, applies test/bench/data/metadata.json, drives the
// query with the loadgen process (out of process, so the profile holds only
// the engine), and writes a CPU profile and a heap profile, then prints the
// top of both with `go tool pprof`.
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//	  go run ./test/bench/profile -query nested -duration 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/stratagql/strata/engine/app"
	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/test/bench/internal/chinook"
	"github.com/stratagql/strata/test/bench/internal/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	name := fs.String("query", "nested", "benchmark query to profile")
	duration := fs.Duration("duration", 10*time.Second, "measured load duration")
	warmup := fs.Duration("warmup", 2*time.Second, "warm-up before profiling")
	clients := fs.Int("clients", 16, "concurrent clients")
	outDir := fs.String("out", "bin/bench", "directory for the profiles")
	loadgen := fs.String("loadgen", "bin/bench/loadgen", "load generator binary (go build -o bin/bench/loadgen ./test/bench/loadgen)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var q *chinook.Query
	for i := range chinook.Queries {
		if chinook.Queries[i].Name == *name {
			q = &chinook.Queries[i]
		}
	}
	if q == nil {
		return fmt.Errorf("no benchmark query named %q", *name)
	}
	server := os.Getenv("DATABASE_URL")
	u, err := url.Parse(server)
	if err != nil || server == "" {
		return fmt.Errorf("DATABASE_URL must name the PostgreSQL server that make bench loaded strata_bench into")
	}
	u.Path = "/strata_bench"
	if q := u.Query(); q.Get("sslmode") == "" { // as the harness connects every target
		q.Set("sslmode", "disable")
		u.RawQuery = q.Encode()
	}
	md, err := os.ReadFile("test/bench/data/metadata.json")
	if err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}

	const secret = "strata-profile-secret"
	cfg, err := config.Parse([]string{"--database-url", u.String(), "--admin-secret", secret}, func(string) string { return "" }, io.Discard)
	if err != nil {
		return fmt.Errorf("engine configuration: %w", err)
	}
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	e, err := app.New(ectx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("start the engine: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- e.Serve(ectx, ln) }()
	defer func() { cancel(); <-done }()
	base := "http://" + ln.Addr().String()
	admin := map[string]string{"X-Hasura-Admin-Secret": secret}
	if err := post(ctx, base+"/v1/metadata", `{"type":"replace_metadata","args":`+string(md)+`}`, admin); err != nil {
		return fmt.Errorf("apply the metadata: %w", err)
	}
	headers := map[string]string{"X-Hasura-Admin-Secret": secret}
	if q.Role != "" {
		headers["X-Hasura-Role"], headers["X-Hasura-User-Id"] = q.Role, q.UserID
	}
	body, _ := json.Marshal(map[string]any{"query": q.Strata, "variables": q.Variables})
	spec := load.Spec{URL: base + "/v1/graphql", Body: string(body), Headers: headers, Clients: *clients,
		Warmup: *warmup, Duration: *duration, MaxRequests: 50_000_000, PID: os.Getpid()}

	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", *outDir, err)
	}
	cpuPath := filepath.Join(*outDir, "cpu-"+q.Name+".pprof")
	heapPath := filepath.Join(*outDir, "heap-"+q.Name+".pprof")
	in, _ := json.Marshal(spec)
	cmd := exec.CommandContext(ctx, *loadgen)
	cmd.Stdin = bytes.NewReader(in)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", *loadgen, err)
	}
	time.Sleep(*warmup)
	f, err := os.Create(cpuPath)
	if err != nil {
		return fmt.Errorf("create %s: %w", cpuPath, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return fmt.Errorf("start the CPU profile: %w", err)
	}
	err = cmd.Wait()
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		return fmt.Errorf("loadgen: %w: %s", err, stderr.String())
	}
	runtime.GC()
	hf, err := os.Create(heapPath)
	if err != nil {
		return fmt.Errorf("create %s: %w", heapPath, err)
	}
	if err := pprof.Lookup("allocs").WriteTo(hf, 0); err != nil {
		return fmt.Errorf("write the heap profile: %w", err)
	}
	hf.Close()
	var res load.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return fmt.Errorf("decode the loadgen result: %w", err)
	}
	fmt.Printf("%s in-process: %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors, %.3f cpu ms/req\n",
		q.Name, res.RPS, res.P50ms, res.P99ms, res.Errors, res.CPUmsPerReq)
	if res.FirstError != "" {
		fmt.Println("first error:", res.FirstError)
	}
	for _, p := range []struct{ path, flag string }{{cpuPath, ""}, {heapPath, "-sample_index=alloc_space"}} {
		args := []string{"tool", "pprof", "-top", "-nodecount=30"}
		if p.flag != "" {
			args = append(args, p.flag)
		}
		top, err := exec.CommandContext(ctx, "go", append(args, p.path)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("go tool pprof %s: %w: %s", p.path, err, top)
		}
		fmt.Printf("\n== %s\n%s", p.path, top)
	}
	return nil
}

func post(ctx context.Context, url, body string, headers map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s answered %d: %s", url, resp.StatusCode, b)
	}
	return nil
}
