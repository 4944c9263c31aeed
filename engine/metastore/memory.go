package metastore

import (
	"context"
	"sync"

	"github.com/stratagql/strata/engine/metadata"
)

// Memory keeps metadata in memory. It backs tests and is the model for
// stores fed from outside the engine (a Kubernetes ConfigMap): the owner
// calls Set when the source changes and watchers are told.
type Memory struct {
	readOnly bool

	mu      sync.Mutex
	doc     []byte
	version int64
	changed chan struct{} // closed and replaced on every change
}

var _ Store = (*Memory)(nil)

// NewMemory returns a store holding md (metadata.Empty() when nil) at
// version 1. A read-only store refuses Save; Set still works.
func NewMemory(md *metadata.Metadata, readOnly bool) *Memory {
	if md == nil {
		md = metadata.Empty()
	}
	return &Memory{readOnly: readOnly, doc: md.JSON(), version: 1, changed: make(chan struct{})}
}

// ReadOnly reports whether Save is refused.
func (m *Memory) ReadOnly() bool { return m.readOnly }

// Load implements Store.
func (m *Memory) Load(context.Context) (*metadata.Metadata, int64, error) {
	m.mu.Lock()
	doc, v := m.doc, m.version
	m.mu.Unlock()
	md, err := metadata.Parse(doc)
	if err != nil {
		return nil, 0, err
	}
	return md, v, nil
}

// Save implements Store.
func (m *Memory) Save(_ context.Context, md *metadata.Metadata, expected int64) (int64, error) {
	if m.readOnly {
		return 0, ErrReadOnly
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if expected != m.version {
		return 0, ErrConflict
	}
	m.setLocked(md.JSON())
	return m.version, nil
}

// Set replaces the document from outside (e.g. a ConfigMap update) and
// returns the new version. doc is stored as given; a document that does not
// parse makes Load fail until the next Set, as a bad file would.
func (m *Memory) Set(doc []byte) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setLocked(append([]byte(nil), doc...))
	return m.version
}

func (m *Memory) setLocked(doc []byte) {
	m.doc = doc
	m.version++
	close(m.changed)
	m.changed = make(chan struct{})
}

// Watch implements Store. It reports the current version at start, then
// every change.
func (m *Memory) Watch(ctx context.Context, fn func(version int64)) error {
	// The version and the channel that announces the next change are read
	// together, so a change between the report and the wait is not lost.
	m.mu.Lock()
	v, ch := m.version, m.changed
	m.mu.Unlock()
	fn(v)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ch:
			m.mu.Lock()
			v, ch = m.version, m.changed
			m.mu.Unlock()
			fn(v)
		}
	}
}
