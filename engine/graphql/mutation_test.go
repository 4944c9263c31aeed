package graphql

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
	"github.com/stratagql/strata/internal/testdb"
)

// mutationSQL is the mutation tests' database: unique, check, foreign key
// and not-null constraints, jsonb and array columns, a trigger reading the
// session, an auto-updatable view and a view that is not.
const mutationSQL = `
CREATE TABLE author (
  id         serial PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  rating     int CHECK (rating >= 0),
  info       jsonb NOT NULL DEFAULT '{}',
  tags       text[],
  created_by text
);
CREATE TABLE article (
  id        serial PRIMARY KEY,
  title     text NOT NULL,
  author_id int NOT NULL REFERENCES author(id),
  views     int NOT NULL DEFAULT 0,
  published boolean NOT NULL DEFAULT false,
  CONSTRAINT article_author_title_key UNIQUE (author_id, title)
);
CREATE TABLE comment (
  id           serial PRIMARY KEY,
  article_id   int NOT NULL REFERENCES article(id),
  body         text NOT NULL,
  commenter_id int REFERENCES author(id)
);
CREATE TABLE audit (
  id   serial PRIMARY KEY,
  tbl  text NOT NULL,
  op   text NOT NULL,
  who  text
);
CREATE FUNCTION stamp_author() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_by := nullif(current_setting('hasura.user', true), '')::json->>'x-hasura-user-id';
  INSERT INTO audit (tbl, op, who) VALUES (TG_TABLE_NAME, TG_OP, nullif(current_setting('hasura.user', true), ''));
  RETURN NEW;
END $$;
CREATE TRIGGER author_stamp BEFORE INSERT OR UPDATE ON author FOR EACH ROW EXECUTE FUNCTION stamp_author();
CREATE TABLE bench (
  id      serial PRIMARY KEY,
  name    text NOT NULL,
  value   int,
  created timestamptz NOT NULL DEFAULT now()
);
CREATE VIEW article_titles AS SELECT id, title, author_id FROM article;
CREATE VIEW author_counts AS SELECT author_id, count(*) AS n FROM article GROUP BY author_id;
`

// mutationSeed resets the data before each case.
const mutationSeed = `
TRUNCATE audit, comment, article, author RESTART IDENTITY CASCADE;
INSERT INTO author (name, rating, info, tags) VALUES
  ('Ann', 5, '{"a": 1, "b": [1, 2, 3], "c": {"d": 1}}', '{x,y}'),
  ('Bob', 3, '{}', NULL);
INSERT INTO article (title, author_id, views, published) VALUES
  ('First', 1, 10, true), ('Second', 1, 0, false), ('Third', 2, 5, true);
INSERT INTO comment (article_id, body, commenter_id) VALUES (1, 'nice', 2);
TRUNCATE audit;
`

const mutationMetadata = `{
  "version": 3,
  "sources": [{"name": "default", "kind": "postgres", "tables": [
    {"table": {"schema": "public", "name": "author"},
     "array_relationships": [{"name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}]},
    {"table": {"schema": "public", "name": "article"},
     "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
     "array_relationships": [{"name": "comments", "using": {"foreign_key_constraint_on": {"table": "comment", "column": "article_id"}}}]},
    {"table": {"schema": "public", "name": "comment"},
     "configuration": {"custom_root_fields": {
       "insert": "addComments", "insert_one": "addComment", "update": "editComments", "update_by_pk": "editComment",
       "update_many": "editCommentsMany", "delete": "removeComments", "delete_by_pk": "removeComment"}},
     "object_relationships": [
       {"name": "article", "using": {"foreign_key_constraint_on": "article_id"}},
       {"name": "commenter", "using": {"foreign_key_constraint_on": "commenter_id"}}]},
    {"table": {"schema": "public", "name": "audit"}},
    {"table": {"schema": "public", "name": "bench"}},
    {"table": {"schema": "public", "name": "article_titles"}},
    {"table": {"schema": "public", "name": "author_counts"}}
  ]}]
}`

