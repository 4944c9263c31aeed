package compile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/internal/testdb"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenCase is one operation whose SQL is kept in testdata/<name>.sql.
type goldenCase struct {
	name  string
	role  string // "" for admin
	query string
	vars  string // JSON, as a request sends them
	opts  compile.Options
}

// goldenCases are one operation per selection form and mutation kind on
// the fixture (see fixture).
var goldenCases = []goldenCase{
	// Queries.
	{name: "select_by_pk", query: `{ t0000_by_pk(id: 1) { id name } }`},
	{name: "select_where_order_limit_offset", query: `{ t0000(where: {name: {_ilike: "%a%"}, score: {_gt: 1}}, order_by: [{created_at: desc}, {id: asc}], limit: 10, offset: 5) { id name } }`},
	{name: "select_distinct_on", query: `{ t0000(distinct_on: [name], order_by: [{name: asc}, {id: desc}]) { id name } }`},
	{name: "select_distinct_on_without_order", query: `{ t0000(distinct_on: [flag, name]) { id } }`},
	{name: "select_object_relationship", query: `{ t0001 { id parent { id name } } }`},
	{name: "select_array_relationship", query: `{ t0000 { id children(where: {flag: {_eq: true}}, order_by: {id: asc}, limit: 3) { id name } } }`},
	{name: "select_nested_relationships", query: `{ t0000(limit: 1) { parent { parent { id } children { id } } } }`},
	{name: "select_aggregate", query: `{ t0000_aggregate(where: {flag: {_eq: true}}) { aggregate { count(columns: [id], distinct: true) sum { score } max { created_at } avg { id } } nodes { id } } }`},
	{name: "select_relationship_aggregate", query: `{ t0000 { id children_aggregate(where: {score: {_is_null: false}}) { aggregate { count min { score } } } } }`},
	{name: "select_where_relationships", query: `{ t0000(where: {_or: [{parent: {name: {_eq: "x"}}}, {children: {id: {_in: [1, 2]}}}], _not: {data: {_has_key: "k"}}}) { id } }`},
	{name: "select_where_aggregate_predicate", query: `{ t0000(where: {children_aggregate: {count: {predicate: {_gt: 2}, filter: {flag: {_eq: true}}, arguments: [id], distinct: true}}}) { id } }`},
	{name: "select_where_jsonb", query: `{ t0000(where: {data: {_contains: {a: 1}, _has_keys_all: ["a", "b"], _cast: {String: {_like: "%x%"}}}}) { id } }`},
	{name: "select_order_by_relationships", query: `{ t0000(order_by: [{parent: {name: asc}}, {children_aggregate: {count: desc}}, {children_aggregate: {max: {score: asc_nulls_first}}}]) { id } }`},
	{name: "select_computed_field", query: `{ t0000 { id label label_x: label(args: {prefix: "x"}) } }`},
	{name: "select_fragments_directives", query: `query($show: Boolean!) { t0000 { ...F name @include(if: $show) ... on t0000 { id flag } } } fragment F on t0000 { id score }`, vars: `{"show": false}`},
	{name: "select_slot_variables", query: `query($id: Int!, $names: [String!], $n: Int) { t0000(where: {id: {_eq: $id}, name: {_in: $names}}, limit: $n) { id } }`, vars: `{"id": 1, "names": ["a", "b"], "n": 3}`},
	{name: "select_input_object_variable", query: `query($w: t0000_bool_exp) { t0000(where: $w) { id } }`, vars: `{"w": {"name": {"_eq": "a"}, "_or": [{"id": {"_gt": 1}}]}}`},
	{name: "select_typename", query: `{ __typename t0000(limit: 1) { __typename id } }`},
	{name: "select_stringify_numeric", query: `{ t0000 { id score } t0000_aggregate { aggregate { sum { score id } max { score } } } }`, opts: compile.Options{StringifyNumeric: true}},
	// Permissions with session variables.
	{name: "role_select", role: "user", query: `{ t0000(limit: 100) { id name label } }`},
	{name: "role_select_relationship_filter", role: "user", query: `{ t0001 { id parent { id } } }`},
	{name: "role_select_session_list", role: "user", query: `{ t0002 { id children { id } } }`},
	{name: "role_aggregate", role: "user", query: `{ t0000_aggregate { aggregate { count } } }`},
	// Mutations.
	{name: "insert", query: `mutation { insert_t0000(objects: [{name: "a", flag: true}, {name: "b", flag: false}]) { affected_rows returning { id name } } }`},
	{name: "insert_mixed_columns", query: `mutation { insert_t0000(objects: [{name: "a", flag: true}, {name: "b", flag: false, score: 2}]) { affected_rows } }`},
	{name: "insert_jsonb_and_array", query: `mutation($d: jsonb) { insert_t0000_one(object: {name: "a", flag: true, data: $d, tags: ["x", "y"]}) { id data tags } }`, vars: `{"d": {"k": [1, "two"]}}`},
	{name: "insert_one_on_conflict_update", query: `mutation { insert_t0000_one(object: {id: 1, name: "a", flag: true}, on_conflict: {constraint: t0000_pkey, update_columns: [name], where: {flag: {_eq: true}}}) { id } }`},
	{name: "insert_on_conflict_do_nothing", query: `mutation { insert_t0000(objects: [{id: 1, name: "a", flag: true}], on_conflict: {constraint: t0000_pkey, update_columns: []}) { affected_rows } }`},
	{name: "insert_returning_relationship", query: `mutation { insert_t0001(objects: [{name: "a", flag: true, parent_id: 1}]) { returning { id parent { id } } } }`},
	{name: "insert_nested_object", query: `mutation { insert_t0001_one(object: {name: "c", flag: true, parent: {data: {name: "p", flag: false}}}) { id parent { id } } }`},
	{name: "insert_nested_array", query: `mutation { insert_t0000_one(object: {name: "p", flag: true, children: {data: [{name: "c1", flag: true}, {name: "c2", flag: false}]}}) { id children { id } } }`},
	{name: "update", query: `mutation { update_t0000(where: {id: {_gt: 1}}, _set: {name: "n"}, _inc: {score: 1}) { affected_rows returning { id } } }`},
	{name: "update_by_pk_jsonb_operators", query: `mutation { update_t0000_by_pk(pk_columns: {id: 1}, _set: {name: "n"}, _append: {data: {a: 1}}) { id } }`},
	{name: "update_jsonb_delete", query: `mutation { a: update_t0000(where: {}, _delete_key: {data: "k"}) { affected_rows } b: update_t0000(where: {}, _delete_elem: {data: 1}) { affected_rows } c: update_t0000(where: {}, _delete_at_path: {data: ["a", "b"]}) { affected_rows } d: update_t0000(where: {}, _prepend: {data: [1]}) { affected_rows } }`},
	{name: "update_many", query: `mutation { update_t0000_many(updates: [{where: {id: {_eq: 1}}, _set: {name: "a"}}, {where: {id: {_eq: 2}}, _inc: {score: 2}}]) { affected_rows } }`},
	{name: "update_returning_relationship", query: `mutation { update_t0000_by_pk(pk_columns: {id: 1}, _set: {name: "n"}) { id parent { id } } }`},
	{name: "delete", query: `mutation { delete_t0000(where: {id: {_eq: 1}}) { affected_rows returning { id } } }`},
	{name: "delete_by_pk_returning_relationship", query: `mutation { delete_t0000_by_pk(id: 1) { id children { id } } }`},
	{name: "role_insert", role: "user", query: `mutation { insert_t0000_one(object: {name: "a", flag: true}) { id } }`},
	{name: "role_upsert", role: "user", query: `mutation { insert_t0000(objects: [{name: "a", flag: true}], on_conflict: {constraint: t0000_pkey, update_columns: [name]}) { affected_rows } }`},
	{name: "role_update", role: "user", query: `mutation { update_t0000(where: {name: {_eq: "a"}}, _set: {name: "b"}) { affected_rows returning { id } } }`},
	{name: "role_delete", role: "user", query: `mutation { delete_t0000(where: {}) { affected_rows } }`},
	{name: "mutation_typename", query: `mutation { __typename delete_t0000_by_pk(id: 1) { __typename } }`},
	// Errors.
	{name: "error_distinct_on_order", query: `{ t0000(distinct_on: [name], order_by: {id: asc}) { id } }`},
	{name: "error_include_null", query: `query($v: Boolean = true) { t0000 { id @include(if: $v) } }`, vars: `{"v": null}`},
	{name: "error_null_comparison", query: `{ t0000(where: {id: {_eq: null}}) { id } }`},
	{name: "error_update_without_operator", query: `mutation { update_t0000(where: {}) { affected_rows } }`},
}

