package ws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/stratagql/strata/engine/graphql"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// Message types of both protocols (graphql-transport-ws: connection_init,
// connection_ack, ping, pong, subscribe, next, error, complete; legacy
// graphql-ws: connection_init, connection_ack, connection_error, ka, start,
// data, error, complete, stop, connection_terminate).
const (
	typeConnectionInit      = "connection_init"
	typeConnectionAck       = "connection_ack"
	typeConnectionError     = "connection_error"
	typeConnectionTerminate = "connection_terminate"
	typeKeepAlive           = "ka"
	typePing                = "ping"
	typePong                = "pong"
	typeSubscribe           = "subscribe"
	typeStart               = "start"
	typeNext                = "next"
	typeData                = "data"
	typeError               = "error"
	typeComplete            = "complete"
	typeStop                = "stop"
)

// clientMessage is a message from the client, in either protocol.
type clientMessage struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// message renders a server message; id and payload are left out when
// empty. payload must be JSON.
func message(typ, id string, payload []byte) []byte {
	b := make([]byte, 0, len(typ)+len(id)+len(payload)+40)
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, '"')
	if id != "" {
		b = append(b, `,"id":`...)
		b = append(b, jsonString(id)...)
	}
	if payload != nil {
		b = append(b, `,"payload":`...)
		b = append(b, payload...)
	}
	return append(b, '}')
}

// ackMessage is connection_ack, the same in both protocols.
var ackMessage = message(typeConnectionAck, "", nil)

func jsonString(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

// handle acts on one client message (reader goroutine).
func (c *conn) handle(data []byte) {
	var m clientMessage
	if err := json.Unmarshal(data, &m); err != nil {
		c.badMessage("invalid message: " + err.Error())
		return
	}
	if c.legacy {
		c.handleLegacy(m)
	} else {
		c.handleTransportWS(m)
	}
}

// handleTransportWS follows graphql-transport-ws: protocol violations
// close the connection with the protocol's codes.
func (c *conn) handleTransportWS(m clientMessage) {
	switch m.Type {
	case typeConnectionInit:
		if !c.beginInit() {
			c.requestClose(closeTooManyInits, "Too many initialisation requests", false)
			return
		}
		c.init(m.Payload)
	case typePing:
		c.send(message(typePong, "", nil))
	case typePong:
	case typeSubscribe:
		if !c.ready() {
			c.requestClose(closeUnauthorized, "Unauthorized", false)
			return
		}
		if m.ID == "" {
			c.badMessage("subscribe message without an id")
			return
		}
		req, err := decodeRequest(m.Payload)
		if err != nil {
			c.badMessage("invalid subscribe payload: " + err.Message)
			return
		}
		if !c.start(m.ID, req) {
			c.requestClose(closeDuplicateID, "Subscriber for "+m.ID+" already exists", false)
		}
	case typeComplete:
		c.stop(m.ID)
	default:
		c.badMessage("unknown message type " + strconv.Quote(m.Type))
	}
}

// handleLegacy follows subscriptions-transport-ws: errors about one
// operation are answered on it, others with connection_error.
func (c *conn) handleLegacy(m clientMessage) {
	switch m.Type {
	case typeConnectionInit:
		if c.beginInit() { // a repeated init changes nothing
			c.init(m.Payload)
		}
	case typeStart:
		if !c.ready() {
			c.send(message(typeConnectionError, "", jsonString("start received before the connection is initialised")))
			return
		}
		if m.ID == "" {
			c.badMessage("start message without an id")
			return
		}
		req, err := decodeRequest(m.Payload)
		if err != nil {
			c.sendError(m.ID, err)
			return
		}
		// As subscriptions-transport-ws does, a start with the id of a
		// running operation replaces it.
		c.stop(m.ID)
		c.start(m.ID, req)
	case typeStop:
		c.stop(m.ID)
	case typeConnectionTerminate:
		c.requestClose(websocket.StatusNormalClosure, "", false)
	default:
		c.badMessage("unknown message type " + strconv.Quote(m.Type))
	}
}

// badMessage answers a message that is not valid in the protocol.
func (c *conn) badMessage(reason string) {
	c.log.Debug("invalid websocket message", "reason", reason)
	if c.legacy {
		c.send(message(typeConnectionError, "", jsonString(reason)))
		return
	}
	c.requestClose(closeBadMessage, reason, false)
}

// beginInit marks connection_init received; false when it already was.
func (c *conn) beginInit() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.initialised {
		return false
	}
	c.initialised = true
	return true
}

// ready reports whether the connection is authenticated.
func (c *conn) ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess != nil
}

// init authenticates the connection from connection_init's payload and
// acknowledges it, or refuses it and closes the socket.
func (c *conn) init(payload json.RawMessage) {
	r := c.upgrade.Clone(c.ctx)
	r.Header = mergeHeaders(c.upgrade.Header, initHeaders(payload))
	sess, err := c.h.authenticate(r)
	if err != nil {
		c.log.Info("websocket connection refused", "code", err.Code, "error", err.Message)
		if c.legacy {
			c.send(message(typeConnectionError, "", jsonString(err.Message)))
		}
		c.requestClose(closeForbidden, err.Message, c.legacy)
		return
	}
	c.mu.Lock()
	c.sess = sess
	c.mu.Unlock()
	c.send(ackMessage)
	if c.legacy && c.h.KeepAlive > 0 {
		c.send(c.keepAlive())
	}
	if !sess.Expires.IsZero() {
		c.expiry = time.AfterFunc(time.Until(sess.Expires), c.expired)
	}
}

// keepAlive is the protocol's keep-alive message.
func (c *conn) keepAlive() []byte {
	if c.legacy {
		return message(typeKeepAlive, "", nil)
	}
	return message(typePing, "", nil)
}

// initHeaders are the headers a connection_init payload carries: its
// "headers" object, or else its own keys; values that are not strings are
// left out.
func initHeaders(payload json.RawMessage) http.Header {
	var obj map[string]json.RawMessage
	if json.Unmarshal(payload, &obj) != nil {
		return nil
	}
	if raw, ok := obj["headers"]; ok {
		obj = nil
		_ = json.Unmarshal(raw, &obj)
	}
	h := http.Header{}
	for k, raw := range obj {
		var v string
		if k != "" && json.Unmarshal(raw, &v) == nil {
			h.Set(k, v)
		}
	}
	return h
}

// mergeHeaders returns the upgrade request's headers with those of
// connection_init replacing any of the same name: the payload is what the
// client chose to authenticate the connection with.
func mergeHeaders(upgrade, init http.Header) http.Header {
	m := upgrade.Clone()
	for k, vs := range init {
		m[k] = vs
	}
	return m
}

// decodeRequest reads a subscribe/start payload: a GraphQL request.
func decodeRequest(payload json.RawMessage) (*graphql.Request, *hasuraerr.Error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var req graphql.Request
	if err := dec.Decode(&req); err != nil {
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeInvalidJSON, Message: fmt.Sprintf("Error in $: %v", err), Path: "$"}
	}
	if strings.TrimSpace(req.Query) == "" {
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeParseFailed, Message: "the key 'query' was not present", Path: "$"}
	}
	return &req, nil
}