// mutationEnv is a database with the mutation schema and a handler on it.
type mutationEnv struct {
	pool *pgxpool.Pool
	s    *schema.Schema
	h    *Handler
}

func newMutationEnv(tb testing.TB) *mutationEnv {
	tb.Helper()
	ctx := context.Background()
	u := testdb.New(tb, mutationSQL)
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	e := &mutationEnv{pool: pool}
	e.h = e.handlerFor(tb, mutationMetadata)
	e.s = schemaOf(e.h)
	return e
}

// handlerFor builds the schema of metadataJSON on the environment's
// database, which must be consistent, and a handler serving it.
func (e *mutationEnv) handlerFor(tb testing.TB, metadataJSON string) *Handler {
	tb.Helper()
	ctx := context.Background()
	md, err := metadata.Parse([]byte(metadataJSON))
	if err != nil {
		tb.Fatal(err)
	}
	cat, err := catalog.Load(ctx, e.pool)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := schema.Build(md, cat)
	if err != nil {
		tb.Fatal(err)
	}
	if len(s.Inconsistencies) > 0 {
		tb.Fatalf("inconsistencies: %+v", s.Inconsistencies)
	}
	h := &Handler{
		Schema: func() (*schema.Schema, int64) { return s, 1 },
		Exec:   &execute.Executor{Pool: e.pool},
	}
	h.init()
	return h
}

// reset restores the seed data.
func (e *mutationEnv) reset(tb testing.TB) {
	tb.Helper()
	if _, err := e.pool.Exec(context.Background(), mutationSeed); err != nil {
		tb.Fatal(err)
	}
}

// sql returns the first column of the first row of q as JSON text.
func (e *mutationEnv) sql(tb testing.TB, q string) string {
	tb.Helper()
	var raw []byte
	if err := e.pool.QueryRow(context.Background(), "SELECT to_json(x) FROM ("+q+") AS s(x)").Scan(&raw); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return compactString(string(raw))
}

// state is a snapshot of every table, to check that a failed mutation
// changed nothing.
func (e *mutationEnv) state(tb testing.TB) string {
	tb.Helper()
	return e.sql(tb, `SELECT json_build_array(
	  (SELECT json_agg(a ORDER BY id) FROM author a), (SELECT json_agg(a ORDER BY id) FROM article a),
	  (SELECT json_agg(c ORDER BY id) FROM comment c), (SELECT count(*) FROM audit))`)
}

