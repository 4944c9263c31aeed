// Package metadataapi serves Hasura v2's admin APIs over the engine state:
// POST /v1/metadata (track tables, relationships, computed fields,
// permissions, inherited roles, export/replace/reload/clear metadata,
// inconsistency management, bulk), the legacy POST /v1/query names that map
// onto the same operations, and POST /v2/query (run_sql). Requests and
// responses, error codes and HTTP statuses follow Hasura's documented API.
package metadataapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/server"
	"github.com/stratagql/strata/engine/state"
)

// maxBody bounds a request body (metadata documents can be large).
const maxBody = 64 << 20

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
	// the data commands (select, count) are answered through it. Nil
	// disables them.
	GraphQL func(ctx context.Context, query string, vars map[string]any) []byte
	// Logger receives internal errors; nil means slog.Default().
	Logger *slog.Logger
}

// API serves the metadata and schema endpoints.
type API struct {
	cfg Config
	log *slog.Logger
}

// New returns the API.
func New(cfg Config) (*API, error) {
	if cfg.State == nil || cfg.DB == nil {
		return nil, errors.New("metadataapi: Config needs State and DB")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &API{cfg: cfg, log: cfg.Logger}, nil
}

// Metadata serves POST /v1/metadata.
func (a *API) Metadata() http.Handler { return a.endpoint(metadataCommands) }

// Query serves the legacy POST /v1/query.
func (a *API) Query() http.Handler { return a.endpoint(v1QueryCommands) }

// V2Query serves POST /v2/query.
func (a *API) V2Query() http.Handler { return a.endpoint(v2QueryCommands) }

// edit is a metadata change; errors it returns are *Error with paths.
type edit = state.ChangeFunc

// command is one request type: either a metadata edit (which composes
// atomically in bulk) or anything else.
type command struct {
	edit func(c *call) (edit, *Error)
	run  func(ctx context.Context, c *call) (any, error)
}

// commands maps request types to commands for one endpoint.
type commands map[string]command

// request is the envelope {"type", "args", "version", "resource_version"}.
type request struct {
	Type            string
	Args            json.RawMessage
	Version         int
	ResourceVersion *int64
}

// call is one command invocation.
type call struct {
	api  *API
	req  *request
	args json.RawMessage
	// path is the JSON path of args, e.g. "$.args" or "$.args[2].args".
	path string
	// base is the JSON path of the envelope ("$" or "$.args[2]").
	base string
	cmds commands
}

var success = map[string]string{"message": "success"}

func (a *API) endpoint(cmds commands) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			server.WriteError(w, http.StatusMethodNotAllowed, &hasuraerr.Error{Path: "$", Message: "only POST is supported", Code: "method-not-allowed"})
			return
		}
		if a.cfg.IsAdmin != nil && !a.cfg.IsAdmin(r) {
			server.WriteError(w, http.StatusBadRequest, &hasuraerr.Error{Path: "$", Message: "restricted access : admin only", Code: codeAccessDenied})
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			server.WriteError(w, http.StatusBadRequest, &hasuraerr.Error{Path: "$", Message: "could not read the request body", Code: codeBadRequest})
			return
		}
		var raw json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil {
			server.WriteError(w, http.StatusBadRequest, &hasuraerr.Error{Path: "$", Message: "Error in $: " + err.Error(), Code: codeInvalidJSON})
			return
		}
		res, err := a.dispatch(r.Context(), cmds, raw, "$")
		if err != nil {
			e := toAPIError(err, "$")
			if e.Status >= 500 {
				a.log.Error("metadata API request failed", "error", err)
			}
			server.WriteJSON(w, e.Status, e.body())
			return
		}
		server.WriteJSON(w, http.StatusOK, res)
	})
}

// parseRequest reads an envelope at path base.
func parseRequest(raw json.RawMessage, base string) (*request, *Error) {
	o, err := newObject(raw, base)
	if err != nil {
		return nil, err
	}
	req := &request{}
	if err := o.req("type", &req.Type); err != nil {
		return nil, err
	}
	if err := o.opt("version", &req.Version); err != nil {
		return nil, err
	}
	if err := o.opt("resource_version", &req.ResourceVersion); err != nil {
		return nil, err
	}
	req.Args = o.raw("args")
	if req.Args == nil || jsonKind(req.Args) == "Null" {
		req.Args = json.RawMessage(`{}`)
	}
	o.ignore("source")
	return req, nil
}

// dispatch parses and runs one request (top level or bulk item).
func (a *API) dispatch(ctx context.Context, cmds commands, raw json.RawMessage, base string) (any, error) {
	req, perr := parseRequest(raw, base)
	if perr != nil {
		return nil, perr
	}
	cmd, ok := cmds[req.Type]
	if !ok {
		return nil, unknownType(cmds, req.Type, base)
	}
	c := &call{api: a, req: req, args: req.Args, path: base + ".args", base: base, cmds: cmds}
	if cmd.run != nil {
		return cmd.run(ctx, c)
	}
	e, perr := cmd.edit(c)
	if perr != nil {
		return nil, perr
	}
	if _, err := a.cfg.State.Apply(ctx, e, state.ApplyOptions{ResourceVersion: req.ResourceVersion}); err != nil {
		return nil, err
	}
	return success, nil
}

func unknownType(cmds commands, typ, base string) *Error {
	if _, ok := cmds["pg_track_table"]; ok {
		return newErr(http.StatusBadRequest, codeBadRequest, base, "unknown metadata command %q", typ)
	}
	return parseFailed(base, "unknown query type %q", typ)
}

// source returns the named source of md or a not-exists error.
func (c *call) source(md *metadata.Metadata, name string) (*metadata.Source, *Error) {
	if s := md.Source(name); s != nil {
		return s, nil
	}
	return nil, notExists(c.path, "source with name %q does not exist", name)
}

// tracked returns the tracked table or Hasura's not-exists error.
func (c *call) tracked(md *metadata.Metadata, t target) (*metadata.Source, *metadata.Table, *Error) {
	src, err := c.source(md, t.Source)
	if err != nil {
		return nil, nil, err
	}
	tbl := src.Table(t.Table)
	if tbl == nil {
		return nil, nil, notExists(c.path, "table %q does not exist", t.Table.Display())
	}
	return src, tbl, nil
}

// dbTable returns the table's catalogue entry or a not-exists error.
func (c *call) dbTable(cat *catalog.Catalog, t metadata.QualifiedTable) (*catalog.Table, *Error) {
	if ct := cat.Table(t); ct != nil {
		return ct, nil
	}
	return nil, notExists(c.path, "no such table/view exists in source: %q", t.Display())
}

// columns checks that every name is a column of ct.
func (c *call) columns(ct *catalog.Table, names []string, path string) *Error {
	for _, n := range names {
		if ct.Column(n) == nil {
			return notExists(path, "no such column exists: %q", n)
		}
	}
	return nil
}
