package metadataapi

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/state"
)

// bulk runs a list of requests. When every item is a metadata edit they
// are applied as one change: all or nothing. Otherwise items run in order
// and the first failure stops the rest.
func bulk(ctx context.Context, c *call) (any, error) {
	items, err := bulkItems(c)
	if err != nil {
		return nil, err
	}
	changes := make([]state.ChangeFunc, 0, len(items))
	for i, raw := range items {
		item, cmd, err := c.api.newCall(c.cmds, raw, fmt.Sprintf("%s[%d]", c.path, i))
		if err != nil {
			return nil, err
		}
		if cmd.edit == nil {
			changes = nil
			break
		}
		change, err := item.edit(cmd.edit)
		if err != nil {
			return nil, err
		}
		changes = append(changes, change)
	}
	results := make([]any, 0, len(items))
	if changes != nil {
		_, err := c.api.cfg.State.Apply(ctx, func(md *metadata.Metadata, cat *catalog.Catalog) error {
			for _, change := range changes {
				if err := change(md, cat); err != nil {
					return err
				}
			}
			return nil
		}, state.ApplyOptions{ResourceVersion: c.req.ResourceVersion})
		if err != nil {
			return nil, err
		}
		for range changes {
			results = append(results, success)
		}
		return results, nil
	}
	if err := c.checkVersion(); err != nil {
		return nil, err
	}
	for i, raw := range items {
		res, err := c.api.dispatch(ctx, c.cmds, raw, fmt.Sprintf("%s[%d]", c.path, i))
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	return results, nil
}

// bulkKeepGoing runs every item on its own and reports each outcome.
func bulkKeepGoing(ctx context.Context, c *call) (any, error) {
	items, err := bulkItems(c)
	if err != nil {
		return nil, err
	}
	if err := c.checkVersion(); err != nil {
		return nil, err
	}
	results := make([]any, 0, len(items))
	for i, raw := range items {
		base := fmt.Sprintf("%s[%d]", c.path, i)
		res, err := c.api.dispatch(ctx, c.cmds, raw, base)
		if err != nil {
			e := apiError(err, base)
			if e.HTTPStatus() >= 500 {
				c.api.log.Error("bulk_keep_going item failed", "index", i, "error", err)
			}
			results = append(results, e.REST())
			continue
		}
		results = append(results, res)
	}
	return results, nil
}

// bulkItems reads bulk's arguments: a list of requests.
func bulkItems(c *call) ([]json.RawMessage, error) {
	if k := apiargs.Kind(c.args); k != "Array" {
		return nil, apiargs.ParseFailed(c.path, "expected Array, but encountered %s", k)
	}
	var items []json.RawMessage
	if err := apiargs.Decode(c.args, c.path, &items); err != nil {
		return nil, err
	}
	return items, nil
}

// checkVersion rejects a request whose resource_version is not current
// (for requests that do not go through a single Apply).
func (c *call) checkVersion() error {
	if rv := c.req.ResourceVersion; rv != nil && *rv != c.api.cfg.State.Current().ResourceVersion {
		return &state.ConflictError{Referenced: *rv}
	}
	return nil
}
