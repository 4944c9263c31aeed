package metastore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore/cmformat"
)

// docWith returns a metadata document tracking the given tables, padded
// with n column comments so that it can be made to span several parts.
func docWith(n int, tables ...string) []byte {
	md := metadata.Empty()
	for _, t := range tables {
		tbl := metadata.Table{Table: metadata.QualifiedTable{Schema: "public", Name: t}}
		if n > 0 {
			tbl.Configuration = &metadata.TableConfig{ColumnConfig: map[string]metadata.ColumnConfig{}}
			for i := range n {
				c := fmt.Sprintf("comment %d of %s %x", i, t, i*7919)
				tbl.Configuration.ColumnConfig[fmt.Sprintf("c%d", i)] = metadata.ColumnConfig{Comment: &c}
			}
		}
		md.Sources[0].Tables = append(md.Sources[0].Tables, tbl)
	}
	return md.JSON()
}

// configMaps returns the ConfigMaps publishing doc as the operator does.
func configMaps(t *testing.T, name string, doc []byte, partBytes int) []*corev1.ConfigMap {
	t.Helper()
	chunks, err := cmformat.EncodeChunks(doc, partBytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := cmformat.DocumentHash(doc)
	owner := []metav1.OwnerReference{{APIVersion: cmformat.OwnerAPIVersion, Kind: cmformat.OwnerKind, Name: "demo", UID: "u", Controller: ptr.To(true)}}
	var names []string
	var out []*corev1.ConfigMap
	for i := 1; i < len(chunks); i++ {
		n := cmformat.PartName(name, i)
		names = append(names, n)
		out = append(out, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: n, OwnerReferences: owner,
				Annotations: map[string]string{cmformat.AnnotationSHA256: sum, cmformat.AnnotationPart: strconv.Itoa(i)}},
			BinaryData: map[string][]byte{cmformat.DataKey: chunks[i]},
		})
	}
	return append(out, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, OwnerReferences: owner,
			Annotations: map[string]string{cmformat.AnnotationSHA256: sum, cmformat.AnnotationParts: strings.Join(names, ",")}},
		BinaryData: map[string][]byte{cmformat.DataKey: chunks[0]},
	})
}

