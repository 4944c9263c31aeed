package metadataapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stratagql/strata/internal/testdb"
)

func (e *env) sql(body string) string {
	e.t.Helper()
	status, b := e.post("/v2/query", body)
	if status != 200 {
		e.t.Fatalf("%s\n-> %d %s", body, status, b)
	}
	return string(b)
}

func TestRunSQLShapes(t *testing.T) {
	e := newEnv(t)
	if got := e.sql(`{"type":"run_sql","args":{"sql":"SELECT id, bio FROM author ORDER BY id"}}`); got !=
		`{"result_type":"TuplesOk","result":[["id","bio"],["1","NULL"],["2","NULL"]]}` {
		t.Fatalf("tuples: %s", got)
	}
	if got := e.sql(`{"type":"run_sql","args":{"sql":"SELECT 1 AS a; UPDATE author SET bio = 'x' WHERE id = 1"}}`); got !=
		`{"result_type":"CommandOk","result":null}` {
		t.Fatalf("command: %s", got)
	}
	if got := e.sql(`{"type":"run_sql","args":{"sql":"SELECT bio FROM author WHERE id = 1","read_only":true}}`); got !=
		`{"result_type":"TuplesOk","result":[["bio"],["x"]]}` {
		t.Fatalf("read-only select: %s", got)
	}
	ae := e.fail("/v2/query", `{"type":"run_sql","args":{"sql":"DELETE FROM author","read_only":true}}`, 400, "postgres-error", "$", "query execution failed")
	var internal struct {
		Error struct {
			StatusCode string `json:"status_code"`
		} `json:"error"`
		Statement string `json:"statement"`
	}
	if err := json.Unmarshal(ae.Internal, &internal); err != nil || internal.Error.StatusCode != "25006" || internal.Statement != "DELETE FROM author" {
		t.Fatalf("internal: %s", ae.Internal)
	}
	e.fail("/v2/query", `{"type":"run_sql","args":{"sql":"SELEC 1"}}`, 400, "postgres-error", "$", "")
	e.fail("/v2/query", `{"type":"run_sql","args":{}}`, 400, "parse-failed", "$.args", `key "sql" not found`)
	// the legacy endpoint and bulk run it too
	if _, b := e.post("/v1/query", `{"type":"bulk","args":[{"type":"run_sql","args":{"sql":"SELECT 1 AS one"}}]}`); string(b) !=
		`[{"result_type":"TuplesOk","result":[["one"],["1"]]}]` {
		t.Fatalf("bulk run_sql: %s", b)
	}
}

const trackedSetup = `{"type":"bulk","args":[
 {"type":"pg_track_table","args":{"table":"author"}},
 {"type":"pg_track_table","args":{"table":"article"}},
 {"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}},
 {"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}},
 {"type":"pg_create_select_permission","args":{"table":"author","role":"user","permission":{"columns":["id","name"],"filter":{"name":{"_eq":"X-Hasura-User-Id"}}}}}
]}`

func TestRunSQLFollowsDDL(t *testing.T) {
	e := newEnv(t)
	e.md(trackedSetup)

	// a column rename is followed everywhere
	e.sql(`{"type":"run_sql","args":{"sql":"ALTER TABLE author RENAME COLUMN name TO full_name"}}`)
	jsonEq(t, e.table("author")["select_permissions"],
		`[{"role":"user","permission":{"columns":["id","full_name"],"filter":{"full_name":{"_eq":"X-Hasura-User-Id"}}}}]`)
	// ... and so is a table rename, relationships included
	e.sql(`{"type":"run_sql","args":{"sql":"ALTER TABLE article RENAME TO post"}}`)
	if e.table("article") != nil || e.table("post") == nil {
		t.Fatal("table rename not followed")
	}
	jsonEq(t, e.table("author")["array_relationships"],
		`[{"name":"articles","using":{"foreign_key_constraint_on":{"column":"author_id","table":{"schema":"public","name":"post"}}}}]`)
	if !e.mgr.Current().Consistent() {
		t.Fatalf("inconsistent after renames: %+v", e.mgr.Current().Inconsistencies)
	}

	// dropping a table other metadata depends on fails and rolls back
	e.fail("/v2/query", `{"type":"run_sql","args":{"sql":"DROP TABLE post"}}`, 400, "dependency-error", "$.args",
		`cannot drop due to the following dependent objects : relationship author.articles in source "default"`)
	if got := e.sql(`{"type":"run_sql","args":{"sql":"SELECT count(*) FROM post"}}`); got != `{"result_type":"TuplesOk","result":[["count"],["0"]]}` {
		t.Fatalf("failed run_sql was not rolled back: %s", got)
	}
	// with cascade the dependants go with it
	e.sql(`{"type":"run_sql","args":{"sql":"DROP TABLE post","cascade":true}}`)
	if e.table("post") != nil || e.table("author")["array_relationships"] != nil {
		t.Fatalf("cascade left %v / %v", e.table("post"), e.table("author"))
	}
	// dropping a column a permission uses
	e.fail("/v2/query", `{"type":"run_sql","args":{"sql":"ALTER TABLE author DROP COLUMN full_name"}}`, 400, "dependency-error", "$.args",
		`cannot drop due to the following dependent objects : permission author.user.select in source "default"`)
	e.sql(`{"type":"run_sql","args":{"sql":"ALTER TABLE author DROP COLUMN full_name","cascade":true}}`)
	if e.table("author")["select_permissions"] != nil {
		t.Fatal("cascade kept the permission")
	}
	// check_metadata_consistency false skips the check
	e.sql(`{"type":"run_sql","args":{"sql":"CREATE TABLE extra (id int)","check_metadata_consistency":false}}`)
}

