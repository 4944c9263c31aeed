package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/test/bench/data"
	"github.com/stratagql/strata/test/bench/internal/proc"
)

// config is the benchmark's settings.
type config struct {
	ServerURL   string
	StrataBin   string
	Subscribers int
	Groups      int
	Writes      int
	Idle        time.Duration
	Modes       []string
	LogDir      string
	EngineEnv   []string // extra engine settings for every mode (KEY=VALUE)
	// Pause is the longest random pause after a write's messages arrived
	// (1 s: the next write falls at a random phase of the refetch interval).
	Pause time.Duration
}

// modes are the engine settings compared, by name.
var modes = map[string][]string{
	"polling":       {"STRATA_CHANGE_FEED=false", "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL=1000"},
	"change-driven": {"STRATA_CHANGE_FEED=true", "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL=1000"},
}

// roundTimeout bounds the wait for one write's messages.
const roundTimeout = 10 * time.Second

func loadConfig(getenv func(string) string) (*config, error) {
	c := &config{ServerURL: getenv("DATABASE_URL"), StrataBin: "bin/strata", Subscribers: 10000, Groups: 100,
		Writes: 30, Idle: 3 * time.Second, Modes: []string{"polling", "change-driven"}, LogDir: "bin/bench", Pause: time.Second}
	if c.ServerURL == "" {
		return nil, fmt.Errorf("DATABASE_URL is required (export DATABASE_URL=$(hack/ensure-postgres.sh))")
	}
	if v := getenv("STRATA_BIN"); v != "" {
		c.StrataBin = v
	}
	if v := getenv("BENCH_LOG_DIR"); v != "" {
		c.LogDir = v
	}
	for _, n := range []struct {
		env      string
		into     *int
		min, max int
	}{{"BENCH_SUBSCRIBERS", &c.Subscribers, 1, 20000}, {"BENCH_GROUPS", &c.Groups, 1, 300}, {"BENCH_WRITES", &c.Writes, 1, 10000}} {
		if v := getenv(n.env); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i < n.min || i > n.max {
				return nil, fmt.Errorf("%s=%q: want an integer in [%d, %d]", n.env, v, n.min, n.max)
			}
			*n.into = i
		}
	}
	for _, kv := range strings.Fields(getenv("BENCH_ENGINE_ENV")) {
		if !strings.Contains(kv, "=") {
			return nil, fmt.Errorf("BENCH_ENGINE_ENV: %q is not KEY=VALUE", kv)
		}
		c.EngineEnv = append(c.EngineEnv, kv)
	}
	if v := getenv("BENCH_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Minute {
			return nil, fmt.Errorf("BENCH_IDLE=%q: want a duration up to 1m", v)
		}
		c.Idle = d
	}
	if v := getenv("BENCH_MODES"); v != "" {
		c.Modes = strings.Split(v, ",")
		for _, m := range c.Modes {
			if modes[m] == nil {
				return nil, fmt.Errorf("BENCH_MODES: unknown mode %q (polling, change-driven)", m)
			}
		}
	}
	return c, nil
}

// result is one mode's figures.
type result struct {
	Mode          string
	Setup         time.Duration // sockets opened and every first result in
	Latencies     []time.Duration
	Missing       int64 // affected subscribers without a message within roundTimeout
	Rounds        int
	WritePhase    time.Duration
	Statements    int64         // every statement the engine sent during the write phase
	CohortStmts   int64         // of which multiplexed cohort statements
	IdleStmts     int64         // cohort statements during the idle phase
	IdleBursts    int           // separate refetches among them (gaps > 200 ms)
	BurstSpan     time.Duration // mean time from a burst's first statement to its last
	Spurious      int64
	Errors        int64
	FirstError    string
	RSSSubscribed int64 // after every first result
	RSSPeak       int64
	CPU           time.Duration // engine CPU during the write phase
}

