package schema

import (
	"slices"
	"strings"
	"unsafe"

	"github.com/vektah/gqlparser/v2/ast"
)

// interner makes one generated schema share its identical AST nodes.
//
// A schema of n tables repeats the same fields n times: every "<t>_bool_exp"
// has "id: Int_comparison_exp", every "<t>_order_by" has "id: order_by",
// every "<t>_avg_fields" has "id: Float", every array relationship to t
// repeats t's select arguments, and every field has a type. The generated
// schema is read-only once built (validation and introspection only read
// it), so the generator asks the interner for its types, fields, arguments
// and argument lists (gen.named, gen.field, gen.arg, gen.args, ...) and
// gets the existing node when there is an equal one: at 5,000 tables a
// third of the fields and a fifth of the types are made. The nodes are
// allocated in chunks (slab).
//
// The interner lives for one generate call; its nodes must never be
// modified.
type interner struct {
	types  map[typeKey]*ast.Type
	fields map[fieldKey]*ast.FieldDefinition
	args   map[argKey]*ast.ArgumentDefinition
	argLs  map[string]ast.ArgumentDefinitionList
	values map[enumValueKey]*ast.EnumValueDefinition
	buf    []byte

	typeSlab      slab[ast.Type]
	argSlab       slab[ast.ArgumentDefinition]
	fieldSlab     slab[ast.FieldDefinition]
	valueSlab     slab[ast.EnumValueDefinition]
	argListSlab   slab[*ast.ArgumentDefinition]
	fieldListSlab slab[*ast.FieldDefinition]
	valueListSlab slab[*ast.EnumValueDefinition]
}

// typeKey is a named type (elem nil) or a list type of a shared element.
// Fields and arguments are keyed by their shared type; args is the key of
// a field's shared argument list.
type typeKey struct {
	name    string
	elem    *ast.Type
	nonNull bool
}

type fieldKey struct {
	typ              *ast.Type
	name, desc, args string
}

type argKey struct {
	typ        *ast.Type
	name, desc string
}

type enumValueKey struct{ name, desc string }

// newInterner returns an interner for a schema of about n types. Its maps
// are few and large: the garbage they leave is whole spans, not holes
// between the schema's nodes.
func newInterner(n int) *interner {
	return &interner{
		types:  make(map[typeKey]*ast.Type, n+n/2),
		fields: make(map[fieldKey]*ast.FieldDefinition, n+n/4),
		args:   make(map[argKey]*ast.ArgumentDefinition, n/4),
		argLs:  make(map[string]ast.ArgumentDefinitionList, n/8),
		values: map[enumValueKey]*ast.EnumValueDefinition{},
	}
}

// typ returns the shared type: name (elem nil) or [elem], non-null or not.
func (in *interner) typ(name string, elem *ast.Type, nonNull bool) *ast.Type {
	k := typeKey{name: name, elem: elem, nonNull: nonNull}
	if t, ok := in.types[k]; ok {
		return t
	}
	t := in.typeSlab.new()
	*t = ast.Type{NamedType: name, Elem: elem, NonNull: nonNull}
	in.types[k] = t
	return t
}

// arg returns the shared argument with that name, shared type and
// description.
func (in *interner) arg(name string, t *ast.Type, desc string) *ast.ArgumentDefinition {
	k := argKey{typ: t, name: name, desc: desc}
	if a, ok := in.args[k]; ok {
		return a
	}
	a := in.argSlab.new()
	*a = ast.ArgumentDefinition{Name: name, Description: desc, Type: t}
	in.args[k] = a
	return a
}

// argList returns the shared list of the arguments l (sorted by name, the
// order of Hasura's schema) and its key. l may be changed.
func (in *interner) argList(l []*ast.ArgumentDefinition) (ast.ArgumentDefinitionList, string) {
	if len(l) == 0 {
		return nil, ""
	}
	sortArgs(l)
	// An argument's address identifies it: the list keeps it alive.
	in.buf = in.buf[:0]
	for _, a := range l {
		p := uintptr(unsafe.Pointer(a))
		for i := range unsafe.Sizeof(p) {
			in.buf = append(in.buf, byte(p>>(8*i)))
		}
	}
	if c, ok := in.argLs[string(in.buf)]; ok {
		return c, string(in.buf)
	}
	k := string(in.buf)
	c := in.argListSlab.make(len(l))
	copy(c, l)
	in.argLs[k] = c
	return c, k
}

// field returns the shared field with that name, arguments (a list from
// argList, with its key), shared type and description.
func (in *interner) field(name string, args ast.ArgumentDefinitionList, argsKey string, t *ast.Type, desc string) *ast.FieldDefinition {
	k := fieldKey{typ: t, name: name, desc: desc, args: argsKey}
	if f, ok := in.fields[k]; ok {
		return f
	}
	f := in.fieldSlab.new()
	*f = ast.FieldDefinition{Name: name, Description: desc, Arguments: args, Type: t}
	in.fields[k] = f
	return f
}

// enumValue returns the shared enum value equal to v.
func (in *interner) enumValue(v *ast.EnumValueDefinition) *ast.EnumValueDefinition {
	if len(v.Directives) > 0 || v.Position != nil || v.BeforeDescriptionComment != nil || v.AfterDescriptionComment != nil {
		return v
	}
	k := enumValueKey{name: v.Name, desc: v.Description}
	if c, ok := in.values[k]; ok {
		return c
	}
	c := in.valueSlab.new()
	*c = ast.EnumValueDefinition{Name: v.Name, Description: v.Description}
	in.values[k] = c
	return c
}

// definition sorts d's fields and enum values by name (Hasura's order)
// into lists of exactly their length, with shared enum values.
func (in *interner) definition(d *ast.Definition) {
	if len(d.Fields) > 0 {
		sortFields(d.Fields)
		fs := in.fieldListSlab.make(len(d.Fields))
		for i, f := range d.Fields {
			sortArgs(f.Arguments)
			fs[i] = f
		}
		d.Fields = fs
	}
	if len(d.EnumValues) > 0 {
		slices.SortFunc(d.EnumValues, func(a, b *ast.EnumValueDefinition) int { return strings.Compare(a.Name, b.Name) })
		vs := in.valueListSlab.make(len(d.EnumValues))
		for i, v := range d.EnumValues {
			vs[i] = in.enumValue(v)
		}
		d.EnumValues = vs
	}
}

// slab allocates values of T in chunks: the nodes of one schema live and
// die together, and chunks spare the allocator's per-object rounding and
// keep them together on few pages.
type slab[T any] struct{ buf []T }

// slabChunk is the number of values per chunk.
const slabChunk = 512

// new returns a pointer to a zero T.
func (s *slab[T]) new() *T {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, slabChunk)
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}

// make returns a slice of n zero Ts whose capacity is n, so that appending
// to it copies rather than overwrites the next slice.
func (s *slab[T]) make(n int) []T {
	if cap(s.buf)-len(s.buf) < n {
		s.buf = make([]T, 0, max(slabChunk, n))
	}
	l := len(s.buf)
	s.buf = s.buf[:l+n]
	return s.buf[l : l+n : l+n]
}
