package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// resolveRelationships resolves every consistent table's object and array
// relationships; the ones that do not match the database are reported.
func (r *resolver) resolveRelationships() {
	for _, t := range r.out.Tables {
		mt := t.Metadata
		for i := range mt.ObjectRelationships {
			rel := &mt.ObjectRelationships[i]
			res, reason := r.objectRel(t, rel)
			r.addRel(t, "object_relation", rel.Name, rel.Using, rel.Comment, res, reason)
		}
		for i := range mt.ArrayRelationships {
			rel := &mt.ArrayRelationships[i]
			res, reason := r.arrayRel(t, rel)
			r.addRel(t, "array_relation", rel.Name, rel.Using, rel.Comment, res, reason)
		}
	}
}

// addRel attaches a resolved relationship, or reports why it cannot be.
func (r *resolver) addRel(t *Table, kind, name string, using any, comment *string, rel *Relationship, reason string) {
	if reason == "" {
		reason = r.checkFieldName(t, name)
		if reason == "" && rel.Kind == ArrayRel {
			reason = r.checkFieldName(t, name+"_aggregate")
		}
	}
	if reason != "" {
		q := t.Name
		r.inconsistent(metadata.Inconsistency{Kind: kind, Table: &q, Name: name,
			Reason:     fmt.Sprintf("in table %q: in relationship %q: %s", displayName(t.Name), name, reason),
			Definition: relDefinition(t.Name, name, using, comment)})
		return
	}
	rel.Name = name
	rel.comment = comment
	t.Relationships = append(t.Relationships, rel)
	t.FieldsByName[name] = Field{Relationship: rel}
	if rel.Kind == ArrayRel {
		t.FieldsByName[name+"_aggregate"] = Field{Relationship: rel, Aggregate: true}
	}
}

// checkFieldName says why name cannot be a new field of t, or "".
func (r *resolver) checkFieldName(t *Table, name string) string {
	if !IsGraphQLName(name) {
		return fmt.Sprintf("%q is not a valid GraphQL name", name)
	}
	if f, ok := t.FieldsByName[name]; ok {
		what := "column"
		switch {
		case f.Relationship != nil:
			what = "relationship"
		case f.ComputedField != nil:
			what = "computed field"
		}
		return fmt.Sprintf("a %s named %q already exists in table %q", what, name, displayName(t.Name))
	}
	return ""
}

// target returns the tracked, consistent table q, or why it is unusable.
func (r *resolver) target(q metadata.QualifiedTable) (*Table, string) {
	if t := r.out.TablesByName[q]; t != nil {
		return t, ""
	}
	if r.cat.Table(q) == nil {
		return nil, fmt.Sprintf("table %q does not exist", displayName(q))
	}
	return nil, fmt.Sprintf("table %q is not tracked", displayName(q))
}

// objectRel resolves an object relationship.
func (r *resolver) objectRel(t *Table, rel *metadata.ObjectRelationship) (*Relationship, string) {
	u := rel.Using
	switch {
	case u.ForeignKeyConstraintOn != nil && u.ForeignKeyConstraintOn.Table == nil:
		cols := u.ForeignKeyConstraintOn.Columns
		if reason := missingColumns(t.Catalog, t.Name, cols); reason != "" {
			return nil, reason
		}
		fk := t.Catalog.ForeignKeyOn(cols, nil)
		if fk == nil {
			return nil, fmt.Sprintf("no foreign constraint exists on the given column(s) (%s)", strings.Join(cols, ", "))
		}
		target, reason := r.target(fk.RefTable)
		if target == nil {
			return nil, reason
		}
		out := &Relationship{Kind: ObjectRel, Target: target}
		for i, c := range fk.Columns {
			out.Mapping = append(out.Mapping, ColumnPair{Source: c, Target: fk.RefColumns[i]})
			if cc := t.Catalog.Column(c); cc == nil || cc.Nullable {
				out.Nullable = true
			}
		}
		return out, ""
	case u.ForeignKeyConstraintOn != nil:
		out, reason := r.remoteFK(t, *u.ForeignKeyConstraintOn.Table, u.ForeignKeyConstraintOn.Columns)
		if out != nil {
			out.Kind = ObjectRel
			out.Nullable = true
		}
		return out, reason
	case u.ManualConfiguration != nil:
		out, reason := r.manual(t, u.ManualConfiguration)
		if out != nil {
			out.Kind = ObjectRel
			out.Nullable = true
		}
		return out, reason
	}
	return nil, "the relationship has neither foreign_key_constraint_on nor manual_configuration"
}

