package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stratagql/strata/engine/catalog"
)

// resolveEnumTables validates the is_enum tables against Hasura's rules
// and their loaded values; tables that fail are removed.
func (r *resolver) resolveEnumTables() {
	kept := r.out.Tables[:0]
	for _, t := range r.out.Tables {
		if t.IsEnum {
			if reason := r.resolveEnumTable(t); reason != "" {
				r.inconsistent(tableInconsistency(t.Name,
					fmt.Sprintf("the table %q cannot be used as an enum because %s", displayName(t.Name), reason)))
				delete(r.out.TablesByName, t.Name)
				continue
			}
		}
		kept = append(kept, t)
	}
	r.out.Tables = kept
}

// resolveEnumTable checks one enum table and attaches its values.
func (r *resolver) resolveEnumTable(t *Table) string {
	value, _, reason, ok := catalog.EnumShape(t.Catalog)
	if !ok {
		return reason
	}
	if t.column(value.Name) == nil {
		return fmt.Sprintf("its primary key column %q is not exposed", value.Name)
	}
	values, loaded := r.cat.EnumValues[t.Name]
	if !loaded {
		return "its values were not loaded from the database"
	}
	if len(values) == 0 {
		return "the table has no rows"
	}
	var bad []string
	for _, v := range values {
		if !IsGraphQLName(v.Value) || v.Value == "true" || v.Value == "false" || v.Value == "null" {
			bad = append(bad, fmt.Sprintf("%q", v.Value))
		}
	}
	if len(bad) > 0 {
		return "the following values in the table are not valid GraphQL enum value names: " + strings.Join(bad, ", ")
	}
	sorted := append([]catalog.EnumValue(nil), values...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Value < sorted[j].Value })
	t.EnumValues = sorted
	t.EnumTypeName = t.TypeName + "_enum"
	return ""
}

// resolveEnumReferences gives each column that is the only column of a
// foreign key to an enum table's primary key that table's enum type.
func (r *resolver) resolveEnumReferences() {
	for _, t := range r.out.Tables {
		for _, fk := range t.Catalog.ForeignKeys {
			if len(fk.Columns) != 1 {
				continue
			}
			target := r.out.TablesByName[fk.RefTable]
			if target == nil || !target.IsEnum || len(target.PrimaryKey) != 1 || target.PrimaryKey[0].Name != fk.RefColumns[0] {
				continue
			}
			c := t.column(fk.Columns[0])
			if c == nil {
				continue
			}
			c.EnumTable = target
			c.Scalar = target.EnumTypeName
		}
	}
}
