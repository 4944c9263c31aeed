package schema

import (
	"slices"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// gen generates the admin GraphQL schema from the resolved model. Types
// are created on first use, so the schema holds exactly the types its root
// fields reach, as Hasura's does.
type gen struct {
	s *ast.Schema
	m *Schema
	// defs are the generated types in the order they were added.
	defs []*ast.Definition
	// in shares the schema's equal types, fields and arguments.
	in *interner
	// admin is the admin schema a role schema is generated beside (nil
	// for the admin schema): its types equal to the role's are shared.
	admin *ast.Schema
}

// prelude holds the built-in scalars and introspection types, parsed once
// and shared (read-only) by every generated schema.
var prelude struct {
	once  sync.Once
	types []*ast.Definition
	dirs  map[string]*ast.DirectiveDefinition
}

// preludeDefinitions returns the spec's built-in types and the directives
// Strata supports (Hasura has no @defer or @oneOf).
func preludeDefinitions() ([]*ast.Definition, map[string]*ast.DirectiveDefinition) {
	prelude.once.Do(func() {
		doc := validator.PreludeDocument()
		for _, d := range doc.Definitions {
			d.BuiltIn = true
			prelude.types = append(prelude.types, d)
		}
		prelude.dirs = map[string]*ast.DirectiveDefinition{}
		for _, d := range doc.Directives {
			switch d.Name {
			case "deprecated", "specifiedBy":
				prelude.dirs[d.Name] = d
			}
		}
		boolIf := ast.ArgumentDefinitionList{{Name: "if", Type: ast.NonNullNamedType("Boolean", nil)}}
		locs := []ast.DirectiveLocation{ast.LocationField, ast.LocationFragmentSpread, ast.LocationInlineFragment}
		prelude.dirs["include"] = &ast.DirectiveDefinition{
			Name: "include", Description: "whether this query should be included", Arguments: boolIf, Locations: locs,
		}
		prelude.dirs["skip"] = &ast.DirectiveDefinition{
			Name: "skip", Description: "whether this query should be skipped", Arguments: boolIf, Locations: locs,
		}
		prelude.dirs["cached"] = &ast.DirectiveDefinition{
			Name:        "cached",
			Description: "whether this query should be cached (Hasura Cloud only)",
			Arguments: ast.ArgumentDefinitionList{
				{Name: "ttl", Description: "measured in seconds", Type: ast.NonNullNamedType("Int", nil),
					DefaultValue: &ast.Value{Kind: ast.IntValue, Raw: "60"}},
				{Name: "refresh", Description: "refresh the cache entry", Type: ast.NonNullNamedType("Boolean", nil),
					DefaultValue: &ast.Value{Kind: ast.BooleanValue, Raw: "false"}},
			},
			Locations: []ast.DirectiveLocation{ast.LocationQuery},
		}
	})
	return prelude.types, prelude.dirs
}

// generate builds m.GraphQL.
func (g *gen) generate() {
	types, dirs := preludeDefinitions()
	// ~51 types a table in the admin schema; a role's vary from a few to
	// as many, and its maps grow to fit rather than reserve the most.
	n := 0
	if g.admin == nil {
		n = len(g.m.Tables) * 50
	}
	g.in = newInterner(n, g.admin == nil)
	g.s = &ast.Schema{
		Types:         make(map[string]*ast.Definition, n+len(types)),
		Directives:    make(map[string]*ast.DirectiveDefinition, len(dirs)),
		PossibleTypes: map[string][]*ast.Definition{},
		Implements:    map[string][]*ast.Definition{},
	}
	for _, d := range types {
		g.s.Types[d.Name] = d
	}
	for n, d := range dirs {
		g.s.Directives[n] = d
	}

	query := &ast.Definition{Kind: ast.Object, Name: "query_root"}
	sub := &ast.Definition{Kind: ast.Object, Name: "subscription_root"}
	g.add(query)
	for _, t := range g.m.Tables {
		for _, f := range g.selectRootFields(t) {
			if f.query {
				query.Fields = append(query.Fields, f.def)
				g.m.QueryRoot[f.def.Name] = f.root
			}
			if f.subscription {
				sub.Fields = append(sub.Fields, f.def)
				g.m.SubscriptionRoot[f.def.Name] = f.root
			}
		}
		if t.subscriptionRoots.allows(RootSelectStream) {
			stream := g.streamRootField(t)
			sub.Fields = append(sub.Fields, stream)
			g.m.SubscriptionRoot[stream.Name] = &RootField{Kind: RootSelectStream, Table: t}
		}
	}
	if len(query.Fields) == 0 {
		// Hasura's placeholder for a query_root without fields (no tables,
		// or a role without permissions): a schema needs a query type.
		query.Fields = append(query.Fields, g.field("no_queries_available", g.nonNull("String"),
			"There are no queries available to the current role. Either there are no sources or remote schemas configured, or the current role doesn't have the required permissions."))
	}
	g.s.Query = query
	if len(sub.Fields) > 0 {
		g.add(sub)
		g.s.Subscription = sub
	}
	g.generateMutations()
	g.finish()
	query.Fields = append(query.Fields, validator.QueryIntrospectionFields()...)
	g.m.GraphQL = g.s
}

// finish sorts every generated type's fields, arguments and enum values by
// name (Hasura's order), replaces a role schema's types equal to the admin
// schema's by those, and records each object as its own possible type.
func (g *gen) finish() {
	for _, d := range g.defs {
		g.in.definition(d)
	}
	if g.admin != nil {
		g.shareAdmin()
	}
	var admin map[string][]*ast.Definition
	if g.admin != nil {
		admin = g.admin.PossibleTypes
	}
	for name, d := range g.s.Types {
		if d.Kind != ast.Object {
			continue
		}
		if p := admin[name]; len(p) == 1 && p[0] == d {
			g.s.PossibleTypes[name] = p // a shared type's list, read-only
			continue
		}
		g.s.PossibleTypes[name] = []*ast.Definition{d}
	}
}

// sortFields orders fields by name.
func sortFields(fs ast.FieldList) {
	cmp := func(a, b *ast.FieldDefinition) int { return strings.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(fs, cmp) {
		slices.SortFunc(fs, cmp)
	}
}

// sortArgs orders arguments by name.
func sortArgs(as ast.ArgumentDefinitionList) {
	cmp := func(a, b *ast.ArgumentDefinition) int { return strings.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(as, cmp) {
		slices.SortFunc(as, cmp)
	}
}

// add registers a generated type.
func (g *gen) add(d *ast.Definition) {
	g.s.Types[d.Name] = d
	g.defs = append(g.defs, d)
}

// has reports whether a type of that name exists already.
func (g *gen) has(name string) bool { _, ok := g.s.Types[name]; return ok }

// scalar makes sure a custom scalar exists and returns its name.
func (g *gen) scalar(name string) string {
	if !g.has(name) {
		g.add(&ast.Definition{Kind: ast.Scalar, Name: name})
	}
	return name
}

// Type, field and argument constructors: they return the schema's shared
// nodes (see interner), which must not be modified.

// named is n.
func (g *gen) named(n string) *ast.Type { return g.in.typ(n, nil, false) }

// nonNull is n!.
func (g *gen) nonNull(n string) *ast.Type { return g.in.typ(n, nil, true) }

// typ is n, or n! when nonNull.
func (g *gen) typ(n string, nonNull bool) *ast.Type { return g.in.typ(n, nil, nonNull) }

// list is [elem], or [elem]! when nonNull; elem is a type made by gen.
func (g *gen) list(elem *ast.Type, nonNull bool) *ast.Type { return g.in.typ("", elem, nonNull) }

// listOf is [n!].
func (g *gen) listOf(n string) *ast.Type { return g.list(g.nonNull(n), false) }

// nonNullListOf is [n!]!.
func (g *gen) nonNullListOf(n string) *ast.Type { return g.list(g.nonNull(n), true) }

// field is a field without arguments; t is a type made by gen (so are
// the types of fieldArgs and arg).
func (g *gen) field(name string, t *ast.Type, desc string) *ast.FieldDefinition {
	return g.in.field(name, nil, t, desc)
}

// fieldArgs is a field with arguments, in any order.
func (g *gen) fieldArgs(name string, args []*ast.ArgumentDefinition, t *ast.Type, desc string) *ast.FieldDefinition {
	return g.in.field(name, g.in.argList(args), t, desc)
}

// arg is an argument without a default value.
func (g *gen) arg(name string, t *ast.Type, desc string) *ast.ArgumentDefinition {
	return g.in.arg(name, t, desc)
}

// orDefault returns *s when set, def otherwise.
func orDefault(s *string, def string) string {
	if s != nil {
		return *s
	}
	return def
}
