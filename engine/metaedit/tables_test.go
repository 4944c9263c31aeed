package metaedit_test

import (
	"encoding/json"
	"testing"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metaedit"
)

func TestTableCommands(t *testing.T) {
	runCases(t, []editCase{
		// pg_track_table
		{name: "track", cmd: "pg_track_table", args: `{"source":"default","table":{"schema":"public","name":"extra"}}`,
			table: "extra", want: `{"table":{"schema":"public","name":"extra"}}`},
		{name: "track by bare name with configuration", cmd: "pg_track_table",
			args:  `{"table":"extra","configuration":{"custom_name":"more","column_config":{"label":{"custom_name":"title"}}}}`,
			table: "extra", want: `{"table":{"schema":"public","name":"extra"},"configuration":{"custom_name":"more","column_config":{"label":{"custom_name":"title"}}}}`},
		{name: "track as enum", cmd: "pg_track_table", args: `{"table":"color","is_enum":true}`,
			table: "color", want: `{"table":{"schema":"public","name":"color"},"is_enum":true}`},
		{name: "track legacy inline form", cmd: "pg_track_table", args: `{"schema":"public","name":"extra"}`,
			table: "extra", want: `{"table":{"schema":"public","name":"extra"}}`},
		{name: "track legacy bare name", cmd: "pg_track_table", args: `{"name":"extra","is_enum":false}`,
			table: "extra", want: `{"table":{"schema":"public","name":"extra"}}`},
		{name: "track ignores apollo_federation_config", cmd: "pg_track_table", args: `{"table":"extra","apollo_federation_config":{"enable":"v1"}}`,
			table: "extra", want: `{"table":{"schema":"public","name":"extra"}}`},
		{name: "track already tracked", cmd: "pg_track_table", args: `{"table":"t0000"}`,
			code: "already-tracked", path: "$", msg: `view/table already tracked : "t0000"`},
		{name: "track missing table", cmd: "pg_track_table", args: `{"table":"nope"}`,
			code: "not-exists", path: "$", msg: `no such table/view exists in source: "nope"`},
		{name: "track other schema", cmd: "pg_track_table", args: `{"table":{"schema":"other","name":"extra"}}`,
			code: "not-exists", path: "$", msg: `no such table/view exists in source: "other.extra"`},
		{name: "track unknown source", cmd: "pg_track_table", args: `{"table":"extra","source":"other"}`,
			code: "not-exists", path: "$", msg: `source with name "other" does not exist`},
		{name: "track without table", cmd: "pg_track_table", args: `{"source":"default"}`,
			code: "parse-failed", path: "$", msg: `key "table" not found`},
		{name: "track unknown key", cmd: "pg_track_table", args: `{"table":"extra","colour":1}`,
			code: "parse-failed", path: "$", msg: "unexpected keys in object: colour"},
		{name: "track is_enum type", cmd: "pg_track_table", args: `{"table":"extra","is_enum":"yes"}`,
			code: "parse-failed", path: "$.is_enum", msg: "expected Boolean, but encountered string"},
		{name: "track args not an object", cmd: "pg_track_table", args: `["extra"]`,
			code: "parse-failed", path: "$", msg: "expected Object, but encountered Array"},
		{name: "track configuration column", cmd: "pg_track_table", args: `{"table":"extra","configuration":{"column_config":{"nope":{"custom_name":"x"}}}}`,
			code: "not-exists", path: "$.configuration.column_config", msg: `no such column exists: "nope"`},
		{name: "track custom column name", cmd: "pg_track_table", args: `{"table":"extra","configuration":{"custom_column_names":{"nope":"x"}}}`,
			code: "not-exists", path: "$.configuration.custom_column_names", msg: `no such column exists: "nope"`},
		{name: "track non-enum as enum", cmd: "pg_track_table", args: `{"table":"extra","is_enum":true}`,
			code: "constraint-violation", path: "$",
			msg: `the table "extra" cannot be used as an enum because the table’s primary key column (id) must have type “text”, not type "int4"`},

		// pg_untrack_table
		{name: "untrack", before: []step{{"pg_track_table", `{"table":"extra"}`}}, cmd: "pg_untrack_table", args: `{"table":"extra"}`,
			table: "extra", want: `null`},
		{name: "untrack untracked", cmd: "pg_untrack_table", args: `{"table":"extra"}`,
			code: "already-untracked", path: "$", msg: `view/table already untracked : "extra"`},
		{name: "untrack with dependants", cmd: "pg_untrack_table", args: `{"table":"t0001"}`,
			code: "dependency-error", path: "$",
			msg: `cannot drop due to the following dependent objects : relationship t0000.children in source "default", relationship t0002.parent in source "default"`},
		{name: "untrack cascade", cmd: "pg_untrack_table", args: `{"table":"t0001","cascade":true}`,
			table: "t0000", want: `{"table":{"schema":"public","name":"t0000"},"object_relationships":[{"name":"parent","using":{"foreign_key_constraint_on":"parent_id"}}]}`},
		{name: "untrack cascade takes permissions on the relationship",
			before: []step{{"pg_create_select_permission", `{"table":"t0000","role":"user","permission":{"columns":["id"],"filter":{"children":{"id":{"_eq":1}}}}}`}},
			cmd:    "pg_untrack_table", args: `{"table":"t0001","cascade":true}`,
			table: "t0000", want: `{"table":{"schema":"public","name":"t0000"},"object_relationships":[{"name":"parent","using":{"foreign_key_constraint_on":"parent_id"}}]}`},
		{name: "untrack cascade type", cmd: "pg_untrack_table", args: `{"table":"t0001","cascade":1}`,
			code: "parse-failed", path: "$.cascade", msg: "expected Boolean, but encountered number"},

		// pg_set_table_customization
		{name: "customize", cmd: "pg_set_table_customization", args: `{"table":"t0000","configuration":{"custom_root_fields":{"select":"things"}}}`,
			view: func(md *metadata.Metadata) any { return md.Source("default").Table(q("t0000")).Configuration },
			want: `{"custom_root_fields":{"select":"things"}}`},
		{name: "customize replaces", before: []step{{"pg_set_table_customization", `{"table":"t0000","configuration":{"custom_name":"thing"}}`}},
			cmd: "pg_set_table_customization", args: `{"table":"t0000"}`,
			view: func(md *metadata.Metadata) any { return md.Source("default").Table(q("t0000")).Configuration }, want: `null`},
		{name: "customize untracked", cmd: "pg_set_table_customization", args: `{"table":"color","configuration":{}}`,
			code: "not-exists", path: "$", msg: `table "color" does not exist`},
		{name: "customize bad column", cmd: "pg_set_table_customization", args: `{"table":"t0000","configuration":{"column_config":{"nope":{}}}}`,
			code: "not-exists", path: "$.configuration.column_config", msg: `no such column exists: "nope"`},

		// pg_set_table_is_enum
		{name: "is_enum", before: []step{{"pg_track_table", `{"table":"color"}`}}, cmd: "pg_set_table_is_enum", args: `{"table":"color","is_enum":true}`,
			table: "color", want: `{"table":{"schema":"public","name":"color"},"is_enum":true}`},
		{name: "is_enum off", before: []step{{"pg_track_table", `{"table":"color","is_enum":true}`}}, cmd: "pg_set_table_is_enum",
			args: `{"table":"color","is_enum":false}`, table: "color", want: `{"table":{"schema":"public","name":"color"}}`},
		{name: "is_enum required", cmd: "pg_set_table_is_enum", args: `{"table":"t0000"}`,
			code: "parse-failed", path: "$", msg: `key "is_enum" not found`},
		{name: "is_enum wrong shape", cmd: "pg_set_table_is_enum", args: `{"table":"t0000","is_enum":true}`,
			code: "constraint-violation", path: "$",
			msg: `the table "t0000" cannot be used as an enum because the table’s primary key column (id) must have type “text”, not type "int4"`},
	})
}

