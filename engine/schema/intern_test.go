package schema

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/catalog/catalogtest"
)

// fieldOf returns the field of a type of s, failing the test without it.
func fieldOf(t *testing.T, s *ast.Schema, typ, name string) *ast.FieldDefinition {
	t.Helper()
	d := s.Types[typ]
	if d == nil {
		t.Fatalf("no type %s", typ)
	}
	f := d.Fields.ForName(name)
	if f == nil {
		t.Fatalf("no field %s.%s", typ, name)
	}
	return f
}

func TestInternSharesEqualNodes(t *testing.T) {
	md, cat := catalogtest.Synthetic(3)
	s, err := Build(md, cat)
	if err != nil {
		t.Fatal(err)
	}
	g := s.GraphQL
	// The same field of different tables' types is one node.
	for _, c := range []struct{ typ, field string }{
		{"_bool_exp", "id"}, {"_order_by", "name"}, {"_avg_fields", "score"}, {"_insert_input", "data"},
	} {
		a, b := fieldOf(t, g, "t0000"+c.typ, c.field), fieldOf(t, g, "t0001"+c.typ, c.field)
		if a != b {
			t.Errorf("t0000%s.%s and t0001%[1]s.%[2]s are different nodes", c.typ, c.field)
		}
	}
	// Equal argument lists and types are shared, different ones are not.
	rootChildren := fieldOf(t, g, "query_root", "t0001")
	relChildren := fieldOf(t, g, "t0000", "children")
	if &rootChildren.Arguments[0] != &relChildren.Arguments[0] {
		t.Error("t0001's select arguments are not shared by the children relationship to it")
	}
	if rootChildren.Type != relChildren.Type || rootChildren.Type.Elem == nil {
		t.Errorf("[t0001!]! types differ: %p %p", rootChildren.Type, relChildren.Type)
	}
	if fieldOf(t, g, "t0000", "parent").Type == fieldOf(t, g, "t0001", "parent").Type {
		t.Error("parents of different types share a type")
	}
	if a, b := fieldOf(t, g, "t0000", "id"), fieldOf(t, g, "t0001", "parent_id"); a.Type.NonNull == b.Type.NonNull || a.Type.NamedType != b.Type.NamedType {
		t.Errorf("id %s and parent_id %s: nullability lost", a.Type, b.Type)
	}
	// Appending to a type's fields does not overwrite the next type's.
	q := g.Types["query_root"]
	if q.Fields.ForName("__schema") == nil {
		t.Error("query_root lost its introspection fields")
	}
	if _, errs := gqlparser.LoadQuery(g, `{ t0001(where: {id: {_eq: 1}}, order_by: {name: asc}) { id parent { id } children_aggregate { aggregate { avg { score } } } } }`); errs != nil {
		t.Errorf("a query fails against the shared nodes: %v", errs)
	}
}

func TestInternMergesOnlyEqualNodes(t *testing.T) {
	in := newInterner(4, true)
	intT := in.typ("Int", nil, false)
	if intT != in.typ("Int", nil, false) || intT == in.typ("Int", nil, true) || intT == in.typ("Float", nil, false) {
		t.Error("named types not shared by name and nullability")
	}
	list := in.typ("", in.typ("Int", nil, true), false)
	if list != in.typ("", in.typ("Int", nil, true), false) || list == in.typ("", intT, false) || list.String() != "[Int!]" {
		t.Errorf("list type %s not shared by element", list)
	}
	a, b := in.arg("x", intT, ""), in.arg("y", intT, "")
	if a != in.arg("x", intT, "") || a == in.arg("x", intT, "other") || a == in.arg("x", list, "") {
		t.Error("arguments merged by name only, or equal ones not merged")
	}
	ab := in.argList([]*ast.ArgumentDefinition{b, a})
	ba := in.argList([]*ast.ArgumentDefinition{a, b})
	if &ab[0] != &ba[0] || ab[0].Name != "x" || cap(ab) != 2 {
		t.Errorf("argument lists not shared whatever their order, or not sorted: %v %v", ab, ba)
	}
	onlyA := in.argList([]*ast.ArgumentDefinition{a})
	f := in.field("f", ab, intT, "")
	for _, other := range []*ast.FieldDefinition{
		in.field("f", onlyA, intT, ""),
		in.field("f", nil, intT, ""),
		in.field("f", ab, in.typ("Int", nil, true), ""),
		in.field("f", ab, intT, "described"),
		in.field("g", ab, intT, ""),
	} {
		if other == f {
			t.Errorf("field %s(%v): %s %q merged with f(x, y): Int", other.Name, other.Arguments, other.Type, other.Description)
		}
	}
	if in.field("f", ba, intT, "") != f {
		t.Error("equal fields not merged")
	}
	dep := &ast.EnumValueDefinition{Name: "A", Directives: ast.DirectiveList{{Name: "deprecated"}}}
	if in.enumValue(dep) != dep || in.enumValue(&ast.EnumValueDefinition{Name: "A"}) == dep {
		t.Error("an enum value with a directive was merged")
	}
}

func TestSlabSlicesDoNotOverlap(t *testing.T) {
	var s slab[int]
	a := s.make(2)
	b := s.make(2)
	a = append(a, 7)
	if b[0] != 0 {
		t.Fatal("appending to one slab slice overwrote the next")
	}
	big := s.make(3 * slabChunk)
	if len(big) != 3*slabChunk || cap(big) != 3*slabChunk {
		t.Fatalf("make beyond a chunk: len %d cap %d", len(big), cap(big))
	}
}

func TestFindProbesPastCollisions(t *testing.T) {
	one, two := 1, 2
	m := map[uint64]*int{7: &one}
	if n, h := find(m, 7, func(n *int) bool { return *n == 2 }); n != nil || h != 8 {
		t.Fatalf("a colliding key found %v, slot %d (want the next, 8)", n, h)
	}
	m[8] = &two
	if n, _ := find(m, 7, func(n *int) bool { return *n == 2 }); n != &two {
		t.Fatal("the node stored past a collision is not found")
	}
	if n, _ := find(m, 7, func(n *int) bool { return *n == 1 }); n != &one {
		t.Fatal("the node at its own hash is not found")
	}
}
