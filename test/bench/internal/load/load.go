// Package load is the benchmark harness's closed-loop HTTP load generator:
// N clients on keep-alive connections each send the same request again as
// soon as the previous answer is read, first for a warm-up period and then
// for a measured one. Every run is bounded in time and in request count.
// The loadgen command runs it in its own process; Spec and Result are the
// JSON the orchestrator and that process exchange.
package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratagql/strata/test/bench/internal/proc"
)

// Spec describes one load run.
type Spec struct {
	URL     string            `json:"url"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers,omitempty"`
	Clients int               `json:"clients"`
	Warmup  time.Duration     `json:"warmup"`
	// Duration is the measured period that follows the warm-up.
	Duration time.Duration `json:"duration"`
	// MaxRequests bounds the requests of the whole run (warm-up included).
	MaxRequests int64 `json:"max_requests"`
	// Timeout bounds one request.
	Timeout time.Duration `json:"timeout"`
	// PID, when non-zero, is the target's process: its CPU time is read at
	// the start and end of the measured period.
	PID int `json:"pid,omitempty"`
	// Samples asks for every measured latency in the result, so that runs
	// can be merged.
	Samples bool `json:"samples,omitempty"`
}

// Result is what a run measured. Latencies are of requests both sent and
// answered within the measured period.
type Result struct {
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50ms    float64 `json:"p50_ms"`
	P95ms    float64 `json:"p95_ms"`
	P99ms    float64 `json:"p99_ms"`
	// CPUms is the target's CPU time over the measured period (-1 unknown).
	CPUms float64 `json:"cpu_ms"`
	// CPUmsPerReq is CPUms divided by the requests answered (-1 unknown).
	CPUmsPerReq float64 `json:"cpu_ms_per_req"`
	// BytesPerReq is the mean response body size.
	BytesPerReq float64 `json:"bytes_per_req"`
	// FirstError describes the first failed request, if any.
	FirstError string `json:"first_error,omitempty"`
	// SamplesUS are the measured latencies in microseconds, sorted, when the
	// spec asked for them.
	SamplesUS []int64 `json:"samples_us,omitempty"`
}

// Limits every run obeys whatever the spec says.
const (
	maxClients  = 1024
	maxDuration = 10 * time.Minute
	// maxSamples bounds the latency samples kept (memory).
	maxSamples = 4 << 20
)

// Validate checks a spec and fills defaults.
func (s *Spec) Validate() error {
	switch {
	case s.URL == "":
		return errors.New("load spec: url is empty")
	case s.Clients < 1 || s.Clients > maxClients:
		return fmt.Errorf("load spec: clients %d outside 1..%d", s.Clients, maxClients)
	case s.Duration <= 0 || s.Warmup < 0 || s.Warmup+s.Duration > maxDuration:
		return fmt.Errorf("load spec: warm-up %s + duration %s must be positive and at most %s", s.Warmup, s.Duration, maxDuration)
	}
	if s.MaxRequests <= 0 {
		s.MaxRequests = 50_000_000
	}
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
	return nil
}

