package graphql

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stratagql/strata/engine/compile"
)

const nestedQuery = `query Q($country: String!, $min: Int!) {
  artist(where: {country: {_eq: $country}}, order_by: {name: asc}, limit: 10) {
    id name
    albums(where: {released: {_is_null: false}}, order_by: {released: desc}) {
      title released
      tracks(where: {milliseconds: {_gt: $min}}, order_by: {id: asc}, limit: 5) { id name genre { name } }
    }
  }
}`

// BenchmarkColdCompile measures parse + validate + compile of a 3-level
// nested query with filters (what a plan-cache miss costs).
func BenchmarkColdCompile(b *testing.B) {
	vars := map[string]any{"country": "US", "min": 1000}
	b.ReportAllocs()
	for b.Loop() {
		doc, err := parser.ParseQuery(&ast.Source{Input: nestedQuery})
		if err != nil {
			b.Fatal(err)
		}
		if errs := validator.Validate(shared.schema.GraphQL, doc); len(errs) > 0 {
			b.Fatal(errs)
		}
		if _, err := compile.Compile(shared.schema, doc.Operations[0], vars, compile.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCachedPlan measures what a repeated query costs before it
// reaches the database: cache lookup, variable coercion, argument binding.
func BenchmarkCachedPlan(b *testing.B) {
	h := newHandler(compile.Options{})
	h.init()
	req := &Request{Query: nestedQuery, Variables: map[string]any{"country": "US", "min": 1000}}
	sess := &Session{Role: "admin"}
	b.ReportAllocs()
	for b.Loop() {
		p, perr := h.prepare(shared.schema, 1, req, sess)
		if perr != nil {
			b.Fatal(perr)
		}
		vars, err := validator.VariableValues(shared.schema.GraphQL, p.op, req.Variables)
		if err != nil {
			b.Fatal(err)
		}
		key := structuralKey(p, vars)
		plan, ok := p.plans.Get(0, key)
		if !ok {
			plan, _ = compile.Compile(shared.schema, p.op, vars, compile.Options{})
			p.plans.Add(0, key, plan, 0)
		}
		for _, f := range plan.Fields {
			if _, err := compile.Values(f.Args, vars, sess.Vars); err != nil {
				b.Fatal(err)
			}
		}
	}
}
