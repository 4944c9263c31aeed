package metadataapi

import (
	"context"
	"errors"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/dataapi"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metaedit"
	"github.com/stratagql/strata/engine/runsql"
)

// command is one request type: a metadata edit (which composes atomically
// in bulk) or anything else.
type command struct {
	// edit returns fresh arguments of a metaedit command.
	edit func() metaedit.Edit
	// run serves any other command.
	run func(ctx context.Context, c *call) (any, error)
}

// commands are the request types of one endpoint.
type commands struct {
	byName map[string]command
	// metadata is true for /v1/metadata, whose unknown-type error differs.
	metadata bool
}

func (cs *commands) unknown(typ, base string) *hasuraerr.Error {
	if cs.metadata {
		return hasuraerr.New(hasuraerr.CodeBadRequest, base, "unknown metadata command %q", typ)
	}
	return apiargs.ParseFailed(base, "unknown query type %q", typ)
}

// withArgs declares a command whose arguments A are decoded before run.
func withArgs[A any](run func(ctx context.Context, c *call, a *A) (any, error)) command {
	return command{run: func(ctx context.Context, c *call) (any, error) {
		a := new(A)
		if err := apiargs.Decode(c.args, c.path, a); err != nil {
			return nil, err
		}
		return run(ctx, c, a)
	}}
}

// read serves a read-only metaedit command on the current snapshot.
func read(newArgs func() metaedit.Read) command {
	return command{run: func(_ context.Context, c *call) (any, error) {
		args := newArgs()
		if err := apiargs.Decode(c.args, c.path, args); err != nil {
			return nil, err
		}
		snap := c.api.cfg.State.Current()
		res, err := args.Answer(snap.Metadata, snap.Catalog)
		return res, at(err, c.path)
	}}
}

var (
	// metadataCommands are the request types of POST /v1/metadata.
	metadataCommands = &commands{byName: map[string]command{}, metadata: true}
	// v1QueryCommands are the legacy request types of POST /v1/query.
	v1QueryCommands = &commands{byName: map[string]command{}}
	// v2QueryCommands are the request types of POST /v2/query.
	v2QueryCommands = &commands{byName: map[string]command{}}
)

func init() {
	for _, s := range metaedit.Specs() {
		cmd := command{edit: s.Edit}
		if s.Read != nil {
			cmd = read(s.Read)
		}
		if s.Name != "" {
			metadataCommands.byName[s.Name] = cmd
		}
		if s.Legacy != "" {
			v1QueryCommands.byName[s.Legacy] = cmd
		}
	}
	// Commands that need the running engine, on both endpoints.
	for name, cmd := range map[string]command{
		"export_metadata":            withArgs(exportMetadata),
		"replace_metadata":           {run: replaceMetadata},
		"reload_metadata":            withArgs(reloadMetadata),
		"get_inconsistent_metadata":  withArgs(getInconsistentMetadata),
		"drop_inconsistent_metadata": withArgs(dropInconsistentMetadata),
		"bulk":                       {run: bulk},
	} {
		metadataCommands.byName[name] = cmd
		v1QueryCommands.byName[name] = cmd
	}
	metadataCommands.byName["pg_track_tables"] = withArgs(trackTables)
	metadataCommands.byName["pg_untrack_tables"] = withArgs(untrackTables)
	metadataCommands.byName["bulk_keep_going"] = command{run: bulkKeepGoing}

	v1QueryCommands.byName["run_sql"] = withArgs(runSQL)
	v2QueryCommands.byName["run_sql"] = withArgs(runSQL)
	v2QueryCommands.byName["pg_run_sql"] = withArgs(runSQL)
	v2QueryCommands.byName["bulk"] = command{run: bulk}
	for name, cmd := range dataCommands() {
		v1QueryCommands.byName[name] = cmd
		v2QueryCommands.byName[name] = cmd
	}
}

// runSQL is run_sql (engine/runsql).
func runSQL(ctx context.Context, c *call, a *runsql.Args) (any, error) {
	res, err := c.api.runSQL.Run(ctx, a, c.path)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// dataCommands are the legacy data commands (engine/dataapi), answered
// through Config.GraphQL.
func dataCommands() map[string]command {
	out := map[string]command{}
	for name, newArgs := range dataapi.Commands() {
		out[name] = command{run: func(ctx context.Context, c *call) (any, error) {
			args := newArgs()
			if err := apiargs.Decode(c.args, c.path, args); err != nil {
				return nil, err
			}
			res, err := dataapi.Run(ctx, c.api.cfg.State.Current().Schema, c.api.cfg.GraphQL, args)
			if errors.Is(err, dataapi.ErrDisabled) {
				return nil, hasuraerr.New(hasuraerr.CodeNotSupported, c.base, "%q is not available: the GraphQL API is disabled", c.req.Type)
			}
			return res, at(err, c.path)
		}}
	}
	return out
}
