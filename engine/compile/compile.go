package compile

import (
	"sort"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/gqlcollect"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
)

// Options change how SQL is generated.
type Options struct {
	// StringifyNumeric returns bigint, numeric and double precision values
	// as JSON strings (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES).
	StringifyNumeric bool
}

// Compile compiles the operation op of a validated document into a Plan.
// vars are the coerced variable values. Variables that can be bound as
// parameters at run time are left as slots (see SlotVariables).
func Compile(s *schema.Schema, op *ast.OperationDefinition, vars map[string]any, opts Options) (*Plan, error) {
	if op.Operation == ast.Mutation {
		return compileMutation(s, op, vars, opts)
	}
	if op.Operation != ast.Query {
		return nil, hasuraerr.New(hasuraerr.CodeNotSupported, "$", "%s operations are not supported yet", op.Operation)
	}
	c := &compiler{s: s, vars: vars, slots: SlotVariables(op), opts: opts}
	plan := &Plan{Operation: op.Operation}
	fields, err := c.collect(op.SelectionSet, "query_root")
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		rf, err := c.rootField(f)
		if err != nil {
			return nil, err
		}
		plan.Fields = append(plan.Fields, rf)
	}
	return plan, nil
}

// SlotVariables returns the variables of op that the compiler binds as
// run-time parameters: those of a scalar type (or a list of one) that no
// directive reads. All other variables shape the SQL and are part of a
// plan's cache key.
func SlotVariables(op *ast.OperationDefinition) map[string]bool {
	slots := map[string]bool{}
	for _, v := range op.VariableDefinitions {
		t := v.Type
		if t.Elem != nil {
			t = t.Elem
		}
		if t.Elem == nil && v.Definition != nil && v.Definition.Kind == ast.Scalar {
			slots[v.Variable] = true
		}
	}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			var dirs ast.DirectiveList
			switch s := sel.(type) {
			case *ast.Field:
				dirs = s.Directives
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				dirs = s.Directives
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				dirs = s.Directives
				if s.Definition != nil {
					walk(s.Definition.SelectionSet)
				}
			}
			for _, d := range dirs {
				for _, a := range d.Arguments {
					if a.Value.Kind == ast.Variable {
						delete(slots, a.Value.Raw)
					}
				}
			}
		}
	}
	walk(op.SelectionSet)
	return slots
}

type compiler struct {
	s     *schema.Schema
	vars  map[string]any
	slots map[string]bool
	opts  Options
	args  []Arg
	n     int // alias counter
	// tables records the tables the compiled SQL reads (see from), for
	// subscriptions to know what to watch.
	tables map[metadata.QualifiedTable]bool
}

// from returns the qualified name of a table read by the SQL being
// compiled, and records that it is read.
func (c *compiler) from(t *schema.Table) string {
	if c.tables == nil {
		c.tables = map[metadata.QualifiedTable]bool{}
	}
	c.tables[t.Name] = true
	return qualified(t)
}

func (c *compiler) newAlias(prefix string) string {
	c.n++
	return prefix + strconv.Itoa(c.n)
}

func (c *compiler) rootField(f *ast.Field) (*RootField, error) {
	switch f.Name {
	case "__typename":
		return &RootField{Alias: f.Alias, Kind: FieldTypename, Typename: "query_root"}, nil
	case "__schema", "__type":
		return &RootField{Alias: f.Alias, Kind: FieldIntrospection, Field: f}, nil
	}
	root := c.s.QueryRoot[f.Name]
	if root == nil {
		return nil, validationErr([]string{"selectionSet", f.Name}, "field '%s' not found in type: 'query_root'", f.Name)
	}
	c.args = nil
	sql, err := c.selectRoot(root, f)
	if err != nil {
		return nil, err
	}
	return &RootField{Alias: f.Alias, Kind: FieldSQL, SQL: sql, Args: c.args}, nil
}

// selectRoot compiles a select root field (a list, an aggregate or a
// _by_pk) into a statement returning one row with one json column, root.
func (c *compiler) selectRoot(root *schema.RootField, f *ast.Field) (string, error) {
	path := []string{"selectionSet", f.Alias}
	var sql string
	var err error
	switch root.Kind {
	case schema.RootSelect:
		sql, err = c.selectList(root.Table, f, nil, path)
	case schema.RootSelectAggregate:
		sql, err = c.selectAggregate(root.Table, f, nil, path)
	case schema.RootSelectByPk:
		sql, err = c.selectByPk(root.Table, f, path)
	default:
		err = hasuraerr.New(hasuraerr.CodeNotSupported, "$", "unsupported root field %s", f.Name)
	}
	if err != nil {
		return "", err
	}
	return "SELECT (" + sql + ") AS root", nil
}

// collect flattens a selection set into its fields for the given object
// type (see gqlcollect), fields sharing a response key merged into one.
func (c *compiler) collect(set ast.SelectionSet, typeName string) ([]*ast.Field, error) {
	groups, err := gqlcollect.Fields(set, typeName, c.vars)
	if err != nil {
		return nil, err
	}
	out := make([]*ast.Field, len(groups))
	for i, g := range groups {
		out[i] = g.Field()
	}
	return out, nil
}

