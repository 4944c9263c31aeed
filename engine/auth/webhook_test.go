package auth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hookServer is an auth webhook whose answer tests choose; it records what
// it received.
type hookServer struct {
	mu      sync.Mutex
	status  int
	body    string
	headers http.Header // response headers
	hang    bool        // answer nothing until the client gives up

	gotMethod  string
	gotHeaders http.Header
	gotBody    []byte
	hits       atomic.Int32
	srv        *httptest.Server
}

func newHookServer(t *testing.T, status int, body string, respHeaders ...string) *hookServer {
	t.Helper()
	h := &hookServer{status: status, body: body, headers: hdr(respHeaders...)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.gotMethod, h.gotHeaders, h.gotBody = r.Method, r.Header.Clone(), b
		hang, status, body := h.hang, h.status, h.body
		for k, vs := range h.headers {
			w.Header()[k] = vs
		}
		h.mu.Unlock()
		if hang {
			<-r.Context().Done() // until the client gives up
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookServer) received() (string, http.Header, []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gotMethod, h.gotHeaders, h.gotBody
}

func hookAuth(t *testing.T, url, mode string, sendBody bool, mut ...func(*Config)) *Authenticator {
	t.Helper()
	cfg := Config{AdminSecrets: []string{testSecret}, AuthHook: url, AuthHookMode: mode, AuthHookSendRequestBody: sendBody}
	for _, m := range mut {
		m(&cfg)
	}
	return newAuth(t, cfg)
}

const hookOK = `{"X-Hasura-Role":"user","X-Hasura-User-Id":42,"x-hasura-is-owner":true,"X-Hasura-Org":"acme","x-hasura-nothing":null,"Other":"dropped"}`

func TestWebhookGET(t *testing.T) {
	hook := newHookServer(t, 200, hookOK)
	a := hookAuth(t, hook.srv.URL, "GET", true)
	req := hdr("Authorization", "Bearer opaque", "X-Custom", "c1", "User-Agent", "client-agent",
		"Content-Length", "99", "Origin", "https://app", "Connection", "keep-alive", "X-Hasura-Role", "admin")
	req.Add("X-Custom", "c2")
	s, err := a.Authenticate(t.Context(), req, []byte(`{"query":"{ x }"}`))
	s = wantSession(t, s, err, "user")
	want := map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "42", "x-hasura-is-owner": "true", "x-hasura-org": "acme"}
	if len(s.Vars) != len(want) || s.Admin {
		t.Fatalf("vars %v, want %v", s.Vars, want)
	}
	for k, v := range want {
		if s.Vars[k] != v {
			t.Fatalf("%s = %q, want %q", k, s.Vars[k], v)
		}
	}
	method, got, body := hook.received()
	if method != "GET" || len(body) != 0 {
		t.Fatalf("method %s, body %q", method, body)
	}
	if got.Get("Authorization") != "Bearer opaque" || len(got.Values("X-Custom")) != 2 || got.Get("X-Hasura-Role") != "admin" {
		t.Fatalf("forwarded headers %v", got)
	}
	if got.Get("User-Agent") == "client-agent" || got.Get("Origin") != "" {
		t.Fatalf("headers Hasura does not forward were forwarded: %v", got)
	}
}

func TestWebhookPOST(t *testing.T) {
	gql := `{"query":"query Q($id: Int!) { user(id: $id) { name } }","variables":{"id":1},"operationName":"Q"}`
	for _, sendBody := range []bool{true, false} {
		hook := newHookServer(t, 200, `{"x-hasura-role":"editor"}`)
		a := hookAuth(t, hook.srv.URL, "POST", sendBody)
		s, err := a.Authenticate(t.Context(), hdr("Authorization", "Bearer t", "Cookie", "a=b", "Content-Length", "5"), []byte(gql))
		wantSession(t, s, err, "editor")
		method, got, body := hook.received()
		if method != "POST" || got.Get("Content-Type") != "application/json" || got.Get("Authorization") != "" {
			t.Fatalf("method %s headers %v", method, got)
		}
		var payload struct {
			Headers map[string]string `json:"headers"`
			Request json.RawMessage   `json:"request"`
		}
		if err := json.Unmarshal(body, &payload); err != nil {
			t.Fatalf("hook body %q: %v", body, err)
		}
		if payload.Headers["Authorization"] != "Bearer t" || payload.Headers["Cookie"] != "a=b" || payload.Headers["Content-Length"] != "" {
			t.Fatalf("headers %v", payload.Headers)
		}
		if sendBody && string(payload.Request) != gql {
			t.Fatalf("request %s", payload.Request)
		}
		if !sendBody && payload.Request != nil {
			t.Fatalf("request sent although send-request-body is off: %s", payload.Request)
		}
	}
}

func TestWebhookFailures(t *testing.T) {
	cases := []struct {
		name, body   string
		status       int
		code, msg    string
		wantHTTPCode int
	}{
		{"401", `{"error":"nope"}`, 401, "access-denied", "Authentication hook unauthorized this request", 401},
		{"403", ``, 403, "unexpected", "Invalid response from authorization hook", 500},
		{"500", `oops`, 500, "unexpected", "Invalid response from authorization hook", 500},
		{"invalid JSON", `{"x-hasura-role":`, 200, "unexpected", "Invalid response from authorization hook: Error in $", 500},
		{"not an object", `["x-hasura-role"]`, 200, "unexpected", "Invalid response from authorization hook: Error in $", 500},
		{"no role", `{"x-hasura-user-id":"1"}`, 200, "unexpected", "missing x-hasura-role key in webhook response", 500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hook := newHookServer(t, c.status, c.body, "Cache-Control", "max-age=600")
			a := hookAuth(t, hook.srv.URL, "GET", false, func(cfg *Config) { cfg.UnauthorizedRole = "anonymous" })
			for range 2 { // failures are never cached
				s, err := a.Authenticate(t.Context(), hdr("Authorization", "Bearer x"), nil)
				wantError(t, s, err, c.code, c.msg, c.wantHTTPCode)
			}
			if n := hook.hits.Load(); n != 2 {
				t.Fatalf("hits = %d, want 2", n)
			}
		})
	}
}

