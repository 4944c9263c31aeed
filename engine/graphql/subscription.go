package graphql

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// PreparedSubscription is a subscription request parsed and validated for
// a session's role (see PrepareSubscription), ready to compile.
type PreparedSubscription struct {
	// Operation is the validated subscription operation.
	Operation *ast.OperationDefinition
	// Variables are the request's variables, coerced.
	Variables map[string]any
	// Schema is the schema of the session's role, Options the compile
	// options, Generation the schema generation it was validated against.
	Schema     *schema.Schema
	Options    compile.Options
	Generation int64
}

// PrepareSubscription parses and validates a subscription request for an
// authenticated session against the current schema of its role, through
// the same prepared-document cache as queries. A request that is not a
// valid subscription answers Hasura's error.
func (h *Handler) PrepareSubscription(req *Request, sess *Session) (*PreparedSubscription, *hasuraerr.Error) {
	h.init()
	full, version := h.Schema()
	if full == nil || full.GraphQL == nil {
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Message: "the GraphQL schema is not ready", Path: "$"}
	}
	s, opts, rerr := h.roleSchema(full, sess)
	if rerr != nil {
		return nil, rerr
	}
	p, perr := h.prepare(s, version, req, sess)
	if perr != nil {
		return nil, perr
	}
	if p.op.Operation != ast.Subscription {
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Path: "$",
			Message: fmt.Sprintf("expected a subscription operation, found a %s", p.op.Operation)}
	}
	if extra := unexpectedVariables(p.op, req.Variables); extra != "" {
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "unexpected variables in variableValues: " + extra, Path: "$"}
	}
	vars, err := validator.VariableValues(s.GraphQL, p.op, req.Variables)
	if err != nil {
		return nil, fromGQLError(err)
	}
	return &PreparedSubscription{Operation: p.op, Variables: vars, Schema: s, Options: opts, Generation: version}, nil
}
