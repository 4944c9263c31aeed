package dataapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/catalog/catalogtest"
	"github.com/stratagql/strata/engine/dataapi"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
)

// testSchema is the admin schema of catalogtest.Synthetic(2) — t0000 and
// t0001 with parent/children relationships — where t0000's column "name"
// is exposed as "title".
func testSchema(t *testing.T) *schema.Schema {
	t.Helper()
	md, cat := catalogtest.Synthetic(2)
	md.Sources[0].Tables[0].Configuration = &metadata.TableConfig{CustomColumnNames: map[string]string{"name": "title"}}
	s, err := schema.Build(md, cat)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// translate decodes args for the data command name and translates them.
func translate(t *testing.T, s *schema.Schema, name, args string) (*dataapi.Request, error) {
	t.Helper()
	cmd := dataapi.Commands()[name]()
	if err := apiargs.Decode(json.RawMessage(args), "$", cmd); err != nil {
		return nil, err
	}
	return cmd.Translate(s)
}

func TestTranslate(t *testing.T) {
	s := testSchema(t)
	for _, tc := range []struct {
		name, cmd, args string
		query, vars     string
	}{
		{"select all", "select", `{"table":"t0000"}`,
			`{ r: t0000 { id title created_at score parent_id data flag } }`, `{}`},
		{"select columns, relationships, arguments", "select",
			`{"table":"t0000","columns":["id","name",{"name":"children","columns":["id"],"where":{"name":{"$eq":"x"}},"order_by":"-id","limit":2},{"name":"parent","columns":["*"]}],
			  "where":{"$or":[{"name":"Ann"},{"parent":{"id":{"$gt":1}}}]},"order_by":[{"column":"name","type":"desc","nulls":"last"},"+id"],"limit":10,"offset":5}`,
			`query ($where: t0000_bool_exp, $order_by: [t0000_order_by!], $limit: Int, $offset: Int) { r: t0000(where: $where, order_by: $order_by, limit: $limit, offset: $offset) { id title children(where: {name: {_eq: "x"}}, order_by: [{id: desc}], limit: 2) { id } parent { id name created_at score parent_id data flag } } }`,
			`{"limit":10,"offset":5,"order_by":[{"title":"desc_nulls_last"},{"id":"asc"}],"where":{"_or":[{"title":{"_eq":"Ann"}},{"parent":{"id":{"_gt":1}}}]}}`},
		{"count", "count", `{"table":"t0001","where":{"id":{"_gt":0}}}`,
			`query ($where: t0001_bool_exp) { r: t0001_aggregate(where: $where) { aggregate { count } } }`, `{"where":{"id":{"_gt":0}}}`},
		{"count distinct", "count", `{"table":"t0000","distinct":["name","id"]}`,
			`{ r: t0000_aggregate { aggregate { count(columns: [title, id], distinct: true) } } }`, `{}`},
		{"insert", "insert", `{"table":"t0000","objects":[{"name":"a","flag":true}],"on_conflict":{"constraint":"t0000_pkey","action":"ignore"},"returning":["id","name"]}`,
			`mutation ($objects: [t0000_insert_input!]!, $on_conflict: t0000_on_conflict) { r: insert_t0000(objects: $objects, on_conflict: $on_conflict) { affected_rows returning { id title } } }`,
			`{"objects":[{"flag":true,"title":"a"}],"on_conflict":{"constraint":"t0000_pkey","update_columns":[]}}`},
		{"update", "update", `{"table":"t0000","where":{"id":1},"$set":{"name":"b"},"_inc":{"score":1}}`,
			`mutation ($where: t0000_bool_exp!, $set: t0000_set_input, $inc: t0000_inc_input) { r: update_t0000(where: $where, _set: $set, _inc: $inc) { affected_rows } }`,
			`{"inc":{"score":1},"set":{"title":"b"},"where":{"id":{"_eq":1}}}`},
		{"delete", "delete", `{"table":"t0001","where":{"$not":{"flag":{"$eq":true}}},"returning":["id"]}`,
			`mutation ($where: t0001_bool_exp!) { r: delete_t0001(where: $where) { affected_rows returning { id } } }`,
			`{"where":{"_not":{"flag":{"_eq":true}}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := translate(t, s, tc.cmd, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if req.Query != tc.query {
				t.Fatalf("query\n got  %s\n want %s", req.Query, tc.query)
			}
			if got, _ := json.Marshal(req.Variables); string(got) != tc.vars {
				t.Fatalf("variables\n got  %s\n want %s", got, tc.vars)
			}
			// The query is valid GraphQL on the admin schema.
			if _, errs := gqlparser.LoadQuery(s.GraphQL, req.Query); len(errs) > 0 {
				t.Fatalf("invalid query: %v", errs)
			}
		})
	}
}

func TestTranslateErrors(t *testing.T) {
	s := testSchema(t)
	for _, tc := range []struct {
		name, cmd, args string
		code, path, msg string
	}{
		{"untracked table", "select", `{"table":"nope"}`, "not-exists", "$.table", `table "nope" does not exist`},
		{"missing column", "select", `{"table":"t0000","columns":["id","nope"]}`, "not-exists", "$.columns[1]", `no such column exists: "nope"`},
		{"missing relationship", "select", `{"table":"t0000","columns":[{"name":"nope"}]}`, "not-exists", "$.columns[0]", `no such relationship exists: "nope"`},
		{"nested missing column", "select", `{"table":"t0000","columns":[{"name":"children","columns":["x"]}]}`,
			"not-exists", "$.columns[0].columns[0]", `no such column exists: "x"`},
		{"bad column entry", "select", `{"table":"t0000","columns":[5]}`, "parse-failed", "$.columns[0]", "expected a column name or a relationship object"},
		{"distinct missing column", "count", `{"table":"t0000","distinct":["nope"]}`, "not-exists", "$.distinct", `no such column exists: "nope"`},
		{"returning missing column", "delete", `{"table":"t0000","where":{},"returning":["nope"]}`, "not-exists", "$.returning[0]", `no such column exists: "nope"`},
		{"insert untracked", "insert", `{"table":"nope","objects":[]}`, "not-exists", "$.table", `table "nope" does not exist`},
		{"insert without objects", "insert", `{"table":"t0000"}`, "parse-failed", "$", `key "objects" not found`},
		{"update without where", "update", `{"table":"t0000","$set":{}}`, "parse-failed", "$", `key "where" not found`},
		{"unknown key", "delete", `{"table":"t0000","where":{},"$set":{}}`, "parse-failed", "$", "unexpected keys in object: $set"},
		{"limit type", "select", `{"table":"t0000","limit":"1"}`, "parse-failed", "$.limit", "expected Number, but encountered string"},
		{"without table", "count", `{}`, "parse-failed", "$", `key "table" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := translate(t, s, tc.cmd, tc.args)
			e, ok := hasuraerr.As(err)
			if !ok || e.Code != tc.code || e.PathOr() != tc.path || e.Message != tc.msg {
				t.Fatalf("got %v, want %s at %s: %q", err, tc.code, tc.path, tc.msg)
			}
		})
	}
}

