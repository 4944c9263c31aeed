package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/controllers/conditions"
)

const (
	// WorkloadStatusFieldManager is the field manager under which the
	// GraphQLEngine workload controller applies its part of the engine's
	// status (see GraphQLEngineStatus). Other controllers writing the
	// engine's status must use their own.
	WorkloadStatusFieldManager = "strata-operator-workload"

	// secretRefsIndex indexes GraphQLEngines by the Secrets they reference.
	secretRefsIndex = "graphqlengine.spec.secretRefs"
	// eventAction is the action of the Events the workload controller emits.
	eventAction = "Reconcile"
)

// workloadConditions are the condition types the workload controller owns.
var workloadConditions = []string{v1alpha1.ConditionReady, v1alpha1.ConditionProgressing}

// GraphQLEngineReconciler runs the workload of each GraphQLEngine: its
// ServiceAccount, Role and RoleBinding, Deployment, Service and, with more
// than one replica, PodDisruptionBudget. It applies them with server-side
// apply, owned by the engine, repairs any drift, and reports the rollout in
// the engine's status.
type GraphQLEngineReconciler struct {
	client.Client
	// Recorder emits Kubernetes Events about engines.
	Recorder events.EventRecorder
	// EngineImage is the image of engines whose spec names none.
	EngineImage string
}

// +kubebuilder:rbac:groups=graphql.strata.dev,resources=graphqlengines,verbs=get;list;watch
// +kubebuilder:rbac:groups=graphql.strata.dev,resources=graphqlengines/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=graphql.strata.dev,resources=graphqlengines/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services;serviceaccounts,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// The configmaps rule lets the operator grant engines read access to their
// metadata ConfigMap: RBAC forbids granting what one does not hold.

// Reconcile brings the objects of one GraphQLEngine to their desired state
// and updates the engine's status.
func (r *GraphQLEngineReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	eng := &v1alpha1.GraphQLEngine{}
	if err := r.Get(ctx, req.NamespacedName, eng); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !eng.DeletionTimestamp.IsZero() {
		// The owned objects go with the engine through their owner references.
		return ctrl.Result{}, nil
	}
	orig := eng.Status.DeepCopy()

	versions, missing, err := r.secretVersions(ctx, eng)
	if err != nil {
		return ctrl.Result{}, err
	}
	for _, ac := range []runtime.ApplyConfiguration{
		BuildServiceAccount(eng), BuildRole(eng), BuildRoleBinding(eng), BuildService(eng),
	} {
		if err := r.apply(ctx, ac); err != nil {
			return ctrl.Result{}, r.fail(ctx, eng, orig, err)
		}
	}

	var dep *appsv1.Deployment
	if len(missing) > 0 {
		// A Deployment whose pods cannot start is not rolled out: the running
		// pods, if any, keep serving until the Secret exists again.
		msg := fmt.Sprintf("Secret %s not found in namespace %s; the engine Deployment is left as it is until it exists",
			strings.Join(missing, ", "), eng.Namespace)
		r.Recorder.Eventf(eng, nil, corev1.EventTypeWarning, v1alpha1.ReasonSecretNotFound, eventAction, "%s", msg)
		conditions.MarkFalse(eng, v1alpha1.ConditionReady, v1alpha1.ReasonSecretNotFound, msg)
		conditions.MarkFalse(eng, v1alpha1.ConditionProgressing, v1alpha1.ReasonSecretNotFound, msg)
		if dep, err = r.currentDeployment(ctx, eng); err != nil {
			return ctrl.Result{}, err
		}
	} else {
		ac := BuildDeployment(eng, EngineInputs{Image: r.image(eng), SecretVersions: versions})
		if err := r.apply(ctx, ac); err != nil {
			return ctrl.Result{}, r.fail(ctx, eng, orig, err)
		}
		dep = &appsv1.Deployment{}
		if err := fromApplyConfiguration(ac, dep); err != nil {
			return ctrl.Result{}, fmt.Errorf("read applied Deployment %s: %w", eng.Name, err)
		}
		if err := r.reconcilePDB(ctx, eng); err != nil {
			return ctrl.Result{}, r.fail(ctx, eng, orig, err)
		}
		setRolloutConditions(eng, ObserveDeployment(dep, DesiredReplicas(eng)))
	}

	if err := r.applyStatus(ctx, eng, orig, dep); err != nil {
		return ctrl.Result{}, err
	}
	log.V(1).Info("reconciled engine", "ready", conditions.IsTrue(eng, v1alpha1.ConditionReady))
	return ctrl.Result{}, nil
}

