package metadataapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stratagql/strata/engine/metadata"
)

const fullMetadata = `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[
 {"table":{"schema":"public","name":"author"},
  "array_relationships":[{"name":"articles","using":{"foreign_key_constraint_on":{"column":"author_id","table":{"schema":"public","name":"article"}}}}],
  "select_permissions":[{"role":"user","permission":{"columns":["id","name"],"filter":{"id":{"_eq":"X-Hasura-User-Id"}}}}]},
 {"table":{"schema":"public","name":"article"},
  "object_relationships":[{"name":"author","using":{"foreign_key_constraint_on":"author_id"}}],
  "insert_permissions":[{"role":"user","permission":{"check":{"author_id":{"_eq":"X-Hasura-User-Id"}},"columns":["title"]}}]}
 ],"configuration":{"connection_info":{"database_url":{"from_env":"HASURA_GRAPHQL_DATABASE_URL"},"isolation_level":"read-committed","pool_settings":{"connection_lifetime":600,"idle_timeout":180,"max_connections":50,"retries":1},"use_prepared_statements":true}}}],
 "inherited_roles":[{"role_name":"combo","role_set":["user","editor"]}]}`

func TestReplaceExportRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.ok("/v1/metadata", `{"type":"replace_metadata","args":`+fullMetadata+`}`)
	first := e.md(`{"type":"export_metadata","args":{}}`)
	want, err := metadata.Parse([]byte(fullMetadata))
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(want.JSON()) {
		t.Fatalf("round trip changed metadata:\n got %s\nwant %s", first, want.JSON())
	}
	// Replacing with the export and exporting again is byte-stable.
	e.ok("/v1/metadata", `{"type":"replace_metadata","args":`+string(first)+`}`)
	if second := e.md(`{"type":"export_metadata","args":{}}`); string(second) != string(first) {
		t.Fatalf("export not byte-stable:\n%s\n%s", first, second)
	}
	var v2 struct {
		ResourceVersion int64           `json:"resource_version"`
		Metadata        json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(e.md(`{"type":"export_metadata","version":2,"args":{}}`), &v2); err != nil {
		t.Fatal(err)
	}
	if v2.ResourceVersion < 2 || string(v2.Metadata) != string(first) {
		t.Fatalf("export v2: %d %s", v2.ResourceVersion, v2.Metadata)
	}
	// The legacy endpoint serves the same document.
	if _, b := e.post("/v1/query", `{"type":"export_metadata","args":{}}`); string(b) != string(first) {
		t.Fatalf("/v1/query export differs: %s", b)
	}
	e.ok("/v1/metadata", `{"type":"clear_metadata","args":{}}`)
	if tables := e.export()["sources"].([]any)[0].(map[string]any)["tables"].([]any); len(tables) != 0 {
		t.Fatalf("clear_metadata left %v", tables)
	}
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t)
	e.fail("/v1/metadata", `{"type":"pg_track_table"`, 400, "invalid-json", "$", "")
	e.fail("/v1/metadata", `{"args":{}}`, 400, "parse-failed", "$", `key "type" not found`)
	e.fail("/v1/metadata", `{"type":"no_such_thing","args":{}}`, 400, "bad-request", "$", `unknown metadata command "no_such_thing"`)
	e.fail("/v1/metadata", `{"type":"pg_track_table","args":{"source":"default"}}`, 400, "parse-failed", "$.args", `key "table" not found`)
	e.fail("/v1/metadata", `{"type":"pg_track_table","args":{"table":"author","colour":1}}`, 400, "parse-failed", "$.args", "unexpected keys in object: colour")
	e.fail("/v1/metadata", `{"type":"pg_track_table","args":{"table":"author","is_enum":"yes"}}`, 400, "parse-failed", "$.args.is_enum", "expected Boolean, but encountered string")
	e.fail("/v1/metadata", `{"type":"pg_track_table","args":{"table":"author","source":"other"}}`, 400, "not-exists", "$.args", `source with name "other" does not exist`)
	e.admin = false
	e.fail("/v1/metadata", `{"type":"export_metadata","args":{}}`, 400, "access-denied", "$", "restricted access : admin only")
	e.fail("/v2/query", `{"type":"run_sql","args":{"sql":"select 1"}}`, 400, "access-denied", "$", "restricted access : admin only")
}

