// Package operator builds the controller-runtime manager that `strata
// operator` runs: scheme, health and readiness probes, metrics, leader
// election, and the reconcilers from package controllers.
package operator

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	graphqlv1alpha1 "github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/controllers"
)

// DefaultEngineImage is the engine image used when Options.EngineImage is empty.
const DefaultEngineImage = "ghcr.io/stratagql/strata:latest"

// EventRecorderName is the reporting controller of the operator's Events.
const EventRecorderName = "strata-operator"

// Options configure the manager; they mirror `strata operator` flags.
type Options struct {
	MetricsAddr      string
	ProbeAddr        string
	LeaderElection   bool
	LeaderElectionNS string
	// EngineImage is the default engine image for GraphQLEngines that name
	// none; DefaultEngineImage when empty.
	EngineImage string
	// MaxConfigMapBytes is the largest chunk of gzipped metadata the
	// metadata controller puts in one ConfigMap; the default when 0.
	MaxConfigMapBytes int
}

// NewScheme returns a scheme with the core Kubernetes types and Strata's API.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := graphqlv1alpha1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// ownedObjectsCache restricts the cache of the kinds the operator owns to the
// objects it manages (labelled app.kubernetes.io/managed-by=strata-operator),
// so that it does not hold every Deployment, Service, ... of the cluster.
// Reads of those kinds through the manager's client only see such objects.
func ownedObjectsCache() map[client.Object]cache.ByObject {
	managed := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{controllers.LabelManagedBy: controllers.ManagedByValue})}
	return map[client.Object]cache.ByObject{
		&appsv1.Deployment{}:            managed,
		&corev1.Service{}:               managed,
		&corev1.ServiceAccount{}:        managed,
		&rbacv1.Role{}:                  managed,
		&rbacv1.RoleBinding{}:           managed,
		&policyv1.PodDisruptionBudget{}: managed,
		// The metadata ConfigMaps; only their metadata is cached.
		&corev1.ConfigMap{}: managed,
	}
}

// NewManager creates the manager with probes and every Strata controller
// registered: the GraphQLEngine workload controller and the metadata
// controller.
func NewManager(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	s, err := NewScheme()
	if err != nil {
		return nil, fmt.Errorf("build scheme: %w", err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  s,
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        "strata-operator.graphql.strata.dev",
		LeaderElectionNamespace: o.LeaderElectionNS,
		// Stop reconciling as soon as leadership is lost on shutdown, so a
		// new leader takes over without waiting for the lease to expire.
		LeaderElectionReleaseOnCancel: true,
		Cache: cache.Options{
			ByObject: ownedObjectsCache(),
			// No controller reads managedFields; they are often the
			// larger part of a cached Table or Permission.
			DefaultTransform: cache.TransformStripManagedFields(),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add ready check: %w", err)
	}
	image := o.EngineImage
	if image == "" {
		image = DefaultEngineImage
	}
	// Field indexes are registered before the manager starts; the context
	// only bounds that registration.
	ctx := context.Background()
	if err := (&controllers.GraphQLEngineReconciler{
		Client:      mgr.GetClient(),
		Recorder:    mgr.GetEventRecorder(EventRecorderName),
		EngineImage: image,
	}).SetupWithManager(ctx, mgr); err != nil {
		return nil, fmt.Errorf("set up GraphQLEngine controller: %w", err)
	}
	if err := (&controllers.MetadataReconciler{
		Client:            mgr.GetClient(),
		Recorder:          mgr.GetEventRecorder(EventRecorderName),
		MaxConfigMapBytes: o.MaxConfigMapBytes,
	}).SetupWithManager(ctx, mgr); err != nil {
		return nil, fmt.Errorf("set up metadata controller: %w", err)
	}
	return mgr, nil
}
