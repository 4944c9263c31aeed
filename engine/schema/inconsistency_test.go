package schema_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stratagql/strata/engine/metadata"
)

func qt(schema, name string) metadata.QualifiedTable {
	return metadata.QualifiedTable{Schema: schema, Name: name}
}

const inconsistentSQL = `
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id));
CREATE TABLE untracked (id serial PRIMARY KEY, author_id int REFERENCES author(id));
CREATE TABLE colour (value text PRIMARY KEY, comment text, extra int);
`

const inconsistentMetadata = `{
  "version": 3,
  "sources": [{"name": "default", "kind": "postgres", "tables": [
    {"table": {"schema": "public", "name": "author"},
     "array_relationships": [
       {"name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}},
       {"name": "bad_column", "using": {"foreign_key_constraint_on": {"table": "article", "column": "nope"}}},
       {"name": "to_untracked", "using": {"foreign_key_constraint_on": {"table": "untracked", "column": "author_id"}}},
       {"name": "to_missing", "using": {"manual_configuration": {"remote_table": "ghost", "column_mapping": {"id": "author_id"}}}},
       {"name": "name", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}
     ],
     "computed_fields": [{"name": "nothing", "definition": {"function": "no_such_function"}}]},
    {"table": {"schema": "public", "name": "article"},
     "object_relationships": [
       {"name": "author", "using": {"foreign_key_constraint_on": "author_id"}},
       {"name": "no_fk", "using": {"foreign_key_constraint_on": "title"}},
       {"name": "manual_bad", "using": {"manual_configuration": {"remote_table": "author", "column_mapping": {"author_id": "nope"}}}},
       {"name": "ghostly", "using": {"manual_configuration": {"remote_table": "ghost", "column_mapping": {"author_id": "id"}}}}
     ]},
    {"table": {"schema": "public", "name": "ghost"},
     "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
     "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}}}]},
    {"table": {"schema": "public", "name": "colour"}, "is_enum": true}
  ]}]
}`

func TestInconsistencies(t *testing.T) {
	s := buildFrom(t, inconsistentSQL, []byte(inconsistentMetadata))

	got := map[string]metadata.Inconsistency{}
	for _, inc := range s.Inconsistencies {
		got[inc.ObjectName()] = inc
	}
	want := map[string]struct{ typ, reason string }{
		"table ghost in source default":                                 {"table", `Inconsistent object: no such table/view exists in source: "ghost"`},
		"table colour in source default":                                {"table", `cannot be used as an enum`},
		"array_relation bad_column in table author in source default":   {"array_relation", `column "nope" does not exist`},
		"array_relation to_untracked in table author in source default": {"array_relation", `table "untracked" is not tracked`},
		"array_relation to_missing in table author in source default":   {"array_relation", `table "ghost" does not exist`},
		"array_relation name in table author in source default":         {"array_relation", `a column named "name" already exists`},
		"computed_field nothing in table author in source default":      {"computed_field", `no such function exists`},
		"object_relation no_fk in table article in source default":      {"object_relation", `no foreign constraint exists`},
		"object_relation manual_bad in table article in source default": {"object_relation", `column "nope" does not exist in table "author"`},
		"object_relation ghostly in table article in source default":    {"object_relation", `table "ghost" does not exist`},
	}
	for name, w := range want {
		inc, ok := got[name]
		if !ok {
			t.Errorf("missing inconsistency %q", name)
			continue
		}
		if inc.Kind != w.typ || !strings.Contains(inc.Reason, w.reason) || !strings.HasPrefix(inc.Reason, "Inconsistent object: ") {
			t.Errorf("%s: got %s / %q", name, inc.Kind, inc.Reason)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d inconsistencies, want %d: %+v", len(got), len(want), s.Inconsistencies)
	}

	// Definitions are the objects as written.
	def, _ := json.Marshal(got["table ghost in source default"].Definition)
	if string(def) != `{"schema":"public","name":"ghost"}` {
		t.Errorf("table definition: %s", def)
	}
	def, _ = json.Marshal(got["array_relation bad_column in table author in source default"].Definition)
	if !strings.Contains(string(def), `"using":{"foreign_key_constraint_on":{"column":"nope","table":{"schema":"public","name":"article"}}}`) ||
		!strings.Contains(string(def), `"name":"bad_column"`) {
		t.Errorf("relationship definition: %s", def)
	}

	// The rest still builds.
	author := s.TablesByName[qt("public", "author")]
	if author == nil || author.FieldsByName["articles"].Relationship == nil || author.FieldsByName["name"].Column == nil {
		t.Fatalf("author: %+v", author)
	}
	if s.TablesByName[qt("public", "article")].FieldsByName["author"].Relationship == nil {
		t.Error("article.author must survive")
	}
	if s.TablesByName[qt("public", "ghost")] != nil || s.TablesByName[qt("public", "colour")] != nil {
		t.Error("inconsistent tables must be left out")
	}
	for _, q := range []string{"author", "article_by_pk", "article_aggregate"} {
		if s.QueryRoot[q] == nil {
			t.Errorf("query_root.%s missing", q)
		}
	}
	if s.GraphQL.Types["ghost"] != nil || s.GraphQL.Types["author"].Fields.ForName("to_untracked") != nil {
		t.Error("inconsistent objects must not be in the GraphQL schema")
	}
	if err := validate(t, s, `query { author { articles { author { name } } } }`); err != nil {
		t.Error(err)
	}
}

func TestEmptyMetadata(t *testing.T) {
	s := buildFrom(t, "", []byte(`{"version": 3, "sources": []}`))
	if s.GraphQL.Query.Fields.ForName("no_queries_available") == nil || s.GraphQL.Subscription != nil {
		t.Errorf("empty schema: %s", s.SDL())
	}
	if err := validate(t, s, `{ no_queries_available __typename }`); err != nil {
		t.Error(err)
	}
}
