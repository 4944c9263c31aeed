package catalog

import "github.com/stratagql/strata/engine/metadata"

// ForeignKeyOn returns t's foreign key over exactly the columns cols, in
// any order, that references ref when ref is given; nil when there is none
// (or t is nil). Metadata names a relationship's foreign key by its
// columns; this is the one place that matches them.
func (t *Table) ForeignKeyOn(cols []string, ref *metadata.QualifiedTable) *ForeignKey {
	if t == nil {
		return nil
	}
	for _, fk := range t.ForeignKeys {
		if ref != nil && fk.RefTable != *ref {
			continue
		}
		if SameColumns(fk.Columns, cols) {
			return fk
		}
	}
	return nil
}

// SameColumns reports whether a and b name the same columns, ignoring
// order: each name occurs as often in one as in the other, so ["a","a"]
// and ["a","b"] differ.
func SameColumns(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := make(map[string]int, len(a))
	for _, x := range a {
		count[x]++
	}
	for _, x := range b {
		if count[x] == 0 {
			return false
		}
		count[x]--
	}
	return true
}
