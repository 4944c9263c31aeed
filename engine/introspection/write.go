package introspection

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/gqlcollect"
)

// typeRef is a __Type value: a named type (def) or, when t is a list or
// non-null wrapper, that wrapper.
type typeRef struct {
	t   *ast.Type
	def *ast.Definition
}

// wrapper reports whether the type is a LIST or NON_NULL wrapper.
func (r *typeRef) wrapper() bool { return r.t != nil && (r.t.NonNull || r.t.Elem != nil) }

// refOf wraps an ast type as a __Type value.
func (e *executor) refOf(t *ast.Type) *typeRef {
	if t.NonNull || t.Elem != nil {
		return &typeRef{t: t}
	}
	return &typeRef{def: e.s.Types[t.NamedType], t: t}
}

// writeSchema writes a __Schema object.
func (e *executor) writeSchema(sel ast.SelectionSet) {
	e.object("__Schema", sel, func(f *ast.Field, sub ast.SelectionSet) {
		switch f.Name {
		case "description":
			e.str(e.s.Description)
		case "types":
			types := e.reachableTypes().list
			e.list(len(types), func(i int) { e.writeType(&typeRef{def: types[i]}, sub) })
		case "queryType":
			e.namedType(e.s.Query, sub)
		case "mutationType":
			e.namedType(e.s.Mutation, sub)
		case "subscriptionType":
			e.namedType(e.s.Subscription, sub)
		case "directives":
			dirs := e.directives()
			e.list(len(dirs), func(i int) { e.writeDirective(dirs[i], sub) })
		default:
			e.null()
		}
	})
}

// namedType writes a __Type for d, or null.
func (e *executor) namedType(d *ast.Definition, sel ast.SelectionSet) {
	if d == nil {
		e.null()
		return
	}
	e.writeType(&typeRef{def: d}, sel)
}

// writeType writes a __Type object.
func (e *executor) writeType(r *typeRef, sel ast.SelectionSet) {
	if !r.wrapper() && r.def == nil {
		e.null()
		return
	}
	e.object("__Type", sel, func(f *ast.Field, sub ast.SelectionSet) {
		if r.wrapper() {
			e.wrapperField(r, f, sub)
			return
		}
		d := r.def
		switch f.Name {
		case "kind":
			e.str(string(d.Kind))
		case "name":
			e.str(d.Name)
		case "description":
			e.str(d.Description)
		case "specifiedByURL":
			e.str(directiveArg(d.Directives, "specifiedBy", "url", ""))
		case "fields":
			if d.Kind != ast.Object && d.Kind != ast.Interface {
				e.null()
				return
			}
			all := e.includeDeprecated(f)
			var fields []*ast.FieldDefinition
			for _, fd := range d.Fields {
				if !strings.HasPrefix(fd.Name, "__") && (all || !deprecated(fd.Directives)) {
					fields = append(fields, fd)
				}
			}
			e.list(len(fields), func(i int) { e.writeField(fields[i], sub) })
		case "interfaces":
			if d.Kind != ast.Object && d.Kind != ast.Interface {
				e.null()
				return
			}
			e.list(len(d.Interfaces), func(i int) { e.namedType(e.s.Types[d.Interfaces[i]], sub) })
		case "possibleTypes":
			if d.Kind != ast.Interface && d.Kind != ast.Union {
				e.null()
				return
			}
			var ps []*ast.Definition
			for _, p := range e.s.PossibleTypes[d.Name] {
				if p.Kind == ast.Object {
					ps = append(ps, p)
				}
			}
			sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
			e.list(len(ps), func(i int) { e.namedType(ps[i], sub) })
		case "enumValues":
			if d.Kind != ast.Enum {
				e.null()
				return
			}
			all := e.includeDeprecated(f)
			var vals []*ast.EnumValueDefinition
			for _, v := range d.EnumValues {
				if all || !deprecated(v.Directives) {
					vals = append(vals, v)
				}
			}
			e.list(len(vals), func(i int) { e.writeEnumValue(vals[i], sub) })
		case "inputFields":
			if d.Kind != ast.InputObject {
				e.null()
				return
			}
			all := e.includeDeprecated(f)
			var fields []*ast.FieldDefinition
			for _, fd := range d.Fields {
				if all || !deprecated(fd.Directives) {
					fields = append(fields, fd)
				}
			}
			e.list(len(fields), func(i int) {
				fd := fields[i]
				e.writeInputValue(fd.Name, fd.Description, fd.Type, fd.DefaultValue, fd.Directives, sub)
			})
		case "ofType":
			e.null()
		case "isOneOf":
			if d.Kind != ast.InputObject {
				e.null()
				return
			}
			e.boolean(d.Directives.ForName("oneOf") != nil)
		default:
			e.null()
		}
	})
}

