package graphql

import (
	"context"
	"strings"
	"testing"
)

// writeOnlyMetadata: role "writer" may insert, update and delete its own
// articles but select none (it selects authors); role "upserter" selects,
// inserts and updates articles, with an insert check (views < 100), an
// update filter (published articles) and an update check (views < 50);
// role "inserter" may only insert.
const writeOnlyMetadata = `{
  "version": 3,
  "sources": [{"name": "default", "kind": "postgres", "tables": [
    {"table": {"schema": "public", "name": "author"},
     "array_relationships": [{"name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}],
     "select_permissions": [
       {"role": "writer", "permission": {"columns": ["id", "name"], "filter": {}}},
       {"role": "upserter", "permission": {"columns": ["name"], "filter": {}}}]},
    {"table": {"schema": "public", "name": "article"},
     "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
     "select_permissions": [{"role": "upserter", "permission": {"columns": "*", "filter": {}}}],
     "insert_permissions": [
       {"role": "writer", "permission": {"columns": ["title", "published"], "check": {"author_id": "X-Hasura-User-Id"}, "set": {"author_id": "X-Hasura-User-Id"}}},
       {"role": "upserter", "permission": {"columns": ["title", "author_id", "views"], "check": {"views": {"_lt": 100}}}},
       {"role": "inserter", "permission": {"columns": ["title", "author_id"], "check": {}}}],
     "update_permissions": [
       {"role": "writer", "permission": {"columns": ["title"], "filter": {"author_id": "X-Hasura-User-Id"}, "check": {"title": {"_nilike": "%bad%"}}}},
       {"role": "upserter", "permission": {"columns": ["title", "views"], "filter": {"published": {"_eq": true}}, "check": {"views": {"_lt": 50}}}}],
     "delete_permissions": [
       {"role": "writer", "permission": {"filter": {"author_id": "X-Hasura-User-Id"}}}]}
  ]}]
}`

