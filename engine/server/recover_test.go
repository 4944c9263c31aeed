package server

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRecoverAnswersUnexpected(t *testing.T) {
	var logs bytes.Buffer
	h := NewHandler(Deps{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Routes: map[string]http.Handler{
			"/v1/graphql": http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom in graphql") }),
			"/v1/metadata": http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
				var m map[string]int
				m["x"]++ // a nil map write: a runtime error
			}),
			"/ok": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("fine")) }),
		},
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	before := Panics()
	cases := []struct{ path, body string }{
		{"/v1/graphql", `{"errors":[{"message":"internal error: the request failed unexpectedly","extensions":{"code":"unexpected","path":"$"}}]}` + "\n"},
		{"/v1/metadata", `{"path":"$","error":"internal error: the request failed unexpectedly","code":"unexpected"}` + "\n"},
	}
	for _, tc := range cases {
		status, body := post(tc.path)
		if status != http.StatusInternalServerError || body != tc.body {
			t.Errorf("%s: %d %s\nwant 500 %s", tc.path, status, body, tc.body)
		}
	}
	if status, body := post("/ok"); status != http.StatusOK || body != "fine" {
		t.Errorf("the server stopped serving after a panic: %d %q", status, body)
	}
	if got := Panics() - before; got != 2 {
		t.Errorf("panics counted %d, want 2", got)
	}
	for _, want := range []string{"request panicked", "boom in graphql", "assignment to entry in nil map", "recover_test.go"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs.String())
		}
	}
}

// A panic after the response started cannot be answered: the connection
// is aborted, so the client sees a broken response rather than a
// truncated one that looks complete.
func TestRecoverAbortsAStartedResponse(t *testing.T) {
	h := Recover(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":`))
		panic("late")
	}), slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(h)
	defer srv.Close()
	before := Panics()
	resp, err := http.Get(srv.URL)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("the client read a complete response from a handler that panicked mid-way")
	}
	if Panics()-before != 1 {
		t.Errorf("panics counted %d, want 1", Panics()-before)
	}
}