// wrapperField answers a __Type field of a LIST or NON_NULL wrapper.
func (e *executor) wrapperField(r *typeRef, f *ast.Field, sub ast.SelectionSet) {
	switch f.Name {
	case "kind":
		if r.t.NonNull {
			e.str("NON_NULL")
		} else {
			e.str("LIST")
		}
	case "ofType":
		if r.t.NonNull {
			inner := *r.t
			inner.NonNull = false
			e.writeType(e.refOf(&inner), sub)
		} else {
			e.writeType(e.refOf(r.t.Elem), sub)
		}
	default:
		// name, description, fields, ... are null on wrappers.
		e.null()
	}
}

// writeField writes a __Field object.
func (e *executor) writeField(fd *ast.FieldDefinition, sel ast.SelectionSet) {
	e.object("__Field", sel, func(f *ast.Field, sub ast.SelectionSet) {
		switch f.Name {
		case "name":
			e.str(fd.Name)
		case "description":
			e.str(fd.Description)
		case "args":
			all := e.includeDeprecated(f)
			var args []*ast.ArgumentDefinition
			for _, a := range fd.Arguments {
				if all || !deprecated(a.Directives) {
					args = append(args, a)
				}
			}
			e.list(len(args), func(i int) {
				a := args[i]
				e.writeInputValue(a.Name, a.Description, a.Type, a.DefaultValue, a.Directives, sub)
			})
		case "type":
			e.writeType(e.refOf(fd.Type), sub)
		case "isDeprecated":
			e.boolean(deprecated(fd.Directives))
		case "deprecationReason":
			e.str(deprecationReason(fd.Directives))
		default:
			e.null()
		}
	})
}

// writeInputValue writes a __InputValue object.
func (e *executor) writeInputValue(name, desc string, t *ast.Type, def *ast.Value, dirs ast.DirectiveList, sel ast.SelectionSet) {
	e.object("__InputValue", sel, func(f *ast.Field, sub ast.SelectionSet) {
		switch f.Name {
		case "name":
			e.str(name)
		case "description":
			e.str(desc)
		case "type":
			e.writeType(e.refOf(t), sub)
		case "defaultValue":
			if def == nil {
				e.null()
			} else {
				e.str(def.String())
			}
		case "isDeprecated":
			e.boolean(deprecated(dirs))
		case "deprecationReason":
			e.str(deprecationReason(dirs))
		default:
			e.null()
		}
	})
}

// writeEnumValue writes a __EnumValue object.
func (e *executor) writeEnumValue(v *ast.EnumValueDefinition, sel ast.SelectionSet) {
	e.object("__EnumValue", sel, func(f *ast.Field, _ ast.SelectionSet) {
		switch f.Name {
		case "name":
			e.str(v.Name)
		case "description":
			e.str(v.Description)
		case "isDeprecated":
			e.boolean(deprecated(v.Directives))
		case "deprecationReason":
			e.str(deprecationReason(v.Directives))
		default:
			e.null()
		}
	})
}

// writeDirective writes a __Directive object.
func (e *executor) writeDirective(d *ast.DirectiveDefinition, sel ast.SelectionSet) {
	e.object("__Directive", sel, func(f *ast.Field, sub ast.SelectionSet) {
		switch f.Name {
		case "name":
			e.str(d.Name)
		case "description":
			e.str(d.Description)
		case "locations":
			e.list(len(d.Locations), func(i int) { e.str(string(d.Locations[i])) })
		case "args":
			all := e.includeDeprecated(f)
			var args []*ast.ArgumentDefinition
			for _, a := range d.Arguments {
				if all || !deprecated(a.Directives) {
					args = append(args, a)
				}
			}
			e.list(len(args), func(i int) {
				a := args[i]
				e.writeInputValue(a.Name, a.Description, a.Type, a.DefaultValue, a.Directives, sub)
			})
		case "isRepeatable":
			e.boolean(d.IsRepeatable)
		default:
			e.null()
		}
	})
}

