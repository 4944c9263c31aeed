package graphql

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stratagql/strata/engine/compile"
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
func (h *Handler) Explain() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.init()
		body, _ := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes))
		if caller, aerr := h.session(r, body); aerr != nil || !caller.Admin {
			writeJSON(w, http.StatusBadRequest, map[string]string{"path": "$", "error": "restricted access : admin only", "code": "access-denied"})
			return
		}
		var req explainRequest
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"path": "$", "error": "Error in $: " + err.Error(), "code": "invalid-json"})
			return
		}
		sess := &Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}, Admin: true}
		if role := req.User["x-hasura-role"]; role != "" && role != "admin" {
			sess = &Session{Role: role, Vars: lowerKeys(req.User)}
		}
		full, version := h.Schema()
		s, opts, rerr := h.roleSchema(full, sess)
		if rerr != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"path": rerr.Path, "error": rerr.Message, "code": rerr.Code})
			return
		}
		p, perr := h.prepare(s, version, &req.Query, sess)
		if perr != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"path": perr.Path, "error": perr.Message, "code": perr.Code})
			return
		}
		vars, err := validator.VariableValues(s.GraphQL, p.op, req.Query.Variables)
		if err != nil {
			e := fromGQLError(err)
			writeJSON(w, http.StatusBadRequest, map[string]string{"path": e.Path, "error": e.Message, "code": e.Code})
			return
		}
		plan, err := compile.Compile(s, p.op, vars, opts)
		if err != nil {
			e := asError(err)
			writeJSON(w, http.StatusBadRequest, map[string]string{"path": e.Path, "error": e.Message, "code": e.Code})
			return
		}
		out := []explainField{}
		for _, f := range plan.Fields {
			if f.Kind != compile.FieldSQL {
				continue
			}
			args, err := compile.Values(f.Args, vars, sess.Vars)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"path": "$", "error": err.Error(), "code": "validation-failed"})
				return
			}
			lines, err := h.Exec.Explain(r.Context(), f.SQL, args)
			if err != nil {
				e := h.execError(err)
				writeJSON(w, http.StatusBadRequest, map[string]string{"path": "$", "error": e.Message, "code": e.Code})
				return
			}
			out = append(out, explainField{Field: f.Alias, SQL: f.SQL, Plan: lines, Arguments: args})
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func lowerKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
