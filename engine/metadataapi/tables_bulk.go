package metadataapi

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/state"
)

// trackTables is pg_track_tables: {"tables": [<pg_track_table args>...],
// "allow_warnings": true}. The tables are tracked in one metadata change.
// With allow_warnings (the default) a table that cannot be tracked is left
// out and reported in the answer's "warnings"; without it the first such
// table fails the call and nothing is tracked. Malformed arguments always
// fail the call.
func trackTables(ctx context.Context, c *call) (any, error) {
	return tablesBatch(ctx, c, trackTable)
}

// untrackTables is pg_untrack_tables: {"tables": [<pg_untrack_table
// args>...], "allow_warnings": true}, like trackTables.
func untrackTables(ctx context.Context, c *call) (any, error) {
	return tablesBatch(ctx, c, untrackTable)
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

// tablesBatch parses every item of args.tables with one (each at
// "$.args.tables[i]") and applies them as one change.
func tablesBatch(ctx context.Context, c *call, one func(*call) (edit, *Error)) (any, error) {
	o, perr := newObject(c.args, c.path)
	if perr != nil {
		return nil, perr
	}
	var items []json.RawMessage
	if perr := o.req("tables", &items); perr != nil {
		return nil, perr
	}
	allowWarnings := true
	if perr := o.opt("allow_warnings", &allowWarnings); perr != nil {
		return nil, perr
	}
	if perr := o.done(); perr != nil {
		return nil, perr
	}
	edits := make([]edit, len(items))
	names := make([]target, len(items))
	for i, raw := range items {
		sub := &call{api: c.api, req: c.req, args: raw, path: fmt.Sprintf("%s.tables[%d]", c.path, i), base: c.base, cmds: c.cmds}
		e, perr := one(sub)
		if perr != nil {
			return nil, perr
		}
		edits[i] = e
		// The item parsed, so its table argument does too.
		to, _ := newObject(raw, sub.path)
		names[i], _ = to.tableArgs()
	}
	var warnings []tableWarning
	_, err := c.api.cfg.State.Apply(ctx, func(md *metadata.Metadata, cat *catalog.Catalog) error {
		warnings = warnings[:0]
		for i, e := range edits {
			err := e(md, cat)
			if err == nil {
				continue
			}
			if !allowWarnings {
				return err
			}
			apiErr := toAPIError(err, fmt.Sprintf("%s.tables[%d]", c.path, i))
			if apiErr.Status >= 500 {
				return err
			}
			warnings = append(warnings, tableWarning{Type: "table", Name: names[i].Table.Display(),
				Source: names[i].Source, Code: apiErr.Code, Message: apiErr.Message})
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
