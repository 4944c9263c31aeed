package ws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/hasuraerr"
)

func TestIsUpgrade(t *testing.T) {
	cases := []struct {
		method, connection, upgrade string
		want                        bool
	}{
		{"GET", "Upgrade", "websocket", true},
		{"GET", "keep-alive, upgrade", "WebSocket", true},
		{"POST", "Upgrade", "websocket", false},
		{"GET", "keep-alive", "websocket", false},
		{"GET", "Upgrade", "h2c", false},
		{"GET", "", "", false},
	}
	for _, c := range cases {
		r, _ := http.NewRequest(c.method, "/v1/graphql", nil)
		if c.connection != "" {
			r.Header.Set("Connection", c.connection)
		}
		if c.upgrade != "" {
			r.Header.Set("Upgrade", c.upgrade)
		}
		if got := IsUpgrade(r); got != c.want {
			t.Errorf("%s Connection %q Upgrade %q: %v, want %v", c.method, c.connection, c.upgrade, got, c.want)
		}
	}
}

// Queries and mutations run through the GraphQL handler on the real
// database, each answered by one result and complete; request errors by
// the protocol's error message in Hasura's shape.
func TestQueriesAndMutations(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{})
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := dial(t, e.url, proto, nil)
			c.init(adminInit)
			body := fmt.Sprintf("written over %s at %d", proto, time.Now().UnixNano())
			c.start("m", `mutation ($body: String!) { insert_note_one(object: {owner_id: 7, body: $body}) { owner_id body } }`, map[string]any{"body": body})
			if got, want := c.expectResult("m"), `{"data":{"insert_note_one":{"owner_id":7,"body":"`+body+`"}}}`; got != want {
				t.Fatalf("mutation: %s, want %s", got, want)
			}
			c.expectComplete("m")
			c.start("q", `query ($body: String!) { note(where: {body: {_eq: $body}}) { owner_id body } }`, map[string]any{"body": body})
			if got, want := c.expectResult("q"), `{"data":{"note":[{"owner_id":7,"body":"`+body+`"}]}}`; got != want {
				t.Fatalf("query: %s, want %s", got, want)
			}
			c.expectComplete("q")

			c.start("bad", `query { nope }`, nil)
			if err := c.expectError("bad"); err.Extensions.Code != "validation-failed" || !strings.Contains(err.Message, "nope") || err.Extensions.Path == "" {
				t.Fatalf("validation error: %+v", err)
			}
			c.start("unparsable", `query {`, nil)
			if err := c.expectError("unparsable"); err.Extensions.Code != "validation-failed" && err.Extensions.Code != "parse-failed" {
				t.Fatalf("parse error: %+v", err)
			}
		})
	}
}

// A subscription receives results until the client stops it; the engine's
// subscription is then stopped, and the connection goes on.
func TestSubscriptionStoppedByClient(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{})
	for i, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := dial(t, e.url, proto, nil)
			c.init(adminInit)
			c.start("s", `subscription { ticks }`, nil)
			for n := 1; n <= 3; n++ {
				if got := c.expectResult("s"); !strings.Contains(got, `"role":"admin"`) {
					t.Fatalf("tick %d: %s", n, got)
				}
			}
			c.stop("s")
			eventually(t, "the subscription to stop", func() bool { _, stopped := e.ticks.counts(); return stopped == i+1 })
			// The connection still serves: a query after the stop is
			// answered (results of s sent before the stop may come first).
			c.start("q", `query { note(where: {id: {_eq: 1}}) { body } }`, nil)
			for {
				m := c.read()
				if *m.ID == "s" {
					continue
				}
				if !strings.Contains(string(m.Payload), `"one"`) {
					t.Fatalf("query after stop: %s %s", m.Type, m.Payload)
				}
				break
			}
			c.expectComplete("q")
		})
	}
}

