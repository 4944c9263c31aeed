// Package gqlcollect is the GraphQL spec's CollectFields for validated
// operations: it evaluates @skip and @include, expands the inline
// fragments and fragment spreads whose type condition applies, and groups
// the fields of a selection set by response key in order of first
// appearance. The SQL compiler and the introspection executor both walk
// selection sets through it, so the two answer a query the same way.
//
// A directive's `if:` that is not a boolean (a null variable, say) is a
// Hasura validation error, never taken as false; a fragment spread is
// expanded at most once per selection set, so a repeated (or cyclic)
// spread cannot multiply fields or loop.
package gqlcollect

import (
	"encoding/json"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/hasuraerr"
)

// Group is the fields of one selection set that share a response key, in
// document order. They are answered as one field (see Field).
type Group struct {
	// Key is the response key: the alias, or the name when unaliased.
	Key    string
	Fields []*ast.Field
}

// Field returns the group as one field: the first, with the
// concatenation of the selection sets of all (the spec's merging of
// fields with the same response key). The AST is not modified.
func (g Group) Field() *ast.Field {
	if len(g.Fields) == 1 {
		return g.Fields[0]
	}
	merged := *g.Fields[0]
	merged.SelectionSet = nil
	for _, f := range g.Fields {
		merged.SelectionSet = append(merged.SelectionSet, f.SelectionSet...)
	}
	return &merged
}

// Fields collects set for an object of type typeName with the request's
// coerced variables. Type conditions match by name: the engine's schemas
// have no interfaces or unions among the types selections run on.
func Fields(set ast.SelectionSet, typeName string, vars map[string]any) ([]Group, error) {
	c := collector{typeName: typeName, vars: vars, index: map[string]int{}, visited: map[string]bool{}}
	if err := c.walk(set); err != nil {
		return nil, err
	}
	return c.groups, nil
}

// collector is the state of one CollectFields run.
type collector struct {
	typeName string
	vars     map[string]any
	groups   []Group
	index    map[string]int  // response key -> groups index
	visited  map[string]bool // fragment names already expanded
}

func (c *collector) walk(set ast.SelectionSet) error {
	for _, sel := range set {
		var dirs ast.DirectiveList
		switch s := sel.(type) {
		case *ast.Field:
			dirs = s.Directives
		case *ast.InlineFragment:
			dirs = s.Directives
		case *ast.FragmentSpread:
			dirs = s.Directives
		}
		ok, err := Included(dirs, c.vars)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		switch s := sel.(type) {
		case *ast.Field:
			c.add(s)
		case *ast.InlineFragment:
			if s.TypeCondition != "" && s.TypeCondition != c.typeName {
				continue
			}
			if err := c.walk(s.SelectionSet); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if c.visited[s.Name] || s.Definition == nil {
				continue
			}
			c.visited[s.Name] = true
			if tc := s.Definition.TypeCondition; tc != "" && tc != c.typeName {
				continue
			}
			if err := c.walk(s.Definition.SelectionSet); err != nil {
				return err
			}
		}
	}
	return nil
}

// add puts a field in the group of its response key.
func (c *collector) add(f *ast.Field) {
	key := f.Alias
	if key == "" {
		key = f.Name
	}
	if i, ok := c.index[key]; ok {
		c.groups[i].Fields = append(c.groups[i].Fields, f)
		return
	}
	c.index[key] = len(c.groups)
	c.groups = append(c.groups, Group{Key: key, Fields: []*ast.Field{f}})
}

// Included evaluates the @skip and @include directives among dirs: a
// selection is included unless @skip(if: true) or @include(if: false)
// is there. An `if:` that is missing or does not evaluate to a boolean is
// a validation-failed error.
func Included(dirs ast.DirectiveList, vars map[string]any) (bool, error) {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil || a.Value == nil {
			return false, hasuraerr.New(hasuraerr.CodeValidationFailed, "$", "missing required argument 'if' of directive @%s", d.Name)
		}
		v, err := a.Value.Value(vars)
		if err != nil {
			e := hasuraerr.New(hasuraerr.CodeValidationFailed, "$", "invalid value for argument 'if' of directive @%s: %v", d.Name, err)
			e.Err = err
			return false, e
		}
		b, ok := v.(bool)
		if !ok {
			return false, hasuraerr.New(hasuraerr.CodeValidationFailed, "$", "expected a boolean for argument 'if' of directive @%s, but found %s", d.Name, describe(v))
		}
		if d.Name == "skip" && b || d.Name == "include" && !b {
			return false, nil
		}
	}
	return true, nil
}

// describe names the kind of a non-boolean value for error messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case int, int64, float64, json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}
