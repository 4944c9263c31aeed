package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/stratagql/strata/test/bench/internal/chinook"
)

// report is one run: the JSON written to bin/bench/latest.json.
type report struct {
	Date      string         `json:"date"`
	Machine   machine        `json:"machine"`
	Postgres  string         `json:"postgres"`
	Clients   int            `json:"clients"`
	DurationS float64        `json:"duration_s"`
	WarmupS   float64        `json:"warmup_s"`
	Rounds    int            `json:"rounds"`
	LoadAfter string         `json:"load_average_after,omitempty"`
	Targets   []targetReport `json:"targets"`
}

// machine describes where the run happened.
type machine struct {
	CPU         string `json:"cpu"`
	Cores       int    `json:"cores"`
	MemoryMB    int64  `json:"memory_mb"`
	Kernel      string `json:"kernel"`
	LoadAverage string `json:"load_average_before"`
}

// targetReport is one target's results. RSSMB is its peak resident set
// size over the run (under load); IdleRSSMB before its first query.
type targetReport struct {
	Name      string        `json:"name"`
	Version   string        `json:"version"`
	Queries   []queryReport `json:"queries"`
	RSSMB     float64       `json:"rss_mb"`
	IdleRSSMB float64       `json:"idle_rss_mb"`
	// IdleAnonMB is the anonymous part of IdleRSSMB (heap and stacks; the
	// rest is mostly the executable's own pages).
	IdleAnonMB float64 `json:"idle_rss_anon_mb"`
	Skipped    string  `json:"skipped,omitempty"`
}

// queryReport is one target's figures for one query. CPUmsPerReq is the
// target process's CPU time per answered request (-1 unknown).
type queryReport struct {
	Name        string  `json:"name"`
	RPS         float64 `json:"rps"`
	P50         float64 `json:"p50_ms"`
	P95         float64 `json:"p95_ms"`
	P99         float64 `json:"p99_ms"`
	Errors      int64   `json:"errors"`
	CPUmsPerReq float64 `json:"cpu_ms_per_req"`
	// DBCPUmsPerReq is the PostgreSQL backends' CPU time per answered
	// request (-1 unknown): what the target's SQL costs the database.
	DBCPUmsPerReq float64 `json:"db_cpu_ms_per_req"`
	Requests      int64   `json:"requests"`
	Note          string  `json:"note,omitempty"`
	FirstError    string  `json:"first_error,omitempty"`
	Skipped       string  `json:"skipped,omitempty"`
}

// Goals the issue sets for Strata.
const (
	goalPeerRPS    = 2.0  // Strata ≥ 2× a peer's requests/s
	goalFloorRPS   = 0.85 // on small queries, ≥ 0.85× the floor's requests/s
	goalFloorP50   = 1.05 // on the large result, p50 ≤ 1.05× the floor's
	goalIdleRSSMB  = 30
	goalUnderLoadM = 100
)

func (r *report) target(name string) *targetReport {
	for i := range r.Targets {
		if r.Targets[i].Name == name && r.Targets[i].Skipped == "" {
			return &r.Targets[i]
		}
	}
	return nil
}

func (t *targetReport) query(name string) *queryReport {
	if t == nil {
		return nil
	}
	for i := range t.Queries {
		if t.Queries[i].Name == name && t.Queries[i].Skipped == "" {
			return &t.Queries[i]
		}
	}
	return nil
}

