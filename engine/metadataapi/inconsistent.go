package metadataapi

import (
	"slices"
	"strings"

	"github.com/stratagql/strata/engine/metadata"
)

// objectID is a parsed inconsistency name: "<kind> <name> in table
// <table> in source <source>" or "table <table> in source <source>".
type objectID struct {
	source string
	table  string
	kind   string
	name   string
}

func parseObjectName(s string) (objectID, bool) {
	var id objectID
	rest, src, ok := cutLast(s, " in source ")
	if !ok {
		return id, false
	}
	id.source = src
	if head, tbl, ok := cutLast(rest, " in table "); ok {
		id.table = tbl
		id.kind, id.name, ok = strings.Cut(head, " ")
		return id, ok
	}
	id.kind, id.table, ok = strings.Cut(rest, " ")
	return id, ok
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// tableByName finds a table from its rendering in messages (bare name in
// schema public, schema.name elsewhere).
func tableByName(src *metadata.Source, name string) *metadata.Table {
	for i := range src.Tables {
		t := &src.Tables[i]
		if t.Table.Name == name && t.Table.Schema == "public" || t.Table.Schema+"."+t.Table.Name == name {
			return t
		}
	}
	return nil
}

// dropInconsistent removes the object an inconsistency names, if found.
func dropInconsistent(md *metadata.Metadata, inc metadata.Inconsistency) {
	id, ok := parseObjectName(inc.Name)
	if !ok {
		return
	}
	src := md.Source(id.source)
	if src == nil {
		if id.kind == "source" || inc.Type == "source" {
			md.Sources = slices.DeleteFunc(md.Sources, func(s metadata.Source) bool { return s.Name == id.table })
		}
		return
	}
	t := tableByName(src, id.table)
	if t == nil {
		return
	}
	switch inc.Type {
	case "table":
		q := t.Table
		src.Tables = slices.DeleteFunc(src.Tables, func(x metadata.Table) bool { return x.Table == q })
	case "object_relation", "array_relation":
		removeRefs(src, []objRef{{Kind: "relationship", Table: t.Table, Name: id.name}})
	case "computed_field":
		removeRefs(src, []objRef{{Kind: "computed field", Table: t.Table, Name: id.name}})
	case "select_permission", "insert_permission", "update_permission", "delete_permission":
		dropPermission(t, strings.TrimSuffix(inc.Type, "_permission"), id.name)
	}
}