// run measures every configured mode.
func run(ctx context.Context, c *config, logf func(string, ...any)) ([]*result, error) {
	raiseOpenFiles(2*c.Subscribers+1024, logf)
	if err := os.MkdirAll(c.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", c.LogDir, err)
	}
	dbURL, _, err := data.Ensure(ctx, c.ServerURL, logf)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", dbURL, err)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return nil, fmt.Errorf("DATABASE_URL must be on this machine (loopback), not %s", h)
	}
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", data.DBName, err)
	}
	defer db.Close(context.Background())
	albums, err := pickAlbums(ctx, db, c.Groups)
	if err != nil {
		return nil, err
	}
	var out []*result
	for _, m := range c.Modes {
		logf("mode %s: %d subscribers over %d albums, %d writes", m, c.Subscribers, len(albums), c.Writes)
		r, err := runMode(ctx, c, m, u, db, albums, logf)
		if err != nil {
			return nil, fmt.Errorf("mode %s: %w", m, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// pickAlbums returns the n albums with the most tracks (ties by id).
func pickAlbums(ctx context.Context, db *pgx.Conn, n int) ([]int, error) {
	rows, err := db.Query(ctx, `SELECT album_id FROM track GROUP BY album_id ORDER BY count(*) DESC, album_id LIMIT $1`, n)
	if err != nil {
		return nil, fmt.Errorf("pick albums: %w", err)
	}
	albums, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(albums) < n {
		return nil, fmt.Errorf("pick albums: %d of %d (%v)", len(albums), n, err)
	}
	out := make([]int, n)
	for i, a := range albums {
		out[i] = int(a)
	}
	return out, nil
}

// runMode starts an engine in mode m behind a counting proxy, subscribes,
// writes, idles and returns the figures.
func runMode(ctx context.Context, c *config, m string, dbURL *url.URL, db *pgx.Conn, albums []int, logf func(string, ...any)) (*result, error) {
	p, err := startProxy(dbURL.Host)
	if err != nil {
		return nil, err
	}
	defer p.close()
	viaProxy := *dbURL
	viaProxy.Host = p.addr()
	e, err := startEngine(ctx, c.StrataBin, viaProxy.String(), filepath.Join(c.LogDir, "subscriptions-"+m+".log"), append(slices.Clone(modes[m]), c.EngineEnv...))
	if err != nil {
		return nil, err
	}
	defer e.stop()
	res := &result{Mode: m}
	start := time.Now()
	f, err := dial(ctx, e.URL, c.Subscribers, albums)
	if err != nil {
		return nil, err
	}
	defer f.close()
	res.Setup = time.Since(start)
	if mem, err := proc.ReadMemory(e.PID()); err == nil {
		res.RSSSubscribed = mem.RSS
	}
	logf("  %d subscribers have their first result after %s", c.Subscribers, res.Setup.Round(time.Millisecond))

	cpu0, _ := proc.CPUTime(e.PID())
	total0, cohort0 := p.counts()
	phase := time.Now()
	visits := map[int]int{} // writes per album: +1 on even visits, -1 on odd ones, so the data ends as it began
	defer func() {
		for g, v := range visits {
			if v%2 == 1 {
				_, _ = db.Exec(context.Background(), `UPDATE track SET milliseconds = milliseconds - 1 WHERE album_id = $1`, albums[g])
			}
		}
	}()
	order := rand.Perm(len(albums))
	for i := range c.Writes {
		g := order[i%len(order)]
		delta := 1 - 2*(visits[g]%2)
		visits[g]++
		r := &round{n: int64(i + 1), group: g, want: f.affected(g), done: make(chan struct{})}
		if r.want == 0 {
			close(r.done)
		}
		r.t0 = time.Now()
		f.cur.Store(r)
		if _, err := db.Exec(ctx, `UPDATE track SET milliseconds = milliseconds + $1 WHERE album_id = $2`, delta, albums[g]); err != nil {
			return nil, fmt.Errorf("write round %d: %w", i+1, err)
		}
		timeout := time.NewTimer(roundTimeout)
		select {
		case <-r.done:
		case <-timeout.C:
		case <-ctx.Done():
			timeout.Stop()
			return nil, ctx.Err()
		}
		timeout.Stop()
		r.mu.Lock()
		res.Latencies = append(res.Latencies, r.lat...)
		res.Missing += r.want - int64(len(r.lat))
		r.mu.Unlock()
		res.Rounds++
		// A random pause puts the next write at a random phase of the
		// refetch interval.
		select {
		case <-time.After(time.Duration(rand.Int64N(int64(c.Pause) + 1))):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		f.cur.Store(nil)
	}
	res.WritePhase = time.Since(phase)
	total1, cohort1 := p.counts()
	res.Statements, res.CohortStmts = total1-total0, cohort1-cohort0
	if cpu1, err := proc.CPUTime(e.PID()); err == nil {
		res.CPU = cpu1 - cpu0
	}
	logf("  %d writes in %s", res.Rounds, res.WritePhase.Round(time.Millisecond))

	if c.Idle > 0 {
		from := time.Now()
		select {
		case <-time.After(c.Idle):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		times := p.cohortTimes(from, time.Now())
		res.IdleStmts = int64(len(times))
		var span time.Duration
		first := time.Time{}
		for i, t := range times {
			if i == 0 || t.Sub(times[i-1]) > 200*time.Millisecond {
				if i > 0 {
					span += times[i-1].Sub(first)
				}
				res.IdleBursts++
				first = t
			}
		}
		if len(times) > 0 {
			span += times[len(times)-1].Sub(first)
			res.BurstSpan = span / time.Duration(res.IdleBursts)
		}
	}
	if mem, err := proc.ReadMemory(e.PID()); err == nil {
		res.RSSPeak = mem.Peak
	}
	res.Spurious, res.Errors, res.FirstError = f.spurious.Load(), f.errors.Load(), f.firstError()
	return res, nil
}

// raiseOpenFiles lifts the soft limit on open files to want (at most the
// hard limit): each subscriber is a socket here and one in the engine,
// which inherits the limit.
func raiseOpenFiles(want int, logf func(string, ...any)) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	if l.Cur >= uint64(want) {
		return
	}
	l.Cur = min(uint64(want), l.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		logf("cannot raise the open-files limit to %d: %v", want, err)
	}
}

// percentile returns the p-th percentile (nearest rank) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 0, 64) }

// printResults writes the modes side by side.
func printResults(w io.Writer, c *config, rs []*result) {
	fmt.Fprintf(w, "\nLive queries: %d subscribers (graphql-transport-ws, one socket each), %d albums x %d subscribers,\n", c.Subscribers, c.Groups, c.Subscribers/c.Groups)
	fmt.Fprintf(w, "one query text (album as a variable), role customer with its own user id; %d writes per mode, each one UPDATE of one album's tracks.\n\n", c.Writes)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t", r.Mode)
	}
	fmt.Fprintln(tw)
	row := func(name string, f func(r *result) string) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t", f(r))
		}
		fmt.Fprintln(tw)
	}
	for _, r := range rs {
		slices.Sort(r.Latencies)
	}
	row("subscribe + first results (s)", func(r *result) string { return fmt.Sprintf("%.1f", r.Setup.Seconds()) })
	row("change -> message samples", func(r *result) string { return strconv.Itoa(len(r.Latencies)) })
	for _, p := range []float64{50, 95, 99, 100} {
		name := fmt.Sprintf("change -> message p%g (ms)", p)
		if p == 100 {
			name = "change -> message max (ms)"
		}
		row(name, func(r *result) string { return ms(percentile(r.Latencies, p)) })
	}
	row("affected subscribers missed (10 s)", func(r *result) string { return strconv.FormatInt(r.Missing, 10) })
	row("messages to unchanged subscribers", func(r *result) string { return strconv.FormatInt(r.Spurious, 10) })
	row("error messages", func(r *result) string { return strconv.FormatInt(r.Errors, 10) })
	row("DB statements/s (writes phase)", func(r *result) string {
		return fmt.Sprintf("%.1f", float64(r.Statements)/r.WritePhase.Seconds())
	})
	row("cohort statements/s", func(r *result) string {
		return fmt.Sprintf("%.1f", float64(r.CohortStmts)/r.WritePhase.Seconds())
	})
	row("cohort statements per write = per album changed", func(r *result) string {
		return fmt.Sprintf("%.1f", float64(r.CohortStmts)/float64(r.Rounds))
	})
	row(fmt.Sprintf("idle %s: cohort statements", c.Idle), func(r *result) string { return strconv.FormatInt(r.IdleStmts, 10) })
	row(fmt.Sprintf("idle %s: refetch bursts", c.Idle), func(r *result) string { return strconv.Itoa(r.IdleBursts) })
	row("idle: one refetch of all, first to last statement (ms)", func(r *result) string { return ms(r.BurstSpan) })
	row("engine CPU (cores, writes phase)", func(r *result) string {
		return fmt.Sprintf("%.2f", r.CPU.Seconds()/r.WritePhase.Seconds())
	})
	row("engine RSS subscribed (MiB)", func(r *result) string { return fmt.Sprintf("%.0f", float64(r.RSSSubscribed)/(1<<20)) })
	row("engine peak RSS, VmHWM (MiB)", func(r *result) string { return fmt.Sprintf("%.0f", float64(r.RSSPeak)/(1<<20)) })
	tw.Flush()
	for _, r := range rs {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", r.Mode, r.FirstError)
		}
	}
	fmt.Fprintf(w, "\nStatements are counted on the wire by a proxy between the engine and PostgreSQL (Execute and Query messages); cohort statements are the multiplexed SELECTs. Latency is from just before the UPDATE is sent (autocommit) to the message's arrival at the client.\n")
}
