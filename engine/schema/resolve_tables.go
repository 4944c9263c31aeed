package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// resolver turns the default source's metadata into the resolved model,
// recording what does not match the catalogue.
type resolver struct {
	cat *catalog.Catalog
	out *Schema
	// typeNames and rootNames detect clashes between tables.
	typeNames map[string]metadata.QualifiedTable
	rootNames map[string]metadata.QualifiedTable
}

// resolveTables resolves every tracked table of src; the consistent ones
// end up in r.out.Tables.
func (r *resolver) resolveTables(src *metadata.Source) {
	for i := range src.Tables {
		mt := &src.Tables[i]
		t, reason := r.resolveTable(mt)
		if t == nil {
			r.inconsistent(tableInconsistency(mt.Table, reason))
			continue
		}
		if other, dup := r.out.TablesByName[mt.Table]; dup && other != nil {
			r.inconsistent(tableInconsistency(mt.Table,
				fmt.Sprintf("table %q is tracked more than once", displayName(mt.Table))))
			continue
		}
		if reason := r.claimNames(t); reason != "" {
			r.inconsistent(tableInconsistency(mt.Table, reason))
			continue
		}
		r.out.Tables = append(r.out.Tables, t)
		r.out.TablesByName[t.Name] = t
	}
}

// resolveTable builds a table's model, or returns the reason it cannot.
func (r *resolver) resolveTable(mt *metadata.Table) (*Table, string) {
	ct := r.cat.Table(mt.Table)
	if ct == nil {
		return nil, fmt.Sprintf("no such table/view exists in source: %q", displayName(mt.Table))
	}
	cfg := mt.Configuration
	if cfg == nil {
		cfg = &metadata.TableConfig{}
	}
	t := &Table{
		Name:         mt.Table,
		TypeName:     defaultTypeName(mt.Table),
		Catalog:      ct,
		IsEnum:       mt.IsEnum,
		FieldsByName: map[string]Field{},
		Metadata:     mt,
	}
	if cfg.CustomName != "" {
		t.TypeName = cfg.CustomName
	}
	if !IsGraphQLName(t.TypeName) {
		return nil, fmt.Sprintf("the table %q cannot be exposed because %q is not a valid GraphQL name; set a custom_name",
			displayName(mt.Table), t.TypeName)
	}
	switch {
	case cfg.Comment != nil:
		t.description = *cfg.Comment
	case ct.Comment != "":
		t.description = ct.Comment
	default:
		t.description = fmt.Sprintf("columns and relationships of %q", displayName(mt.Table))
	}
	if reason := r.rootFieldNames(t, cfg.CustomRootFields); reason != "" {
		return nil, reason
	}
	if reason := r.resolveColumns(t, ct, cfg); reason != "" {
		return nil, reason
	}
	if ct.PrimaryKey != nil {
		for _, name := range ct.PrimaryKey.Columns {
			c := t.column(name)
			if c == nil {
				t.PrimaryKey = nil
				break
			}
			t.PrimaryKey = append(t.PrimaryKey, c)
		}
	}
	return t, ""
}

// rootFieldNames sets the table's root field names from custom_root_fields
// or the defaults derived from its type name.
func (r *resolver) rootFieldNames(t *Table, c *metadata.CustomRootFields) string {
	t.selectName = t.TypeName
	t.byPkName = t.TypeName + "_by_pk"
	t.aggregateName = t.TypeName + "_aggregate"
	t.streamName = t.TypeName + "_stream"
	if c == nil {
		return ""
	}
	for _, o := range []struct {
		v    *metadata.RootFieldName
		name *string
		desc **string
	}{
		{c.Select, &t.selectName, &t.selectDesc},
		{c.SelectByPk, &t.byPkName, &t.byPkDesc},
		{c.SelectAggregate, &t.aggregateName, &t.aggregateDesc},
		{c.SelectStream, &t.streamName, nil},
	} {
		if o.v == nil {
			continue
		}
		if o.v.Name != "" {
			if !IsGraphQLName(o.v.Name) {
				return fmt.Sprintf("custom root field name %q of table %q is not a valid GraphQL name", o.v.Name, displayName(t.Name))
			}
			*o.name = o.v.Name
		}
		if o.desc != nil && o.v.Comment != nil {
			*o.desc = o.v.Comment
		}
	}
	return ""
}

// resolveColumns exposes the table's columns under their GraphQL names.
// Columns whose SQL name is no GraphQL name and that have no custom name
// are not exposed.
func (r *resolver) resolveColumns(t *Table, ct *catalog.Table, cfg *metadata.TableConfig) string {
	var unknown []string
	for name := range cfg.ColumnConfig {
		if ct.Column(name) == nil {
			unknown = append(unknown, name)
		}
	}
	for name := range cfg.CustomColumnNames {
		if ct.Column(name) == nil {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Sprintf("the following columns are not found in table %q: %s", displayName(t.Name), strings.Join(unknown, ", "))
	}
	for _, cc := range ct.Columns {
		field := cc.Name
		custom := false
		if n := cfg.CustomColumnNames[cc.Name]; n != "" {
			field, custom = n, true
		}
		colCfg, hasCfg := cfg.ColumnConfig[cc.Name]
		if hasCfg && colCfg.CustomName != "" {
			field, custom = colCfg.CustomName, true
		}
		if !IsGraphQLName(field) {
			if custom {
				return fmt.Sprintf("the custom name %q of column %q is not a valid GraphQL name", field, cc.Name)
			}
			continue
		}
		if _, dup := t.FieldsByName[field]; dup {
			return fmt.Sprintf("the column name %q of table %q is used more than once", field, displayName(t.Name))
		}
		kind := scalarFor(cc.Type)
		if !IsGraphQLName(kind.Name) {
			continue
		}
		c := &Column{
			Name:     cc.Name,
			Field:    field,
			Type:     cc.Type,
			Scalar:   kind.Name,
			Nullable: cc.Nullable,
			Catalog:  cc,
			kind:     kind,
		}
		switch {
		case hasCfg && colCfg.Comment != nil:
			c.description = *colCfg.Comment
		default:
			c.description = cc.Comment
		}
		t.Columns = append(t.Columns, c)
		t.FieldsByName[field] = Field{Column: c}
	}
	return ""
}

// claimNames reserves the table's GraphQL type and root field names,
// returning why it cannot when another table has them.
func (r *resolver) claimNames(t *Table) string {
	if other, ok := r.typeNames[t.TypeName]; ok {
		return fmt.Sprintf("the GraphQL type name %q of table %q conflicts with table %q", t.TypeName, displayName(t.Name), displayName(other))
	}
	roots := []string{t.selectName, t.aggregateName}
	if len(t.PrimaryKey) > 0 {
		roots = append(roots, t.byPkName)
	}
	for _, n := range roots {
		if other, ok := r.rootNames[n]; ok {
			return fmt.Sprintf("the root field name %q of table %q conflicts with table %q", n, displayName(t.Name), displayName(other))
		}
	}
	r.typeNames[t.TypeName] = t.Name
	for _, n := range roots {
		r.rootNames[n] = t.Name
	}
	return ""
}

// column returns the exposed column with the SQL name, or nil.
func (t *Table) column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Column returns the exposed column with the SQL name, or nil.
func (t *Table) Column(name string) *Column { return t.column(name) }
