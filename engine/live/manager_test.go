package live

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratagql/strata/engine/graphql"
	"github.com/stratagql/strata/engine/hasuraerr"
)

const notesQuery = `note(order_by: {id: asc}) { id owner body }`

// TestPermissionsPerSubscriber is a property test: subscribers with random
// user ids share one cohort, random writes happen, and after each write
// every subscriber's last message equals the same query run directly for
// its session — never another user's rows.
func TestPermissionsPerSubscriber(t *testing.T) {
	for _, mode := range []string{"changes", "polling"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, mode == "polling", nil)
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 15))
			type sub struct {
				id  string
				rec *recorder
			}
			var subs []sub
			for range 8 {
				id := strconv.Itoa(1 + rng.IntN(4))
				r, _ := e.subscribe(user(id), `subscription { `+notesQuery+` }`, nil)
				subs = append(subs, sub{id, r})
			}
			if n := e.m.cohortCount(); n != 1 {
				t.Fatalf("%d cohorts, want 1", n)
			}
			check := func(step string) {
				t.Helper()
				for _, s := range subs {
					want := compact(t, e.query(user(s.id), `query { `+notesQuery+` }`))
					waitFor(t, fmt.Sprintf("%s: user %s sees %s (has %s)", step, s.id, want, s.rec.last()), func() bool {
						last := s.rec.last()
						return last != "" && compact(t, last) == want
					})
				}
			}
			check("initial")
			for i := range 25 {
				switch op := rng.IntN(3); {
				case op == 0 || i < 5:
					e.exec(`INSERT INTO note (owner, body) VALUES ($1, $2)`, 1+rng.IntN(5), fmt.Sprintf("b%d", i))
				case op == 1:
					e.exec(`UPDATE note SET body = $1, owner = $2 WHERE id = (SELECT id FROM note ORDER BY random() LIMIT 1)`, fmt.Sprintf("u%d", i), 1+rng.IntN(5))
				default:
					e.exec(`DELETE FROM note WHERE id = (SELECT id FROM note ORDER BY random() LIMIT 1)`)
				}
				check(fmt.Sprintf("write %d", i))
			}
			for _, s := range subs {
				for _, m := range s.rec.messages() {
					if strings.Contains(m, `"owner"`) && !ownsAll(t, m, s.id) {
						t.Errorf("user %s received another user's rows: %s", s.id, m)
					}
				}
			}
		})
	}
}

