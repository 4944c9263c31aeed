// Package introspection answers the GraphQL introspection root fields
// (__schema, __type and __typename) from a gqlparser schema, following the
// spec's introspection semantics so that GraphiQL, Apollo and
// graphql-codegen can load the schema. Types are listed sorted by name and
// only when reachable from the root types, as Hasura lists them.
package introspection

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
)

// Execute answers one validated root field of op: __schema, __type(name:)
// or __typename, honouring its whole selection set (aliases, fragments,
// inline fragments, @include and @skip with vars). It returns the field's
// JSON value.
func Execute(s *ast.Schema, op *ast.OperationDefinition, field *ast.Field, vars map[string]any) (json.RawMessage, error) {
	if s == nil || field == nil {
		return nil, fmt.Errorf("introspection: no schema or field")
	}
	e := &executor{s: s, vars: vars}
	switch field.Name {
	case "__typename":
		root := rootType(s, op)
		if root == nil {
			return nil, fmt.Errorf("introspection: the schema has no root type for this operation")
		}
		return json.Marshal(root.Name)
	case "__schema":
		e.writeSchema(field.SelectionSet)
	case "__type":
		args, err := e.args(field)
		if err != nil {
			return nil, err
		}
		name, _ := args["name"].(string)
		def := s.Types[name]
		if def == nil || !e.visible(def) {
			return json.RawMessage("null"), nil
		}
		e.writeType(&typeRef{def: def}, field.SelectionSet)
	default:
		return nil, fmt.Errorf("introspection: %q is not an introspection field", field.Name)
	}
	if e.err != nil {
		return nil, e.err
	}
	return json.RawMessage(e.b.String()), nil
}

// IsIntrospectionField reports whether a root field is answered by Execute.
func IsIntrospectionField(name string) bool {
	return name == "__schema" || name == "__type" || name == "__typename"
}

// rootType is the root object type of op.
func rootType(s *ast.Schema, op *ast.OperationDefinition) *ast.Definition {
	if op == nil {
		return s.Query
	}
	switch op.Operation {
	case ast.Mutation:
		return s.Mutation
	case ast.Subscription:
		return s.Subscription
	}
	return s.Query
}

// executor writes the JSON answer of one introspection field.
type executor struct {
	s    *ast.Schema
	vars map[string]any
	b    strings.Builder
	err  error
	// reach caches the schema's reachable types.
	reach *reachable
}

// reachable is the sorted list of types reachable from a schema's roots.
type reachable struct {
	list []*ast.Definition
	set  map[string]bool
}

// cache remembers the reachable types of the last schemas introspected;
// schemas are immutable once built, so the answer never changes.
var cache struct {
	sync.Mutex
	entries []cacheEntry
}

type cacheEntry struct {
	s *ast.Schema
	r *reachable
}

// reachableTypes returns the types reachable from the schema's root types,
// its directives and the introspection types, sorted by name.
func (e *executor) reachableTypes() *reachable {
	if e.reach != nil {
		return e.reach
	}
	cache.Lock()
	defer cache.Unlock()
	for _, c := range cache.entries {
		if c.s == e.s {
			e.reach = c.r
			return c.r
		}
	}
	r := &reachable{set: map[string]bool{}}
	var visit func(name string)
	visit = func(name string) {
		if r.set[name] {
			return
		}
		d := e.s.Types[name]
		if d == nil {
			return
		}
		r.set[name] = true
		r.list = append(r.list, d)
		for _, f := range d.Fields {
			visit(f.Type.Name())
			for _, a := range f.Arguments {
				visit(a.Type.Name())
			}
		}
		for _, i := range d.Interfaces {
			visit(i)
		}
		for _, t := range d.Types {
			visit(t)
		}
		for _, p := range e.s.PossibleTypes[name] {
			visit(p.Name)
		}
	}
	for _, root := range []*ast.Definition{e.s.Query, e.s.Mutation, e.s.Subscription} {
		if root != nil {
			visit(root.Name)
		}
	}
	for _, d := range e.directives() {
		for _, a := range d.Arguments {
			visit(a.Type.Name())
		}
	}
	visit("__Schema")
	sort.Slice(r.list, func(i, j int) bool { return r.list[i].Name < r.list[j].Name })
	if len(cache.entries) >= 4 {
		cache.entries = cache.entries[1:]
	}
	cache.entries = append(cache.entries, cacheEntry{s: e.s, r: r})
	e.reach = r
	return r
}

// visible reports whether __type may return the named type.
func (e *executor) visible(d *ast.Definition) bool {
	return e.reachableTypes().set[d.Name]
}

// directiveOrder lists the directives first in Hasura's order; any others
// follow sorted by name.
var directiveOrder = []string{"include", "skip", "cached"}

// directives are the schema's directives as introspection lists them: the
// executable ones Hasura lists, then any other executable directive.
// Directives usable only in SDL (@deprecated, @specifiedBy) are left out,
// as Hasura leaves them out.
func (e *executor) directives() []*ast.DirectiveDefinition {
	var out []*ast.DirectiveDefinition
	seen := map[string]bool{}
	for _, n := range directiveOrder {
		if d := e.s.Directives[n]; d != nil {
			out = append(out, d)
			seen[n] = true
		}
	}
	var rest []string
	for n, d := range e.s.Directives {
		if !seen[n] && executable(d) {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range rest {
		out = append(out, e.s.Directives[n])
	}
	return out
}

// executable reports whether a directive may appear in requests.
func executable(d *ast.DirectiveDefinition) bool {
	for _, l := range d.Locations {
		switch l {
		case ast.LocationQuery, ast.LocationMutation, ast.LocationSubscription, ast.LocationField,
			ast.LocationFragmentDefinition, ast.LocationFragmentSpread, ast.LocationInlineFragment,
			ast.LocationVariableDefinition:
			return true
		}
	}
	return false
}