// render is the golden text of a case: each statement with its
// arguments, or the error.
func render(c goldenCase, plan *compile.Plan, err error) string {
	var b strings.Builder
	role := c.role
	if role == "" {
		role = "admin"
	}
	fmt.Fprintf(&b, "-- role: %s\n-- query: %s\n", role, c.query)
	if c.vars != "" {
		fmt.Fprintf(&b, "-- variables: %s\n", c.vars)
	}
	if c.opts != (compile.Options{}) {
		fmt.Fprintf(&b, "-- options: %+v\n", c.opts)
	}
	if err != nil {
		e, ok := hasuraerr.As(err)
		if !ok {
			fmt.Fprintf(&b, "\n-- error (not a hasuraerr.Error): %v\n", err)
			return b.String()
		}
		fmt.Fprintf(&b, "\n-- error: %s at %s: %s\n", e.Code, e.PathOr(), e.Message)
		return b.String()
	}
	for _, f := range plan.Fields {
		if f.Kind == compile.FieldTypename {
			fmt.Fprintf(&b, "\n-- %s: __typename %s\n", f.Alias, f.Typename)
		}
	}
	for _, st := range statements(plan) {
		fmt.Fprintf(&b, "\n-- %s\n%s;\n", st.label, st.sql)
		for _, line := range argLines(st.args) {
			b.WriteString("-- " + line + "\n")
		}
	}
	return b.String()
}

