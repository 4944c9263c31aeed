package metastore

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore/cmformat"
)

const (
	// configMapResync makes the informer replay the ConfigMap now and then,
	// which re-checks it even if an event was somehow lost.
	configMapResync = 10 * time.Minute
	// configMapRetryMin and configMapRetryMax bound the backoff between
	// attempts to read a ConfigMap that could not be assembled (a part
	// missing or from another version, the API server unreachable).
	configMapRetryMin = 500 * time.Millisecond
	configMapRetryMax = 30 * time.Second
	// versionsKept is how many version -> hash mappings are remembered for
	// Hash (the state manager serves one of the last few).
	versionsKept = 16
)

// ConfigMap serves metadata that the Strata operator publishes in Kubernetes
// ConfigMaps (in the format of package cmformat), or that someone wrote by
// hand as data "metadata.yaml" or "metadata.json". It is read-only: the
// metadata is managed by Kubernetes resources (Tables, Permissions, ...).
//
// It watches the main ConfigMap through the API server, selected by name so
// that the engine needs read access to its own ConfigMaps only, reassembles
// and checks each new document (hash, parse) and only then makes it the
// current one: invalid content never replaces the last good document. Its
// version is a counter bumped on every new valid document.
//
// It reports nothing to Kubernetes: Hash and Owner tell a status reporter
// outside the engine (internal/enginereport) which document a version is and
// whose it is.
type ConfigMap struct {
	client    kubernetes.Interface
	namespace string
	name      string
	log       *slog.Logger

	mu      sync.Mutex
	doc     []byte
	hash    string
	version int64
	owner   string           // the GraphQLEngine owning the ConfigMap, "" if none
	hashes  map[int64]string // recent versions' hashes
	lastErr error
}

var _ Store = (*ConfigMap)(nil)

// NewConfigMap returns a store serving the metadata of ConfigMap
// namespace/name, reached through cfg. It waits until the ConfigMap exists
// and holds valid metadata, or until ctx ends (then it fails with the reason
// the last attempt failed).
func NewConfigMap(ctx context.Context, cfg *rest.Config, namespace, name string, log *slog.Logger) (*ConfigMap, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("metastore: Kubernetes client: %w", err)
	}
	return newConfigMap(ctx, cs, namespace, name, log)
}

// newConfigMap is NewConfigMap with a given client.
func newConfigMap(ctx context.Context, cs kubernetes.Interface, namespace, name string, log *slog.Logger) (*ConfigMap, error) {
	if log == nil {
		log = slog.Default()
	}
	c := &ConfigMap{
		client: cs, namespace: namespace, name: name,
		log:    log.With("configmap", namespace+"/"+name),
		hashes: map[int64]string{},
	}
	delay := configMapRetryMin
	for {
		main, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			var doc []byte
			var hash string
			if doc, hash, err = c.assemble(ctx, main); err == nil {
				c.accept(doc, hash, ownerOf(main))
				c.log.Info("metadata loaded from ConfigMap", "sha256", hash, "bytes", len(doc))
				return c, nil
			}
		} else {
			err = fmt.Errorf("metastore: get ConfigMap %s/%s: %w", namespace, name, err)
		}
		c.log.Warn("metadata ConfigMap not usable yet; retrying", "error", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("metastore: no valid metadata in ConfigMap %s/%s: %w", namespace, name, err)
		case <-time.After(delay):
		}
		delay = min(2*delay, configMapRetryMax)
	}
}

// ReadOnly reports that a ConfigMap store cannot be written: its metadata is
// managed by Kubernetes resources.
func (c *ConfigMap) ReadOnly() bool { return true }

// Load implements Store: it returns the last good document.
func (c *ConfigMap) Load(context.Context) (*metadata.Metadata, int64, error) {
	c.mu.Lock()
	doc, v := c.doc, c.version
	c.mu.Unlock()
	md, err := metadata.Parse(doc)
	if err != nil {
		// accept only keeps documents that parse; this cannot happen.
		return nil, 0, fmt.Errorf("metastore: ConfigMap %s/%s: %w", c.namespace, c.name, err)
	}
	return md, v, nil
}

// ErrManagedByKubernetes is what a ConfigMap store's Save returns. It is an
// ErrReadOnly (errors.Is) whose message tells the user where to make the
// change instead.
var ErrManagedByKubernetes error = managedError{}

type managedError struct{}

