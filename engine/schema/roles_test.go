package schema_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stratagql/strata/engine/introspection"
	"github.com/stratagql/strata/engine/schema"
)

// rolesSchema builds the admin schema of fixture.sql with roles.yaml (the
// schema fixture plus permissions and inherited roles).
func rolesSchema(t *testing.T) *schema.Schema {
	t.Helper()
	s := buildFrom(t, string(readFile(t, "fixture.sql")), readFile(t, "roles.yaml"))
	if len(s.Inconsistencies) != 0 {
		t.Fatalf("unexpected inconsistencies: %+v", s.Inconsistencies)
	}
	return s
}

func forRole(t *testing.T, s *schema.Schema, role string) *schema.Schema {
	t.Helper()
	rs, err := s.ForRole(role)
	if err != nil {
		t.Fatalf("ForRole(%q): %v", role, err)
	}
	if rs.Role != role {
		t.Fatalf("ForRole(%q).Role = %q", role, rs.Role)
	}
	return rs
}

func TestRoleGoldenSDL(t *testing.T) {
	s := rolesSchema(t)
	if s.SDL() != string(readFile(t, "schema.graphql")) {
		t.Error("permissions must not change the admin schema")
	}
	for _, role := range []string{"user", "editor", "combo", "reader", "nested", "nobody"} {
		rs := forRole(t, s, role)
		got := rs.SDL()
		golden := filepath.Join("testdata", "role_"+role+".graphql")
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./engine/schema -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s: SDL differs from %s (run go test ./engine/schema -update and review the diff)", role, golden)
		}
		if _, err := gqlparser.LoadSchema(&ast.Source{Name: golden, Input: got}); err != nil {
			t.Errorf("%s: generated SDL does not load: %v", role, err)
		}
	}
}

