package state

import (
	"fmt"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
)

// missingTables reports tracked tables of the default source that are not
// in the catalogue. The schema builder reports these (and much more) too;
// this baseline guarantees that a table dropped behind metadata's back is
// always seen, whichever builder is plugged in.
func missingTables(md *metadata.Metadata, cat *catalog.Catalog) []metadata.Inconsistency {
	src := md.Source(metadata.DefaultSource)
	if src == nil || cat == nil {
		return nil
	}
	var out []metadata.Inconsistency
	for i := range src.Tables {
		t := src.Tables[i]
		if cat.Table(t.Table) != nil {
			continue
		}
		q := t.Table
		out = append(out, metadata.Inconsistency{
			Source:     src.Name,
			Kind:       metadata.KindTable,
			Table:      &q,
			Reason:     fmt.Sprintf("Inconsistent object: no such table/view exists in source: %q", q.Display()),
			Definition: t,
		})
	}
	return out
}

// inconsistencies merges what the builder reported with the baseline,
// each object once (keyed by type and name, the builder's entry winning).
func inconsistencies(md *metadata.Metadata, cat *catalog.Catalog, s *schema.Schema) []metadata.Inconsistency {
	out := append([]metadata.Inconsistency(nil), s.Inconsistencies...)
	seen := map[string]bool{}
	for _, i := range out {
		seen[i.Key()] = true
	}
	for _, i := range missingTables(md, cat) {
		if !seen[i.Key()] {
			out = append(out, i)
		}
	}
	if out == nil {
		out = []metadata.Inconsistency{}
	}
	return out
}

// added returns the objects of after that are not in before.
func added(before, after []metadata.Inconsistency) []metadata.Inconsistency {
	seen := map[string]bool{}
	for _, i := range before {
		seen[i.Key()] = true
	}
	var out []metadata.Inconsistency
	for _, i := range after {
		if !seen[i.Key()] {
			out = append(out, i)
		}
	}
	return out
}