// The engine ends subscriptions: normally with complete, invalidated with
// the protocol's error (and complete in the legacy protocol); refused
// ones get the error without starting.
func TestSubscriptionEndedByEngine(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{})
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := dial(t, e.url, proto, nil)
			c.init(adminInit)
			c.start("done", `subscription { ticks }`, map[string]any{"n": 2})
			c.expectResult("done")
			c.expectResult("done")
			c.expectComplete("done")

			c.start("gone", `subscription { ticks }`, map[string]any{"n": 2, "fail": true})
			c.expectResult("gone")
			c.expectResult("gone")
			if err := c.expectError("gone"); err.Message != errGone.Message || err.Extensions.Code != errGone.Code || err.Extensions.Path != errGone.Path {
				t.Fatalf("end error: %+v", err)
			}

			c.start("refused", `subscription { nope }`, map[string]any{"reject": true})
			if err := c.expectError("refused"); err.Extensions.Path != "$.selectionSet.nope" {
				t.Fatalf("refusal: %+v", err)
			}
		})
	}
}

// Authentication takes connection_init's headers (payload.headers, or the
// payload's own keys) over the upgrade request's; a refused connection
// never gets an ack.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{})
	userQuery := `query { note { id body } }`
	const ownRows = `{"data":{"note":[{"id":1,"body":"one"}]}}`
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			// A JWT in payload.headers: the user's permissions apply.
			c := dial(t, e.url, proto, nil)
			c.init(map[string]any{"headers": map[string]string{"Authorization": "Bearer " + token(t, "1", time.Now().Add(time.Hour))}})
			c.start("q", userQuery, nil)
			if got := c.expectResult("q"); got != ownRows {
				t.Fatalf("user's rows: %s", got)
			}
			c.expectComplete("q")

			// The payload's own keys, whatever their case.
			c = dial(t, e.url, proto, nil)
			c.init(map[string]any{"authorization": "Bearer " + token(t, "1", time.Now().Add(time.Hour))})
			c.start("q", userQuery, nil)
			if got := c.expectResult("q"); got != ownRows {
				t.Fatalf("user's rows (payload keys): %s", got)
			}

			// The upgrade request's headers, when the payload has none.
			c = dial(t, e.url, proto, http.Header{"X-Hasura-Admin-Secret": {adminSecret}})
			c.init(nil)
			c.start("q", `query { note_aggregate { aggregate { count } } }`, nil)
			if got := c.expectResult("q"); !strings.Contains(got, `"count"`) {
				t.Fatalf("admin via upgrade headers: %s", got)
			}

			// The payload wins over the upgrade request.
			c = dial(t, e.url, proto, http.Header{"X-Hasura-Admin-Secret": {"wrong"}})
			c.init(adminInit)

			// A wrong secret: the protocol's refusal, never an ack.
			c = dial(t, e.url, proto, http.Header{"X-Hasura-Admin-Secret": {adminSecret}})
			c.send(typeConnectionInit, "", map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": "wrong"}})
			if c.legacy {
				m := c.read()
				if m.Type != typeConnectionError || !strings.Contains(string(m.Payload), "invalid x-hasura-admin-secret") {
					t.Fatalf("got %s %s, want connection_error", m.Type, m.Payload)
				}
			}
			c.expectClose(closeForbidden, "invalid x-hasura-admin-secret")

			// No credentials at all (no unauthorized role configured).
			c = dial(t, e.url, proto, nil)
			c.send(typeConnectionInit, "", nil)
			if c.legacy {
				if m := c.read(); m.Type != typeConnectionError {
					t.Fatalf("got %s %s, want connection_error", m.Type, m.Payload)
				}
			}
			c.expectClose(closeForbidden, "")
		})
	}
}

// A connection authenticated by a JWT closes when the token expires.
func TestJWTExpiryClosesTheConnection(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{})
	// exp has a resolution of a second: the token lives 1 to 2 seconds.
	exp := time.Now().Truncate(time.Second).Add(2 * time.Second)
	tok := token(t, "1", exp)
	clients := map[string]*client{}
	for _, proto := range protocols {
		c := dial(t, e.url, proto, nil)
		c.init(map[string]any{"headers": map[string]string{"Authorization": "Bearer " + tok}})
		c.start("s", `subscription { ticks }`, map[string]any{"every": 50})
		if got := c.expectResult("s"); !strings.Contains(got, `"role":"user"`) {
			t.Fatalf("%s: %s", proto, got)
		}
		clients[proto] = c
	}
	for proto, c := range clients {
		for {
			m, err := c.readMessage()
			if err != nil {
				var ce websocket.CloseError
				if !asClose(err, &ce) || ce.Code != closeUnauthorized || ce.Reason != jwtExpired {
					t.Fatalf("%s: socket ended with %v, want close 4401 %q", proto, err, jwtExpired)
				}
				break
			}
			if m.Type == typeConnectionError {
				if !c.legacy || string(m.Payload) != `"`+jwtExpired+`"` {
					t.Fatalf("%s: connection_error %s", proto, m.Payload)
				}
				continue
			}
			if m.Type != typeData && m.Type != typeNext {
				t.Fatalf("%s: got %s %s before the close", proto, m.Type, m.Payload)
			}
		}
		if now := time.Now(); now.Before(exp) {
			t.Fatalf("%s: closed at %v, before the expiry %v", proto, now, exp)
		}
	}
	eventually(t, "both subscriptions to stop", func() bool { _, stopped := e.ticks.counts(); return stopped == 2 })
}

