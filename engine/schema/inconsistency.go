package schema

import (
	"github.com/stratagql/strata/engine/metadata"
)

// inconsistent records a metadata object left out of the schema; inc's
// Reason is prefixed with Hasura's "Inconsistent object: ".
func (r *resolver) inconsistent(inc metadata.Inconsistency) {
	if inc.Table != nil && inc.Source == "" {
		inc.Source = metadata.DefaultSource
	}
	inc.Reason = "Inconsistent object: " + inc.Reason
	r.out.Inconsistencies = append(r.out.Inconsistencies, inc)
}

// tableInconsistency is a table left out for reason.
func tableInconsistency(q metadata.QualifiedTable, reason string) metadata.Inconsistency {
	return metadata.Inconsistency{Kind: metadata.KindTable, Table: &q, Reason: reason, Definition: q}
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
