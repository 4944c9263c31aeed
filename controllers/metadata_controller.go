package controllers

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/controllers/conditions"
	"github.com/stratagql/strata/engine/metastore/cmformat"
)

const (
	// MetadataFieldManager is the server-side apply field manager of the
	// metadata controller: the metadata ConfigMaps, the status of Tables
	// and Permissions, and its part of the GraphQLEngine status.
	MetadataFieldManager = "strata-operator-metadata"

	// tableEngineIndex indexes Tables by spec.engineRef.name.
	tableEngineIndex = "table.spec.engineRef.name"
	// metadataEventAction is the action of the metadata controller's Events.
	metadataEventAction = "PublishMetadata"
	// defaultStatusWorkers bounds concurrent status writes.
	defaultStatusWorkers = 8
	// maxInconsistentObjects and maxInconsistentObjectLength are the API's
	// limits on status.inconsistentObjects.
	maxInconsistentObjects      = 32
	maxInconsistentObjectLength = 512
)

// MetadataReconciler publishes the metadata of each GraphQLEngine: it builds
// Hasura metadata from the engine and the Tables and Permissions attached to
// it (BuildMetadata), publishes it in ConfigMaps owned by the engine
// (BuildMetadataConfigMaps) when it changed, and reports on every object:
// Ready on Tables and Permissions (rejected ones with the reason, and those
// the engine pods report inconsistent), metadataVersion and
// MetadataConsistent on the engine.
//
// Requests are engine keys. A request with an empty name is a namespace
// sweep: it marks the Permissions whose Table does not exist, which belong
// to no engine.
type MetadataReconciler struct {
	client.Client
	// Recorder emits Kubernetes Events.
	Recorder events.EventRecorder
	// MaxConfigMapBytes is the largest chunk of gzipped metadata put in one
	// ConfigMap; cmformat.DefaultPartBytes when 0.
	MaxConfigMapBytes int
	// StatusWorkers bounds concurrent status writes; 8 when 0.
	StatusWorkers int

	// written remembers, per engine, the resourceVersion of each metadata
	// ConfigMap as this process last applied it: a ConfigMap whose version
	// moved on was changed by someone else and is applied again.
	mu      sync.Mutex
	written map[types.NamespacedName]map[string]string
}

// +kubebuilder:rbac:groups=graphql.strata.dev,resources=graphqlengines,verbs=get;list;watch
// +kubebuilder:rbac:groups=graphql.strata.dev,resources=graphqlengines/status,verbs=get;patch
// +kubebuilder:rbac:groups=graphql.strata.dev,resources=tables;permissions,verbs=get;list;watch
// +kubebuilder:rbac:groups=graphql.strata.dev,resources=tables/status;permissions/status,verbs=get;patch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile publishes one engine's metadata and reports on its objects, or
// sweeps a namespace's orphan Permissions (empty name).
func (r *MetadataReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if req.Name == "" {
		return ctrl.Result{}, r.sweepOrphans(ctx, req.Namespace)
	}
	eng := &v1alpha1.GraphQLEngine{}
	err := r.Get(ctx, req.NamespacedName, eng)
	if apierrors.IsNotFound(err) || (err == nil && !eng.DeletionTimestamp.IsZero()) {
		r.forget(req.NamespacedName)
		return ctrl.Result{}, r.engineGone(ctx, req.NamespacedName)
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("get GraphQLEngine %s: %w", req, err)
	}

	tables, perms, err := r.engineObjects(ctx, eng)
	if err != nil {
		return ctrl.Result{}, err
	}
	build := BuildMetadata(eng, tables, perms)
	if err := r.publish(ctx, eng, build); err != nil {
		r.Recorder.Eventf(eng, nil, corev1.EventTypeWarning, v1alpha1.ReasonPublishFailed, metadataEventAction, "%s", err.Error())
		conditions.MarkFalse(eng, v1alpha1.ConditionMetadataConsistent, v1alpha1.ReasonPublishFailed,
			"the metadata could not be published: "+err.Error())
		if serr := r.applyEngineStatus(ctx, eng, eng.Status.MetadataVersion, eng.Status.InconsistentObjects); serr != nil {
			logf.FromContext(ctx).Error(serr, "could not report the failure in the status")
		}
		return ctrl.Result{}, err
	}

	tv, pv, notServed := ApplyEngineReport(build, &eng.Status)
	setMetadataConsistent(eng, build, notServed)
	if err := r.writeStatuses(ctx, tables, perms, tv, pv); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.applyEngineStatus(ctx, eng, build.Hash, notServed); err != nil {
		return ctrl.Result{}, err
	}
	logf.FromContext(ctx).V(1).Info("metadata reconciled", "version", build.Hash, "tables", len(build.TableByQualified),
		"permissions", len(build.PermissionByKey), "rejected", build.Rejected)
	return ctrl.Result{}, nil
}

