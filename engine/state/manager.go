package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/engine/schema"
)

// Config is what a Manager needs.
type Config struct {
	// Store holds the metadata.
	Store metastore.Store
	// DB is where the catalogue is read outside transactions (the pool).
	DB Querier
	// LoadCatalog reads the catalogue; nil means catalog.Load. The rows of
	// is_enum tables are then read with catalog.LoadEnumValues.
	LoadCatalog CatalogLoader
	// Build builds the schema; nil means schema.Build.
	Build Builder
	// Logger receives reload and watch reports; nil means slog.Default().
	Logger *slog.Logger
}

// Manager owns the current Snapshot.
type Manager struct {
	cfg Config
	log *slog.Logger

	cur atomic.Pointer[Snapshot]
	gen atomic.Uint64
	// mu serialises everything that builds and swaps a snapshot, so
	// snapshots only move forward.
	mu sync.Mutex

	errMu   sync.Mutex
	lastErr error

	subMu sync.Mutex
	subs  map[chan uint64]struct{}

	wg sync.WaitGroup
}

// New checks cfg and returns a Manager; call Start before Current.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil || cfg.DB == nil {
		return nil, errors.New("state: Config needs Store and DB")
	}
	if cfg.LoadCatalog == nil {
		cfg.LoadCatalog = func(ctx context.Context, q Querier) (*catalog.Catalog, error) { return catalog.Load(ctx, q) }
	}
	if cfg.Build == nil {
		cfg.Build = schema.Build
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Manager{cfg: cfg, log: cfg.Logger, subs: map[chan uint64]struct{}{}}, nil
}

// Start loads metadata and catalogue, builds the first snapshot, then
// watches the store and rebuilds on change until ctx ends (Wait waits for
// that). It fails only if the first snapshot cannot be built; metadata
// inconsistencies do not stop it.
func (m *Manager) Start(ctx context.Context) error {
	if _, err := m.Reload(ctx); err != nil {
		return err
	}
	trigger := make(chan struct{}, 1)
	var seen watchReports
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		err := m.cfg.Store.Watch(ctx, func(v int64) {
			seen.add(v)
			select {
			case trigger <- struct{}{}:
			default:
			}
		})
		if err != nil {
			m.setErr(fmt.Errorf("state: watch metadata store: %w", err))
			m.log.Error("metadata store cannot be watched: changes made elsewhere are not picked up", "error", err)
		}
	}()
	go func() {
		defer m.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-trigger:
				m.refresh(ctx, &seen)
			}
		}
	}()
	return nil
}

// Wait blocks until the goroutines started by Start have stopped (after
// its context ended).
func (m *Manager) Wait() { m.wg.Wait() }

// Current is the snapshot being served; never nil after Start.
func (m *Manager) Current() *Snapshot { return m.cur.Load() }

// InconsistentObjects counts the current snapshot's inconsistent objects
// (for server.Deps.InconsistentObjects and /healthz).
func (m *Manager) InconsistentObjects() int {
	if s := m.Current(); s != nil {
		return len(s.Inconsistencies)
	}
	return 0
}

// LastError is the last failure to load or build metadata that arrived
// from outside (watch), or nil after a later success.
func (m *Manager) LastError() error {
	m.errMu.Lock()
	defer m.errMu.Unlock()
	return m.lastErr
}

func (m *Manager) setErr(err error) {
	m.errMu.Lock()
	m.lastErr = err
	m.errMu.Unlock()
}

// Subscribe returns a channel that receives the new Generation after each
// swap (only the latest when the reader lags) and a function that ends the
// subscription.
func (m *Manager) Subscribe() (<-chan uint64, func()) {
	ch := make(chan uint64, 1)
	m.subMu.Lock()
	m.subs[ch] = struct{}{}
	m.subMu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			m.subMu.Lock()
			delete(m.subs, ch)
			m.subMu.Unlock()
		})
	}
}

