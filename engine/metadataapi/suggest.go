package metadataapi

import (
	"context"
	"slices"
	"sort"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// suggestion is one relationship pg_suggest_relationships proposes.
type suggestion struct {
	Type string  `json:"type"`
	From relSide `json:"from"`
	To   relSide `json:"to"`
}

type relSide struct {
	Table          metadata.QualifiedTable `json:"table"`
	Columns        []string                `json:"columns"`
	ConstraintName string                  `json:"constraint_name,omitempty"`
}

// suggestRelationships is pg_suggest_relationships: an object relationship
// along each foreign key and the array relationship back.
func suggestRelationships(_ context.Context, c *call) (any, error) {
	o, perr := newObject(c.args, c.path)
	if perr != nil {
		return nil, perr
	}
	source := metadata.DefaultSource
	var tables []metadata.QualifiedTable
	var omitTracked bool
	if err := o.opt("source", &source); err != nil {
		return nil, err
	}
	if err := o.opt("tables", &tables); err != nil {
		return nil, err
	}
	if err := o.opt("omit_tracked", &omitTracked); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	snap := c.api.cfg.State.Current()
	src, perr := c.source(snap.Metadata, source)
	if perr != nil {
		return nil, perr
	}
	inScope := func(q metadata.QualifiedTable) bool {
		if tables != nil {
			return slices.Contains(tables, q)
		}
		return src.Table(q) != nil
	}
	out := []suggestion{}
	names := make([]metadata.QualifiedTable, 0, len(snap.Catalog.Tables))
	for q := range snap.Catalog.Tables {
		names = append(names, q)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Less(names[j]) })
	for _, q := range names {
		ct := snap.Catalog.Tables[q]
		for _, fk := range ct.ForeignKeys {
			from := relSide{Table: q, Columns: fk.Columns, ConstraintName: fk.Name}
			to := relSide{Table: fk.RefTable, Columns: fk.RefColumns}
			if inScope(q) && !(omitTracked && relTracked(src, q, fk, snap.Catalog, false)) {
				out = append(out, suggestion{Type: "object", From: from, To: to})
			}
			if inScope(fk.RefTable) && !(omitTracked && relTracked(src, q, fk, snap.Catalog, true)) {
				out = append(out, suggestion{Type: "array", From: relSide{Table: fk.RefTable, Columns: fk.RefColumns},
					To: relSide{Table: q, Columns: fk.Columns, ConstraintName: fk.Name}})
			}
		}
	}
	return map[string]any{"relationships": out}, nil
}

// relTracked reports whether metadata already has the relationship along
// fk (of table q): the object one on q, or the array one on the target.
func relTracked(src *metadata.Source, q metadata.QualifiedTable, fk *catalog.ForeignKey, cat *catalog.Catalog, array bool) bool {
	if array {
		t := src.Table(fk.RefTable)
		if t == nil {
			return false
		}
		return slices.ContainsFunc(t.ArrayRelationships, func(r metadata.ArrayRelationship) bool {
			u := r.Using.ForeignKeyConstraintOn
			return u != nil && u.Table == q && catalog.SameColumns(u.Columns, fk.Columns)
		})
	}
	t := src.Table(q)
	if t == nil {
		return false
	}
	return slices.ContainsFunc(t.ObjectRelationships, func(r metadata.ObjectRelationship) bool {
		u := r.Using.ForeignKeyConstraintOn
		return u != nil && u.Table == nil && catalog.SameColumns(u.Columns, fk.Columns)
	})
}