func (managedError) Error() string {
	return "metadata is managed by Kubernetes resources (GraphQLEngine, Table, Permission): change them instead of using the metadata API"
}

// Is makes errors.Is(err, ErrReadOnly) hold.
func (managedError) Is(target error) bool { return target == ErrReadOnly }

// Save implements Store; the metadata is managed by Kubernetes resources,
// so it returns ErrManagedByKubernetes.
func (c *ConfigMap) Save(context.Context, *metadata.Metadata, int64) (int64, error) {
	return 0, ErrManagedByKubernetes
}

// Hash returns the sha256 of the document at the given version (the
// metadataVersion the operator published), if it is one of the recent ones.
func (c *ConfigMap) Hash(version int64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.hashes[version]
	return h, ok
}

// Owner returns the namespace and the name of the GraphQLEngine whose
// controller owner reference the main ConfigMap carries (cmformat.OwnerKind);
// name is "" when there is none (a hand-written ConfigMap).
func (c *ConfigMap) Owner() (namespace, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.namespace, c.owner
}

// LastError is why the last change of the ConfigMap was not taken, or nil
// when the current document is the ConfigMap's.
func (c *ConfigMap) LastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// Watch implements Store. It reports the current version at start, then
// runs an informer on the main ConfigMap (field selector on its name) and
// reports every new valid document. Everything stops when ctx ends.
func (c *ConfigMap) Watch(ctx context.Context, fn func(version int64)) error {
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	fn(v)

	byName := fields.OneTermEqualSelector("metadata.name", c.name).String()
	cms := c.client.CoreV1().ConfigMaps(c.namespace)
	lw := cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = byName
			return cms.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = byName
			return cms.Watch(ctx, o)
		},
	}, c.client) // streaming lists where the client supports them
	inf := cache.NewSharedIndexInformer(lw, &corev1.ConfigMap{}, configMapResync, cache.Indexers{})
	poke := make(chan struct{}, 1)
	notify := func(any) {
		select {
		case poke <- struct{}{}:
		default:
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    notify,
		UpdateFunc: func(_, o any) { notify(o) },
		DeleteFunc: notify,
	}); err != nil {
		return fmt.Errorf("metastore: watch ConfigMap %s/%s: %w", c.namespace, c.name, err)
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { inf.RunWithContext(ctx) })

	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	delay := configMapRetryMin
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-poke:
		case <-retry.C:
		}
		switch changed, err := c.sync(ctx, inf.GetStore()); {
		case err != nil:
			if ctx.Err() != nil {
				return nil
			}
			retry.Reset(delay)
			delay = min(2*delay, configMapRetryMax)
		case changed:
			delay = configMapRetryMin
			c.mu.Lock()
			v := c.version
			c.mu.Unlock()
			fn(v)
		default:
			delay = configMapRetryMin
		}
	}
}

// sync reads the main ConfigMap from the informer's store and takes its
// document if it is new and valid. It reports whether the document changed;
// an error means it should be tried again later.
func (c *ConfigMap) sync(ctx context.Context, store cache.Store) (bool, error) {
	obj, exists, err := store.GetByKey(c.namespace + "/" + c.name)
	if err != nil {
		return false, c.reject(fmt.Errorf("metastore: read ConfigMap %s/%s from the watch cache: %w", c.namespace, c.name, err))
	}
	if !exists {
		// Deleted (or not there yet): keep serving what we have; the
		// operator recreates it.
		return false, c.reject(fmt.Errorf("metastore: ConfigMap %s/%s does not exist; keeping the current metadata", c.namespace, c.name))
	}
	main, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return false, fmt.Errorf("metastore: unexpected %T in the ConfigMap watch cache", obj)
	}
	c.mu.Lock()
	same := main.Annotations[cmformat.AnnotationSHA256] != "" && main.Annotations[cmformat.AnnotationSHA256] == c.hash
	if same {
		c.owner = ownerOf(main)
		c.lastErr = nil
	}
	c.mu.Unlock()
	if same {
		return false, nil
	}
	doc, hash, err := c.assemble(ctx, main)
	if err != nil {
		return false, c.reject(err)
	}
	return c.accept(doc, hash, ownerOf(main)), nil
}

// reject records err as the reason the ConfigMap's content was not taken.
// It logs each distinct reason once.
func (c *ConfigMap) reject(err error) error {
	c.mu.Lock()
	repeated := c.lastErr != nil && c.lastErr.Error() == err.Error()
	c.lastErr = err
	c.mu.Unlock()
	if !repeated {
		c.log.Warn("metadata ConfigMap change not taken: keeping the current metadata", "error", err)
	}
	return err
}

