package metadataapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOversizeBody checks that every endpoint refuses a body over the
// limit with 413 instead of reading a truncated one, and still reads a
// body at the limit.
func TestOversizeBody(t *testing.T) {
	const limit = 64
	a := &API{cfg: Config{MaxBodyBytes: limit}, log: slog.Default()}
	for name, h := range map[string]http.Handler{"/v1/metadata": a.Metadata(), "/v1/query": a.Query(), "/v2/query": a.V2Query()} {
		for _, tc := range []struct {
			size   int
			status int
			body   string
		}{
			// Not JSON, but read whole: the JSON error proves it.
			{limit, http.StatusBadRequest, `"code":"invalid-json"`},
			{limit + 1, http.StatusRequestEntityTooLarge,
				`{"path":"$","error":"request body too large: the limit is 64 bytes","code":"bad-request"}`},
			{10 * limit, http.StatusRequestEntityTooLarge, `"code":"bad-request"`},
		} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, name, strings.NewReader(strings.Repeat("x", tc.size))))
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
				t.Errorf("%s with %d bytes: %d %s, want %d with %s", name, tc.size, w.Code, w.Body, tc.status, tc.body)
			}
		}
	}
}