// engineObjects lists the Tables that reference eng and the Permissions
// that name one of them.
func (r *MetadataReconciler) engineObjects(ctx context.Context, eng *v1alpha1.GraphQLEngine) ([]v1alpha1.Table, []v1alpha1.Permission, error) {
	// The objects are the cache's own (no deep copy, which dominates with
	// thousands of them): they are only read, and setReady copies the few
	// whose status it changes.
	var tables v1alpha1.TableList
	if err := r.List(ctx, &tables, client.InNamespace(eng.Namespace), client.MatchingFields{tableEngineIndex: eng.Name},
		client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, fmt.Errorf("list Tables of GraphQLEngine %s/%s: %w", eng.Namespace, eng.Name, err)
	}
	names := make(map[string]bool, len(tables.Items))
	for i := range tables.Items {
		names[tables.Items[i].Name] = true
	}
	var perms v1alpha1.PermissionList
	if err := r.List(ctx, &perms, client.InNamespace(eng.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, fmt.Errorf("list Permissions in namespace %s: %w", eng.Namespace, err)
	}
	mine := perms.Items[:0]
	for _, p := range perms.Items {
		if names[p.Spec.Table] {
			mine = append(mine, p)
		}
	}
	return tables.Items, mine, nil
}

// publish applies the engine's metadata ConfigMaps that are not as desired
// (parts first, the main one last) and deletes parts no longer used. It
// emits an Event when the published version changes.
func (r *MetadataReconciler) publish(ctx context.Context, eng *v1alpha1.GraphQLEngine, build *MetadataBuild) error {
	cms, err := BuildMetadataConfigMaps(eng, build.JSON, build.Hash, r.MaxConfigMapBytes)
	if err != nil {
		return err
	}
	current, err := r.currentConfigMaps(ctx, eng)
	if err != nil {
		return err
	}
	key := client.ObjectKeyFromObject(eng)
	previous := ""
	if m, ok := current[MetadataConfigMapName(eng.Name)]; ok {
		previous = m.Annotations[cmformat.AnnotationSHA256]
	}
	for _, ac := range cms.All() {
		name := *ac.GetName()
		if r.upToDate(key, eng, current[name], ac) {
			continue
		}
		if err := r.Apply(ctx, ac, client.FieldOwner(MetadataFieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("apply ConfigMap %s: %w", name, err)
		}
		r.remember(key, name, ptrValue(ac.ResourceVersion))
	}
	used := map[string]bool{}
	for _, ac := range cms.All() {
		used[*ac.GetName()] = true
	}
	for name, cm := range current {
		if used[name] || !strings.HasPrefix(name, MetadataConfigMapName(eng.Name)+"-") || !metav1.IsControlledBy(cm, eng) {
			continue
		}
		stale := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: cm.Namespace, Name: cm.Name}}
		if err := r.Delete(ctx, stale, client.Preconditions{UID: &cm.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete unused ConfigMap %s: %w", name, err)
		}
		r.remember(key, name, "")
	}
	if previous != build.Hash {
		r.Recorder.Eventf(eng, nil, corev1.EventTypeNormal, v1alpha1.ReasonMetadataPublished, metadataEventAction,
			"published metadata version %s (%d tables, %d permissions, %d rejected objects, %d bytes in %d ConfigMaps)",
			shortHash(build.Hash), len(build.TableByQualified), len(build.PermissionByKey), build.Rejected, len(build.JSON), len(cms.Parts)+1)
	}
	return nil
}

// currentConfigMaps returns the metadata (only) of the engine's metadata
// ConfigMaps, by name, from the cache.
func (r *MetadataReconciler) currentConfigMaps(ctx context.Context, eng *v1alpha1.GraphQLEngine) (map[string]*metav1.PartialObjectMetadata, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMapList"))
	if err := r.List(ctx, list, client.InNamespace(eng.Namespace),
		client.MatchingLabels{LabelInstance: eng.Name, LabelManagedBy: ManagedByValue}); err != nil {
		return nil, fmt.Errorf("list metadata ConfigMaps of GraphQLEngine %s/%s: %w", eng.Namespace, eng.Name, err)
	}
	out := map[string]*metav1.PartialObjectMetadata{}
	for i := range list.Items {
		cm := &list.Items[i]
		if cm.Name == MetadataConfigMapName(eng.Name) || strings.HasPrefix(cm.Name, MetadataConfigMapName(eng.Name)+"-") {
			out[cm.Name] = cm
		}
	}
	return out, nil
}

// upToDate reports whether the ConfigMap cur (nil if absent) is as ac wants
// it: same annotations (which carry the content's hash), owned by eng, and
// not changed since this process applied it. A ConfigMap this process has
// not applied yet (e.g. after a restart) is applied once: an unchanged
// apply writes nothing.
func (r *MetadataReconciler) upToDate(key types.NamespacedName, eng *v1alpha1.GraphQLEngine, cur *metav1.PartialObjectMetadata, ac *corev1ac.ConfigMapApplyConfiguration) bool {
	if cur == nil || !metav1.IsControlledBy(cur, eng) {
		return false
	}
	for k, v := range ac.Annotations {
		if cur.Annotations[k] != v {
			return false
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rv, ok := r.written[key][cur.Name]
	return ok && rv == cur.ResourceVersion
}

// remember records the resourceVersion this process applied ("" forgets).
func (r *MetadataReconciler) remember(key types.NamespacedName, name, rv string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.written == nil {
		r.written = map[types.NamespacedName]map[string]string{}
	}
	if r.written[key] == nil {
		r.written[key] = map[string]string{}
	}
	if rv == "" {
		delete(r.written[key], name)
		return
	}
	r.written[key][name] = rv
}

// forget drops what is remembered about a deleted engine.
func (r *MetadataReconciler) forget(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.written, key)
}

// setMetadataConsistent sets the engine's MetadataConsistent condition from
// the engine pods' report and the objects the operator rejected.
func setMetadataConsistent(eng *v1alpha1.GraphQLEngine, build *MetadataBuild, notServed []string) {
	st := &eng.Status
	version := shortHash(build.Hash)
	switch {
	case st.ServedMetadataVersion == build.Hash && st.EngineInconsistencyCount > 0:
		conditions.MarkFalse(eng, v1alpha1.ConditionMetadataConsistent, v1alpha1.ReasonInconsistent,
			fmt.Sprintf("the engine serves metadata version %s with %d inconsistent objects, left out of its schema; see status.inconsistentObjects",
				version, st.EngineInconsistencyCount))
	case build.Rejected > 0:
		conditions.MarkFalse(eng, v1alpha1.ConditionMetadataConsistent, v1alpha1.ReasonObjectsRejected,
			fmt.Sprintf("%d Tables and Permissions are not part of metadata version %s; see status.inconsistentObjects", build.Rejected, version))
	case st.ServedMetadataVersion == build.Hash:
		conditions.MarkTrue(eng, v1alpha1.ConditionMetadataConsistent, v1alpha1.ReasonConsistent,
			fmt.Sprintf("the engine serves metadata version %s with no inconsistent object", version))
	default:
		served := "no engine pod has reported the version it serves yet"
		if st.ServedMetadataVersion != "" {
			served = "the engine pods report serving version " + shortHash(st.ServedMetadataVersion)
		}
		conditions.MarkUnknown(eng, v1alpha1.ConditionMetadataConsistent, v1alpha1.ReasonWaitingForEngine,
			fmt.Sprintf("metadata version %s is published; %s", version, served))
	}
}

// metadataStatus is the part of GraphQLEngineStatus the metadata controller
// owns. inconsistentObjects is left out when empty, which removes it.
type metadataStatus struct {
	MetadataVersion     string             `json:"metadataVersion"`
	InconsistentObjects []string           `json:"inconsistentObjects,omitempty"`
	Conditions          []metav1.Condition `json:"conditions"`
}

// applyEngineStatus applies the metadata controller's part of the engine's
// status, unless it already is as desired.
func (r *MetadataReconciler) applyEngineStatus(ctx context.Context, eng *v1alpha1.GraphQLEngine, version string, notServed []string) error {
	want := metadataStatus{
		MetadataVersion:     version,
		InconsistentObjects: capInconsistentObjects(notServed),
		Conditions:          conditions.Owned(eng, v1alpha1.ConditionMetadataConsistent),
	}
	var orig v1alpha1.GraphQLEngine
	if err := r.Get(ctx, client.ObjectKeyFromObject(eng), &orig); err != nil {
		return client.IgnoreNotFound(err)
	}
	if orig.Status.MetadataVersion == want.MetadataVersion &&
		equality.Semantic.DeepEqual(orig.Status.InconsistentObjects, want.InconsistentObjects) &&
		equality.Semantic.DeepEqual(conditions.Owned(&orig, v1alpha1.ConditionMetadataConsistent), want.Conditions) {
		return nil
	}
	return r.applyStatus(ctx, "GraphQLEngine", eng, &want)
}

// capInconsistentObjects fits lines to the API's limits.
func capInconsistentObjects(lines []string) []string {
	if len(lines) == 0 {
		return nil
	}
	out := make([]string, 0, min(len(lines), maxInconsistentObjects))
	for i, l := range lines {
		if i == maxInconsistentObjects-1 && len(lines) > maxInconsistentObjects {
			out = append(out, fmt.Sprintf("... and %d more", len(lines)-i))
			break
		}
		if len(l) > maxInconsistentObjectLength {
			l = l[:maxInconsistentObjectLength-3] + "..."
		}
		out = append(out, l)
	}
	return out
}

// applyStatus server-side applies status (a struct with the fields the
// metadata controller owns) to obj's status subresource.
func (r *MetadataReconciler) applyStatus(ctx context.Context, kind string, obj client.Object, status any) error {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(status)
	if err != nil {
		return fmt.Errorf("encode status of %s %s: %w", kind, obj.GetName(), err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"status": content}}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(kind))
	u.SetNamespace(obj.GetNamespace())
	u.SetName(obj.GetName())
	if err := r.Status().Apply(ctx, client.ApplyConfigurationFromUnstructured(u),
		client.FieldOwner(MetadataFieldManager), client.ForceOwnership); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // deleted meanwhile
		}
		return fmt.Errorf("apply status of %s %s/%s: %w", kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// objectStatus is the status of a Table or Permission (ObjectStatus), as
// the metadata controller applies it.
type objectStatus struct {
	ObservedGeneration int64              `json:"observedGeneration"`
	Conditions         []metav1.Condition `json:"conditions"`
}

// statusObject is a Table or a Permission.
type statusObject interface {
	client.Object
	conditions.Object
}

// setReady applies obj's Ready condition from v unless it already says so
// for obj's generation (observed is obj's status.observedGeneration), and
// emits a Warning Event when obj is newly rejected. obj may be the cache's
// own object: it is not modified.
func (r *MetadataReconciler) setReady(ctx context.Context, kind string, obj statusObject, observed int64, v Verdict) error {
	status := metav1.ConditionFalse
	if v.Ready {
		status = metav1.ConditionTrue
	}
	if c := conditions.Get(obj, v1alpha1.ConditionReady); c != nil && c.Status == status && c.Reason == v.Reason &&
		c.Message == v.Message && c.ObservedGeneration == obj.GetGeneration() && observed == obj.GetGeneration() {
		return nil
	}
	obj = obj.DeepCopyObject().(statusObject)
	conditions.Set(obj, v1alpha1.ConditionReady, status, v.Reason, v.Message)
	if err := r.applyStatus(ctx, kind, obj, &objectStatus{
		ObservedGeneration: obj.GetGeneration(),
		Conditions:         conditions.Owned(obj, v1alpha1.ConditionReady),
	}); err != nil {
		return err
	}
	if !v.Ready {
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, v.Reason, metadataEventAction, "%s", v.Message)
	}
	return nil
}

// writeStatuses applies the Ready condition of every Table and Permission
// whose verdict changed, a few at a time.
func (r *MetadataReconciler) writeStatuses(ctx context.Context, tables []v1alpha1.Table, perms []v1alpha1.Permission, tv, pv map[string]Verdict) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(r.workers())
	for i := range tables {
		t := &tables[i]
		if v, ok := tv[t.Name]; ok {
			g.Go(func() error { return r.setReady(ctx, "Table", t, t.Status.ObservedGeneration, v) })
		}
	}
	for i := range perms {
		p := &perms[i]
		if v, ok := pv[p.Name]; ok {
			g.Go(func() error { return r.setReady(ctx, "Permission", p, p.Status.ObservedGeneration, v) })
		}
	}
	return g.Wait()
}

