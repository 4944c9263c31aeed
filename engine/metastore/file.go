package metastore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/stratagql/strata/engine/metadata"
)

// fileDebounce groups the burst of events an editor or a ConfigMap update
// makes into one reload.
const fileDebounce = 100 * time.Millisecond

// DefaultFileRescan is how often Watch re-reads the file even without
// events, in case an event was missed (network file systems, replaced
// directories), unless WithRescanInterval says otherwise.
const DefaultFileRescan = 2 * time.Second

// File serves metadata from a YAML or JSON file. It is read-only: the file
// is the source of truth and is managed elsewhere (git, a ConfigMap mount).
// Its version is a counter bumped whenever the file's content changes to a
// document that parses.
type File struct {
	path   string
	log    *slog.Logger
	rescan time.Duration

	mu      sync.Mutex
	hash    [sha256.Size]byte
	version int64
}

var _ Store = (*File)(nil)

// FileOption changes a File store made by NewFile.
type FileOption func(*File)

// WithRescanInterval sets how often Watch re-reads the file without an event
// (DefaultFileRescan when d <= 0). Tests of the file events set it very long,
// so that the rescan cannot cover for an event that never came.
func WithRescanInterval(d time.Duration) FileOption {
	return func(f *File) {
		if d > 0 {
			f.rescan = d
		}
	}
}

// NewFile returns a store reading path; the file must exist and parse.
func NewFile(path string, log *slog.Logger, opts ...FileOption) (*File, error) {
	if log == nil {
		log = slog.Default()
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("metastore: metadata file %s: %w", path, err)
	}
	f := &File{path: abs, log: log, rescan: DefaultFileRescan}
	for _, o := range opts {
		o(f)
	}
	if _, _, err := f.Load(context.Background()); err != nil {
		return nil, err
	}
	return f, nil
}

// ReadOnly reports that a file store cannot be written.
func (f *File) ReadOnly() bool { return true }

// Load implements Store: it reads and parses the file now.
func (f *File) Load(context.Context) (*metadata.Metadata, int64, error) {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, 0, fmt.Errorf("metastore: read metadata file: %w", err)
	}
	md, err := metadata.Parse(data)
	if err != nil {
		return nil, 0, fmt.Errorf("metastore: metadata file %s: %w", f.path, err)
	}
	sum := sha256.Sum256(data)
	f.mu.Lock()
	defer f.mu.Unlock()
	if sum != f.hash || f.version == 0 {
		f.hash = sum
		f.version++
	}
	return md, f.version, nil
}

// Save implements Store; a file store is read-only.
func (f *File) Save(context.Context, *metadata.Metadata, int64) (int64, error) {
	return 0, ErrReadOnly
}

// Watch implements Store. It watches the file's directory, so rename-writes
// (editors) and symlink swaps (Kubernetes ConfigMap volumes) are seen. It
// calls fn with the current version once the watch is in place, then
// whenever the file's bytes change (valid or not: Load then tells).
func (f *File) Watch(ctx context.Context, fn func(version int64)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("metastore: watch metadata file: %w", err)
	}
	defer w.Close()
	if err := w.Add(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("metastore: watch %s: %w", filepath.Dir(f.path), err)
	}
	seen := f.currentHash()
	check := func() {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return // mid-swap or deleted: the next event or rescan tells
		}
		if sum := sha256.Sum256(data); sum != seen {
			seen = sum
			f.mu.Lock()
			v := f.version + 1
			f.mu.Unlock()
			fn(v)
		}
	}
	f.mu.Lock()
	v := f.version
	f.mu.Unlock()
	fn(v)   // the version at start: the watch is in place
	check() // a change between the caller's Load and now
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	rescan := time.NewTicker(f.rescan)
	defer rescan.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			_ = ev
			debounce.Reset(fileDebounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			f.log.Warn("metadata file watch error", "path", f.path, "error", err)
		case <-debounce.C:
			check()
		case <-rescan.C:
			check()
		}
	}
}

func (f *File) currentHash() [sha256.Size]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hash
}
