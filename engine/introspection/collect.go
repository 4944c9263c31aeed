package introspection

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// fieldGroup is the fields of a selection set sharing one response key.
type fieldGroup struct {
	key    string
	fields []*ast.Field
}

// collect flattens a selection set for an object of type typeName: it
// applies @skip/@include, expands fragment spreads and inline fragments
// whose type condition matches, and groups fields by response key in
// order of first appearance (the spec's CollectFields).
func (e *executor) collect(typeName string, sel ast.SelectionSet) []fieldGroup {
	var groups []fieldGroup
	index := map[string]int{}
	visited := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(sel ast.SelectionSet) {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				if !e.included(s.Directives) {
					continue
				}
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if i, ok := index[key]; ok {
					groups[i].fields = append(groups[i].fields, s)
					continue
				}
				index[key] = len(groups)
				groups = append(groups, fieldGroup{key: key, fields: []*ast.Field{s}})
			case *ast.InlineFragment:
				if !e.included(s.Directives) || (s.TypeCondition != "" && s.TypeCondition != typeName) {
					continue
				}
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if !e.included(s.Directives) || s.Definition == nil || visited[s.Name] {
					continue
				}
				if tc := s.Definition.TypeCondition; tc != "" && tc != typeName {
					continue
				}
				visited[s.Name] = true
				walk(s.Definition.SelectionSet)
			}
		}
	}
	walk(sel)
	return groups
}

// included evaluates @skip and @include.
func (e *executor) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil || a.Value == nil {
			continue
		}
		v, err := a.Value.Value(e.vars)
		if err != nil {
			e.fail(err)
			return false
		}
		b, _ := v.(bool)
		if d.Name == "skip" && b || d.Name == "include" && !b {
			return false
		}
	}
	return true
}
