package metastore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/engine/metadata"
)

// This file is the engine's half of the status back-channel: the engine
// reports, on the status of the GraphQLEngine that owns its metadata
// ConfigMap, which metadata it serves (status.servedMetadataVersion, the
// sha256 the operator published) and which objects of it are inconsistent
// with the database (status.engineInconsistencies). The operator's metadata
// controller turns that into the Ready condition of each Table and
// Permission. The engine's Role allows exactly this: patch on its own
// GraphQLEngine's status subresource.

const (
	// EngineFieldManager is the server-side apply field manager of the
	// engine's status reports. Every pod of an engine uses it, so the last
	// report wins; all pods converge on the same metadata.
	EngineFieldManager = "strata-engine"
	// maxReportedInconsistencies is the most inconsistencies listed (the
	// API's limit); engineInconsistencyCount has the total.
	maxReportedInconsistencies = 256
	// maxReasonLength is the API's limit on a reported reason.
	maxReasonLength = 1024
	// reportRefresh re-sends the last report now and then, so that a stale
	// report of another pod does not stick. Unchanged, it writes nothing.
	reportRefresh = time.Minute
	// engineAPIVersion is the apiVersion of GraphQLEngine.
	engineAPIVersion = "graphql.strata.dev/v1alpha1"
)

// engineResource is the GraphQLEngine resource.
var engineResource = schema.GroupVersionResource{Group: v1alpha1.GroupVersion.Group, Version: v1alpha1.GroupVersion.Version, Resource: "graphqlengines"}

// ServedFunc returns what the engine serves now: the store version of its
// snapshot's metadata and the snapshot's inconsistent objects.
type ServedFunc func() (version int64, inconsistencies []metadata.Inconsistency)

// ReportServed makes Watch also report what the engine serves on the
// owning GraphQLEngine's status, after every snapshot change announced on
// the channels subscribe returns (state.Manager.Subscribe). It must be
// called before Watch starts; the reports stop with Watch.
//
// In engine/app this is, between state.New and Manager.Start:
//
//	if cm, ok := store.(*metastore.ConfigMap); ok {
//		cm.ReportServed(func() (int64, []metadata.Inconsistency) {
//			s := mgr.Current()
//			return s.ResourceVersion, s.Inconsistencies
//		}, mgr.Subscribe)
//	}
func (c *ConfigMap) ReportServed(served ServedFunc, subscribe func() (<-chan uint64, func())) {
	c.served, c.subscribe = served, subscribe
}

// runReporter reports at start, after every snapshot change and every
// reportRefresh, retrying failures with backoff, until ctx ends.
func (c *ConfigMap) runReporter(ctx context.Context) {
	changes, done := c.subscribe()
	defer done()
	retry := time.NewTimer(0) // report at start
	defer retry.Stop()
	refresh := time.NewTicker(reportRefresh)
	defer refresh.Stop()
	var last []byte
	delay := configMapRetryMin
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
		case <-retry.C:
		case <-refresh.C:
			last = nil
		}
		sent, err := c.report(ctx, last)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.log.Warn("cannot report the served metadata on the GraphQLEngine status", "error", err, "retry_in", delay)
			retry.Reset(delay)
			delay = min(2*delay, configMapRetryMax)
			continue
		}
		last, delay = sent, configMapRetryMin
	}
}

// report applies the engine's status report unless it equals last (the
// previous report's body), and returns the body it stands at.
func (c *ConfigMap) report(ctx context.Context, last []byte) ([]byte, error) {
	version, inc := c.served()
	hash, ok := c.Hash(version)
	c.mu.Lock()
	owner := c.owner
	c.mu.Unlock()
	if !ok || owner == "" {
		// A version this store did not load (not reported), or a
		// hand-written ConfigMap with no GraphQLEngine to report to.
		if owner == "" {
			c.log.Debug("no status report", "reason", errNoOwner)
		}
		return last, nil
	}
	st := StatusReport(hash, inc)
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
		"apiVersion": engineAPIVersion,
		"kind":       "GraphQLEngine",
		"metadata":   map[string]any{"name": owner, "namespace": c.namespace},
		"status":     status,
	}}
	if _, err := c.dynamic.Resource(engineResource).Namespace(c.namespace).ApplyStatus(ctx, owner, u,
		metav1.ApplyOptions{FieldManager: EngineFieldManager, Force: true}); err != nil {
		return last, fmt.Errorf("apply status of GraphQLEngine %s/%s: %w", c.namespace, owner, err)
	}
	c.log.Debug("reported served metadata", "engine", owner, "sha256", hash, "inconsistent_objects", len(inc))
	return body, nil
}

// EngineStatusReport is the part of GraphQLEngineStatus the engine owns.
// Every field is always sent so that the engine keeps owning it, except that
// empty lists are left out (which removes them).
type EngineStatusReport struct {
	ServedMetadataVersion    string                           `json:"servedMetadataVersion"`
	EngineInconsistencies    []v1alpha1.MetadataInconsistency `json:"engineInconsistencies,omitempty"`
	EngineInconsistencyCount int32                            `json:"engineInconsistencyCount"`
}

// StatusReport builds the engine's status report for metadata hash and its
// inconsistencies, sorted and capped to the API's limits.
func StatusReport(hash string, inc []metadata.Inconsistency) EngineStatusReport {
	list := make([]v1alpha1.MetadataInconsistency, 0, len(inc))
	for _, i := range inc {
		list = append(list, ReportedInconsistency(i))
	}
	sort.Slice(list, func(a, b int) bool {
		x, y := list[a], list[b]
		if x.Type != y.Type {
			return x.Type < y.Type
		}
		if tx, ty := qualified(x.Table), qualified(y.Table); tx != ty {
			return tx < ty
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.Reason < y.Reason
	})
	r := EngineStatusReport{ServedMetadataVersion: hash, EngineInconsistencyCount: int32(len(list))}
	if len(list) > maxReportedInconsistencies {
		list = list[:maxReportedInconsistencies]
	}
	if len(list) > 0 {
		r.EngineInconsistencies = list
	}
	return r
}

func qualified(q *v1alpha1.QualifiedName) string {
	if q == nil {
		return ""
	}
	return q.Schema + "." + q.Name
}

// ReportedInconsistency turns an inconsistency into its API form: the
// table it belongs to and its name within the table (the relationship or
// computed field, or the role of a permission).
func ReportedInconsistency(i metadata.Inconsistency) v1alpha1.MetadataInconsistency {
	out := v1alpha1.MetadataInconsistency{Type: i.Kind, Reason: truncate(i.Reason, maxReasonLength)}
	if i.Table != nil {
		out.Table = &v1alpha1.QualifiedName{Schema: i.Table.Schema, Name: i.Table.Name}
		if out.Table.Schema == "" {
			out.Table.Schema = "public"
		}
	}
	if i.IsPermission() {
		out.Name = truncate(i.Role, 256)
	} else if i.Kind != metadata.KindTable && i.Table != nil {
		out.Name = truncate(i.Name, 256)
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	n -= len(ellipsis)
	for n > 0 && s[n]&0xC0 == 0x80 { // not in the middle of a rune
		n--
	}
	return s[:n] + ellipsis
}
