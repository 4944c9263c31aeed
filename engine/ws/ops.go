package ws

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/graphql"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// operation is one running query, mutation or subscription of a
// connection. done and stop are guarded by the connection's mu; once done,
// nothing more is sent for the operation.
type operation struct {
	id     string
	cancel context.CancelFunc
	done   bool
	stop   func() // the subscription's, once started
}

// start runs a request as operation id; false when an operation with that
// id is running.
func (c *conn) start(id string, req *graphql.Request) bool {
	c.mu.Lock()
	select {
	case <-c.closing: // run has ended (or is ending) every operation
		c.mu.Unlock()
		return true
	default:
	}
	if _, dup := c.ops[id]; dup {
		c.mu.Unlock()
		return false
	}
	if max := c.h.MaxOperations; max > 0 && len(c.ops) >= max {
		c.mu.Unlock()
		c.sendError(id, hasuraerr.New(hasuraerr.CodeBadRequest, "$", "too many operations on this connection (the limit is %d)", max))
		return true
	}
	ctx, cancel := context.WithCancel(c.ctx)
	op := &operation{id: id, cancel: cancel}
	c.ops[id] = op
	sess := c.sess
	c.mu.Unlock()
	c.opsWG.Add(1) // only the reader adds, and run waits after it returned
	go func() {
		defer c.opsWG.Done()
		if c.isSubscription(req) {
			c.subscribe(ctx, op, sess, req)
		} else {
			c.execute(ctx, op, sess, req)
		}
	}()
	return true
}

// isSubscription reports whether req's operation is a subscription. A
// request whose operation cannot be found is not: the query path answers
// it with Hasura's error.
func (c *conn) isSubscription(req *graphql.Request) bool {
	tokens := 0
	if g := c.h.GraphQL; g != nil {
		if g.MaxQueryBytes > 0 && len(req.Query) > g.MaxQueryBytes {
			return false
		}
		tokens = g.MaxQueryTokens
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: req.Query}, tokens)
	if err != nil {
		return false
	}
	var op *ast.OperationDefinition
	switch {
	case req.OperationName != "":
		op = doc.Operations.ForName(req.OperationName)
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	}
	return op != nil && op.Operation == ast.Subscription
}

// execute runs a query or mutation and sends its result and completion,
// or its errors.
func (c *conn) execute(ctx context.Context, op *operation, sess *auth.Session, req *graphql.Request) {
	if c.h.GraphQL == nil {
		c.fail(op, hasuraerr.New(hasuraerr.CodeNotSupported, "$", "queries and mutations are not served on this connection"))
		return
	}
	body := c.h.GraphQL.Do(ctx, req, sess)
	errs, failed := responseErrors(body)
	var next []byte
	if !failed {
		next = message(c.dataType(), op.id, body)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.end(op) {
		return
	}
	if failed {
		c.sendErrors(op.id, errs)
		return
	}
	c.send(next)
	c.send(message(typeComplete, op.id, nil))
}

// subscribe starts a subscription whose results go to the connection.
func (c *conn) subscribe(ctx context.Context, op *operation, sess *auth.Session, req *graphql.Request) {
	if c.h.Subscriptions == nil {
		c.fail(op, hasuraerr.New(hasuraerr.CodeNotSupported, "$", "subscriptions are not supported"))
		return
	}
	stop, err := c.h.Subscriptions.Subscribe(ctx, sess, req, sink{c, op})
	if err != nil {
		c.fail(op, err)
		return
	}
	c.mu.Lock()
	if op.done { // stopped or ended meanwhile
		c.mu.Unlock()
		stop()
		return
	}
	op.stop = stop
	c.mu.Unlock()
}

// end marks op done and forgets it; false when it already was. c.mu must
// be held.
func (c *conn) end(op *operation) bool {
	if op.done {
		return false
	}
	op.done = true
	delete(c.ops, op.id)
	op.cancel()
	return true
}

// fail ends op with an error.
func (c *conn) fail(op *operation, err *hasuraerr.Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.end(op) {
		c.sendErrors(op.id, errorList(err))
	}
}

// stop ends operation id at the client's request; nothing more is sent
// for it. An unknown id is ignored.
func (c *conn) stop(id string) {
	c.mu.Lock()
	op := c.ops[id]
	var stop func()
	if op != nil && c.end(op) {
		stop = op.stop
	}
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// endAll ends every operation without a word to the client.
func (c *conn) endAll() {
	var stops []func()
	c.mu.Lock()
	for _, op := range c.ops {
		if c.end(op) && op.stop != nil {
			stops = append(stops, op.stop)
		}
	}
	c.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}

// sendError answers operation id with one error (the operation did not
// start).
func (c *conn) sendError(id string, err *hasuraerr.Error) {
	c.sendErrors(id, errorList(err))
}

// sendErrors sends the protocol's error message for operation id: the
// errors as a list in graphql-transport-ws, where error ends the
// operation; {"errors": [...]} then complete in the legacy protocol.
func (c *conn) sendErrors(id string, errs json.RawMessage) {
	if !c.legacy {
		c.send(message(typeError, id, errs))
		return
	}
	payload := make([]byte, 0, len(errs)+12)
	payload = append(append(append(payload, `{"errors":`...), errs...), '}')
	c.send(message(typeError, id, payload))
	c.send(message(typeComplete, id, nil))
}

// dataType is the protocol's name of a result message.
func (c *conn) dataType() string {
	if c.legacy {
		return typeData
	}
	return typeNext
}

// errorList renders one error as a GraphQL error list.
func errorList(err *hasuraerr.Error) json.RawMessage {
	b, merr := json.Marshal([]hasuraerr.GraphQLError{err.GraphQL()})
	if merr != nil { // Internal that does not marshal
		b, _ = json.Marshal([]hasuraerr.GraphQLError{{Message: err.Message, Extensions: hasuraerr.Extensions{Code: err.Code, Path: err.PathOr()}}})
	}
	return b
}

// responseErrors returns the errors of a response that failed as a whole
// ({"errors": [...]} without data), which the protocols send as an error
// message rather than a result.
func responseErrors(body []byte) (json.RawMessage, bool) {
	if bytes.HasPrefix(body, []byte(`{"data"`)) {
		return nil, false
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &r) != nil || r.Data != nil || len(r.Errors) == 0 {
		return nil, false
	}
	return r.Errors, true
}

// sink delivers one subscription's results to its connection.
type sink struct {
	c  *conn
	op *operation
}

// Next queues a result; it never blocks.
func (s sink) Next(payload json.RawMessage) {
	msg := message(s.c.dataType(), s.op.id, payload)
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if !s.op.done {
		s.c.send(msg)
	}
}

// End ends the subscription from the engine's side: with the protocol's
// error when err is set, with complete otherwise.
func (s sink) End(err *hasuraerr.Error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if !s.c.end(s.op) {
		return
	}
	if err != nil {
		s.c.sendErrors(s.op.id, errorList(err))
		return
	}
	s.c.send(message(typeComplete, s.op.id, nil))
}
