package graphql

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/server"
)

// explainRequest is the body of POST /v1/graphql/explain.
type explainRequest struct {
	Query Request           `json:"query"`
	User  map[string]string `json:"user"`
}

// explainField is one root field's SQL and PostgreSQL plan. Arguments are
// the bind parameters, in order, as sent (a Strata addition).
type explainField struct {
	Field     string   `json:"field"`
	SQL       string   `json:"sql"`
	Plan      []string `json:"plan"`
	Arguments []any    `json:"arguments"`
}

// Explain answers POST /v1/graphql/explain (admin only; the caller guards
// it): the generated SQL and PostgreSQL's plan for each root field.
// Errors have the REST shape ({"path","error","code"}).
func (h *Handler) Explain() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.init()
		out, err := h.explain(r)
		if err != nil {
			writeJSON(w, err.HTTPStatus(), err.REST())
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (h *Handler) explain(r *http.Request) ([]explainField, *hasuraerr.Error) {
	body, berr := server.ReadBody(r, 0)
	if berr != nil {
		return nil, berr
	}
	if caller, aerr := h.session(r, body); aerr != nil || !caller.Admin {
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeAccessDenied, Message: "restricted access : admin only"}
	}
	var req explainRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return nil, invalidJSON(err)
	}
	sess := &Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}, Admin: true}
	if role := req.User["x-hasura-role"]; role != "" && role != "admin" {
		sess = &Session{Role: role, Vars: lowerKeys(req.User)}
	}
	full, version := h.Schema()
	s, opts, rerr := h.roleSchema(full, sess)
	if rerr != nil {
		return nil, rerr
	}
	p, perr := h.prepare(s, version, &req.Query, sess)
	if perr != nil {
		return nil, perr
	}
	vars, err := validator.VariableValues(s.GraphQL, p.op, req.Query.Variables)
	if err != nil {
		return nil, fromGQLError(err)
	}
	plan, err := compile.Compile(s, p.op, vars, opts)
	if err != nil {
		return nil, asError(err)
	}
	out := []explainField{}
	for _, f := range plan.Fields {
		if f.Kind != compile.FieldSQL {
			continue
		}
		args, err := compile.Values(f.Args, vars, sess.Vars)
		if err != nil {
			return nil, &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: asError(err).Message, Err: err}
		}
		lines, err := h.Exec.Explain(r.Context(), f.SQL, args)
		if err != nil {
			e := asError(err)
			return nil, &hasuraerr.Error{Code: e.Code, Message: e.Message, Err: err}
		}
		out = append(out, explainField{Field: f.Alias, SQL: f.SQL, Plan: lines, Arguments: args})
	}
	return out, nil
}

func lowerKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
