package schema_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/schema"
)

const permSQL = `
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, profile jsonb, active boolean, rating int);
CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id), published boolean);
CREATE TABLE untracked (id serial PRIMARY KEY);
CREATE TABLE ghost_base (id int);
CREATE FUNCTION author_label(a author) RETURNS text LANGUAGE sql STABLE AS $$ SELECT a.name $$;
CREATE FUNCTION author_search(a author, q text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT a.name || q $$;
`

// sel is a select permission entry for role with the given body.
func sel(role, body string) string {
	return `{"role": "` + role + `", "permission": ` + body + `}`
}

var permMetadata = `{
  "version": 3,
  "sources": [{"name": "default", "kind": "postgres", "tables": [
    {"table": "author",
     "array_relationships": [{"name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}],
     "computed_fields": [
       {"name": "label", "definition": {"function": "author_label"}},
       {"name": "search", "definition": {"function": "author_search"}}],
     "select_permissions": [
       ` + strings.Join([]string{
	sel("good", `{"columns": ["id", "name"], "computed_fields": ["label"], "filter": {"$or": [{"id": "X-Hasura-User-Id"}, {"articles": {"published": true}}], "label": {"_ilike": "%a%"}}, "limit": 5}`),
	sel("bad_column", `{"columns": ["id", "nope"], "filter": {}}`),
	sel("bad_computed", `{"columns": "*", "computed_fields": ["nope"], "filter": {}}`),
	sel("bad_filter_column", `{"columns": "*", "filter": {"nope": {"_eq": 1}}}`),
	sel("bad_filter_rel", `{"columns": "*", "filter": {"articles": {"nope": {"_eq": 1}}}}`),
	sel("bad_unknown_rel", `{"columns": "*", "filter": {"books": {"id": {"_eq": 1}}}}`),
	sel("bad_operator", `{"columns": "*", "filter": {"name": {"_foo": 1}}}`),
	sel("bad_op_type", `{"columns": "*", "filter": {"_and": [{"id": {"_like": "1"}}]}}`),
	sel("bad_jsonb_op", `{"columns": "*", "filter": {"name": {"_has_key": "a"}}}`),
	sel("bad_exists", `{"columns": "*", "filter": {"_exists": {"_table": "untracked", "_where": {}}}}`),
	sel("bad_exists_where", `{"columns": "*", "filter": {"_exists": {"_table": "article", "_where": {"nope": {"_eq": 1}}}}}`),
	sel("bad_ceq", `{"columns": "*", "filter": {"id": {"_ceq": "nope"}}}`),
	sel("bad_ceq_root", `{"columns": "*", "filter": {"articles": {"id": {"_cgt": ["$", "nope"]}}}}`),
	sel("bad_ceq_form", `{"columns": "*", "filter": {"id": {"_clte": ["x", "y", "z"]}}}`),
	sel("bad_is_null", `{"columns": "*", "filter": {"name": {"_is_null": "yes"}}}`),
	sel("bad_in", `{"columns": "*", "filter": {"id": {"_in": 3}}}`),
	sel("bad_computed_args", `{"columns": "*", "filter": {"search": {"_eq": "x"}}}`),
	sel("bad_custom_name", `{"columns": "*", "filter": {"Name": {"_eq": "x"}}}`),
	sel("negative_limit", `{"columns": "*", "filter": {}, "limit": -1}`),
	sel("bad_root_field", `{"columns": "*", "filter": {}, "query_root_fields": ["select_stream"]}`),
	sel("agg_root", `{"columns": "*", "filter": {}, "subscription_root_fields": ["select_aggregate"]}`),
	sel("admin", `{"columns": "*", "filter": {}}`),
	sel("dup", `{"columns": "*", "filter": {}}`),
	sel("dup", `{"columns": ["id"], "filter": {}}`),
	sel("ins", `{"columns": ["id"], "filter": {}}`),
	sel("over", `{"columns": ["name"], "filter": {"active": {"_eq": true}}, "allow_aggregations": true}`),
}, ",\n       ") + `]},
    {"table": "article",
     "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
     "select_permissions": [` + sel("good", `{"columns": "*", "filter": {"author": {"id": {"_eq": "x-hasura-user-id"}}}}`) + `],
     "insert_permissions": [
       {"role": "ins", "permission": {"columns": ["title"], "check": {"author_id": "X-Hasura-User-Id"}, "set": {"author_id": "X-Hasura-User-Id"}}},
       {"role": "ins_bad_column", "permission": {"columns": ["nope"], "check": {}}},
       {"role": "ins_bad_check", "permission": {"columns": "*", "check": {"nope": 1}}},
       {"role": "ins_bad_set", "permission": {"columns": "*", "check": {}, "set": {"nope": 1}}}],
     "update_permissions": [
       {"role": "upd", "permission": {"columns": ["title"], "filter": {"author_id": {"_eq": "X-Hasura-User-Id"}}, "check": {"title": {"_neq": ""}}}},
       {"role": "upd_bad_filter", "permission": {"columns": "*", "filter": {"author": {"nope": {"_eq": 1}}}}},
       {"role": "upd_bad_check", "permission": {"columns": "*", "filter": {}, "check": {"title": {"_contains": {}}}}}],
     "delete_permissions": [
       {"role": "del", "permission": {"filter": {"published": {"_eq": false}}}},
       {"role": "del_bad", "permission": {"filter": {"_exists": {"_table": {"schema": "public", "name": "ghost"}, "_where": {}}}}}]},
    {"table": "ghost", "select_permissions": [` + sel("good", `{"columns": "*", "filter": {}}`) + `]}
  ]}],
  "inherited_roles": [
    {"role_name": "cyc1", "role_set": ["cyc2", "good"]},
    {"role_name": "cyc2", "role_set": ["cyc1"]},
    {"role_name": "self", "role_set": ["self"]},
    {"role_name": "okay", "role_set": ["good", "ins", "cyc1"]},
    {"role_name": "okay", "role_set": ["good"]},
    {"role_name": "admin", "role_set": ["good"]},
    {"role_name": "blank", "role_set": []},
    {"role_name": "over", "role_set": ["good", "ins"]}
  ]
}`

