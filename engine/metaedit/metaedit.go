// Package metaedit holds Hasura's metadata commands as pure functions of
// (metadata, catalogue): tracking tables, relationships, computed fields,
// permissions, inherited roles, clearing metadata, dropping inconsistent
// objects, following DDL (run_sql) and suggesting relationships. Nothing
// here does HTTP or talks to PostgreSQL: engine/metadataapi decodes a
// request, finds the command by name and hands its Apply to state.Apply,
// and the tests run the commands on the synthetic catalogue.
//
// # Commands
//
// A command is declared by a Spec: its names on /v1/metadata and on the
// legacy /v1/query, and a constructor of its arguments. The arguments are
// a struct decoded by engine/apiargs (json tags name the keys,
// `args:"required"` marks required ones, unknown keys are rejected, errors
// carry Hasura's "$.args.x" paths) that implements Edit — Apply changes the
// metadata — or Read — Answer computes a reply without changing anything.
// Errors of Apply and Answer are *hasuraerr.Error whose paths are relative
// to the arguments ("$" is the args object, "$.using.manual_configuration"
// a key inside it); the caller re-roots them (hasuraerr.Error.At).
//
// # Adding a command
//
// A new command (an event trigger, an action, a remote schema, an API
// limit, a query collection) is one file in this package:
//
//	// createQueryCollection is create_query_collection.
//	type createQueryCollection struct {
//		Name       string          `json:"name" args:"required"`
//		Definition json.RawMessage `json:"definition" args:"required"`
//		Comment    *string         `json:"comment"`
//	}
//
//	func init() {
//		register(Spec{Name: "create_query_collection", Legacy: "create_query_collection",
//			Edit: func() Edit { return new(createQueryCollection) }})
//	}
//
//	func (a *createQueryCollection) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
//		... check, change md, or return an error at "$" or "$.definition" ...
//	}
//
// with its table-driven test next to it (see the *_test.go files: a
// command runs by name on a metadata document and a synthetic catalogue,
// and the test checks the resulting metadata or the error's code, path and
// message). Use sourceSpec for a per-source command (pg_<name> on
// /v1/metadata, <name> on /v1/query). Defaults other than zero values come
// from a SetDefaults method (apiargs.Defaulter); checks that need the
// whole decoded arguments but no metadata go in ValidateArgs
// (apiargs.Validator), so that they fail before anything is applied, in
// bulk too.
package metaedit

import (
	"slices"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
)

// Edit is the decoded arguments of a command that changes metadata.
type Edit interface {
	// Apply makes the change on md (a private copy), checking it against
	// cat, the database as it is. An error leaves md to be discarded.
	Apply(md *metadata.Metadata, cat *catalog.Catalog) error
}

// Read is the decoded arguments of a command that answers from the
// metadata and catalogue without changing them.
type Read interface {
	Answer(md *metadata.Metadata, cat *catalog.Catalog) (any, error)
}

// Spec declares one command.
type Spec struct {
	// Name is the command's name on /v1/metadata; "" when it is not
	// served there.
	Name string
	// Legacy is its name on /v1/query; "" when it is not served there.
	Legacy string
	// Edit returns fresh arguments of a command that changes metadata;
	// Read those of a read-only one. Exactly one is set.
	Edit func() Edit
	Read func() Read
}

// specs are the registered commands, by registration order.
var specs []Spec

// register adds commands; each command's file calls it from init.
func register(s ...Spec) { specs = append(specs, s...) }

// sourceSpec declares a per-source edit: pg_<name> on /v1/metadata and
// <name> on /v1/query.
func sourceSpec(name string, edit func() Edit) Spec {
	return Spec{Name: "pg_" + name, Legacy: name, Edit: edit}
}

// globalSpec declares an edit with the same name on both endpoints.
func globalSpec(name string, edit func() Edit) Spec {
	return Spec{Name: name, Legacy: name, Edit: edit}
}

// Specs returns every command this package declares.
func Specs() []Spec { return slices.Clone(specs) }

// Lookup returns the command named name on /v1/metadata (legacy false) or
// /v1/query (legacy true).
func Lookup(name string, legacy bool) (Spec, bool) {
	for _, s := range specs {
		n := s.Name
		if legacy {
			n = s.Legacy
		}
		if n != "" && n == name {
			return s, true
		}
	}
	return Spec{}, false
}

// TableRef is the (source, table) most commands act on: "source"
// (default "default") and "table".
type TableRef struct {
	Source string                  `json:"source"`
	Table  metadata.QualifiedTable `json:"table" args:"required"`
}

// SetDefaults implements apiargs.Defaulter.
func (r *TableRef) SetDefaults() { r.Source = metadata.DefaultSource }

// Target returns the reference (commands embedding a TableRef have it).
func (r *TableRef) Target() TableRef { return *r }

// source returns the named source of md.
func source(md *metadata.Metadata, name string) (*metadata.Source, error) {
	if s := md.Source(name); s != nil {
		return s, nil
	}
	return nil, notExists("$", "source with name %q does not exist", name)
}

// tracked returns r's source and tracked table.
func (r TableRef) tracked(md *metadata.Metadata) (*metadata.Source, *metadata.Table, error) {
	src, err := source(md, r.Source)
	if err != nil {
		return nil, nil, err
	}
	tbl := src.Table(r.Table)
	if tbl == nil {
		return nil, nil, notExists("$", "table %q does not exist", r.Table.Display())
	}
	return src, tbl, nil
}

// dbTable returns the table's catalogue entry.
func dbTable(cat *catalog.Catalog, q metadata.QualifiedTable) (*catalog.Table, error) {
	if ct := cat.Table(q); ct != nil {
		return ct, nil
	}
	return nil, notExists("$", "no such table/view exists in source: %q", q.Display())
}

// columns checks that every name is a column of ct (errors at path).
func columns(ct *catalog.Table, names []string, path string) error {
	for _, n := range names {
		if ct.Column(n) == nil {
			return notExists(path, "no such column exists: %q", n)
		}
	}
	return nil
}

func notExists(path, format string, a ...any) *hasuraerr.Error {
	return hasuraerr.New(hasuraerr.CodeNotExists, path, format, a...)
}

func alreadyExists(path, format string, a ...any) *hasuraerr.Error {
	return hasuraerr.New(hasuraerr.CodeAlreadyExists, path, format, a...)
}