// param binds a leaf value and returns its SQL placeholder cast to sqlType.
// With list set, the value is a list sent as text[] and cast to sqlType[].
func (c *compiler) param(v *ast.Value, sqlType string, list bool) (string, error) {
	if name, ok := sessionRef(v); ok {
		c.args = append(c.args, Arg{Session: name, List: list})
		p := "$" + strconv.Itoa(len(c.args)) + "::text::" + sqlType
		if list {
			p += "[]"
		}
		return p, nil
	}
	if list && v.Kind == ast.ListValue && hasSessionRef(v) {
		items := make([]string, len(v.Children))
		for i, ch := range v.Children {
			p, err := c.param(ch.Value, sqlType, false)
			if err != nil {
				return "", err
			}
			items[i] = p
		}
		return "ARRAY[" + strings.Join(items, ", ") + "]::" + sqlType + "[]", nil
	}
	if v.Kind == ast.Variable && c.slots[v.Raw] {
		return c.bind(Arg{Var: v.Raw, List: list}, sqlType, list), nil
	}
	v = c.value(v)
	if !list {
		s, err := c.leafText(v)
		if err != nil {
			return "", err
		}
		if s == nil {
			return c.bind(Arg{}, sqlType, false), nil
		}
		return c.bind(Arg{Value: *s}, sqlType, false), nil
	}
	items := children(v)
	out := make([]*string, len(items))
	for i, it := range items {
		s, err := c.leafText(it)
		if err != nil {
			return "", err
		}
		out[i] = s
	}
	return c.bind(Arg{Value: out}, sqlType, true), nil
}

// leafText renders a scalar AST value as PostgreSQL input text (nil for
// null). Scalars keep the exact text of the query; objects and lists (JSON
// values) are encoded as JSON.
func (c *compiler) leafText(v *ast.Value) (*string, error) {
	switch v.Kind {
	case ast.NullValue:
		return nil, nil
	case ast.IntValue, ast.FloatValue, ast.StringValue, ast.BlockValue, ast.EnumValue, ast.BooleanValue:
		s := v.Raw
		return &s, nil
	case ast.Variable:
		x := c.vars[v.Raw]
		if x == nil {
			return nil, nil
		}
		s, err := scalarText(x)
		return &s, err
	}
	x, err := v.Value(c.vars)
	if err != nil {
		return nil, invalidValue(err)
	}
	s, err := scalarText(x)
	if err != nil {
		return nil, invalidValue(err)
	}
	return &s, nil
}

// bind appends an argument and returns its placeholder cast to sqlType.
func (c *compiler) bind(arg Arg, sqlType string, list bool) string {
	c.args = append(c.args, arg)
	p := "$" + strconv.Itoa(len(c.args))
	if list {
		return p + "::text[]::" + sqlType + "[]"
	}
	if sqlType == "text" {
		return p + "::text"
	}
	return p + "::text::" + sqlType
}

// value resolves an argument value, expanding variables that are not slots
// into literal ASTs so the rest of the compiler walks one representation.
func (c *compiler) value(v *ast.Value) *ast.Value {
	if v == nil || v.Kind != ast.Variable || c.slots[v.Raw] || strings.HasPrefix(v.Raw, sessionMarker) {
		return v
	}
	return literal(c.vars[v.Raw], v.Definition)
}

// literal converts a coerced Go value into an AST value.
func literal(x any, def *ast.Definition) *ast.Value {
	switch t := x.(type) {
	case nil:
		return &ast.Value{Kind: ast.NullValue}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		v := &ast.Value{Kind: ast.ObjectValue, Definition: def}
		for _, k := range keys {
			v.Children = append(v.Children, &ast.ChildValue{Name: k, Value: literal(t[k], nil)})
		}
		return v
	case []any:
		v := &ast.Value{Kind: ast.ListValue, Definition: def}
		for _, it := range t {
			v.Children = append(v.Children, &ast.ChildValue{Value: literal(it, def)})
		}
		return v
	case string:
		if def != nil && def.Kind == ast.Enum {
			return &ast.Value{Kind: ast.EnumValue, Raw: t, Definition: def}
		}
		return &ast.Value{Kind: ast.StringValue, Raw: t, Definition: def}
	case bool:
		return &ast.Value{Kind: ast.BooleanValue, Raw: strconv.FormatBool(t)}
	default:
		s, _ := scalarText(t)
		if strings.ContainsAny(s, ".eE") {
			return &ast.Value{Kind: ast.FloatValue, Raw: s}
		}
		return &ast.Value{Kind: ast.IntValue, Raw: s}
	}
}

// children returns the items of a list value, coercing a single value into
// a one-item list as GraphQL input coercion does.
func children(v *ast.Value) []*ast.Value {
	if v == nil || v.Kind == ast.NullValue {
		return nil
	}
	if v.Kind != ast.ListValue {
		return []*ast.Value{v}
	}
	out := make([]*ast.Value, len(v.Children))
	for i, ch := range v.Children {
		out[i] = ch.Value
	}
	return out
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func qualified(t *schema.Table) string {
	return catalog.QuoteIdent(t.Name.Schema) + "." + catalog.QuoteIdent(t.Name.Name)
}

func col(alias, name string) string { return alias + "." + catalog.QuoteIdent(name) }

func hasSessionRef(v *ast.Value) bool {
	for _, ch := range v.Children {
		if _, ok := sessionRef(ch.Value); ok {
			return true
		}
	}
	return false
}