func TestTables(t *testing.T) {
	e := newEnv(t)
	e.ok("/v1/metadata", `{"type":"pg_track_table","args":{"source":"default","table":{"schema":"public","name":"author"}}}`)
	e.fail("/v1/metadata", `{"type":"pg_track_table","args":{"table":"author"}}`, 400, "already-tracked", "$.args", `view/table already tracked : "author"`)
	e.fail("/v1/metadata", `{"type":"pg_track_table","args":{"table":"nope"}}`, 400, "not-exists", "$.args", `no such table/view exists in source: "nope"`)
	e.fail("/v1/metadata", `{"type":"pg_track_table","args":{"table":"article","configuration":{"column_config":{"nope":{"custom_name":"x"}}}}}`,
		400, "not-exists", "$.args.configuration.column_config", `no such column exists: "nope"`)
	e.ok("/v1/metadata", `{"type":"pg_track_table","args":{"table":"article","configuration":{"custom_name":"post","column_config":{"title":{"custom_name":"heading"}}}}}`)
	jsonEq(t, e.table("article")["configuration"], `{"custom_name":"post","column_config":{"title":{"custom_name":"heading"}}}`)

	e.ok("/v1/metadata", `{"type":"pg_set_table_customization","args":{"table":"article","configuration":{"custom_root_fields":{"select":"posts"}}}}`)
	jsonEq(t, e.table("article")["configuration"], `{"custom_root_fields":{"select":"posts"}}`)
	e.fail("/v1/metadata", `{"type":"pg_set_table_customization","args":{"table":"color","configuration":{}}}`, 400, "not-exists", "$.args", `table "color" does not exist`)

	e.ok("/v1/metadata", `{"type":"pg_track_table","args":{"table":"color"}}`)
	e.ok("/v1/metadata", `{"type":"pg_set_table_is_enum","args":{"table":"color","is_enum":true}}`)
	if e.table("color")["is_enum"] != true {
		t.Fatal("is_enum not stored")
	}
	e.fail("/v1/metadata", `{"type":"pg_set_table_is_enum","args":{"table":"author","is_enum":true}}`, 400, "constraint-violation", "$.args", "")

	e.ok("/v1/metadata", `{"type":"pg_untrack_table","args":{"table":"color"}}`)
	e.fail("/v1/metadata", `{"type":"pg_untrack_table","args":{"table":"color"}}`, 400, "already-untracked", "$.args", `view/table already untracked : "color"`)
	if e.table("color") != nil {
		t.Fatal("color still tracked")
	}
}

