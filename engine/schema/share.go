package schema

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// shareAdmin makes a role schema use the admin schema's definition of
// every type it generated identically (same kind, description, fields,
// arguments, types, default values, enum values, interfaces and union
// members), and the admin's field of the same name in the types it did
// not: a role that sees most of the tables otherwise repeats most of the
// admin schema (~85 MB at 5,000 tables). Types refer to each other by
// name, so a shared definition fits either schema. The root types are
// never shared (the role's query_root is completed after finish), their
// fields are.
//
// The admin nodes are read-only like every generated node; a role schema
// must never modify the types it holds.
func (g *gen) shareAdmin() {
	for _, d := range g.defs {
		a := g.admin.Types[d.Name]
		if a == nil || a == d || a.Kind != d.Kind {
			continue
		}
		root := d == g.s.Query || d == g.s.Mutation || d == g.s.Subscription
		if !root && sameDefinition(d, a) {
			g.s.Types[d.Name] = a
			continue
		}
		// Both field lists are sorted by name (interner.definition).
		j := 0
		for i, f := range d.Fields {
			for j < len(a.Fields) && a.Fields[j].Name < f.Name {
				j++
			}
			if j < len(a.Fields) && sameField(f, a.Fields[j]) {
				d.Fields[i] = a.Fields[j]
			}
		}
	}
}

// sameDefinition reports whether the generated definitions d and a
// describe the same type. Anything it does not compare (directives,
// positions, comments) must be absent from both.
func sameDefinition(d, a *ast.Definition) bool {
	if d.Kind != a.Kind || d.Name != a.Name || d.Description != a.Description || d.BuiltIn != a.BuiltIn ||
		!plainDefinition(d) || !plainDefinition(a) ||
		!slices.Equal(d.Interfaces, a.Interfaces) || !slices.Equal(d.Types, a.Types) ||
		len(d.Fields) != len(a.Fields) || len(d.EnumValues) != len(a.EnumValues) {
		return false
	}
	for i, f := range d.Fields {
		if !sameField(f, a.Fields[i]) {
			return false
		}
	}
	for i, v := range d.EnumValues {
		w := a.EnumValues[i]
		if v != w && (v.Name != w.Name || v.Description != w.Description || !plainEnumValue(v) || !plainEnumValue(w)) {
			return false
		}
	}
	return true
}

// plainDefinition reports whether d has nothing sameDefinition ignores.
func plainDefinition(d *ast.Definition) bool {
	return len(d.Directives) == 0 && d.Position == nil && len(d.TypePositions) == 0 && d.BeforeDescriptionComment == nil &&
		d.AfterDescriptionComment == nil && d.EndOfDefinitionComment == nil
}

// plainEnumValue reports whether v has nothing sameDefinition ignores.
func plainEnumValue(v *ast.EnumValueDefinition) bool {
	return len(v.Directives) == 0 && v.Position == nil && v.BeforeDescriptionComment == nil && v.AfterDescriptionComment == nil
}

// sameField reports whether two fields (or input fields) are equal.
func sameField(f, a *ast.FieldDefinition) bool {
	if f == a {
		return true
	}
	if f.Name != a.Name || f.Description != a.Description || !sameType(f.Type, a.Type) ||
		!sameValue(f.DefaultValue, a.DefaultValue) || len(f.Arguments) != len(a.Arguments) ||
		!plainField(f) || !plainField(a) {
		return false
	}
	for i, x := range f.Arguments {
		y := a.Arguments[i]
		if x != y && (x.Name != y.Name || x.Description != y.Description || !sameType(x.Type, y.Type) ||
			!sameValue(x.DefaultValue, y.DefaultValue) || !plainArgument(x) || !plainArgument(y)) {
			return false
		}
	}
	return true
}

// plainField reports whether f has nothing sameField ignores.
func plainField(f *ast.FieldDefinition) bool {
	return len(f.Directives) == 0 && f.Position == nil && f.BeforeDescriptionComment == nil && f.AfterDescriptionComment == nil
}

// plainArgument reports whether a has nothing sameField ignores.
func plainArgument(a *ast.ArgumentDefinition) bool {
	return len(a.Directives) == 0 && a.Position == nil && a.BeforeDescriptionComment == nil && a.AfterDescriptionComment == nil
}

// sameType reports whether two type references are equal.
func sameType(t, u *ast.Type) bool {
	for t != u {
		if t == nil || u == nil || t.NamedType != u.NamedType || t.NonNull != u.NonNull {
			return false
		}
		t, u = t.Elem, u.Elem
	}
	return true
}

// sameValue reports whether two default values are equal: both absent,
// the same node, or scalars of the same kind and text (generated defaults
// are scalars).
func sameValue(v, w *ast.Value) bool {
	if v == w {
		return true
	}
	return v != nil && w != nil && v.Kind == w.Kind && v.Raw == w.Raw && len(v.Children) == 0 && len(w.Children) == 0 &&
		v.Kind != ast.Variable && v.Kind != ast.ListValue && v.Kind != ast.ObjectValue
}
