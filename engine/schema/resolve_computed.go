package schema

import (
	"fmt"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// resolveComputedFields resolves the computed fields of every table.
// Run after relationships, as set-returning fields point at other tables.
func (r *resolver) resolveComputedFields() {
	for _, t := range r.out.Tables {
		for i := range t.Metadata.ComputedFields {
			mcf := &t.Metadata.ComputedFields[i]
			cf, reason := r.computedField(t, mcf)
			if reason == "" {
				reason = r.checkFieldName(t, mcf.Name)
			}
			if reason != "" {
				q := t.Name
				r.inconsistent(metadata.Inconsistency{Kind: "computed_field", Table: &q, Name: mcf.Name,
					Reason: fmt.Sprintf("in table %q: in computed field %q: %s", displayName(t.Name), mcf.Name, reason),
					Definition: map[string]any{
						"name":       mcf.Name,
						"source":     metadata.DefaultSource,
						"comment":    mcf.Comment,
						"table":      t.Name,
						"definition": mcf.Definition,
					}})
				continue
			}
			t.ComputedFields = append(t.ComputedFields, cf)
			t.FieldsByName[cf.Name] = Field{ComputedField: cf}
		}
	}
}

// computedField checks the function behind a computed field.
func (r *resolver) computedField(t *Table, mcf *metadata.ComputedField) (*ComputedField, string) {
	def := mcf.Definition
	fns := r.cat.Functions[def.Function]
	switch {
	case len(fns) == 0:
		return nil, fmt.Sprintf("no such function exists: %q", displayName(def.Function))
	case len(fns) > 1:
		return nil, fmt.Sprintf("function %q is overloaded; overloaded functions are not supported", displayName(def.Function))
	}
	f := fns[0]
	if f.Volatility == "v" {
		return nil, fmt.Sprintf("the function %q is of type VOLATILE; cannot be added as a computed field", displayName(def.Function))
	}
	cf := &ComputedField{Name: mcf.Name, Function: f, TableArgument: -1, SessionArgument: -1, comment: mcf.Comment}
	for i, a := range f.Args {
		switch {
		case def.TableArgument != "" && a.Name == def.TableArgument,
			def.TableArgument == "" && i == 0:
			cf.TableArgument = i
		case def.SessionArgument != "" && a.Name == def.SessionArgument:
			cf.SessionArgument = i
		}
	}
	if cf.TableArgument < 0 {
		return nil, fmt.Sprintf("table argument %q not found in function %q", def.TableArgument, displayName(def.Function))
	}
	if at := f.Args[cf.TableArgument].Type; at.Kind != catalog.TypeComposite || at.Schema != t.Name.Schema || at.Name != t.Name.Name {
		return nil, fmt.Sprintf("the type of the table argument of function %q must be the row type of table %q",
			displayName(def.Function), displayName(t.Name))
	}
	if def.SessionArgument != "" {
		if cf.SessionArgument < 0 {
			return nil, fmt.Sprintf("session argument %q not found in function %q", def.SessionArgument, displayName(def.Function))
		}
		if n := f.Args[cf.SessionArgument].Type.Name; n != "json" && n != "jsonb" {
			return nil, fmt.Sprintf("the session argument %q of function %q must have type json or jsonb", def.SessionArgument, displayName(def.Function))
		}
	}
	for i, a := range f.Args {
		if i == cf.TableArgument || i == cf.SessionArgument {
			continue
		}
		if a.Name == "" || !IsGraphQLName(a.Name) {
			return nil, fmt.Sprintf("the input arguments of function %q must be named with valid GraphQL names", displayName(def.Function))
		}
		cf.InputArgs = append(cf.InputArgs, a)
	}
	if len(cf.InputArgs) > 0 {
		cf.ArgsType = defaultTypeName(def.Function) + "_args"
		if !IsGraphQLName(cf.ArgsType) {
			return nil, fmt.Sprintf("function name %q is not a valid GraphQL name", displayName(def.Function))
		}
	}
	ret := f.ReturnType
	if ret.Kind == catalog.TypeComposite {
		target := r.out.TablesByName[metadata.QualifiedTable{Schema: ret.Schema, Name: ret.Name}]
		if target == nil {
			return nil, fmt.Sprintf("the function %q returns type %q, which is not a tracked table", displayName(def.Function), ret.Name)
		}
		if !f.ReturnsSet {
			return nil, fmt.Sprintf("the function %q returning a table row must return SETOF %q", displayName(def.Function), ret.Name)
		}
		cf.Returns = target
		return cf, ""
	}
	if f.ReturnsSet {
		return nil, fmt.Sprintf("the function %q returns a set of a scalar type, which is not supported", displayName(def.Function))
	}
	if ret.Kind == catalog.TypePseudo {
		return nil, fmt.Sprintf("the function %q returns the pseudo-type %q", displayName(def.Function), ret.Name)
	}
	cf.kind = scalarFor(ret)
	cf.Scalar = cf.kind.Name
	if !IsGraphQLName(cf.Scalar) {
		return nil, fmt.Sprintf("the return type %q of function %q is not a valid GraphQL name", ret.Name, displayName(def.Function))
	}
	return cf, ""
}
