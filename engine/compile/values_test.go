package compile_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/schema"
)

// The value-independence property: compiling the same operation with two
// different values of a free-form input (a string, a number, a JSON
// value, a list of them) yields the same SQL text, and only the bind
// parameters differ. A value is never written into SQL text, whatever
// it holds, which is the compiler's guard against SQL injection.
//
// The inputs are not listed by hand: TestValuesAreParameters walks the
// arguments of root fields through the input types the schema generates
// (boolean expressions and their comparison operators, insert objects,
// update operators, ...), so an operator or argument the schema gains is
// checked without a change here. Booleans and enum values are left out:
// they choose among fixed forms of SQL (IS NULL or IS NOT NULL, a column
// of the table), and validation admits nothing else.

// markers appear in every free-form value the property tries; SQL text
// must never contain them.
var markers = []string{"zqx", "424242", "737373", "4242", "7373"}

// freeValues returns two different values for a scalar type: for a
// custom scalar (jsonb, numeric, timestamptz, _text, ...) one string and
// one JSON object.
func freeValues(scalar string) (any, any) {
	switch scalar {
	case "Int":
		return int64(424242), int64(737373)
	case "Float":
		return 0.4242, 0.7373
	case "String", "ID":
		return "zqx-a", `zqx-b'; DROP TABLE t0000; --`
	}
	return "zqx-c", map[string]any{"zqx": []any{int64(1), `it's "quoted"`}}
}

// enumValue is an enum value (rendered bare in GraphQL).
type enumValue string

// pair is two values of one input differing in one free-form leaf.
type pair struct {
	label string // the leaf, as a path of input fields
	a, b  any
}

// input is an input field or argument.
type input struct {
	name string
	typ  *ast.Type
	def  *ast.Value
}

// gen generates pairs over a schema's input types.
type gen struct {
	s *ast.Schema
	// maxNest bounds the nesting of recursive inputs (boolean
	// expressions, insert objects) below the root argument.
	maxNest int
	// skipped counts the structural leaves left out, by type.
	skipped map[string]int
	// cycles caches recursive.
	cycles map[string]bool
}

// recursive reports whether an input object type can contain itself
// (boolean expressions, order_by, insert objects through relationships).
func (g *gen) recursive(name string) bool {
	if r, ok := g.cycles[name]; ok {
		return r
	}
	seen := map[string]bool{}
	var reaches func(string) bool
	reaches = func(from string) bool {
		for _, f := range g.s.Types[from].Fields {
			n := f.Type.Name()
			if g.s.Types[n].Kind != ast.InputObject {
				continue
			}
			if n == name {
				return true
			}
			if !seen[n] {
				seen[n] = true
				if reaches(n) {
					return true
				}
			}
		}
		return false
	}
	g.cycles[name] = reaches(name)
	return g.cycles[name]
}

func (g *gen) pairs(t *ast.Type, nest int) []pair {
	if t.Elem != nil {
		scalar := g.s.Types[t.Elem.Name()].Kind != ast.InputObject
		var out []pair
		for _, p := range g.pairs(t.Elem, nest) {
			if scalar {
				// Lists of different lengths: still one parameter.
				out = append(out, pair{p.label + "[]", []any{p.a}, []any{p.b, p.a, p.b}})
			} else {
				out = append(out, pair{p.label, []any{p.a}, []any{p.b}})
			}
		}
		return out
	}
	d := g.s.Types[t.NamedType]
	switch {
	case d.Kind == ast.Scalar && d.Name != "Boolean":
		a, b := freeValues(d.Name)
		return []pair{{"", a, b}}
	case d.Kind == ast.InputObject:
		if g.recursive(d.Name) {
			if nest >= g.maxNest {
				return nil
			}
			nest++
		}
		return g.object(fieldInputs(d.Fields), nest)
	}
	g.skipped[d.Name]++
	return nil
}

// object returns the pairs of an input object (or of a field's
// arguments): for each input, its pairs with the others at their filler.
func (g *gen) object(in []input, nest int) []pair {
	base := g.fill(in)
	var out []pair
	for _, f := range in {
		for _, p := range g.pairs(f.typ, nest) {
			a, b := clone(base), clone(base)
			a[f.name], b[f.name] = p.a, p.b
			label := f.name
			if p.label != "" && p.label[0] != '[' {
				label += "."
			}
			out = append(out, pair{label + p.label, a, b})
		}
	}
	return out
}