func TestPermissionInconsistencies(t *testing.T) {
	s := buildFrom(t, permSQL, []byte(permMetadata))
	got := map[string]struct {
		typ, reason string
		def         any
	}{}
	for _, inc := range s.Inconsistencies {
		if _, dup := got[inc.ObjectName()]; dup && inc.ObjectName() != "select_permission dup in table author in source default" && inc.ObjectName() != "inherited_role okay" {
			t.Errorf("reported twice: %s", inc.ObjectName())
		}
		got[inc.ObjectName()] = struct {
			typ, reason string
			def         any
		}{inc.Kind, inc.Reason, inc.Definition}
	}
	selReason := func(role, reason string) (string, [2]string) {
		return "select_permission " + role + " in table author in source default",
			[2]string{"select_permission", `in table "author": in permission for role "` + role + `": ` + reason}
	}
	want := map[string][2]string{}
	for role, reason := range map[string]string{
		"bad_column":        `column "nope" does not exist`,
		"bad_computed":      `computed field "nope" does not exist`,
		"bad_filter_column": `$.filter.nope: no column, relationship or computed field "nope" exists in table "author"`,
		"bad_filter_rel":    `$.filter.articles.nope: no column, relationship or computed field "nope" exists in table "article"`,
		"bad_unknown_rel":   `$.filter.books: no column, relationship or computed field "books" exists in table "author"`,
		"bad_operator":      `$.filter.name._foo: operator "_foo" is not defined for type "String"`,
		"bad_op_type":       `$.filter._and[0].id._like: operator "_like" is not defined for type "Int"`,
		"bad_jsonb_op":      `$.filter.name._has_key: operator "_has_key" is not defined for type "String"`,
		"bad_exists":        `$.filter._exists._table: table "untracked" is not tracked`,
		"bad_exists_where":  `$.filter._exists._where.nope: no column, relationship or computed field "nope" exists in table "article"`,
		"bad_ceq":           `$.filter.id._ceq: column "nope" does not exist in table "author"`,
		"bad_ceq_root":      `$.filter.articles.id._cgt: column "nope" does not exist in table "author"`,
		"bad_ceq_form":      `$.filter.id._clte: expected a column name or a path ["$", column]`,
		"bad_is_null":       `$.filter.name._is_null: expected a Boolean, but encountered String`,
		"bad_in":            `$.filter.id._in: expected an array or a session variable, but encountered Number`,
		"bad_computed_args": `$.filter.search: computed field "search" takes input arguments`,
		"bad_custom_name":   `$.filter.Name: no column, relationship or computed field "Name"`,
		"negative_limit":    `"limit" must be a non-negative integer`,
		"bad_root_field":    `invalid value "select_stream" in "query_root_fields"`,
		"agg_root":          `the "select_aggregate" root field can only be enabled in "subscription_root_fields" when "allow_aggregations" is true`,
		"admin":             `cannot define permission for admin role`,
		"dup":               `the permission for role "dup" is defined more than once`,
	} {
		name, w := selReason(role, reason)
		want[name] = w
	}
	mut := func(kind, role, reason string) {
		want[kind+"_permission "+role+" in table article in source default"] = [2]string{kind + "_permission",
			`in table "article": in permission for role "` + role + `": ` + reason}
	}
	mut("insert", "ins_bad_column", `column "nope" does not exist`)
	mut("insert", "ins_bad_check", `$.check.nope: no column, relationship or computed field "nope" exists in table "article"`)
	mut("insert", "ins_bad_set", `column "nope" in "set" does not exist`)
	mut("update", "upd_bad_filter", `$.filter.author.nope: no column`)
	mut("update", "upd_bad_check", `$.check.title._contains: operator "_contains" is not defined for type "String"`)
	mut("delete", "del_bad", `$.filter._exists._table: table "ghost" is not tracked`)
	want["inherited_role cyc1"] = [2]string{"inherited_role", "found cycle in inherited roles: cyc1 -> cyc2 -> cyc1"}
	want["inherited_role cyc2"] = [2]string{"inherited_role", "found cycle in inherited roles: cyc1 -> cyc2 -> cyc1"}
	want["inherited_role self"] = [2]string{"inherited_role", "found cycle in inherited roles: self -> self"}
	want["inherited_role okay"] = [2]string{"inherited_role", `the inherited role "okay" is defined more than once`}
	want["inherited_role admin"] = [2]string{"inherited_role", "the admin role cannot be an inherited role"}
	want["inherited_role blank"] = [2]string{"inherited_role", `the role set of inherited role "blank" is empty`}
	want["table ghost in source default"] = [2]string{"table", "no such table/view exists"}

	for name, w := range want {
		inc, ok := got[name]
		if !ok {
			t.Errorf("missing inconsistency %q", name)
			continue
		}
		if inc.typ != w[0] || !strings.HasPrefix(inc.reason, "Inconsistent object: ") || !strings.Contains(inc.reason, w[1]) {
			t.Errorf("%s:\n got %s %q\nwant %s %q", name, inc.typ, inc.reason, w[0], w[1])
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected inconsistency %q: %+v", name, got[name])
		}
	}

	// The definition is the permission as written, with its table.
	def, _ := json.Marshal(got["select_permission bad_column in table author in source default"].def)
	if string(def) != `{"comment":null,"permission":{"columns":["id","nope"],"filter":{}},"role":"bad_column","source":"default","table":{"schema":"public","name":"author"}}` {
		t.Errorf("definition: %s", def)
	}

	// Inconsistent permissions give no access; consistent ones do.
	for _, role := range []string{"bad_column", "bad_filter_rel", "negative_limit", "admin_", "cyc1", "self"} {
		rs, err := s.ForRole(role)
		if err != nil {
			t.Fatal(err)
		}
		if rs.TablesByName[qt("public", "author")] != nil {
			t.Errorf("%s must not see author", role)
		}
	}
	good, err := s.ForRole("good")
	if err != nil {
		t.Fatal(err)
	}
	ga := good.TablesByName[qt("public", "author")]
	if ga == nil || string(ga.Select.Filter) != `{"_or":[{"id":{"_eq":"x-hasura-user-id"}},{"articles":{"published":{"_eq":true}}}],"label":{"_ilike":"%a%"}}` {
		t.Fatalf("good: %+v", ga)
	}
	if ga.FieldsByName["label"].ComputedField == nil || ga.FieldsByName["search"].ComputedField != nil {
		t.Error("good sees label only")
	}
	// dup's first permission stands.
	dup, _ := s.ForRole("dup")
	if len(dup.TablesByName[qt("public", "author")].Columns) != 5 {
		t.Error("the first of duplicate permissions is kept")
	}
	// okay's first definition stands; its cyclic parent contributes nothing.
	okay, _ := s.ForRole("okay")
	if oa := okay.TablesByName[qt("public", "author")]; oa == nil || string(oa.Select.Filter) != `{"_or":[`+string(ga.Select.Filter)+`,{}]}` {
		t.Errorf("okay: %+v", oa)
	}
}

