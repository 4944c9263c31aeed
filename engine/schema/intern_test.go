package schema

import (
	"fmt"
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

func TestInternKeepsNodesItCannotShare(t *testing.T) {
	in := newInterner(4)
	pos := &ast.Position{Line: 1}
	f := &ast.FieldDefinition{Name: "a", Type: ast.NamedType("Int", nil), Position: pos}
	if in.field(f) != f {
		t.Error("a field with a position was replaced")
	}
	dir := &ast.FieldDefinition{Name: "a", Type: ast.NamedType("Int", nil), Directives: ast.DirectiveList{{Name: "deprecated"}}}
	if in.field(dir) != dir {
		t.Error("a field with a directive was replaced")
	}
	list := &ast.Value{Kind: ast.ListValue, Children: ast.ChildValueList{{Value: &ast.Value{Kind: ast.IntValue, Raw: "1"}}}}
	a := &ast.ArgumentDefinition{Name: "x", Type: ast.NamedType("Int", nil), DefaultValue: list}
	if c, id := in.arg(a); c != a || id != 0 {
		t.Error("an argument with a list default was shared")
	}
	// A field with such an argument is copied, not shared.
	f1 := in.field(&ast.FieldDefinition{Name: "f", Type: ast.NamedType("Int", nil), Arguments: ast.ArgumentDefinitionList{a}})
	f2 := in.field(&ast.FieldDefinition{Name: "f", Type: ast.NamedType("Int", nil), Arguments: ast.ArgumentDefinitionList{a}})
	if f1 == f2 || f1.Arguments[0] != a {
		t.Error("fields with unshareable arguments were merged")
	}
	// Same name and type, different description or default: not merged.
	d1 := &ast.Value{Kind: ast.IntValue, Raw: "1"}
	d2 := &ast.Value{Kind: ast.IntValue, Raw: "2"}
	x1, _ := in.arg(&ast.ArgumentDefinition{Name: "x", Type: ast.NamedType("Int", nil), DefaultValue: d1})
	x2, _ := in.arg(&ast.ArgumentDefinition{Name: "x", Type: ast.NamedType("Int", nil), DefaultValue: d2})
	x3, _ := in.arg(&ast.ArgumentDefinition{Name: "x", Type: ast.NamedType("Int", nil), DefaultValue: &ast.Value{Kind: ast.IntValue, Raw: "1"}})
	if x1 == x2 || x1 != x3 {
		t.Error("arguments merged by name instead of content")
	}
	e1 := in.field(&ast.FieldDefinition{Name: "e", Type: ast.NamedType("Int", nil), Description: "one"})
	e2 := in.field(&ast.FieldDefinition{Name: "e", Type: ast.NamedType("Int", nil), Description: "two"})
	if e1 == e2 {
		t.Error("fields with different descriptions merged")
	}
}

func TestBucketBecomesMap(t *testing.T) {
	var b bucket[string, int]
	for i := range 3 * bucketList {
		b.put(fmt.Sprint(i), i)
	}
	if b.m == nil {
		t.Fatal("a long bucket is still a list")
	}
	for i := range 3 * bucketList {
		if v, ok := b.get(fmt.Sprint(i)); !ok || v != i {
			t.Fatalf("get(%d) = %d, %v", i, v, ok)
		}
	}
	if _, ok := b.get("missing"); ok {
		t.Error("found a key never put")
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
	s.unmake(2)
	c := s.make(1)
	c[0] = 1
	if a[0] != 0 || a[2] != 7 {
		t.Fatal("unmake gave back memory still in use")
	}
	big := s.make(3 * slabChunk)
	if len(big) != 3*slabChunk || cap(big) != 3*slabChunk {
		t.Fatalf("make beyond a chunk: len %d cap %d", len(big), cap(big))
	}
}
