package introspection_test

import (
	"strings"
	"testing"

	"github.com/stratagql/strata/engine/catalog/catalogtest"
	"github.com/stratagql/strata/engine/schema"
)

// TestGeneratedSchema introspects a schema generated from metadata: the
// listing must be what Hasura lists (sorted reachable types, no ID, its
// three directives).
func TestGeneratedSchema(t *testing.T) {
	md, cat := catalogtest.Synthetic(3)
	s, err := schema.Build(md, cat)
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, s.GraphQL, fullQuery, nil)
	sch := res["__schema"].(map[string]any)
	var names []string
	for _, x := range sch["types"].([]any) {
		names = append(names, x.(map[string]any)["name"].(string))
	}
	joined := strings.Join(names, " ")
	for _, want := range []string{"Boolean Boolean_comparison_exp Float Int Int_comparison_exp String String_comparison_exp __Directive",
		"cursor_ordering jsonb jsonb_cast_exp jsonb_comparison_exp mutation_root numeric", "t0000 t0000_aggregate t0000_aggregate_bool_exp"} {
		if !strings.Contains(joined, want) {
			t.Errorf("types %q not in %s", want, joined)
		}
	}
	if strings.Contains(joined, " ID ") {
		t.Error("ID is not reachable and must not be listed")
	}
	var dirs []string
	for _, d := range sch["directives"].([]any) {
		dirs = append(dirs, d.(map[string]any)["name"].(string))
	}
	if strings.Join(dirs, " ") != "include skip cached" {
		t.Errorf("directives: %v", dirs)
	}
	cached := find(t, sch["directives"], "cached")
	if ttl := find(t, cached["args"], "ttl"); ttl["defaultValue"] != "60" {
		t.Errorf("ttl: %v", ttl)
	}
	t0 := find(t, sch["types"], "t0000")
	var fields []string
	for _, f := range t0["fields"].([]any) {
		fields = append(fields, f.(map[string]any)["name"].(string))
	}
	if got := strings.Join(fields, " "); got != "children children_aggregate created_at data flag id name parent parent_id score" {
		t.Errorf("t0000 fields: %s", got)
	}
	if sch["subscriptionType"].(map[string]any)["name"] != "subscription_root" ||
		sch["mutationType"].(map[string]any)["name"] != "mutation_root" {
		t.Errorf("roots: %v", sch)
	}
}
