package schema_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stratagql/strata/engine/schema"
)

// typical are requests a Hasura frontend sends; each must validate.
var typical = map[string]string{
	"list": `query { author(where: {name: {_ilike: "%a%"}, _or: [{rating: {_gt: 3}}, {followers: {_is_null: true}}]},
	  order_by: [{createdAt: desc_nulls_last}, {articles_aggregate: {count: desc}}], limit: 10, offset: 5, distinct_on: [name]) {
	  id name createdAt updatedAt tags lucky profile feeling handle
	  articles(where: {status: {_eq: published}}, order_by: {title: asc}) { id title status editor { name } detail { body } }
	  articles_aggregate { aggregate { count(columns: [id], distinct: true) max { title } avg { id } } nodes { id } }
	  full_label
	  recent_articles(args: {days: 7}, limit: 3) { title }
	  stats { articles author { id } }
	} }`,
	"by_pk":              `query Q($id: Int!) { authorById(id: $id) { id name } office: offices { Id region { name offices_aggregate { aggregate { count } } } } }`,
	"aggregate":          `query { authorStats(where: {active: {_eq: true}}) { aggregate { count sum { followers balance rating } stddev { score } max { createdAt uid } min { born } } nodes { id } } }`,
	"composite_pk":       `query { Region_by_pk(country: "NL", code: "NH") { name offices { Id country region_code } } }`,
	"jsonb":              `query { author(where: {profile: {_contains: {a: 1}, _has_keys_any: ["a", "b"], _cast: {String: {_like: "%x%"}}}}) { id } }`,
	"aggregate_bool_exp": `query { author(where: {articles_aggregate: {count: {predicate: {_gt: 2}, filter: {published: {_eq: true}}}}, articles: {author: {id: {_eq: 1}}}}) { id } }`,
	"bool_and":           `query { author(where: {articles_aggregate: {bool_and: {arguments: published, predicate: {_eq: true}}}}) { id } }`,
	"enum_table":         `query { article_status { value comment } article(where: {status: {_in: [draft, published]}}) { status } }`,
	"view":               `query { author_stats(order_by: {author: {name: asc}}) { articles author_id } author_stats_aggregate { aggregate { sum { articles } } } }`,
	"variables": `query Q($where: author_bool_exp, $order: [author_order_by!], $limit: Int, $cols: [author_select_column!]) {
	  author(where: $where, order_by: $order, limit: $limit, distinct_on: $cols) { id } }`,
	"fragments":                `query { author { ...A ... on author { name } __typename } } fragment A on author { id articles { ...B } } fragment B on article { title }`,
	"directives":               `query Q($yes: Boolean!) @cached(ttl: 120) { author @include(if: $yes) { id name @skip(if: $yes) } }`,
	"introspection":            `query { __schema { queryType { name } types { name kind fields(includeDeprecated: true) { name } } } __type(name: "author") { name } }`,
	"subscription":             `subscription { author_stream(batch_size: 10, cursor: [{initial_value: {createdAt: "2020-01-01"}, ordering: ASC}]) { id } }`,
	"subscription_live":        `subscription { author(limit: 1) { id } }`,
	"order_by_array_aggregate": `query { author(order_by: {articles_aggregate: {max: {title: asc}, avg: {id: desc}}}) { id } }`,
}

// invalid are requests Hasura rejects; each must fail validation.
var invalid = map[string]string{
	"unknown field":           `query { author { nope } }`,
	"view has no by_pk":       `query { author_stats_by_pk(author_id: 1) { articles } }`,
	"custom name hides sql":   `query { author { created_at } }`,
	"renamed by_pk":           `query { author_by_pk(id: 1) { id } }`,
	"no like on Int":          `query { author(where: {id: {_like: "1"}}) { id } }`,
	"enum value not in table": `query { article(where: {status: {_eq: archived}}) { id } }`,
	"no defer":                `query { author { ... @defer { id } } }`,
	"insert into a view":      `mutation { insert_author_stats(objects: []) { affected_rows } }`,
}

func validate(t *testing.T, s *schema.Schema, q string) error {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		return err
	}
	if errs := validator.Validate(s.GraphQL, doc); len(errs) > 0 {
		return errs
	}
	return nil
}