// A connection that does not send connection_init in time is closed with
// 4408.
func TestInitTimeout(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{InitTimeout: 50 * time.Millisecond})
	for _, proto := range protocols {
		c := dial(t, e.url, proto, nil)
		c.expectClose(closeInitTimeout, "Connection initialisation timeout")
	}
	// An initialised connection is not.
	c := dial(t, e.url, ProtocolTransportWS, nil)
	c.init(adminInit)
	start := time.Now()
	c.start("s", `subscription { ticks }`, map[string]any{"every": 20})
	for time.Since(start) < 150*time.Millisecond {
		c.expectResult("s")
	}
}

// graphql-transport-ws's protocol errors close the connection with its
// codes; the legacy protocol answers them without closing.
func TestProtocolViolations(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{})

	c := dial(t, e.url, ProtocolTransportWS, nil)
	c.start("s", `subscription { ticks }`, nil)
	c.expectClose(closeUnauthorized, "Unauthorized")

	c = dial(t, e.url, ProtocolTransportWS, nil)
	c.init(adminInit)
	c.send(typeConnectionInit, "", adminInit)
	c.expectClose(closeTooManyInits, "Too many initialisation requests")

	c = dial(t, e.url, ProtocolTransportWS, nil)
	c.init(adminInit)
	c.start("s", `subscription { ticks }`, nil)
	c.expectResult("s")
	c.send(typeSubscribe, "s", map[string]any{"query": `subscription { ticks }`})
	for {
		m, err := c.readMessage()
		if err != nil {
			var ce websocket.CloseError
			if !asClose(err, &ce) || ce.Code != closeDuplicateID || ce.Reason != "Subscriber for s already exists" {
				t.Fatalf("duplicate id: %v", err)
			}
			break
		}
		if *m.ID != "s" {
			t.Fatalf("got %s %s", m.Type, m.Payload)
		}
	}

	for _, bad := range []string{`{"type":"bogus"}`, `not json`, `{"type":"subscribe","id":"x","payload":{"query":""}}`} {
		c = dial(t, e.url, ProtocolTransportWS, nil)
		c.init(adminInit)
		c.sendRaw([]byte(bad))
		c.expectClose(closeBadMessage, "")
	}

	// Legacy: a start before init is refused on its id, a bad message
	// with connection_error; the connection stays usable.
	c = dial(t, e.url, ProtocolLegacy, nil)
	c.send(typeStart, "early", map[string]any{"query": `query { note { id } }`})
	if m := c.read(); m.Type != typeConnectionError {
		c.t.Fatalf("got %s, want connection_error", m.Type)
	}
	c.init(adminInit)
	for _, bad := range []string{`{"type":"bogus"}`, `not json`, `{"type":"start","payload":{"query":"query { note { id } }"}}`} {
		c.sendRaw([]byte(bad))
		if m := c.read(); m.Type != typeConnectionError {
			c.t.Fatalf("%s: got %s, want connection_error", bad, m.Type)
		}
	}
	c.start("q", `query { note(where: {id: {_eq: 2}}) { body } }`, nil)
	if got := c.expectResult("q"); got != `{"data":{"note":[{"body":"two"}]}}` {
		t.Fatalf("query: %s", got)
	}
	c.expectComplete("q")
	// connection_terminate closes.
	c.send(typeConnectionTerminate, "", nil)
	c.expectClose(websocket.StatusNormalClosure, "")
}

