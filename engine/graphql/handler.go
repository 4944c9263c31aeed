// Package graphql serves GraphQL over HTTP as Hasura does (/v1/graphql):
// it decodes single and batched requests, parses and validates them with
// gqlparser against the current schema, compiles them (through a plan
// cache) and executes them, answering in Hasura's response and error format.
package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/introspection"
	"github.com/stratagql/strata/engine/schema"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 16 << 20

// Session is who a request acts as (see package auth).
type Session = auth.Session

// Handler answers POST /v1/graphql.
type Handler struct {
	// Schema returns the current schema and a version that changes whenever
	// the schema does (plans are cached per version).
	Schema func() (*schema.Schema, int64)
	Exec   *execute.Executor
	Opts   compile.Options
	// Authenticate resolves the request's session from its headers and
	// body; nil treats every request as admin.
	Authenticate func(r *http.Request, body []byte) (*Session, *auth.Error)
	// DevMode adds internal error details.
	DevMode bool

	once    sync.Once
	docs    *lru[*prepared]
	version int64
	mu      sync.Mutex
}

// prepared is a parsed and validated document for one schema version.
type prepared struct {
	op    *ast.OperationDefinition
	slots map[string]bool
	plans *lru[*compile.Plan]
	err   *Error
}

// Request is one GraphQL request.
type Request struct {
	Query         string          `json:"query"`
	Variables     map[string]any  `json:"variables"`
	OperationName string          `json:"operationName"`
	Extensions    json.RawMessage `json:"extensions,omitempty"`
}

func (h *Handler) init() {
	h.once.Do(func() { h.docs = newLRU[*prepared](2048) })
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.init()
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody(&Error{Message: "only POST requests are allowed", Code: "method-not-allowed", Path: "$"}))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil || len(body) > MaxBodyBytes {
		writeJSON(w, http.StatusBadRequest, errorBody(&Error{Message: "request body too large or unreadable", Code: "invalid-json", Path: "$"}))
		return
	}
	sess, aerr := h.session(r, body)
	if aerr != nil {
		writeJSON(w, aerr.status(), errorBody(aerr))
		return
	}
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(body, &raws); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody(invalidJSON(err)))
			return
		}
		var out bytes.Buffer
		out.WriteByte('[')
		for i, raw := range raws {
			if i > 0 {
				out.WriteByte(',')
			}
			req, jerr := decodeRequest(raw)
			if jerr != nil {
				out.Write(mustJSON(errorBody(jerr)))
				continue
			}
			out.Write(h.execute(r.Context(), req, sess))
		}
		out.WriteByte(']')
		writeRaw(w, http.StatusOK, out.Bytes())
		return
	}
	req, jerr := decodeRequest(body)
	if jerr != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(jerr))
		return
	}
	writeRaw(w, http.StatusOK, h.execute(r.Context(), req, sess))
}

// session authenticates a request; authentication failures are answered
// with HTTP 200 and the error in the body, as Hasura does on /v1/graphql.
func (h *Handler) session(r *http.Request, body []byte) (*Session, *Error) {
	if h.Authenticate == nil {
		return &Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}, Admin: true}, nil
	}
	sess, aerr := h.Authenticate(r, body)
	if aerr != nil {
		return nil, &Error{Message: aerr.Message, Code: aerr.Code, Path: "$"}
	}
	return sess, nil
}

func decodeRequest(b []byte) (*Request, *Error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var req Request
	if err := dec.Decode(&req); err != nil {
		return nil, invalidJSON(err)
	}
	if strings.TrimSpace(req.Query) == "" {
		return nil, &Error{Message: `the key 'query' was not present`, Code: "parse-failed", Path: "$"}
	}
	return &req, nil
}

func invalidJSON(err error) *Error {
	return &Error{Message: "Error in $: " + err.Error(), Code: "invalid-json", Path: "$"}
}

// execute answers one request and returns the response body.
func (h *Handler) execute(ctx context.Context, req *Request, sess *Session) []byte {
	full, version := h.Schema()
	if full == nil || full.GraphQL == nil {
		return mustJSON(errorBody(&Error{Message: "the GraphQL schema is not ready", Code: "unexpected", Path: "$"}))
	}
	s, opts, rerr := h.roleSchema(full, sess)
	if rerr != nil {
		return mustJSON(errorBody(rerr))
	}
	p := h.prepare(s, version, req, sess)
	if p.err != nil {
		return mustJSON(errorBody(p.err))
	}
	if extra := unexpectedVariables(p.op, req.Variables); extra != "" {
		return mustJSON(errorBody(&Error{Message: "unexpected variables in variableValues: " + extra, Code: "validation-failed", Path: "$"}))
	}
	vars, err := validator.VariableValues(s.GraphQL, p.op, req.Variables)
	if err != nil {
		return mustJSON(errorBody(fromGQLError(err)))
	}
	key := structuralKey(p, vars)
	plan, ok := p.plans.get(key)
	if !ok {
		plan, err = compile.Compile(s, p.op, vars, opts)
		if err != nil {
			return mustJSON(errorBody(asError(err)))
		}
		p.plans.put(key, plan)
	}
	var results []json.RawMessage
	if plan.Operation == ast.Mutation {
		results, err = h.Exec.Mutate(ctx, plan, vars, sess.Vars)
	} else {
		results, err = h.Exec.Query(ctx, plan, vars, sess.Vars)
	}
	if err != nil {
		return mustJSON(errorBody(h.execError(err)))
	}
	size := 16
	for i, f := range plan.Fields {
		size += len(f.Alias) + len(results[i]) + 4
	}
	var out bytes.Buffer
	out.Grow(size) // one allocation even for large results
	out.WriteString(`{"data":{`)
	for i, f := range plan.Fields {
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(mustJSON(f.Alias))
		out.WriteByte(':')
		switch f.Kind {
		case compile.FieldSQL:
			out.Write(results[i])
		case compile.FieldTypename:
			out.Write(mustJSON(f.Typename))
		case compile.FieldIntrospection:
			raw, err := introspection.Execute(s.GraphQL, p.op, f.Field, vars)
			if err != nil {
				return mustJSON(errorBody(asError(err)))
			}
			out.Write(raw)
		}
	}
	out.WriteString(`}}`)
	return out.Bytes()
}

