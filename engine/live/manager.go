package live

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/graphql"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// Defaults of Manager's settings (Hasura's).
const (
	DefaultRefetchInterval = time.Second
	DefaultBatchSize       = 100
)

// Manager runs subscriptions. Subscribers whose subscription compiles to
// the same SQL form a cohort; a cohort is refetched with one multiplexed
// statement per BatchSize subscribers (see compile.Multiplex) when Changes
// signals that a table it reads may have changed, or at the refetch
// interval otherwise (the interval is then the fallback for changes the
// feed does not see). Each subscriber receives a message only when its own
// result changed; a stream subscriber receives its new rows, and its
// cursor advances.
//
// Session variables are data of each subscriber's row in the multiplexed
// statement (permission filters and computed fields read them there);
// hasura.user is not set for the statement as a whole, so row-level
// security policies reading it do not apply per subscriber.
type Manager struct {
	// Handler prepares requests (parse, validate for the role) through its
	// document cache; its Schema is the current schema.
	Handler *graphql.Handler
	Pool    *pgxpool.Pool
	// Changes wakes cohorts when tables they read change; nil polls at the
	// refetch intervals only.
	Changes Changes
	// RefetchInterval and BatchSize are live queries' (default 1 s, 100);
	// StreamRefetchInterval and StreamBatchSize streaming subscriptions'.
	RefetchInterval       time.Duration
	BatchSize             int
	StreamRefetchInterval time.Duration
	StreamBatchSize       int
	// Concurrency bounds the statements in flight at once (default 4).
	Concurrency int
	// StatementTimeout bounds each multiplexed statement (0: no bound);
	// subscribers of a statement that times out receive the error.
	StatementTimeout time.Duration
	Logger           *slog.Logger

	mu       sync.Mutex
	cohorts  map[string]*cohort
	subs     map[*subscriber]bool
	runCtx   context.Context // set while Run runs
	ended    bool            // Run returned
	wg       sync.WaitGroup
	sem      chan struct{}
	reval    sync.Mutex // serialises SchemaChanged
	initOnce sync.Once
	stmts    atomic.Int64
	loops    atomic.Int64 // cohort loops running
}

// Statements is how many multiplexed statements the manager has run.
func (m *Manager) Statements() int64 { return m.stmts.Load() }

func (m *Manager) init() {
	m.initOnce.Do(func() {
		m.cohorts = map[string]*cohort{}
		m.subs = map[*subscriber]bool{}
		n := m.Concurrency
		if n <= 0 {
			n = 4
		}
		m.sem = make(chan struct{}, n)
		if m.Logger == nil {
			m.Logger = slog.Default()
		}
	})
}

func (m *Manager) interval(stream bool) time.Duration {
	d := m.RefetchInterval
	if stream {
		d = m.StreamRefetchInterval
	}
	if d <= 0 {
		d = DefaultRefetchInterval
	}
	return d
}

func (m *Manager) batchSize(stream bool) int {
	n := m.BatchSize
	if stream {
		n = m.StreamBatchSize
	}
	if n <= 0 {
		n = DefaultBatchSize
	}
	return n
}

// Run runs the cohorts' refetch loops until ctx ends, then stops them and
// returns ctx's error. Subscriptions made before Run start with it.
func (m *Manager) Run(ctx context.Context) error {
	m.init()
	m.mu.Lock()
	if m.runCtx != nil || m.ended {
		m.mu.Unlock()
		return errors.New("live: Manager.Run called twice")
	}
	m.runCtx = ctx
	for _, c := range m.cohorts {
		m.start(c)
	}
	m.mu.Unlock()
	<-ctx.Done()
	m.mu.Lock()
	m.ended = true
	for _, c := range m.cohorts {
		c.close()
	}
	m.mu.Unlock()
	m.wg.Wait()
	return ctx.Err()
}

// start runs a cohort's loop (m.mu held, Run running).
func (m *Manager) start(c *cohort) {
	m.wg.Add(1)
	m.loops.Add(1)
	go func() {
		defer m.wg.Done()
		defer m.loops.Add(-1)
		m.loop(m.runCtx, c)
	}()
}

