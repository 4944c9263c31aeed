package metaedit

import (
	"slices"
	"sort"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

func init() {
	register(Spec{Name: "pg_suggest_relationships", Read: func() Read { return new(suggestRelationships) }})
}

// suggestRelationships is pg_suggest_relationships: an object relationship
// along each foreign key and the array relationship back.
type suggestRelationships struct {
	Source      string                    `json:"source"`
	Tables      []metadata.QualifiedTable `json:"tables"`
	OmitTracked bool                      `json:"omit_tracked"`
}

// SetDefaults implements apiargs.Defaulter.
func (a *suggestRelationships) SetDefaults() { a.Source = metadata.DefaultSource }

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

// Answer implements Read.
func (a *suggestRelationships) Answer(md *metadata.Metadata, cat *catalog.Catalog) (any, error) {
	src, err := source(md, a.Source)
	if err != nil {
		return nil, err
	}
	inScope := func(q metadata.QualifiedTable) bool {
		if a.Tables != nil {
			return slices.Contains(a.Tables, q)
		}
		return src.Table(q) != nil
	}
	out := []suggestion{}
	names := make([]metadata.QualifiedTable, 0, len(cat.Tables))
	for q := range cat.Tables {
		names = append(names, q)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Less(names[j]) })
	for _, q := range names {
		for _, fk := range cat.Tables[q].ForeignKeys {
			from := relSide{Table: q, Columns: fk.Columns, ConstraintName: fk.Name}
			to := relSide{Table: fk.RefTable, Columns: fk.RefColumns}
			if inScope(q) && !(a.OmitTracked && relTracked(src, q, fk, false)) {
				out = append(out, suggestion{Type: "object", From: from, To: to})
			}
			if inScope(fk.RefTable) && !(a.OmitTracked && relTracked(src, q, fk, true)) {
				out = append(out, suggestion{Type: "array", From: relSide{Table: fk.RefTable, Columns: fk.RefColumns},
					To: relSide{Table: q, Columns: fk.Columns, ConstraintName: fk.Name}})
			}
		}
	}
	return map[string]any{"relationships": out}, nil
}

// relTracked reports whether metadata already has the relationship along
// fk (of table q): the object one on q, or the array one on the target.
func relTracked(src *metadata.Source, q metadata.QualifiedTable, fk *catalog.ForeignKey, array bool) bool {
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
