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
	"slices"
	"strings"
	"time"

	"github.com/stratagql/strata/test/bench/data"
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
		Clients: c.Clients, DurationS: c.Duration.Seconds(), WarmupS: c.Warmup.Seconds(), Rounds: c.Rounds,
	}
	dbURL, pgVersion, err := data.Ensure(ctx, c.ServerURL, logf)
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

	logf("timing: %d clients, %s warm-up, %s per query and target in %d interleaved rounds", c.Clients, c.Warmup, c.Duration, c.Rounds)
	for _, q := range c.Queries {
		got := measureQuery(ctx, c, measured, q, oracles[q.Name], mon)
		for _, t := range measured {
			reports[t.name].Queries = append(reports[t.name].Queries, got[t.name])
		}
		if ctx.Err() != nil {
			return ctx.Err()
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

// measureQuery verifies each target's answer to q, then times the targets
// that answered right in c.Rounds interleaved rounds (the order reversed
// every other round), so that a burst of load from elsewhere on the machine
// falls on all of them alike. The rounds' figures are merged.
func measureQuery(ctx context.Context, c *config, targets []*target, q chinook.Query, oracle [2]any, mon *dbMonitor) map[string]queryReport {
	out := map[string]queryReport{}
	acc := map[string]*accum{}
	var timed []*target
	for _, t := range targets {
		qr := queryReport{Name: q.Name}
		note, err := verify(ctx, t, q, oracle[0], oracle[1])
		if err != nil {
			qr.Skipped = err.Error()
			logf("%s %s: not timed: %v", q.Name, t.name, err)
		} else {
			qr.Note = note
			logf("%s %s: data verified%s", q.Name, t.name, suffix(note))
			timed = append(timed, t)
			acc[t.name] = &accum{}
		}
		out[t.name] = qr
	}
	per := c.Duration / time.Duration(c.Rounds)
	for r := range c.Rounds {
		order := slices.Clone(timed)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		warm := c.Warmup
		if r > 0 {
			warm = min(c.Warmup, time.Second) // new connections; the target is warm
		}
		for _, t := range order {
			a := acc[t.name]
			if a.err != "" || ctx.Err() != nil {
				continue
			}
			res, dbCPU, err := runLoadgen(ctx, c, t, q, mon, warm, per)
			if err != nil {
				a.err = err.Error()
				logf("%s %s: %v", q.Name, t.name, err)
				continue
			}
			logf("%s %s round %d/%d: %.0f req/s, p50 %.2f ms, %d errors", q.Name, t.name, r+1, c.Rounds, res.RPS, res.P50ms, res.Errors)
			a.add(res, dbCPU)
		}
	}
	for name, a := range acc {
		qr := out[name]
		a.fill(&qr)
		out[name] = qr
	}
	return out
}

// accum merges the rounds of one target on one query.
type accum struct {
	requests, errors int64
	seconds          float64
	cpu, dbCPU       float64 // ms; -1 once any round could not measure it
	samples          []int64 // µs
	firstErr, err    string
}

func (a *accum) add(r *load.Result, dbCPU time.Duration) {
	a.requests += r.Requests
	a.errors += r.Errors
	a.seconds += r.Seconds
	if a.cpu >= 0 && r.CPUms >= 0 {
		a.cpu += r.CPUms
	} else {
		a.cpu = -1
	}
	if a.dbCPU >= 0 && dbCPU >= 0 {
		a.dbCPU += float64(dbCPU) / float64(time.Millisecond)
	} else {
		a.dbCPU = -1
	}
	a.samples = append(a.samples, r.SamplesUS...)
	if a.firstErr == "" {
		a.firstErr = r.FirstError
	}
}

// fill writes the merged figures into qr.
func (a *accum) fill(qr *queryReport) {
	if a.err != "" {
		qr.Skipped = a.err
		return
	}
	ok := a.requests - a.errors
	qr.Requests, qr.Errors, qr.FirstError = a.requests, a.errors, a.firstErr
	qr.CPUmsPerReq, qr.DBCPUmsPerReq = -1, -1
	if a.seconds > 0 {
		qr.RPS = float64(ok) / a.seconds
	}
	if ok > 0 && a.cpu >= 0 {
		qr.CPUmsPerReq = a.cpu / float64(ok)
	}
	if ok > 0 && a.dbCPU >= 0 {
		qr.DBCPUmsPerReq = a.dbCPU / float64(ok)
	}
	slices.Sort(a.samples)
	lat := make([]time.Duration, len(a.samples))
	for i, us := range a.samples {
		lat[i] = time.Duration(us) * time.Microsecond
	}
	qr.P50 = float64(load.Percentile(lat, 50)) / float64(time.Millisecond)
	qr.P95 = float64(load.Percentile(lat, 95)) / float64(time.Millisecond)
	qr.P99 = float64(load.Percentile(lat, 99)) / float64(time.Millisecond)
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
func runLoadgen(ctx context.Context, c *config, t *target, q chinook.Query, mon *dbMonitor, warmup, duration time.Duration) (*load.Result, time.Duration, error) {
	url, body, headers := t.request(q)
	spec := load.Spec{
		URL: url, Body: body, Headers: headers, Clients: c.Clients,
		Warmup: warmup, Duration: duration, MaxRequests: 50_000_000,
		Timeout: 30 * time.Second, PID: t.pid(), Samples: true,
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return nil, 0, fmt.Errorf("encode the load spec: %w", err)
	}
	lctx, cancel := context.WithTimeout(ctx, warmup+duration+2*time.Minute)
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
	pause(warmup)
	before := mon.snapshot(lctx)
	pause(duration)
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
