package compile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/internal/testdb"
)

// subscriptionCases are subscriptions whose compiled and multiplexed SQL
// is kept in testdata/subscriptions/<name>.sql.
var subscriptionCases = []goldenCase{
	{name: "live_select", role: "user", query: `subscription($n: Int) { t0000(order_by: {id: asc}, limit: $n) { id name label } }`, vars: `{"n": 5}`},
	{name: "live_by_pk", role: "user", query: `subscription { one: t0000_by_pk(id: 3) { id name } }`},
	{name: "live_aggregate", role: "user", query: `subscription { t0000_aggregate(where: {flag: {_eq: true}}) { aggregate { count } } }`},
	{name: "live_session_list", role: "user", query: `subscription { t0002 { id } }`},
	{name: "stream_one_column", role: "user", query: `subscription { t0000_stream(batch_size: 2, cursor: {initial_value: {id: 0}}) { id name } }`},
	{name: "stream_two_columns_desc", query: `subscription($at: timestamptz) { t0001_stream(batch_size: 10, cursor: [{initial_value: {created_at: $at}, ordering: DESC}, {initial_value: {id: 1}, ordering: ASC}], where: {flag: {_eq: true}}) { id parent { id } } }`, vars: `{"at": "2030-01-01T00:00:00Z"}`},
}

// compileSubscription parses, validates and compiles a subscription case.
func compileSubscription(t *testing.T, c goldenCase) *compile.Subscription {
	t.Helper()
	s, _ := fixture(t)
	op, vars := prepare(t, forRole(t, s, c.role), c.query, decodeVars(t, c.vars))
	sub, err := compile.CompileSubscription(forRole(t, s, c.role), op, vars, c.opts)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return sub
}

// TestGoldenSubscriptionSQL compares each subscription's SQL, arguments,
// tables and multiplexed SQL with its golden file (-update rewrites them).
func TestGoldenSubscriptionSQL(t *testing.T) {
	for _, c := range subscriptionCases {
		t.Run(c.name, func(t *testing.T) {
			sub := compileSubscription(t, c)
			var b strings.Builder
			fmt.Fprintf(&b, "-- role: %s\n-- query: %s\n", orAdmin(c.role), c.query)
			if c.vars != "" {
				fmt.Fprintf(&b, "-- variables: %s\n", c.vars)
			}
			fmt.Fprintf(&b, "-- alias: %s stream: %v cursor: %v batch: %d max batch: %d tables: %v\n\n%s;\n", sub.Alias, sub.Stream, sub.Cursor, sub.Batch, sub.MaxBatch, sub.Tables, sub.SQL)
			for _, line := range argLines(sub.Args) {
				b.WriteString("-- " + line + "\n")
			}
			fmt.Fprintf(&b, "\n-- multiplexed\n%s;\n", compile.Multiplex(sub.SQL))
			golden := filepath.Join("testdata", "subscriptions", c.name+".sql")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./engine/compile -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("differs from %s (run go test ./engine/compile -update and review the diff):\n%s", golden, b.String())
			}
		})
	}
}

func orAdmin(role string) string {
	if role == "" {
		return "admin"
	}
	return role
}