func TestRun(t *testing.T) {
	s := testSchema(t)
	cmd := dataapi.Commands()["count"]()
	if err := apiargs.Decode(json.RawMessage(`{"table":"t0000"}`), "$", cmd); err != nil {
		t.Fatal(err)
	}
	answer := func(body string) dataapi.Runner {
		return func(context.Context, string, map[string]any) []byte { return []byte(body) }
	}
	got, err := dataapi.Run(context.Background(), s, answer(`{"data":{"r":{"aggregate":{"count":7}}}}`), cmd)
	if b, _ := json.Marshal(got); err != nil || string(b) != `{"count":7}` {
		t.Fatalf("count: %s %v", b, err)
	}
	_, err = dataapi.Run(context.Background(), s, answer(`{"errors":[{"message":"field not found","extensions":{"code":"validation-failed","path":"$.x"}}]}`), cmd)
	if e, ok := hasuraerr.As(err); !ok || e.Code != "validation-failed" || e.PathOr() != "$" || e.Message != "field not found" {
		t.Fatalf("GraphQL error: %v", err)
	}
	if _, err := dataapi.Run(context.Background(), s, nil, cmd); !errors.Is(err, dataapi.ErrDisabled) {
		t.Fatalf("without a runner: %v", err)
	}
	// A translation error comes first, runner or not.
	bad := dataapi.Commands()["select"]()
	_ = apiargs.Decode(json.RawMessage(`{"table":"nope"}`), "$", bad)
	if _, err := dataapi.Run(context.Background(), s, nil, bad); errors.Is(err, dataapi.ErrDisabled) || err == nil {
		t.Fatalf("untranslatable without a runner: %v", err)
	}
}
