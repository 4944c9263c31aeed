package metadataapi_test

import (
	"encoding/json"
	"testing"
)

func TestTrackTables(t *testing.T) {
	e := newEnv(t)
	// Malformed arguments fail the call, whatever allow_warnings says.
	e.fail("/v1/metadata", `{"type":"pg_track_tables","args":{}}`, 400, "parse-failed", "$.args", `key "tables" not found`)
	e.fail("/v1/metadata", `{"type":"pg_track_tables","args":{"tables":[{"table":"author","colour":1}]}}`,
		400, "parse-failed", "$.args.tables[0]", "unexpected keys in object: colour")
	e.fail("/v1/metadata", `{"type":"pg_track_tables","args":{"tables":[],"allow_warnings":"no"}}`,
		400, "parse-failed", "$.args.allow_warnings", "expected Boolean, but encountered string")

	// Without warnings allowed one bad table fails them all.
	e.fail("/v1/metadata", `{"type":"pg_track_tables","args":{"allow_warnings":false,"tables":[{"table":"author"},{"table":"nope"}]}}`,
		400, "not-exists", "$.args.tables[1]", `no such table/view exists in source: "nope"`)
	if e.table("author") != nil {
		t.Fatal("a failed pg_track_tables tracked author")
	}

	e.ok("/v1/metadata", `{"type":"pg_track_tables","args":{"tables":[
		{"table":"author"},
		{"source":"default","table":{"schema":"public","name":"article"},"configuration":{"custom_name":"post"}}]}}`)
	if e.table("author") == nil || e.table("article") == nil {
		t.Fatal("pg_track_tables did not track both tables")
	}

	// With warnings allowed (the default) the others are tracked and the
	// bad ones reported.
	var res struct {
		Message  string `json:"message"`
		Warnings []struct {
			Type, Name, Source, Code, Message string
		} `json:"warnings"`
	}
	b := e.md(`{"type":"pg_track_tables","args":{"tables":[{"table":"author"},{"table":"color"},{"table":"nope"}]}}`)
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Message != "success" || len(res.Warnings) != 2 || res.Warnings[0].Code != "already-tracked" ||
		res.Warnings[1].Name != "nope" || res.Warnings[1].Code != "not-exists" || res.Warnings[1].Source != "default" {
		t.Fatalf("pg_track_tables with warnings: %s", b)
	}
	if e.table("color") == nil {
		t.Fatal("the good table of a batch with warnings was not tracked")
	}

	// pg_untrack_tables: the same rules, cascade per table.
	e.fail("/v1/metadata", `{"type":"pg_untrack_tables","args":{"allow_warnings":false,"tables":[{"table":"color"},{"table":"nope"}]}}`,
		400, "already-untracked", "$.args.tables[1]", `view/table already untracked : "nope"`)
	e.ok("/v1/metadata", `{"type":"pg_untrack_tables","args":{"tables":[{"table":"color"},{"table":"author","cascade":true}]}}`)
	if e.table("color") != nil || e.table("author") != nil || e.table("article") == nil {
		t.Fatal("pg_untrack_tables untracked the wrong tables")
	}
}
