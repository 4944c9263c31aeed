package app

import (
	"encoding/json"
	"testing"
)

// TestLegacyDataCommands drives /v2/query's select and count, which are
// answered by the GraphQL compiler.
func TestLegacyDataCommands(t *testing.T) {
	base, _, stop := startDemoEngine(t)
	defer stop()
	cases := []struct {
		name string
		req  string
		want string
	}{
		{"select with nested relationship",
			`{"type": "select", "args": {"table": "album", "columns": ["title", {"name": "artist", "columns": ["name"]}], "where": {"artist_id": {"$eq": 4}}, "order_by": ["-released"]}}`,
			`[{"title":"Kid A","artist":{"name":"Radiohead"}},{"title":"OK Computer","artist":{"name":"Radiohead"}}]`},
		{"select star with limit and array relationship",
			`{"type": "select", "args": {"table": {"schema": "public", "name": "artist"}, "columns": ["id", {"name": "albums", "columns": ["id"], "order_by": "+id", "limit": 1}], "where": {"country": "GB"}}}`,
			`[{"id":4,"albums":[{"id":5}]}]`},
		{"count", `{"type": "count", "args": {"table": "track", "where": {"album_id": {"$in": [1, 2]}}}}`, `{"count":4}`},
		{"count distinct", `{"type": "count", "args": {"table": "track", "distinct": ["genre_id"]}}`, `{"count":4}`},
		{"unknown column", `{"type": "select", "args": {"table": "album", "columns": ["nope"]}}`, `{"path":"$.args.columns[0]","error":"no such column exists: \"nope\"","code":"not-exists"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got any
			postJSON(t, base+"/v2/query", json.RawMessage(tc.req), &got)
			b, _ := json.Marshal(got)
			var want any
			_ = json.Unmarshal([]byte(tc.want), &want)
			w, _ := json.Marshal(want)
			if string(b) != string(w) {
				t.Errorf("got  %s\nwant %s", b, w)
			}
		})
	}
}
