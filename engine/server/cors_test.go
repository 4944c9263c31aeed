package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseCORS(t *testing.T) {
	p, err := ParseCORS("https://app.example.com, http://localhost:3000, https://*.foo.com, https://*.bar.com:8443")
	if err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string]bool{
		"https://app.example.com":    true,
		"https://APP.example.com":    true,
		"http://app.example.com":     false, // another scheme
		"https://app.example.com:80": false, // another port
		"http://localhost:3000":      true,
		"http://localhost":           false,
		"https://a.foo.com":          true,
		"https://a.b.foo.com":        true,
		"https://foo.com":            false, // the domain itself is not a subdomain
		"https://evilfoo.com":        false,
		"https://a.foo.com:444":      false,
		"https://a.bar.com:8443":     true,
		"https://a.bar.com":          false,
		"":                           false,
		"null":                       false,
	} {
		if got := p.Allows(origin); got != want {
			t.Errorf("Allows(%q) = %v, want %v", origin, got, want)
		}
	}
	star, err := ParseCORS("*")
	if err != nil || !star.Allows("https://anything.example") {
		t.Errorf("* must allow every origin: %v", err)
	}
	var disabled *CORSPolicy
	if disabled.Allows("https://app.example.com") {
		t.Error("the nil policy allows nothing")
	}
	for _, bad := range []string{"", "example.com", "https://a.*.com", "https://*.", "https://x.com/path", " , "} {
		if _, err := ParseCORS(bad); err == nil {
			t.Errorf("ParseCORS(%q) accepted", bad)
		}
	}
}

func TestCORSMiddleware(t *testing.T) {
	p, err := ParseCORS("https://*.example.com")
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	h := NewHandler(Deps{CORS: p, Routes: map[string]http.Handler{
		"/v1/graphql": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { reached++; _, _ = w.Write([]byte("{}")) }),
	}})
	send := func(method, origin string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/v1/graphql", strings.NewReader("{}"))
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	rec := send("POST", "https://app.example.com", nil)
	if rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		rec.Header().Get("Access-Control-Allow-Credentials") != "true" || rec.Header().Get("Vary") != "Origin" || reached != 1 {
		t.Errorf("allowed origin: headers %v, reached %d", rec.Header(), reached)
	}
	rec = send("POST", "https://evil.test", nil)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" || reached != 2 {
		t.Errorf("another origin must get no CORS headers: %v", rec.Header())
	}

	preflight := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, x-hasura-role"}
	rec = send("OPTIONS", "https://app.example.com", preflight)
	if rec.Code != http.StatusNoContent || reached != 2 ||
		rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		rec.Header().Get("Access-Control-Allow-Headers") != "content-type, x-hasura-role" ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "POST") ||
		rec.Header().Get("Access-Control-Max-Age") == "" {
		t.Errorf("preflight: %d %v (handler reached %d times)", rec.Code, rec.Header(), reached)
	}
	rec = send("OPTIONS", "https://evil.test", preflight)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Header().Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("preflight of another origin: %d %v", rec.Code, rec.Header())
	}

	// Disabled (a nil policy): no CORS header at all.
	h = NewHandler(Deps{Routes: map[string]http.Handler{"/v1/graphql": http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}})
	rec = send("POST", "https://app.example.com", nil)
	for k := range rec.Header() {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("CORS disabled but %s sent", k)
		}
	}
}