func TestInheritedRoleOverride(t *testing.T) {
	s := buildFrom(t, permSQL, []byte(permMetadata))
	over, err := s.ForRole("over")
	if err != nil {
		t.Fatal(err)
	}
	// An inherited role's own permission on a table replaces the inherited
	// one there; elsewhere it inherits.
	oa := over.TablesByName[qt("public", "author")]
	if oa == nil || string(oa.Select.Filter) != `{"active":{"_eq":true}}` || len(oa.Columns) != 1 || oa.Columns[0].Name != "name" ||
		!oa.Select.AllowAggregations || oa.Select.ColumnFilters != nil {
		t.Errorf("over author: %+v", oa)
	}
	if ar := over.TablesByName[qt("public", "article")]; ar == nil || string(ar.Select.Filter) != `{"_or":[{"author":{"id":{"_eq":"x-hasura-user-id"}}}]}` {
		t.Errorf("over article: %+v", ar)
	}
	// A role with mutation permissions only has an empty query root and
	// the mutation fields that return no rows.
	upd, err := s.ForRole("upd")
	if err != nil || len(upd.GraphQL.Query.Fields) != 3 || upd.GraphQL.Query.Fields.ForName("no_queries_available") == nil {
		t.Fatalf("upd: %v", err)
	}
	if got := fieldNames(upd.GraphQL.Mutation.Fields); got != "update_article update_article_many" {
		t.Errorf("upd mutation_root: %s", got)
	}
	if got := fieldNames(upd.GraphQL.Types["article_mutation_response"].Fields); got != "affected_rows" {
		t.Errorf("upd article_mutation_response: %s", got)
	}
	if got := fieldNames(upd.GraphQL.Types["article_bool_exp"].Fields); got != "_and _not _or" {
		t.Errorf("upd article_bool_exp: %s", got)
	}
	if upd.GraphQL.Types["article"] != nil || upd.GraphQL.Subscription != nil {
		t.Error("upd sees the article object type or a subscription root")
	}
}

