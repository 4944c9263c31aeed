package graphql

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// errorBody renders {"errors": [...]} for one or more errors.
func errorBody(errs ...*hasuraerr.Error) hasuraerr.GraphQLBody {
	return hasuraerr.GraphQLResponse(errs...)
}

var (
	reUnknownField = regexp.MustCompile(`^Cannot query field "([^"]+)" on type "([^"]+)"\.`)
	reMissingArg   = regexp.MustCompile(`^Field "[^"]+" argument "([^"]+)" of type "[^"]+" is required`)
	reUnknownArg   = regexp.MustCompile(`^Unknown argument "([^"]+)" on field "[^."]+\.([^"]+)"`)
	reUnknownType  = regexp.MustCompile(`^Unknown type "([^"]+)"`)
)

// fromGQLError converts gqlparser errors (parse, validation, variables)
// into Hasura's messages where Hasura words them differently.
func fromGQLError(err error) *hasuraerr.Error { return fromGQLErrorIn(nil, err) }

// fromGQLErrorIn is fromGQLError with the document the error is about, so
// field errors carry Hasura's path ($.selectionSet.a.selectionSet.b).
func fromGQLErrorIn(doc *ast.QueryDocument, err error) *hasuraerr.Error {
	var list gqlerror.List
	var one *gqlerror.Error
	switch {
	case errors.As(err, &list) && len(list) > 0:
		one = list[0]
	case errors.As(err, &one):
	default:
		return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: err.Error(), Path: "$"}
	}
	msg := one.Message
	path := "$"
	if one.Rule == "SingleFieldSubscriptions" {
		return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: compile.SingleRootFieldMessage, Path: "$"}
	}
	if one.Rule == "" && len(one.Path) == 0 && one.Locations != nil && !strings.HasPrefix(msg, "Field") {
		// Syntax errors come from the parser with a location but no rule.
		if isSyntaxError(one) {
			return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "not a valid graphql query", Path: "$.query"}
		}
	}
	if len(one.Path) > 0 && one.Path.String() != "" {
		if strings.HasPrefix(one.Path.String(), "variable") {
			name := strings.TrimPrefix(one.Path.String(), "variable.")
			name = strings.SplitN(name, ".", 2)[0]
			path = "$.variableValues." + name
			switch msg {
			case "must be defined":
				return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: `expecting a value for non-nullable variable: "` + name + `"`, Path: path}
			case "cannot be null":
				return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: `null value found for non-nullable type: "` + name + `"`, Path: path}
			}
			return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: msg, Path: path}
		}
	}
	fieldAt := "$"
	if doc != nil && len(one.Locations) > 0 {
		fieldAt = fieldPath(doc, one.Locations[0].Line, one.Locations[0].Column)
	}
	if m := reUnknownField.FindStringSubmatch(msg); m != nil {
		return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "field '" + m[1] + "' not found in type: '" + m[2] + "'", Path: fieldAt}
	}
	if m := reMissingArg.FindStringSubmatch(msg); m != nil {
		return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "missing required field '" + m[1] + "'", Path: fieldAt + ".args"}
	}
	if m := reUnknownArg.FindStringSubmatch(msg); m != nil {
		return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "'" + m[2] + "' has no argument named '" + m[1] + "'", Path: fieldAt}
	}
	if m := reUnknownType.FindStringSubmatch(msg); m != nil {
		return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: "variable type '" + m[1] + "' not found in schema", Path: "$"}
	}
	if path == "$" {
		path = fieldAt
	}
	return &hasuraerr.Error{Code: hasuraerr.CodeValidationFailed, Message: msg, Path: path}
}

// fieldPath finds the field at a source position and renders its response
// path the way Hasura does; "$" when no field starts there.
func fieldPath(doc *ast.QueryDocument, line, col int) string {
	var found string
	var walk func(ast.SelectionSet, string)
	walk = func(set ast.SelectionSet, prefix string) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				p := prefix + ".selectionSet." + s.Alias
				if s.Position != nil && s.Position.Line == line && s.Position.Column == col {
					found = p
					return
				}
				walk(s.SelectionSet, p)
			case *ast.InlineFragment:
				walk(s.SelectionSet, prefix)
			}
			if found != "" {
				return
			}
		}
	}
	for _, op := range doc.Operations {
		if walk(op.SelectionSet, "$"); found != "" {
			return found
		}
	}
	for _, f := range doc.Fragments {
		if walk(f.SelectionSet, "$"); found != "" {
			return found
		}
	}
	return "$"
}

// isSyntaxError reports errors raised by the query parser (lexer/grammar).
func isSyntaxError(e *gqlerror.Error) bool {
	m := e.Message
	return strings.HasPrefix(m, "Expected") || strings.HasPrefix(m, "Unexpected") ||
		strings.HasPrefix(m, "Unterminated") || strings.HasPrefix(m, "Invalid") ||
		strings.HasPrefix(m, "Cannot parse") || strings.HasPrefix(m, "Syntax Error")
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(errorBody(&hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Message: "could not encode response", Path: "$"}))
	}
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) { writeRaw(w, status, mustJSON(v)) }

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