// introspectedTypes returns the types and their fields (and input fields)
// as introspection reports them to the role.
func introspectedTypes(t *testing.T, rs *schema.Schema) map[string][]string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: `{ __schema { types { name fields { name } inputFields { name } enumValues { name } } } }`})
	if err != nil {
		t.Fatal(err)
	}
	op := doc.Operations[0]
	f := op.SelectionSet[0].(*ast.Field)
	if errs := validateDoc(rs, doc); errs != nil {
		t.Fatal(errs)
	}
	raw, err := introspection.Execute(rs.GraphQL, op, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Types []struct {
			Name        string
			Fields      []struct{ Name string }
			InputFields []struct{ Name string }
			EnumValues  []struct{ Name string }
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	types := map[string][]string{}
	for _, ty := range out.Types {
		var names []string
		for _, f := range ty.Fields {
			names = append(names, f.Name)
		}
		for _, f := range ty.InputFields {
			names = append(names, f.Name)
		}
		for _, f := range ty.EnumValues {
			names = append(names, f.Name)
		}
		types[ty.Name] = names
	}
	return types
}

func hasName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// visibility lists, per role, what introspection must and must not show:
// "type" or "type.field" (fields, input fields and enum values). A
// relationship is visible when its target is, whatever its columns (user
// sees article.editor without editor_id).
var visibility = map[string]struct{ present, absent []string }{
	"user": {
		present: []string{
			"query_root.author", "query_root.authorById", "query_root.article", "query_root.article_by_pk",
			"subscription_root.author_stream", "subscription_root.article",
			"author.id", "author.name", "author.email", "author.bio", "author.createdAt", "author.full_label", "author.articles",
			"article.author", "article.status", "article_status_enum",
			"author_bool_exp.articles", "author_bool_exp.full_label", "author_bool_exp.active",
			"author_order_by.createdAt", "author_select_column.name",
		},
		absent: []string{
			"query_root.authorStats", "query_root.article_aggregate", "query_root.author_stats", "query_root.article_detail",
			"query_root.Region", "query_root.offices", "query_root.article_status",
			"author.rating", "author.followers", "author.stats", "author.recent_articles", "author.articles_aggregate",
			"article.published", "article.editor_id", "article.detail",
			"author_bool_exp.rating", "author_bool_exp.stats", "author_bool_exp.articles_aggregate", "author_bool_exp.recent_articles",
			"author_order_by.rating", "author_order_by.articles_aggregate", "author_select_column.rating",
			"article_bool_exp.published", "author_stream_cursor_value_input.rating",
			"author_aggregate", "author_aggregate_fields", "article_aggregate", "article_aggregate_bool_exp",
			"article_aggregate_order_by", "author_stats", "Region", "office", "article_detail", "article_status",
			"author_sum_fields", "recent_articles",
		},
	},
	"editor": {
		present: []string{
			"query_root.authorStats", "query_root.article_aggregate", "query_root.author_stats_aggregate",
			"query_root.article_detail", "author.rating", "author.stats", "author.recent_articles",
			"author.articles_aggregate", "author_bool_exp.articles_aggregate", "author_order_by.articles_aggregate",
			"article.detail", "article.editor", "author_aggregate_fields.sum",
		},
		absent: []string{"query_root.Region", "query_root.offices", "query_root.article_status", "Region", "office"},
	},
	"combo": {
		present: []string{
			"author.rating", "author.full_label", "query_root.authorStats", "author.articles_aggregate",
			"article.published", "article.detail",
		},
		// Computed fields are only inherited when every parent has them.
		absent: []string{"author.recent_articles", "Region"},
	},
	"reader": {
		present: []string{
			"query_root.authorById", "subscription_root.author", "author.articles", "article.title", "article.author",
		},
		absent: []string{
			"query_root.author", "query_root.article", "query_root.article_by_pk", "subscription_root.author_stream",
			"subscription_root.authorById", "subscription_root.article", "author.email", "author.full_label",
			"author.articles_aggregate", "query_root.authorStats",
		},
	},
	"nobody": {
		present: []string{"query_root.no_queries_available"},
		absent:  []string{"query_root.author", "author", "article", "subscription_root", "article_status_enum"},
	},
}

func TestRoleIntrospection(t *testing.T) {
	s := rolesSchema(t)
	for role, want := range visibility {
		types := introspectedTypes(t, forRole(t, s, role))
		check := func(item string) bool {
			typ, fld, hasField := strings.Cut(item, ".")
			names, ok := types[typ]
			if !hasField {
				return ok
			}
			return ok && hasName(names, fld)
		}
		for _, item := range want.present {
			if !check(item) {
				t.Errorf("%s: %s must be visible", role, item)
			}
		}
		for _, item := range want.absent {
			if check(item) {
				t.Errorf("%s: %s must not be visible", role, item)
			}
		}
	}
}

// roleQueries are requests each role may and may not send.
var roleQueries = map[string]struct{ valid, invalid map[string]string }{
	"user": {
		valid: map[string]string{
			"list":     `{ author(where: {name: {_ilike: "%a%"}, articles: {title: {_eq: "x"}}}, order_by: {createdAt: desc}, limit: 5) { id name createdAt full_label articles { id title author { name } } } }`,
			"by_pk":    `{ authorById(id: 1) { id } article_by_pk(id: 1) { title status } }`,
			"stream":   `subscription { author_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } }`,
			"distinct": `{ article(distinct_on: [author_id]) { author_id } }`,
		},
		invalid: map[string]string{
			"hidden column":            `{ author { rating } }`,
			"hidden column in where":   `{ author(where: {rating: {_gt: 1}}) { id } }`,
			"hidden column order_by":   `{ author(order_by: {followers: asc}) { id } }`,
			"hidden column distinct":   `{ author(distinct_on: [rating]) { id } }`,
			"hidden computed field":    `{ author { recent_articles(args: {days: 1}) { id } } }`,
			"hidden relationship":      `{ author { stats { articles } } }`,
			"no aggregations":          `{ authorStats { aggregate { count } } }`,
			"no rel aggregate":         `{ author { articles_aggregate { aggregate { count } } } }`,
			"no aggregate predicate":   `{ author(where: {articles_aggregate: {count: {predicate: {_gt: 1}}}}) { id } }`,
			"no aggregate order_by":    `{ author(order_by: {articles_aggregate: {count: asc}}) { id } }`,
			"no table":                 `{ author_stats { articles } }`,
			"no enum table":            `{ article_status { value } }`,
			"hidden target of rel":     `{ article { detail { body } } }`,
			"hidden type in variables": `query Q($w: author_stats_bool_exp) { author { id } }`,
			"hidden cursor column":     `subscription { author_stream(batch_size: 1, cursor: {initial_value: {rating: 0}}) { id } }`,
		},
	},
	"reader": {
		valid: map[string]string{
			"by_pk":        `{ authorById(id: 1) { id name articles(where: {published: {_eq: true}}) { title author { id } } } }`,
			"subscription": `subscription { author { id } }`,
		},
		invalid: map[string]string{
			"no select root":      `{ author { id } }`,
			"no article root":     `{ article { id } }`,
			"no stream":           `subscription { author_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } }`,
			"no by_pk in sub":     `subscription { authorById(id: 1) { id } }`,
			"no article root sub": `subscription { article { id } }`,
		},
	},
	"nobody": {
		valid: map[string]string{"placeholder": `{ __typename }`},
		invalid: map[string]string{
			"table":        `{ author { id } }`,
			"subscription": `subscription { author { id } }`,
		},
	},
}

func validateDoc(rs *schema.Schema, doc *ast.QueryDocument) error {
	if errs := validator.Validate(rs.GraphQL, doc); len(errs) > 0 {
		return errs
	}
	return nil
}

func TestRoleQueriesValidate(t *testing.T) {
	s := rolesSchema(t)
	for role, qs := range roleQueries {
		rs := forRole(t, s, role)
		for name, q := range qs.valid {
			if err := validate(t, rs, q); err != nil {
				t.Errorf("%s: %s: %v", role, name, err)
			}
		}
		for name, q := range qs.invalid {
			if err := validate(t, rs, q); err == nil {
				t.Errorf("%s: %s: expected a validation error", role, name)
			}
			// The admin may.
			if name != "no stream" && !strings.HasPrefix(name, "no by_pk") && !strings.HasPrefix(name, "no article root") {
				if err := validate(t, s, q); err != nil && !strings.Contains(name, "hidden type") {
					t.Errorf("%s: %s: the admin query must validate: %v", role, name, err)
				}
			}
		}
	}
}

func TestRoleModel(t *testing.T) {
	s := rolesSchema(t)
	admin := s.TablesByName[qt("public", "author")]
	user := forRole(t, s, "user")
	author := user.TablesByName[qt("public", "author")]
	if author == nil || author == admin {
		t.Fatal("user's author must be a copy")
	}
	if user.Admin != s {
		t.Error("Admin must point at the admin schema")
	}
	sel := author.Select
	if sel == nil || string(sel.Filter) != `{"id":{"_eq":"x-hasura-user-id"}}` || sel.Limit == nil || *sel.Limit != 10 || sel.AllowAggregations || sel.ColumnFilters != nil {
		t.Errorf("user author Select: %+v (%s)", sel, sel.Filter)
	}
	var cols []string
	for _, c := range author.Columns {
		cols = append(cols, c.Field)
	}
	if strings.Join(cols, ",") != "id,name,email,bio,active,createdAt" {
		t.Errorf("user author columns: %v", cols)
	}
	for _, f := range []string{"rating", "stats", "articles_aggregate", "recent_articles"} {
		if _, ok := author.FieldsByName[f]; ok {
			t.Errorf("user author must not have %s", f)
		}
	}
	arts := author.FieldsByName["articles"].Relationship
	if arts == nil || arts.Target != user.TablesByName[qt("public", "article")] || arts.Target == s.TablesByName[qt("public", "article")] {
		t.Errorf("articles must point at the user's article: %+v", arts)
	}
	if r := arts.Target.FieldsByName["author"].Relationship; r == nil || r.Target != author || !r.Nullable {
		t.Errorf("article.author must point at the user's author and be nullable (filtered target): %+v", r)
	}
	if len(author.PrimaryKey) != 1 || author.PrimaryKey[0] != author.Column("id") {
		t.Errorf("primary key: %+v", author.PrimaryKey)
	}
	if user.QueryRoot["authorById"] == nil || user.QueryRoot["authorById"].Table != author || user.QueryRoot["authorStats"] != nil {
		t.Errorf("query root: %v", keys(user.QueryRoot))
	}
	if user.SubscriptionRoot["author_stream"] == nil || user.SubscriptionRoot["author_stream"].Table != author {
		t.Errorf("subscription root: %v", keys(user.SubscriptionRoot))
	}
	article := user.TablesByName[qt("public", "article")]
	if string(article.Select.Filter) != `{"_or":[{"author_id":{"_eq":"x-hasura-user-id"}},{"published":{"_eq":true}}]}` {
		t.Errorf("article filter: %s", article.Select.Filter)
	}
	// The admin model is untouched.
	if admin.Select != nil || admin.FieldsByName["rating"].Column == nil || len(admin.Columns) != len(s.TablesByName[qt("public", "author")].Catalog.Columns) {
		t.Error("the admin author must not change")
	}

	editor := forRole(t, s, "editor")
	ea := editor.TablesByName[qt("public", "article")]
	if string(ea.Select.Filter) != `{"_exists":{"_table":{"name":"author","schema":"public"},"_where":{"_and":[{"id":{"_ceq":["$","author_id"]}},{"active":{"_eq":true}}]}}}` {
		t.Errorf("editor article filter: %s", ea.Select.Filter)
	}
	if f := editor.TablesByName[qt("public", "author")].FieldsByName["articles_aggregate"]; !f.Aggregate || f.Relationship.Target != ea {
		t.Errorf("editor articles_aggregate: %+v", f)
	}
	if editor.TablesByName[qt("geo", "region")] != nil {
		t.Error("editor has no permission on region")
	}

	combo := forRole(t, s, "combo")
	ca := combo.TablesByName[qt("public", "author")]
	cs := ca.Select
	if string(cs.Filter) != `{"_or":[{"id":{"_eq":"x-hasura-user-id"}},{"active":{"_eq":true}}]}` || cs.Limit != nil || !cs.AllowAggregations {
		t.Errorf("combo author Select: %+v (%s)", cs, cs.Filter)
	}
	for _, c := range []string{"id", "name", "created_at", "active"} {
		if _, ok := cs.ColumnFilters[c]; ok {
			t.Errorf("combo: %s is allowed by both parents and needs no cell filter", c)
		}
	}
	if string(cs.ColumnFilters["rating"]) != `{"_or":[{"active":{"_eq":true}}]}` || string(cs.ColumnFilters["followers"]) != `{"_or":[{"active":{"_eq":true}}]}` {
		t.Errorf("combo cell filters: %v", cs.ColumnFilters)
	}
	if c := ca.FieldsByName["followers"].Column; c == nil || !c.Nullable || s.TablesByName[qt("public", "author")].FieldsByName["followers"].Column.Nullable {
		t.Errorf("followers is null where the editor cannot see the row: %+v", c)
	}
	if l := combo.TablesByName[qt("public", "article")].Select.Limit; l == nil || *l != 30 {
		t.Errorf("combo article limit is the largest: %v", l)
	}
	if combo.TablesByName[qt("public", "article_detail")] == nil || combo.TablesByName[qt("public", "author_stats")] == nil {
		t.Error("combo inherits the editor's tables")
	}

	// nested = [combo, reader]: the combo's cell filters survive a second
	// level of inheritance; reader allows id and name everywhere.
	nested := forRole(t, s, "nested")
	ns := nested.TablesByName[qt("public", "author")].Select
	if string(ns.Filter) != `{"_or":[{"_or":[{"id":{"_eq":"x-hasura-user-id"}},{"active":{"_eq":true}}]},{}]}` {
		t.Errorf("nested filter: %s", ns.Filter)
	}
	if string(ns.ColumnFilters["rating"]) != `{"_or":[{"_or":[{"active":{"_eq":true}}]}]}` {
		t.Errorf("nested rating filter: %s", ns.ColumnFilters["rating"])
	}
	if string(ns.ColumnFilters["email"]) != `{"_or":[{"_or":[{"id":{"_eq":"x-hasura-user-id"}},{"active":{"_eq":true}}]}]}` {
		t.Errorf("nested email filter: %s", ns.ColumnFilters["email"])
	}
	if _, ok := ns.ColumnFilters["name"]; ok {
		t.Error("name is allowed by every parent")
	}
	if nested.QueryRoot["author"] == nil {
		t.Error("root fields are the union of the parents'")
	}

	reader := forRole(t, s, "reader")
	if got := keys(reader.QueryRoot); strings.Join(got, ",") != "authorById" {
		t.Errorf("reader query root: %v", got)
	}
	if got := keys(reader.SubscriptionRoot); strings.Join(got, ",") != "author" {
		t.Errorf("reader subscription root: %v", got)
	}
	if reader.TablesByName[qt("public", "article")] == nil {
		t.Error("reader reaches article through author.articles")
	}

	nobody := forRole(t, s, "nobody")
	if len(nobody.Tables) != 0 || len(nobody.QueryRoot) != 0 || nobody.GraphQL.Subscription != nil {
		t.Errorf("nobody: %v", keys(nobody.QueryRoot))
	}
	if got := s.Roles(); strings.Join(got, ",") != "combo,editor,nested,reader,user" {
		t.Errorf("roles: %v", got)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestForRoleCache(t *testing.T) {
	s := rolesSchema(t)
	if a, err := s.ForRole("admin"); err != nil || a != s {
		t.Fatalf("admin: %v", err)
	}
	roles := []string{"user", "editor", "combo", "reader", "nested", "nobody", "ghost"}
	const workers = 16
	got := make([][]*schema.Schema, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for _, r := range roles {
				rs, err := s.ForRole(r)
				if err != nil {
					t.Error(err)
					return
				}
				got[w] = append(got[w], rs)
				_ = rs.SDL()
			}
		}(w)
	}
	wg.Wait()
	for w := 1; w < workers; w++ {
		for i, r := range roles[:5] {
			if got[w][i] != got[0][i] {
				t.Errorf("%s: ForRole must build each role once", r)
			}
		}
	}
	// Roles without permissions share one GraphQL schema.
	a, _ := s.ForRole("nobody")
	b, _ := s.ForRole("ghost")
	if a.GraphQL != b.GraphQL || a.Role != "nobody" || b.Role != "ghost" {
		t.Error("empty roles share their schema")
	}
	// A role schema answers for its admin schema.
	u, _ := s.ForRole("user")
	if x, _ := u.ForRole("editor"); x != got[0][1] {
		t.Error("ForRole on a role schema")
	}
	if x, _ := u.ForRole("admin"); x != s {
		t.Error("ForRole(admin) on a role schema")
	}
}