// subscriber is one subscription.
type subscriber struct {
	sess *auth.Session
	req  *graphql.Request
	sink Sink

	mu      sync.Mutex
	stopped bool
	cohort  *cohort
	alias   string
	plan    *compile.Subscription
	values  []any // the plan's parameter values for this subscriber
	row     json.RawMessage
	sent    bool
	hash    [sha256.Size]byte
	cursor  []*string // stream: where the last batch ended (nil: initial value)
}

// rowLocked is the subscriber's element of a multiplexed statement's
// array, its cursor applied (s.mu held).
func (s *subscriber) rowLocked() (json.RawMessage, error) {
	if s.row != nil {
		return s.row, nil
	}
	values := s.values
	if s.cursor != nil && len(s.cursor) == len(s.plan.Cursor) {
		values = append([]any(nil), values...)
		for i, idx := range s.plan.Cursor {
			if s.cursor[i] != nil {
				values[idx] = *s.cursor[i]
			} else {
				values[idx] = nil
			}
		}
	}
	row, err := compile.MultiplexRow(values, s.sess.Vars)
	if err == nil {
		s.row = row
	}
	return row, err
}

// Subscribe starts a subscription for sess: its first result is sent at
// once, then a new one whenever it changes. A request that is not a valid
// single-root-field subscription for the role answers err and starts
// nothing. The subscription stops when stop is called or ctx ends.
func (m *Manager) Subscribe(ctx context.Context, sess *auth.Session, req *graphql.Request, sink Sink) (stop func(), err *hasuraerr.Error) {
	m.init()
	s := &subscriber{sess: sess, req: req, sink: sink}
	plan, values, err := m.prepare(s)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.ended {
		m.mu.Unlock()
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Message: "the server is shutting down", Path: "$"}
	}
	m.subs[s] = true
	m.attachLocked(s, plan, values)
	m.mu.Unlock()
	stopCtx := context.AfterFunc(ctx, func() { m.remove(s) })
	return func() {
		stopCtx()
		m.remove(s)
	}, nil
}

// prepare validates and compiles a subscriber's request on the current
// schema and resolves its parameter values.
func (m *Manager) prepare(s *subscriber) (*compile.Subscription, []any, *hasuraerr.Error) {
	p, herr := m.Handler.PrepareSubscription(s.req, s.sess)
	if herr != nil {
		return nil, nil, herr
	}
	plan, err := compile.CompileSubscription(p.Schema, p.Operation, p.Variables, p.Options)
	if err != nil {
		return nil, nil, hasuraerr.Wrap(err)
	}
	values, err := compile.Values(plan.Args, p.Variables, s.sess.Vars)
	if err != nil {
		return nil, nil, hasuraerr.Wrap(err)
	}
	return plan, values, nil
}

// attachLocked puts s into the cohort of plan's SQL, creating it if
// needed, and has the cohort evaluate s soon (m.mu held).
func (m *Manager) attachLocked(s *subscriber, plan *compile.Subscription, values []any) {
	c := m.cohorts[plan.SQL]
	if c == nil {
		c = newCohort(plan)
		if m.Changes != nil {
			c.wake, c.unwatch = m.Changes.Watch(plan.Tables)
		}
		m.cohorts[plan.SQL] = c
		if m.runCtx != nil && !m.ended {
			m.start(c)
		}
	}
	s.mu.Lock()
	if s.cohort != nil && s.cohort != c {
		m.detachLocked(s)
	}
	s.cohort, s.plan, s.values, s.alias, s.row = c, plan, values, plan.Alias, nil
	s.mu.Unlock()
	c.add(s)
}

// detachLocked removes s from its cohort, dropping the cohort when it is
// left empty (m.mu and s.mu held).
func (m *Manager) detachLocked(s *subscriber) {
	c := s.cohort
	if c == nil {
		return
	}
	s.cohort = nil
	if c.removeSub(s) == 0 && m.cohorts[c.key] == c {
		delete(m.cohorts, c.key)
		c.close()
	}
}

// remove stops s: no message is sent to it once remove returns.
func (m *Manager) remove(s *subscriber) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.subs, s)
	s.mu.Lock()
	s.stopped = true
	m.detachLocked(s)
	s.mu.Unlock()
}

