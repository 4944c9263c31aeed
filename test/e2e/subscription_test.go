package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/coder/websocket"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// subscriber is one GraphQL subscription over a WebSocket speaking
// graphql-transport-ws (the protocol of the graphql-ws library).
type subscriber struct {
	conn *websocket.Conn
}

// subscribe dials ws://addr/v1/graphql, authenticates with headers in
// connection_init's payload and starts subscription q with id "1".
func subscribe(addr string, headers map[string]string, q string) *subscriber {
	GinkgoHelper()
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(dctx, "ws://"+addr+"/v1/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	Expect(err).NotTo(HaveOccurred())
	Expect(conn.Subprotocol()).To(Equal("graphql-transport-ws"))
	s := &subscriber{conn: conn}
	s.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": headers}})
	typ, _, err := s.next(5 * time.Second)
	Expect(err).NotTo(HaveOccurred())
	Expect(typ).To(Equal("connection_ack"))
	s.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": q}})
	return s
}

func (s *subscriber) send(msg any) {
	GinkgoHelper()
	b, err := json.Marshal(msg)
	Expect(err).NotTo(HaveOccurred())
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	Expect(s.conn.Write(wctx, websocket.MessageText, b)).To(Succeed())
}

// next reads the next message other than ping/pong within d: its type and
// payload. A read error (the socket closed) is returned as is.
func (s *subscriber) next(d time.Duration) (typ string, payload json.RawMessage, err error) {
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		_, b, err := s.conn.Read(rctx)
		if err != nil {
			return "", nil, err
		}
		var m struct {
			ID      string          `json:"id"`
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return "", nil, fmt.Errorf("bad message %s: %w", b, err)
		}
		switch m.Type {
		case "ping":
			pong, _ := json.Marshal(map[string]string{"type": "pong"})
			if err := s.conn.Write(rctx, websocket.MessageText, pong); err != nil {
				return "", nil, err
			}
			continue
		case "pong":
			continue
		}
		if m.Type == "next" && m.ID != "1" {
			return "", nil, fmt.Errorf("message for unknown subscription %q: %s", m.ID, b)
		}
		return m.Type, m.Payload, nil
	}
}

// data is the payload of the next message, which must be a "next" within
// d, on the same socket.
func (s *subscriber) data(d time.Duration) string {
	GinkgoHelper()
	typ, payload, err := s.next(d)
	Expect(err).NotTo(HaveOccurred(), "a message within %s on the same open socket", d)
	Expect(typ).To(Equal("next"), "payload %s", payload)
	return string(payload)
}

// close completes the subscription and closes the socket normally.
func (s *subscriber) close() {
	s.send(map[string]any{"id": "1", "type": "complete"})
	_ = s.conn.Close(websocket.StatusNormalClosure, "")
}
