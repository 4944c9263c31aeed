package metaedit

import (
	"slices"

	"github.com/stratagql/strata/engine/metadata"
)

// DropInconsistent removes from md every object incs reports (the edit of
// drop_inconsistent_metadata, whose inconsistencies come from the served
// snapshot); an object no longer in md is skipped.
func DropInconsistent(md *metadata.Metadata, incs []metadata.Inconsistency) {
	for _, inc := range incs {
		dropInconsistent(md, inc)
	}
}

func dropInconsistent(md *metadata.Metadata, inc metadata.Inconsistency) {
	if inc.Table == nil {
		return
	}
	src := md.Source(inc.Source)
	if src == nil {
		return
	}
	t := src.Table(*inc.Table)
	if t == nil {
		return
	}
	switch {
	case inc.Kind == metadata.KindTable:
		q := t.Table
		src.Tables = slices.DeleteFunc(src.Tables, func(x metadata.Table) bool { return x.Table == q })
	case inc.Kind == "object_relation" || inc.Kind == "array_relation":
		removeRefs(src, []objRef{{Kind: "relationship", Table: t.Table, Name: inc.Name}})
	case inc.Kind == "computed_field":
		removeRefs(src, []objRef{{Kind: "computed field", Table: t.Table, Name: inc.Name}})
	case inc.IsPermission():
		dropPermission(t, inc.PermissionType(), inc.Role)
	}
}