func TestValidateBoolExp(t *testing.T) {
	s := buildFrom(t, permSQL, []byte(permMetadata))
	author := s.TablesByName[qt("public", "author")]
	for _, c := range []struct{ in, out, err string }{
		{in: ``, out: `{}`},
		{in: `null`, out: `{}`},
		{in: `{}`, out: `{}`},
		{in: `{"id": 1}`, out: `{"id":{"_eq":1}}`},
		{in: `{"id": "X-HASURA-USER-ID"}`, out: `{"id":{"_eq":"x-hasura-user-id"}}`},
		{in: `{"$and": [{"name": {"$eq": "a"}}], "$not": {"id": {"$ne": 2}}}`, out: `{"_and":[{"name":{"_eq":"a"}}],"_not":{"id":{"_neq":2}}}`},
		{in: `{"_or": {"id": {"_gt": 1.50}}}`, out: `{"_or":[{"id":{"_gt":1.50}}]}`},
		{in: `{"id": {"_in": "X-Hasura-Allowed-Ids"}}`, out: `{"id":{"_in":"x-hasura-allowed-ids"}}`},
		{in: `{"id": {"_nin": [1, 2]}, "name": {"_is_null": false}}`, out: `{"id":{"_nin":[1,2]},"name":{"_is_null":false}}`},
		{in: `{"id": {"_cneq": ["rating"], "_ceq": "rating"}}`, out: `{"id":{"_ceq":"rating","_cne":"rating"}}`},
		{in: `{"articles": {"author_id": {"_ceq": ["$", "id"]}}}`, out: `{"articles":{"author_id":{"_ceq":["$","id"]}}}`},
		{in: `{"_exists": {"_table": "article", "_where": {"author_id": {"_ceq": ["$", "id"]}}}}`,
			out: `{"_exists":{"_table":{"name":"article","schema":"public"},"_where":{"author_id":{"_ceq":["$","id"]}}}}`},
		{in: `{"profile": {"_contains": {"a": [1]}, "_has_keys_any": ["a"], "_cast": {"String": {"_like": "%x%"}}}}`,
			out: `{"profile":{"_cast":{"String":{"_like":"%x%"}},"_contains":{"a":[1]},"_has_keys_any":["a"]}}`},
		{in: `{"articles_aggregate": {"count": {"predicate": {"_gt": 1}, "filter": {"published": true}, "arguments": ["id"], "distinct": true}}}`,
			out: `{"articles_aggregate":{"count":{"arguments":["id"],"distinct":true,"filter":{"published":{"_eq":true}},"predicate":{"_gt":1}}}}`},
		{in: `{"articles_aggregate": {"bool_and": {"arguments": "published", "predicate": {"_eq": true}}}}`,
			out: `{"articles_aggregate":{"bool_and":{"arguments":"published","predicate":{"_eq":true}}}}`},
		{in: `{"label": "x"}`, out: `{"label":{"_eq":"x"}}`},
		{in: `[]`, err: `$: expected an object, but encountered Array`},
		{in: `{"_and": 1}`, err: `$._and: expected an array, but encountered Number`},
		{in: `{"_exists": {"_table": "article"}}`, err: `$._exists: key "_where" not found`},
		{in: `{"articles_aggregate": {"count": {"predicate": {"_like": "x"}}}}`, err: `$.articles_aggregate.count.predicate._like: operator "_like" is not defined for type "Int"`},
		{in: `{"articles_aggregate": {"bool_or": {"arguments": "title", "predicate": {"_eq": true}}}}`, err: `$.articles_aggregate.bool_or.arguments: bool_or applies to Boolean columns`},
		{in: `{"articles_aggregate": {"max": {}}}`, err: `$.articles_aggregate.max: unknown aggregate function "max"`},
		{in: `{"label": {"_ceq": "id"}}`, err: `$.label._ceq: column comparison operator "_ceq" can only be applied to a column`},
		{in: `{"rating": {"_eq": {"a": 1}}}`, err: `$.rating._eq: expected a value of type "Int", but encountered an Object`},
		{in: `{"id": 1} x`, err: `$: invalid JSON`},
	} {
		got, err := schema.NormalizeBoolExp(author, json.RawMessage(c.in), s.TablesByName)
		verr := schema.ValidateBoolExp(author, json.RawMessage(c.in), s.TablesByName)
		if c.err != "" {
			var be *schema.BoolExpError
			if err == nil || !errors.As(err, &be) || !strings.HasPrefix(err.Error(), c.err) || verr == nil {
				t.Errorf("%s: got %v, want error %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || verr != nil || string(got) != c.out {
			t.Errorf("%s:\n got %s (%v)\nwant %s", c.in, got, err, c.out)
		}
	}
}

// fieldNames lists the fields' names.
func fieldNames(fs ast.FieldList) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, " ")
}