// Reload re-reads metadata and catalogue and swaps in the result, even if
// inconsistent (reload_metadata). On failure the current snapshot stays.
func (m *Manager) Reload(ctx context.Context) (*Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	md, v, err := m.cfg.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("state: load metadata: %w", err)
	}
	snap, err := m.build(ctx, m.cfg.DB, md, v)
	if err != nil {
		return nil, err
	}
	m.setErr(nil)
	m.swap(snap)
	return snap, nil
}

// watchReports collects the versions a store's watch reported since the
// last refresh.
type watchReports struct {
	mu     sync.Mutex
	n      int
	first  int64
	varied bool
}

func (r *watchReports) add(v int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		r.first = v
	} else if v != r.first {
		r.varied = true
	}
	r.n++
}

// only returns the version every report since the last call named, if
// there were reports and they all named the same one.
func (r *watchReports) only() (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.first, r.n > 0 && !r.varied
	r.n, r.varied = 0, false
	return v, ok
}

// refresh reloads after watch reports, unless the stored version is the
// one being served: reports naming only that version (the notification of
// this engine's own change) do not even load the document, which at
// 5,000 tables allocates ~20 MB just when the new schema is in memory
// besides the old one. Failures are logged and kept for LastError.
func (m *Manager) refresh(ctx context.Context, seen *watchReports) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := seen.only(); ok {
		if cur := m.Current(); cur != nil && cur.ResourceVersion == v {
			return
		}
	}
	md, v, err := m.cfg.Store.Load(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.setErr(err)
			m.log.Error("metadata change rejected: keeping the current metadata", "error", err)
		}
		return
	}
	if cur := m.Current(); cur != nil && cur.ResourceVersion == v {
		return
	}
	snap, err := m.build(ctx, m.cfg.DB, md, v)
	if err != nil {
		if ctx.Err() == nil {
			m.setErr(err)
			m.log.Error("metadata change could not be built: keeping the current metadata", "error", err, "resource_version", v)
		}
		return
	}
	m.setErr(nil)
	m.swap(snap)
	m.log.Info("metadata reloaded", "resource_version", v, "inconsistent_objects", len(snap.Inconsistencies))
}

// build reads the catalogue through q and builds a snapshot of md.
func (m *Manager) build(ctx context.Context, q Querier, md *metadata.Metadata, version int64) (*Snapshot, error) {
	cat, err := m.cfg.LoadCatalog(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("state: read database catalogue: %w", err)
	}
	return m.buildWith(ctx, q, md, cat, version)
}

// buildWith reads the values of md's enum tables through q into cat and
// builds a snapshot.
func (m *Manager) buildWith(ctx context.Context, q Querier, md *metadata.Metadata, cat *catalog.Catalog, version int64) (snap *Snapshot, err error) {
	if err := catalog.LoadEnumValues(ctx, q, cat, enumTables(md)); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			snap, err = nil, fmt.Errorf("state: schema build panicked: %v", r)
		}
	}()
	s, err := m.cfg.Build(md, cat)
	if err != nil {
		return nil, fmt.Errorf("state: build schema: %w", err)
	}
	inc := inconsistencies(md, cat, s)
	s.Inconsistencies = inc
	return &Snapshot{Metadata: md, Catalog: cat, Schema: s, ResourceVersion: version, Inconsistencies: inc}, nil
}

// swap publishes snap under a new generation and tells subscribers.
func (m *Manager) swap(snap *Snapshot) {
	snap.Generation = m.gen.Add(1)
	m.cur.Store(snap)
	m.subMu.Lock()
	defer m.subMu.Unlock()
	for ch := range m.subs {
		select {
		case ch <- snap.Generation:
		default:
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- snap.Generation:
			default:
			}
		}
	}
}

// enumTables lists the default source's tables tracked with is_enum.
func enumTables(md *metadata.Metadata) []metadata.QualifiedTable {
	var out []metadata.QualifiedTable
	if src := md.Source(metadata.DefaultSource); src != nil {
		for _, t := range src.Tables {
			if t.IsEnum {
				out = append(out, t.Table)
			}
		}
	}
	return out
}
