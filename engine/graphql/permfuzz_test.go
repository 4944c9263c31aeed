package graphql

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
	"github.com/stratagql/strata/internal/testdb"
)

// The permission fuzz: random queries per role and session over a
// multi-tenant fixture (testdata/tenants.*), each answer checked against an
// oracle computed with plain SQL as admin: no row, column or cell a role
// may not see is ever returned, and every returned value is the stored one.
// `make test` runs a seeded sample; `make test-permissions-fuzz` runs
// STRATA_PERM_FUZZ_QUERIES (default 10,000) of them.

// role describes what the oracle knows of one role's permissions.
type fuzzRole struct {
	name string
	// columns per table the role may select (absent table: none).
	columns map[string][]string
	// rels per table: relationship name -> target table.
	rels map[string]map[string]string
	aggs map[string]bool
}

var fuzzRoles = []fuzzRole{
	{name: "member",
		columns: map[string][]string{"org": {"id", "name"}, "project": {"id", "org_id", "name"}, "task": {"id", "project_id", "title", "done"}},
		rels:    map[string]map[string]string{"org": {"projects": "project"}, "project": {"org": "org", "tasks": "task"}, "task": {"project": "project"}},
		aggs:    map[string]bool{"task": true}},
	{name: "owner",
		columns: map[string][]string{"project": {"id", "name", "budget"}, "task": {"id", "project_id", "owner_id", "title", "done", "points"}},
		rels:    map[string]map[string]string{"project": {"tasks": "task"}, "task": {"project": "project"}},
		aggs:    map[string]bool{"project": true}},
	{name: "both",
		columns: map[string][]string{"org": {"id", "name"}, "project": {"id", "org_id", "name", "budget"}, "task": {"id", "project_id", "owner_id", "title", "done", "points"}},
		rels:    map[string]map[string]string{"org": {"projects": "project"}, "project": {"org": "org", "tasks": "task"}, "task": {"project": "project"}},
		aggs:    map[string]bool{"task": true, "project": true}},
}

// allColumns of each table with their kind for value generation.
var allColumns = map[string]map[string]string{
	"org":     {"id": "int", "name": "text"},
	"project": {"id": "int", "org_id": "int", "name": "text", "secret": "text", "budget": "numeric"},
	"task":    {"id": "int", "project_id": "int", "owner_id": "int", "title": "text", "done": "bool", "points": "int"},
}

// oracle holds every row as admin sees it and each role-session's
// visible row ids and cells.
type oracle struct {
	rows map[string]map[float64]map[string]any
	// visible[table][id] for one session; cell[table][id][column].
	visible map[string]map[float64]bool
	cell    map[string]map[float64]map[string]bool
}

func loadRows(ctx context.Context, pool *pgxpool.Pool) (map[string]map[float64]map[string]any, error) {
	out := map[string]map[float64]map[string]any{}
	for table := range allColumns {
		var raw []byte
		if err := pool.QueryRow(ctx, "SELECT json_agg(t) FROM "+table+" t").Scan(&raw); err != nil {
			return nil, err
		}
		var rows []map[string]any
		if err := json.Unmarshal(raw, &rows); err != nil {
			return nil, err
		}
		out[table] = map[float64]map[string]any{}
		for _, r := range rows {
			out[table][r["id"].(float64)] = r
		}
	}
	return out, nil
}

// sessionOracle computes, with SQL as admin, what role may see for the
// session (org, user).
func sessionOracle(ctx context.Context, pool *pgxpool.Pool, rows map[string]map[float64]map[string]any, role fuzzRole, org, user int) (*oracle, error) {
	member := map[string]string{
		"org":     "SELECT id FROM org WHERE id = $1",
		"project": "SELECT id FROM project WHERE org_id = $1",
		"task":    "SELECT t.id FROM task t JOIN project p ON p.id = t.project_id WHERE p.org_id = $1",
	}
	owner := map[string]string{
		"project": "SELECT DISTINCT project_id FROM task WHERE owner_id = $2",
		"task":    "SELECT id FROM task WHERE owner_id = $2",
	}
	parents := map[string][]map[string]string{"member": {member}, "owner": {owner}, "both": {member, owner}}[role.name]
	parentRoles := map[string][]fuzzRole{"member": {fuzzRoles[0]}, "owner": {fuzzRoles[1]}, "both": {fuzzRoles[0], fuzzRoles[1]}}[role.name]
	o := &oracle{rows: rows, visible: map[string]map[float64]bool{}, cell: map[string]map[float64]map[string]bool{}}
	for table := range allColumns {
		o.visible[table] = map[float64]bool{}
		o.cell[table] = map[float64]map[string]bool{}
		for i, p := range parents {
			q, ok := p[table]
			if !ok {
				continue
			}
			r, err := pool.Query(ctx, q+" AND $1::int IS NOT NULL AND $2::int IS NOT NULL", org, user)
			if err != nil {
				return nil, fmt.Errorf("oracle %s: %w", table, err)
			}
			for r.Next() {
				var id int
				if err := r.Scan(&id); err != nil {
					return nil, err
				}
				fid := float64(id)
				o.visible[table][fid] = true
				if o.cell[table][fid] == nil {
					o.cell[table][fid] = map[string]bool{}
				}
				for _, c := range parentRoles[i].columns[table] {
					o.cell[table][fid][c] = true
				}
			}
			r.Close()
		}
	}
	return o, nil
}

