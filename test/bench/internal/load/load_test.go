package load

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 95: 95 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := Percentile(s, p); got != want {
			t.Errorf("Percentile(%v) = %v, want %v", p, got, want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("Percentile of nothing is not 0")
	}
	if got := Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("Percentile of one = %v", got)
	}
}

func TestValidate(t *testing.T) {
	for _, s := range []Spec{
		{URL: "", Clients: 1, Duration: time.Second},
		{URL: "http://127.0.0.1:1", Clients: 0, Duration: time.Second},
		{URL: "http://127.0.0.1:1", Clients: 1, Duration: 0},
		{URL: "http://127.0.0.1:1", Clients: 1, Duration: time.Hour},
	} {
		if err := s.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted", s)
		}
	}
}

func TestRunCountsRequestsAndErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-Test") != "yes" {
			http.Error(w, "missing header", http.StatusBadRequest)
			return
		}
		if n.Add(1)%10 == 0 {
			_, _ = w.Write([]byte(`{"errors":[{"message":"boom"}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"data":{"x":1}}`))
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Spec{
		URL: srv.URL, Body: `{"query":"{x}"}`, Headers: map[string]string{"X-Test": "yes"},
		Clients: 4, Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond,
		MaxRequests: 20000, PID: os.Getpid(), Samples: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Errors == 0 || res.Errors >= res.Requests {
		t.Fatalf("requests %d errors %d", res.Requests, res.Errors)
	}
	if res.FirstError == "" || res.P50ms <= 0 || res.P99ms < res.P50ms || res.RPS <= 0 {
		t.Errorf("result %+v", res)
	}
	if int64(len(res.SamplesUS)) != res.Requests-res.Errors {
		t.Errorf("%d samples for %d answered requests", len(res.SamplesUS), res.Requests-res.Errors)
	}
	if n.Load() > 20000 {
		t.Errorf("sent %d requests, over the budget", n.Load())
	}
}

func TestRunStopsAtBudget(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = w.Write([]byte(`{"data":{}}`))
	}))
	defer srv.Close()
	t0 := time.Now()
	if _, err := Run(context.Background(), Spec{URL: srv.URL, Clients: 2, Duration: 5 * time.Second, MaxRequests: 50}); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 50 {
		t.Errorf("sent %d requests, want the budget of 50", n.Load())
	}
	if time.Since(t0) > 4*time.Second {
		t.Errorf("run went on after its budget was spent")
	}
}
