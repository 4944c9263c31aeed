package schema

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// interner makes one generated schema share its identical AST nodes.
//
// A schema of n tables repeats the same fields n times: every "<t>_bool_exp"
// has "id: Int_comparison_exp", every "<t>_order_by" has "id: order_by",
// every "<t>_avg_fields" has "id: Float", every array relationship to t
// repeats t's select arguments, and every field's *ast.Type is a separate
// allocation. The generated schema is read-only once built (validation and
// introspection only read it), so equal nodes can be one node: at 5,000
// tables a third of the fields and a fifth of the types remain. The shared
// nodes are fresh copies allocated in chunks (slab), so that the
// generator's originals die whole pages at a time instead of pinning them.
//
// Only nodes without positions, comments or directives are shared; the
// generator sets none of those. The interner lives for one generate call.
type interner struct {
	// named holds the named types by name, [nullable, non-null]; lists
	// the list types by element. Fields and arguments are found among
	// those of their (shared) type.
	named  map[string]*[2]typeEntry
	lists  map[listKey]*typeEntry
	argLs  map[string]ast.ArgumentDefinitionList
	values map[enumValueKey]*ast.EnumValueDefinition
	strs   map[string]string
	nextID uint32
	buf    []byte

	typeSlab      slab[ast.Type]
	argSlab       slab[ast.ArgumentDefinition]
	fieldSlab     slab[ast.FieldDefinition]
	valueSlab     slab[ast.EnumValueDefinition]
	argListSlab   slab[*ast.ArgumentDefinition]
	fieldListSlab slab[*ast.FieldDefinition]
	valueListSlab slab[*ast.EnumValueDefinition]
}

// typeEntry is a shared type with the shared fields and arguments of that
// type.
type typeEntry struct {
	t      *ast.Type
	fields bucket[fieldKey, *ast.FieldDefinition]
	args   bucket[argKey, internedArg]
}

// listKey is a list type by its (shared) element type.
type listKey struct {
	elem    *ast.Type
	nonNull bool
}

// valueKey is a scalar default value (Children empty), by content.
type valueKey struct {
	set  bool
	kind ast.ValueKind
	raw  string
}

// argKey is an argument of a given type; fieldKey a field of a given type
// (args is the key of its shared argument list).
type argKey struct {
	name, desc string
	def        valueKey
}

type fieldKey struct {
	name, desc, args string
	def              valueKey
}

type enumValueKey struct{ name, desc string }

// internedArg is a shared argument and its id in argument list keys.
type internedArg struct {
	def *ast.ArgumentDefinition
	id  uint32
}

// newInterner returns an interner for a schema of about n types.
func newInterner(n int) *interner {
	return &interner{
		named:  make(map[string]*[2]typeEntry, n),
		lists:  make(map[listKey]*typeEntry, n/2),
		argLs:  map[string]ast.ArgumentDefinitionList{},
		values: map[enumValueKey]*ast.EnumValueDefinition{},
		strs:   map[string]string{},
	}
}

// str returns the shared copy of s (descriptions repeat per table).
func (in *interner) str(s string) string {
	if s == "" {
		return s
	}
	if c, ok := in.strs[s]; ok {
		return c
	}
	in.strs[s] = s
	return s
}

// typ returns the entry of the shared type equal to t, or nil when t is
// not shareable.
func (in *interner) typ(t *ast.Type) *typeEntry {
	if t == nil || t.Position != nil {
		return nil
	}
	if t.Elem == nil {
		n := in.named[t.NamedType]
		if n == nil {
			n = new([2]typeEntry)
			in.named[t.NamedType] = n
		}
		e := &n[0]
		if t.NonNull {
			e = &n[1]
		}
		if e.t == nil {
			e.t = in.typeSlab.new()
			*e.t = ast.Type{NamedType: t.NamedType, NonNull: t.NonNull}
		}
		return e
	}
	elem := in.typ(t.Elem)
	if elem == nil {
		return nil
	}
	k := listKey{elem: elem.t, nonNull: t.NonNull}
	if e, ok := in.lists[k]; ok {
		return e
	}
	e := &typeEntry{t: in.typeSlab.new()}
	*e.t = ast.Type{NamedType: t.NamedType, Elem: elem.t, NonNull: t.NonNull}
	in.lists[k] = e
	return e
}

// value is v's key when v is a shareable scalar default; ok is false for
// defaults that must keep their own node.
func value(v *ast.Value) (k valueKey, ok bool) {
	if v == nil {
		return valueKey{}, true
	}
	if len(v.Children) > 0 || v.Position != nil || v.Comment != nil || v.Definition != nil ||
		v.VariableDefinition != nil || v.ExpectedType != nil {
		return valueKey{}, false
	}
	return valueKey{set: true, kind: v.Kind, raw: v.Raw}, true
}