func TestLegacyTableCommands(t *testing.T) {
	for _, tc := range []struct{ name, args, want string }{
		{"set_table_custom_fields", `{"table":"t0000","custom_root_fields":{"select":"things"},"custom_column_names":{"name":"title"}}`,
			`{"custom_root_fields":{"select":"things"},"custom_column_names":{"name":"title"}}`},
		{"set_table_custom_fields", `{"table":"t0000","custom_column_names":{"nope":"x"}}`,
			`not-exists $.configuration.custom_column_names no such column exists: "nope"`},
	} {
		md, cat := fixture()
		spec, _ := metaedit.Lookup(tc.name, true)
		e := spec.Edit()
		if err := apiargs.Decode(json.RawMessage(tc.args), "$", e); err != nil {
			t.Fatal(err)
		}
		if err := e.Apply(md, cat); err != nil {
			he, _ := hasuraerr.As(err)
			if got := he.Code + " " + he.Path + " " + he.Message; got != tc.want {
				t.Fatalf("%s: got %s, want %s", tc.args, got, tc.want)
			}
			continue
		}
		jsonEq(t, md.Source("default").Table(q("t0000")).Configuration, tc.want)
	}
	md, cat := fixture()
	spec, _ := metaedit.Lookup("add_existing_table_or_view", true)
	e := spec.Edit()
	if err := apiargs.Decode(json.RawMessage(`{"schema":"public","name":"extra"}`), "$", e); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(md, cat); err != nil || entry(md, "extra") == nil {
		t.Fatalf("add_existing_table_or_view: %v", err)
	}
}
