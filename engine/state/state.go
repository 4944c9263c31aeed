// Package state holds the engine's current view of the world — metadata,
// database catalogue and the schema built from both — as an immutable
// Snapshot swapped atomically. The Manager loads it at start, rebuilds it
// off the request path when the metadata store reports a change (another
// engine, an edited file), and applies metadata API changes: clone, change,
// re-read the catalogue, build, check, persist, swap. A bad change never
// replaces the last good snapshot.
package state

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
)

// Querier runs SQL: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// CatalogLoader reads the database catalogue through q (catalog.Load).
// catalog.Querier and Querier have the same method set.
type CatalogLoader func(ctx context.Context, q Querier) (*catalog.Catalog, error)

// Builder builds the served schema from metadata and catalogue (schema.Build).
type Builder func(md *metadata.Metadata, cat *catalog.Catalog) (*schema.Schema, error)

// Snapshot is one consistent generation of engine state. It is shared by
// concurrent requests and must not be modified.
type Snapshot struct {
	// Metadata is the stored metadata document (normalised).
	Metadata *metadata.Metadata
	// Catalog is the database catalogue the schema was built against.
	Catalog *catalog.Catalog
	// Schema is what is served. Schema.Inconsistencies lists every
	// metadata object left out (the same list as Inconsistencies).
	Schema *schema.Schema
	// ResourceVersion is the metadata store's version of Metadata.
	ResourceVersion int64
	// Generation counts swaps in this process; it changes whenever the
	// snapshot does, even when ResourceVersion does not (a reload after
	// DDL), so caches keyed on it (GraphQL plans) stay correct.
	Generation uint64
	// Inconsistencies are the metadata objects that do not match the
	// database, as get_inconsistent_metadata reports them.
	Inconsistencies []metadata.Inconsistency
}

// Consistent reports whether every metadata object is served.
func (s *Snapshot) Consistent() bool { return len(s.Inconsistencies) == 0 }
