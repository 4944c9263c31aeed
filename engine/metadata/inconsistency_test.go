package metadata

import (
	"encoding/json"
	"testing"
)

func TestInconsistencyRendering(t *testing.T) {
	author := QualifiedTable{Schema: "public", Name: "author"}
	music := QualifiedTable{Schema: "music", Name: "album"}
	for _, c := range []struct {
		in   Inconsistency
		want string
	}{
		{Inconsistency{Kind: KindTable, Table: &author, Reason: "r", Definition: author},
			`{"type":"table","name":"table author in source default","reason":"r","definition":{"schema":"public","name":"author"}}`},
		{Inconsistency{Source: "other", Kind: KindTable, Table: &music, Reason: "r"},
			`{"type":"table","name":"table music.album in source other","reason":"r","definition":null}`},
		{Inconsistency{Kind: "array_relation", Table: &author, Name: "articles", Reason: "r"},
			`{"type":"array_relation","name":"array_relation articles in table author in source default","reason":"r","definition":null}`},
		{Inconsistency{Kind: "select_permission", Table: &music, Role: "user", Reason: "r"},
			`{"type":"select_permission","name":"select_permission user in table music.album in source default","reason":"r","definition":null}`},
		{Inconsistency{Kind: KindInheritedRole, Name: "staff", Reason: "r"},
			`{"type":"inherited_role","name":"inherited_role staff","reason":"r","definition":null}`},
		{Inconsistency{Kind: KindInheritedPermission, Role: "staff", Reason: "r"},
			`{"type":"inherited role permission inconsistency","name":"staff","reason":"r","definition":null}`},
	} {
		got, err := json.Marshal(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
	perm := Inconsistency{Kind: "update_permission", Table: &author, Role: "r"}
	if !perm.IsPermission() || perm.PermissionType() != "update" {
		t.Errorf("permission kind: %v %q", perm.IsPermission(), perm.PermissionType())
	}
	if a, b := (Inconsistency{Kind: KindTable, Table: &author, Reason: "x"}), (Inconsistency{Kind: KindTable, Table: &author, Reason: "y"}); a.Key() != b.Key() {
		t.Errorf("same object, different keys: %q %q", a.Key(), b.Key())
	}
}