// fill gives the required inputs a value; and _set one column (an update
// needs an operator) and lists of enum values one item (on_conflict's
// update_columns: its where applies only to DO UPDATE).
func (g *gen) fill(in []input) map[string]any {
	m := map[string]any{}
	for _, f := range in {
		switch {
		case f.name == "_set":
			d := g.s.Types[f.typ.Name()]
			m[f.name] = map[string]any{d.Fields[0].Name: g.filler(d.Fields[0].Type)}
		case f.typ.NonNull && f.def == nil,
			f.typ.Elem != nil && g.s.Types[f.typ.Name()].Kind == ast.Enum:
			m[f.name] = g.filler(f.typ)
		}
	}
	return m
}

// filler is a fixed value of a type, the same on both sides of a pair.
func (g *gen) filler(t *ast.Type) any {
	if t.Elem != nil {
		return []any{g.filler(t.Elem)}
	}
	d := g.s.Types[t.NamedType]
	switch d.Kind {
	case ast.Enum:
		return enumValue(d.EnumValues[0].Name)
	case ast.InputObject:
		return g.fill(fieldInputs(d.Fields))
	}
	switch d.Name {
	case "Int":
		return int64(1)
	case "Float":
		return 1.5
	case "Boolean":
		return true
	}
	return "f"
}

func fieldInputs(fs ast.FieldList) []input {
	out := make([]input, len(fs))
	for i, f := range fs {
		out[i] = input{f.Name, f.Type, f.DefaultValue}
	}
	return out
}

func argInputs(as ast.ArgumentDefinitionList) []input {
	out := make([]input, len(as))
	for i, a := range as {
		out[i] = input{a.Name, a.Type, a.DefaultValue}
	}
	return out
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// literal renders a value as a GraphQL literal.
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case enumValue:
		return string(x)
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = literal(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "{" + fields(x) + "}"
	}
	panic(fmt.Sprintf("literal of %T", v))
}

// fields renders an object's members "k: v, ..." sorted by name.
func fields(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + literal(m[k])
	}
	return strings.Join(parts, ", ")
}

// operation renders a root field called with args, as literals or (vars)
// as variables, and the variables as a request's JSON.
func operation(op string, f *ast.FieldDefinition, args map[string]any, vars bool) (string, string) {
	if !vars {
		call := ""
		if len(args) > 0 {
			call = "(" + fields(args) + ")"
		}
		return op + " { " + f.Name + call + " { __typename } }", ""
	}
	var defs, call []string
	values := map[string]any{}
	for _, a := range f.Arguments {
		v, ok := args[a.Name]
		if !ok {
			continue
		}
		defs = append(defs, "$"+a.Name+": "+a.Type.String())
		call = append(call, a.Name+": $"+a.Name)
		values[a.Name] = v
	}
	q := op
	if len(defs) > 0 {
		q += "(" + strings.Join(defs, ", ") + ")"
	}
	q += " { " + f.Name
	if len(call) > 0 {
		q += "(" + strings.Join(call, ", ") + ")"
	}
	raw, err := json.Marshal(values)
	if err != nil {
		panic(err)
	}
	return q + " { __typename } }", string(raw)
}

// session holds every session variable the fixture's permissions read.
var session = map[string]string{"x-hasura-user-id": "1", "x-hasura-role": "user", "x-hasura-allowed-ids": "{1,2}"}

// compiled is the SQL of a compiled operation and its parameter values,
// or its error.
type compiled struct {
	sql    []string
	values []any
	err    string
}

func compileValues(t *testing.T, s *schema.Schema, q, vars string) compiled {
	t.Helper()
	op, coerced := prepare(t, s, q, decodeVars(t, vars))
	plan, err := compile.Compile(s, op, coerced, compile.Options{})
	if err != nil {
		return compiled{err: err.Error()}
	}
	var out compiled
	for _, st := range statements(plan) {
		out.sql = append(out.sql, st.sql)
		v, err := compile.Values(st.args, coerced, session)
		if err != nil {
			t.Fatalf("%s: values: %v", q, err)
		}
		out.values = append(out.values, v...)
	}
	return out
}

