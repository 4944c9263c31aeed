package metaedit_test

import (
	"testing"

	"github.com/stratagql/strata/engine/metadata"
)

// perms views t0000's permissions.
func perms(md *metadata.Metadata) any {
	t := md.Source("default").Table(q("t0000"))
	return map[string]any{"select": t.SelectPermissions, "insert": t.InsertPermissions, "update": t.UpdatePermissions, "delete": t.DeletePermissions}
}

func TestPermissionCommands(t *testing.T) {
	selectUser := step{"pg_create_select_permission", `{"table":"t0000","role":"user","permission":{"columns":["id","name"],"filter":{"id":{"_eq":"X-Hasura-User-Id"}}}}`}
	deleteUser := step{"pg_create_delete_permission", `{"table":"t0000","role":"user","permission":{}}`}
	runCases(t, []editCase{
		// pg_create_<kind>_permission
		{name: "select", cmd: selectUser.cmd, args: selectUser.args, view: perms,
			want: `{"select":[{"role":"user","permission":{"columns":["id","name"],"filter":{"id":{"_eq":"X-Hasura-User-Id"}}}}],"insert":null,"update":null,"delete":null}`},
		{name: "select all columns, computed field, comment",
			before: []step{{"pg_add_computed_field", `{"table":"t0000","name":"full","definition":{"function":"t0000_full"}}`}},
			cmd:    "pg_create_select_permission", args: `{"table":"t0000","role":"user","comment":"all","permission":{"columns":"*","computed_fields":["full"],"limit":5,"allow_aggregations":true}}`,
			view: perms, want: `{"select":[{"role":"user","permission":{"columns":"*","computed_fields":["full"],"filter":{},"limit":5,"allow_aggregations":true},"comment":"all"}],"insert":null,"update":null,"delete":null}`},
		{name: "insert", cmd: "pg_create_insert_permission",
			args: `{"table":"t0000","role":"user","permission":{"columns":["name"],"set":{"parent_id":"X-Hasura-User-Id"},"backend_only":true}}`,
			view: perms, want: `{"select":null,"insert":[{"role":"user","permission":{"check":{},"set":{"parent_id":"X-Hasura-User-Id"},"columns":["name"],"backend_only":true}}],"update":null,"delete":null}`},
		{name: "update", cmd: "pg_create_update_permission", args: `{"table":"t0000","role":"user","permission":{"columns":["name"],"check":{"flag":{"_eq":true}}}}`,
			view: perms, want: `{"select":null,"insert":null,"update":[{"role":"user","permission":{"columns":["name"],"filter":{},"check":{"flag":{"_eq":true}}}}],"delete":null}`},
		{name: "delete", cmd: deleteUser.cmd, args: deleteUser.args,
			view: perms, want: `{"select":null,"insert":null,"update":null,"delete":[{"role":"user","permission":{"filter":{}}}]}`},
		{name: "one per role and kind", before: []step{selectUser}, cmd: selectUser.cmd, args: selectUser.args,
			code: "already-exists", path: "$", msg: `select permission already defined on table "t0000" with role "user"`},
		{name: "another kind for the same role", before: []step{selectUser}, cmd: deleteUser.cmd, args: deleteUser.args,
			view: func(md *metadata.Metadata) any { return len(md.Source("default").Table(q("t0000")).DeletePermissions) }, want: `1`},
		{name: "admin", cmd: "pg_create_select_permission", args: `{"table":"t0000","role":"admin","permission":{"columns":[]}}`,
			code: "constraint-violation", path: "$", msg: "cannot define permission for admin role"},
		{name: "missing column", cmd: "pg_create_select_permission", args: `{"table":"t0000","role":"user","permission":{"columns":["id","nope"]}}`,
			code: "not-exists", path: "$.permission.columns", msg: `no such column exists: "nope"`},
		{name: "missing computed field", cmd: "pg_create_select_permission", args: `{"table":"t0000","role":"user","permission":{"columns":[],"computed_fields":["nope"]}}`,
			code: "not-exists", path: "$.permission.computed_fields", msg: `computed field "nope" does not exist`},
		{name: "untracked table", cmd: "pg_create_select_permission", args: `{"table":"extra","role":"user","permission":{"columns":[]}}`,
			code: "not-exists", path: "$", msg: `table "extra" does not exist`},
		{name: "select without columns", cmd: "pg_create_select_permission", args: `{"table":"t0000","role":"user","permission":{"filter":{}}}`,
			code: "parse-failed", path: "$.permission", msg: `key "columns" not found`},
		{name: "update without columns", cmd: "pg_create_update_permission", args: `{"table":"t0000","role":"user","permission":{}}`,
			code: "parse-failed", path: "$.permission", msg: `key "columns" not found`},
		{name: "bad columns", cmd: "pg_create_select_permission", args: `{"table":"t0000","role":"user","permission":{"columns":"all"}}`,
			code: "parse-failed", path: "$.permission", msg: `columns: expected "*" or a list of column names`},
		{name: "filter not an object", cmd: "pg_create_select_permission", args: `{"table":"t0000","role":"user","permission":{"columns":[],"filter":[]}}`,
			code: "parse-failed", path: "$.permission.filter", msg: "expected Object, but encountered Array"},
		{name: "update check not an object", cmd: "pg_create_update_permission", args: `{"table":"t0000","role":"user","permission":{"columns":[],"check":"x"}}`,
			code: "parse-failed", path: "$.permission.check", msg: "expected Object, but encountered String"},
		{name: "permission not an object", cmd: "pg_create_delete_permission", args: `{"table":"t0000","role":"user","permission":true}`,
			code: "parse-failed", path: "$.permission", msg: "expected Object, but encountered Boolean"},
		{name: "limit type", cmd: "pg_create_select_permission", args: `{"table":"t0000","role":"user","permission":{"columns":[],"limit":"5"}}`,
			code: "parse-failed", path: "$.permission.limit", msg: "expected Number, but encountered string"},
		{name: "without permission", cmd: "pg_create_insert_permission", args: `{"table":"t0000","role":"user"}`,
			code: "parse-failed", path: "$", msg: `key "permission" not found`},
		{name: "without role", cmd: "pg_create_insert_permission", args: `{"table":"t0000","permission":{}}`,
			code: "parse-failed", path: "$", msg: `key "role" not found`},
		{name: "unknown key before the body", cmd: "pg_create_insert_permission", args: `{"table":"t0000","role":"user","permission":[],"x":1}`,
			code: "parse-failed", path: "$", msg: "unexpected keys in object: x"},

		// pg_drop_<kind>_permission
		{name: "drop", before: []step{selectUser, deleteUser}, cmd: "pg_drop_select_permission", args: `{"table":"t0000","role":"user"}`,
			view: perms, want: `{"select":[],"insert":null,"update":null,"delete":[{"role":"user","permission":{"filter":{}}}]}`},
		{name: "drop missing", before: []step{selectUser}, cmd: "pg_drop_update_permission", args: `{"table":"t0000","role":"user"}`,
			code: "not-exists", path: "$", msg: `update permission for role "user" does not exist on table "t0000"`},
		{name: "drop unknown key", cmd: "pg_drop_update_permission", args: `{"table":"t0000","role":"user","cascade":true}`,
			code: "parse-failed", path: "$", msg: "unexpected keys in object: cascade"},

		// pg_set_permission_comment
		{name: "comment", before: []step{selectUser, deleteUser}, cmd: "pg_set_permission_comment", args: `{"table":"t0000","role":"user","type":"delete","comment":"mine"}`,
			view: perms, want: `{"select":[{"role":"user","permission":{"columns":["id","name"],"filter":{"id":{"_eq":"X-Hasura-User-Id"}}}}],
			 "insert":null,"update":null,"delete":[{"role":"user","permission":{"filter":{}},"comment":"mine"}]}`},
		{name: "comment on missing", cmd: "pg_set_permission_comment", args: `{"table":"t0000","role":"user","type":"insert"}`,
			code: "not-exists", path: "$", msg: `insert permission for role "user" does not exist on table "t0000"`},
		{name: "comment bad type", cmd: "pg_set_permission_comment", args: `{"table":"t0000","role":"user","type":"read","comment":"x"}`,
			code: "parse-failed", path: "$.type", msg: "expected one of insert, select, update, delete"},
		{name: "comment without type", cmd: "pg_set_permission_comment", args: `{"table":"t0000","role":"user"}`,
			code: "parse-failed", path: "$", msg: `key "type" not found`},
	})
}
