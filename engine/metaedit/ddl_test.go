package metaedit_test

import (
	"testing"

	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metaedit"
)

func TestFollowDDL(t *testing.T) {
	// extra is tracked with an object relationship to t0000 (own column),
	// a manual one to color, a permission using label and t0_id, and a
	// column configuration; t0000 has an array relationship to extra.
	setup := []step{
		{"pg_track_table", `{"table":"extra","configuration":{"column_config":{"label":{"custom_name":"title"}}}}`},
		{"pg_track_table", `{"table":"color"}`},
		{"pg_create_object_relationship", `{"table":"extra","name":"t0","using":{"foreign_key_constraint_on":"t0_id"}}`},
		{"pg_create_object_relationship", `{"table":"extra","name":"c","using":{"manual_configuration":{"remote_table":"color","column_mapping":{"label":"value"}}}}`},
		{"pg_create_array_relationship", `{"table":"t0000","name":"extras","using":{"foreign_key_constraint_on":{"table":"extra","column":"t0_id"}}}`},
		{"pg_create_insert_permission", `{"table":"extra","role":"user","permission":{"columns":["label"],"check":{"t0_id":{"_eq":1}},"set":{"label":"x"}}}`},
	}
	tableView := func(name string) func(md *metadata.Metadata) any {
		return func(md *metadata.Metadata) any { return entry(md, name) }
	}
	for _, tc := range []struct {
		name    string
		ddl     metaedit.DDL
		cascade bool
		view    func(md *metadata.Metadata) any
		want    string
		code    string
		msg     string
	}{
		{name: "nothing", ddl: metaedit.DDL{}, view: func(md *metadata.Metadata) any { return len(md.Sources[0].Tables) }, want: `5`},
		{name: "column rename on the table", ddl: metaedit.DDL{RenamedColumns: map[metadata.QualifiedTable]map[string]string{
			q("extra"): {"label": "title", "t0_id": "owner"}}}, view: tableView("extra"),
			want: `{"table":{"schema":"public","name":"extra"},"configuration":{"column_config":{"title":{"custom_name":"title"}}},
			 "object_relationships":[{"name":"t0","using":{"foreign_key_constraint_on":"owner"}},
			  {"name":"c","using":{"manual_configuration":{"remote_table":{"schema":"public","name":"color"},"column_mapping":{"title":"value"}}}}],
			 "insert_permissions":[{"role":"user","permission":{"check":{"owner":{"_eq":1}},"set":{"title":"x"},"columns":["title"]}}]}`},
		{name: "column rename on the remote side", ddl: metaedit.DDL{RenamedColumns: map[metadata.QualifiedTable]map[string]string{
			q("extra"): {"t0_id": "owner"}, q("color"): {"value": "v"}}},
			view: func(md *metadata.Metadata) any {
				return []any{entry(md, "t0000").(*metadata.Table).ArrayRelationships, entry(md, "extra").(*metadata.Table).ObjectRelationships[1]}
			},
			want: `[[{"name":"children","using":{"foreign_key_constraint_on":{"column":"parent_id","table":{"schema":"public","name":"t0001"}}}},
			  {"name":"extras","using":{"foreign_key_constraint_on":{"column":"owner","table":{"schema":"public","name":"extra"}}}}],
			 {"name":"c","using":{"manual_configuration":{"remote_table":{"schema":"public","name":"color"},"column_mapping":{"label":"v"}}}}]`},
		{name: "table rename", ddl: metaedit.DDL{RenamedTables: map[metadata.QualifiedTable]metadata.QualifiedTable{q("extra"): q("more"), q("color"): q("colour")}},
			view: func(md *metadata.Metadata) any {
				return []any{entry(md, "extra"), entry(md, "more").(*metadata.Table).ObjectRelationships[1], entry(md, "t0000").(*metadata.Table).ArrayRelationships[1]}
			},
			want: `[null,{"name":"c","using":{"manual_configuration":{"remote_table":{"schema":"public","name":"colour"},"column_mapping":{"label":"value"}}}},
			 {"name":"extras","using":{"foreign_key_constraint_on":{"column":"t0_id","table":{"schema":"public","name":"more"}}}}]`},
		{name: "drop a table others use", ddl: metaedit.DDL{DroppedTables: []metadata.QualifiedTable{q("extra")}},
			code: "dependency-error", msg: `cannot drop due to the following dependent objects : relationship t0000.extras in source "default"`},
		{name: "drop a table others use, cascade", ddl: metaedit.DDL{DroppedTables: []metadata.QualifiedTable{q("extra")}}, cascade: true,
			view: func(md *metadata.Metadata) any { return []any{entry(md, "extra"), entry(md, "t0000")} }, want: `[null,` + t0000 + `]`},
		{name: "drop a table referenced by a foreign key of another", ddl: metaedit.DDL{DroppedTables: []metadata.QualifiedTable{q("t0000")}},
			code: "dependency-error",
			msg: `cannot drop due to the following dependent objects : relationship t0001.parent in source "default", ` +
				`relationship t0002.children in source "default", relationship extra.t0 in source "default"`},
		{name: "drop both sides", ddl: metaedit.DDL{DroppedTables: []metadata.QualifiedTable{q("extra"), q("color")}},
			code: "dependency-error", msg: `cannot drop due to the following dependent objects : relationship t0000.extras in source "default"`},
		{name: "drop unused table", ddl: metaedit.DDL{DroppedTables: []metadata.QualifiedTable{q("t0002")}}, cascade: true,
			view: func(md *metadata.Metadata) any {
				return []any{entry(md, "t0002"), len(entry(md, "t0000").(*metadata.Table).ObjectRelationships)}
			},
			want: `[null,0]`},
		{name: "drop a column a permission uses", ddl: metaedit.DDL{DroppedColumns: map[metadata.QualifiedTable][]string{q("extra"): {"label"}}},
			code: "dependency-error",
			msg:  `cannot drop due to the following dependent objects : permission extra.user.insert in source "default", relationship extra.c in source "default"`},
		{name: "drop a column, cascade", ddl: metaedit.DDL{DroppedColumns: map[metadata.QualifiedTable][]string{q("extra"): {"label"}}}, cascade: true,
			view: tableView("extra"),
			want: `{"table":{"schema":"public","name":"extra"},"configuration":{},"object_relationships":[{"name":"t0","using":{"foreign_key_constraint_on":"t0_id"}}]}`},
		{name: "drop a remote column", ddl: metaedit.DDL{DroppedColumns: map[metadata.QualifiedTable][]string{q("color"): {"value"}}},
			code: "dependency-error", msg: `cannot drop due to the following dependent objects : relationship extra.c in source "default"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md, cat := fixture()
			for _, s := range setup {
				if err := run(md, cat, s.cmd, s.args); err != nil {
					t.Fatalf("setup %s: %v", s.cmd, err)
				}
			}
			err := metaedit.FollowDDL(md.Source("default"), &tc.ddl, tc.cascade, cat)
			if tc.code != "" {
				wantErr(t, err, tc.code, "$", tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			jsonEq(t, tc.view(md), tc.want)
		})
	}
}