// Run performs the load described by spec. It returns when the measured
// period ends, the request budget is spent or ctx ends, whichever is first.
func Run(ctx context.Context, spec Spec) (*Result, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        spec.Clients,
		MaxIdleConnsPerHost: spec.Clients,
		MaxConnsPerHost:     spec.Clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: spec.Timeout}
	body := []byte(spec.Body)

	start := time.Now()
	measureFrom := start.Add(spec.Warmup)
	measureTo := measureFrom.Add(spec.Duration)
	ctx, cancel := context.WithDeadline(ctx, measureTo.Add(spec.Timeout))
	defer cancel()

	var (
		budget    atomic.Int64
		cpuStart  = make(chan cpuReading, 1)
		perClient = make([]clientStats, spec.Clients)
		wg        sync.WaitGroup
	)
	budget.Store(spec.MaxRequests)
	// The CPU reading at the start of the measured period.
	go func() {
		t := time.NewTimer(time.Until(measureFrom))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		if spec.PID == 0 {
			return
		}
		c, err := proc.CPUTime(spec.PID)
		cpuStart <- cpuReading{c, err}
	}()
	samplesEach := min(maxSamples/spec.Clients, 1<<16)
	for i := range perClient {
		perClient[i].lat = make([]time.Duration, 0, samplesEach)
		wg.Add(1)
		go func(st *clientStats) {
			defer wg.Done()
			var buf bytes.Buffer
			for budget.Add(-1) >= 0 {
				t0 := time.Now()
				if !t0.Before(measureTo) || ctx.Err() != nil {
					return
				}
				err := send(ctx, client, &spec, body, &buf)
				t1 := time.Now()
				if t0.Before(measureFrom) || t1.After(measureTo) {
					continue // warm-up, or answered after the measured period
				}
				st.requests++
				st.bytes += int64(buf.Len())
				if err != nil {
					st.errors++
					if st.firstErr == "" {
						st.firstErr = err.Error()
					}
					continue
				}
				if len(st.lat) < maxSamples/spec.Clients {
					st.lat = append(st.lat, t1.Sub(t0))
				}
			}
		}(&perClient[i])
	}
	wg.Wait()
	elapsed := time.Duration(0)
	if end := time.Now(); end.After(measureFrom) {
		if end.After(measureTo) {
			end = measureTo
		}
		elapsed = end.Sub(measureFrom)
	}

	res := &Result{CPUms: -1, CPUmsPerReq: -1, Seconds: elapsed.Seconds()}
	var lat []time.Duration
	var bytesTotal int64
	for _, st := range perClient {
		res.Requests += st.requests
		res.Errors += st.errors
		bytesTotal += st.bytes
		lat = append(lat, st.lat...)
		if res.FirstError == "" {
			res.FirstError = st.firstErr
		}
	}
	if spec.PID != 0 {
		select {
		case c0 := <-cpuStart:
			if c0.err != nil {
				return nil, c0.err
			}
			c1, err := proc.CPUTime(spec.PID)
			if err != nil {
				return nil, err
			}
			res.CPUms = float64(c1-c0.cpu) / float64(time.Millisecond)
			if ok := res.Requests - res.Errors; ok > 0 {
				res.CPUmsPerReq = res.CPUms / float64(ok)
			}
		default: // the run ended before its measured period began
		}
	}
	if res.Seconds > 0 {
		res.RPS = float64(res.Requests-res.Errors) / res.Seconds
	}
	if res.Requests > 0 {
		res.BytesPerReq = float64(bytesTotal) / float64(res.Requests)
	}
	slices.Sort(lat)
	res.P50ms = ms(Percentile(lat, 50))
	res.P95ms = ms(Percentile(lat, 95))
	res.P99ms = ms(Percentile(lat, 99))
	if spec.Samples {
		res.SamplesUS = make([]int64, len(lat))
		for i, d := range lat {
			res.SamplesUS[i] = d.Microseconds()
		}
	}
	return res, nil
}

// cpuReading is the target's CPU time at the start of the measured period.
type cpuReading struct {
	cpu time.Duration
	err error
}

type clientStats struct {
	requests, errors, bytes int64
	lat                     []time.Duration
	firstErr                string
}

// send performs one request and reads the whole answer into buf. An answer
// other than 200, or a GraphQL answer with errors, is an error.
func send(ctx context.Context, client *http.Client, spec *Spec, body []byte, buf *bytes.Buffer) error {
	buf.Reset()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, spec.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range spec.Headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, clip(buf.Bytes()))
	}
	if HasErrors(buf.Bytes()) {
		return fmt.Errorf("GraphQL errors: %s", clip(buf.Bytes()))
	}
	return nil
}

// HasErrors reports whether a GraphQL response body carries an "errors"
// member (before or after "data").
func HasErrors(b []byte) bool {
	return bytes.Contains(b, []byte(`"errors"`))
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// Percentile returns the p-th percentile (nearest rank) of sorted samples,
// or 0 for none.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
