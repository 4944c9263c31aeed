// Package ws serves GraphQL over WebSocket on /v1/graphql, as Hasura does:
// the graphql-transport-ws protocol of the graphql-ws library and the legacy
// graphql-ws protocol of subscriptions-transport-ws (the default when the
// client names neither in Sec-WebSocket-Protocol). A connection
// authenticates once, from connection_init's headers merged over the
// upgrade request's, through the same function as HTTP requests; it then
// runs queries and mutations (through package graphql) and subscriptions
// (through Subscriptions) until the client, the server or the session's
// expiry ends it.
//
// Every connection has a bounded send queue: results are queued without
// ever blocking their producer, and a client that does not keep up is
// disconnected rather than slowing anyone else down.
package ws

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/graphql"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/live"
	"github.com/stratagql/strata/engine/server"
)

// Subscriptions starts GraphQL subscriptions (*live.Manager implements it).
type Subscriptions interface {
	// Subscribe starts a subscription for sess whose results go to sink
	// until stop is called or the sink is ended. A request that cannot
	// start answers err and starts nothing.
	Subscribe(ctx context.Context, sess *auth.Session, req *graphql.Request, sink live.Sink) (stop func(), err *hasuraerr.Error)
}

// Defaults of the Handler's limits.
const (
	DefaultInitTimeout     = 3 * time.Second
	DefaultMaxMessageBytes = 16 << 20
	DefaultSendQueue       = 1024
	DefaultWriteTimeout    = 30 * time.Second
)

// The WebSocket subprotocols, by their Sec-WebSocket-Protocol names.
const (
	// ProtocolTransportWS is the graphql-ws library's protocol.
	ProtocolTransportWS = "graphql-transport-ws"
	// ProtocolLegacy is subscriptions-transport-ws's protocol (Hasura's
	// default).
	ProtocolLegacy = "graphql-ws"
)

// Handler upgrades requests to GraphQL WebSocket connections and serves
// them. Its exported fields must be set before the first request.
type Handler struct {
	// Authenticate resolves a connection's session from a request carrying
	// the merged headers (the body is nil). Nil falls back to
	// GraphQL.Authenticate, and without that every connection is admin,
	// as with package graphql.
	Authenticate func(r *http.Request, body []byte) (*auth.Session, *hasuraerr.Error)
	// GraphQL runs queries and mutations.
	GraphQL *graphql.Handler
	// Subscriptions runs subscriptions; nil refuses them.
	Subscriptions Subscriptions
	// AllowOrigin reports whether a browser page at origin may connect;
	// nil allows every origin (Hasura's default CORS policy, *).
	AllowOrigin func(origin string) bool

	// KeepAlive is the interval of keep-alive messages after
	// connection_ack (ka in the legacy protocol, ping in
	// graphql-transport-ws); 0 sends none.
	KeepAlive time.Duration
	// InitTimeout is how long a new connection has to send
	// connection_init (DefaultInitTimeout when 0).
	InitTimeout time.Duration
	// MaxOperations bounds the operations (subscriptions, and queries
	// still running) of one connection; 0 means no bound.
	MaxOperations int
	// MaxMessageBytes bounds a client message (DefaultMaxMessageBytes
	// when 0); a larger one closes the connection with 1009.
	MaxMessageBytes int64
	// SendQueue is how many messages may wait for a slow client before
	// its connection is closed (DefaultSendQueue when 0).
	SendQueue int
	// WriteTimeout bounds the sending of one message (DefaultWriteTimeout
	// when 0); a client that takes longer is disconnected.
	WriteTimeout time.Duration

	// Logger receives connection events; nil discards them.
	Logger *slog.Logger

	mu       sync.Mutex
	conns    map[*conn]struct{}
	shutdown bool
	active   sync.WaitGroup // ServeHTTP calls that accepted a connection
}

// IsUpgrade reports whether r asks to switch to the WebSocket protocol.
func IsUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && hasToken(r.Header, "Connection", "upgrade") && hasToken(r.Header, "Upgrade", "websocket")
}

// hasToken reports whether a comma-separated header contains token,
// whatever the case.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// ServeHTTP upgrades the request and serves the connection until it ends.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" && h.AllowOrigin != nil && !h.AllowOrigin(origin) {
		server.WriteError(w, http.StatusForbidden, &hasuraerr.Error{Code: hasuraerr.CodeAccessDenied, Message: "the origin " + origin + " may not open WebSockets"})
		return
	}
	h.mu.Lock()
	if h.shutdown {
		h.mu.Unlock()
		server.WriteError(w, http.StatusServiceUnavailable, &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Message: "the server is shutting down"})
		return
	}
	h.active.Add(1)
	h.mu.Unlock()
	defer h.active.Done()

	// The server's read and write timeouts are for requests; a socket
	// lives on, bounded by its own timeouts.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	sock, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       []string{ProtocolTransportWS, ProtocolLegacy},
		InsecureSkipVerify: true, // origins are checked above
	})
	if err != nil {
		h.logger().Debug("websocket upgrade failed", "error", err)
		return
	}
	c := newConn(h, sock, r)
	if !h.register(c) {
		c.requestClose(websocket.StatusGoingAway, "server shutting down", false)
	}
	defer h.unregister(c)
	c.run()
}

func (h *Handler) register(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns == nil {
		h.conns = map[*conn]struct{}{}
	}
	h.conns[c] = struct{}{}
	return !h.shutdown
}

func (h *Handler) unregister(c *conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// Shutdown refuses new connections, stops every operation of the open
// ones and closes them with 1001 (going away), then waits for them to
// end. When ctx ends first, the remaining sockets are dropped and ctx's
// error returned. No complete message is sent for the stopped operations:
// clients that reconnect (to another replica) subscribe again.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.shutdown = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.goAway()
	}
	done := make(chan struct{})
	go func() {
		h.active.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	h.mu.Lock()
	conns = conns[:0]
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		_ = c.sock.CloseNow()
	}
	return ctx.Err()
}

// authenticate resolves a session the way Authenticate says.
func (h *Handler) authenticate(r *http.Request) (*auth.Session, *hasuraerr.Error) {
	fn := h.Authenticate
	if fn == nil && h.GraphQL != nil {
		fn = h.GraphQL.Authenticate
	}
	if fn == nil {
		return &auth.Session{Role: auth.AdminRole, Vars: map[string]string{"x-hasura-role": auth.AdminRole}, Admin: true}, nil
	}
	return fn(r, nil)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

func (h *Handler) initTimeout() time.Duration {
	if h.InitTimeout > 0 {
		return h.InitTimeout
	}
	return DefaultInitTimeout
}

func (h *Handler) maxMessageBytes() int64 {
	if h.MaxMessageBytes > 0 {
		return h.MaxMessageBytes
	}
	return DefaultMaxMessageBytes
}

func (h *Handler) sendQueue() int {
	if h.SendQueue > 0 {
		return h.SendQueue
	}
	return DefaultSendQueue
}

func (h *Handler) writeTimeout() time.Duration {
	if h.WriteTimeout > 0 {
		return h.WriteTimeout
	}
	return DefaultWriteTimeout
}