func TestMutations(t *testing.T) {
	e := newMutationEnv(t)
	cases := []struct {
		name, query string
		vars        map[string]any
		want        string
		// check is SQL whose result must equal checkWant afterwards.
		check, checkWant string
	}{
		{name: "insert with returning and affected_rows",
			query: `mutation { insert_author(objects: [{name: "Cid", rating: 1}, {name: "Dee", tags: "{p,q}"}]) { affected_rows returning { id name rating tags info } } }`,
			want:  `{"data":{"insert_author":{"affected_rows":2,"returning":[{"id":3,"name":"Cid","rating":1,"tags":null,"info":{}},{"id":4,"name":"Dee","rating":null,"tags":["p","q"],"info":{}}]}}}`,
			check: `SELECT count(*) FROM author`, checkWant: `4`},
		{name: "insert one with variables of every kind",
			query: `mutation($n: String!, $i: jsonb, $o: author_insert_input!) { a: insert_author_one(object: {name: $n, info: $i, tags: ["x", "y z"]}) { id name info tags } b: insert_author_one(object: $o) { name info } }`,
			vars:  map[string]any{"n": "Eve", "i": "just a string", "o": map[string]any{"name": "Fay", "info": map[string]any{"k": []any{1, "two"}}}},
			want:  `{"data":{"a":{"id":3,"name":"Eve","info":"just a string","tags":["x","y z"]},"b":{"name":"Fay","info":{"k": [1, "two"]}}}}`},
		{name: "insert rows with different columns takes defaults",
			query: `mutation { insert_article(objects: [{title: "A", author_id: 2}, {title: "B", author_id: 2, views: 7, published: true}]) { returning { title views published } } }`,
			want:  `{"data":{"insert_article":{"returning":[{"title":"A","views":0,"published":false},{"title":"B","views":7,"published":true}]}}}`},
		{name: "insert many rows of the same columns",
			query: `mutation { insert_article(objects: [{title: "A", author_id: 2}, {title: "B", author_id: 2}, {title: "C", author_id: 1}]) { affected_rows returning { id title } } }`,
			want:  `{"data":{"insert_article":{"affected_rows":3,"returning":[{"id":4,"title":"A"},{"id":5,"title":"B"},{"id":6,"title":"C"}]}}}`},
		{name: "insert nothing",
			query: `mutation { insert_article(objects: []) { affected_rows returning { id } } }`,
			want:  `{"data":{"insert_article":{"affected_rows":0,"returning":[]}}}`},
		{name: "returning with relationships sees the inserted rows",
			query: `mutation { insert_article(objects: [{title: "New", author_id: 2}]) { affected_rows returning { title author { name articles(order_by: {id: asc}) { title } } } } }`,
			want:  `{"data":{"insert_article":{"affected_rows":1,"returning":[{"title":"New","author":{"name":"Bob","articles":[{"title":"Third"},{"title":"New"}]}}]}}}`},
		{name: "nested insert two levels down (array relationships)",
			query: `mutation { insert_author_one(object: {name: "Gus", articles: {data: [{title: "G1", comments: {data: [{body: "c1"}, {body: "c2", commenter_id: 1}]}}, {title: "G2"}]}}) { id name articles(order_by: {id: asc}) { title comments(order_by: {id: asc}) { body commenter { name } } } } }`,
			want:  `{"data":{"insert_author_one":{"id":3,"name":"Gus","articles":[{"title":"G1","comments":[{"body":"c1","commenter":null},{"body":"c2","commenter":{"name":"Ann"}}]},{"title":"G2","comments":[]}]}}}`,
			check: `SELECT count(*) FROM comment`, checkWant: `3`},
		{name: "nested insert two levels up (object relationships) counts every row",
			query: `mutation { addComments(objects: [{body: "hi", article: {data: {title: "Up", author: {data: {name: "Hal"}}}}}]) { affected_rows returning { body article { title author { name } } } } }`,
			want:  `{"data":{"addComments":{"affected_rows":3,"returning":[{"body":"hi","article":{"title":"Up","author":{"name":"Hal"}}}]}}}`},
		{name: "nested insert of several objects with a shared upserted parent",
			query: `mutation { insert_article(objects: [
			  {title: "P1", author: {data: {name: "Ann"}, on_conflict: {constraint: author_name_key, update_columns: [name]}}},
			  {title: "P2", author: {data: {name: "Ann"}, on_conflict: {constraint: author_name_key, update_columns: [name]}}}]) {
			  affected_rows returning { title author_id } } }`,
			want:  `{"data":{"insert_article":{"affected_rows":4,"returning":[{"title":"P1","author_id":1},{"title":"P2","author_id":1}]}}}`,
			check: `SELECT count(*) FROM author`, checkWant: `2`},
		{name: "upsert updates the conflicting row",
			query: `mutation { insert_author(objects: [{name: "Ann", rating: 9}, {name: "Ivy", rating: 2}], on_conflict: {constraint: author_name_key, update_columns: [rating]}) { affected_rows returning { id name rating } } }`,
			want:  `{"data":{"insert_author":{"affected_rows":2,"returning":[{"id":1,"name":"Ann","rating":9},{"id":4,"name":"Ivy","rating":2}]}}}`},
		{name: "upsert with update_columns [] does nothing",
			query: `mutation { insert_author(objects: [{name: "Ann", rating: 9}], on_conflict: {constraint: author_name_key, update_columns: []}) { affected_rows returning { id } } }`,
			want:  `{"data":{"insert_author":{"affected_rows":0,"returning":[]}}}`,
			check: `SELECT rating FROM author WHERE name = 'Ann'`, checkWant: `5`},
		{name: "insert one that does nothing is null",
			query: `mutation { insert_author_one(object: {name: "Ann"}, on_conflict: {constraint: author_name_key}) { id } }`,
			want:  `{"data":{"insert_author_one":null}}`},
		{name: "upsert with where updates only matching rows",
			query: `mutation { insert_author(objects: [{name: "Ann", rating: 0}, {name: "Bob", rating: 0}], on_conflict: {constraint: author_name_key, update_columns: [rating], where: {rating: {_gt: 4}}}) { affected_rows returning { name rating } } }`,
			want:  `{"data":{"insert_author":{"affected_rows":1,"returning":[{"name":"Ann","rating":0}]}}}`,
			check: `SELECT rating FROM author WHERE name = 'Bob'`, checkWant: `3`},
		{name: "update with _set and _inc",
			query: `mutation { update_article(where: {author_id: {_eq: 1}}, _set: {published: true}, _inc: {views: 5}) { affected_rows returning { id views published } } }`,
			want:  `{"data":{"update_article":{"affected_rows":2,"returning":[{"id":1,"views":15,"published":true},{"id":2,"views":5,"published":true}]}}}`},
		{name: "update jsonb operators",
			query: `mutation {
			  a: update_author(where: {id: {_eq: 1}}, _append: {info: {e: 5}}) { returning { info } }
			  b: update_author(where: {id: {_eq: 1}}, _prepend: {info: {z: 0}}, _delete_key: {}) { returning { info } }
			  c: update_author(where: {id: {_eq: 1}}, _delete_key: {info: "a"}) { returning { info } }
			  d: update_author(where: {id: {_eq: 1}}, _delete_at_path: {info: ["c", "d"]}) { returning { info } }
			  e: update_author(where: {id: {_eq: 2}}, _append: {info: [1]}) { returning { info } }
			  f: update_author(where: {id: {_eq: 2}}, _delete_elem: {info: 0}) { returning { info } } }`,
			want: `{"data":{"a":{"returning":[{"info":{"a":1,"b":[1,2,3],"c":{"d":1},"e":5}}]},"b":{"returning":[{"info":{"a":1,"b":[1,2,3],"c":{"d":1},"e":5,"z":0}}]},"c":{"returning":[{"info":{"b":[1,2,3],"c":{"d":1},"e":5,"z":0}}]},"d":{"returning":[{"info":{"b":[1,2,3],"c":{},"e":5,"z":0}}]},"e":{"returning":[{"info":[{},1]}]},"f":{"returning":[{"info":[1]}]}}}`},
		{name: "update by pk",
			query: `mutation { update_article_by_pk(pk_columns: {id: 2}, _set: {title: "Deux"}) { id title author { name } } missing: update_article_by_pk(pk_columns: {id: 99}, _set: {title: "x"}) { id } }`,
			want:  `{"data":{"update_article_by_pk":{"id":2,"title":"Deux","author":{"name":"Ann"}},"missing":null}}`},
		{name: "update many runs in order",
			query: `mutation { editCommentsMany(updates: [{where: {id: {_eq: 1}}, _set: {body: "one"}}, {where: {body: {_eq: "one"}}, _set: {body: "two"}}, {where: {id: {_eq: 42}}, _set: {body: "none"}}]) { affected_rows returning { body } } }`,
			want:  `{"data":{"editCommentsMany":[{"affected_rows":1,"returning":[{"body":"one"}]},{"affected_rows":1,"returning":[{"body":"two"}]},{"affected_rows":0,"returning":[]}]}}`},
		{name: "update many with relationships in returning",
			query: `mutation { update_article_many(updates: [{where: {id: {_eq: 3}}, _inc: {views: 1}}, {where: {id: {_eq: 3}}, _inc: {views: 1}}]) { returning { views author { name } } } }`,
			want:  `{"data":{"update_article_many":[{"returning":[{"views":6,"author":{"name":"Bob"}}]},{"returning":[{"views":7,"author":{"name":"Bob"}}]}]}}`},
		{name: "delete with returning relationships",
			query: `mutation { removeComments(where: {body: {_eq: "nice"}}) { affected_rows returning { body article { title } } } }`,
			want:  `{"data":{"removeComments":{"affected_rows":1,"returning":[{"body":"nice","article":{"title":"First"}}]}}}`,
			check: `SELECT count(*) FROM comment`, checkWant: `0`},
		{name: "delete by pk and custom names",
			query: `mutation { removeComment(id: 1) { id body } again: removeComment(id: 1) { id } }`,
			want:  `{"data":{"removeComment":{"id":1,"body":"nice"},"again":null}}`},
		{name: "custom insert and update root fields",
			query: `mutation { addComment(object: {article_id: 3, body: "x"}) { id } editComment(pk_columns: {id: 2}, _set: {body: "y"}) { body } editComments(where: {}, _set: {commenter_id: 1}) { affected_rows } }`,
			want:  `{"data":{"addComment":{"id":2},"editComment":{"body":"y"},"editComments":{"affected_rows":2}}}`},
		{name: "insert through an auto-updatable view",
			query: `mutation { insert_article_titles(objects: [{title: "V", author_id: 2}]) { affected_rows returning { title } } }`,
			want:  `{"data":{"insert_article_titles":{"affected_rows":1,"returning":[{"title":"V"}]}}}`},
		{name: "typename and several root fields in order",
			query: `mutation { __typename a: update_author(where: {id: {_eq: 2}}, _inc: {rating: 1}) { __typename affected_rows } b: update_author(where: {id: {_eq: 2}}, _inc: {rating: 1}) { returning { rating } } }`,
			want:  `{"data":{"__typename":"mutation_root","a":{"__typename":"author_mutation_response","affected_rows":1},"b":{"returning":[{"rating":5}]}}}`},
		{name: "plan reuse keeps slot values apart",
			query: `mutation($t: String!, $a: Int!) { insert_article_one(object: {title: $t, author_id: $a}) { title author_id } }`,
			vars:  map[string]any{"t": "Slot", "a": 2},
			want:  `{"data":{"insert_article_one":{"title":"Slot","author_id":2}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.reset(t)
			got := gql(t, e.h, tc.query, tc.vars)
			if compact(t, got) != compact(t, tc.want) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if tc.check != "" {
				if got := e.sql(t, tc.check); got != tc.checkWant {
					t.Errorf("%s: got %s, want %s", tc.check, got, tc.checkWant)
				}
			}
		})
	}
}

func TestMutationSchema(t *testing.T) {
	e := newMutationEnv(t)
	m := e.s.GraphQL.Mutation
	if m == nil || m.Name != "mutation_root" {
		t.Fatalf("mutation root: %+v", m)
	}
	for _, name := range []string{"insert_author", "insert_author_one", "update_author", "update_author_by_pk", "update_author_many",
		"delete_author", "delete_author_by_pk", "addComments", "addComment", "editComments", "editComment", "editCommentsMany",
		"removeComments", "removeComment", "insert_article_titles", "update_article_titles", "delete_article_titles"} {
		if m.Fields.ForName(name) == nil {
			t.Errorf("mutation_root lacks %s", name)
		}
	}
	for _, name := range []string{"insert_comment", "insert_author_counts", "update_author_counts", "delete_author_counts", "update_article_titles_by_pk"} {
		if m.Fields.ForName(name) != nil {
			t.Errorf("mutation_root must not have %s", name)
		}
	}
	for typ, fields := range map[string]string{
		"author_insert_input":          "articles id info name rating tags created_by",
		"article_insert_input":         "author author_id comments id published title views",
		"author_obj_rel_insert_input":  "data on_conflict",
		"article_arr_rel_insert_input": "data on_conflict",
		"author_on_conflict":           "constraint update_columns where",
		"author_inc_input":             "id rating",
		"author_append_input":          "info",
		"author_delete_at_path_input":  "info",
		"author_mutation_response":     "affected_rows returning",
		"author_pk_columns_input":      "id",
		"author_updates":               "_append _delete_at_path _delete_elem _delete_key _inc _prepend _set where",
	} {
		d := e.s.GraphQL.Types[typ]
		if d == nil {
			t.Errorf("no type %s", typ)
			continue
		}
		for _, f := range strings.Fields(fields) {
			if d.Fields.ForName(f) == nil {
				t.Errorf("%s lacks %s", typ, f)
			}
		}
	}
	var values []string
	for _, v := range e.s.GraphQL.Types["article_constraint"].EnumValues {
		values = append(values, v.Name+": "+v.Description)
	}
	if got := strings.Join(values, "; "); got != `article_author_title_key: unique or primary key constraint on columns "author_id", "title"; article_pkey: unique or primary key constraint on columns "id"` {
		t.Errorf("article_constraint: %s", got)
	}
	if e.s.GraphQL.Types["audit_inc_input"] == nil || e.s.GraphQL.Types["audit_append_input"] != nil {
		t.Error("audit: _inc for its serial, no jsonb operators")
	}
}

func TestMutationErrors(t *testing.T) {
	e := newMutationEnv(t)
	cases := []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"unique violation",
			`mutation { insert_author(objects: [{name: "Ann"}]) { affected_rows } }`, nil,
			`{"errors":[{"message":"Uniqueness violation. duplicate key value violates unique constraint \"author_name_key\"","extensions":{"code":"constraint-violation","path":"$.selectionSet.insert_author.args.objects"}}]}`},
		{"unique violation of insert one",
			`mutation { insert_author_one(object: {name: "Ann"}) { id } }`, nil,
			`{"errors":[{"message":"Uniqueness violation. duplicate key value violates unique constraint \"author_name_key\"","extensions":{"code":"constraint-violation","path":"$.selectionSet.insert_author_one.args.object"}}]}`},
		{"foreign key violation",
			`mutation { insert_article(objects: [{title: "x", author_id: 99}]) { affected_rows } }`, nil,
			`{"errors":[{"message":"Foreign key violation. insert or update on table \"article\" violates foreign key constraint \"article_author_id_fkey\"","extensions":{"code":"constraint-violation","path":"$.selectionSet.insert_article.args.objects"}}]}`},
		{"foreign key violation on delete",
			`mutation { delete_author(where: {id: {_eq: 1}}) { affected_rows } }`, nil,
			`{"errors":[{"message":"Foreign key violation. update or delete on table \"author\" violates foreign key constraint \"article_author_id_fkey\" on table \"article\"","extensions":{"code":"constraint-violation","path":"$"}}]}`},
		{"not-null violation",
			`mutation { insert_article(objects: [{author_id: 1}]) { affected_rows } }`, nil,
			`{"errors":[{"message":"Not-NULL violation. null value in column \"title\" of relation \"article\" violates not-null constraint","extensions":{"code":"constraint-violation","path":"$.selectionSet.insert_article.args.objects"}}]}`},
		{"check violation",
			`mutation { update_author(where: {}, _set: {rating: -1}) { affected_rows } }`, nil,
			`{"errors":[{"message":"Check constraint violation. new row for relation \"author\" violates check constraint \"author_rating_check\"","extensions":{"code":"permission-error","path":"$"}}]}`},
		{"bad input value",
			`mutation { insert_author(objects: [{name: "x", info: {}, tags: "not an array"}]) { affected_rows } }`, nil,
			`{"errors":[{"message":"malformed array literal: \"not an array\"","extensions":{"code":"data-exception","path":"$.selectionSet.insert_author.args.objects"}}]}`},
		{"bad input value in a variable",
			`mutation($r: Int) { update_author(where: {}, _inc: {rating: $r}) { affected_rows } }`, map[string]any{"r": 3000000000},
			`"code":"data-exception"`},
		{"nested error path",
			`mutation { insert_author(objects: [{name: "New", articles: {data: [{title: "a"}]}}, {name: "Newer", articles: {data: [{title: "b"}, {title: "b"}]}}]) { affected_rows } }`, nil,
			`{"errors":[{"message":"Uniqueness violation. duplicate key value violates unique constraint \"article_author_title_key\"","extensions":{"code":"constraint-violation","path":"$.selectionSet.insert_author.args.objects[1].articles.data"}}]}`},
		{"object relation parent not inserted",
			`mutation { insert_article_one(object: {title: "t", author: {data: {name: "Ann"}, on_conflict: {constraint: author_name_key, update_columns: []}}}) { id } }`, nil,
			`{"errors":[{"message":"cannot proceed to insert object relation \"author\" since insert to table \"author\" affects zero rows","extensions":{"code":"not-supported","path":"$.selectionSet.insert_article_one.args.object[0].author.data"}}]}`},
		{"foreign key given twice",
			`mutation { insert_article_one(object: {title: "t", author_id: 1, author: {data: {name: "Zed"}}}) { id } }`, nil,
			`{"errors":[{"message":"cannot insert object relationship \"author\" as \"author_id\" column values are already being determined","extensions":{"code":"validation-failed","path":"$.selectionSet.insert_article_one.args.object[0].author"}}]}`},
		{"no update operator",
			`mutation { update_author(where: {}) { affected_rows } }`, nil,
			`{"errors":[{"message":"at least any one of _set, _inc, _prepend, _append, _delete_key, _delete_elem, _delete_at_path is expected","extensions":{"code":"validation-failed","path":"$.selectionSet.update_author.args"}}]}`},
		{"column in two operators",
			`mutation { update_author(where: {}, _set: {rating: 1}, _inc: {rating: 1}) { affected_rows } }`, nil,
			`"code":"validation-failed"`},
		{"unknown constraint",
			`mutation { insert_author(objects: [{name: "x"}], on_conflict: {constraint: nope}) { affected_rows } }`, nil,
			`"code":"validation-failed"`},
		{"error raised by a trigger",
			`mutation { insert_comment_raise: update_author(where: {id: {_eq: 1}}, _set: {name: "RAISE"}) { affected_rows } }`, nil,
			`{"errors":[{"message":"database query error","extensions":{"code":"unexpected","path":"$"}}]}`},
	}
	if _, err := e.pool.Exec(context.Background(), `CREATE OR REPLACE FUNCTION raise_on_name() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN IF NEW.name = 'RAISE' THEN RAISE EXCEPTION 'raised by trigger'; END IF; RETURN NEW; END $$;
	CREATE TRIGGER author_raise BEFORE UPDATE ON author FOR EACH ROW EXECUTE FUNCTION raise_on_name();`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.reset(t)
			before := e.state(t)
			got := gql(t, e.h, tc.query, tc.vars)
			if !strings.Contains(compact(t, got), tc.want) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if after := e.state(t); after != before {
				t.Errorf("a failed mutation changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	t.Run("dev mode shows the database error", func(t *testing.T) {
		e.reset(t)
		e.h.DevMode = true
		defer func() { e.h.DevMode = false }()
		got := gql(t, e.h, `mutation { insert_author(objects: [{name: "Ann"}]) { affected_rows } }`, nil)
		var body struct {
			Errors []struct {
				Extensions struct {
					Internal struct {
						Error struct {
							Message, StatusCode, Description string
						} `json:"error"`
					} `json:"internal"`
				} `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal([]byte(got), &body); err != nil || len(body.Errors) != 1 {
			t.Fatalf("%s: %v", got, err)
		}
		in := body.Errors[0].Extensions.Internal.Error
		if in.Message != `duplicate key value violates unique constraint "author_name_key"` || !strings.Contains(got, `"status_code":"23505"`) ||
			!strings.Contains(got, `Key (name)=(Ann) already exists.`) {
			t.Errorf("internal: %s", got)
		}
		// An unmapped error (a trigger's RAISE EXCEPTION) keeps Hasura's
		// generic answer; dev mode adds the database error.
		got = compact(t, gql(t, e.h, `mutation { update_author(where: {id: {_eq: 1}}, _set: {name: "RAISE"}) { affected_rows } }`, nil))
		if !strings.Contains(got, `"code":"unexpected"`) || !strings.Contains(got, `"message":"database query error"`) ||
			!strings.Contains(got, `"message":"raised by trigger"`) || !strings.Contains(got, `"status_code":"P0001"`) {
			t.Errorf("trigger error in dev mode: %s", got)
		}
		e.h.DevMode = false
		if got := gql(t, e.h, `mutation { insert_author(objects: [{name: "Ann"}]) { affected_rows } }`, nil); strings.Contains(got, "internal") {
			t.Errorf("internal without dev mode: %s", got)
		}
		if got := gql(t, e.h, `mutation { update_author(where: {id: {_eq: 1}}, _set: {name: "RAISE"}) { affected_rows } }`, nil); strings.Contains(got, "internal") ||
			strings.Contains(got, "raised by trigger") {
			t.Errorf("trigger error details without dev mode: %s", got)
		}
	})
}

