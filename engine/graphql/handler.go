// Package graphql serves GraphQL over HTTP as Hasura does (/v1/graphql):
// it decodes single and batched requests, parses and validates them with
// gqlparser against the current schema, compiles them (through a plan
// cache) and executes them, answering in Hasura's response and error format.
package graphql

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/graphql/querycache"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/introspection"
	"github.com/stratagql/strata/engine/schema"
	"github.com/stratagql/strata/engine/server"
)

// Session is who a request acts as (see package auth).
type Session = auth.Session

// Handler answers POST /v1/graphql.
type Handler struct {
	// Schema returns the current schema and its generation, which must
	// increase whenever the schema changes: prepared documents and plans
	// are cached per generation (see package querycache).
	Schema func() (*schema.Schema, int64)
	Exec   *execute.Executor
	Opts   compile.Options
	// Authenticate resolves the request's session from its headers and
	// body; nil treats every request as admin.
	Authenticate func(r *http.Request, body []byte) (*Session, *hasuraerr.Error)
	// DevMode adds internal error details.
	DevMode bool
	// MaxQueryBytes and MaxQueryTokens bound a query's text and its number
	// of lexical tokens; 0 means no bound.
	MaxQueryBytes  int
	MaxQueryTokens int

	once sync.Once
	docs *querycache.Cache[docKey, *prepared]
}

// Bounds of the prepared-document cache and of each document's plans.
const (
	docCacheEntries = 2048
	docCacheBytes   = 64 << 20
	plansPerDoc     = 16
)

// docKey identifies a prepared document within a schema generation (the
// generation is the cache's, see querycache): who it was validated for and
// the operation's text, by hash.
type docKey struct {
	role        string
	backendOnly bool // validated against the role's backend-only schema
	operation   string
	query       [sha256.Size]byte
}

// prepared is a parsed and validated document for one schema generation,
// with the plans compiled from it (by structural key, see structuralKey).
type prepared struct {
	op    *ast.OperationDefinition
	slots map[string]bool
	plans *querycache.Cache[string, *compile.Plan]
	// gen and key are where the document is cached, so that its plans'
	// sizes are accounted to it.
	gen int64
	key docKey
}

// Request is one GraphQL request.
type Request struct {
	Query         string          `json:"query"`
	Variables     map[string]any  `json:"variables"`
	OperationName string          `json:"operationName"`
	Extensions    json.RawMessage `json:"extensions,omitempty"`
}

func (h *Handler) init() {
	h.once.Do(func() { h.docs = querycache.New[docKey, *prepared](docCacheEntries, docCacheBytes) })
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.init()
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody(&hasuraerr.Error{Code: hasuraerr.CodeMethodNotAllowed, Message: "only POST requests are allowed", Path: "$"}))
		return
	}
	body, berr := server.ReadBody(r, 0)
	if berr != nil {
		writeJSON(w, berr.HTTPStatus(), errorBody(berr))
		return
	}
	sess, aerr := h.session(r, body)
	if aerr != nil {
		writeJSON(w, http.StatusOK, errorBody(aerr))
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
func (h *Handler) session(r *http.Request, body []byte) (*Session, *hasuraerr.Error) {
	if h.Authenticate == nil {
		return &Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}, Admin: true}, nil
	}
	sess, aerr := h.Authenticate(r, body)
	if aerr != nil {
		return nil, &hasuraerr.Error{Code: aerr.Code, Message: aerr.Message, Err: aerr}
	}
	return sess, nil
}

func decodeRequest(b []byte) (*Request, *hasuraerr.Error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var req Request
	if err := dec.Decode(&req); err != nil {
		return nil, invalidJSON(err)
	}
	if strings.TrimSpace(req.Query) == "" {
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeParseFailed, Message: `the key 'query' was not present`, Path: "$"}
	}
	return &req, nil
}

func invalidJSON(err error) *hasuraerr.Error {
	return &hasuraerr.Error{Code: hasuraerr.CodeInvalidJSON, Message: "Error in $: " + err.Error(), Path: "$"}
}

// validated is a request validated for a session: the schema of its role
// and the compile options, the prepared document, the coerced variables
// and the schema generation they were validated against.
type validated struct {
	schema *schema.Schema
	opts   compile.Options
	doc    *prepared
	vars   map[string]any
	gen    int64
}

// validate parses (through the document cache) and validates req and its
// variables against the current schema of sess's role.
func (h *Handler) validate(req *Request, sess *Session) (validated, *hasuraerr.Error) {
	full, gen := h.Schema()
	if full == nil || full.GraphQL == nil {
		return validated{}, &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Message: "the GraphQL schema is not ready", Path: "$"}
	}
	s, opts, rerr := h.roleSchema(full, sess)
	if rerr != nil {
		return validated{}, rerr
	}
	p, perr := h.prepare(s, gen, req, sess)
	if perr != nil {
		return validated{}, perr
	}
	if extra := unexpectedVariables(p.op, req.Variables); extra != "" {
		return validated{}, &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "unexpected variables in variableValues: " + extra, Path: "$"}
	}
	vars, err := validator.VariableValues(s.GraphQL, p.op, req.Variables)
	if err != nil {
		return validated{}, fromGQLError(err)
	}
	return validated{schema: s, opts: opts, doc: p, vars: vars, gen: gen}, nil
}

