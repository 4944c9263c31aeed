package enginereport

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	crconfig "sigs.k8s.io/controller-runtime/pkg/client/config"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/engine/state"
)

const (
	// defaultRefresh re-sends the last report now and then, so that a
	// stale report of another pod does not stick. Unchanged, it writes
	// nothing.
	defaultRefresh = time.Minute
	// retryMin and retryMax bound the backoff between failed reports.
	retryMin = 500 * time.Millisecond
	retryMax = 30 * time.Second
)

// engineResource is the GraphQLEngine resource.
var engineResource = v1alpha1.GroupVersion.WithResource("graphqlengines")

// Source tells which document a store version is and whom to report to
// (*metastore.ConfigMap).
type Source interface {
	// Hash returns the sha256 of the document at a store version, if
	// known.
	Hash(version int64) (string, bool)
	// Owner returns the namespace and name of the GraphQLEngine owning
	// the metadata; name is "" when there is none.
	Owner() (namespace, name string)
}

// State is what the reporter reads of the engine's state (*state.Manager).
type State interface {
	// Current is the snapshot being served.
	Current() *state.Snapshot
	// Subscribe announces snapshot swaps.
	Subscribe() (<-chan uint64, func())
}

// Reporter reports what an engine serves on its GraphQLEngine's status: at
// start, after every snapshot swap and every Refresh, retrying failures with
// backoff.
type Reporter struct {
	// Client reaches the API server as the engine.
	Client dynamic.Interface
	// Source is the engine's metadata store.
	Source Source
	// State is the engine's state manager.
	State State
	// Log receives failures (slog.Default() when nil).
	Log *slog.Logger
	// Refresh is how often an unchanged report is re-sent; a minute when 0.
	Refresh time.Duration
}

// Run is an app.Background: when store is a ConfigMap store (`strata engine
// --metadata-configmap`), it reports what st serves on the owning
// GraphQLEngine's status until ctx ends, through the API server configured
// as for the store (in-cluster or KUBECONFIG). With any other store it
// returns at once.
func Run(ctx context.Context, store metastore.Store, st *state.Manager, log *slog.Logger) {
	cm, ok := store.(*metastore.ConfigMap)
	if !ok {
		return
	}
	if log == nil {
		log = slog.Default()
	}
	rc, err := crconfig.GetConfig()
	if err == nil {
		var client dynamic.Interface
		if client, err = dynamic.NewForConfig(rc); err == nil {
			(&Reporter{Client: client, Source: cm, State: st, Log: log}).Run(ctx)
			return
		}
	}
	log.Error("cannot report the served metadata on the GraphQLEngine status: no Kubernetes client", "error", err)
}

// Run reports until ctx ends.
func (r *Reporter) Run(ctx context.Context) {
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	refreshEvery := r.Refresh
	if refreshEvery <= 0 {
		refreshEvery = defaultRefresh
	}
	changes, done := r.State.Subscribe()
	defer done()
	retry := time.NewTimer(0) // report at start
	defer retry.Stop()
	refresh := time.NewTicker(refreshEvery)
	defer refresh.Stop()
	var last []byte
	delay := retryMin
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
		case <-retry.C:
		case <-refresh.C:
			last = nil
		}
		sent, err := r.report(ctx, log, last)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("cannot report the served metadata on the GraphQLEngine status", "error", err, "retry_in", delay)
			retry.Reset(delay)
			delay = min(2*delay, retryMax)
			continue
		}
		last, delay = sent, retryMin
	}
}

// report applies the engine's status report unless it equals last (the
// previous report's body), and returns the body it stands at.
func (r *Reporter) report(ctx context.Context, log *slog.Logger, last []byte) ([]byte, error) {
	snap := r.State.Current()
	hash, ok := r.Source.Hash(snap.ResourceVersion)
	ns, owner := r.Source.Owner()
	if !ok || owner == "" {
		// A version the store no longer knows (not reported), or a
		// hand-written ConfigMap with no GraphQLEngine to report to.
		if owner == "" {
			log.Debug("no status report: the metadata ConfigMap is not owned by a GraphQLEngine")
		}
		return last, nil
	}
	st := StatusOf(hash, snap.Inconsistencies)
	body, err := json.Marshal(st)
	if err != nil {
		return last, fmt.Errorf("encode status report: %w", err)
	}
	if string(body) == string(last) {
		return last, nil
	}
	status, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&st)
	if err != nil {
		return last, fmt.Errorf("encode status report: %w", err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.GroupVersion.String(),
		"kind":       "GraphQLEngine",
		"metadata":   map[string]any{"name": owner, "namespace": ns},
		"status":     status,
	}}
	if _, err := r.Client.Resource(engineResource).Namespace(ns).ApplyStatus(ctx, owner, u,
		metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
		return last, fmt.Errorf("apply status of GraphQLEngine %s/%s: %w", ns, owner, err)
	}
	log.Debug("reported served metadata", "engine", ns+"/"+owner, "sha256", hash, "inconsistent_objects", len(snap.Inconsistencies))
	return body, nil
}