func (r *MetadataReconciler) workers() int {
	if r.StatusWorkers > 0 {
		return r.StatusWorkers
	}
	return defaultStatusWorkers
}

// engineGone marks the Tables of a missing engine, and their Permissions,
// Ready=False with reason EngineNotFound.
func (r *MetadataReconciler) engineGone(ctx context.Context, key types.NamespacedName) error {
	var tables v1alpha1.TableList
	if err := r.List(ctx, &tables, client.InNamespace(key.Namespace), client.MatchingFields{tableEngineIndex: key.Name}); err != nil {
		return fmt.Errorf("list Tables of GraphQLEngine %s: %w", key, err)
	}
	if len(tables.Items) == 0 {
		return nil
	}
	tv, pv := map[string]Verdict{}, map[string]Verdict{}
	for _, t := range tables.Items {
		tv[t.Name] = Verdict{Reason: v1alpha1.ReasonEngineNotFound,
			Message: fmt.Sprintf("GraphQLEngine %s does not exist in namespace %s", key.Name, key.Namespace)}
	}
	var perms v1alpha1.PermissionList
	if err := r.List(ctx, &perms, client.InNamespace(key.Namespace)); err != nil {
		return fmt.Errorf("list Permissions in namespace %s: %w", key.Namespace, err)
	}
	mine := perms.Items[:0]
	for _, p := range perms.Items {
		if _, ok := tv[p.Spec.Table]; ok {
			mine = append(mine, p)
			pv[p.Name] = Verdict{Reason: v1alpha1.ReasonEngineNotFound,
				Message: fmt.Sprintf("GraphQLEngine %s of Table %s does not exist in namespace %s", key.Name, p.Spec.Table, key.Namespace)}
		}
	}
	return r.writeStatuses(ctx, tables.Items, mine, tv, pv)
}