func TestWebhookTimeoutAndUnreachable(t *testing.T) {
	hook := newHookServer(t, 200, `{"x-hasura-role":"user"}`)
	hook.hang = true
	a := hookAuth(t, hook.srv.URL, "GET", false, func(c *Config) { c.HookTimeout = 100 * time.Millisecond })
	start := time.Now()
	s, err := a.Authenticate(t.Context(), hdr(), nil)
	wantError(t, s, err, "unexpected", "webhook authentication request failed", 500)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %v", d)
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	a = hookAuth(t, dead.URL, "POST", true)
	s, err = a.Authenticate(t.Context(), hdr(), []byte(`{"query":"{x}"}`))
	wantError(t, s, err, "unexpected", "webhook authentication request failed", 500)
}

func TestWebhookCache(t *testing.T) {
	hook := newHookServer(t, 200, `{"x-hasura-role":"user","x-hasura-user-id":"1"}`, "Cache-Control", "max-age=60")
	a := hookAuth(t, hook.srv.URL, "GET", false)
	now := time.Now()
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	a.hook.now = func() time.Time { return time.Unix(0, clock.Load()) }

	call := func(token string) *Session {
		t.Helper()
		s, err := a.Authenticate(t.Context(), hdr("Authorization", "Bearer "+token), nil)
		return wantSession(t, s, err, "user")
	}
	s := call("t1")
	s.Vars["x-hasura-user-id"] = "mutated" // callers cannot corrupt the cache
	if s2 := call("t1"); s2.Vars["x-hasura-user-id"] != "1" {
		t.Fatalf("cached session was shared: %v", s2.Vars)
	}
	if n := hook.hits.Load(); n != 1 {
		t.Fatalf("hits = %d within max-age, want 1", n)
	}
	call("t2") // other credentials, other entry
	if n := hook.hits.Load(); n != 2 {
		t.Fatalf("hits = %d, want 2", n)
	}
	clock.Store(now.Add(61 * time.Second).UnixNano())
	call("t1")
	if n := hook.hits.Load(); n != 3 {
		t.Fatalf("hits = %d after max-age, want 3", n)
	}
}