// deprecated reports whether dirs hold @deprecated.
func deprecated(dirs ast.DirectiveList) bool { return dirs.ForName("deprecated") != nil }

// deprecationReason is the reason of @deprecated, or "" (null).
func deprecationReason(dirs ast.DirectiveList) string {
	if !deprecated(dirs) {
		return ""
	}
	return directiveArg(dirs, "deprecated", "reason", "No longer supported")
}

// directiveArg returns a string argument of the named directive, def when
// the directive is there without it, "" when the directive is absent.
func directiveArg(dirs ast.DirectiveList, dir, name, def string) string {
	d := dirs.ForName(dir)
	if d == nil {
		return ""
	}
	if a := d.Arguments.ForName(name); a != nil && a.Value != nil && a.Value.Kind == ast.StringValue {
		return a.Value.Raw
	}
	return def
}

// includeDeprecated reads the includeDeprecated argument of f.
func (e *executor) includeDeprecated(f *ast.Field) bool {
	args, err := e.args(f)
	if err != nil {
		e.fail(err)
		return false
	}
	b, _ := args["includeDeprecated"].(bool)
	return b
}

// args evaluates a field's arguments with the request's variables and the
// definition's defaults.
func (e *executor) args(f *ast.Field) (map[string]any, error) {
	out := map[string]any{}
	for _, a := range f.Arguments {
		if a.Value == nil {
			continue
		}
		if a.Value.Kind == ast.Variable {
			_, set := e.vars[a.Value.Raw]
			vd := a.Value.VariableDefinition
			if !set && (vd == nil || vd.DefaultValue == nil) {
				continue // unset: the argument's default applies
			}
		}
		v, err := a.Value.Value(e.vars)
		if err != nil {
			return nil, fmt.Errorf("introspection: argument %s: %w", a.Name, err)
		}
		out[a.Name] = v
	}
	if f.Definition != nil {
		for _, d := range f.Definition.Arguments {
			if _, ok := out[d.Name]; !ok && d.DefaultValue != nil {
				if v, err := d.DefaultValue.Value(nil); err == nil {
					out[d.Name] = v
				}
			}
		}
	}
	return out, nil
}

// fail records the first error.
func (e *executor) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// JSON output helpers.

func (e *executor) null() { e.b.WriteString("null") }

func (e *executor) boolean(v bool) {
	if v {
		e.b.WriteString("true")
	} else {
		e.b.WriteString("false")
	}
}

// str writes s as a JSON string, or null when s is empty.
func (e *executor) str(s string) {
	if s == "" {
		e.null()
		return
	}
	b, _ := json.Marshal(s)
	e.b.Write(b)
}

// list writes a JSON array of n items.
func (e *executor) list(n int, item func(i int)) {
	e.b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			e.b.WriteByte(',')
		}
		item(i)
	}
	e.b.WriteByte(']')
}

// object writes a JSON object with one member per response key of sel,
// in request order; value writes each member's value. __typename is
// answered here.
func (e *executor) object(typeName string, sel ast.SelectionSet, value func(f *ast.Field, sub ast.SelectionSet)) {
	groups, err := gqlcollect.Fields(sel, typeName, e.vars)
	if err != nil {
		e.fail(err)
		e.null()
		return
	}
	e.b.WriteByte('{')
	for i, g := range groups {
		if i > 0 {
			e.b.WriteByte(',')
		}
		key, _ := json.Marshal(g.Key)
		e.b.Write(key)
		e.b.WriteByte(':')
		f := g.Field()
		if f.Name == "__typename" {
			e.str(typeName)
			continue
		}
		value(f, f.SelectionSet)
	}
	e.b.WriteByte('}')
}