// sweepOrphans marks the Permissions of a namespace whose Table does not
// exist Ready=False with reason TableNotFound.
func (r *MetadataReconciler) sweepOrphans(ctx context.Context, namespace string) error {
	var perms v1alpha1.PermissionList
	if err := r.List(ctx, &perms, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list Permissions in namespace %s: %w", namespace, err)
	}
	var tables v1alpha1.TableList
	if err := r.List(ctx, &tables, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list Tables in namespace %s: %w", namespace, err)
	}
	exists := make(map[string]bool, len(tables.Items))
	for _, t := range tables.Items {
		exists[t.Name] = true
	}
	pv := map[string]Verdict{}
	orphans := perms.Items[:0]
	for _, p := range perms.Items {
		if !exists[p.Spec.Table] && p.DeletionTimestamp.IsZero() {
			orphans = append(orphans, p)
			pv[p.Name] = Verdict{Reason: v1alpha1.ReasonTableNotFound,
				Message: fmt.Sprintf("Table %s does not exist in namespace %s", p.Spec.Table, namespace)}
		}
	}
	return r.writeStatuses(ctx, nil, orphans, nil, pv)
}

// sweep is the request of a namespace's orphan sweep.
func sweep(namespace string) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: namespace}}
}

// requestsForTable maps a Table to its engine, and to its namespace's
// sweep (its Permissions may have become orphans, or stopped being ones).
func (r *MetadataReconciler) requestsForTable(_ context.Context, o client.Object) []reconcile.Request {
	t := o.(*v1alpha1.Table)
	return []reconcile.Request{
		{NamespacedName: types.NamespacedName{Namespace: t.Namespace, Name: t.Spec.EngineRef.Name}},
		sweep(t.Namespace),
	}
}

