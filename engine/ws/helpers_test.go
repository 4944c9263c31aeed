package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/graphql"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/live"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
	"github.com/stratagql/strata/engine/server"
	"github.com/stratagql/strata/internal/testdb"
)

const (
	adminSecret = "s3cret"
	jwtKey      = "0123456789abcdef0123456789abcdef" // HS256
	// waitFor bounds every wait of these tests.
	waitFor = 5 * time.Second
)

const fixtureSQL = `
CREATE TABLE note (id serial PRIMARY KEY, owner_id int NOT NULL, body text NOT NULL);
INSERT INTO note (owner_id, body) VALUES (1, 'one'), (2, 'two');`

const fixtureMetadata = `{
  "version": 3,
  "sources": [{
    "name": "default", "kind": "postgres",
    "tables": [{
      "table": {"schema": "public", "name": "note"},
      "select_permissions": [
        {"role": "user", "permission": {"columns": ["id", "body"], "filter": {"owner_id": {"_eq": "X-Hasura-User-Id"}}}}
      ]
    }]
  }]
}`

// The database and schema shared by this package's tests.
var (
	pool  *pgxpool.Pool
	shape *schema.Schema
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		ctx := context.Background()
		url, drop, err := testdb.Create(ctx, "ws")
		if err != nil {
			panic(err)
		}
		defer drop()
		if err := testdb.Exec(ctx, url, fixtureSQL); err != nil {
			panic(err)
		}
		pool, err = pgxpool.New(ctx, url)
		if err != nil {
			panic(err)
		}
		defer pool.Close()
		md, err := metadata.Parse([]byte(fixtureMetadata))
		if err != nil {
			panic(err)
		}
		cat, err := catalog.Load(ctx, pool)
		if err != nil {
			panic(err)
		}
		if shape, err = schema.Build(md, cat); err != nil {
			panic(err)
		}
		return m.Run()
	}())
}

// env is a served engine: /v1/graphql behind the server's middleware,
// upgraded to h when the client asks.
type env struct {
	h     *Handler
	ticks *ticks
	url   string
}

// serve serves h (its GraphQL handler, Subscriptions and Authenticate
// filled in when unset) with admin-secret and JWT authentication.
func serve(t *testing.T, h *Handler) *env {
	t.Helper()
	return serveWith(t, h, nil)
}

// serveWith is serve on an HTTP server that configure adjusts.
func serveWith(t *testing.T, h *Handler, configure func(*http.Server)) *env {
	t.Helper()
	authn, err := auth.New(t.Context(), auth.Config{
		AdminSecrets: []string{adminSecret},
		JWTSecrets:   []config.JWTSecret{{Type: "HS256", Key: jwtKey}},
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(authn.Close)
	gh := &graphql.Handler{
		Schema: func() (*schema.Schema, int64) { return shape, 1 },
		Exec:   &execute.Executor{Pool: pool},
		Authenticate: func(r *http.Request, body []byte) (*auth.Session, *hasuraerr.Error) {
			return authn.Authenticate(r.Context(), r.Header, body)
		},
	}
	if h.GraphQL == nil {
		h.GraphQL = gh
	}
	tk := &ticks{}
	if h.Subscriptions == nil {
		h.Subscriptions = tk
	}
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsUpgrade(r) {
			h.ServeHTTP(w, r)
			return
		}
		gh.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(server.NewHandler(server.Deps{Routes: map[string]http.Handler{"/v1/graphql": route}}))
	if configure != nil {
		configure(srv.Config)
	}
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		srv.Close()
		done := make(chan struct{})
		go func() {
			tk.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(waitFor):
			t.Errorf("subscriptions still running after the shutdown")
		}
	})
	return &env{h: h, ticks: tk, url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/graphql"}
}

// token is a JWT for role user with x-hasura-user-id uid, expiring at exp.
func token(t *testing.T, uid string, exp time.Time) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": uid,
		"exp": exp.Unix(),
		"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-allowed-roles": []string{"user"},
			"x-hasura-default-role":  "user",
			"x-hasura-user-id":       uid,
		},
	}).SignedString([]byte(jwtKey))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// eventually polls cond until it holds or waitFor passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ticks is a Subscriptions that sends a tick every few milliseconds
