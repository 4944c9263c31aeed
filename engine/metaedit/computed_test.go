package metaedit_test

import "testing"

func TestComputedFieldCommands(t *testing.T) {
	add := step{"pg_add_computed_field", `{"table":"t0000","name":"full","definition":{"function":"t0000_full"},"comment":"whole"}`}
	withFull := func(fields string) string {
		return `{"table":{"schema":"public","name":"t0000"},
		 "object_relationships":[{"name":"parent","using":{"foreign_key_constraint_on":"parent_id"}}],
		 "array_relationships":[{"name":"children","using":{"foreign_key_constraint_on":{"column":"parent_id","table":{"schema":"public","name":"t0001"}}}}]` + fields + `}`
	}
	usesFull := step{"pg_create_select_permission", `{"table":"t0000","role":"user","permission":{"columns":"*","computed_fields":["full"]}}`}
	runCases(t, []editCase{
		{name: "add", cmd: add.cmd, args: add.args, table: "t0000",
			want: withFull(`,"computed_fields":[{"name":"full","definition":{"function":{"schema":"public","name":"t0000_full"}},"comment":"whole"}]`)},
		{name: "add missing function", cmd: "pg_add_computed_field", args: `{"table":"t0000","name":"x","definition":{"function":"nope"}}`,
			code: "not-exists", path: "$.definition.function", msg: `no such function exists: "nope"`},
		{name: "add over a column", cmd: "pg_add_computed_field", args: `{"table":"t0000","name":"name","definition":{"function":"t0000_full"}}`,
			code: "already-exists", path: "$", msg: `column/relationship "name" of table "t0000" already exists`},
		{name: "add twice", before: []step{add}, cmd: add.cmd, args: add.args,
			code: "already-exists", path: "$", msg: `column/relationship "full" of table "t0000" already exists`},
		{name: "add on untracked table", cmd: "pg_add_computed_field", args: `{"table":"color","name":"x","definition":{"function":"t0000_full"}}`,
			code: "not-exists", path: "$", msg: `table "color" does not exist`},
		{name: "add without definition", cmd: "pg_add_computed_field", args: `{"table":"t0000","name":"x"}`,
			code: "parse-failed", path: "$", msg: `key "definition" not found`},
		{name: "add bad definition", cmd: "pg_add_computed_field", args: `{"table":"t0000","name":"x","definition":{"table_argument":1}}`,
			code: "parse-failed", path: "$.definition.table_argument", msg: "expected String, but encountered number"},

		{name: "drop", before: []step{add}, cmd: "pg_drop_computed_field", args: `{"table":"t0000","name":"full"}`, table: "t0000", want: withFull(``)},
		{name: "drop missing", cmd: "pg_drop_computed_field", args: `{"table":"t0000","name":"full"}`,
			code: "not-exists", path: "$", msg: `computed field "full" does not exist`},
		{name: "drop used by a permission", before: []step{add, usesFull}, cmd: "pg_drop_computed_field", args: `{"table":"t0000","name":"full"}`,
			code: "dependency-error", path: "$", msg: `cannot drop due to the following dependent objects : permission t0000.user.select in source "default"`},
		{name: "drop cascade", before: []step{add, usesFull}, cmd: "pg_drop_computed_field", args: `{"table":"t0000","name":"full","cascade":true}`,
			table: "t0000", want: withFull(``)},
	})
}