// ownsAll reports whether every note of a {"data":{"note":[...]}} message
// belongs to owner.
func ownsAll(t *testing.T, msg, owner string) bool {
	var body struct {
		Data struct {
			Note []struct{ Owner int } `json:"note"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(msg), &body); err != nil {
		t.Fatal(err)
	}
	for _, n := range body.Data.Note {
		if strconv.Itoa(n.Owner) != owner {
			return false
		}
	}
	return true
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	b, _ := json.Marshal(v)
	return strings.ReplaceAll(string(b), `\u003e`, ">")
}

// TestMessageOnlyOnChange: a refetch whose result is unchanged sends
// nothing, a change to another user's rows sends nothing, a change to the
// subscriber's own rows sends one message; an idle cohort runs no
// statement until woken.
func TestMessageOnlyOnChange(t *testing.T) {
	e := newEnv(t, false, nil)
	e.exec(`INSERT INTO note (owner, body) VALUES (1, 'a'), (2, 'b')`)
	r, _ := e.subscribe(user("1"), `subscription { `+notesQuery+` }`, nil)
	waitFor(t, "first result", func() bool { return r.count() == 1 })
	if want := `{"data":{"note":[{"id":1,"owner":1,"body":"a"}]}}`; r.last() != want {
		t.Fatalf("first result %s, want %s", r.last(), want)
	}
	before := e.m.Statements()
	e.changes.poke("note")
	waitFor(t, "a refetch", func() bool { return e.m.Statements() == before+1 })
	e.exec(`UPDATE note SET body = 'c' WHERE owner = 2`)
	waitFor(t, "a second refetch", func() bool { return e.m.Statements() == before+2 })
	e.exec(`INSERT INTO tag (name) VALUES ('x')`) // a table the cohort does not read
	e.changes.poke("note")
	waitFor(t, "a third refetch", func() bool { return e.m.Statements() == before+3 })
	if n := r.count(); n != 1 {
		t.Fatalf("%d messages without a change to the subscriber's result: %v", n, r.messages())
	}
	if s := e.m.Statements(); s != before+3 {
		t.Fatalf("%d statements, want %d: an idle cohort or an unrelated table caused refetches", s, before+3)
	}
	e.exec(`UPDATE note SET body = 'd' WHERE owner = 1`)
	waitFor(t, "the change", func() bool { return r.count() == 2 })
	if want := `{"data":{"note":[{"id":1,"owner":1,"body":"d"}]}}`; r.last() != want {
		t.Fatalf("got %s, want %s", r.last(), want)
	}
}

// TestByPkAndAggregate follows a row by primary key (null once deleted)
// and an aggregate, each in its own cohort with per-user values.
func TestByPkAndAggregate(t *testing.T) {
	e := newEnv(t, false, nil)
	e.exec(`INSERT INTO note (owner, body) VALUES (1, 'a'), (2, 'b'), (1, 'c')`)
	byPk1, _ := e.subscribe(user("1"), `subscription($id: Int!) { n: note_by_pk(id: $id) { id body } }`, map[string]any{"id": 1})
	byPk2, _ := e.subscribe(user("1"), `subscription($id: Int!) { n: note_by_pk(id: $id) { id body } }`, map[string]any{"id": 2}) // user 2's row
	agg1, _ := e.subscribe(user("1"), `subscription { note_aggregate { aggregate { count } } }`, nil)
	agg2, _ := e.subscribe(user("2"), `subscription { note_aggregate { aggregate { count } } }`, nil)
	if n := e.m.cohortCount(); n != 2 {
		t.Fatalf("%d cohorts, want 2", n)
	}
	expect := func(r *recorder, want string) {
		t.Helper()
		waitFor(t, want+" (has "+r.last()+")", func() bool { return r.last() == want })
	}
	expect(byPk1, `{"data":{"n":{"id":1,"body":"a"}}}`)
	expect(byPk2, `{"data":{"n":null}}`)
	expect(agg1, `{"data":{"note_aggregate":{"aggregate":{"count":2}}}}`)
	expect(agg2, `{"data":{"note_aggregate":{"aggregate":{"count":1}}}}`)
	e.exec(`UPDATE note SET body = 'z' WHERE id = 1`)
	expect(byPk1, `{"data":{"n":{"id":1,"body":"z"}}}`)
	e.exec(`DELETE FROM note WHERE id = 1`)
	expect(byPk1, `{"data":{"n":null}}`)
	expect(agg1, `{"data":{"note_aggregate":{"aggregate":{"count":1}}}}`)
	e.exec(`INSERT INTO note (owner) VALUES (2), (2)`)
	expect(agg2, `{"data":{"note_aggregate":{"aggregate":{"count":3}}}}`)
	if n := byPk2.count(); n != 1 {
		t.Errorf("user 1 following user 2's row got %d messages: %v", n, byPk2.messages())
	}
}

// streamed concatenates the rows of a stream subscriber's messages,
// checking that none is empty or larger than batch.
func streamed(t *testing.T, r *recorder, field string, batch int) []string {
	t.Helper()
	var out []string
	for _, m := range r.messages() {
		var body struct {
			Data map[string][]json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(m), &body); err != nil {
			t.Fatalf("%v: %s", err, m)
		}
		rows := body.Data[field]
		if len(rows) == 0 || len(rows) > batch {
			t.Fatalf("a batch of %d rows (batch_size %d): %s", len(rows), batch, m)
		}
		for _, row := range rows {
			out = append(out, string(row))
		}
	}
	return out
}

func waitRows(t *testing.T, r *recorder, field string, batch int, want ...string) {
	t.Helper()
	wantS := strings.Join(want, " ")
	waitFor(t, "rows "+wantS, func() bool { return strings.Join(streamed(t, r, field, batch), " ") == wantS })
}

// TestStream: every row once, in cursor order, in batches of at most
// batch_size, the cursor advancing; nothing when there is no new row;
// subscribers with different initial values share a cohort.
func TestStream(t *testing.T) {
	t.Run("one column ASC", func(t *testing.T) {
		e := newEnv(t, false, nil)
		e.exec(`INSERT INTO note (owner, seq) SELECT 1, i FROM generate_series(1, 5) AS i`)
		e.exec(`INSERT INTO note (owner, seq) VALUES (2, 99)`) // another user's
		const q = `subscription($from: Int) { note_stream(batch_size: 2, cursor: {initial_value: {id: $from}}) { id } }`
		from0, _ := e.subscribe(user("1"), q, map[string]any{"from": 0})
		from3, _ := e.subscribe(user("1"), q, map[string]any{"from": 3})
		if n := e.m.cohortCount(); n != 1 {
			t.Fatalf("%d cohorts, want 1", n)
		}
		waitRows(t, from0, "note_stream", 2, `{"id":1}`, `{"id":2}`, `{"id":3}`, `{"id":4}`, `{"id":5}`)
		waitRows(t, from3, "note_stream", 2, `{"id":4}`, `{"id":5}`)
		before := from0.count()
		e.exec(`UPDATE note SET seq = seq + 1`) // no new row past the cursor
		e.exec(`INSERT INTO note (owner) VALUES (1), (2), (1)`)
		waitRows(t, from0, "note_stream", 2, `{"id":1}`, `{"id":2}`, `{"id":3}`, `{"id":4}`, `{"id":5}`, `{"id":7}`, `{"id":9}`)
		waitRows(t, from3, "note_stream", 2, `{"id":4}`, `{"id":5}`, `{"id":7}`, `{"id":9}`)
		if n := from0.count(); n != before+1 {
			t.Errorf("%d messages after the insert, want 1: %v", n-before, from0.messages()[before:])
		}
	})
	t.Run("one column DESC", func(t *testing.T) {
		e := newEnv(t, true, nil)
		e.exec(`INSERT INTO note (owner, seq) SELECT 1, i FROM generate_series(1, 5) AS i`)
		r, _ := e.subscribe(user("1"), `subscription { note_stream(batch_size: 2, cursor: {initial_value: {seq: 100}, ordering: DESC}) { seq } }`, nil)
		waitRows(t, r, "note_stream", 2, `{"seq":5}`, `{"seq":4}`, `{"seq":3}`, `{"seq":2}`, `{"seq":1}`)
		e.exec(`INSERT INTO note (owner, seq) VALUES (1, 0), (1, 50)`) // 50 is behind the cursor
		waitRows(t, r, "note_stream", 2, `{"seq":5}`, `{"seq":4}`, `{"seq":3}`, `{"seq":2}`, `{"seq":1}`, `{"seq":0}`)
	})
	t.Run("permission limit below batch_size", func(t *testing.T) {
		e := newEnv(t, false, nil)
		e.setSchema(allNoteColumns, 2)
		e.exec(`INSERT INTO note (owner) SELECT 1 FROM generate_series(1, 5)`)
		r, _ := e.subscribe(user("1"), `subscription { note_stream(batch_size: 10, cursor: {initial_value: {id: 0}}) { id } }`, nil)
		waitRows(t, r, "note_stream", 2, `{"id":1}`, `{"id":2}`, `{"id":3}`, `{"id":4}`, `{"id":5}`)
	})
	t.Run("two columns", func(t *testing.T) {
		e := newEnv(t, false, nil)
		e.exec(`INSERT INTO note (id, owner, seq) VALUES (1, 1, 1), (2, 1, 1), (3, 1, 2), (4, 1, 0)`)
		r, _ := e.subscribe(admin, `subscription { note_stream(batch_size: 2, cursor: [{initial_value: {seq: 1}, ordering: ASC}, {initial_value: {id: 1}}]) { id seq } }`, nil)
		waitRows(t, r, "note_stream", 2, `{"id":2,"seq":1}`, `{"id":3,"seq":2}`)
		e.exec(`INSERT INTO note (id, owner, seq) VALUES (5, 1, 1), (6, 1, 2), (7, 1, 3)`) // 5 is behind (2, 3)
		waitRows(t, r, "note_stream", 2, `{"id":2,"seq":1}`, `{"id":3,"seq":2}`, `{"id":6,"seq":2}`, `{"id":7,"seq":3}`)
	})
}

// TestSchemaChange swaps the schema under 100 subscriptions: the one
// selecting a column the role lost ends with an error, the others get no
// message (their result did not change) and keep receiving changes.
func TestSchemaChange(t *testing.T) {
	e := newEnv(t, false, nil)
	e.exec(`INSERT INTO note (owner, body) SELECT i % 5, 'x' FROM generate_series(1, 20) AS i`)
	var keep []*recorder
	for i := range 99 {
		q := `subscription { note(order_by: {id: asc}) { id owner } }`
		if i%3 == 0 {
			q = `subscription { note_aggregate { aggregate { count } } }`
		}
		r, _ := e.subscribe(user(strconv.Itoa(i%5)), q, nil)
		keep = append(keep, r)
	}
	lost, _ := e.subscribe(user("1"), `subscription { note { id body } }`, nil)
	for _, r := range append(keep, lost) {
		waitFor(t, "first results", func() bool { return r.count() == 1 })
	}
	cohorts := e.m.cohortCount()
	e.setSchema(`["id", "owner", "seq"]`, 0)
	e.m.SchemaChanged()
	waitFor(t, "the end of the subscription that lost its field", func() bool {
		lost.mu.Lock()
		defer lost.mu.Unlock()
		return lost.ended
	})
	if lost.endErr == nil || lost.endErr.Code != hasuraerr.CodeValidationFailed || !strings.Contains(lost.endErr.Message, "body") {
		t.Fatalf("ended with %+v, want a validation error about body", lost.endErr)
	}
	if n := e.m.cohortCount(); n != cohorts-1 {
		t.Errorf("%d cohorts after the change, want %d", n, cohorts-1)
	}
	// The moved subscribers were re-evaluated (one statement per cohort)
	// without a message, then a write reaches them.
	e.exec(`INSERT INTO note (owner) SELECT i FROM generate_series(0, 4) AS i`)
	for i, r := range keep {
		waitFor(t, fmt.Sprintf("subscriber %d's change", i), func() bool { return r.count() == 2 })
	}
	if n := lost.count(); n != 1 {
		t.Errorf("the ended subscription received %d messages", n)
	}
}

// TestStopCleansUp: stopping every subscription removes the cohorts and
// their watches and sends nothing more; ending Run stops every goroutine.
func TestStopCleansUp(t *testing.T) {
	baseline := runtime.NumGoroutine()
	e := newEnv(t, false, nil)
	var stops []func()
	var recs []*recorder
	for i := range 6 {
		q := `subscription { ` + notesQuery + ` }`
		if i%2 == 1 {
			q = `subscription { note_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } }`
		}
		r, stop := e.subscribe(user(strconv.Itoa(i)), q, nil)
		stops, recs = append(stops, stop), append(recs, r)
	}
	if e.changes.active() != 2 || e.m.cohortCount() != 2 {
		t.Fatalf("%d watches, %d cohorts, want 2 each", e.changes.active(), e.m.cohortCount())
	}
	waitFor(t, "the first live results", func() bool { return recs[0].count() == 1 && recs[2].count() == 1 })
	for _, stop := range stops {
		stop()
		stop() // idempotent
	}
	if e.changes.active() != 0 || e.m.cohortCount() != 0 {
		t.Fatalf("%d watches, %d cohorts after stopping everything", e.changes.active(), e.m.cohortCount())
	}
	waitFor(t, "the cohorts' loops to end", func() bool { return e.m.loops.Load() == 0 })
	e.exec(`INSERT INTO note (owner) SELECT i FROM generate_series(0, 5) AS i`)
	// A subscription stopped through its context goes too.
	ctx, cancel := context.WithCancel(context.Background())
	r := &recorder{}
	if _, err := e.m.Subscribe(ctx, user("1"), &graphql.Request{Query: `subscription { ` + notesQuery + ` }`}, r); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "its first result", func() bool { return r.count() == 1 })
	cancel()
	waitFor(t, "its cohort to go", func() bool { return e.m.cohortCount() == 0 })
	e.stop()
	for _, r := range recs {
		if n := r.late.Load(); n > 0 {
			t.Errorf("%d messages after stop", n)
		}
	}
	e.pool.Close()
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= baseline })
}

// TestInvalidSubscriptions: Hasura's errors for more than one root field, a
// field the role does not have, and an operation that is no subscription;
// nothing starts.
func TestInvalidSubscriptions(t *testing.T) {
	e := newEnv(t, false, nil)
	cases := []struct{ query, code, message string }{
		{`subscription { a: note { id } b: note { id } }`, hasuraerr.CodeValidationFailed, "subscriptions must select one top level field"},
		{`subscription S { note { id } note_aggregate { aggregate { count } } }`, hasuraerr.CodeValidationFailed, "subscriptions must select one top level field"},
		{`subscription { tag { id } }`, hasuraerr.CodeValidationFailed, "field 'tag' not found in type: 'subscription_root'"},
		{`query { note { id } }`, hasuraerr.CodeValidationFailed, "expected a subscription operation, found a query"},
	}
	for _, c := range cases {
		r := &recorder{}
		stop, err := e.m.Subscribe(context.Background(), user("1"), &graphql.Request{Query: c.query}, r)
		if err == nil {
			stop()
			t.Errorf("%s: subscribed", c.query)
			continue
		}
		if err.Code != c.code || err.Message != c.message {
			t.Errorf("%s: %s %q, want %s %q", c.query, err.Code, err.Message, c.code, c.message)
		}
	}
	if n := e.m.cohortCount(); n != 0 {
		t.Errorf("%d cohorts", n)
	}
}

// TestExecutionError: a refetch that fails sends the subscriber an errors
// message (once, while the error lasts) and the subscription goes on.
func TestExecutionError(t *testing.T) {
	e := newEnv(t, false, func(m *Manager) { m.StatementTimeout = time.Nanosecond })
	r, _ := e.subscribe(user("1"), `subscription { `+notesQuery+` }`, nil)
	waitFor(t, "an error message", func() bool { return r.count() == 1 })
	if !strings.HasPrefix(r.last(), `{"errors":[{"message":`) {
		t.Fatalf("got %s, want an errors message", r.last())
	}
	before := e.m.Statements()
	e.exec(`INSERT INTO note (owner) VALUES (1)`)
	waitFor(t, "a refetch", func() bool { return e.m.Statements() > before })
	r.mu.Lock()
	ended := r.ended
	r.mu.Unlock()
	if n := r.count(); n != 1 || ended {
		t.Fatalf("%d messages (ended %v) after the same error again: %v", n, ended, r.messages())
	}
}

// TestBatches: a wake-up costs one statement per BatchSize subscribers of
// the cohort, whatever their number of distinct users.
func TestBatches(t *testing.T) {
	e := newEnv(t, false, func(m *Manager) { m.BatchSize = 100 })
	e.exec(`INSERT INTO note (owner) SELECT i % 7 FROM generate_series(1, 30) AS i`)
	var recs []*recorder
	for i := range 250 {
		r, _ := e.subscribe(user(strconv.Itoa(i%7)), `subscription { `+notesQuery+` }`, nil)
		recs = append(recs, r)
	}
	for _, r := range recs {
		waitFor(t, "first results", func() bool { return r.count() == 1 })
	}
	before := e.m.Statements()
	e.exec(`UPDATE note SET body = 'x' WHERE owner = 3`)
	for i, r := range recs {
		want := 1
		if i%7 == 3 {
			want = 2
		}
		waitFor(t, fmt.Sprintf("subscriber %d's messages", i), func() bool { return r.count() == want })
	}
	if n := e.m.Statements() - before; n != 3 {
		t.Errorf("%d statements for a wake-up of 250 subscribers in batches of 100, want 3", n)
	}
}
