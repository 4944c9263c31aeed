package metadata

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// fill sets every exported field reachable from v (settable) to a
// non-zero value: one element a list or map, a JSON tree in an interface.
func fill(t *testing.T, v reflect.Value, depth int) {
	if depth > 12 {
		t.Fatalf("the model nests deeper than expected at %s", v.Type())
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(7)
	case reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Uint8: // json.RawMessage
		v.SetUint('1')
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), depth+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), depth+1)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k := reflect.New(v.Type().Key()).Elem()
		fill(t, k, depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(t, e, depth+1)
		v.SetMapIndex(k, e)
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"k": []any{"v", 1.5, map[string]any{"n": nil}}}))
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(t, f, depth+1)
			} else if !isPlain(f.Type()) {
				t.Errorf("%s.%s is unexported and holds references: Clone would share it", v.Type(), v.Type().Field(i).Name)
			}
		}
	default:
		t.Fatalf("fill: unexpected kind %s (%s)", v.Kind(), v.Type())
	}
}

// shared reports the first place where a and b (deep-equal values)
// share a pointer, slice array or map.
func shared(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer, reflect.Map:
		if a.IsNil() {
			return ""
		}
		if a.UnsafePointer() == b.UnsafePointer() {
			return path
		}
		if a.Kind() == reflect.Pointer {
			return shared(a.Elem(), b.Elem(), path)
		}
		for it := a.MapRange(); it.Next(); {
			if p := shared(it.Value(), b.MapIndex(it.Key()), path+"["+it.Key().String()+"]"); p != "" {
				return p
			}
		}
	case reflect.Slice:
		if a.Len() == 0 {
			return ""
		}
		if a.UnsafePointer() == b.UnsafePointer() {
			return path
		}
		for i := range a.Len() {
			if p := shared(a.Index(i), b.Index(i), path+"[]"); p != "" {
				return p
			}
		}
	case reflect.Interface:
		if !a.IsNil() {
			return shared(a.Elem(), b.Elem(), path)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if p := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	}
	return ""
}

// TestCloneIsDeep fills every field of the model and checks that the
// clone is equal and shares nothing, so that a field added later is
// copied too.
func TestCloneIsDeep(t *testing.T) {
	var m Metadata
	fill(t, reflect.ValueOf(&m).Elem(), 0)
	c := m.Clone()
	if !reflect.DeepEqual(&m, c) {
		t.Fatalf("clone differs:\n%#v\n%#v", m, *c)
	}
	if p := shared(reflect.ValueOf(&m).Elem(), reflect.ValueOf(c).Elem(), "Metadata"); p != "" {
		t.Fatalf("clone shares %s with the original", p)
	}
	c.Sources[0].Tables[0].SelectPermissions[0].Permission.Columns.Names[0] = "changed"
	if m.Sources[0].Tables[0].SelectPermissions[0].Permission.Columns.Names[0] != "x" {
		t.Fatal("changing the clone changed the original")
	}
}

// TestCloneKeepsTheDocument checks that a clone encodes as its original,
// unexported forms (a foreign key's list form) and nil versus empty lists
// included.
func TestCloneKeepsTheDocument(t *testing.T) {
	in := `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[
	  {"table":{"schema":"public","name":"a"},"object_relationships":[{"name":"b","using":{"foreign_key_constraint_on":["b_id"]}}],
	   "insert_permissions":[{"role":"r","permission":{"check":{"x":{"_eq":1}},"set":{"n":[1,{"y":null}]},"columns":"*"}}],
	   "select_permissions":[{"role":"r","permission":{"columns":[],"filter":{},"query_root_fields":[]}}]},
	  {"table":{"schema":"public","name":"b"},"array_relationships":[{"name":"as","using":{"foreign_key_constraint_on":{"table":"a","columns":["b_id"]}}}]}]}],
	  "actions":[{"name":"act"}],"future":{"kept":true}}`
	md, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := md.JSON(), md.Clone().JSON(); string(a) != string(b) {
		t.Fatalf("clone encodes differently:\n%s\n%s", a, b)
	}
	md = chain(20)
	var viaJSON Metadata
	raw, _ := json.Marshal(md)
	if err := json.Unmarshal(raw, &viaJSON); err != nil {
		t.Fatal(err)
	}
	if a, b := viaJSON.JSON(), md.Clone().JSON(); string(a) != string(b) {
		t.Fatalf("clone encodes differently from a JSON round trip:\n%s\n%s", a, b)
	}
}

// BenchmarkClone5000 clones the metadata of 5,000 tables with two
// relationships each.
func BenchmarkClone5000(b *testing.B) {
	md := chain(5000)
	b.ReportAllocs()
	for b.Loop() {
		_ = md.Clone()
	}
}

// chain is the metadata of n tables t0, t1, ... each with an object
// relationship to the previous one and an array relationship from the
// next one, and a select permission.
func chain(n int) *Metadata {
	md := Empty()
	for i := range n {
		t := Table{Table: QualifiedTable{Schema: "public", Name: fmt.Sprintf("t%d", i)}}
		t.ObjectRelationships = []ObjectRelationship{{Name: "parent", Using: ObjectRelUsing{ForeignKeyConstraintOn: &ObjectFKOn{Columns: []string{"parent_id"}}}}}
		t.ArrayRelationships = []ArrayRelationship{{Name: "children", Using: ArrayRelUsing{ForeignKeyConstraintOn: &RemoteFK{
			Table: QualifiedTable{Schema: "public", Name: fmt.Sprintf("t%d", i+1)}, Columns: []string{"parent_id"}}}}}
		t.SelectPermissions = []SelectPermission{{Role: "user", Permission: SelectPermDef{Columns: Columns{All: true}, Filter: BoolExp(`{"id":{"_gt":0}}`)}}}
		md.Sources[0].Tables = append(md.Sources[0].Tables, t)
	}
	return md
}

// BenchmarkJSON5000 encodes the metadata of 5,000 tables.
func BenchmarkJSON5000(b *testing.B) {
	md := chain(5000)
	b.ReportAllocs()
	for b.Loop() {
		_ = md.JSON()
	}
}
