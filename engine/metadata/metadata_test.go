package metadata

import (
	"strings"
	"testing"
)

func TestRoundTripKeepsEmptyRootFieldLists(t *testing.T) {
	// query_root_fields: [] (no root fields) must not become absent (all).
	in := `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[{"table":{"schema":"public","name":"t"},
	  "select_permissions":[{"role":"r","permission":{"columns":"*","filter":{},"query_root_fields":[],"subscription_root_fields":["select"]}}]}]}]}`
	md, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out := string(md.Clone().JSON())
	if !strings.Contains(out, `"query_root_fields":[]`) || !strings.Contains(out, `"subscription_root_fields":["select"]`) {
		t.Fatalf("root field lists lost in round trip: %s", out)
	}
	p := md.Clone().Sources[0].Tables[0].SelectPermissions[0].Permission
	if p.QueryRootFields == nil || len(p.QueryRootFields) != 0 {
		t.Fatalf("query_root_fields should be an empty, non-nil list: %#v", p.QueryRootFields)
	}
}

func TestRoundTripIsByteStable(t *testing.T) {
	in := `version: 3
sources:
- name: default
  kind: postgres
  tables:
  - table: {schema: public, name: b}
    object_relationships:
    - name: a
      using: {foreign_key_constraint_on: a_id}
  - table: a
    array_relationships:
    - name: bs
      using:
        foreign_key_constraint_on: {table: {schema: public, name: b}, column: a_id}
    configuration:
      custom_root_fields: {select: all_a, select_by_pk: {name: one_a, comment: by key}}
inherited_roles: [{role_name: both, role_set: [reader, writer]}]
actions: [{name: act, definition: {kind: synchronous}}]
some_future_key: {kept: true}
`
	md, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	first := md.JSON()
	again, err := Parse(first)
	if err != nil {
		t.Fatal(err)
	}
	if string(again.JSON()) != string(first) {
		t.Fatalf("not byte-stable:\n%s\n%s", first, again.JSON())
	}
	for _, want := range []string{`"some_future_key":{"kept":true}`, `"actions":[{"definition":{"kind":"synchronous"},"name":"act"}]`, `"select":"all_a"`, `"select_by_pk":{"name":"one_a","comment":"by key"}`, `"foreign_key_constraint_on":"a_id"`} {
		if !strings.Contains(string(first), want) {
			t.Errorf("export lacks %s: %s", want, first)
		}
	}
	if strings.Index(string(first), `"name":"a"}`) > strings.Index(string(first), `"name":"b"}`) {
		t.Errorf("tables are not sorted: %s", first)
	}
}
