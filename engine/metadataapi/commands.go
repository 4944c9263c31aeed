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

// runCmd declares a command that is not a metadata edit: newArgs makes
// its arguments, which are decoded before run.
func runCmd[A any](newArgs func() A, run func(ctx context.Context, c *call, a A) (any, error)) command {
	return command{run: func(ctx context.Context, c *call) (any, error) {
		a := newArgs()
		if err := c.decode(a); err != nil {
			return nil, err
		}
		return run(ctx, c, a)
	}}
}

// args returns fresh zero arguments of type A.
func args[A any]() *A { return new(A) }

// answer serves a read-only metaedit command on the current snapshot.
func answer(_ context.Context, c *call, a metaedit.Read) (any, error) {
	snap := c.api.cfg.State.Current()
	res, err := a.Answer(snap.Metadata, snap.Catalog)
	return res, at(err, c.path)
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
			cmd = runCmd(s.Read, answer)
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
		"export_metadata":            runCmd(args[apiargs.Ignored], exportMetadata),
		"replace_metadata":           {run: replaceMetadata},
		"reload_metadata":            runCmd(args[reloadArgs], reloadMetadata),
		"get_inconsistent_metadata":  runCmd(args[apiargs.Ignored], getInconsistentMetadata),
		"drop_inconsistent_metadata": runCmd(args[apiargs.Ignored], dropInconsistentMetadata),
		"bulk":                       {run: bulk},
	} {
		metadataCommands.byName[name] = cmd
		v1QueryCommands.byName[name] = cmd
	}
	metadataCommands.byName["pg_track_tables"] = runCmd(args[tablesArgs], trackTables)
	metadataCommands.byName["pg_untrack_tables"] = runCmd(args[tablesArgs], untrackTables)
	metadataCommands.byName["bulk_keep_going"] = command{run: bulkKeepGoing}

	sql := runCmd(args[runsql.Args], runSQL)
	v1QueryCommands.byName["run_sql"] = sql
	v2QueryCommands.byName["run_sql"] = sql
	v2QueryCommands.byName["pg_run_sql"] = sql
	v2QueryCommands.byName["bulk"] = command{run: bulk}
	for name, newArgs := range dataapi.Commands() {
		v1QueryCommands.byName[name] = runCmd(newArgs, runData)
		v2QueryCommands.byName[name] = runCmd(newArgs, runData)
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

// runData runs a legacy data command (engine/dataapi) through
// Config.GraphQL.
func runData(ctx context.Context, c *call, a dataapi.Command) (any, error) {
	res, err := dataapi.Run(ctx, c.api.cfg.State.Current().Schema, c.api.cfg.GraphQL, a)
	if errors.Is(err, dataapi.ErrDisabled) {
		return nil, hasuraerr.New(hasuraerr.CodeNotSupported, c.base, "%q is not available: the GraphQL API is disabled", c.req.Type)
	}
	return res, at(err, c.path)
}
