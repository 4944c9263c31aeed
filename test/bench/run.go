package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/stratagql/strata/test/bench/internal/chinook"
	"github.com/stratagql/strata/test/bench/internal/load"
	"github.com/stratagql/strata/test/bench/internal/proc"
)

// notEnforced marks a permission-filtered query whose answer was not
// filtered: the engine does not enforce the role's permission yet.
const notEnforced = "permissions not enforced yet"

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// benchMain is the harness: load, start, verify, measure, report.
func benchMain(ctx context.Context) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	c, err := loadConfig(os.Getenv, root)
	if err != nil {
		return err
	}
	rep := &report{
		Date: time.Now().UTC().Format(time.RFC3339), Machine: describeMachine(),
		Clients: c.Clients, DurationS: c.Duration.Seconds(), WarmupS: c.Warmup.Seconds(),
	}
	dbURL, pgVersion, err := ensureDataset(ctx, c.ServerURL, logf)
	if err != nil {
		return err
	}
	rep.Postgres = pgVersion
	oracles := map[string][2]any{}
	for _, q := range c.Queries {
		want, err := oracleData(ctx, dbURL, q.Oracle)
		if err != nil {
			return fmt.Errorf("query %s: %w", q.Name, err)
		}
		var unfiltered any
		if q.Unfiltered != "" {
			if unfiltered, err = oracleData(ctx, dbURL, q.Unfiltered); err != nil {
				return fmt.Errorf("query %s (unfiltered): %w", q.Name, err)
			}
		}
		oracles[q.Name] = [2]any{want, unfiltered}
	}
	if c.Loadgen == "" {
		if c.Loadgen, err = buildLoadgen(ctx, c); err != nil {
			return err
		}
	}

	mon, err := newDBMonitor(ctx, dbURL)
	if err != nil {
		return err
	}
	defer mon.close()

	// Start the targets: Strata first (the floor needs its SQL).
	var running []*target
	defer func() {
		for _, t := range running {
			t.stop()
		}
	}()
	skipped := map[string]string{}
	strata, err := startStrata(ctx, c, dbURL)
	if err != nil {
		return fmt.Errorf("start strata: %w", err)
	}
	running = append(running, strata)
	logf("strata %s serving on %s", strata.version, strata.base)
	if c.wants(targetFloor) {
		spec := floorSpec{Queries: map[string]floorQuery{}}
		for _, q := range c.Queries {
			fields, err := explain(ctx, strata, q)
			if err != nil {
				return fmt.Errorf("the floor needs Strata's SQL: %w", err)
			}
			fq := floorQuery{}
			if q.Role != "" {
				s, _ := json.Marshal(map[string]string{"x-hasura-role": q.Role, "x-hasura-user-id": q.UserID})
				fq.Session = string(s)
			}
			for _, f := range fields {
				fq.Fields = append(fq.Fields, floorField{Alias: f.Field, SQL: f.SQL, Args: f.Arguments})
			}
			spec.Queries[q.Name] = fq
		}
		floor, err := startFloor(ctx, c, dbURL, spec)
		if err != nil {
			return fmt.Errorf("start the floor: %w", err)
		}
		running = append(running, floor)
	}
	if c.wants(targetPostGraphile) {
		if dir, node, err := installPostGraphile(ctx, c, logf); err != nil {
			skipped[targetPostGraphile] = strings.TrimPrefix(err.Error(), errSkip.Error()+": ")
			if !errors.Is(err, errSkip) {
				return err
			}
		} else if t, err := startPostGraphile(ctx, c, dbURL, dir, node); err != nil {
			skipped[targetPostGraphile] = "did not start: " + err.Error()
		} else {
			running = append(running, t)
		}
		if why := skipped[targetPostGraphile]; why != "" {
			logf("skipping postgraphile: %s", why)
		}
	}
	var measured []*target
	for _, t := range running {
		if c.wants(t.name) {
			measured = append(measured, t)
		}
	}
	// Idle memory: started, metadata loaded, no query served yet.
	time.Sleep(time.Second)
	reports := map[string]*targetReport{}
	for _, t := range measured {
		tr := &targetReport{Name: t.name, Version: t.version}
		if m, err := proc.ReadMemory(t.pid()); err == nil {
			tr.IdleRSSMB, tr.IdleAnonMB = mb(m.RSS), mb(m.Anon)
		}
		reports[t.name] = tr
	}

	for _, q := range c.Queries {
		for _, t := range measured {
			qr := measure(ctx, c, t, q, oracles[q.Name], mon)
			reports[t.name].Queries = append(reports[t.name].Queries, qr)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	for _, t := range measured {
		if m, err := proc.ReadMemory(t.pid()); err == nil {
			reports[t.name].RSSMB = mb(m.Peak)
		}
	}
	for _, name := range c.Targets {
		if tr := reports[name]; tr != nil {
			rep.Targets = append(rep.Targets, *tr)
		} else if why := skipped[name]; why != "" {
			rep.Targets = append(rep.Targets, targetReport{Name: name, Skipped: why})
		}
	}
	rep.LoadAfter = loadAverage()
	printReport(os.Stdout, rep)
	if err := writeJSON(c.Out, rep); err != nil {
		return err
	}
	fmt.Printf("\nJSON: %s\n", c.Out)
	return nil
}

// measure verifies that t answers q with the expected data, then drives it.
func measure(ctx context.Context, c *config, t *target, q chinook.Query, oracle [2]any, mon *dbMonitor) queryReport {
	qr := queryReport{Name: q.Name}
	note, err := verify(ctx, t, q, oracle[0], oracle[1])
	if err != nil {
		qr.Skipped = err.Error()
		logf("%s %s: not timed: %v", q.Name, t.name, err)
		return qr
	}
	qr.Note = note
	logf("%s %s: data verified%s; %d clients, %s warm-up + %s", q.Name, t.name, suffix(note), c.Clients, c.Warmup, c.Duration)
	res, dbCPU, err := runLoadgen(ctx, c, t, q, mon)
	if err != nil {
		qr.Skipped = err.Error()
		logf("%s %s: %v", q.Name, t.name, err)
		return qr
	}
	qr.RPS, qr.P50, qr.P95, qr.P99 = res.RPS, res.P50ms, res.P95ms, res.P99ms
	qr.Errors, qr.Requests, qr.CPUmsPerReq = res.Errors, res.Requests, res.CPUmsPerReq
	qr.FirstError = res.FirstError
	qr.DBCPUmsPerReq = -1
	if ok := res.Requests - res.Errors; dbCPU >= 0 && ok > 0 {
		qr.DBCPUmsPerReq = float64(dbCPU) / float64(time.Millisecond) / float64(ok)
	}
	return qr
}

func suffix(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

// verify sends q to t once and compares the data with the oracle's.
func verify(ctx context.Context, t *target, q chinook.Query, want, unfiltered any) (note string, err error) {
	url, body, headers := t.request(q)
	code, answer, err := post(ctx, url, body, headers)
	if err != nil {
		return "", err
	}
	if code != 200 {
		return "", fmt.Errorf("answered %d: %s", code, clip(answer))
	}
	got, err := t.data(q, answer)
	if err != nil {
		return "", err
	}
	d := sameData(got, want)
	if d == "" {
		return "", nil
	}
	if unfiltered != nil && sameData(got, unfiltered) == "" {
		return notEnforced, nil
	}
	return "", fmt.Errorf("wrong data: %s", d)
}

// runLoadgen runs the load generator process against t for q, and reads
// the database backends' CPU over the measured period.
func runLoadgen(ctx context.Context, c *config, t *target, q chinook.Query, mon *dbMonitor) (*load.Result, time.Duration, error) {
	url, body, headers := t.request(q)
	spec := load.Spec{
		URL: url, Body: body, Headers: headers, Clients: c.Clients,
		Warmup: c.Warmup, Duration: c.Duration, MaxRequests: 50_000_000,
		Timeout: 30 * time.Second, PID: t.pid(),
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return nil, 0, fmt.Errorf("encode the load spec: %w", err)
	}
	lctx, cancel := context.WithTimeout(ctx, c.Warmup+c.Duration+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(lctx, c.Loadgen)
	cmd.Stdin = bytes.NewReader(in)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start loadgen: %w", err)
	}
	// The measured period starts after the warm-up; the snapshots are within
	// milliseconds of the load generator's own clock.
	pause := func(d time.Duration) {
		select {
		case <-time.After(d):
		case <-lctx.Done():
		}
	}
	pause(c.Warmup)
	before := mon.snapshot(lctx)
	pause(c.Duration)
	after := mon.snapshot(lctx)
	if err := cmd.Wait(); err != nil {
		return nil, 0, fmt.Errorf("loadgen: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var res load.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, 0, fmt.Errorf("decode the loadgen result: %w", err)
	}
	return &res, cpuBetween(before, after), nil
}

// buildLoadgen builds the load generator into bin/bench/loadgen.
func buildLoadgen(ctx context.Context, c *config) (string, error) {
	bin := filepath.Join(filepath.Dir(c.Out), "loadgen")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./test/bench/loadgen")
	cmd.Dir = c.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the load generator: %w: %s", err, out)
	}
	return bin, nil
}

func writeJSON(path string, rep *report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }
