package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore"
)

// ChangeFunc edits md, a private copy of the stored metadata, given the
// freshly read catalogue. An error aborts the change and is returned from
// Apply unchanged.
type ChangeFunc func(md *metadata.Metadata, cat *catalog.Catalog) error

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// ResourceVersion, when set, must equal the stored version or Apply
	// fails with *ConflictError.
	ResourceVersion *int64
	// AllowInconsistent accepts a change that adds inconsistent objects
	// (replace_metadata's allow_inconsistent_metadata).
	AllowInconsistent bool
	// Replace words the inconsistency error as a whole-document
	// replacement does.
	Replace bool
	// Force saves even when the metadata did not change, so that other
	// engines rebuild (used after DDL, whose effect is on the catalogue);
	// read-only stores are then left alone.
	Force bool
	// Tx, when set, is used to read the catalogue and (with a database
	// store) to read-lock and save the metadata; nothing is swapped: the
	// caller commits and then calls Publish with the returned snapshot.
	Tx pgx.Tx
}

// maxRetries bounds how often Apply starts over when another engine saved
// in between and the caller did not pin a resource_version.
const maxRetries = 3

// Apply changes the metadata: it takes the stored metadata, applies change
// to a copy, re-reads the catalogue, builds the schema, rejects new
// inconsistencies (unless allowed), saves with an optimistic version check
// and swaps the new snapshot in. On any error the served snapshot stays.
func (m *Manager) Apply(ctx context.Context, change ChangeFunc, opts ApplyOptions) (*Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for attempt := 0; ; attempt++ {
		snap, err := m.applyOnce(ctx, change, opts)
		if errors.Is(err, metastore.ErrConflict) && opts.ResourceVersion == nil && opts.Tx == nil && attempt < maxRetries {
			continue
		}
		if err != nil {
			return nil, err
		}
		if opts.Tx == nil {
			m.swap(snap)
		}
		return snap, nil
	}
}

func (m *Manager) applyOnce(ctx context.Context, change ChangeFunc, opts ApplyOptions) (*Snapshot, error) {
	txs, _ := m.cfg.Store.(metastore.TxStore)
	var (
		base *metadata.Metadata
		ver  int64
		err  error
	)
	if opts.Tx != nil && txs != nil {
		base, ver, err = txs.LoadTx(ctx, opts.Tx)
	} else {
		base, ver, err = m.cfg.Store.Load(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("state: load metadata: %w", err)
	}
	if opts.ResourceVersion != nil && *opts.ResourceVersion != ver {
		return nil, &ConflictError{Referenced: *opts.ResourceVersion}
	}
	var q Querier = m.cfg.DB
	if opts.Tx != nil {
		q = opts.Tx
	}
	cat, err := m.cfg.LoadCatalog(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("state: read database catalogue: %w", err)
	}
	work := base.Clone()
	if err := change(work, cat); err != nil {
		return nil, err
	}
	work.Normalize()
	// Compared before the build: the encodings' garbage is collected while
	// the heap is small, not on top of the new schema (the peak).
	unchanged := bytes.Equal(work.JSON(), base.JSON())
	base = nil
	snap, err := m.buildWith(ctx, q, work, cat, ver)
	if err != nil {
		return nil, err
	}
	if !opts.AllowInconsistent {
		var before []metadata.Inconsistency
		if cur := m.Current(); cur != nil {
			before = cur.Inconsistencies
		}
		if n := added(before, snap.Inconsistencies); len(n) > 0 {
			return nil, &InconsistentError{Objects: n, Replace: opts.Replace}
		}
	}
	if unchanged && (!opts.Force || metastore.ReadOnly(m.cfg.Store)) {
		return snap, nil
	}
	var nv int64
	if opts.Tx != nil && txs != nil {
		nv, err = txs.SaveTx(ctx, opts.Tx, work, ver)
	} else {
		nv, err = m.cfg.Store.Save(ctx, work, ver)
	}
	if errors.Is(err, metastore.ErrConflict) && opts.ResourceVersion != nil {
		return nil, &ConflictError{Referenced: *opts.ResourceVersion}
	}
	if err != nil {
		return nil, err
	}
	snap.ResourceVersion = nv
	return snap, nil
}

// Publish swaps in a snapshot returned by Apply with ApplyOptions.Tx, once
// the caller has committed. A snapshot older than the served one (the
// watch may have been faster) is ignored.
func (m *Manager) Publish(snap *Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.Current(); cur != nil && cur.ResourceVersion > snap.ResourceVersion {
		return
	}
	m.swap(snap)
}
