// Package metadataapi serves Hasura v2's admin APIs over the engine state:
// POST /v1/metadata, the legacy POST /v1/query and POST /v2/query. It is
// the HTTP edge and the dispatcher: it reads a request's envelope
// ({"type", "args", "version", "resource_version"}), routes the command,
// runs bulk and bulk_keep_going, checks resource_version and writes
// Hasura's answers and errors (*hasuraerr.Error rendered as REST).
//
// The commands themselves live elsewhere, each a declared (name, arguments
// struct, function) entry: the metadata edits and read-only commands in
// engine/metaedit (pure functions of metadata and catalogue), run_sql in
// engine/runsql and the legacy data commands (select, count, insert,
// update, delete) in engine/dataapi. Every command's arguments are decoded
// by engine/apiargs, strictly and with Hasura's "$.args.x" error paths.
// The commands that need the running engine — export, replace and reload
// of metadata and the inconsistency reports (manage.go), pg_track_tables
// and pg_untrack_tables (tables_bulk.go) — are here; commands.go lists
// what each endpoint serves.
//
// A new metadata command is one file in engine/metaedit (see its package
// comment); it is served here without change.
package metadataapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metaedit"
	"github.com/stratagql/strata/engine/runsql"
	"github.com/stratagql/strata/engine/server"
	"github.com/stratagql/strata/engine/state"
)

// DefaultMaxBodyBytes bounds a request body unless Config says otherwise
// (metadata documents can be large).
const DefaultMaxBodyBytes = 64 << 20

// Config is what the API needs.
type Config struct {
	// State is the engine state the API reads and changes.
	State *state.Manager
	// DB runs run_sql; it must reach the default source's database.
	DB *pgxpool.Pool
	// IsAdmin tells whether a request carries the admin role; nil treats
	// every request as admin.
	IsAdmin func(*http.Request) bool
	// GraphQL runs a GraphQL query as admin and returns the response body;
	// the data commands (select, count, insert, update, delete) are
	// answered through it. Nil disables them.
	GraphQL func(ctx context.Context, query string, vars map[string]any) []byte
	// MaxBodyBytes bounds a request body; a larger one is refused with
	// 413. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives internal errors; nil means slog.Default().
	Logger *slog.Logger
}

// API serves the metadata and schema endpoints.
type API struct {
	cfg    Config
	log    *slog.Logger
	runSQL *runsql.Runner
}

// New returns the API.
func New(cfg Config) (*API, error) {
	if cfg.State == nil || cfg.DB == nil {
		return nil, errors.New("metadataapi: Config needs State and DB")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return &API{cfg: cfg, log: cfg.Logger, runSQL: &runsql.Runner{DB: cfg.DB, State: cfg.State}}, nil
}

// Metadata serves POST /v1/metadata.
func (a *API) Metadata() http.Handler { return a.endpoint(metadataCommands) }

// Query serves the legacy POST /v1/query.
func (a *API) Query() http.Handler { return a.endpoint(v1QueryCommands) }

// V2Query serves POST /v2/query.
func (a *API) V2Query() http.Handler { return a.endpoint(v2QueryCommands) }

// request is the envelope {"type", "args", "version", "resource_version"}.
type request struct {
	Type            string          `json:"type" args:"required"`
	Version         int             `json:"version"`
	ResourceVersion *int64          `json:"resource_version"`
	Args            json.RawMessage `json:"args"`
	// Other keys ("source", ...) are tolerated.
	Rest map[string]json.RawMessage `args:"rest"`
}

// call is one command invocation.
type call struct {
	api *API
	req *request
	// args are the command's arguments, at JSON path path ("$.args",
	// "$.args[2].args", "$.args.tables[1]").
	args json.RawMessage
	path string
	// base is the JSON path of the envelope ("$" or "$.args[2]").
	base string
	cmds *commands
}

var success = map[string]string{"message": "success"}

func (a *API) endpoint(cmds *commands) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			writeError(w, hasuraerr.New(hasuraerr.CodeMethodNotAllowed, "$", "only POST is supported").WithStatus(http.StatusMethodNotAllowed))
			return
		}
		if a.cfg.IsAdmin != nil && !a.cfg.IsAdmin(r) {
			writeError(w, hasuraerr.New(hasuraerr.CodeAccessDenied, "$", "restricted access : admin only"))
			return
		}
		body, herr := server.ReadBody(r, a.cfg.MaxBodyBytes)
		if herr != nil {
			writeError(w, herr)
			return
		}
		var raw json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil {
			writeError(w, hasuraerr.New(hasuraerr.CodeInvalidJSON, "$", "Error in $: "+err.Error()))
			return
		}
		res, err := a.dispatch(r.Context(), cmds, raw, "$")
		if err != nil {
			e := apiError(err, "$")
			if e.HTTPStatus() >= 500 {
				a.log.Error("metadata API request failed", "error", err)
			}
			writeError(w, e)
			return
		}
		server.WriteJSON(w, http.StatusOK, res)
	})
}

func writeError(w http.ResponseWriter, e *hasuraerr.Error) {
	server.WriteJSON(w, e.HTTPStatus(), e.REST())
}

// parseRequest reads an envelope at path base.
func parseRequest(raw json.RawMessage, base string) (*request, error) {
	req := &request{}
	if err := apiargs.Decode(raw, base, req); err != nil {
		return nil, err
	}
	if apiargs.IsNull(req.Args) {
		req.Args = json.RawMessage(`{}`)
	}
	return req, nil
}

// dispatch parses and runs one request (top level or bulk item).
func (a *API) dispatch(ctx context.Context, cmds *commands, raw json.RawMessage, base string) (any, error) {
	c, cmd, err := a.newCall(cmds, raw, base)
	if err != nil {
		return nil, err
	}
	if cmd.run != nil {
		return cmd.run(ctx, c)
	}
	change, err := c.edit(cmd.edit)
	if err != nil {
		return nil, err
	}
	if _, err := a.cfg.State.Apply(ctx, change, state.ApplyOptions{ResourceVersion: c.req.ResourceVersion}); err != nil {
		return nil, err
	}
	return success, nil
}

// newCall parses a request and finds its command.
func (a *API) newCall(cmds *commands, raw json.RawMessage, base string) (*call, command, error) {
	req, err := parseRequest(raw, base)
	if err != nil {
		return nil, command{}, err
	}
	cmd, ok := cmds.byName[req.Type]
	if !ok {
		return nil, command{}, cmds.unknown(req.Type, base)
	}
	return &call{api: a, req: req, args: req.Args, path: base + ".args", base: base, cmds: cmds}, cmd, nil
}

// decode decodes the call's arguments into dst (see apiargs.Decode).
func (c *call) decode(dst any) error {
	if err := apiargs.Decode(c.args, c.path, dst); err != nil {
		return err
	}
	return nil
}

// edit decodes the call's arguments for a metaedit command and returns its
// change, whose errors are placed under the arguments' path.
func (c *call) edit(newArgs func() metaedit.Edit) (state.ChangeFunc, error) {
	e := newArgs()
	if err := c.decode(e); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, cat *catalog.Catalog) error {
		return at(e.Apply(md, cat), c.path)
	}, nil
}

// at places err, a command's error whose path is relative to its
// arguments ("$" is the arguments object), under path.
func at(err error, path string) error {
	if e, ok := hasuraerr.As(err); ok {
		return e.At(path)
	}
	return err
}
