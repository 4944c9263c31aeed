// Package dataapi is the legacy data API of /v1/query and /v2/query:
// select, count, insert, update and delete. Each command is translated
// into one GraphQL request on the admin schema (Translate, pure: arguments
// and schema in, query text and variables out) and answered by the same
// compiler and executor as /v1/graphql (a Runner), so its SQL, value
// binding, single transaction and error mapping are the GraphQL path's.
//
// Arguments are decoded by engine/apiargs. Errors are *hasuraerr.Error
// with paths relative to the arguments ("$" is the args object, "$.table",
// "$.columns[2]"); the caller re-roots them.
package dataapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
)

// Command is the decoded arguments of a data command.
type Command interface {
	// Translate returns the GraphQL request answering the command on s.
	Translate(s *schema.Schema) (*Request, error)
}

// Request is a generated GraphQL request: its single root field is
// aliased "r".
type Request struct {
	Query     string
	Variables map[string]any
	// answer turns r's data into the command's answer (nil: r as it is).
	answer func(json.RawMessage) (any, error)
}

// Runner runs a GraphQL request as admin and returns the response body.
type Runner func(ctx context.Context, query string, vars map[string]any) []byte

// ErrDisabled is returned by Run without a Runner: the GraphQL API the
// data commands are answered through is disabled.
var ErrDisabled = errors.New("dataapi: the GraphQL API is disabled")

var commands = map[string]func() Command{
	"select": func() Command { return new(selectArgs) },
	"count":  func() Command { return new(countArgs) },
	"insert": func() Command { return new(insertArgs) },
	"update": func() Command { return new(updateArgs) },
	"delete": func() Command { return new(deleteArgs) },
}

// Commands returns the data commands by name, each a constructor of fresh
// arguments.
func Commands() map[string]func() Command { return maps.Clone(commands) }

// Run translates cmd on s and runs it with run.
func Run(ctx context.Context, s *schema.Schema, run Runner, cmd Command) (any, error) {
	req, err := cmd.Translate(s)
	if err != nil {
		return nil, err
	}
	if run == nil {
		return nil, ErrDisabled
	}
	var resp struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(run(ctx, req.Query, req.Variables), &resp); err != nil {
		return nil, fmt.Errorf("dataapi: decode GraphQL response: %w", err)
	}
	if len(resp.Errors) > 0 {
		e := resp.Errors[0]
		return nil, hasuraerr.New(e.Extensions.Code, "$", "%s", e.Message)
	}
	if req.answer == nil {
		return resp.Data["r"], nil
	}
	return req.answer(resp.Data["r"])
}

// table is the (source, table) every data command names; the source is
// read but only the default one is served.
type table struct {
	Source string                  `json:"source"`
	Table  metadata.QualifiedTable `json:"table" args:"required"`
}

// SetDefaults implements apiargs.Defaulter.
func (t *table) SetDefaults() { t.Source = metadata.DefaultSource }

// root finds the tracked, consistent table and its root field of kind in
// roots; missing is the error's wording when there is no such field.
func (t *table) root(s *schema.Schema, roots map[string]*schema.RootField, kind schema.RootKind, code hasuraerr.Code, missing string) (*schema.Table, string, error) {
	tbl := s.TablesByName[t.Table]
	if tbl == nil {
		return nil, "", hasuraerr.New(hasuraerr.CodeNotExists, "$.table", "table %q does not exist", t.Table.Name)
	}
	for name, rf := range roots {
		if rf.Table == tbl && rf.Kind == kind {
			return tbl, name, nil
		}
	}
	return nil, "", hasuraerr.New(code, "$.table", "table %q %s", t.Table.Name, missing)
}

// selectRoot finds the table's select root field.
func (t *table) selectRoot(s *schema.Schema) (*schema.Table, string, error) {
	return t.root(s, s.QueryRoot, schema.RootSelect, hasuraerr.CodeNotExists, "is not queryable")
}