// put creates or updates ConfigMaps in the fake cluster, in order.
func put(t *testing.T, cs *fake.Clientset, cms ...*corev1.ConfigMap) {
	t.Helper()
	ctx := context.Background()
	for _, cm := range cms {
		if _, err := cs.CoreV1().ConfigMaps(cm.Namespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			if _, err := cs.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func tables(t *testing.T, s Store) []string {
	t.Helper()
	md, _, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range md.Source(metadata.DefaultSource).Tables {
		out = append(out, tb.Table.Name)
	}
	return out
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigMapStoreFollowsValidChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := fake.NewClientset()
	put(t, cs, configMaps(t, "demo-metadata", docWith(300, "album"), 2048)...)

	s, err := newConfigMap(ctx, cs, "ns", "demo-metadata", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ReadOnly(s) {
		t.Fatal("a ConfigMap store must be read-only")
	}
	if _, err := s.Save(ctx, metadata.Empty(), 1); !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "metadata is managed by Kubernetes resources") {
		t.Fatalf("Save: %v", err)
	}
	if got := tables(t, s); len(got) != 1 || got[0] != "album" {
		t.Fatalf("loaded %v", got)
	}
	if h, ok := s.Hash(1); !ok || h != cmformat.DocumentHash(docWith(300, "album")) {
		t.Fatalf("version 1 hash %q", h)
	}
	if ns, owner := s.Owner(); ns != "ns" || owner != "demo" {
		t.Fatalf("owner %s/%s, want ns/demo", ns, owner)
	}

	// The fake clientset drops events between an informer's list and
	// watch (the API server does not): wait until the watch is there.
	// This reactor opens the watch as the clientset would, then says so.
	watching := make(chan struct{}, 1)
	cs.PrependWatchReactor("configmaps", func(a k8stesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := a.(k8stesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := cs.Tracker().Watch(a.GetResource(), a.GetNamespace(), opts)
		if err != nil {
			return false, nil, err
		}
		select {
		case watching <- struct{}{}:
		default:
		}
		return true, w, nil
	})
	var latest atomic.Int64
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, func(v int64) { latest.Store(v) }) }()
	waitFor(t, "the version at start", func() bool { return latest.Load() == 1 })
	<-watching

	// A new document spanning several parts.
	put(t, cs, configMaps(t, "demo-metadata", docWith(300, "album", "artist"), 2048)...)
	waitFor(t, "the change", func() bool { return latest.Load() == 2 })
	if got := tables(t, s); len(got) != 2 {
		t.Fatalf("after the change: %v", got)
	}

	// A main ConfigMap whose parts are from another version (an update in
	// progress): kept out, the last good document stays.
	next := configMaps(t, "demo-metadata", docWith(300, "album", "artist", "track"), 2048)
	put(t, cs, next[len(next)-1])
	waitFor(t, "the rejection", func() bool { return s.LastError() != nil })
	if !strings.Contains(s.LastError().Error(), "belongs to metadata") {
		t.Fatalf("error: %v", s.LastError())
	}
	if got := tables(t, s); len(got) != 2 || latest.Load() != 2 {
		t.Fatalf("a half-written update replaced the metadata: %v (version %d)", got, latest.Load())
	}
	// The parts arrive: the store retries on its own and takes it.
	put(t, cs, next[:len(next)-1]...)
	waitFor(t, "the completed update", func() bool { return latest.Load() == 3 })
	if got := tables(t, s); len(got) != 3 || s.LastError() != nil {
		t.Fatalf("after the parts: %v, %v", got, s.LastError())
	}

	// Corrupt content (hash mismatch) and metadata that does not parse are
	// refused.
	bad := configMaps(t, "demo-metadata", docWith(0, "x"), 0)[0]
	bad.Annotations[cmformat.AnnotationSHA256] = cmformat.DocumentHash([]byte("something else"))
	put(t, cs, bad)
	waitFor(t, "the hash rejection", func() bool {
		return s.LastError() != nil && strings.Contains(s.LastError().Error(), "sha256")
	})
	unparsable := configMaps(t, "demo-metadata", []byte(`{"version": 2}`), 0)[0]
	put(t, cs, unparsable)
	waitFor(t, "the parse rejection", func() bool {
		return s.LastError() != nil && strings.Contains(s.LastError().Error(), "unsupported metadata version")
	})
	// Deleted: still the last good document.
	if err := cs.CoreV1().ConfigMaps("ns").Delete(ctx, "demo-metadata", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deletion", func() bool {
		return s.LastError() != nil && strings.Contains(s.LastError().Error(), "does not exist")
	})
	if got := tables(t, s); len(got) != 3 || latest.Load() != 3 {
		t.Fatalf("bad content replaced the metadata: %v (version %d)", got, latest.Load())
	}

	// A hand-written ConfigMap (YAML, no annotations) is served too.
	put(t, cs, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "demo-metadata"},
		Data:       map[string]string{"metadata.yaml": "version: 3\nsources:\n- name: default\n  kind: postgres\n  tables:\n  - table: {schema: public, name: genre}\n"},
	})
	waitFor(t, "the hand-written document", func() bool { return latest.Load() == 4 })
	if got := tables(t, s); len(got) != 1 || got[0] != "genre" {
		t.Fatalf("hand-written: %v", got)
	}
	if _, owner := s.Owner(); owner != "" {
		t.Fatalf("a hand-written ConfigMap has owner %q", owner)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not stop with its context")
	}
}

func TestNewConfigMapWaitsForValidContent(t *testing.T) {
	cs := fake.NewClientset()
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	if _, err := newConfigMap(ctx, cs, "ns", "missing", nil); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing ConfigMap: %v", err)
	}

	// Created while the store waits: taken. The first get finds nothing
	// (this reactor answers it); the ConfigMap is created after that.
	asked := make(chan struct{})
	var first sync.Once
	cs.PrependReactor("get", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		answered := false
		first.Do(func() { answered = true; close(asked) })
		if !answered {
			return false, nil, nil
		}
		return true, nil, apierrors.NewNotFound(corev1.Resource("configmaps"), a.(k8stesting.GetAction).GetName())
	})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	type result struct {
		s   *ConfigMap
		err error
	}
	loaded := make(chan result, 1)
	go func() {
		s, err := newConfigMap(ctx2, cs, "ns", "late", nil)
		loaded <- result{s, err}
	}()
	<-asked
	put(t, cs, configMaps(t, "late", docWith(0, "album"), 0)...)
	r := <-loaded
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := tables(t, r.s); len(got) != 1 {
		t.Fatalf("loaded %v", got)
	}
}
