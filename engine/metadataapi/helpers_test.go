package metadataapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/metadataapi"
	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/engine/state"
	"github.com/stratagql/strata/internal/testdb"
)

const schemaSQL = `
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, bio text);
CREATE TABLE article (id serial PRIMARY KEY, title text NOT NULL, author_id int REFERENCES author(id), published boolean);
CREATE TABLE color (value text PRIMARY KEY, comment text);
CREATE FUNCTION author_full(a author) RETURNS text LANGUAGE sql STABLE AS $$ SELECT a.name || ' (' || a.id || ')' $$;
INSERT INTO author (name) VALUES ('Ann'), ('Bob');
INSERT INTO color VALUES ('red', 'warm'), ('blue', 'cold');
`

// env is an engine's metadata API on its own database.
type env struct {
	t   *testing.T
	url string
	srv *httptest.Server
	mgr *state.Manager
	// admin decides what IsAdmin answers.
	admin bool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	url := testdb.New(t, schemaSQL)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	store, err := metastore.NewPostgres(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := state.New(state.Config{Store: store, DB: pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := mgr.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, url: url, mgr: mgr, admin: true}
	api, err := metadataapi.New(metadataapi.Config{State: mgr, DB: pool, IsAdmin: func(*http.Request) bool { return e.admin }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/metadata", api.Metadata())
	mux.Handle("/v1/query", api.Query())
	mux.Handle("/v2/query", api.V2Query())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		e.srv.Close()
		cancel()
		mgr.Wait()
		pool.Close()
	})
	return e
}

// post sends body and returns the status and the raw response.
func (e *env) post(path, body string) (int, []byte) {
	e.t.Helper()
	resp, err := http.Post(e.srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, bytes.TrimSpace(b)
}

// md posts to /v1/metadata and expects success.
func (e *env) md(body string) []byte {
	e.t.Helper()
	status, b := e.post("/v1/metadata", body)
	if status != http.StatusOK {
		e.t.Fatalf("%s\n-> %d %s", body, status, b)
	}
	return b
}

// ok expects {"message":"success"}.
func (e *env) ok(path, body string) {
	e.t.Helper()
	status, b := e.post(path, body)
	if status != http.StatusOK || string(b) != `{"message":"success"}` {
		e.t.Fatalf("%s\n-> %d %s", body, status, b)
	}
}

// apiError is Hasura's error body.
type apiError struct {
	Path     string          `json:"path"`
	Error    string          `json:"error"`
	Code     string          `json:"code"`
	Internal json.RawMessage `json:"internal"`
}

// fail expects an error with the given status, code, path and message
// (message "" skips the message check).
func (e *env) fail(path, body string, status int, code, jpath, msg string) apiError {
	e.t.Helper()
	got, b := e.post(path, body)
	var ae apiError
	if err := json.Unmarshal(b, &ae); err != nil {
		e.t.Fatalf("%s\n-> %d %s (not an error body)", body, got, b)
	}
	if got != status || ae.Code != code || ae.Path != jpath || (msg != "" && ae.Error != msg) {
		e.t.Fatalf("%s\n-> %d %s\nwant %d code=%s path=%s error=%q", body, got, b, status, code, jpath, msg)
	}
	return ae
}

// export returns the current metadata document.
func (e *env) export() map[string]any {
	e.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.md(`{"type":"export_metadata","args":{}}`), &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// table returns the exported metadata entry of a public table, or nil.
func (e *env) table(name string) map[string]any {
	e.t.Helper()
	for _, s := range e.export()["sources"].([]any) {
		for _, t := range s.(map[string]any)["tables"].([]any) {
			tm := t.(map[string]any)
			if tm["table"].(map[string]any)["name"] == name {
				return tm
			}
		}
	}
	return nil
}

func jsonEq(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	ws, _ := json.Marshal(w)
	if string(g) != string(ws) {
		t.Fatalf("got  %s\nwant %s", g, ws)
	}
}