// setRolloutConditions sets Ready and Progressing from the Deployment's state.
func setRolloutConditions(eng *v1alpha1.GraphQLEngine, st DeploymentState) {
	if st.Available {
		conditions.MarkTrue(eng, v1alpha1.ConditionReady, v1alpha1.ReasonDeploymentAvailable, st.Message)
	} else {
		conditions.MarkFalse(eng, v1alpha1.ConditionReady, v1alpha1.ReasonDeploymentUnavailable,
			"the engine Deployment does not have minimum availability: "+st.Message)
	}
	switch {
	case st.Stalled:
		conditions.MarkFalse(eng, v1alpha1.ConditionProgressing, v1alpha1.ReasonProgressDeadlineExceeded,
			"the engine rollout exceeded its progress deadline: "+st.Message)
	case !st.RolloutComplete:
		conditions.MarkTrue(eng, v1alpha1.ConditionProgressing, v1alpha1.ReasonRollingOut, st.Message)
	default:
		conditions.MarkFalse(eng, v1alpha1.ConditionProgressing, v1alpha1.ReasonRolloutComplete, st.Message)
	}
}

// image is the engine's image: spec.image, or the operator's default.
func (r *GraphQLEngineReconciler) image(eng *v1alpha1.GraphQLEngine) string {
	if eng.Spec.Image != "" {
		return eng.Spec.Image
	}
	return r.EngineImage
}

// secretVersions returns the resourceVersion of each Secret the engine
// references, and the names of those that do not exist. Only the Secrets'
// metadata is read (and cached): the operator never holds their data.
func (r *GraphQLEngineReconciler) secretVersions(ctx context.Context, eng *v1alpha1.GraphQLEngine) (map[string]string, []string, error) {
	versions := map[string]string{}
	var missing []string
	for _, name := range ReferencedSecrets(eng) {
		s := &metav1.PartialObjectMetadata{}
		s.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		err := r.Get(ctx, types.NamespacedName{Namespace: eng.Namespace, Name: name}, s)
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, name)
		case err != nil:
			return nil, nil, fmt.Errorf("get Secret %s/%s: %w", eng.Namespace, name, err)
		default:
			versions[name] = s.ResourceVersion
		}
	}
	return versions, missing, nil
}

// currentDeployment returns the engine's Deployment, or nil if it has none.
func (r *GraphQLEngineReconciler) currentDeployment(ctx context.Context, eng *v1alpha1.GraphQLEngine) (*appsv1.Deployment, error) {
	dep := &appsv1.Deployment{}
	err := r.Get(ctx, client.ObjectKeyFromObject(eng), dep)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get Deployment %s/%s: %w", eng.Namespace, eng.Name, err)
	}
	return dep, nil
}

// reconcilePDB applies the engine's PodDisruptionBudget, or deletes the one
// it owns when it runs a single replica.
func (r *GraphQLEngineReconciler) reconcilePDB(ctx context.Context, eng *v1alpha1.GraphQLEngine) error {
	if ac := BuildPodDisruptionBudget(eng); ac != nil {
		return r.apply(ctx, ac)
	}
	pdb := &policyv1.PodDisruptionBudget{}
	err := r.Get(ctx, client.ObjectKeyFromObject(eng), pdb)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get PodDisruptionBudget %s/%s: %w", eng.Namespace, eng.Name, err)
	}
	if !metav1.IsControlledBy(pdb, eng) {
		return nil
	}
	if err := r.Delete(ctx, pdb, client.Preconditions{UID: &pdb.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("delete PodDisruptionBudget %s/%s: %w", eng.Namespace, eng.Name, err)
	}
	return nil
}

// namedApplyConfiguration is what every generated apply configuration offers.
type namedApplyConfiguration interface {
	runtime.ApplyConfiguration
	GetKind() *string
	GetName() *string
}

// apply server-side applies ac under FieldManager, taking over fields other
// managers changed: that is how drift is repaired. ac is updated with the
// object the API server returns.
func (r *GraphQLEngineReconciler) apply(ctx context.Context, ac runtime.ApplyConfiguration) error {
	if err := r.Apply(ctx, ac, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		if n, ok := ac.(namedApplyConfiguration); ok && n.GetKind() != nil && n.GetName() != nil {
			return fmt.Errorf("apply %s %s: %w", *n.GetKind(), *n.GetName(), err)
		}
		return fmt.Errorf("apply %T: %w", ac, err)
	}
	return nil
}

