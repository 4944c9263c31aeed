package metadataapi

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/state"
)

// bulk runs a list of requests. When every item is a metadata edit they
// are applied as one change: all or nothing. Otherwise items run in order
// and the first failure stops the rest.
func bulk(ctx context.Context, c *call) (any, error) {
	items, perr := bulkItems(c)
	if perr != nil {
		return nil, perr
	}
	edits := make([]edit, 0, len(items))
	for i, raw := range items {
		base := fmt.Sprintf("%s[%d]", c.path, i)
		req, perr := parseRequest(raw, base)
		if perr != nil {
			return nil, perr
		}
		cmd, ok := c.cmds[req.Type]
		if !ok {
			return nil, unknownType(c.cmds, req.Type, base)
		}
		if cmd.edit == nil {
			edits = nil
			break
		}
		e, perr := cmd.edit(&call{api: c.api, req: req, args: req.Args, path: base + ".args", base: base, cmds: c.cmds})
		if perr != nil {
			return nil, perr
		}
		edits = append(edits, e)
	}
	results := make([]any, 0, len(items))
	if edits != nil {
		_, err := c.api.cfg.State.Apply(ctx, func(md *metadata.Metadata, cat *catalog.Catalog) error {
			for _, e := range edits {
				if err := e(md, cat); err != nil {
					return err
				}
			}
			return nil
		}, state.ApplyOptions{ResourceVersion: c.req.ResourceVersion})
		if err != nil {
			return nil, err
		}
		for range edits {
			results = append(results, success)
		}
		return results, nil
	}
	if perr := c.checkVersion(); perr != nil {
		return nil, perr
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
	items, perr := bulkItems(c)
	if perr != nil {
		return nil, perr
	}
	if perr := c.checkVersion(); perr != nil {
		return nil, perr
	}
	results := make([]any, 0, len(items))
	for i, raw := range items {
		base := fmt.Sprintf("%s[%d]", c.path, i)
		res, err := c.api.dispatch(ctx, c.cmds, raw, base)
		if err != nil {
			e := toAPIError(err, base)
			if e.Status >= 500 {
				c.api.log.Error("bulk_keep_going item failed", "index", i, "error", err)
			}
			results = append(results, e.body())
			continue
		}
		results = append(results, res)
	}
	return results, nil
}

func bulkItems(c *call) ([]json.RawMessage, *Error) {
	if jsonKind(c.args) != "Array" {
		return nil, parseFailed(c.path, "expected Array, but encountered %s", jsonKind(c.args))
	}
	var items []json.RawMessage
	if err := decode(c.args, c.path, &items); err != nil {
		return nil, err
	}
	return items, nil
}

// checkVersion rejects a request whose resource_version is not current
// (for requests that do not go through a single Apply).
func (c *call) checkVersion() *Error {
	if rv := c.req.ResourceVersion; rv != nil && *rv != c.api.cfg.State.Current().ResourceVersion {
		return toAPIError(&state.ConflictError{Referenced: *rv}, "$")
	}
	return nil
}