// argLines renders arguments one per line in a stable form.
func argLines(args []compile.Arg) []string {
	lines := make([]string, len(args))
	for i, a := range args {
		m := map[string]any{}
		if a.Var != "" {
			m["var"] = a.Var
		}
		if a.Session != "" {
			m["session"] = a.Session
		}
		if a.List {
			m["list"] = true
		}
		if a.JSON {
			m["json"] = true
		}
		if a.Var == "" && a.Session == "" {
			m["value"] = a.Value
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		line := fmt.Sprintf("$%d", i+1)
		for _, k := range keys {
			v, _ := json.Marshal(m[k])
			line += " " + k + "=" + string(v)
		}
		lines[i] = line
	}
	return lines
}

// decodeVars decodes a case's variables as the handler does (numbers
// as json.Number).
func decodeVars(t *testing.T, raw string) map[string]any {
	t.Helper()
	if raw == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var vars map[string]any
	if err := dec.Decode(&vars); err != nil {
		t.Fatalf("variables %s: %v", raw, err)
	}
	return vars
}

// TestGoldenSQL compiles one operation per selection form and compares
// its SQL and arguments with testdata/<case>.sql (go test
// ./engine/compile -update rewrites them; review the diff).
func TestGoldenSQL(t *testing.T) {
	s, _ := fixture(t)
	seen := map[string]bool{}
	for _, c := range goldenCases {
		if seen[c.name] {
			t.Fatalf("two cases named %s", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			plan, err := compileWith(t, forRole(t, s, c.role), c.query, decodeVars(t, c.vars), c.opts)
			if err != nil && !strings.HasPrefix(c.name, "error_") {
				t.Fatalf("compile: %v", err)
			}
			if err == nil && strings.HasPrefix(c.name, "error_") {
				t.Fatal("compiles; an error was expected")
			}
			got := render(c, plan, err)
			golden := filepath.Join("testdata", c.name+".sql")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("%v (run go test ./engine/compile -update)", rerr)
			}
			if got != string(want) {
				t.Errorf("SQL differs from %s (run go test ./engine/compile -update and review the diff):\n%s", golden, got)
			}
		})
	}
	// No stale golden file.
	files, err := filepath.Glob(filepath.Join("testdata", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".sql"); !seen[name] {
			if *update {
				_ = os.Remove(f)
				continue
			}
			t.Errorf("%s has no case (run go test ./engine/compile -update to remove it)", f)
		}
	}
}

// fixtureDDL creates the fixture's tables and function in PostgreSQL.
func fixtureDDL(cat *catalog.Catalog) string {
	var b bytes.Buffer
	names := make([]string, 0, len(cat.Tables))
	for q := range cat.Tables {
		names = append(names, q.Name)
	}
	sort.Strings(names)
	var fks []string
	for _, name := range names {
		for q, t := range cat.Tables {
			if q.Name != name {
				continue
			}
			var cols []string
			for _, c := range t.Columns {
				cols = append(cols, catalog.QuoteIdent(c.Name)+" "+c.Type.SQL())
			}
			cols = append(cols, "CONSTRAINT "+catalog.QuoteIdent(t.PrimaryKey.Name)+" PRIMARY KEY ("+strings.Join(t.PrimaryKey.Columns, ", ")+")")
			fmt.Fprintf(&b, "CREATE TABLE %s.%s (%s);\n", q.Schema, q.Name, strings.Join(cols, ", "))
			for _, fk := range t.ForeignKeys {
				fks = append(fks, fmt.Sprintf("ALTER TABLE %s.%s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s.%s (%s);\n",
					q.Schema, q.Name, catalog.QuoteIdent(fk.Name), strings.Join(fk.Columns, ", "), fk.RefTable.Schema, fk.RefTable.Name, strings.Join(fk.RefColumns, ", ")))
			}
		}
	}
	for _, fk := range fks {
		b.WriteString(fk)
	}
	b.WriteString("CREATE FUNCTION public.t0000_label(r public.t0000, prefix text DEFAULT '') RETURNS text LANGUAGE sql STABLE AS $$ SELECT prefix || r.name $$;\n")
	return b.String()
}

// TestGoldenSQLPrepares has PostgreSQL parse and plan every golden
// statement (PREPARE, nothing runs) on the fixture's tables: the golden
// SQL is valid SQL for that schema, its parameters included.
func TestGoldenSQLPrepares(t *testing.T) {
	s, cat := fixture(t)
	url := testdb.New(t, fixtureDDL(cat))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	n := 0
	for _, c := range goldenCases {
		plan, err := compileWith(t, forRole(t, s, c.role), c.query, decodeVars(t, c.vars), c.opts)
		if err != nil {
			continue
		}
		for _, st := range statements(plan) {
			n++
			name := fmt.Sprintf("s%d", n)
			if _, err := conn.Prepare(ctx, name, st.sql); err != nil {
				t.Errorf("%s: %s: %v\n%s", c.name, st.label, err, st.sql)
				continue
			}
			if err := conn.Deallocate(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n < len(goldenCases) {
		t.Errorf("only %d statements prepared", n)
	}
}