// selection is a generated query's shape, for checking its answer.
type selection struct {
	table  string
	fields []string
	rels   []relSelection
}

type relSelection struct {
	name   string
	target *selection
}

type generator struct {
	r    *rand.Rand
	role fuzzRole
}

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *generator) value(kind string) string {
	switch kind {
	case "int":
		return strconv.Itoa(g.r.IntN(160) - 5)
	case "bool":
		return strconv.FormatBool(g.r.IntN(2) == 0)
	case "numeric":
		return strconv.Itoa(g.r.IntN(1100))
	}
	words := []string{"task", "project", "urgent", "1", "org", "%", "x'y", `a\"b`}
	b, _ := json.Marshal(g.pick(words))
	return string(b)
}

func (g *generator) where(table string, depth int) string {
	cols := g.role.columns[table]
	var conds []string
	for range g.r.IntN(3) {
		c := g.pick(cols)
		kind := allColumns[table][c]
		var op string
		switch kind {
		case "int", "numeric":
			op = g.pick([]string{"_eq", "_neq", "_gt", "_lt", "_gte", "_lte", "_in", "_nin", "_is_null"})
		case "bool":
			op = g.pick([]string{"_eq", "_neq", "_is_null"})
		default:
			op = g.pick([]string{"_eq", "_like", "_ilike", "_nlike", "_in", "_is_null", "_regex"})
		}
		v := g.value(kind)
		switch op {
		case "_in", "_nin":
			v = "[" + v + ", " + g.value(kind) + "]"
		case "_is_null":
			v = strconv.FormatBool(g.r.IntN(2) == 0)
		}
		conds = append(conds, fmt.Sprintf("{%s: {%s: %s}}", c, op, v))
	}
	if rels := g.role.rels[table]; depth < 1 && len(rels) > 0 && g.r.IntN(3) == 0 {
		names := sortedKeys(rels)
		name := g.pick(names)
		conds = append(conds, fmt.Sprintf("{%s: %s}", name, g.where(rels[name], depth+1)))
	}
	switch len(conds) {
	case 0:
		return "{}"
	case 1:
		return conds[0]
	}
	return "{" + g.pick([]string{"_and", "_or"}) + ": [" + strings.Join(conds, ", ") + "]}"
}

func (g *generator) selection(table string, depth int) (*selection, string) {
	sel := &selection{table: table, fields: []string{"id"}}
	for _, c := range g.role.columns[table] {
		if c != "id" && g.r.IntN(2) == 0 {
			sel.fields = append(sel.fields, c)
		}
	}
	parts := append([]string{}, sel.fields...)
	if rels := g.role.rels[table]; depth < 2 && len(rels) > 0 && g.r.IntN(2) == 0 {
		name := g.pick(sortedKeys(rels))
		sub, text := g.selection(rels[name], depth+1)
		args := ""
		if name == "tasks" || name == "projects" {
			args = g.args(rels[name])
		}
		sel.rels = append(sel.rels, relSelection{name: name, target: sub})
		parts = append(parts, name+args+" { "+text+" }")
	}
	return sel, strings.Join(parts, " ")
}

func (g *generator) args(table string) string {
	var a []string
	if g.r.IntN(2) == 0 {
		a = append(a, "where: "+g.where(table, 0))
	}
	if g.r.IntN(2) == 0 {
		a = append(a, fmt.Sprintf("order_by: {%s: %s}", g.pick(g.role.columns[table]), g.pick([]string{"asc", "desc_nulls_last"})))
	}
	if g.r.IntN(3) == 0 {
		a = append(a, "limit: "+strconv.Itoa(g.r.IntN(40)))
	}
	if len(a) == 0 {
		return ""
	}
	return "(" + strings.Join(a, ", ") + ")"
}