// Without Sec-WebSocket-Protocol, the legacy protocol is spoken (as
// Hasura does).
func TestNoSubprotocolIsLegacy(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{KeepAlive: 10 * time.Millisecond})
	c := dial(t, e.url, "", nil)
	if !c.legacy {
		t.Fatal("a subprotocol was negotiated")
	}
	c.init(adminInit)
	c.start("s", `subscription { ticks }`, map[string]any{"n": 1})
	c.expectResult("s")
	c.expectComplete("s")
}

// Keep-alives follow connection_ack at the configured interval (ka in the
// legacy protocol, ping in graphql-transport-ws, which the server answers
// too).
func TestKeepAlive(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{KeepAlive: 10 * time.Millisecond})
	for _, proto := range protocols {
		c := dial(t, e.url, proto, nil)
		c.init(adminInit)
		if !c.legacy {
			c.ping()
			c.start("q", `query { note(where: {id: {_eq: 1}}) { id } }`, nil)
			c.expectResult("q")
			c.expectComplete("q")
			if c.pings != 0 {
				t.Fatal("ping not answered")
			}
		}
		for c.keepAlives < 3 {
			if m := c.readOne(); m.Type != typeKeepAlive && m.Type != typePing {
				t.Fatalf("%s: got %s while waiting for keep-alives", proto, m.Type)
			}
		}
	}
}

// The per-connection operation cap refuses operations beyond it.
func TestMaxOperations(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{MaxOperations: 1})
	for i, proto := range protocols {
		c := dial(t, e.url, proto, nil)
		c.init(adminInit)
		c.start("a", `subscription { ticks }`, map[string]any{"every": 1000})
		c.expectResult("a")
		c.start("b", `subscription { ticks }`, nil)
		if err := c.expectError("b"); !strings.Contains(err.Message, "too many operations") {
			t.Fatalf("%s: %+v", proto, err)
		}
		c.stop("a")
		eventually(t, "a to stop", func() bool { _, stopped := e.ticks.counts(); return stopped == i+1 })
		c.start("c", `subscription { ticks }`, map[string]any{"n": 1})
		for {
			if m := c.read(); *m.ID == "c" {
				break
			}
		}
		c.expectComplete("c")
	}
}

// A message larger than the limit closes the connection with 1009.
func TestMaxMessageBytes(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{MaxMessageBytes: 1024})
	c := dial(t, e.url, ProtocolTransportWS, nil)
	c.init(adminInit)
	c.start("big", `query { note { id } } # `+strings.Repeat("x", 2048), nil)
	c.expectClose(websocket.StatusMessageTooBig, "")
}

// A client that does not read is disconnected when its queue fills up,
// while another connection keeps receiving.
func TestSlowConsumer(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{SendQueue: 4})
	fast := dial(t, e.url, ProtocolTransportWS, nil)
	fast.init(adminInit)
	fast.start("s", `subscription { ticks }`, map[string]any{"every": 5})
	fast.expectResult("s")

	slow := dial(t, e.url, ProtocolTransportWS, nil)
	slow.init(adminInit)
	slow.start("s", `subscription { ticks }`, map[string]any{"every": 1, "pad": 256 << 10})
	// The slow client reads nothing until the server gave up on it.
	eventually(t, "the slow subscription to stop", func() bool {
		fast.expectResult("s")
		_, stopped := e.ticks.counts()
		return stopped == 1
	})
	// The other connection goes on.
	for range 5 {
		fast.expectResult("s")
	}
	// The slow client, reading at last, gets what was under way, then
	// the close.
	for {
		m, err := slow.readMessage()
		if err != nil {
			var ce websocket.CloseError
			if !asClose(err, &ce) || ce.Code != closeSlowConsumer {
				t.Fatalf("slow client: %v, want close %d", err, closeSlowConsumer)
			}
			break
		}
		if m.Type != typeNext {
			t.Fatalf("slow client got %s", m.Type)
		}
	}
	eventually(t, "one connection left", func() bool { return e.h.connections() == 1 })
}