// SchemaChanged re-validates every subscription against the current schema
// of its role: a valid one moves to the cohort of its recompiled SQL,
// keeping its last result (no message unless the result differs) and its
// stream cursor; an invalid one is ended with its error.
func (m *Manager) SchemaChanged() {
	m.init()
	m.reval.Lock()
	defer m.reval.Unlock()
	m.mu.Lock()
	subs := make([]*subscriber, 0, len(m.subs))
	for s := range m.subs {
		subs = append(subs, s)
	}
	m.mu.Unlock()
	for _, s := range subs {
		plan, values, err := m.prepare(s)
		m.mu.Lock()
		if !m.subs[s] { // stopped meanwhile
			m.mu.Unlock()
			continue
		}
		if err != nil {
			delete(m.subs, s)
			s.mu.Lock()
			s.stopped = true
			m.detachLocked(s)
			s.mu.Unlock()
			m.mu.Unlock()
			s.sink.End(err)
			continue
		}
		s.mu.Lock()
		if s.plan != nil && len(s.plan.Cursor) != len(plan.Cursor) {
			s.cursor = nil // a different cursor: start again from the initial value
		}
		s.mu.Unlock()
		m.attachLocked(s, plan, values)
		m.mu.Unlock()
	}
}

// cohort is the subscribers of one SQL statement.
type cohort struct {
	key    string
	stream bool
	mxSQL  string

	mu    sync.Mutex
	subs  map[*subscriber]bool
	fresh map[*subscriber]bool // to evaluate soon (new, moved, more rows)

	kick    chan struct{} // fresh subscribers are waiting
	wake    <-chan struct{}
	unwatch func()
	done    chan struct{}
	closed  sync.Once
}

func newCohort(plan *compile.Subscription) *cohort {
	return &cohort{key: plan.SQL, stream: plan.Stream, mxSQL: compile.Multiplex(plan.SQL),
		subs: map[*subscriber]bool{}, fresh: map[*subscriber]bool{},
		kick: make(chan struct{}, 1), done: make(chan struct{})}
}

func (c *cohort) add(s *subscriber) {
	c.mu.Lock()
	c.subs[s] = true
	c.fresh[s] = true
	c.mu.Unlock()
	c.poke()
}

func (c *cohort) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// removeSub removes s and returns how many subscribers are left.
func (c *cohort) removeSub(s *subscriber) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.subs, s)
	delete(c.fresh, s)
	return len(c.subs)
}

func (c *cohort) close() {
	c.closed.Do(func() {
		close(c.done)
		if c.unwatch != nil {
			c.unwatch()
		}
	})
}

// targets returns the subscribers to evaluate: all of them, or only the
// fresh ones.
func (c *cohort) targets(all bool) []*subscriber {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.fresh
	if all {
		set = c.subs
	}
	out := make([]*subscriber, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	c.fresh = map[*subscriber]bool{}
	return out
}

// loop refetches a cohort when woken, when subscribers are fresh, and at
// the fallback interval, until the cohort closes or ctx ends.
func (m *Manager) loop(ctx context.Context, c *cohort) {
	interval := m.interval(c.stream)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		all := true
		select {
		case <-ctx.Done():
			return
		case <-c.done:
			return
		case <-c.wake: // nil without Changes: never ready
		case <-timer.C:
		case <-c.kick:
			all = false
		}
		if all {
			timer.Reset(interval)
		}
		m.refetch(ctx, c, c.targets(all))
	}
}

// refetch evaluates subs, batch by batch, and delivers their results.
func (m *Manager) refetch(ctx context.Context, c *cohort, subs []*subscriber) {
	size := m.batchSize(c.stream)
	if len(subs) <= size {
		m.refetchBatch(ctx, c, subs)
		return
	}
	// The batches of one cohort run side by side (Concurrency bounds the
	// statements in flight): a wake-up of a large cohort then costs the
	// time of its batches divided by Concurrency, not their sum. Each
	// subscriber is in one batch, so batches share no subscriber state.
	var wg sync.WaitGroup
	for len(subs) > 0 {
		n := min(size, len(subs))
		batch := subs[:n]
		wg.Go(func() { m.refetchBatch(ctx, c, batch) })
		subs = subs[n:]
	}
	wg.Wait()
}

