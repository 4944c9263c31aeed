// Package enginereport is the engine's half of the status back-channel to
// the operator: an engine serving a metadata ConfigMap reports, on the
// status of the GraphQLEngine that owns the ConfigMap, which metadata it
// serves (status.servedMetadataVersion, the sha256 the operator published)
// and which objects of it are inconsistent with the database
// (status.engineInconsistencies). The operator's metadata controller turns
// that into the Ready condition of each Table and Permission. The engine's
// Role allows exactly this: patch on its own GraphQLEngine's status
// subresource.
//
// It lives outside engine/ because it writes the API types: the engine never
// imports api/ or controllers/. `strata engine --metadata-configmap` wires it
// in with app.WithBackground(enginereport.Run).
package enginereport

import (
	"sort"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/engine/metadata"
)

const (
	// FieldManager is the server-side apply field manager of the engine's
	// status reports. Every pod of an engine uses it, so the last report
	// wins; all pods converge on the same metadata.
	FieldManager = "strata-engine"
	// maxReportedInconsistencies is the most inconsistencies listed (the
	// API's limit); engineInconsistencyCount has the total.
	maxReportedInconsistencies = 256
	// maxReasonLength is the API's limit on a reported reason.
	maxReasonLength = 1024
	// maxNameLength is the API's limit on a reported name.
	maxNameLength = 256
)

// Status is the part of GraphQLEngineStatus the engine owns. Every field is
// always sent so that the engine keeps owning it, except that empty lists are
// left out (which removes them).
type Status struct {
	ServedMetadataVersion    string                           `json:"servedMetadataVersion"`
	EngineInconsistencies    []v1alpha1.MetadataInconsistency `json:"engineInconsistencies,omitempty"`
	EngineInconsistencyCount int32                            `json:"engineInconsistencyCount"`
}

// StatusOf builds the engine's status report for metadata hash and its
// inconsistencies, sorted and capped to the API's limits.
func StatusOf(hash string, inc []metadata.Inconsistency) Status {
	list := make([]v1alpha1.MetadataInconsistency, 0, len(inc))
	for _, i := range inc {
		list = append(list, Inconsistency(i))
	}
	sort.Slice(list, func(a, b int) bool {
		x, y := list[a], list[b]
		if x.Type != y.Type {
			return x.Type < y.Type
		}
		if tx, ty := qualified(x.Table), qualified(y.Table); tx != ty {
			return tx < ty
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.Reason < y.Reason
	})
	r := Status{ServedMetadataVersion: hash, EngineInconsistencyCount: int32(len(list))}
	if len(list) > maxReportedInconsistencies {
		list = list[:maxReportedInconsistencies]
	}
	if len(list) > 0 {
		r.EngineInconsistencies = list
	}
	return r
}

func qualified(q *v1alpha1.QualifiedName) string {
	if q == nil {
		return ""
	}
	return q.Schema + "." + q.Name
}

// Inconsistency turns an inconsistency into its API form: the table it
// belongs to and its name within the table (the relationship or computed
// field, or the role of a permission). It reads the structured fields; it
// never parses a rendered message.
func Inconsistency(i metadata.Inconsistency) v1alpha1.MetadataInconsistency {
	out := v1alpha1.MetadataInconsistency{Type: i.Kind, Reason: truncate(i.Reason, maxReasonLength)}
	if i.Table != nil {
		out.Table = &v1alpha1.QualifiedName{Schema: i.Table.Schema, Name: i.Table.Name}
		if out.Table.Schema == "" {
			out.Table.Schema = "public"
		}
	}
	if i.IsPermission() {
		out.Name = truncate(i.Role, maxNameLength)
	} else if i.Kind != metadata.KindTable && i.Table != nil {
		out.Name = truncate(i.Name, maxNameLength)
	}
	return out
}

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	n -= len(ellipsis)
	for n > 0 && s[n]&0xC0 == 0x80 { // not in the middle of a rune
		n--
	}
	return s[:n] + ellipsis
}
