package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stratagql/strata/test/bench/internal/load"
)

func TestAccumMergesRounds(t *testing.T) {
	a := &accum{}
	a.add(&load.Result{Requests: 100, Errors: 0, Seconds: 1, CPUms: 10, SamplesUS: []int64{1000, 2000}}, 5*time.Millisecond)
	a.add(&load.Result{Requests: 300, Errors: 100, Seconds: 1, CPUms: 20, FirstError: "boom", SamplesUS: []int64{3000, 4000}}, 15*time.Millisecond)
	var qr queryReport
	a.fill(&qr)
	if qr.Requests != 400 || qr.Errors != 100 || qr.RPS != 150 || qr.FirstError != "boom" {
		t.Errorf("merged counts: %+v", qr)
	}
	if qr.CPUmsPerReq != 0.1 || qr.DBCPUmsPerReq != 20.0/300 {
		t.Errorf("merged cpu: %v %v", qr.CPUmsPerReq, qr.DBCPUmsPerReq)
	}
	if qr.P50 != 2 || qr.P99 != 4 {
		t.Errorf("merged percentiles: p50 %v p99 %v", qr.P50, qr.P99)
	}
	b := &accum{}
	b.add(&load.Result{Requests: 1, Seconds: 1, CPUms: -1}, -1)
	b.fill(&qr)
	if qr.CPUmsPerReq != -1 || qr.DBCPUmsPerReq != -1 {
		t.Errorf("unknown cpu not kept unknown: %+v", qr)
	}
}

func TestPrintReport(t *testing.T) {
	q := func(name string, rps, p50, cpu float64, note string) queryReport {
		return queryReport{Name: name, RPS: rps, P50: p50, P95: p50, P99: p50, CPUmsPerReq: cpu, DBCPUmsPerReq: -1, Note: note}
	}
	r := &report{Clients: 16, DurationS: 10, WarmupS: 3, Rounds: 2, Targets: []targetReport{
		{Name: targetStrata, Queries: []queryReport{q("by_pk", 900, 1, 0.1, ""), q("large", 80, 105, 2, ""), q("permission", 500, 2, 0.2, notEnforced)}, IdleRSSMB: 20, RSSMB: 50},
		{Name: targetFloor, Queries: []queryReport{q("by_pk", 1000, 1, 0.05, ""), q("large", 80, 100, 2, ""), q("permission", 500, 2, 0.2, notEnforced)}},
		{Name: targetPostGraphile, Queries: []queryReport{q("by_pk", 300, 3, 0.5, ""), {Name: "large", Skipped: "wrong data: $.x"}, q("permission", 400, 3, 0.5, "")}},
		{Name: "hasura", Skipped: "not installed"},
	}}
	var out bytes.Buffer
	printReport(&out, r)
	s := out.String()
	for _, want := range []string{
		"ok: req/s >= 0.85x floor", "3.00", "ok: req/s >= 2x, less cpu/req",
		"ok: p50 <= 1.05x floor", "n/a: permissions not enforced yet",
		"large/postgraphile not timed: wrong data", "hasura: skipped: not installed",
		"idle 20.0 MB (ok: < 30 MB)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
}
