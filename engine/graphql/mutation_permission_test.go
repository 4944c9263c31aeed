package graphql

import (
	"context"
	"strings"
	"testing"
)

// mutationPermMetadata gives role "user" select, insert, update and
// delete permissions on article (its own rows, through the session's user
// id), select on author and nothing else.
const mutationPermMetadata = `{
  "version": 3,
  "sources": [{"name": "default", "kind": "postgres", "tables": [
    {"table": {"schema": "public", "name": "author"},
     "array_relationships": [{"name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}],
     "select_permissions": [{"role": "user", "permission": {"columns": ["id", "name"], "filter": {}}}]},
    {"table": {"schema": "public", "name": "article"},
     "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
     "select_permissions": [{"role": "user", "permission": {"columns": ["id", "title", "author_id", "published"], "filter": {"published": {"_eq": true}}}}],
     "insert_permissions": [{"role": "user", "permission": {
       "check": {"_and": [{"author_id": {"_eq": "X-Hasura-User-Id"}}, {"title": {"_nilike": "%forbidden%"}}]},
       "columns": ["title", "published", "views"], "set": {"author_id": "X-Hasura-User-Id"}}}],
     "update_permissions": [{"role": "user", "permission": {
       "columns": ["title"], "filter": {"author_id": {"_eq": "X-Hasura-User-Id"}},
       "check": {"title": {"_nilike": "%bad%"}}, "set": {"published": "false"}}}],
     "delete_permissions": [{"role": "user", "permission": {"filter": {"author_id": {"_eq": "X-Hasura-User-Id"}}}}]},
    {"table": {"schema": "public", "name": "comment"}}
  ]}]
}`

func TestMutationPermissions(t *testing.T) {
	e := newMutationEnv(t)
	ctx := context.Background()
	h := e.handlerFor(t, mutationPermMetadata)
	user := &Session{Role: "user", Vars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "1"}}
	run := func(q string) string {
		return string(h.execute(ctx, &Request{Query: q}, user))
	}

	t.Run("schema", func(t *testing.T) {
		rs, err := schemaOf(h).ForRole("user")
		if err != nil {
			t.Fatal(err)
		}
		m := rs.GraphQL.Mutation
		if m == nil {
			t.Fatal("no mutation_root for user")
		}
		var names []string
		for _, f := range m.Fields {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, " "); got != "delete_article delete_article_by_pk insert_article insert_article_one update_article update_article_by_pk update_article_many" {
			t.Errorf("user's mutation_root: %s", got)
		}
		var fields []string
		for _, f := range rs.GraphQL.Types["article_insert_input"].Fields {
			fields = append(fields, f.Name)
		}
		if got := strings.Join(fields, " "); got != "published title views" {
			t.Errorf("article_insert_input: %s", got)
		}
		if set := rs.GraphQL.Types["article_set_input"]; set == nil || len(set.Fields) != 1 || set.Fields[0].Name != "title" {
			t.Errorf("article_set_input: %+v", set)
		}
	})
	cases := []struct {
		name, query, want string
		check, checkWant  string
	}{
		{name: "insert takes presets from the session and passes the check",
			query: `mutation { insert_article_one(object: {title: "Mine", published: true}) { title author_id published } }`,
			want:  `{"data":{"insert_article_one":{"title":"Mine","author_id":1,"published":true}}}`},
		{name: "returning hides rows the role may not select",
			query: `mutation { insert_article(objects: [{title: "Draft", views: 3}]) { affected_rows returning { title } } }`,
			want:  `{"data":{"insert_article":{"affected_rows":1,"returning":[]}}}`,
			check: `SELECT views FROM article WHERE title = 'Draft'`, checkWant: `3`},
		{name: "insert check failure",
			query: `mutation { insert_article(objects: [{title: "ok"}, {title: "a forbidden title"}]) { affected_rows } }`,
			want:  `{"errors":[{"message":"check constraint of an insert/update permission has failed","extensions":{"code":"permission-error","path":"$"}}]}`},
		{name: "update is limited by the filter and applies presets",
			query: `mutation { update_article(where: {title: {_in: ["First", "Third"]}}, _set: {title: "Renamed"}) { affected_rows } }`,
			want:  `{"data":{"update_article":{"affected_rows":1}}}`,
			check: `SELECT json_agg(json_build_array(title, published) ORDER BY id) FROM article`, checkWant: `[["Renamed",false],["Second",false],["Third",true]]`},
		{name: "update check failure",
			query: `mutation { update_article_by_pk(pk_columns: {id: 1}, _set: {title: "bad"}) { id } }`,
			want:  `{"errors":[{"message":"check constraint of an insert/update permission has failed","extensions":{"code":"permission-error","path":"$"}}]}`},
		{name: "update of another user's row affects nothing",
			query: `mutation { update_article_by_pk(pk_columns: {id: 3}, _set: {title: "Stolen"}) { id } }`,
			want:  `{"data":{"update_article_by_pk":null}}`},
		{name: "delete is limited by the filter",
			query: `mutation { a: delete_article(where: {title: {_in: ["Second", "Third"]}}) { affected_rows } }`,
			want:  `{"data":{"a":{"affected_rows":1}}}`,
			check: `SELECT count(*) FROM article`, checkWant: `2`},
		{name: "columns outside the permission are refused",
			query: `mutation { insert_article(objects: [{title: "x", author_id: 2}]) { affected_rows } }`,
			want:  `"code":"validation-failed"`},
		{name: "tables without a mutation permission have no fields",
			query: `mutation { insert_author(objects: [{name: "x"}]) { affected_rows } }`,
			want:  `"code":"validation-failed"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.reset(t)
			before := e.state(t)
			got := compactString(run(tc.query))
			if !strings.Contains(got, compactString(tc.want)) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if strings.Contains(got, `"errors"`) {
				if after := e.state(t); after != before {
					t.Errorf("a failed mutation changed the database")
				}
			}
			if tc.check != "" {
				if got := e.sql(t, tc.check); got != tc.checkWant {
					t.Errorf("%s: got %s, want %s", tc.check, got, tc.checkWant)
				}
			}
		})
	}
}
