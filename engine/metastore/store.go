// Package metastore is where the engine's metadata document lives: in the
// database (hdb_catalog.hdb_metadata, the default, shared by every engine on
// that database), in a read-only watched file (--metadata-file), or in
// memory. Every kind sits behind Store, so the state manager does not care
// which one it reads from; a ConfigMap-backed store fits the same interface.
package metastore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/metadata"
)

// ErrConflict is returned by Save when the stored resource_version is not
// the expected one: someone else changed the metadata in between.
var ErrConflict = errors.New("metastore: metadata resource version conflict")

// ErrReadOnly is returned by Save on stores that cannot be written (a file
// or a ConfigMap managed elsewhere).
var ErrReadOnly = errors.New("metastore: metadata is read-only")

// Store holds one metadata document and its resource_version, a number that
// changes on every write.
type Store interface {
	// Load returns the current metadata (normalised) and its version.
	// A store that holds nothing yet returns metadata.Empty().
	Load(ctx context.Context) (*metadata.Metadata, int64, error)
	// Save replaces the metadata if the stored version is still expected
	// and returns the new version. It fails with ErrConflict when the
	// version moved on and with ErrReadOnly on read-only stores.
	Save(ctx context.Context, md *metadata.Metadata, expected int64) (int64, error)
	// Watch calls fn with the new version (possibly more than once per
	// change, and possibly with a version already seen, e.g. once at
	// start) whenever the metadata may have changed outside this process. It blocks until ctx
	// ends, then returns nil; it returns an error only if it cannot watch
	// at all. fn must not block for long.
	Watch(ctx context.Context, fn func(version int64)) error
}

// TxStore is a Store kept in the same PostgreSQL database as the user's
// tables, so a metadata change can commit atomically with SQL (run_sql).
type TxStore interface {
	Store
	// LoadTx reads the metadata inside tx and locks it until tx ends, so
	// that concurrent writers (other engines too) queue behind tx.
	LoadTx(ctx context.Context, tx pgx.Tx) (*metadata.Metadata, int64, error)
	// SaveTx is Save inside tx; the change (and its notification) takes
	// effect when tx commits.
	SaveTx(ctx context.Context, tx pgx.Tx, md *metadata.Metadata, expected int64) (int64, error)
}

// ReadOnly reports whether s refuses writes. Stores that implement
// `ReadOnly() bool` answer for themselves; others are writable.
func ReadOnly(s Store) bool {
	if r, ok := s.(interface{ ReadOnly() bool }); ok {
		return r.ReadOnly()
	}
	return false
}
