package graphql

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stratagql/strata/engine/compile"
)

// fuzzQuery puts the fuzzed values in every kind of argument position.
func fuzzQuery(s string, n int64, j string) string {
	str, _ := json.Marshal(s) // a JSON string is a valid GraphQL string literal
	num := strconv.FormatInt(n, 10)
	return `{ artist(where: {_or: [{name: {_eq: ` + string(str) + `}}, {country: {_ilike: ` + string(str) + `}}, {id: {_in: [` + num + `]}}, {name: {_regex: ` + string(str) + `}}]}, limit: ` + strconv.FormatInt(n&0x7fffffff, 10) + `) { id }
	  album(where: {tags: {_contains: ` + j + `}, title: {_nin: [` + string(str) + `]}}) { id }
	  track_by_pk(id: ` + num + `) { name } }`
}

// compileSQL compiles a query and returns the SQL of its root fields.
func compileSQL(q string) (string, bool) {
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		return "", false
	}
	if errs := validator.Validate(shared.schema.GraphQL, doc); len(errs) > 0 {
		return "", false
	}
	plan, cerr := compile.Compile(shared.schema, doc.Operations[0], nil, compile.Options{})
	if cerr != nil {
		return "", false
	}
	var b strings.Builder
	for _, f := range plan.Fields {
		b.WriteString(f.SQL + ";")
	}
	return b.String(), true
}

// FuzzArgumentValues checks that no argument value ever changes the SQL
// text (values only travel as bind parameters) and that every request gets
// either data or a Hasura-format error. Seeds run in `make test`; explore
// with `go test ./engine/graphql -fuzz FuzzArgumentValues`.
func FuzzArgumentValues(f *testing.F) {
	for _, seed := range []struct {
		s string
		n int64
		j string
	}{
		{"x", 1, `{a: 1}`},
		{"it's", 2, `{label: "Parlophone"}`},
		{`"; DROP TABLE artist; --`, -1, `[1, 2]`},
		{"back\\slash\\", 1 << 40, `"str"`},
		{"nul\x00byte", 9223372036854775807, `{}`},
		{"ünïcödé ☃ 𝄞", 0, `{k: [true, null, 1.5e300]}`},
		{"$1 $2 ::text ?", 42, `{ "q'uote": "v" }`},
		{"%_[a-z]*(", 3, `null`},
	} {
		f.Add(seed.s, seed.n, seed.j)
	}
	baseline, ok := compileSQL(fuzzQuery("x", 1, `{a: 1}`))
	if !ok {
		f.Fatal("the baseline fuzz query does not compile")
	}
	h := newHandler(compile.Options{})
	f.Fuzz(func(t *testing.T, s string, n int64, j string) {
		q := fuzzQuery(s, n, j)
		if sql, ok := compileSQL(q); ok && sql != baseline {
			t.Fatalf("SQL text depends on argument values:\n%s\nvs baseline\n%s", sql, baseline)
		}
		body := gql(t, h, q, nil)
		var resp struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Message    string            `json:"message"`
				Extensions map[string]string `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal([]byte(body), &resp); err != nil {
			t.Fatalf("response is not JSON: %q", body)
		}
		if resp.Data == nil && (len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] == "" || resp.Errors[0].Extensions["path"] == "") {
			t.Fatalf("neither data nor a Hasura error: %s", body)
		}
		if len(resp.Errors) > 0 && resp.Errors[0].Extensions["code"] == "unexpected" {
			t.Fatalf("unexpected error for %q: %s", q, body)
		}
	})
}