// TestMutationAtomicity: the root fields of a mutation are one
// transaction; when one fails, the others' effects are gone.
func TestMutationAtomicity(t *testing.T) {
	e := newMutationEnv(t)
	e.reset(t)
	before := e.state(t)
	got := gql(t, e.h, `mutation {
	  a: insert_author(objects: [{name: "Kim"}]) { affected_rows }
	  b: update_article(where: {}, _inc: {views: 1}) { affected_rows }
	  c: insert_author(objects: [{name: "Kim"}]) { affected_rows } }`, nil)
	if !strings.Contains(got, `"code":"constraint-violation"`) || strings.Contains(got, `"data"`) {
		t.Fatalf("got %s", got)
	}
	if after := e.state(t); after != before {
		t.Errorf("the first root fields were not rolled back:\nbefore %s\nafter  %s", before, after)
	}
	// The same fields without the failing one are applied together.
	got = gql(t, e.h, `mutation { a: insert_author(objects: [{name: "Kim"}]) { affected_rows } b: update_article(where: {}, _inc: {views: 1}) { affected_rows } }`, nil)
	if compact(t, got) != `{"data":{"a":{"affected_rows":1},"b":{"affected_rows":3}}}` {
		t.Fatalf("got %s", got)
	}
}

// TestMutationSession: triggers see the session in hasura.user, and it
// does not outlive the mutation's transaction.
func TestMutationSession(t *testing.T) {
	e := newMutationEnv(t)
	e.reset(t)
	e.h.init()
	sess := &Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin", "x-hasura-user-id": "42"}}
	got := string(e.h.execute(context.Background(), &Request{Query: `mutation { insert_author_one(object: {name: "Trig"}) { name created_by } update_author(where: {name: {_eq: "Bob"}}, _set: {rating: 1}) { returning { created_by } } }`}, sess))
	if compact(t, got) != `{"data":{"insert_author_one":{"name":"Trig","created_by":"42"},"update_author":{"returning":[{"created_by":"42"}]}}}` {
		t.Fatalf("got %s", got)
	}
	who := e.sql(t, `SELECT json_agg(json_build_array(op, who::json->>'x-hasura-user-id', who::json->>'x-hasura-role') ORDER BY id) FROM audit`)
	if who != `[["INSERT","42","admin"],["UPDATE","42","admin"]]` {
		t.Errorf("audit: %s", who)
	}
	// The setting is transaction-local: a later statement on the pool sees none.
	for range 4 {
		if v := e.sql(t, `SELECT coalesce(current_setting('hasura.user', true), '')`); v != `""` {
			t.Fatalf("hasura.user leaked: %s", v)
		}
	}
}

var _ = compile.Options{}

// schemaOf returns the schema h serves.
func schemaOf(h *Handler) *schema.Schema {
	s, _ := h.Schema()
	return s
}
