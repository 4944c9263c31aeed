package metastore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratagql/strata/engine/metastore"
)

const yamlDoc = `version: 3
sources:
- name: default
  kind: postgres
  tables:
  - table: {schema: public, name: %s}
`

func doc(table string) []byte {
	return []byte(strings.ReplaceAll(yamlDoc, "%s", table))
}

// writeRename writes data the way editors do: to a temporary file, then
// renamed over the target.
func writeRename(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func waitVersion(t *testing.T, seen <-chan int64) {
	t.Helper()
	select {
	case <-seen:
	case <-time.After(3 * time.Second):
		t.Fatal("file change not reported")
	}
}

// noRescan is a rescan interval no test lasts: a change a test sees came
// through a file system event.
const noRescan = time.Hour

func TestFileStoreWatchAndBadFile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	path := filepath.Join(dir, "metadata.yaml")
	if err := os.WriteFile(path, doc("author"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := metastore.NewFile(path, nil, metastore.WithRescanInterval(noRescan))
	if err != nil {
		t.Fatal(err)
	}
	md, v1, err := s.Load(ctx)
	if err != nil || md.Sources[0].Tables[0].Table.Name != "author" {
		t.Fatalf("load: %v %+v", err, md)
	}
	if _, err := s.Save(ctx, md, v1); !errors.Is(err, metastore.ErrReadOnly) {
		t.Fatalf("file store saved: %v", err)
	}
	seen := make(chan int64, 16)
	go func() { _ = s.Watch(ctx, func(v int64) { seen <- v }) }()
	waitVersion(t, seen) // the version at start: the watch is in place

	writeRename(t, path, doc("article"))
	waitVersion(t, seen)
	md, v2, err := s.Load(ctx)
	if err != nil || v2 <= v1 || md.Sources[0].Tables[0].Table.Name != "article" {
		t.Fatalf("after rename-write: v%d %v", v2, err)
	}

	writeRename(t, path, []byte("version: 3\nsources: [{"))
	waitVersion(t, seen)
	if _, _, err := s.Load(ctx); err == nil {
		t.Fatal("bad file loaded")
	}
	writeRename(t, path, doc("album"))
	waitVersion(t, seen)
	md, v3, err := s.Load(ctx)
	if err != nil || v3 <= v2 || md.Sources[0].Tables[0].Table.Name != "album" {
		t.Fatalf("after fix: v%d %v", v3, err)
	}
}

// TestFileStoreSymlinkSwap mimics a Kubernetes ConfigMap volume: the file is
// a symlink through "..data", which is atomically re-pointed.
func TestFileStoreSymlinkSwap(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	for name, table := range map[string]string{"v1": "author", "v2": "article"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "metadata.yaml"), doc(table), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("v1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "metadata.yaml")
	if err := os.Symlink(filepath.Join("..data", "metadata.yaml"), path); err != nil {
		t.Fatal(err)
	}
	s, err := metastore.NewFile(path, nil, metastore.WithRescanInterval(noRescan))
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan int64, 16)
	go func() { _ = s.Watch(ctx, func(v int64) { seen <- v }) }()
	waitVersion(t, seen) // the version at start: the watch is in place
	if err := os.Symlink("v2", filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	waitVersion(t, seen)
	md, _, err := s.Load(ctx)
	if err != nil || md.Sources[0].Tables[0].Table.Name != "article" {
		t.Fatalf("after swap: %v", err)
	}
}

// TestFileStoreRescansForMissedEvents: a change no event announces (here:
// the target of a symlink, in a directory the watch does not see) is found
// by the rescan.
func TestFileStoreRescansForMissedEvents(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watched, elsewhere := t.TempDir(), t.TempDir()
	target := filepath.Join(elsewhere, "metadata.yaml")
	if err := os.WriteFile(target, doc("author"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(watched, "metadata.yaml")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	s, err := metastore.NewFile(path, nil, metastore.WithRescanInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan int64, 16)
	go func() { _ = s.Watch(ctx, func(v int64) { seen <- v }) }()
	waitVersion(t, seen)
	writeRename(t, target, doc("article"))
	waitVersion(t, seen)
	if md, _, err := s.Load(ctx); err != nil || md.Sources[0].Tables[0].Table.Name != "article" {
		t.Fatalf("after the rescan: %v", err)
	}
}
