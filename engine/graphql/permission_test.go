package graphql

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/schema"
)

// roleModel copies the admin tables, attaching select permissions.
func roleModel(admin *schema.Schema, perms map[string]*schema.SelectPermission) *schema.Schema {
	copies := map[*schema.Table]*schema.Table{}
	for _, tb := range admin.Tables {
		c := *tb
		c.Select = perms[tb.Name.Name]
		copies[tb] = &c
	}
	rs := *admin
	rs.Admin = admin
	rs.Tables = nil
	rs.QueryRoot = map[string]*schema.RootField{}
	for _, tb := range admin.Tables {
		c := copies[tb]
		c.FieldsByName = map[string]schema.Field{}
		c.Relationships = nil
		for _, r := range tb.Relationships {
			rc := *r
			rc.Target = copies[r.Target]
			c.Relationships = append(c.Relationships, &rc)
		}
		for name, f := range tb.FieldsByName {
			if f.Relationship != nil {
				for _, r := range c.Relationships {
					if r.Name == f.Relationship.Name {
						f.Relationship = r
					}
				}
			}
			c.FieldsByName[name] = f
		}
		rs.Tables = append(rs.Tables, c)
	}
	for name, rf := range admin.QueryRoot {
		rs.QueryRoot[name] = &schema.RootField{Kind: rf.Kind, Table: copies[rf.Table]}
	}
	return &rs
}

func runAs(t *testing.T, rs *schema.Schema, session map[string]string, query string) string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.Validate(shared.schema.GraphQL, doc); len(errs) > 0 {
		t.Fatal(errs)
	}
	plan, err := compile.Compile(rs, doc.Operations[0], nil, compile.Options{})
	if err != nil {
		return "compile error: " + err.Error()
	}
	for _, f := range plan.Fields {
		for _, v := range session {
			if strings.Contains(f.SQL, v) {
				t.Fatalf("session value %q appears in SQL text", v)
			}
		}
	}
	ex := &execute.Executor{Pool: shared.pool}
	res, err := ex.Query(context.Background(), plan, nil, session)
	if err != nil {
		return "error: " + err.Error()
	}
	var parts []string
	for _, r := range res {
		parts = append(parts, string(r))
	}
	return compactString(strings.Join(parts, ";"))
}

func compactString(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPermissionFilters(t *testing.T) {
	limit := 1
	rs := roleModel(shared.schema, map[string]*schema.SelectPermission{
		"artist": {Filter: json.RawMessage(`{"country": {"_eq": "X-Hasura-Country"}, "albums_aggregate": {"count": {"predicate": {"_gte": 1}}}}`), AllowAggregations: true},
		"album":  {Filter: json.RawMessage(`{"_or": [{"released": {"_gt": "1990-01-01"}}, {"artist": {"name": {"_like": "Miles%"}}}]}`), Limit: &limit},
		"track":  {Filter: json.RawMessage(`{"_exists": {"_table": {"schema": "public", "name": "genre"}, "_where": {"name": {"_eq": "Rock"}}}, "album_id": {"_in": "X-Hasura-Album-Ids"}}`)},
		"genre":  {Filter: json.RawMessage(`{}`), ColumnFilters: map[string]json.RawMessage{"name": json.RawMessage(`{"id": {"_ceq": "id"}, "name": {"_neq": "Jazz"}}`)}},
	})
	us := map[string]string{"x-hasura-role": "user", "x-hasura-country": "US", "x-hasura-album-ids": "{5,6}"}
	cases := []struct{ name, query, want string }{
		{"row filter from session", `{ artist(order_by: {id: asc}) { name } }`, `[{"name":"Miles Davis"},{"name":"Nina Simone"}]`},
		{"by pk outside filter is null", `{ artist_by_pk(id: 4) { name } }`, `null`},
		{"aggregate respects filter", `{ artist_aggregate { aggregate { count } } }`, `{"aggregate":{"count":2}}`},
		{"limit capped and relationship filtered", `{ artist(where: {id: {_eq: 1}}) { albums(order_by: {id: asc}) { title } } }`, `[{"albums":[{"title":"Kind of Blue"}]}]`},
		{"where through relationship sees only permitted rows", `{ artist(where: {albums: {title: {_eq: "Pastel Blues"}}}) { name } }`, `[]`},
		{"_exists and array session variable", `{ track(order_by: {id: asc}) { id } }`, `[{"id":9},{"id":10},{"id":11},{"id":12}]`},
		{"cell-level null", `{ genre(order_by: {id: asc}, limit: 2) { id name } }`, `[{"id":1,"name":null},{"id":2,"name":"Soul"}]`},
		{"hidden cell cannot be filtered on", `{ genre(where: {name: {_eq: "Jazz"}}) { id } }`, `[]`},
		{"hidden cell does not order", `{ genre(order_by: [{name: asc_nulls_first}, {id: desc}], limit: 1) { id } }`, `[{"id":1}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := runAs(t, rs, us, tc.query); got != tc.want {
				t.Errorf("got %s\nwant %s", got, tc.want)
			}
		})
	}
	t.Run("missing session variable", func(t *testing.T) {
		got := runAs(t, rs, map[string]string{"x-hasura-role": "user"}, `{ artist { name } }`)
		if !strings.Contains(got, `missing session variable: "x-hasura-country"`) {
			t.Errorf("got %s", got)
		}
	})
	t.Run("injection through session values", func(t *testing.T) {
		for _, v := range []string{`US' OR '1'='1`, `\'; DROP TABLE artist; --`, "nul\x00", "ünï ☃"} {
			got := runAs(t, rs, map[string]string{"x-hasura-country": v, "x-hasura-album-ids": "{1}"}, `{ artist { name } }`)
			if got != "[]" && !strings.HasPrefix(got, "error: ") {
				t.Errorf("session value %q leaked rows: %s", v, got)
			}
		}
	})
}
