package schema

import (
	"hash/maphash"
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
// and argument lists (gen.named, gen.list, gen.field, gen.fieldArgs,
// gen.arg, ...) and gets the existing node when there is an equal one: at
// 5,000 tables a third of the fields and a fifth of the types are made.
// The nodes are allocated in chunks (slab). Enum values are shared when
// the types are finished (definition).
//
// The interner lives for one generate call; its nodes must never be
// modified.
type interner struct {
	// types, fields and args find a shared node by the hash of its key
	// (the next hash on a collision): 16 bytes a node instead of the key.
	seed   maphash.Seed
	types  map[uint64]*ast.Type
	fields map[uint64]*ast.FieldDefinition
	args   map[uint64]*ast.ArgumentDefinition
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
// Fields and arguments are keyed by their shared type, a field also by
// its shared argument list (the address of its first element).
type typeKey struct {
	name    string
	elem    *ast.Type
	nonNull bool
}

type fieldKey struct {
	typ        *ast.Type
	args       **ast.ArgumentDefinition
	name, desc string
}

type argKey struct {
	typ        *ast.Type
	name, desc string
}

type enumValueKey struct{ name, desc string }

// newInterner returns an interner for a schema of about n types. Its maps
// are few and large: the garbage they leave is whole spans, not holes
// between the schema's nodes. Unless chunked, it allocates each node by
// itself: a role schema replaces most of its nodes by the admin schema's
// (shareAdmin), and a chunk would stay alive for any one node of it.
func newInterner(n int, chunked bool) *interner {
	one := !chunked
	return &interner{
		typeSlab:      slab[ast.Type]{one: one},
		argSlab:       slab[ast.ArgumentDefinition]{one: one},
		fieldSlab:     slab[ast.FieldDefinition]{one: one},
		valueSlab:     slab[ast.EnumValueDefinition]{one: one},
		argListSlab:   slab[*ast.ArgumentDefinition]{one: one},
		fieldListSlab: slab[*ast.FieldDefinition]{one: one},
		valueListSlab: slab[*ast.EnumValueDefinition]{one: one},

		seed:   maphash.MakeSeed(),
		types:  make(map[uint64]*ast.Type, n+n/4),
		fields: make(map[uint64]*ast.FieldDefinition, n+n/4),
		args:   make(map[uint64]*ast.ArgumentDefinition, n/4),
		argLs:  make(map[string]ast.ArgumentDefinitionList, n/8),
		values: map[enumValueKey]*ast.EnumValueDefinition{},
	}
}

// find returns the node of m equal to the key hashed as h, or the hash
// under which to store a new one.
func find[T any](m map[uint64]*T, h uint64, equal func(*T) bool) (*T, uint64) {
	for {
		n, ok := m[h]
		if !ok {
			return nil, h
		}
		if equal(n) {
			return n, h
		}
		h++
	}
}

// typ returns the shared type: name (elem nil) or [elem], non-null or not.
func (in *interner) typ(name string, elem *ast.Type, nonNull bool) *ast.Type {
	t, h := find(in.types, maphash.Comparable(in.seed, typeKey{name, elem, nonNull}), func(t *ast.Type) bool {
		return t.NamedType == name && t.Elem == elem && t.NonNull == nonNull
	})
	if t == nil {
		t = in.typeSlab.new()
		*t = ast.Type{NamedType: name, Elem: elem, NonNull: nonNull}
		in.types[h] = t
	}
	return t
}

// arg returns the shared argument with that name, shared type and
// description.
func (in *interner) arg(name string, t *ast.Type, desc string) *ast.ArgumentDefinition {
	a, h := find(in.args, maphash.Comparable(in.seed, argKey{t, name, desc}), func(a *ast.ArgumentDefinition) bool {
		return a.Type == t && a.Name == name && a.Description == desc
	})
	if a == nil {
		a = in.argSlab.new()
		*a = ast.ArgumentDefinition{Name: name, Description: desc, Type: t}
		in.args[h] = a
	}
	return a
}

// argList returns the shared list of the arguments l, sorted by name (the
// order of Hasura's schema). l may be changed.
func (in *interner) argList(l []*ast.ArgumentDefinition) ast.ArgumentDefinitionList {
	if len(l) == 0 {
		return nil
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
		return c
	}
	c := in.argListSlab.make(len(l))
	copy(c, l)
	in.argLs[string(in.buf)] = c
	return c
}

// field returns the shared field with that name, arguments (a list from
// argList), shared type and description.
func (in *interner) field(name string, args ast.ArgumentDefinitionList, t *ast.Type, desc string) *ast.FieldDefinition {
	var first **ast.ArgumentDefinition
	if len(args) > 0 {
		first = &args[0]
	}
	f, h := find(in.fields, maphash.Comparable(in.seed, fieldKey{t, first, name, desc}), func(f *ast.FieldDefinition) bool {
		return f.Type == t && f.Name == name && f.Description == desc &&
			len(f.Arguments) == len(args) && (len(args) == 0 || &f.Arguments[0] == first)
	})
	if f == nil {
		f = in.fieldSlab.new()
		*f = ast.FieldDefinition{Name: name, Description: desc, Arguments: args, Type: t}
		in.fields[h] = f
	}
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
// keep them together on few pages. With one set it allocates each value
// (or slice) by itself.
type slab[T any] struct {
	buf []T
	one bool
}

// slabChunk is the number of values per chunk.
const slabChunk = 512

// new returns a pointer to a zero T.
func (s *slab[T]) new() *T {
	if s.one {
		return new(T)
	}
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, slabChunk)
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}

// make returns a slice of n zero Ts whose capacity is n, so that appending
// to it copies rather than overwrites the next slice.
func (s *slab[T]) make(n int) []T {
	if s.one {
		return make([]T, n)
	}
	if cap(s.buf)-len(s.buf) < n {
		s.buf = make([]T, 0, max(slabChunk, n))
	}
	l := len(s.buf)
	s.buf = s.buf[:l+n]
	return s.buf[l : l+n : l+n]
}
