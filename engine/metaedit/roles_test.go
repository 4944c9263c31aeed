package metaedit_test

import (
	"encoding/json"
	"testing"

	"github.com/stratagql/strata/engine/metadata"
)

func TestInheritedRoleCommands(t *testing.T) {
	roles := func(md *metadata.Metadata) any { return md.InheritedRoles }
	add := step{"add_inherited_role", `{"role_name":"combo","role_set":["user","editor"]}`}
	runCases(t, []editCase{
		{name: "add", cmd: add.cmd, args: add.args, view: roles, want: `[{"role_name":"combo","role_set":["user","editor"]}]`},
		{name: "add twice", before: []step{add}, cmd: add.cmd, args: `{"role_name":"combo","role_set":["user"]}`,
			code: "already-exists", path: "$", msg: `inherited role "combo" already exists`},
		{name: "add empty", cmd: add.cmd, args: `{"role_name":"combo","role_set":[]}`,
			code: "invalid-params", path: "$.role_set", msg: "role_set cannot be empty"},
		{name: "add unknown key before empty set", cmd: add.cmd, args: `{"role_name":"combo","role_set":[],"x":1}`,
			code: "parse-failed", path: "$", msg: "unexpected keys in object: x"},
		{name: "add without set", cmd: add.cmd, args: `{"role_name":"combo"}`,
			code: "parse-failed", path: "$", msg: `key "role_set" not found`},
		{name: "drop", before: []step{add}, cmd: "drop_inherited_role", args: `{"role_name":"combo"}`, view: roles, want: `[]`},
		{name: "drop missing", cmd: "drop_inherited_role", args: `{"role_name":"combo"}`,
			code: "not-exists", path: "$", msg: `inherited role "combo" does not exist`},
	})
}

func TestClearMetadata(t *testing.T) {
	md, cat := fixture()
	md.Source("default").Configuration = json.RawMessage(`{"connection_info":{"database_url":"postgres://db"}}`)
	md.InheritedRoles = []metadata.InheritedRole{{RoleName: "combo", RoleSet: []string{"user"}}}
	if err := run(md, cat, "clear_metadata", `{"ignored":true}`); err != nil {
		t.Fatal(err)
	}
	jsonEq(t, md, `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[],"configuration":{"connection_info":{"database_url":"postgres://db"}}}]}`)
	// Its arguments are not read at all.
	if err := run(md, cat, "clear_metadata", `5`); err != nil {
		t.Fatal(err)
	}
}
