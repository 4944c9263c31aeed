package graphql

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"

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
	v, err := h.validate(req, sess)
	if err != nil {
		return nil, err
	}
	if v.doc.op.Operation != ast.Subscription {
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Path: "$",
			Message: fmt.Sprintf("expected a subscription operation, found a %s", v.doc.op.Operation)}
	}
	return &PreparedSubscription{Operation: v.doc.op, Variables: v.vars, Schema: v.schema, Options: v.opts, Generation: v.gen}, nil
}