// roleSchema returns the schema the session's role sees and the compile
// options for it (admin sees the full schema).
func (h *Handler) roleSchema(full *schema.Schema, sess *Session) (*schema.Schema, compile.Options, *Error) {
	opts := h.Opts
	if sess.Admin || sess.Role == "admin" {
		return full, opts, nil
	}
	forRole := full.ForRole
	if sess.BackendOnly {
		forRole = full.ForBackend
	}
	s, err := forRole(sess.Role)
	if err != nil {
		return nil, opts, &Error{Message: err.Error(), Code: "unexpected", Path: "$"}
	}
	return s, opts, nil
}

// Do answers one request for an already authenticated session and returns
// the response body (used by the legacy query API's data commands).
func (h *Handler) Do(ctx context.Context, req *Request, sess *Session) []byte {
	h.init()
	return h.execute(ctx, req, sess)
}

// prepare parses and validates a query once per schema version.
func (h *Handler) prepare(s *schema.Schema, version int64, req *Request, sess *Session) *prepared {
	h.mu.Lock()
	if version != h.version {
		h.version = version
		h.docs.purge()
	}
	h.mu.Unlock()
	key := sess.Role + "\x00" + req.OperationName + "\x00" + req.Query
	if sess.BackendOnly {
		key = "\x00backend-only" + key // validated against another schema
	}
	if p, ok := h.docs.get(key); ok {
		return p
	}
	p := &prepared{}
	doc, perr := parser.ParseQuery(&ast.Source{Input: req.Query})
	if perr != nil {
		p.err = fromGQLError(perr)
	} else if errs := validator.ValidateWithRules(s.GraphQL, doc, validationRules); len(errs) > 0 {
		p.err = fromGQLErrorIn(doc, errs)
	} else {
		p.op, p.err = pickOperation(doc, req.OperationName)
	}
	if p.op != nil {
		p.slots = compile.SlotVariables(p.op)
		p.plans = newLRU[*compile.Plan](16)
	}
	h.docs.put(key, p)
	return p
}

// validationRules are gqlparser's default rules.
var validationRules = rules.NewDefaultRules()

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *Error) {
	if name == "" {
		if len(doc.Operations) == 1 {
			return doc.Operations[0], nil
		}
		return nil, &Error{Message: "exactly one operation has to be present in the document when operationName is not specified", Code: "validation-failed", Path: "$"}
	}
	if op := doc.Operations.ForName(name); op != nil {
		return op, nil
	}
	return nil, &Error{Message: "no such operation found in the document: " + strconv.Quote(name), Code: "validation-failed", Path: "$"}
}

// unexpectedVariables lists (comma-separated, sorted) the variables sent
// that the operation does not declare; Hasura rejects those.
func unexpectedVariables(op *ast.OperationDefinition, vars map[string]any) string {
	var extra []string
	for name := range vars {
		if op.VariableDefinitions.ForName(name) == nil {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	return strings.Join(extra, ", ")
}

// structuralKey identifies the variable values a plan was compiled for:
// slot variables only by whether they are null, the others by value.
func structuralKey(p *prepared, vars map[string]any) string {
	if len(vars) == 0 {
		return ""
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte('=')
		switch {
		case p.slots[k] && vars[k] == nil:
			b.WriteString("null")
		case p.slots[k]:
			b.WriteString("slot")
		default:
			b.Write(mustJSON(vars[k]))
		}
		b.WriteByte(';')
	}
	return b.String()
}

func (h *Handler) execError(err error) *Error {
	var ee *execute.Error
	if errors.As(err, &ee) {
		e := &Error{Message: ee.Message, Code: ee.Code, Path: "$"}
		if ee.Path != "" {
			e.Path = ee.Path
		}
		if h.DevMode && ee.Internal != nil {
			e.Internal = map[string]any{"error": map[string]any{
				"message": ee.Internal.Message, "status_code": ee.Internal.Code,
				"description": nilIfEmpty(ee.Internal.Detail), "hint": nilIfEmpty(ee.Internal.Hint),
			}}
		}
		return e
	}
	return asError(err)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func asError(err error) *Error {
	if he, ok := hasuraerr.As(err); ok {
		return &Error{Message: he.Message, Code: he.Code, Path: he.PathOr()}
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ge *gqlerror.Error
	if errors.As(err, &ge) {
		return fromGQLError(ge)
	}
	return &Error{Message: err.Error(), Code: "unexpected", Path: "$"}
}