func TestWebhookCacheExpiresAndBounds(t *testing.T) {
	hook := newHookServer(t, 200, `{"x-hasura-role":"user"}`, "Expires", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	a := hookAuth(t, hook.srv.URL, "GET", false, func(c *Config) { c.HookCacheSize = 2 })
	for _, tok := range []string{"a", "b", "c", "a", "c"} {
		s, err := a.Authenticate(t.Context(), hdr("Authorization", "Bearer "+tok), nil)
		wantSession(t, s, err, "user")
	}
	if n := a.hook.cache.len(); n != 2 {
		t.Fatalf("cache holds %d entries, want 2", n)
	}
	// a, b, c fetched; a evicted by c and fetched again; c cached.
	if n := hook.hits.Load(); n != 4 {
		t.Fatalf("hits = %d, want 4", n)
	}

	noCache := newHookServer(t, 200, `{"x-hasura-role":"user"}`)
	a = hookAuth(t, noCache.srv.URL, "GET", false)
	for range 3 {
		s, err := a.Authenticate(t.Context(), hdr("Authorization", "Bearer x"), nil)
		wantSession(t, s, err, "user")
	}
	if n := noCache.hits.Load(); n != 3 {
		t.Fatalf("an answer without cache headers was cached: hits %d", n)
	}
}

func TestWebhookBypassedByAdminSecret(t *testing.T) {
	hook := newHookServer(t, 401, ``)
	a := hookAuth(t, hook.srv.URL, "GET", false)
	s, err := a.Authenticate(t.Context(), hdr("X-Hasura-Admin-Secret", testSecret, "X-Hasura-Role", "user"), nil)
	wantSession(t, s, err, "user")
	s, err = a.Authenticate(t.Context(), hdr("X-Hasura-Admin-Secret", "bad"), nil)
	wantError(t, s, err, "access-denied", "invalid x-hasura-admin-secret", 401)
	if n := hook.hits.Load(); n != 0 {
		t.Fatalf("hook called %d times", n)
	}
}

func TestWebhookValuesPassThroughVerbatim(t *testing.T) {
	v := "q\"uote \\ back \x00 nul ✓ 日本 '); --"
	b, _ := json.Marshal(map[string]any{"x-hasura-role": "user", "x-hasura-user-id": v, "x-hasura-ids": []any{"1", "2"}})
	hook := newHookServer(t, 200, string(b))
	a := hookAuth(t, hook.srv.URL, "GET", false)
	s, err := a.Authenticate(t.Context(), hdr("X-Note", v, "X-Plain", `a"b\c ✓`), nil)
	s = wantSession(t, s, err, "user")
	if s.Vars["x-hasura-user-id"] != v || s.Vars["x-hasura-ids"] != "{1,2}" {
		t.Fatalf("%q", s.Vars)
	}
	// A header value net/http cannot send is dropped, the others go through.
	_, got, _ := hook.received()
	if got.Get("X-Note") != "" || got.Get("X-Plain") != `a"b\c ✓` {
		t.Fatalf("forwarded %v", got)
	}
}

func TestWebhookConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{AdminSecrets: []string{testSecret}, AuthHook: "ftp://x", AuthHookMode: "GET"},
		{AdminSecrets: []string{testSecret}, AuthHook: "http://127.0.0.1:1", AuthHookMode: "PUT"},
	} {
		if _, err := New(t.Context(), c, nil, nil); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestNeedsBody(t *testing.T) {
	if newAuth(t, Config{}).NeedsBody() {
		t.Fatal("dev mode needs no body")
	}
	if !hookAuth(t, "http://127.0.0.1:1/hook", "POST", true).NeedsBody() {
		t.Fatal("POST hook with request body needs it")
	}
	if hookAuth(t, "http://127.0.0.1:1/hook", "GET", true).NeedsBody() {
		t.Fatal("GET hook needs no body")
	}
}

func TestWebhookConcurrent(t *testing.T) {
	hook := newHookServer(t, 200, `{"x-hasura-role":"user"}`, "Cache-Control", "max-age=60")
	a := hookAuth(t, hook.srv.URL, "POST", true, func(c *Config) { c.HookCacheSize = 4 })
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				h := hdr("Authorization", "Bearer "+string(rune('a'+(i+j)%6)))
				if _, err := a.Authenticate(t.Context(), h, []byte(`{"query":"{x}"}`)); err != nil {
					t.Errorf("authenticate: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := a.hook.cache.len(); n > 4 {
		t.Fatalf("cache grew to %d", n)
	}
}