// arg returns the shared argument equal to a, and its id (0: a is not
// shareable and returned as it is).
func (in *interner) arg(a *ast.ArgumentDefinition) (*ast.ArgumentDefinition, uint32) {
	dv, ok := value(a.DefaultValue)
	if !ok || len(a.Directives) > 0 || a.Position != nil || a.BeforeDescriptionComment != nil || a.AfterDescriptionComment != nil {
		return a, 0
	}
	e := in.typ(a.Type)
	if e == nil {
		return a, 0
	}
	k := argKey{name: a.Name, desc: a.Description, def: dv}
	if c, ok := e.args.get(k); ok {
		return c.def, c.id
	}
	in.nextID++
	c := internedArg{def: in.argSlab.new(), id: in.nextID}
	*c.def = ast.ArgumentDefinition{Name: a.Name, Description: in.str(a.Description), DefaultValue: a.DefaultValue, Type: e.t}
	e.args.put(k, c)
	return c.def, c.id
}

// argList returns a list equal to l of shared arguments where they can
// be, and its key: the list is shared too unless the key is "" (some
// argument is not shareable).
func (in *interner) argList(l ast.ArgumentDefinitionList) (ast.ArgumentDefinitionList, string) {
	if len(l) == 0 {
		return nil, ""
	}
	in.buf = in.buf[:0]
	out := in.argListSlab.make(len(l))
	shared := true
	for i, a := range l {
		c, id := in.arg(a)
		out[i] = c
		shared = shared && id != 0
		in.buf = append(in.buf, byte(id), byte(id>>8), byte(id>>16), byte(id>>24))
	}
	if !shared {
		return out, ""
	}
	if c, ok := in.argLs[string(in.buf)]; ok {
		in.argListSlab.unmake(len(l))
		return c, string(in.buf)
	}
	k := string(in.buf)
	in.argLs[k] = out
	return out, k
}

// field returns the shared field equal to f, or f itself (with shared
// arguments) when it is not shareable.
func (in *interner) field(f *ast.FieldDefinition) *ast.FieldDefinition {
	dv, ok := value(f.DefaultValue)
	if !ok || len(f.Directives) > 0 || f.Position != nil || f.BeforeDescriptionComment != nil || f.AfterDescriptionComment != nil {
		return f
	}
	args, argsKey := in.argList(f.Arguments)
	e := in.typ(f.Type)
	if e == nil || (len(args) > 0 && argsKey == "") {
		c := *f
		c.Arguments = args
		return &c
	}
	k := fieldKey{name: f.Name, desc: f.Description, args: argsKey, def: dv}
	if c, ok := e.fields.get(k); ok {
		return c
	}
	c := in.fieldSlab.new()
	*c = ast.FieldDefinition{Name: f.Name, Description: in.str(f.Description), Arguments: args, DefaultValue: f.DefaultValue, Type: e.t}
	e.fields.put(k, c)
	return c
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
	*c = ast.EnumValueDefinition{Name: v.Name, Description: in.str(v.Description)}
	in.values[k] = c
	return c
}

// definition makes d's fields, arguments, types and enum values shared
// ones, in lists of exactly their length. (Type descriptions name their
// table: interning them costs more than it saves.)
func (in *interner) definition(d *ast.Definition) {
	if len(d.Fields) > 0 {
		fs := in.fieldListSlab.make(len(d.Fields))
		for i, f := range d.Fields {
			fs[i] = in.field(f)
		}
		d.Fields = fs
	}
	if len(d.EnumValues) > 0 {
		vs := in.valueListSlab.make(len(d.EnumValues))
		for i, v := range d.EnumValues {
			vs[i] = in.enumValue(v)
		}
		d.EnumValues = vs
	}
}

// bucket maps keys to values: a list while short (the fields of a table's
// own types are few, and scanning them beats hashing), a map beyond.
type bucket[K comparable, V any] struct {
	keys []K
	vals []V
	m    map[K]V
}

// bucketList is the length beyond which a bucket becomes a map.
const bucketList = 8

func (b *bucket[K, V]) get(k K) (V, bool) {
	if b.m != nil {
		v, ok := b.m[k]
		return v, ok
	}
	for i := range b.keys {
		if b.keys[i] == k {
			return b.vals[i], true
		}
	}
	var zero V
	return zero, false
}

func (b *bucket[K, V]) put(k K, v V) {
	if b.m == nil && len(b.keys) < bucketList {
		b.keys = append(b.keys, k)
		b.vals = append(b.vals, v)
		return
	}
	if b.m == nil {
		b.m = make(map[K]V, 2*bucketList)
		for i := range b.keys {
			b.m[b.keys[i]] = b.vals[i]
		}
		b.keys, b.vals = nil, nil
	}
	b.m[k] = v
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

// unmake gives back the last make(n), which must not be used any more.
func (s *slab[T]) unmake(n int) {
	clear(s.buf[len(s.buf)-n:])
	s.buf = s.buf[:len(s.buf)-n]
}