// execute answers one request and returns the response body.
func (h *Handler) execute(ctx context.Context, req *Request, sess *Session) []byte {
	v, verr := h.validate(req, sess)
	if verr != nil {
		return mustJSON(errorBody(verr))
	}
	s, p, vars := v.schema, v.doc, v.vars
	key := structuralKey(p, vars)
	plan, ok := p.plans.Get(0, key)
	var err error
	if !ok {
		plan, err = compile.Compile(s, p.op, vars, v.opts)
		if err != nil {
			return mustJSON(errorBody(asError(err)))
		}
		var stored bool
		if plan, stored = p.plans.Add(0, key, plan, 0); stored {
			h.docs.Grow(p.gen, p.key, planSize(key, plan))
		}
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
func (h *Handler) roleSchema(full *schema.Schema, sess *Session) (*schema.Schema, compile.Options, *hasuraerr.Error) {
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
		return nil, opts, hasuraerr.Wrap(err)
	}
	return s, opts, nil
}

// Do answers one request for an already authenticated session and returns
// the response body (used by the legacy query API's data commands).
func (h *Handler) Do(ctx context.Context, req *Request, sess *Session) []byte {
	h.init()
	return h.execute(ctx, req, sess)
}

// prepare parses and validates a query once per schema generation.
// Documents that fail are not cached.
func (h *Handler) prepare(s *schema.Schema, gen int64, req *Request, sess *Session) (*prepared, *hasuraerr.Error) {
	if h.MaxQueryBytes > 0 && len(req.Query) > h.MaxQueryBytes {
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Path: "$.query",
			Message: fmt.Sprintf("the query is %d bytes long, more than the limit of %d", len(req.Query), h.MaxQueryBytes)}
	}
	key := docKey{role: sess.Role, backendOnly: sess.BackendOnly, operation: req.OperationName, query: sha256.Sum256([]byte(req.Query))}
	if p, ok := h.docs.Get(gen, key); ok {
		return p, nil
	}
	doc, perr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: req.Query}, h.MaxQueryTokens)
	if perr != nil {
		var ge *gqlerror.Error
		if errors.As(perr, &ge) && strings.HasPrefix(ge.Message, "exceeded token limit") {
			return nil, &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Path: "$.query", Err: perr,
				Message: fmt.Sprintf("the query has more tokens than the limit of %d", h.MaxQueryTokens)}
		}
		return nil, fromGQLError(perr)
	}
	if errs := validator.ValidateWithRules(s.GraphQL, doc, validationRules); len(errs) > 0 {
		return nil, fromGQLErrorIn(doc, errs)
	}
	op, err := pickOperation(doc, req.OperationName)
	if err != nil {
		return nil, err
	}
	p := &prepared{op: op, slots: compile.SlotVariables(op), plans: querycache.New[string, *compile.Plan](plansPerDoc, 0), gen: gen, key: key}
	p, _ = h.docs.Add(gen, key, p, docSize(req.Query))
	return p, nil
}

// docSize estimates the memory of a parsed and validated document: its
// syntax tree takes about 30 bytes per byte of query text.
func docSize(query string) int64 { return 32*int64(len(query)) + 1024 }

// planSize estimates the memory of a cached plan and its key: its SQL
// text and bind parameters.
func planSize(key string, p *compile.Plan) int64 {
	n := int64(len(key)) + 256
	args := func(as []compile.Arg) {
		for _, a := range as {
			n += 64
			if v, ok := a.Value.(string); ok {
				n += int64(len(v))
			}
		}
	}
	for _, f := range p.Fields {
		n += 128 + int64(len(f.SQL))
		args(f.Args)
		if f.Mutation != nil {
			for _, st := range f.Mutation.Statements {
				n += 128 + int64(len(st.SQL))
				args(st.Args)
			}
		}
	}
	return n
}

// validationRules are gqlparser's default rules.
var validationRules = rules.NewDefaultRules()

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *hasuraerr.Error) {
	if name == "" {
		if len(doc.Operations) == 1 {
			return doc.Operations[0], nil
		}
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "exactly one operation has to be present in the document when operationName is not specified", Path: "$"}
	}
	if op := doc.Operations.ForName(name); op != nil {
		return op, nil
	}
	return nil, &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "no such operation found in the document: " + strconv.Quote(name), Path: "$"}
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

// execError is err of the executor as answered: PostgreSQL's error as
// internal detail in dev mode only.
func (h *Handler) execError(err error) *hasuraerr.Error {
	e := asError(err)
	var pe *pgconn.PgError
	if h.DevMode && errors.As(err, &pe) {
		c := *e
		c.Internal = map[string]any{"error": map[string]any{
			"message": pe.Message, "status_code": pe.Code,
			"description": nilIfEmpty(pe.Detail), "hint": nilIfEmpty(pe.Hint),
		}}
		return &c
	}
	return e
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// asError is err as a Hasura error: the engine's errors as they are,
// gqlparser's in Hasura's words, anything else as unexpected.
func asError(err error) *hasuraerr.Error {
	var ge *gqlerror.Error
	if _, ok := hasuraerr.As(err); !ok && errors.As(err, &ge) {
		return fromGQLError(ge)
	}
	return hasuraerr.Wrap(err)
}
