package metadataapi

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/state"
)

// exportMetadata is export_metadata; version 2 wraps the document with
// its resource_version.
func exportMetadata(_ context.Context, c *call) (any, error) {
	snap := c.api.cfg.State.Current()
	doc := json.RawMessage(snap.Metadata.JSON())
	if c.req.Version == 2 {
		return struct {
			ResourceVersion int64           `json:"resource_version"`
			Metadata        json.RawMessage `json:"metadata"`
		}{snap.ResourceVersion, doc}, nil
	}
	return doc, nil
}

// replaceMetadata is replace_metadata (v1: args are the document; v2:
// {allow_inconsistent_metadata, metadata}).
func replaceMetadata(ctx context.Context, c *call) (any, error) {
	o, perr := newObject(c.args, c.path)
	if perr != nil {
		return nil, perr
	}
	doc, path := c.args, c.path
	allow, v2 := false, c.req.Version == 2 || (o.has("metadata") && !o.has("version") && !o.has("sources"))
	if v2 {
		if err := o.opt("allow_inconsistent_metadata", &allow); err != nil {
			return nil, err
		}
		o.ignore("allow_warnings")
		doc, path = o.raw("metadata"), c.path+".metadata"
		if doc == nil {
			return nil, parseFailed(c.path, "key %q not found", "metadata")
		}
		if err := o.done(); err != nil {
			return nil, err
		}
	}
	var md metadata.Metadata
	if err := decode(doc, path, &md); err != nil {
		return nil, err
	}
	if md.Version == 0 {
		md.Version = metadata.Version
	}
	if md.Version != metadata.Version {
		return nil, parseFailed(path+".version", "unsupported metadata version %d (expected %d)", md.Version, metadata.Version)
	}
	snap, err := c.api.cfg.State.Apply(ctx, func(cur *metadata.Metadata, _ *catalog.Catalog) error {
		*cur = md
		return nil
	}, state.ApplyOptions{ResourceVersion: c.req.ResourceVersion, AllowInconsistent: allow, Replace: true})
	if inc := (*state.InconsistentError)(nil); errors.As(err, &inc) {
		return nil, toAPIError(err, c.path)
	}
	if err != nil {
		return nil, err
	}
	if !snap.Consistent() && v2 {
		return inconsistencyReport(snap), nil
	}
	return success, nil
}

func inconsistencyReport(snap *state.Snapshot) map[string]any {
	return map[string]any{"is_consistent": snap.Consistent(), "inconsistent_objects": snap.Inconsistencies}
}

// clearMetadata is clear_metadata: everything goes but the default
// source's connection.
func clearMetadata(c *call) (edit, *Error) {
	return func(md *metadata.Metadata, _ *catalog.Catalog) error {
		fresh := metadata.Empty()
		if def := md.Source(metadata.DefaultSource); def != nil {
			src := fresh.Source(metadata.DefaultSource)
			src.Kind, src.Configuration = def.Kind, def.Configuration
		}
		*md = *fresh
		return nil
	}, nil
}

// reloadMetadata is reload_metadata.
func reloadMetadata(ctx context.Context, c *call) (any, error) {
	o, perr := newObject(c.args, c.path)
	if perr != nil {
		return nil, perr
	}
	o.ignore("reload_remote_schemas", "reload_sources", "recreate_event_triggers")
	if err := o.done(); err != nil {
		return nil, err
	}
	snap, err := c.api.cfg.State.Reload(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"message": "success", "is_consistent": snap.Consistent()}
	if !snap.Consistent() {
		out["inconsistent_objects"] = snap.Inconsistencies
	}
	return out, nil
}

// getInconsistentMetadata is get_inconsistent_metadata.
func getInconsistentMetadata(_ context.Context, c *call) (any, error) {
	return inconsistencyReport(c.api.cfg.State.Current()), nil
}

// dropInconsistentMetadata is drop_inconsistent_metadata: it removes
// every object the current snapshot reports as inconsistent.
func dropInconsistentMetadata(ctx context.Context, c *call) (any, error) {
	incs := c.api.cfg.State.Current().Inconsistencies
	_, err := c.api.cfg.State.Apply(ctx, func(md *metadata.Metadata, _ *catalog.Catalog) error {
		for _, i := range incs {
			dropInconsistent(md, i)
		}
		return nil
	}, state.ApplyOptions{ResourceVersion: c.req.ResourceVersion, AllowInconsistent: true})
	if err != nil {
		return nil, err
	}
	return success, nil
}