func TestRelationshipsPermissionsComputedFields(t *testing.T) {
	e := newEnv(t)
	e.ok("/v1/metadata", `{"type":"pg_track_table","args":{"table":"author"}}`)
	e.ok("/v1/metadata", `{"type":"pg_track_table","args":{"table":"article"}}`)

	e.ok("/v1/metadata", `{"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}}`)
	e.ok("/v1/metadata", `{"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}}`)
	e.fail("/v1/metadata", `{"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}}`,
		400, "already-exists", "$.args", `column/relationship "articles" of table "author" already exists`)
	e.fail("/v1/metadata", `{"type":"pg_create_object_relationship","args":{"table":"article","name":"writer","using":{"foreign_key_constraint_on":"nope"}}}`,
		400, "not-exists", "$.args.using.foreign_key_constraint_on", `no such column exists: "nope"`)
	e.fail("/v1/metadata", `{"type":"pg_create_object_relationship","args":{"table":"article","name":"writer","using":{"manual_configuration":{"remote_table":"author","column_mapping":{"author_id":"nope"}}}}}`,
		400, "not-exists", "$.args.using.manual_configuration.column_mapping", `no such column exists: "nope"`)
	e.fail("/v1/metadata", `{"type":"pg_create_object_relationship","args":{"table":"article","name":"writer","using":{}}}`,
		400, "parse-failed", "$.args.using", "")
	e.fail("/v1/metadata", `{"type":"pg_create_object_relationship","args":{"table":"article","name":"writer"}}`,
		400, "parse-failed", "$.args", `key "using" not found`)
	e.ok("/v1/metadata", `{"type":"pg_create_object_relationship","args":{"table":"article","name":"writer","using":{"manual_configuration":{"remote_table":"author","column_mapping":{"author_id":"id"}}}}}`)
	e.ok("/v1/metadata", `{"type":"pg_rename_relationship","args":{"table":"article","name":"writer","new_name":"creator"}}`)
	e.ok("/v1/metadata", `{"type":"pg_drop_relationship","args":{"table":"article","relationship":"creator"}}`)
	e.fail("/v1/metadata", `{"type":"pg_drop_relationship","args":{"table":"article","relationship":"creator"}}`, 400, "not-exists", "$.args", "")

	// permissions
	e.ok("/v1/metadata", `{"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":["id","title"],"filter":{"author":{"id":{"_eq":"X-Hasura-User-Id"}}}}}}`)
	e.fail("/v1/metadata", `{"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":["id"],"filter":{}}}}`,
		400, "already-exists", "$.args", `select permission already defined on table "article" with role "user"`)
	e.fail("/v1/metadata", `{"type":"pg_create_select_permission","args":{"table":"article","role":"guest","permission":{"columns":["id","nope"],"filter":{}}}}`,
		400, "not-exists", "$.args.permission.columns", `no such column exists: "nope"`)
	e.fail("/v1/metadata", `{"type":"pg_create_select_permission","args":{"table":"nope","role":"guest","permission":{"columns":["id"],"filter":{}}}}`,
		400, "not-exists", "$.args", `table "nope" does not exist`)
	e.fail("/v1/metadata", `{"type":"pg_create_select_permission","args":{"table":"article","role":"guest","permission":{"columns":"all","filter":{}}}}`,
		400, "parse-failed", "$.args.permission", "")
	e.ok("/v1/metadata", `{"type":"pg_create_insert_permission","args":{"table":"article","role":"user","permission":{"check":{"author_id":{"_eq":"X-Hasura-User-Id"}},"columns":["title"],"set":{"author_id":"X-Hasura-User-Id"}}}}`)
	e.ok("/v1/metadata", `{"type":"pg_create_update_permission","args":{"table":"article","role":"user","permission":{"columns":["title"],"filter":{}}}}`)
	e.ok("/v1/metadata", `{"type":"pg_create_delete_permission","args":{"table":"article","role":"user","permission":{"filter":{"published":{"_eq":false}}}}}`)
	e.ok("/v1/metadata", `{"type":"pg_set_permission_comment","args":{"table":"article","role":"user","type":"delete","comment":"own drafts"}}`)
	e.ok("/v1/metadata", `{"type":"pg_drop_update_permission","args":{"table":"article","role":"user"}}`)
	e.fail("/v1/metadata", `{"type":"pg_drop_update_permission","args":{"table":"article","role":"user"}}`, 400, "not-exists", "$.args", "")
	tbl := e.table("article")
	if len(tbl["insert_permissions"].([]any)) != 1 || tbl["update_permissions"] != nil ||
		tbl["delete_permissions"].([]any)[0].(map[string]any)["comment"] != "own drafts" {
		t.Fatalf("permissions: %v", tbl)
	}

	// the select permission tests relationship "author": dropping it needs cascade
	e.fail("/v1/metadata", `{"type":"pg_drop_relationship","args":{"table":"article","relationship":"author"}}`,
		400, "dependency-error", "$.args", `cannot drop due to the following dependent objects : permission article.user.select in source "default"`)
	e.ok("/v1/metadata", `{"type":"pg_drop_relationship","args":{"table":"article","relationship":"author","cascade":true}}`)
	if tbl := e.table("article"); tbl["select_permissions"] != nil || tbl["object_relationships"] != nil {
		t.Fatalf("cascade left %v", tbl)
	}

	// untracking article breaks author.articles
	e.fail("/v1/metadata", `{"type":"pg_untrack_table","args":{"table":"article"}}`,
		400, "dependency-error", "$.args", `cannot drop due to the following dependent objects : relationship author.articles in source "default"`)

	// computed fields
	e.ok("/v1/metadata", `{"type":"pg_add_computed_field","args":{"table":"author","name":"full","definition":{"function":"author_full"}}}`)
	e.fail("/v1/metadata", `{"type":"pg_add_computed_field","args":{"table":"author","name":"other","definition":{"function":"nope"}}}`,
		400, "not-exists", "$.args.definition.function", `no such function exists: "nope"`)
	e.fail("/v1/metadata", `{"type":"pg_add_computed_field","args":{"table":"author","name":"name","definition":{"function":"author_full"}}}`,
		400, "already-exists", "$.args", "")
	e.ok("/v1/metadata", `{"type":"pg_create_select_permission","args":{"table":"author","role":"user","permission":{"columns":"*","computed_fields":["full"],"filter":{}}}}`)
	e.fail("/v1/metadata", `{"type":"pg_drop_computed_field","args":{"table":"author","name":"full"}}`, 400, "dependency-error", "$.args", "")
	e.ok("/v1/metadata", `{"type":"pg_drop_computed_field","args":{"table":"author","name":"full","cascade":true}}`)

	// inherited roles
	e.ok("/v1/metadata", `{"type":"add_inherited_role","args":{"role_name":"combo","role_set":["user","editor"]}}`)
	e.fail("/v1/metadata", `{"type":"add_inherited_role","args":{"role_name":"combo","role_set":["user"]}}`, 400, "already-exists", "$.args", "")
	e.ok("/v1/metadata", `{"type":"drop_inherited_role","args":{"role_name":"combo"}}`)
	e.fail("/v1/metadata", `{"type":"drop_inherited_role","args":{"role_name":"combo"}}`, 400, "not-exists", "$.args", "")

	// suggestions: article.author_id -> author.id both ways; the array one is tracked
	var sug struct {
		Relationships []struct {
			Type string `json:"type"`
		} `json:"relationships"`
	}
	if err := json.Unmarshal(e.md(`{"type":"pg_suggest_relationships","args":{"omit_tracked":true}}`), &sug); err != nil {
		t.Fatal(err)
	}
	if len(sug.Relationships) != 1 || sug.Relationships[0].Type != "object" {
		t.Fatalf("suggestions: %+v", sug)
	}
}