// requestsForPermission maps a Permission to the engine of its Table, or to
// its namespace's sweep when the Table does not exist.
func (r *MetadataReconciler) requestsForPermission(ctx context.Context, o client.Object) []reconcile.Request {
	p := o.(*v1alpha1.Permission)
	t := &v1alpha1.Table{}
	err := r.Get(ctx, types.NamespacedName{Namespace: p.Namespace, Name: p.Spec.Table}, t)
	if err != nil {
		if !apierrors.IsNotFound(err) {
			logf.FromContext(ctx).Error(err, "get the Table of a Permission", "permission", client.ObjectKeyFromObject(p))
		}
		return []reconcile.Request{sweep(p.Namespace)}
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: t.Namespace, Name: t.Spec.EngineRef.Name}}}
}

// engineChanged passes engine events that matter to the metadata: spec
// changes (inherited roles), and the engine pods' reports.
var engineChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, okOld := e.ObjectOld.(*v1alpha1.GraphQLEngine)
		n, okNew := e.ObjectNew.(*v1alpha1.GraphQLEngine)
		if !okOld || !okNew {
			return true
		}
		return o.Generation != n.Generation ||
			o.Status.ServedMetadataVersion != n.Status.ServedMetadataVersion ||
			o.Status.EngineInconsistencyCount != n.Status.EngineInconsistencyCount ||
			!equality.Semantic.DeepEqual(o.Status.EngineInconsistencies, n.Status.EngineInconsistencies)
	},
}

// SetupWithManager registers the reconciler, its watches and its index with mgr.
func (r *MetadataReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.Table{}, tableEngineIndex,
		func(o client.Object) []string { return []string{o.(*v1alpha1.Table).Spec.EngineRef.Name} }); err != nil {
		return fmt.Errorf("index Tables by engine: %w", err)
	}
	err := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.GraphQLEngine{}, builder.WithPredicates(engineChanged)).
		Owns(&corev1.ConfigMap{}, builder.OnlyMetadata).
		// Our own status writes change no generation: they need no reconcile.
		Watches(&v1alpha1.Table{}, handler.EnqueueRequestsFromMapFunc(r.requestsForTable),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1alpha1.Permission{}, handler.EnqueueRequestsFromMapFunc(r.requestsForPermission),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("metadata").
		Complete(r)
	if err != nil {
		return fmt.Errorf("build metadata controller: %w", err)
	}
	return nil
}

// shortHash abbreviates a metadata version for messages.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func ptrValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
