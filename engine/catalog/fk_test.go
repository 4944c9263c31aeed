package catalog_test

import (
	"testing"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

func TestSameColumns(t *testing.T) {
	for _, tc := range []struct {
		a, b []string
		want bool
	}{
		{nil, nil, true},
		{[]string{"a"}, []string{"a"}, true},
		{[]string{"a", "b"}, []string{"b", "a"}, true},
		{[]string{"a", "b", "c"}, []string{"c", "a", "b"}, true},
		{[]string{"a", "a"}, []string{"a", "a"}, true},
		{[]string{"a", "a"}, []string{"a", "b"}, false},
		{[]string{"a", "b"}, []string{"a", "a"}, false},
		{[]string{"a", "a", "b"}, []string{"a", "b", "b"}, false},
		{[]string{"a"}, []string{"a", "a"}, false},
		{[]string{"a"}, []string{"b"}, false},
		{[]string{"a"}, nil, false},
	} {
		if got := catalog.SameColumns(tc.a, tc.b); got != tc.want {
			t.Errorf("SameColumns(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := catalog.SameColumns(tc.b, tc.a); got != tc.want {
			t.Errorf("SameColumns(%q, %q) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestForeignKeyOn(t *testing.T) {
	author := metadata.QualifiedTable{Schema: "public", Name: "author"}
	editor := metadata.QualifiedTable{Schema: "public", Name: "editor"}
	byAuthor := &catalog.ForeignKey{Name: "by_author", Columns: []string{"author_id", "tenant"}, RefTable: author, RefColumns: []string{"id", "tenant"}}
	byEditor := &catalog.ForeignKey{Name: "by_editor", Columns: []string{"editor_id"}, RefTable: editor, RefColumns: []string{"id"}}
	alsoAuthor := &catalog.ForeignKey{Name: "also_author", Columns: []string{"editor_id"}, RefTable: author, RefColumns: []string{"id"}}
	tbl := &catalog.Table{ForeignKeys: []*catalog.ForeignKey{byAuthor, byEditor, alsoAuthor}}
	for _, tc := range []struct {
		name string
		cols []string
		ref  *metadata.QualifiedTable
		want *catalog.ForeignKey
	}{
		{"exact order", []string{"author_id", "tenant"}, nil, byAuthor},
		{"any order", []string{"tenant", "author_id"}, nil, byAuthor},
		{"with its target", []string{"tenant", "author_id"}, &author, byAuthor},
		{"other target", []string{"author_id", "tenant"}, &editor, nil},
		{"duplicate column is not the pair", []string{"author_id", "author_id"}, nil, nil},
		{"subset", []string{"author_id"}, nil, nil},
		{"superset", []string{"author_id", "tenant", "x"}, nil, nil},
		{"first match without target", []string{"editor_id"}, nil, byEditor},
		{"target picks among equal columns", []string{"editor_id"}, &author, alsoAuthor},
		{"no columns", nil, nil, nil},
	} {
		if got := tbl.ForeignKeyOn(tc.cols, tc.ref); got != tc.want {
			t.Errorf("%s: ForeignKeyOn(%q) = %v, want %v", tc.name, tc.cols, got, tc.want)
		}
	}
	var none *catalog.Table
	if none.ForeignKeyOn([]string{"a"}, nil) != nil {
		t.Error("a nil table has a foreign key")
	}
}