// (variables: every, in ms, default 2; n, the ticks before it ends, 0
// for no end; fail, to end with an error; pad, bytes of padding per
// result; reject, to refuse to start).
type ticks struct {
	mu      sync.Mutex
	started int
	stopped int
	wg      sync.WaitGroup
}

func (tk *ticks) counts() (started, stopped int) {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	return tk.started, tk.stopped
}

func intVar(v any) int {
	if n, ok := v.(json.Number); ok {
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

// errGone is what the ticking subscription ends with when asked to fail.
var errGone = &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "field 'ticks' not found in type: 'subscription_root'", Path: "$.selectionSet.ticks"}

func (tk *ticks) Subscribe(ctx context.Context, sess *auth.Session, req *graphql.Request, sink live.Sink) (func(), *hasuraerr.Error) {
	v := req.Variables
	if v["reject"] == true {
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "field 'nope' not found in type: 'subscription_root'", Path: "$.selectionSet.nope"}
	}
	every := time.Duration(max(intVar(v["every"]), 1)) * time.Millisecond
	if v["every"] == nil {
		every = 2 * time.Millisecond
	}
	n, fail, pad := intVar(v["n"]), v["fail"] == true, strings.Repeat("x", intVar(v["pad"]))
	quit := make(chan struct{})
	var once sync.Once
	tk.mu.Lock()
	tk.started++
	tk.mu.Unlock()
	tk.wg.Add(1)
	go func() {
		defer tk.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for i := 1; ; i++ {
			sink.Next(json.RawMessage(fmt.Sprintf(`{"data":{"ticks":{"n":%d,"role":%q,"pad":%q}}}`, i, sess.Role, pad)))
			if i == n {
				if fail {
					sink.End(errGone)
				} else {
					sink.End(nil)
				}
				return
			}
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		once.Do(func() {
			close(quit)
			tk.mu.Lock()
			tk.stopped++
			tk.mu.Unlock()
		})
	}, nil
}

// opState is where a client's operation is in its protocol.
type opState int

const (
	opRunning  opState = iota + 1
	opStopping         // the client stopped it: messages already sent may follow
	opErrored          // legacy: error received, complete must follow
)

// client is a strict test client of one protocol: it fails the test on a
// message the protocol does not allow at that point (unknown type or
// field, a message for an operation not running, a result after the
// end, keep-alives before connection_ack, a second ack, malformed
// payloads).
type client struct {
	t      *testing.T
	sock   *websocket.Conn
	legacy bool
	acked  bool
	pings  int // pings sent and not yet answered
	ops    map[string]opState
	// keepAlives counts ka (legacy) and ping (graphql-transport-ws)
	// messages received.
	keepAlives int
	// until bounds the client's life: reading after it fails the test
	// (loops that read until something happens never hang).
	until time.Time
}

// serverMessage is a message from the server.
type serverMessage struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// dial connects with subprotocol (none when empty: the legacy protocol).
func dial(t *testing.T, url, subprotocol string, header http.Header) *client {
	t.Helper()
	c, err := tryDial(t, url, subprotocol, header)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

func tryDial(t *testing.T, url, subprotocol string, header http.Header) (*client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	opts := &websocket.DialOptions{HTTPHeader: header}
	if subprotocol != "" {
		opts.Subprotocols = []string{subprotocol}
	}
	sock, resp, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("%w (response %v)", err, resp)
	}
	sock.SetReadLimit(64 << 20)
	t.Cleanup(func() { _ = sock.CloseNow() })
	return &client{t: t, sock: sock, legacy: sock.Subprotocol() != ProtocolTransportWS, ops: map[string]opState{}, until: time.Now().Add(2 * waitFor)}, nil
}

func (c *client) send(typ, id string, payload any) {
	c.t.Helper()
	m := map[string]any{"type": typ}
	if id != "" {
		m["id"] = id
	}
	if payload != nil {
		m["payload"] = payload
	}
	b, _ := json.Marshal(m)
	c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := c.sock.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// init sends connection_init with payload and expects connection_ack.
func (c *client) init(payload any) {
	c.t.Helper()
	c.send(typeConnectionInit, "", payload)
	if m := c.read(); m.Type != typeConnectionAck {
		c.t.Fatalf("got %s, want connection_ack", m.Type)
	}
}

// start starts operation id.
func (c *client) start(id, query string, vars map[string]any) {
	c.t.Helper()
	typ := typeSubscribe
	if c.legacy {
		typ = typeStart
	}
	c.ops[id] = opRunning
	c.send(typ, id, map[string]any{"query": query, "variables": vars})
}

// stop stops operation id.
func (c *client) stop(id string) {
	c.t.Helper()
	typ := typeComplete
	if c.legacy {
		typ = typeStop
	}
	if c.ops[id] == opRunning {
		c.ops[id] = opStopping
	}
	c.send(typ, id, nil)
}

// ping sends a graphql-transport-ws ping.
func (c *client) ping() {
	c.t.Helper()
	c.pings++
	c.send(typePing, "", nil)
}

// read returns the next message that is not a keep-alive; the socket must
// stay open.
func (c *client) read() serverMessage {
	c.t.Helper()
	m, err := c.readMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// readMessage returns the next message that is not a keep-alive, or the
// error that ended the socket.
func (c *client) readMessage() (serverMessage, error) {
	c.t.Helper()
	for {
		m, err := c.readAny()
		if err != nil || (m.Type != typeKeepAlive && m.Type != typePing && m.Type != typePong) {
			return m, err
		}
	}
}

// readOne returns the next message, keep-alives included.
func (c *client) readOne() serverMessage {
	c.t.Helper()
	m, err := c.readAny()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// readAny reads and checks one message, counting keep-alives and
// answering pings.
func (c *client) readAny() (serverMessage, error) {
	c.t.Helper()
	if time.Now().After(c.until) {
		c.t.Fatalf("client still reading %s after it connected", 2*waitFor)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	_, data, err := c.sock.Read(ctx)
	cancel()
	if err != nil {
		return serverMessage{}, err
	}
	m := c.check(data)
	switch m.Type {
	case typeKeepAlive:
		c.keepAlives++
	case typePing:
		c.keepAlives++
		c.send(typePong, "", nil)
	}
	return m, nil
}

// asClose reports whether err is a close frame's, setting ce.
func asClose(err error, ce *websocket.CloseError) bool { return errors.As(err, ce) }

// connections counts the handler's open connections.
func (h *Handler) connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// expectClose reads until the socket closes (only keep-alives may come
// first) and checks the close code and reason.
func (c *client) expectClose(code websocket.StatusCode, reason string) {
	c.t.Helper()
	m, err := c.readMessage()
	if err == nil {
		c.t.Fatalf("got %s %s, want close %d", m.Type, m.Payload, code)
	}
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		c.t.Fatalf("socket ended with %v, want close %d", err, code)
	}
	if ce.Code != code || !strings.Contains(ce.Reason, reason) {
		c.t.Fatalf("closed with %d %q, want %d %q", ce.Code, ce.Reason, code, reason)
	}
}

// check validates one server message against the protocol and the
// client's state.
func (c *client) check(data []byte) serverMessage {
	c.t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m serverMessage
	if err := dec.Decode(&m); err != nil {
		c.t.Fatalf("invalid server message %s: %v", data, err)
	}
	fail := func(why string) { c.t.Helper(); c.t.Fatalf("protocol violation (%s): %s", why, data) }
	connLevel := map[string]bool{typeConnectionAck: true, typeKeepAlive: c.legacy, typeConnectionError: c.legacy, typePing: !c.legacy, typePong: !c.legacy}
	opLevel := map[string]bool{typeData: c.legacy, typeNext: !c.legacy, typeError: true, typeComplete: true}
	switch {
	case connLevel[m.Type]:
		if m.ID != nil {
			fail("connection message with an id")
		}
		switch m.Type {
		case typeConnectionAck:
			if c.acked {
				fail("second connection_ack")
			}
			c.acked = true
		case typeKeepAlive, typePing:
			if !c.acked {
				fail("keep-alive before connection_ack")
			}
		case typePong:
			if c.pings == 0 {
				fail("pong without ping")
			}
			c.pings--
		case typeConnectionError:
			var s string
			if json.Unmarshal(m.Payload, &s) != nil || s == "" {
				fail("connection_error payload is not a message")
			}
		}
	case opLevel[m.Type]:
		if m.ID == nil {
			fail("operation message without an id")
		}
		id := *m.ID
		st := c.ops[id]
		if !c.acked {
			fail("operation message before connection_ack")
		}
		switch m.Type {
		case typeData, typeNext:
			var p map[string]json.RawMessage
			if st != opRunning && st != opStopping {
				fail("result for an operation not running")
			}
			if json.Unmarshal(m.Payload, &p) != nil || (p["data"] == nil && p["errors"] == nil) {
				fail("result payload is not a GraphQL response")
			}
		case typeError:
			if st != opRunning && st != opStopping {
				fail("error for an operation not running")
			}
			list := m.Payload
			if c.legacy {
				var p struct {
					Errors json.RawMessage `json:"errors"`
				}
				if json.Unmarshal(m.Payload, &p) != nil {
					fail("legacy error payload is not {errors}")
				}
				list = p.Errors
			}
			var errs []struct {
				Message    *string `json:"message"`
				Extensions *struct {
					Code *string `json:"code"`
					Path *string `json:"path"`
				} `json:"extensions"`
			}
			if json.Unmarshal(list, &errs) != nil || len(errs) == 0 {
				fail("error payload is not a list of errors")
			}
			for _, e := range errs {
				if e.Message == nil || e.Extensions == nil || e.Extensions.Code == nil || e.Extensions.Path == nil {
					fail("error without message, code or path")
				}
			}
			if c.legacy {
				c.ops[id] = opErrored
			} else {
				delete(c.ops, id)
			}
		case typeComplete:
			if st == 0 {
				fail("complete for an operation not running")
			}
			delete(c.ops, id)
		}
	default:
		fail("unknown message type")
	}
	return m
}

// protocols are the two protocols, by the Sec-WebSocket-Protocol sent.
var protocols = []string{ProtocolTransportWS, ProtocolLegacy}

// adminInit is a connection_init payload with the admin secret.
var adminInit = map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": adminSecret}}

// errorsOf returns the error list of an error message, in either protocol.
func (c *client) errorsOf(m serverMessage) []hasuraerr.GraphQLError {
	c.t.Helper()
	list := m.Payload
	if c.legacy {
		var p struct {
			Errors json.RawMessage `json:"errors"`
		}
		_ = json.Unmarshal(m.Payload, &p)
		list = p.Errors
	}
	var errs []hasuraerr.GraphQLError
	if err := json.Unmarshal(list, &errs); err != nil {
		c.t.Fatal(err)
	}
	return errs
}

// expectError reads the error message of operation id (and, in the
// legacy protocol, its complete) and returns its first error.
func (c *client) expectError(id string) hasuraerr.GraphQLError {
	c.t.Helper()
	m := c.read()
	if m.Type != typeError || *m.ID != id {
		c.t.Fatalf("got %s %s, want error for %s", m.Type, m.Payload, id)
	}
	errs := c.errorsOf(m)
	if c.legacy {
		c.expectComplete(id)
	}
	return errs[0]
}

// expectResult reads a result of operation id and returns its payload.
func (c *client) expectResult(id string) string {
	c.t.Helper()
	m := c.read()
	if (m.Type != typeData && m.Type != typeNext) || *m.ID != id {
		c.t.Fatalf("got %s %s, want a result for %s", m.Type, m.Payload, id)
	}
	var b bytes.Buffer
	_ = json.Compact(&b, m.Payload) // checked valid
	return b.String()
}

func (c *client) expectComplete(id string) {
	c.t.Helper()
	if m := c.read(); m.Type != typeComplete || *m.ID != id {
		c.t.Fatalf("got %s %s, want complete for %s", m.Type, m.Payload, id)
	}
}
