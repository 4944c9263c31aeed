package metaedit_test

import (
	"testing"

	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metaedit"
)

func TestDropInconsistent(t *testing.T) {
	md, cat := fixture()
	for _, s := range []step{
		{"pg_create_select_permission", `{"table":"t0001","role":"user","permission":{"columns":["id"]}}`},
		{"pg_create_update_permission", `{"table":"t0001","role":"user","permission":{"columns":["id"]}}`},
		{"pg_add_computed_field", `{"table":"t0000","name":"full","definition":{"function":"t0000_full"}}`},
	} {
		if err := run(md, cat, s.cmd, s.args); err != nil {
			t.Fatal(err)
		}
	}
	t0, t1, t2, gone := q("t0000"), q("t0001"), q("t0002"), q("gone")
	metaedit.DropInconsistent(md, []metadata.Inconsistency{
		{Source: "default", Kind: metadata.KindTable, Table: &t2},
		{Source: "default", Kind: "array_relation", Table: &t0, Name: "children"},
		{Source: "default", Kind: "computed_field", Table: &t0, Name: "full"},
		{Source: "default", Kind: "object_relation", Table: &t1, Name: "parent"},
		{Source: "default", Kind: "update_permission", Table: &t1, Role: "user"},
		// Objects no longer there, elsewhere, or not a table's: skipped.
		{Source: "default", Kind: metadata.KindTable, Table: &gone},
		{Source: "other", Kind: metadata.KindTable, Table: &t0},
		{Source: "default", Kind: "select_permission", Table: &t1, Role: "nobody"},
		{Kind: metadata.KindInheritedRole, Name: "combo"},
	})
	jsonEq(t, md.Sources[0].Tables, `[
	 {"table":{"schema":"public","name":"t0000"},"object_relationships":[{"name":"parent","using":{"foreign_key_constraint_on":"parent_id"}}]},
	 {"table":{"schema":"public","name":"t0001"},
	  "array_relationships":[{"name":"children","using":{"foreign_key_constraint_on":{"column":"parent_id","table":{"schema":"public","name":"t0002"}}}}],
	  "select_permissions":[{"role":"user","permission":{"columns":["id"],"filter":{}}}]}]`)
}
