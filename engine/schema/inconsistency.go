package schema

import (
	"fmt"

	"github.com/stratagql/strata/engine/metadata"
)

// inconsistent records a metadata object left out of the schema.
func (r *resolver) inconsistent(kind, name, reason string, def any) {
	r.out.Inconsistencies = append(r.out.Inconsistencies, metadata.Inconsistency{
		Type:       kind,
		Name:       name,
		Reason:     "Inconsistent object: " + reason,
		Definition: def,
	})
}

// tableObjectName names a table as get_inconsistent_metadata does.
func tableObjectName(q metadata.QualifiedTable) string {
	return fmt.Sprintf("table %s in source %s", displayName(q), metadata.DefaultSource)
}

// fieldObjectName names an object attached to a table, e.g.
// "array_relation articles in table author in source default".
func fieldObjectName(kind, name string, q metadata.QualifiedTable) string {
	return fmt.Sprintf("%s %s in table %s in source %s", kind, name, displayName(q), metadata.DefaultSource)
}

// relDefinition is a relationship's definition as Hasura reports it.
func relDefinition(q metadata.QualifiedTable, name string, using any, comment *string) map[string]any {
	return map[string]any{
		"name":    name,
		"source":  metadata.DefaultSource,
		"comment": comment,
		"table":   q,
		"using":   using,
	}
}