// Shutdown stops every subscription, closes the sockets with 1001 and
// refuses new connections.
func TestShutdown(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{})
	var clients []*client
	for _, proto := range protocols {
		c := dial(t, e.url, proto, nil)
		c.init(adminInit)
		c.start("s", `subscription { ticks }`, nil)
		c.expectResult("s")
		clients = append(clients, c)
	}
	idle := dial(t, e.url, ProtocolTransportWS, nil) // not even initialised
	// The clients read on (the close handshake needs them to).
	ended := make(chan error, 3)
	for _, c := range append(clients, idle) {
		go func() {
			for {
				_, m, err := c.sock.Read(context.Background())
				if err != nil {
					ended <- err
					return
				}
				if !strings.Contains(string(m), `"next"`) && !strings.Contains(string(m), `"data"`) {
					ended <- errors.New("got " + string(m) + " before the close")
					return
				}
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := e.h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if started, stopped := e.ticks.counts(); started != 2 || stopped != 2 {
		t.Fatalf("%d subscriptions started, %d stopped", started, stopped)
	}
	for range 3 {
		err := <-ended
		var ce websocket.CloseError
		if !asClose(err, &ce) || ce.Code != websocket.StatusGoingAway {
			t.Fatalf("socket ended with %v, want 1001", err)
		}
	}
	if e.h.connections() != 0 {
		t.Fatal("connections left after Shutdown")
	}
	if _, err := tryDial(t, e.url, ProtocolTransportWS, nil); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("dial after shutdown: %v", err)
	}
}

// A browser page from an origin the policy refuses cannot connect.
func TestOrigin(t *testing.T) {
	t.Parallel()
	e := serve(t, &Handler{AllowOrigin: func(o string) bool { return o == "https://app.example" }})
	if _, err := tryDial(t, e.url, ProtocolTransportWS, http.Header{"Origin": {"https://evil.example"}}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("refused origin: %v", err)
	}
	c := dial(t, e.url, ProtocolTransportWS, http.Header{"Origin": {"https://app.example"}})
	c.init(adminInit)
}

// The HTTP server's read and write timeouts, meant for requests, do not
// cut sockets.
func TestServerTimeoutsDoNotCutSockets(t *testing.T) {
	t.Parallel()
	const timeout = 100 * time.Millisecond
	e := serveWith(t, &Handler{}, func(s *http.Server) { s.ReadTimeout, s.WriteTimeout = timeout, timeout })
	c := dial(t, e.url, ProtocolTransportWS, nil)
	c.init(adminInit)
	c.start("s", `subscription { ticks }`, map[string]any{"every": 10})
	for start := time.Now(); time.Since(start) < 3*timeout; {
		c.expectResult("s")
	}
	c.start("q", `query { note(where: {id: {_eq: 1}}) { body } }`, nil)
	for {
		if m := c.read(); *m.ID == "q" {
			break
		}
	}
}

// With an authentication webhook, the hook sees connection_init's headers.
func TestWebhookAuthentication(t *testing.T) {
	t.Parallel()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"X-Hasura-Role": "user", "X-Hasura-User-Id": "2"}`))
	}))
	defer hook.Close()
	authn, err := auth.New(t.Context(), auth.Config{AdminSecrets: []string{adminSecret}, AuthHook: hook.URL}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer authn.Close()
	e := serve(t, &Handler{Authenticate: func(r *http.Request, body []byte) (*auth.Session, *hasuraerr.Error) {
		return authn.Authenticate(r.Context(), r.Header, body)
	}})
	for _, proto := range protocols {
		c := dial(t, e.url, proto, nil)
		c.init(map[string]any{"headers": map[string]string{"Authorization": "Bearer good"}})
		c.start("q", `query { note { id body } }`, nil)
		if got := c.expectResult("q"); got != `{"data":{"note":[{"id":2,"body":"two"}]}}` {
			t.Fatalf("%s: %s", proto, got)
		}
		c = dial(t, e.url, proto, nil)
		c.send(typeConnectionInit, "", map[string]any{"headers": map[string]string{"Authorization": "Bearer bad"}})
		if c.legacy {
			if m := c.read(); m.Type != typeConnectionError {
				t.Fatalf("got %s, want connection_error", m.Type)
			}
		}
		c.expectClose(closeForbidden, "")
	}
}

func TestCloseReason(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	got := closeReason(long)
	if len(got) > 123 || !strings.HasPrefix(long, got) || len(got) != 122 {
		t.Fatalf("%d bytes: %q", len(got), got)
	}
	if got := closeReason("short"); got != "short" {
		t.Fatal(got)
	}
}