// TestMultiplexRewrite checks the parameter rewrite on its own: every $k
// outside quotes becomes the subscriber's k-th value, quoted text and
// identifiers containing $k stay, and the session setting becomes the
// subscriber's session.
func TestMultiplexRewrite(t *testing.T) {
	in := `SELECT ($1::text::int4 + $10::text::int4) AS root FROM t AS "a$1" WHERE x$1 = '$2' AND "$3" = $2::text[]::int4[] AND current_setting('hasura.user', true)::json->>'x' = ''''`
	want := `SELECT _subs.i, _mx.root FROM json_array_elements($1::json) WITH ORDINALITY AS _subs(v, i) LEFT OUTER JOIN LATERAL (` +
		`SELECT ((_subs.v->'a'->>0)::text::int4 + (_subs.v->'a'->>9)::text::int4) AS root FROM t AS "a$1" WHERE x$1 = '$2' AND "$3" = (_subs.v->'a'->>1)::text[]::int4[] AND (_subs.v->>'u')::json->>'x' = ''''` +
		`) AS _mx ON true ORDER BY _subs.i`
	if got := compile.Multiplex(in); got != want {
		t.Errorf("Multiplex:\n got %s\nwant %s", got, want)
	}
	row, err := compile.MultiplexRow([]any{"1", nil, []*string{ptr(`a"b`), nil}}, map[string]string{"x-hasura-user-id": "7"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":["1",null,"{\"a\\\"b\",NULL}"],"u":{"x-hasura-user-id":"7"}}`; string(row) != want {
		t.Errorf("MultiplexRow = %s, want %s", row, want)
	}
}

func ptr(s string) *string { return &s }

// subscriberCase is one subscriber of a multiplexed statement: session
// variables and request variables.
type subscriberCase struct {
	session map[string]string
	vars    string
}

// TestMultiplexEqualsSeparateQueries runs each subscription for several
// subscribers (different session variables and variables) once
// multiplexed and once per subscriber as the executor runs a query, and
// requires the same result for every subscriber.
func TestMultiplexEqualsSeparateQueries(t *testing.T) {
	s, cat := fixture(t)
	url := testdb.New(t, fixtureDDL(cat)+`
INSERT INTO public.t0000 (id, name, created_at, score, parent_id, data, flag, tags)
  SELECT i, 'n' || i, timestamptz '2030-01-01' + i * interval '1 hour', i * 1.5, NULL, jsonb_build_object('i', i), i % 2 = 0, ARRAY['t' || i] FROM generate_series(1, 12) AS i;
INSERT INTO public.t0001 (id, name, created_at, score, parent_id, data, flag)
  SELECT i, 'c' || i, timestamptz '2030-01-01' - i * interval '1 hour', NULL, 1 + i % 5, NULL, i % 3 > 0 FROM generate_series(1, 20) AS i;
INSERT INTO public.t0002 (id, name, created_at, score, parent_id, data, flag)
  SELECT i, 'g' || i, now(), NULL, 1 + i % 7, NULL, i % 4 = 0 FROM generate_series(1, 15) AS i;
`)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	user := func(id, allowed string) map[string]string {
		return map[string]string{"x-hasura-role": "user", "x-hasura-user-id": id, "x-hasura-allowed-ids": allowed}
	}
	subscribers := map[string][]subscriberCase{
		"live_select":       {{user("1", "{}"), `{"n": 5}`}, {user("2", "{}"), `{"n": 1}`}, {user("3", "{}"), `{"n": null}`}, {user("99", "{}"), `{"n": 5}`}},
		"live_by_pk":        {{user("3", "{}"), ""}, {user("4", "{}"), ""}},
		"live_aggregate":    {{user("2", "{}"), ""}, {user("3", "{}"), ""}, {user("4", "{}"), ""}},
		"live_session_list": {{user("1", "{1,2,3}"), ""}, {user("1", "[5, 6]"), ""}, {user("1", "{}"), ""}},
		"stream_one_column": {{user("1", "{}"), ""}, {user("5", "{}"), ""}},
		"stream_two_columns_desc": {{nil, `{"at": "2030-01-01T00:00:00Z"}`}, {nil, `{"at": "2029-12-31T20:00:00Z"}`},
			{nil, `{"at": "2000-01-01T00:00:00Z"}`}},
	}
	for _, c := range subscriptionCases {
		t.Run(c.name, func(t *testing.T) {
			subs := subscribers[c.name]
			if len(subs) < 2 {
				t.Fatalf("no subscribers for %s", c.name)
			}
			var rows []json.RawMessage
			var want []string
			var sql string
			for _, sc := range subs {
				vc := c
				if sc.vars != "" {
					vc.vars = sc.vars
				}
				sub := compileSubscription(t, vc)
				if sql != "" && sub.SQL != sql {
					t.Fatalf("subscribers compile to different SQL:\n%s\n%s", sql, sub.SQL)
				}
				sql = sub.SQL
				op, vars := prepare(t, forRole(t, s, c.role), c.query, decodeVars(t, vc.vars))
				_ = op
				values, err := compile.Values(sub.Args, vars, sc.session)
				if err != nil {
					t.Fatal(err)
				}
				row, err := compile.MultiplexRow(values, sc.session)
				if err != nil {
					t.Fatal(err)
				}
				rows = append(rows, row)
				want = append(want, separately(t, conn, sub.SQL, values, sc.session))
			}
			arr, _ := json.Marshal(rows)
			res, err := conn.Query(ctx, compile.Multiplex(sql), string(arr))
			if err != nil {
				t.Fatalf("multiplexed: %v\n%s", err, compile.Multiplex(sql))
			}
			got, err := pgx.CollectRows(res, func(r pgx.CollectableRow) (string, error) {
				var i int64
				var root []byte
				err := r.Scan(&i, &root)
				if root == nil {
					root = []byte("null")
				}
				return fmt.Sprintf("%d:%s", i, root), err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows for %d subscribers", len(got), len(want))
			}
			distinct := map[string]bool{}
			for i := range want {
				if w := fmt.Sprintf("%d:%s", i+1, want[i]); got[i] != w {
					t.Errorf("subscriber %d: multiplexed %s, alone %s", i+1, got[i], w)
				}
				distinct[want[i]] = true
			}
			if len(distinct) < 2 {
				t.Errorf("every subscriber has the same result %s: the case does not tell subscribers apart", want[0])
			}
		})
	}
}

// separately runs a compiled statement for one subscriber as the executor
// runs a query: hasura.user set, the values bound.
func separately(t *testing.T, conn *pgx.Conn, sql string, values []any, session map[string]string) string {
	t.Helper()
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	sess, _ := json.Marshal(session)
	if _, err := tx.Exec(ctx, "SELECT set_config('hasura.user', $1, true)", string(sess)); err != nil {
		t.Fatal(err)
	}
	var root []byte
	if err := tx.QueryRow(ctx, sql, values...).Scan(&root); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	if root == nil {
		return "null"
	}
	return string(root)
}
