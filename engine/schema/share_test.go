package schema_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stratagql/strata/engine/catalog/catalogtest"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
)

// TestRoleSchemaSharesAdminTypes checks that a role schema holds the admin
// schema's definitions of the types it sees identically, and its own of
// the others, and that deriving role schemas leaves the admin schema as it
// was.
func TestRoleSchemaSharesAdminTypes(t *testing.T) {
	md, cat := catalogtest.Synthetic(3)
	for i := range md.Sources[0].Tables {
		md.Sources[0].Tables[i].SelectPermissions = []metadata.SelectPermission{
			{Role: "reader", Permission: metadata.SelectPermDef{Columns: metadata.Columns{All: true}, Filter: json.RawMessage(`{}`), AllowAggregations: true}},
			{Role: "narrow", Permission: metadata.SelectPermDef{Columns: metadata.Columns{Names: []string{"id", "name"}}, Filter: json.RawMessage(`{}`), AllowAggregations: true}},
		}
	}
	s, err := schema.Build(md, cat)
	if err != nil {
		t.Fatal(err)
	}
	adminSDL := s.SDL()
	reader, err := s.ForRole("reader")
	if err != nil {
		t.Fatal(err)
	}
	narrow, err := s.ForRole("narrow")
	if err != nil {
		t.Fatal(err)
	}
	admin := s.GraphQL.Types
	// reader sees every column, relationship and aggregate: its tables'
	// types are the admin's; it has no mutation, so its query root differs.
	for _, name := range []string{"t0000", "t0000_bool_exp", "t0000_order_by", "t0000_select_column", "t0000_aggregate_fields", "t0000_stream_cursor_input"} {
		d := reader.GraphQL.Types[name]
		if d == nil || d != admin[name] {
			t.Errorf("reader's %s is not the admin's definition", name)
		}
		if p := reader.GraphQL.PossibleTypes[name]; d != nil && d.Kind == "OBJECT" && (len(p) != 1 || p[0] != d) {
			t.Errorf("reader's possible types of %s: %v", name, p)
		}
	}
	if reader.GraphQL.Query == s.GraphQL.Query || reader.GraphQL.Types["query_root"] != reader.GraphQL.Query {
		t.Error("reader's query_root must be its own")
	}
	if f, a := reader.GraphQL.Query.Fields.ForName("t0000"), s.GraphQL.Query.Fields.ForName("t0000"); f == nil || f != a {
		t.Error("reader's root field t0000 is not the admin's")
	}
	if reader.GraphQL.Query.Fields.ForName("__schema") == nil {
		t.Error("reader's query_root has no introspection fields")
	}
	// narrow sees two columns: its table types are its own, the enums of
	// the columns' operators (order_by) and scalars the admin's.
	for _, name := range []string{"t0000", "t0000_bool_exp", "t0000_select_column"} {
		d := narrow.GraphQL.Types[name]
		if d == nil || d == admin[name] {
			t.Errorf("narrow's %s is the admin's definition", name)
		} else if d.Fields.ForName("score") != nil || d.EnumValues.ForName("score") != nil {
			t.Errorf("narrow's %s has the hidden column score", name)
		}
	}
	if narrow.GraphQL.Types["order_by"] != admin["order_by"] {
		t.Error("narrow's order_by is not the admin's")
	}
	if f, a := narrow.GraphQL.Types["t0000"].Fields.ForName("id"), admin["t0000"].Fields.ForName("id"); f == nil || f != a {
		t.Error("narrow's t0000.id is not the admin's field")
	}
	if got := s.SDL(); got != adminSDL {
		t.Error("deriving role schemas changed the admin schema")
	}
	if strings.Contains(narrow.SDL(), "score") {
		t.Error("narrow's schema mentions the hidden column score")
	}
}