// accept makes doc the current document unless it already is, and reports
// whether it changed.
func (c *ConfigMap) accept(doc []byte, hash, owner string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.owner = owner
	c.lastErr = nil
	if hash == c.hash && c.version > 0 {
		return false
	}
	c.doc, c.hash = doc, hash
	c.version++
	c.hashes[c.version] = hash
	delete(c.hashes, c.version-versionsKept)
	if c.version > 1 {
		c.log.Info("metadata ConfigMap changed", "sha256", hash, "bytes", len(doc), "version", c.version)
	}
	return true
}

// assemble reads the document of the main ConfigMap (and of its parts),
// checks it and returns it with its hash.
func (c *ConfigMap) assemble(ctx context.Context, main *corev1.ConfigMap) ([]byte, string, error) {
	where := fmt.Sprintf("ConfigMap %s/%s", c.namespace, c.name)
	sum := main.Annotations[cmformat.AnnotationSHA256]
	if sum == "" {
		// Hand-written: the document as text.
		doc, ok := []byte(main.Data[cmformat.PlainYAMLKey]), main.Data[cmformat.PlainYAMLKey] != ""
		if !ok {
			doc, ok = []byte(main.Data[cmformat.PlainJSONKey]), main.Data[cmformat.PlainJSONKey] != ""
		}
		if !ok {
			return nil, "", fmt.Errorf("metastore: %s has neither the %s annotation nor data %q or %q", where, cmformat.AnnotationSHA256, cmformat.PlainYAMLKey, cmformat.PlainJSONKey)
		}
		if _, err := metadata.Parse(doc); err != nil {
			return nil, "", fmt.Errorf("metastore: %s: %w", where, err)
		}
		return doc, cmformat.DocumentHash(doc), nil
	}
	chunk, ok := main.BinaryData[cmformat.DataKey]
	if !ok {
		return nil, "", fmt.Errorf("metastore: %s has no binaryData %q", where, cmformat.DataKey)
	}
	names := cmformat.PartNames(main.Annotations[cmformat.AnnotationParts])
	if len(names)+1 > cmformat.MaxParts {
		return nil, "", fmt.Errorf("metastore: %s lists %d parts, more than %d", where, len(names), cmformat.MaxParts-1)
	}
	chunks := [][]byte{chunk}
	for i, name := range names {
		part, err := c.client.CoreV1().ConfigMaps(c.namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				return nil, "", fmt.Errorf("metastore: part %d (%s) of %s does not exist", i+1, name, where)
			}
			return nil, "", fmt.Errorf("metastore: get part %d (%s) of %s: %w", i+1, name, where, err)
		}
		if got := part.Annotations[cmformat.AnnotationSHA256]; got != sum {
			return nil, "", fmt.Errorf("metastore: part %d (%s) of %s belongs to metadata %s, not %s (update in progress?)", i+1, name, where, short(got), short(sum))
		}
		if got := part.Annotations[cmformat.AnnotationPart]; got != strconv.Itoa(i+1) {
			return nil, "", fmt.Errorf("metastore: part %s of %s is annotated as part %q, want %d", name, where, got, i+1)
		}
		b, ok := part.BinaryData[cmformat.DataKey]
		if !ok {
			return nil, "", fmt.Errorf("metastore: part %s of %s has no binaryData %q", name, where, cmformat.DataKey)
		}
		chunks = append(chunks, b)
	}
	doc, err := cmformat.DecodeChunks(chunks, sum)
	if err != nil {
		return nil, "", fmt.Errorf("%w (%s)", err, where)
	}
	if _, err := metadata.Parse(doc); err != nil {
		return nil, "", fmt.Errorf("metastore: %s: %w", where, err)
	}
	return doc, sum, nil
}

// ownerOf returns the name of the GraphQLEngine controlling cm, or "".
func ownerOf(cm *corev1.ConfigMap) string {
	for _, r := range cm.OwnerReferences {
		if r.Controller != nil && *r.Controller && r.Kind == cmformat.OwnerKind && r.APIVersion == cmformat.OwnerAPIVersion {
			return r.Name
		}
	}
	return ""
}

// short abbreviates a hash for messages.
func short(h string) string {
	if h == "" {
		return `""`
	}
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
