// Package compile turns a validated GraphQL operation into SQL: one statement
// per root field, each returning that field's response JSON built inside
// PostgreSQL. It is pure — schema + operation + variables in, SQL text and
// an ordered argument list out — and never writes a user value into SQL
// text: every value is a bind parameter.
//
// Its errors are *hasuraerr.Error values with Hasura's codes and paths.
package compile

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/hasuraerr"
)

// Plan is a compiled operation: what to run for each root field, in the
// order of the response.
type Plan struct {
	Operation ast.Operation
	Fields    []*RootField
}

// FieldKind tells how a root field is answered.
type FieldKind int

// Root field kinds.
const (
	// FieldSQL is answered by running SQL, which returns one JSON value.
	FieldSQL FieldKind = iota
	// FieldTypename is answered with Typename.
	FieldTypename
	// FieldIntrospection is answered from the schema (__schema, __type).
	FieldIntrospection
)

// RootField is one root field of the response.
type RootField struct {
	// Alias is the response key.
	Alias string
	Kind  FieldKind
	// SQL and Args are set for FieldSQL. SQL returns one row with one json
	// column (null for a missing _by_pk row).
	SQL  string
	Args []Arg
	// Typename is set for FieldTypename.
	Typename string
	// Field is the GraphQL field, for FieldIntrospection.
	Field *ast.Field
	// Mutation is set (with Kind FieldSQL) for a mutation root field: its
	// statements, run by execute.Executor.Mutate (see mutation.go).
	Mutation *MutationField
}

// Arg is one bind parameter: a constant taken from the query text (or from
// a variable baked into the plan), or a slot filled from a variable at run
// time so that the plan can be reused with other values.
type Arg struct {
	// Var names the variable that fills this slot; empty for constants.
	Var string
	// Value is the constant, already in its parameter form.
	Value any
	// List marks a slot whose variable is a list (sent as text[]).
	List bool
	// Session names the session variable (lower case, e.g.
	// "x-hasura-user-id") that fills this slot; permission filters use it.
	Session string
	// JSON sends a slot's variable as JSON text (json and jsonb columns,
	// where a string value is a JSON string).
	JSON bool
}

// Values resolves the arguments for one execution with the given
// (already coerced) variables. Every value is sent as text or text[] and
// cast in SQL, so PostgreSQL's own input functions parse it.
func Values(args []Arg, vars map[string]any, session map[string]string) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		if a.Session != "" {
			v, ok := session[a.Session]
			if !ok {
				return nil, hasuraerr.New(hasuraerr.CodeNotFound, "$", "missing session variable: %q", a.Session)
			}
			if a.List {
				v = arrayLiteral(v)
			}
			out[i] = v
			continue
		}
		if a.Var == "" {
			out[i] = a.Value
			continue
		}
		if a.JSON {
			if vars[a.Var] == nil {
				out[i] = nil
				continue
			}
			s, err := jsonText(vars[a.Var])
			if err != nil {
				return nil, variableErr(a.Var, err)
			}
			out[i] = s
			continue
		}
		v, err := paramValue(vars[a.Var], a.List)
		if err != nil {
			return nil, variableErr(a.Var, err)
		}
		out[i] = v
	}
	return out, nil
}

// paramValue converts a GraphQL input value into its text parameter form.
func paramValue(v any, list bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	if list {
		items, ok := v.([]any)
		if !ok {
			items = []any{v} // input coercion: a single value where a list is expected
		}
		out := make([]*string, len(items))
		for i, it := range items {
			if it == nil {
				continue
			}
			s, err := scalarText(it)
			if err != nil {
				return nil, err
			}
			out[i] = &s
		}
		return out, nil
	}
	s, err := scalarText(v)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// scalarText renders one scalar (or JSON) value as PostgreSQL input text.
func scalarText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case map[string]any, []any:
		b, err := json.Marshal(x)
		return string(b), err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("unsupported value %T", v)
	}
	return string(b), nil
}

// validationErr is a validation-failed error at the path $.<path>.
func validationErr(path []string, format string, args ...any) *hasuraerr.Error {
	return hasuraerr.New(hasuraerr.CodeValidationFailed, "$."+strings.Join(path, "."), format, args...)
}

// invalidValue is the validation-failed error of an input value that
// does not convert (err).
func invalidValue(err error) *hasuraerr.Error {
	return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Path: "$", Message: err.Error(), Err: err}
}

// variableErr is the error of a variable's value that does not convert.
func variableErr(name string, err error) *hasuraerr.Error {
	e := hasuraerr.New(hasuraerr.CodeValidationFailed, "$.variableValues."+name, "variable %q: %v", name, err)
	e.Err = err
	return e
}

// arrayLiteral accepts a session variable holding a list either as a
// PostgreSQL array literal ({1,2}) or as a JSON array ([1,2]) and returns
// the array literal form.
func arrayLiteral(v string) string {
	t := strings.TrimSpace(v)
	if !strings.HasPrefix(t, "[") {
		return v
	}
	var items []any
	if err := json.Unmarshal([]byte(t), &items); err != nil {
		return v
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		s, _ := scalarText(it)
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}