// printReport writes the results table, the ratios and the goals.
func printReport(w io.Writer, r *report) {
	fmt.Fprintf(w, "\nStrata benchmark %s: %d clients, %gs warm-up + %gs per query and target in %d interleaved rounds; Chinook on PostgreSQL %s\n",
		r.Date, r.Clients, r.WarmupS, r.DurationS, r.Rounds, r.Postgres)
	fmt.Fprintf(w, "machine: %s, %d cores, %d MB, Linux %s, load average %s before / %s after\n",
		r.Machine.CPU, r.Machine.Cores, r.Machine.MemoryMB, r.Machine.Kernel, r.Machine.LoadAverage, r.LoadAfter)
	for _, t := range r.Targets {
		if t.Skipped != "" {
			fmt.Fprintf(w, "%s: skipped: %s\n", t.Name, t.Skipped)
		} else {
			fmt.Fprintf(w, "%s: %s\n", t.Name, t.Version)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\ttarget\treq/s\tp50 ms\tp95 ms\tp99 ms\terrors\tcpu ms/req\tdb cpu ms/req\t")
	var names []string
	for _, t := range r.Targets {
		for _, q := range t.Queries {
			if !contains(names, q.Name) {
				names = append(names, q.Name)
			}
		}
	}
	var notes []string
	for _, name := range names {
		first := true
		for _, t := range r.Targets {
			if t.Skipped != "" {
				continue
			}
			for _, q := range t.Queries {
				if q.Name != name {
					continue
				}
				label := ""
				if first {
					label, first = name, false
				}
				if q.Skipped != "" {
					fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\t\n", label, t.Name)
					notes = append(notes, fmt.Sprintf("%s/%s not timed: %s", name, t.Name, q.Skipped))
					continue
				}
				mark := ""
				if q.Note != "" {
					mark = " *"
					notes = append(notes, fmt.Sprintf("%s/%s: %s (timed on the data it returned)", name, t.Name, q.Note))
				}
				fmt.Fprintf(tw, "%s\t%s%s\t%.0f\t%.2f\t%.2f\t%.2f\t%d\t%s\t%s\t\n", label, t.Name, mark, q.RPS, q.P50, q.P95, q.P99, q.Errors, cpu(q.CPUmsPerReq), cpu(q.DBCPUmsPerReq))
				if q.Errors > 0 && q.FirstError != "" {
					notes = append(notes, fmt.Sprintf("%s/%s first error: %s", name, t.Name, q.FirstError))
				}
			}
		}
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintf(w, "  * %s\n", n)
	}

	fmt.Fprintln(w, "\nmemory (RSS)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tidle MB\tof which anon MB\tpeak (under load) MB\t")
	for _, t := range r.Targets {
		if t.Skipped == "" {
			fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t\n", t.Name, t.IdleRSSMB, t.IdleAnonMB, t.RSSMB)
		}
	}
	tw.Flush()

	fmt.Fprintln(w, "\nratios and goals (Strata ÷ other; goals from the benchmark issue)")
	strata, floor := r.target(targetStrata), r.target(targetFloor)
	if strata == nil {
		fmt.Fprintln(w, "  strata was not measured")
		return
	}
	small := map[string]bool{}
	for _, q := range chinook.Queries {
		small[q.Name] = q.Small
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "query\tversus\treq/s ratio\tp50 ratio\tcpu/req ratio\tfloor's req/s ratio\tgoal\t")
	for _, name := range names {
		s := strata.query(name)
		if s == nil {
			continue
		}
		f := floor.query(name)
		if f != nil {
			goal := ""
			if small[name] {
				goal = check(ratio(s.RPS, f.RPS) >= goalFloorRPS, fmt.Sprintf("req/s >= %.2fx floor", goalFloorRPS))
			} else {
				goal = check(ratio(s.P50, f.P50) <= goalFloorP50, fmt.Sprintf("p50 <= %.2fx floor", goalFloorP50))
			}
			fmt.Fprintf(tw, "%s\tfloor\t%s\t%s\t%s\t\t%s\t\n", name, fmtRatio(s.RPS, f.RPS), fmtRatio(s.P50, f.P50), fmtCPURatio(s, f), goal)
		}
		for _, t := range r.Targets {
			if t.Name == targetStrata || t.Name == targetFloor || t.Skipped != "" {
				continue
			}
			p := t.query(name)
			if p == nil {
				continue
			}
			// The floor's own ratio to the peer bounds what any engine in
			// front of the same SQL could reach.
			bound := "-"
			if f != nil {
				bound = fmtRatio(f.RPS, p.RPS)
			}
			ok := ratio(s.RPS, p.RPS) >= goalPeerRPS && s.CPUmsPerReq >= 0 && p.CPUmsPerReq > 0 && s.CPUmsPerReq < p.CPUmsPerReq
			goal := check(ok, fmt.Sprintf("req/s >= %.0fx, less cpu/req", goalPeerRPS))
			if s.Note != "" || p.Note != "" {
				goal = "n/a: " + firstNonEmpty(s.Note, p.Note) + " (different data)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, t.Name, fmtRatio(s.RPS, p.RPS), fmtRatio(s.P50, p.P50), fmtCPURatio(s, p), bound, goal)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "strata memory: idle %.1f MB (%s), under load %.1f MB (%s)\n",
		strata.IdleRSSMB, check(strata.IdleRSSMB > 0 && strata.IdleRSSMB < goalIdleRSSMB, fmt.Sprintf("< %d MB", goalIdleRSSMB)),
		strata.RSSMB, check(strata.RSSMB > 0 && strata.RSSMB < goalUnderLoadM, fmt.Sprintf("< %d MB", goalUnderLoadM)))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func check(ok bool, goal string) string {
	if ok {
		return "ok: " + goal
	}
	return "MISSED: " + goal
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func fmtRatio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func fmtCPURatio(a, b *queryReport) string {
	if a.CPUmsPerReq < 0 || b.CPUmsPerReq <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a.CPUmsPerReq/b.CPUmsPerReq)
}

func cpu(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// describeMachine reads the CPU model, cores, memory and kernel.
func describeMachine() machine {
	m := machine{Cores: runtime.NumCPU(), CPU: "unknown", LoadAverage: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryMB = kb >> 10
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// loadAverage is the 1-, 5- and 15-minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