// TestWriteOnlyAndUpsertPermissions: a role that may write a table but
// not select it gets the mutation fields answering affected_rows only;
// an upsert checks the update permission on the rows it updates.
func TestWriteOnlyAndUpsertPermissions(t *testing.T) {
	e := newMutationEnv(t)
	ctx := context.Background()
	h := e.handlerFor(t, writeOnlyMetadata)
	as := func(role, user string) *Session {
		return &Session{Role: role, Vars: map[string]string{"x-hasura-role": role, "x-hasura-user-id": user}}
	}

	t.Run("introspection of the writer", func(t *testing.T) {
		got := compactString(string(h.execute(ctx, &Request{Query: `{
		  m: __schema { mutationType { fields { name args { name } } } }
		  r: __type(name: "article_mutation_response") { fields { name } }
		  b: __type(name: "article_bool_exp") { inputFields { name } }
		  i: __type(name: "article_insert_input") { inputFields { name } }
		  a: __type(name: "article") { name }
		  au: __type(name: "author") { fields { name } }
		  q: __schema { queryType { fields { name } } }
		}`}, as("writer", "1"))))
		want := compactString(`{"data":{
		  "m":{"mutationType":{"fields":[
		    {"name":"delete_article","args":[{"name":"where"}]},
		    {"name":"insert_article","args":[{"name":"objects"},{"name":"on_conflict"}]},
		    {"name":"update_article","args":[{"name":"_set"},{"name":"where"}]},
		    {"name":"update_article_many","args":[{"name":"updates"}]}]}},
		  "r":{"fields":[{"name":"affected_rows"}]},
		  "b":{"inputFields":[{"name":"_and"},{"name":"_not"},{"name":"_or"}]},
		  "i":{"inputFields":[{"name":"published"},{"name":"title"}]},
		  "a":null,
		  "au":{"fields":[{"name":"id"},{"name":"name"}]},
		  "q":{"queryType":{"fields":[{"name":"author"},{"name":"author_by_pk"}]}}}}`)
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})

	cases := []struct {
		name, role, user, query, want string
		check, checkWant              string
	}{
		{name: "writer inserts and counts", role: "writer", user: "1",
			query: `mutation { insert_article(objects: [{title: "W1"}, {title: "W2", published: true}]) { affected_rows } }`,
			want:  `{"data":{"insert_article":{"affected_rows":2}}}`,
			check: `SELECT json_agg(author_id ORDER BY id) FROM article WHERE title LIKE 'W%'`, checkWant: `[1,1]`},
		{name: "writer updates its own rows", role: "writer", user: "2",
			query: `mutation { update_article(where: {}, _set: {title: "Mine"}) { affected_rows } }`,
			want:  `{"data":{"update_article":{"affected_rows":1}}}`,
			check: `SELECT json_agg(title ORDER BY id) FROM article`, checkWant: `["First","Second","Mine"]`},
		{name: "writer upserts without reading", role: "writer", user: "1",
			query: `mutation { insert_article(objects: [{title: "First"}], on_conflict: {constraint: article_author_title_key, update_columns: [title]}) { affected_rows } }`,
			want:  `{"data":{"insert_article":{"affected_rows":1}}}`},
		{name: "writer's update check", role: "writer", user: "1",
			query: `mutation { update_article(where: {}, _set: {title: "bad"}) { affected_rows } }`,
			want:  `{"errors":[{"message":"check constraint of an insert/update permission has failed","extensions":{"code":"permission-error","path":"$"}}]}`},
		{name: "writer deletes its own rows", role: "writer", user: "2",
			query: `mutation { delete_article(where: {_and: [{}]}) { affected_rows } }`,
			want:  `{"data":{"delete_article":{"affected_rows":1}}}`,
			check: `SELECT count(*) FROM article`, checkWant: `2`},
		{name: "writer's many updates", role: "writer", user: "2",
			query: `mutation { update_article_many(updates: [{where: {}, _set: {title: "A"}}, {where: {_not: {}}, _set: {title: "B"}}]) { affected_rows } }`,
			want:  `{"data":{"update_article_many":[{"affected_rows":1},{"affected_rows":0}]}}`},
		{name: "writer cannot read back through returning", role: "writer", user: "1",
			query: `mutation { insert_article(objects: [{title: "W"}]) { affected_rows returning { id } } }`,
			want:  `{"errors":[{"message":"field 'returning' not found in type: 'article_mutation_response'","extensions":{"code":"validation-failed","path":"$.selectionSet.insert_article.selectionSet.returning"}}]}`},
		{name: "writer has no insert_one", role: "writer", user: "1",
			query: `mutation { insert_article_one(object: {title: "W"}) { __typename } }`,
			want:  `{"errors":[{"message":"field 'insert_article_one' not found in type: 'mutation_root'","extensions":{"code":"validation-failed","path":"$.selectionSet.insert_article_one"}}]}`},
		{name: "writer has no by_pk fields", role: "writer", user: "1",
			query: `mutation { delete_article_by_pk(id: 1) { __typename } }`,
			want:  `{"errors":[{"message":"field 'delete_article_by_pk' not found in type: 'mutation_root'","extensions":{"code":"validation-failed","path":"$.selectionSet.delete_article_by_pk"}}]}`},
		{name: "writer cannot filter on columns it cannot read", role: "writer", user: "1",
			query: `mutation { delete_article(where: {title: {_eq: "First"}}) { affected_rows } }`,
			want:  `"code":"validation-failed"`},
		{name: "writer cannot read through a relationship", role: "writer", user: "1",
			query: `{ author { articles { id } } }`,
			want:  `{"errors":[{"message":"field 'articles' not found in type: 'author'","extensions":{"code":"validation-failed","path":"$.selectionSet.author.selectionSet.articles"}}]}`},
		{name: "writer has no query root field for the table", role: "writer", user: "1",
			query: `{ article { id } }`,
			want:  `{"errors":[{"message":"field 'article' not found in type: 'query_root'","extensions":{"code":"validation-failed","path":"$.selectionSet.article"}}]}`},
		{name: "no upsert without update permission", role: "inserter", user: "1",
			query: `mutation { insert_article(objects: [{title: "x", author_id: 1}], on_conflict: {constraint: article_pkey, update_columns: []}) { affected_rows } }`,
			want:  `{"errors":[{"message":"'insert_article' has no argument named 'on_conflict'","extensions":{"code":"validation-failed","path":"$.selectionSet.insert_article"}}]}`},
		{name: "upsert updating a row checks the update permission", role: "upserter", user: "1",
			query: `mutation { insert_article(objects: [{title: "First", author_id: 1, views: 70}], on_conflict: {constraint: article_author_title_key, update_columns: [views]}) { affected_rows } }`,
			want:  `{"errors":[{"message":"check constraint of an insert/update permission has failed","extensions":{"code":"permission-error","path":"$"}}]}`},
		{name: "upsert updating a row within the update check", role: "upserter", user: "1",
			query: `mutation { insert_article(objects: [{title: "First", author_id: 1, views: 30}], on_conflict: {constraint: article_author_title_key, update_columns: [views]}) { affected_rows returning { title views } } }`,
			want:  `{"data":{"insert_article":{"affected_rows":1,"returning":[{"title":"First","views":30}]}}}`,
			check: `SELECT views FROM article WHERE id = 1`, checkWant: `30`},
		{name: "upsert inserting a row checks the insert permission only", role: "upserter", user: "1",
			query: `mutation { insert_article(objects: [{title: "First", author_id: 1, views: 20}, {title: "New", author_id: 1, views: 70}], on_conflict: {constraint: article_author_title_key, update_columns: [views]}) { affected_rows } }`,
			want:  `{"data":{"insert_article":{"affected_rows":2}}}`,
			check: `SELECT json_agg(views ORDER BY id) FROM article`, checkWant: `[20,0,5,70]`},
		{name: "upsert inserting a row failing the insert check", role: "upserter", user: "1",
			query: `mutation { insert_article_one(object: {title: "New", author_id: 1, views: 120}, on_conflict: {constraint: article_author_title_key, update_columns: [views]}) { id } }`,
			want:  `{"errors":[{"message":"check constraint of an insert/update permission has failed","extensions":{"code":"permission-error","path":"$"}}]}`},
		{name: "upsert does not update rows outside the update filter", role: "upserter", user: "1",
			query: `mutation { insert_article(objects: [{title: "Second", author_id: 1, views: 10}], on_conflict: {constraint: article_author_title_key, update_columns: [views]}) { affected_rows } }`,
			want:  `{"data":{"insert_article":{"affected_rows":0}}}`,
			check: `SELECT views FROM article WHERE id = 2`, checkWant: `0`},
		{name: "upsert with a relationship in returning checks the update permission", role: "upserter", user: "1",
			query: `mutation { insert_article(objects: [{title: "First", author_id: 1, views: 60}], on_conflict: {constraint: article_author_title_key, update_columns: [views], where: {views: {_gt: 0}}}) { affected_rows returning { author { name } } } }`,
			want:  `"code":"permission-error"`},
		{name: "upsert with a relationship in returning", role: "upserter", user: "1",
			query: `mutation { insert_article(objects: [{title: "First", author_id: 1, views: 40}], on_conflict: {constraint: article_author_title_key, update_columns: [views], where: {views: {_gt: 0}}}) { affected_rows returning { views author { name } } } }`,
			want:  `{"data":{"insert_article":{"affected_rows":1,"returning":[{"views":40,"author":{"name":"Ann"}}]}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.reset(t)
			before := e.state(t)
			got := compactString(string(h.execute(ctx, &Request{Query: tc.query}, as(tc.role, tc.user))))
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
