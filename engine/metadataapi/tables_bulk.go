package metadataapi

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metaedit"
	"github.com/stratagql/strata/engine/state"
)

// tablesArgs are the arguments of pg_track_tables and pg_untrack_tables:
// {"tables": [<pg_(un)track_table args>...], "allow_warnings": true}.
type tablesArgs struct {
	Tables        []json.RawMessage `json:"tables" args:"required"`
	AllowWarnings bool              `json:"allow_warnings"`
}

// SetDefaults implements apiargs.Defaulter.
func (a *tablesArgs) SetDefaults() { a.AllowWarnings = true }

// trackTables is pg_track_tables. The tables are tracked in one metadata
// change. With allow_warnings (the default) a table that cannot be tracked
// is left out and reported in the answer's "warnings"; without it the
// first such table fails the call and nothing is tracked. Malformed
// arguments always fail the call.
func trackTables(ctx context.Context, c *call, a *tablesArgs) (any, error) {
	return tablesBatch(ctx, c, a, "pg_track_table")
}

// untrackTables is pg_untrack_tables, like trackTables.
func untrackTables(ctx context.Context, c *call, a *tablesArgs) (any, error) {
	return tablesBatch(ctx, c, a, "pg_untrack_table")
}

// tableWarning is a table left out by a batch with allow_warnings. (The
// shape is Strata's: the Hasura documentation found does not show it.)
type tableWarning struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Source  string `json:"source"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// tableEdit is a metaedit command on one table.
type tableEdit interface {
	metaedit.Edit
	Target() metaedit.TableRef
}

// tablesBatch decodes every item of a.tables as the arguments of command
// one (each at "$.args.tables[i]") and applies them as one change.
func tablesBatch(ctx context.Context, c *call, a *tablesArgs, one string) (any, error) {
	spec, _ := metaedit.Lookup(one, false)
	edits := make([]tableEdit, len(a.Tables))
	paths := make([]string, len(a.Tables))
	for i, raw := range a.Tables {
		paths[i] = fmt.Sprintf("%s.tables[%d]", c.path, i)
		e, ok := spec.Edit().(tableEdit)
		if !ok {
			return nil, fmt.Errorf("metadataapi: %s is not a table command", one)
		}
		if err := apiargs.Decode(raw, paths[i], e); err != nil {
			return nil, err
		}
		edits[i] = e
	}
	var warnings []tableWarning
	_, err := c.api.cfg.State.Apply(ctx, func(md *metadata.Metadata, cat *catalog.Catalog) error {
		warnings = warnings[:0]
		for i, e := range edits {
			err := at(e.Apply(md, cat), paths[i])
			if err == nil {
				continue
			}
			if !a.AllowWarnings {
				return err
			}
			apiErr := apiError(err, paths[i])
			if apiErr.HTTPStatus() >= 500 {
				return err
			}
			t := e.Target()
			warnings = append(warnings, tableWarning{Type: "table", Name: t.Table.Display(),
				Source: t.Source, Code: apiErr.Code, Message: apiErr.Message})
		}
		return nil
	}, state.ApplyOptions{ResourceVersion: c.req.ResourceVersion})
	if err != nil {
		return nil, err
	}
	if len(warnings) == 0 {
		return success, nil
	}
	return map[string]any{"message": "success", "warnings": warnings}, nil
}