func TestTypicalQueriesValidate(t *testing.T) {
	s := fixtureSchema(t)
	for name, q := range typical {
		if err := validate(t, s, q); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, q := range invalid {
		if err := validate(t, s, q); err == nil {
			t.Errorf("%s: expected a validation error", name)
		}
	}
}

func TestModel(t *testing.T) {
	s := fixtureSchema(t)
	author := s.TablesByName[qt("public", "author")]
	if author == nil || author.TypeName != "author" {
		t.Fatalf("author: %+v", author)
	}
	if f := author.FieldsByName["createdAt"]; f.Column == nil || f.Column.Name != "created_at" || f.Column.Scalar != "timestamptz" || f.Column.Nullable {
		t.Errorf("createdAt: %+v", f.Column)
	}
	if f := author.FieldsByName["updatedAt"]; f.Column == nil || f.Column.Name != "updated_at" {
		t.Errorf("updatedAt (legacy custom_column_names): %+v", f)
	}
	if f := author.FieldsByName["email"]; f.Column == nil || f.Column.Scalar != "String" {
		t.Errorf("domain over text must be String: %+v", f.Column)
	}
	arts := author.FieldsByName["articles"].Relationship
	if arts == nil || arts.Kind != schema.ArrayRel || arts.Target.TypeName != "article" ||
		len(arts.Mapping) != 1 || arts.Mapping[0] != (schema.ColumnPair{Source: "id", Target: "author_id"}) {
		t.Errorf("articles: %+v", arts)
	}
	if f := author.FieldsByName["articles_aggregate"]; !f.Aggregate || f.Relationship != arts {
		t.Errorf("articles_aggregate: %+v", f)
	}
	if cf := author.FieldsByName["full_label"].ComputedField; cf == nil || cf.Scalar != "String" || cf.TableArgument != 0 || cf.SessionArgument != -1 {
		t.Errorf("full_label: %+v", cf)
	}
	if cf := author.FieldsByName["recent_articles"].ComputedField; cf == nil || cf.Returns == nil || cf.Returns.TypeName != "article" || len(cf.InputArgs) != 1 {
		t.Errorf("recent_articles: %+v", cf)
	}

	article := s.TablesByName[qt("public", "article")]
	if r := article.FieldsByName["author"].Relationship; r == nil || r.Kind != schema.ObjectRel || r.Nullable ||
		r.Mapping[0] != (schema.ColumnPair{Source: "author_id", Target: "id"}) {
		t.Errorf("article.author: %+v", r)
	}
	if r := article.FieldsByName["editor"].Relationship; r == nil || !r.Nullable {
		t.Errorf("article.editor must be nullable: %+v", r)
	}
	if r := article.FieldsByName["detail"].Relationship; r == nil || !r.Nullable || r.Target.TypeName != "article_detail" ||
		r.Mapping[0] != (schema.ColumnPair{Source: "id", Target: "article_id"}) {
		t.Errorf("article.detail: %+v", r)
	}
	if c := article.FieldsByName["status"].Column; c == nil || c.EnumTable == nil || c.Scalar != "article_status_enum" {
		t.Errorf("article.status: %+v", c)
	}
	status := s.TablesByName[qt("public", "article_status")]
	if !status.IsEnum || len(status.EnumValues) != 2 || status.EnumTypeName != "article_status_enum" {
		t.Errorf("article_status: %+v", status)
	}

	office := s.TablesByName[qt("geo", "Office")]
	region := s.TablesByName[qt("geo", "region")]
	if office.TypeName != "office" || region.TypeName != "Region" {
		t.Errorf("custom names: %s %s", office.TypeName, region.TypeName)
	}
	r := office.FieldsByName["region"].Relationship
	if r == nil || len(r.Mapping) != 2 || r.Mapping[0] != (schema.ColumnPair{Source: "country", Target: "country"}) ||
		r.Mapping[1] != (schema.ColumnPair{Source: "region_code", Target: "code"}) || r.Nullable {
		t.Errorf("office.region (composite FK): %+v", r)
	}
	offices := region.FieldsByName["offices"].Relationship
	if offices == nil || len(offices.Mapping) != 2 || offices.Mapping[1] != (schema.ColumnPair{Source: "code", Target: "region_code"}) {
		t.Errorf("region.offices: %+v", offices)
	}
	if len(region.PrimaryKey) != 2 {
		t.Errorf("region pk: %+v", region.PrimaryKey)
	}

	stats := s.TablesByName[qt("public", "author_stats")]
	if len(stats.PrimaryKey) != 0 {
		t.Error("a view has no primary key")
	}
	if r := stats.FieldsByName["author"].Relationship; r == nil || !r.Nullable || r.Mapping[0] != (schema.ColumnPair{Source: "author_id", Target: "id"}) {
		t.Errorf("author_stats.author (manual): %+v", r)
	}

	for name, want := range map[string]schema.RootKind{
		"author": schema.RootSelect, "authorById": schema.RootSelectByPk, "authorStats": schema.RootSelectAggregate,
		"offices": schema.RootSelect, "office_by_pk": schema.RootSelectByPk, "Region_aggregate": schema.RootSelectAggregate,
	} {
		if rf := s.QueryRoot[name]; rf == nil || rf.Kind != want {
			t.Errorf("query_root.%s: %+v", name, rf)
		}
	}
	if _, ok := s.QueryRoot["author_stats_by_pk"]; ok {
		t.Error("view must not have _by_pk")
	}
	if rf := s.SubscriptionRoot["author_stream"]; rf == nil || rf.Kind != schema.RootSelectStream {
		t.Errorf("author_stream: %+v", rf)
	}
	if s.GraphQL.Types["authorStats"] != nil || s.GraphQL.Query.Fields.ForName("authorStats").Description != "aggregate authors" {
		t.Error("custom root field comment")
	}
	if d := s.GraphQL.Types["author"].Description; d != "people who write" {
		t.Errorf("table comment: %q", d)
	}
	if !strings.Contains(s.SDL(), "enum article_status_enum") {
		t.Error("enum table type missing")
	}
}