func TestInconsistentMetadata(t *testing.T) {
	e := newEnv(t)
	e.md(trackedSetup)
	e.ok("/v1/metadata", `{"type":"pg_track_table","args":{"table":"color"}}`)

	// behind metadata's back
	if err := testdb.Exec(context.Background(), e.url, "DROP TABLE color"); err != nil {
		t.Fatal(err)
	}
	var reload struct {
		Message      string            `json:"message"`
		IsConsistent bool              `json:"is_consistent"`
		Objects      []json.RawMessage `json:"inconsistent_objects"`
	}
	if err := json.Unmarshal(e.md(`{"type":"reload_metadata","args":{"reload_remote_schemas":true}}`), &reload); err != nil ||
		reload.Message != "success" || reload.IsConsistent || len(reload.Objects) != 1 {
		t.Fatalf("reload: %+v %v", reload, err)
	}
	var inc struct {
		IsConsistent bool `json:"is_consistent"`
		Objects      []struct {
			Type   string `json:"type"`
			Name   string `json:"name"`
			Reason string `json:"reason"`
		} `json:"inconsistent_objects"`
	}
	if err := json.Unmarshal(e.md(`{"type":"get_inconsistent_metadata","args":{}}`), &inc); err != nil ||
		inc.IsConsistent || len(inc.Objects) != 1 || inc.Objects[0].Type != "table" || inc.Objects[0].Name != "table color in source default" {
		t.Fatalf("get_inconsistent_metadata: %+v %v", inc, err)
	}
	// existing inconsistencies do not block unrelated changes
	e.ok("/v1/metadata", `{"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":["id"],"filter":{}}}}`)
	e.ok("/v1/metadata", `{"type":"drop_inconsistent_metadata","args":{}}`)
	if b := e.md(`{"type":"get_inconsistent_metadata","args":{}}`); string(b) != `{"inconsistent_objects":[],"is_consistent":true}` {
		t.Fatalf("after drop: %s", b)
	}
	if e.table("color") != nil || e.table("article") == nil {
		t.Fatal("drop_inconsistent_metadata removed the wrong objects")
	}

	// replace_metadata with an inconsistent document
	bad := `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[{"table":{"schema":"public","name":"ghost"}}]}]}`
	ae := e.fail("/v1/metadata", `{"type":"replace_metadata","args":`+bad+`}`, 400, "unexpected", "$.args", "cannot continue due to inconsistent metadata")
	if len(ae.Internal) == 0 || e.table("article") == nil {
		t.Fatalf("rejected replace: internal %s", ae.Internal)
	}
	var allowed struct {
		IsConsistent bool              `json:"is_consistent"`
		Objects      []json.RawMessage `json:"inconsistent_objects"`
	}
	if err := json.Unmarshal(e.md(`{"type":"replace_metadata","version":2,"args":{"allow_inconsistent_metadata":true,"metadata":`+bad+`}}`), &allowed); err != nil ||
		allowed.IsConsistent || len(allowed.Objects) != 1 {
		t.Fatalf("allowed replace: %+v %v", allowed, err)
	}
	if e.mgr.InconsistentObjects() != 1 || len(e.mgr.Current().Schema.Inconsistencies) != 1 {
		t.Fatal("health does not see the inconsistency")
	}
	// a table that does not exist cannot be tracked
	e.fail("/v1/metadata", `{"type":"pg_track_table","args":{"table":"ghost2"}}`, 400, "not-exists", "$.args", "")
}