// query returns a random query; aggregate is set for _aggregate queries.
func (g *generator) query() (q string, sel *selection, aggregate bool) {
	tables := sortedKeys(g.role.columns)
	table := g.pick(tables)
	if g.role.aggs[table] && g.r.IntN(5) == 0 {
		return fmt.Sprintf("{ %s_aggregate%s { aggregate { count } nodes { id } } }", table, g.args(table)), &selection{table: table, fields: []string{"id"}}, true
	}
	sel, text := g.selection(table, 0)
	return "{ " + table + g.args(table) + " { " + text + " } }", sel, false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// check verifies one answered object list against the oracle.
func (o *oracle) check(sel *selection, items []any) error {
	for _, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: not an object: %v", sel.table, it)
		}
		id, _ := obj["id"].(float64)
		if !o.visible[sel.table][id] {
			return fmt.Errorf("LEAK: %s row %v is not visible to this session", sel.table, obj["id"])
		}
		for k, v := range obj {
			if k == "id" {
				continue
			}
			var rel *relSelection
			for i := range sel.rels {
				if sel.rels[i].name == k {
					rel = &sel.rels[i]
				}
			}
			if rel != nil {
				var sub []any
				switch x := v.(type) {
				case nil:
				case []any:
					sub = x
				default:
					sub = []any{x}
				}
				if err := o.check(rel.target, sub); err != nil {
					return fmt.Errorf("%s.%s: %w", sel.table, k, err)
				}
				continue
			}
			if !contains(sel.fields, k) {
				return fmt.Errorf("LEAK: unrequested key %s.%s", sel.table, k)
			}
			if !o.cell[sel.table][id][k] {
				if v != nil {
					return fmt.Errorf("LEAK: cell %s[%v].%s = %v is hidden from this session", sel.table, id, k, v)
				}
				continue
			}
			want, _ := json.Marshal(o.rows[sel.table][id][k])
			got, _ := json.Marshal(v)
			if string(want) != string(got) {
				return fmt.Errorf("wrong value %s[%v].%s: got %s, stored %s", sel.table, id, k, got, want)
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestPermissionFuzz(t *testing.T) {
	n := 200
	if v := os.Getenv("STRATA_PERM_FUZZ_QUERIES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	fixture, _ := os.ReadFile("testdata/tenants.sql")
	url := testdb.New(t, string(fixture))
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	admin, err := buildSchema(ctx, pool, "testdata/tenants_metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(admin.Inconsistencies) > 0 {
		t.Fatalf("fixture metadata inconsistent: %+v", admin.Inconsistencies)
	}
	authn, err := auth.New(ctx, auth.Config{AdminSecrets: []string{"fuzz-secret"}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer authn.Close()
	h := &Handler{
		Schema: func() (*schema.Schema, int64) { return admin, 1 },
		Exec:   &execute.Executor{Pool: pool},
		Opts:   compile.Options{},
		Authenticate: func(r *http.Request, body []byte) (*Session, *hasuraerr.Error) {
			return authn.Authenticate(r.Context(), r.Header, body)
		},
	}
	rows, err := loadRows(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	oracles := map[string]*oracle{}
	leaks, checked, rejected := 0, 0, 0
	for i := range n {
		role := fuzzRoles[r.IntN(len(fuzzRoles))]
		org, user := 1+r.IntN(3), 1+r.IntN(6)
		key := fmt.Sprintf("%s/%d/%d", role.name, org, user)
		o := oracles[key]
		if o == nil {
			if o, err = sessionOracle(ctx, pool, rows, role, org, user); err != nil {
				t.Fatal(err)
			}
			oracles[key] = o
		}
		g := &generator{r: r, role: role}
		q, sel, aggregate := g.query()
		body, _ := json.Marshal(map[string]string{"query": q})
		req := httptest.NewRequest("POST", "/v1/graphql", strings.NewReader(string(body)))
		req.Header.Set("X-Hasura-Admin-Secret", "fuzz-secret")
		req.Header.Set("X-Hasura-Role", role.name)
		req.Header.Set("X-Hasura-Org-Id", strconv.Itoa(org))
		req.Header.Set("X-Hasura-User-Id", strconv.Itoa(user))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var resp struct {
			Data   map[string]any   `json:"data"`
			Errors []map[string]any `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("query %d: bad response %s", i, rec.Body.String())
		}
		if resp.Errors != nil {
			// Only data errors from random values are expected (e.g. a bad regex).
			code, _ := resp.Errors[0]["extensions"].(map[string]any)["code"].(string)
			if code != "data-exception" && code != "postgres-error" {
				t.Fatalf("query %d as %s: %s\n%s", i, key, rec.Body.String(), q)
			}
			rejected++
			continue
		}
		for _, v := range resp.Data {
			var items []any
			if aggregate {
				agg := v.(map[string]any)
				items, _ = agg["nodes"].([]any)
				count := agg["aggregate"].(map[string]any)["count"].(float64)
				if int(count) > len(o.visible[sel.table]) {
					t.Errorf("LEAK: query %d as %s counts %v rows, only %d visible\n%s", i, key, count, len(o.visible[sel.table]), q)
					leaks++
				}
			} else {
				items, _ = v.([]any)
			}
			if err := o.check(sel, items); err != nil {
				leaks++
				t.Errorf("query %d as %s: %v\n%s", i, key, err, q)
			}
		}
		checked++
	}
	t.Logf("%d generated queries, %d answered and checked, %d rejected by the database, %d leaks", n, checked, rejected, leaks)
	if checked < n*8/10 {
		t.Errorf("only %d of %d queries were answered", checked, n)
	}
}
