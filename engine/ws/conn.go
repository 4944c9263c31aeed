package ws

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/stratagql/strata/engine/auth"
)

// Close codes beyond RFC 6455's (graphql-transport-ws defines the 44xx
// ones; the legacy protocol has none, so it uses the same).
const (
	closeBadMessage   websocket.StatusCode = 4400
	closeUnauthorized websocket.StatusCode = 4401
	closeForbidden    websocket.StatusCode = 4403
	closeInitTimeout  websocket.StatusCode = 4408
	closeDuplicateID  websocket.StatusCode = 4409
	closeTooManyInits websocket.StatusCode = 4429
	// closeSlowConsumer: the client did not read its messages fast
	// enough (1013, try again later: the condition is temporary).
	closeSlowConsumer = websocket.StatusTryAgainLater
)

// jwtExpired is the error Hasura reports when a connection's JWT expires.
const jwtExpired = "Could not verify JWT: JWTExpired"

// conn is one WebSocket connection. Three kinds of goroutines touch it: the
// reader (ServeHTTP's goroutine, handling client messages in order), the
// writer (the only one writing to the socket, from the send queue), and
// the producers of results (operation goroutines and the subscription
// engine), which only ever queue messages without blocking.
type conn struct {
	h       *Handler
	sock    *websocket.Conn
	legacy  bool
	upgrade *http.Request // the upgrade request, for its headers
	log     *slog.Logger

	// ctx ends when the connection is closing; operations derive from it.
	ctx    context.Context
	cancel context.CancelFunc

	out         *sendQueue    // the send queue
	closing     chan struct{} // closed by requestClose
	closeOnce   sync.Once
	closeCode   websocket.StatusCode
	closeReason string
	flush       bool // write what is queued before closing

	mu          sync.Mutex
	initialised bool          // connection_init received
	sess        *auth.Session // set once authenticated
	ops         map[string]*operation

	opsWG  sync.WaitGroup // operation goroutines
	expiry *time.Timer    // the session's expiry; reader goroutine only
}

func newConn(h *Handler, sock *websocket.Conn, r *http.Request) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	up := r.Clone(ctx)
	up.Body = http.NoBody
	return &conn{
		h:       h,
		sock:    sock,
		legacy:  sock.Subprotocol() != ProtocolTransportWS,
		upgrade: up,
		log:     h.logger().With("remote", r.RemoteAddr, "protocol", protocolName(sock.Subprotocol())),
		ctx:     ctx,
		cancel:  cancel,
		out:     newSendQueue(h.sendQueue()),
		closing: make(chan struct{}),
		ops:     map[string]*operation{},
	}
}

func protocolName(sub string) string {
	if sub == ProtocolTransportWS {
		return sub
	}
	return ProtocolLegacy
}

// run serves the connection until a close is requested (by either side),
// then ends every operation at once, and returns when the socket is
// closed and every goroutine of the connection has ended.
func (c *conn) run() {
	c.log.Debug("websocket connected")
	c.sock.SetReadLimit(c.h.maxMessageBytes())
	initTimer := time.AfterFunc(c.h.initTimeout(), c.initTimedOut)
	defer initTimer.Stop()
	writerDone, readerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	var readErr error
	go func() {
		defer close(readerDone)
		readErr = c.readLoop()
		c.requestClose(websocket.StatusNormalClosure, "", false)
	}()
	<-c.closing
	c.endAll()
	<-writerDone
	_ = c.sock.CloseNow()
	<-readerDone
	if c.expiry != nil { // set by the reader only
		c.expiry.Stop()
	}
	c.opsWG.Wait()
	c.log.Debug("websocket closed", "code", int(c.closeCode), "reason", c.closeReason, "read_error", readErr)
}

// readLoop handles client messages until the socket is closed.
func (c *conn) readLoop() error {
	for {
		_, data, err := c.sock.Read(context.Background())
		if err != nil {
			if s := websocket.CloseStatus(err); s == websocket.StatusNormalClosure || s == websocket.StatusGoingAway {
				return nil
			}
			return err
		}
		c.handle(data)
	}
}

// writeLoop writes queued messages and keep-alives until a close is
// requested, then closes the socket with the requested code.
func (c *conn) writeLoop() {
	acked := false // keep-alives only follow connection_ack
	var tick <-chan time.Time
	if c.h.KeepAlive > 0 {
		t := time.NewTicker(c.h.KeepAlive)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-c.out.ready:
			for _, msg := range c.out.take() {
				if !c.write(msg) {
					return
				}
				acked = acked || bytes.Equal(msg, ackMessage)
			}
		case <-tick:
			if acked && !c.write(c.keepAlive()) {
				return
			}
		case <-c.closing:
			if c.flush && !c.drain() {
				return
			}
			if err := c.sock.Close(c.closeCode, c.closeReason); err != nil && !errors.Is(err, net.ErrClosed) {
				c.log.Debug("websocket close handshake failed", "error", err)
			}
			return
		}
	}
}

// drain writes what is queued; false means the socket failed.
func (c *conn) drain() bool {
	for _, msg := range c.out.take() {
		if !c.write(msg) {
			return false
		}
	}
	return true
}

// write sends one message within the write timeout; a failure (the
// timeout included) leaves the socket closed.
func (c *conn) write(msg []byte) bool {
	ctx, cancel := context.WithTimeout(context.Background(), c.h.writeTimeout())
	defer cancel()
	if err := c.sock.Write(ctx, websocket.MessageText, msg); err != nil {
		c.log.Info("websocket write failed: disconnecting", "error", err)
		c.requestClose(websocket.StatusAbnormalClosure, "write failed", false)
		_ = c.sock.CloseNow()
		return false
	}
	return true
}

// send queues a message without blocking. A full queue means the client
// is not keeping up: its connection is closed. It reports whether the
// message was queued.
func (c *conn) send(msg []byte) bool {
	select {
	case <-c.closing:
		return false
	default:
	}
	if c.out.push(msg) {
		return true
	}
	c.log.Warn("websocket client too slow: send queue full, disconnecting", "queue", c.out.max)
	c.requestClose(closeSlowConsumer, "slow consumer: the send queue is full", false)
	return false
}

// requestClose asks the writer to close the socket with code and reason,
// after writing what is queued when flush is set. Only the first request
// counts. Running operations are cancelled.
func (c *conn) requestClose(code websocket.StatusCode, reason string, flush bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason, c.flush = code, closeReason(reason), flush
		close(c.closing)
		c.cancel()
	})
}

// closeReason cuts a reason to what a close frame holds (123 bytes),
// on a character boundary.
func closeReason(s string) string {
	const max = 123
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// initTimedOut closes a connection that sent no connection_init in time.
func (c *conn) initTimedOut() {
	c.mu.Lock()
	done := c.initialised
	c.mu.Unlock()
	if !done {
		c.requestClose(closeInitTimeout, "Connection initialisation timeout", false)
	}
}

// goAway ends every operation and closes the connection with 1001, for a
// server shutdown. No complete message is sent: clients that reconnect
// (to another replica) resubscribe their operations.
func (c *conn) goAway() {
	c.endAll()
	c.requestClose(websocket.StatusGoingAway, "server shutting down", true)
}

// expired closes the connection when the session's credentials expire.
func (c *conn) expired() {
	c.log.Info("websocket session expired: disconnecting")
	if c.legacy {
		c.send(message(typeConnectionError, "", jsonString(jwtExpired)))
	}
	c.requestClose(closeUnauthorized, jwtExpired, c.legacy)
}