// fail reports a reconcile error as a Warning Event and as the Ready
// condition, then returns it so the request is retried with backoff.
func (r *GraphQLEngineReconciler) fail(ctx context.Context, eng *v1alpha1.GraphQLEngine, orig *v1alpha1.GraphQLEngineStatus, err error) error {
	r.Recorder.Eventf(eng, nil, corev1.EventTypeWarning, v1alpha1.ReasonApplyFailed, eventAction, "%s", err.Error())
	conditions.MarkFalse(eng, v1alpha1.ConditionReady, v1alpha1.ReasonApplyFailed, err.Error())
	dep, getErr := r.currentDeployment(ctx, eng)
	if getErr == nil {
		if statusErr := r.applyStatus(ctx, eng, orig, dep); statusErr != nil {
			logf.FromContext(ctx).Error(statusErr, "could not report the failure in the status")
		}
	}
	return err
}

// workloadStatus is the part of GraphQLEngineStatus the workload controller
// owns. Every field is always sent, so that the controller keeps owning it.
type workloadStatus struct {
	ObservedGeneration int64              `json:"observedGeneration"`
	Replicas           int32              `json:"replicas"`
	ReadyReplicas      int32              `json:"readyReplicas"`
	Endpoint           string             `json:"endpoint"`
	Conditions         []metav1.Condition `json:"conditions"`
}

// applyStatus applies the workload controller's part of the engine's status,
// unless it already is as desired. orig is the status as read.
func (r *GraphQLEngineReconciler) applyStatus(ctx context.Context, eng *v1alpha1.GraphQLEngine, orig *v1alpha1.GraphQLEngineStatus, dep *appsv1.Deployment) error {
	want := workloadStatus{
		ObservedGeneration: eng.Generation,
		Endpoint:           EngineEndpoint(eng),
		Conditions:         conditions.Owned(eng, workloadConditions...),
	}
	if dep != nil {
		want.Replicas, want.ReadyReplicas = dep.Status.Replicas, dep.Status.ReadyReplicas
	}
	origEng := &v1alpha1.GraphQLEngine{ObjectMeta: eng.ObjectMeta, Status: *orig}
	if orig.ObservedGeneration == want.ObservedGeneration && orig.Replicas == want.Replicas &&
		orig.ReadyReplicas == want.ReadyReplicas && orig.Endpoint == want.Endpoint &&
		equality.Semantic.DeepEqual(conditions.Owned(origEng, workloadConditions...), want.Conditions) {
		return nil
	}
	status, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&want)
	if err != nil {
		return fmt.Errorf("encode status of GraphQLEngine %s: %w", eng.Name, err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"status": status}}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("GraphQLEngine"))
	u.SetNamespace(eng.Namespace)
	u.SetName(eng.Name)
	if err := r.Status().Apply(ctx, client.ApplyConfigurationFromUnstructured(u),
		client.FieldOwner(WorkloadStatusFieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply status of GraphQLEngine %s: %w", eng.Name, err)
	}
	return nil
}

// fromApplyConfiguration decodes an applied configuration, which holds the
// object the API server returned, into its typed form.
func fromApplyConfiguration(ac runtime.ApplyConfiguration, into runtime.Object) error {
	b, err := json.Marshal(ac)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

// enginesForSecret maps a Secret to the engines in its namespace that
// reference it.
func (r *GraphQLEngineReconciler) enginesForSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	var list v1alpha1.GraphQLEngineList
	if err := r.List(ctx, &list, client.InNamespace(secret.GetNamespace()),
		client.MatchingFields{secretRefsIndex: secret.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "list engines referencing a Secret", "secret", client.ObjectKeyFromObject(secret))
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, e := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&e)})
	}
	return reqs
}

// SetupWithManager registers the reconciler, its watches and its index with mgr.
func (r *GraphQLEngineReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.GraphQLEngine{}, secretRefsIndex,
		func(o client.Object) []string { return ReferencedSecrets(o.(*v1alpha1.GraphQLEngine)) }); err != nil {
		return fmt.Errorf("index GraphQLEngines by Secret: %w", err)
	}
	err := ctrl.NewControllerManagedBy(mgr).
		// Status-only updates (our own included) need no reconcile.
		For(&v1alpha1.GraphQLEngine{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Service{}).
		Owns(&corev1.ServiceAccount{}).
		Owns(&rbacv1.Role{}).
		Owns(&rbacv1.RoleBinding{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.enginesForSecret)).
		Named("graphqlengine").
		Complete(r)
	if err != nil {
		return fmt.Errorf("build GraphQLEngine controller: %w", err)
	}
	return nil
}