// arrayRel resolves an array relationship.
func (r *resolver) arrayRel(t *Table, rel *metadata.ArrayRelationship) (*Relationship, string) {
	u := rel.Using
	var out *Relationship
	var reason string
	switch {
	case u.ForeignKeyConstraintOn != nil:
		out, reason = r.remoteFK(t, u.ForeignKeyConstraintOn.Table, u.ForeignKeyConstraintOn.Columns)
	case u.ManualConfiguration != nil:
		out, reason = r.manual(t, u.ManualConfiguration)
	default:
		return nil, "the relationship has neither foreign_key_constraint_on nor manual_configuration"
	}
	if out != nil {
		out.Kind = ArrayRel
	}
	return out, reason
}

// remoteFK resolves a relationship through a foreign key on the remote
// table whose columns cols reference t.
func (r *resolver) remoteFK(t *Table, remote metadata.QualifiedTable, cols []string) (*Relationship, string) {
	target, reason := r.target(remote)
	if target == nil {
		return nil, reason
	}
	if reason := missingColumns(target.Catalog, remote, cols); reason != "" {
		return nil, reason
	}
	fk := target.Catalog.ForeignKeyOn(cols, &t.Name)
	if fk == nil {
		return nil, fmt.Sprintf("no foreign constraint exists on table %q on the given column(s) (%s) referencing table %q",
			displayName(remote), strings.Join(cols, ", "), displayName(t.Name))
	}
	out := &Relationship{Target: target}
	for i, c := range fk.Columns {
		out.Mapping = append(out.Mapping, ColumnPair{Source: fk.RefColumns[i], Target: c})
	}
	return out, ""
}

// manual resolves a manual_configuration relationship, mapping columns in
// the source table's column order.
func (r *resolver) manual(t *Table, m *metadata.ManualConfiguration) (*Relationship, string) {
	target, reason := r.target(m.RemoteTable)
	if target == nil {
		return nil, reason
	}
	if len(m.ColumnMapping) == 0 {
		return nil, "column_mapping is empty"
	}
	var src []string
	for s := range m.ColumnMapping {
		src = append(src, s)
	}
	sort.Slice(src, func(i, j int) bool {
		return colPos(t.Catalog, src[i]) < colPos(t.Catalog, src[j]) || colPos(t.Catalog, src[i]) == colPos(t.Catalog, src[j]) && src[i] < src[j]
	})
	if reason := missingColumns(t.Catalog, t.Name, src); reason != "" {
		return nil, reason
	}
	out := &Relationship{Target: target}
	var dst []string
	for _, s := range src {
		dst = append(dst, m.ColumnMapping[s])
		out.Mapping = append(out.Mapping, ColumnPair{Source: s, Target: m.ColumnMapping[s]})
	}
	if reason := missingColumns(target.Catalog, m.RemoteTable, dst); reason != "" {
		return nil, reason
	}
	return out, ""
}

// colPos is a column's ordinal position, or a large number if missing.
func colPos(t *catalog.Table, name string) int {
	if c := t.Column(name); c != nil {
		return c.Position
	}
	return 1 << 30
}

// missingColumns says which of cols t lacks, or "".
func missingColumns(t *catalog.Table, q metadata.QualifiedTable, cols []string) string {
	if len(cols) == 0 {
		return "no columns given"
	}
	for _, c := range cols {
		if t.Column(c) == nil {
			return fmt.Sprintf("column %q does not exist in table %q", c, displayName(q))
		}
	}
	return ""
}
