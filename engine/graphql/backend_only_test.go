package graphql

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// A backend_only insert permission is usable only by trusted backends: the
// admin secret plus x-hasura-use-backend-only-permissions: true.
func TestBackendOnlyInsert(t *testing.T) {
	ctx := context.Background()
	md := `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [
	  {"table": {"schema": "public", "name": "genre"},
	   "select_permissions": [{"role": "user", "permission": {"columns": ["id", "name"], "filter": {}}}],
	   "insert_permissions": [{"role": "user", "permission": {"columns": ["name"], "check": {}, "backend_only": true}}]}]}]}`
	file := filepath.Join(t.TempDir(), "md.json")
	if err := os.WriteFile(file, []byte(md), 0o600); err != nil {
		t.Fatal(err)
	}
	admin, err := buildSchema(ctx, shared.pool, file)
	if err != nil {
		t.Fatal(err)
	}
	authn, err := auth.New(ctx, auth.Config{AdminSecrets: []string{"s3cret"}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer authn.Close()
	h := &Handler{
		Schema: func() (*schema.Schema, int64) { return admin, 1 },
		Exec:   &execute.Executor{Pool: shared.pool},
		Authenticate: func(r *http.Request, body []byte) (*Session, *hasuraerr.Error) {
			return authn.Authenticate(r.Context(), r.Header, body)
		},
	}
	send := func(backend bool) string {
		body := `{"query": "mutation { insert_genre_one(object: {name: \"Backend Blues\"}) { name } }"}`
		req := httptest.NewRequest("POST", "/v1/graphql", strings.NewReader(body))
		req.Header.Set("X-Hasura-Admin-Secret", "s3cret")
		req.Header.Set("X-Hasura-Role", "user")
		if backend {
			req.Header.Set("X-Hasura-Use-Backend-Only-Permissions", "true")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	if got := send(false); !strings.Contains(got, "validation-failed") {
		t.Fatalf("a frontend request must not see the backend_only insert: %s", got)
	}
	if got := send(true); !strings.Contains(got, `"Backend Blues"`) || strings.Contains(got, "errors") {
		t.Fatalf("a backend request should insert: %s", got)
	}
	if _, err := shared.pool.Exec(ctx, "DELETE FROM genre WHERE name = 'Backend Blues'"); err != nil {
		t.Fatal(err)
	}
}