func (m *Manager) refetchBatch(ctx context.Context, c *cohort, batch []*subscriber) {
	arr := make([]byte, 0, 64*len(batch))
	arr = append(arr, '[')
	live := batch[:0:0]
	var aliases []string
	for _, s := range batch {
		s.mu.Lock()
		if s.stopped || s.cohort != c {
			s.mu.Unlock()
			continue
		}
		row, err := s.rowLocked()
		alias := s.alias
		s.mu.Unlock()
		if err != nil {
			m.deliverError(c, s, hasuraerr.Wrap(err))
			continue
		}
		if len(live) > 0 {
			arr = append(arr, ',')
		}
		arr = append(arr, row...)
		live, aliases = append(live, s), append(aliases, alias)
	}
	arr = append(arr, ']')
	if len(live) == 0 {
		return
	}
	results, err := m.query(ctx, c.mxSQL, arr, len(live))
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		m.Logger.Warn("live: refetch failed", "error", err, "subscribers", len(live))
		for _, s := range live {
			m.deliverError(c, s, err)
		}
		return
	}
	for i, s := range live {
		if c.stream {
			m.deliverStream(c, s, results[i])
		} else {
			m.deliver(c, s, response(aliases[i], results[i]))
		}
	}
}

// query runs a multiplexed statement and returns each subscriber's root.
func (m *Manager) query(ctx context.Context, sql string, arr []byte, n int) ([]json.RawMessage, *hasuraerr.Error) {
	select {
	case m.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, hasuraerr.Wrap(ctx.Err())
	}
	defer func() { <-m.sem }()
	if m.StatementTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.StatementTimeout)
		defer cancel()
	}
	m.stmts.Add(1)
	rows, err := m.Pool.Query(ctx, sql, string(arr))
	if err != nil {
		return nil, execute.PGError(err)
	}
	defer rows.Close()
	out := make([]json.RawMessage, n)
	for rows.Next() {
		var i int64
		var root []byte
		if err := rows.Scan(&i, &root); err != nil {
			return nil, execute.PGError(err)
		}
		if i < 1 || int(i) > n {
			return nil, &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Message: "live: subscriber index out of range", Path: "$"}
		}
		if root == nil {
			root = []byte("null")
		}
		out[i-1] = root
	}
	if err := rows.Err(); err != nil {
		return nil, execute.PGError(err)
	}
	return out, nil
}

// response renders {"data":{alias:value}}.
func response(alias string, value json.RawMessage) json.RawMessage {
	key, _ := json.Marshal(alias)
	out := make([]byte, 0, len(key)+len(value)+11)
	out = append(out, `{"data":{`...)
	out = append(out, key...)
	out = append(out, ':')
	out = append(out, value...)
	out = append(out, "}}"...)
	return out
}

// deliver sends payload to s unless it is what s last received.
func (m *Manager) deliver(c *cohort, s *subscriber, payload json.RawMessage) {
	h := sha256.Sum256(payload)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.cohort != c || s.sent && s.hash == h {
		return
	}
	s.sent, s.hash = true, h
	s.sink.Next(payload)
}

func (m *Manager) deliverError(c *cohort, s *subscriber, err *hasuraerr.Error) {
	b, _ := json.Marshal(hasuraerr.GraphQLResponse(err))
	m.deliver(c, s, b)
}

// deliverStream sends a stream subscriber its new rows, if any, and
// advances its cursor; a full batch has it evaluated again at once.
func (m *Manager) deliverStream(c *cohort, s *subscriber, root json.RawMessage) {
	var res struct {
		Rows   []json.RawMessage `json:"rows"`
		Cursor []*string         `json:"cursor"`
	}
	if err := json.Unmarshal(root, &res); err != nil {
		m.deliverError(c, s, hasuraerr.Wrap(fmt.Errorf("live: decoding a stream result: %w", err)))
		return
	}
	if len(res.Rows) == 0 || res.Cursor == nil {
		return
	}
	rows, _ := json.Marshal(res.Rows)
	s.mu.Lock()
	if s.stopped || s.cohort != c {
		s.mu.Unlock()
		return
	}
	s.cursor, s.row = res.Cursor, nil
	full := false
	if b, ok := s.values[s.plan.Batch].(string); ok {
		n, err := strconv.Atoi(b)
		if s.plan.MaxBatch > 0 {
			n = min(n, s.plan.MaxBatch)
		}
		full = err == nil && len(res.Rows) >= n
	}
	s.sink.Next(response(s.alias, rows))
	s.mu.Unlock()
	if full {
		c.mu.Lock()
		if c.subs[s] {
			c.fresh[s] = true
		}
		c.mu.Unlock()
		c.poke()
	}
}