func TestValuesAreParameters(t *testing.T) {
	full, _ := fixture(t)
	for _, role := range []string{"admin", "user"} {
		s := forRole(t, full, role)
		for _, root := range []struct {
			op  string
			def *ast.Definition
		}{{"query", s.GraphQL.Query}, {"mutation", s.GraphQL.Mutation}} {
			for _, f := range root.def.Fields {
				if strings.HasPrefix(f.Name, "__") || !strings.Contains(f.Name, "t0000") {
					continue
				}
				t.Run(role+"/"+f.Name, func(t *testing.T) {
					// Boolean expressions and insert objects nest two
					// deep through t0000 and insert_t0000, one elsewhere
					// (the same code compiles them).
					nest := 1
					if f.Name == "t0000" || f.Name == "insert_t0000" {
						nest = 2
					}
					g := &gen{s: s.GraphQL, maxNest: nest, skipped: map[string]int{}, cycles: map[string]bool{}}
					pairs := g.object(argInputs(f.Arguments), 0)
					if len(pairs) == 0 {
						t.Skip("no free-form input")
					}
					for _, p := range pairs {
						for _, vars := range []bool{false, true} {
							qa, va := operation(root.op, f, p.a.(map[string]any), vars)
							qb, vb := operation(root.op, f, p.b.(map[string]any), vars)
							a, b := compileValues(t, s, qa, va), compileValues(t, s, qb, vb)
							checkPair(t, p.label, vars, qa, qb, a, b)
						}
					}
					t.Logf("%d inputs checked; structural leaves left out: %v", len(pairs), g.skipped)
				})
			}
		}
	}
}

// checkPair checks the property on the compilations of one pair.
func checkPair(t *testing.T, label string, vars bool, qa, qb string, a, b compiled) {
	t.Helper()
	mode := "literals"
	if vars {
		mode = "variables"
	}
	if a.err != "" || b.err != "" {
		if a.err != b.err {
			t.Errorf("%s (%s): compiles with one value and not the other:\n  %s\n  -> %s\n  %s\n  -> %s", label, mode, qa, a.err, qb, b.err)
		}
		return
	}
	if !reflect.DeepEqual(a.sql, b.sql) {
		t.Errorf("%s (%s): SQL depends on the value:\n  %s\n  -> %q\n  %s\n  -> %q", label, mode, qa, a.sql, qb, b.sql)
		return
	}
	if reflect.DeepEqual(a.values, b.values) {
		t.Errorf("%s (%s): the values are not among the parameters:\n  %s\n  %s\n  -> %q", label, mode, qa, qb, a.sql)
	}
	for _, sql := range a.sql {
		for _, m := range markers {
			if strings.Contains(sql, m) {
				t.Errorf("%s (%s): SQL text contains the value %q:\n  %s", label, mode, m, sql)
			}
		}
	}
}

// TestValuesCoverEveryOperator checks that TestValuesAreParameters tries
// every comparison operator the schema offers on every column of t0000
// (but those taking a Boolean), so that a change to the generator cannot
// quietly check less.
func TestValuesCoverEveryOperator(t *testing.T) {
	s, _ := fixture(t)
	g := &gen{s: s.GraphQL, maxNest: 2, skipped: map[string]int{}, cycles: map[string]bool{}}
	checked := map[string]bool{}
	for _, p := range g.object(argInputs(s.GraphQL.Query.Fields.ForName("t0000").Arguments), 0) {
		checked[strings.TrimSuffix(p.label, "[]")] = true
	}
	n := 0
	for _, col := range s.GraphQL.Types["t0000_bool_exp"].Fields {
		ops := s.GraphQL.Types[col.Type.Name()]
		if !strings.HasSuffix(ops.Name, "_comparison_exp") {
			continue
		}
		for _, op := range ops.Fields {
			if op.Type.Name() == "Boolean" || s.GraphQL.Types[op.Type.Name()].Kind == ast.InputObject {
				continue
			}
			n++
			if label := "where." + col.Name + "." + op.Name; !checked[label] {
				t.Errorf("%s (%s) is not checked", label, op.Type)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d column operators in t0000_bool_exp", n)
	}
}