func TestResourceVersionConflict(t *testing.T) {
	e := newEnv(t)
	var v2 struct {
		ResourceVersion int64 `json:"resource_version"`
	}
	_ = json.Unmarshal(e.md(`{"type":"export_metadata","version":2,"args":{}}`), &v2)
	e.fail("/v1/metadata", `{"type":"pg_track_table","resource_version":99,"args":{"table":"author"}}`,
		http.StatusConflict, "conflict", "$", "metadata resource version referenced (99) did not match current version")
	e.fail("/v1/metadata", `{"type":"bulk","resource_version":99,"args":[{"type":"pg_track_table","args":{"table":"author"}}]}`,
		http.StatusConflict, "conflict", "$", "")
	e.ok("/v1/metadata", `{"type":"pg_track_table","resource_version":`+jsonInt(v2.ResourceVersion)+`,"args":{"table":"author"}}`)
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestBulk(t *testing.T) {
	e := newEnv(t)
	before := e.md(`{"type":"export_metadata","args":{}}`)
	e.fail("/v1/metadata", `{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"author"}},{"type":"pg_track_table","args":{"table":"nope"}}]}`,
		400, "not-exists", "$.args[1].args", `no such table/view exists in source: "nope"`)
	if after := e.md(`{"type":"export_metadata","args":{}}`); string(after) != string(before) {
		t.Fatalf("failed bulk changed metadata: %s", after)
	}
	b := e.md(`{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"author"}},{"type":"pg_track_table","args":{"table":"article"}}]}`)
	if string(b) != `[{"message":"success"},{"message":"success"}]` {
		t.Fatalf("bulk: %s", b)
	}
	b = e.md(`{"type":"bulk_keep_going","args":[{"type":"pg_track_table","args":{"table":"color"}},{"type":"pg_track_table","args":{"table":"author"}}]}`)
	var res []map[string]any
	if err := json.Unmarshal(b, &res); err != nil || len(res) != 2 || res[0]["message"] != "success" || res[1]["code"] != "already-tracked" || res[1]["path"] != "$.args[1].args" {
		t.Fatalf("bulk_keep_going: %s", b)
	}
	if e.table("color") == nil {
		t.Fatal("bulk_keep_going did not keep the first item")
	}
	e.fail("/v1/metadata", `{"type":"bulk","args":{}}`, 400, "parse-failed", "$.args", "expected Array, but encountered Object")
}

func TestLegacyQuery(t *testing.T) {
	e := newEnv(t)
	e.ok("/v1/query", `{"type":"track_table","args":{"schema":"public","name":"author"}}`)
	e.ok("/v1/query", `{"type":"add_existing_table_or_view","args":{"schema":"public","name":"article"}}`)
	e.ok("/v1/query", `{"type":"create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}}`)
	e.ok("/v1/query", `{"type":"set_table_custom_fields","args":{"table":"author","custom_root_fields":{"select":"writers"},"custom_column_names":{"name":"fullName"}}}`)
	jsonEq(t, e.table("author")["configuration"], `{"custom_root_fields":{"select":"writers"},"custom_column_names":{"name":"fullName"}}`)
	e.ok("/v1/query", `{"type":"create_select_permission","args":{"table":"author","role":"user","permission":{"columns":["id"],"filter":{}}}}`)
	e.ok("/v1/query", `{"type":"drop_relationship","args":{"table":"author","relationship":"articles"}}`)
	e.ok("/v1/query", `{"type":"untrack_table","args":{"table":"article"}}`)
	e.fail("/v1/query", `{"type":"select","args":{"table":"author","columns":["id"]}}`, 400, "not-supported", "$", "")
	e.fail("/v2/query", `{"type":"count","args":{"table":"author"}}`, 400, "not-supported", "$", "")
	e.fail("/v1/query", `{"type":"pg_track_table","args":{"table":"author"}}`, 400, "parse-failed", "$", "")
}
