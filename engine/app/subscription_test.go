package app

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const notesSQL = `
CREATE TABLE note (id serial PRIMARY KEY, owner int NOT NULL, body text NOT NULL);
INSERT INTO note (owner, body) VALUES (1, 'first of 1'), (2, 'first of 2');
`

// wsClient is a minimal GraphQL-over-WebSocket client for these tests.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func dialGraphQL(t *testing.T, base, protocol string, headers map[string]string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/graphql",
		&websocket.DialOptions{Subprotocols: []string{protocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	c := &wsClient{t: t, conn: conn}
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": headers}})
	for {
		m := c.read()
		if m["type"] == "ka" {
			continue
		}
		if m["type"] != "connection_ack" {
			t.Fatalf("want connection_ack, got %v", m)
		}
		return c
	}
}

func (c *wsClient) send(msg any) {
	c.t.Helper()
	b, _ := json.Marshal(msg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next message, failing the test after 10 s.
func (c *wsClient) read() map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.readCtx(ctx)
}

func (c *wsClient) readCtx(ctx context.Context) map[string]any {
	c.t.Helper()
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("bad message %s: %v", b, err)
	}
	return m
}

// data returns the payload of the next message, which must be of type typ
// and arrive within 10 s (keep-alives are skipped).
func (c *wsClient) data(typ string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		m := c.readCtx(ctx)
		switch m["type"] {
		case "ka", "ping", "pong":
			continue
		case typ:
			b, _ := json.Marshal(m["payload"])
			return string(b)
		default:
			c.t.Fatalf("want %s, got %v", typ, m)
		}
	}
}

func postGraphQL(t *testing.T, base, query string) {
	t.Helper()
	var out map[string]any
	postJSON(t, base+"/v1/graphql", map[string]any{"query": query}, &out)
	if out["errors"] != nil {
		t.Fatalf("%s: %v", query, out["errors"])
	}
}

func postMetadata(t *testing.T, base string, body string) {
	t.Helper()
	var out any
	postJSON(t, base+"/v1/metadata", json.RawMessage(body), &out)
	if m, ok := out.(map[string]any); ok && m["code"] != nil {
		t.Fatalf("%s: %v", body, m)
	}
}

// TestSubscriptionsThroughTheEngine drives subscriptions over both
// protocols through the real engine: the change feed, not the refetch
// interval (set to a minute), delivers each committed change; a role sees
// only its rows; a metadata change keeps the subscription open and its new
// permission applies to what it receives next.
func TestSubscriptionsThroughTheEngine(t *testing.T) {
	base, _, stopEngine := startEngineWith(t, []string{
		"--live-queries-multiplexed-refetch-interval", "60000",
		"--streaming-queries-multiplexed-refetch-interval", "60000",
	}, notesSQL)
	var once sync.Once
	var stopErr error
	stop := func() error { once.Do(func() { stopErr = stopEngine() }); return stopErr }
	t.Cleanup(func() { _ = stop() })
	postMetadata(t, base, `{"type": "bulk", "args": [
		{"type": "pg_track_table", "args": {"table": "note"}},
		{"type": "pg_create_select_permission", "args": {"table": "note", "role": "user",
			"permission": {"columns": ["id", "body"], "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}}}}]}`)

	user1 := map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "1"}
	c := dialGraphQL(t, base, "graphql-transport-ws", user1)
	c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": "subscription { note(order_by: {id: asc}) { id body } }"}})
	if got, want := c.data("next"), `{"data":{"note":[{"body":"first of 1","id":1}]}}`; got != want {
		t.Fatalf("first result:\n got %s\nwant %s", got, want)
	}

	// A row of another owner, then one of owner 1: the next message has
	// the latter and never the former.
	postGraphQL(t, base, `mutation { insert_note(objects: [{owner: 2, body: "second of 2"}]) { affected_rows } }`)
	postGraphQL(t, base, `mutation { insert_note(objects: [{owner: 1, body: "second of 1"}]) { affected_rows } }`)
	if got, want := c.data("next"), `{"data":{"note":[{"body":"first of 1","id":1},{"body":"second of 1","id":4}]}}`; got != want {
		t.Fatalf("after the inserts:\n got %s\nwant %s", got, want)
	}

	// Narrow the permission: the subscription stays open and answers
	// under the new filter.
	postMetadata(t, base, `{"type": "bulk", "args": [
		{"type": "pg_drop_select_permission", "args": {"table": "note", "role": "user"}},
		{"type": "pg_create_select_permission", "args": {"table": "note", "role": "user",
			"permission": {"columns": ["id", "body"], "filter": {"_and": [{"owner": {"_eq": "X-Hasura-User-Id"}}, {"body": {"_like": "second%"}}]}}}}]}`)
	if got, want := c.data("next"), `{"data":{"note":[{"body":"second of 1","id":4}]}}`; got != want {
		t.Fatalf("after the permission change:\n got %s\nwant %s", got, want)
	}

	// The legacy protocol, with a streaming subscription.
	l := dialGraphQL(t, base, "graphql-ws", user1)
	l.send(map[string]any{"id": "s", "type": "start", "payload": map[string]any{
		"query": "subscription { note_stream(batch_size: 10, cursor: {initial_value: {id: 0}}) { id body } }"}})
	if got, want := l.data("data"), `{"data":{"note_stream":[{"body":"second of 1","id":4}]}}`; got != want {
		t.Fatalf("stream:\n got %s\nwant %s", got, want)
	}
	postGraphQL(t, base, `mutation { insert_note(objects: [{owner: 1, body: "second thoughts"}]) { affected_rows } }`)
	if got, want := l.data("data"), `{"data":{"note_stream":[{"body":"second thoughts","id":5}]}}`; got != want {
		t.Fatalf("stream after insert:\n got %s\nwant %s", got, want)
	}
	l.send(map[string]any{"id": "s", "type": "stop"})
	c.conn.Close(websocket.StatusNormalClosure, "")

	// Shutting the engine down closes the open socket with 1001.
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, b, err := l.conn.Read(ctx)
		if err == nil {
			if !strings.Contains(string(b), `"ka"`) {
				t.Fatalf("after stop, before shutdown: %s", b)
			}
			continue
		}
		if status := websocket.CloseStatus(err); status != websocket.StatusGoingAway {
			t.Fatalf("shutdown closed the socket with %v (%v), want 1001", status, err)
		}
		break
	}
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
