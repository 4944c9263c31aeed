package metadataapi

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metaedit"
	"github.com/stratagql/strata/engine/state"
)

// exportMetadata is export_metadata (arguments ignored); version 2 wraps
// the document with its resource_version.
func exportMetadata(_ context.Context, c *call, _ *apiargs.Ignored) (any, error) {
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

// replaceV2 are replace_metadata's version 2 arguments.
type replaceV2 struct {
	AllowInconsistent bool            `json:"allow_inconsistent_metadata"`
	AllowWarnings     apiargs.Ignored `json:"allow_warnings"`
	Metadata          json.RawMessage `json:"metadata" args:"required"`
}

// replaceMetadata is replace_metadata (v1: args are the document; v2:
// {allow_inconsistent_metadata, metadata}).
func replaceMetadata(ctx context.Context, c *call) (any, error) {
	m, err := apiargs.Object(c.args, c.path)
	if err != nil {
		return nil, err
	}
	has := func(k string) bool { v, ok := m[k]; return ok && !apiargs.IsNull(v) }
	doc, path := c.args, c.path
	var allow bool
	v2 := c.req.Version == 2 || (has("metadata") && !has("version") && !has("sources"))
	if v2 {
		var a replaceV2
		if err := apiargs.Decode(c.args, c.path, &a); err != nil {
			return nil, err
		}
		doc, path, allow = a.Metadata, c.path+".metadata", a.AllowInconsistent
	}
	var md metadata.Metadata
	if err := apiargs.Value(doc, path, &md); err != nil {
		return nil, err
	}
	if md.Version == 0 {
		md.Version = metadata.Version
	}
	if md.Version != metadata.Version {
		return nil, apiargs.ParseFailed(path+".version", "unsupported metadata version %d (expected %d)", md.Version, metadata.Version)
	}
	snap, aerr := c.api.cfg.State.Apply(ctx, func(cur *metadata.Metadata, _ *catalog.Catalog) error {
		*cur = md
		return nil
	}, state.ApplyOptions{ResourceVersion: c.req.ResourceVersion, AllowInconsistent: allow, Replace: true})
	if inc := (*state.InconsistentError)(nil); errors.As(aerr, &inc) {
		return nil, apiError(aerr, c.path)
	}
	if aerr != nil {
		return nil, aerr
	}
	if !snap.Consistent() && v2 {
		return inconsistencyReport(snap), nil
	}
	return success, nil
}

func inconsistencyReport(snap *state.Snapshot) map[string]any {
	return map[string]any{"is_consistent": snap.Consistent(), "inconsistent_objects": snap.Inconsistencies}
}

// reloadArgs are reload_metadata's arguments, accepted and unused: the
// catalogue and metadata are always read again.
type reloadArgs struct {
	RemoteSchemas apiargs.Ignored `json:"reload_remote_schemas"`
	Sources       apiargs.Ignored `json:"reload_sources"`
	EventTriggers apiargs.Ignored `json:"recreate_event_triggers"`
}

// reloadMetadata is reload_metadata.
func reloadMetadata(ctx context.Context, c *call, _ *reloadArgs) (any, error) {
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

// getInconsistentMetadata is get_inconsistent_metadata (arguments ignored).
func getInconsistentMetadata(_ context.Context, c *call, _ *apiargs.Ignored) (any, error) {
	return inconsistencyReport(c.api.cfg.State.Current()), nil
}

// dropInconsistentMetadata is drop_inconsistent_metadata (arguments
// ignored): it removes every object the current snapshot reports as
// inconsistent.
func dropInconsistentMetadata(ctx context.Context, c *call, _ *apiargs.Ignored) (any, error) {
	incs := c.api.cfg.State.Current().Inconsistencies
	_, err := c.api.cfg.State.Apply(ctx, func(md *metadata.Metadata, _ *catalog.Catalog) error {
		metaedit.DropInconsistent(md, incs)
		return nil
	}, state.ApplyOptions{ResourceVersion: c.req.ResourceVersion, AllowInconsistent: true})
	if err != nil {
		return nil, err
	}
	return success, nil
}
