package packaging

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/internal/operator"
)

// TestCaptureStatuses rewrites testdata/status from the real operator: it
// starts envtest with the CRDs and the operator's manager in-process,
// applies engines, Tables and Permissions, and saves each object once the
// operator has written the status under test. envtest runs no
// kube-controller-manager, so the test plays its part on the engine's
// Deployment: it sets the Deployment status the Deployment controller would
// (a rollout with no pod available yet, then one available pod). Run it
// with STRATA_UPDATE_CAPTURES=1 and KUBEBUILDER_ASSETS; the real-cluster
// end-to-end suite writes the same files into $STRATA_E2E_CAPTURE_DIR.
func TestCaptureStatuses(t *testing.T) {
	if os.Getenv("STRATA_UPDATE_CAPTURES") != "1" {
		t.Skip("rewrites testdata/status: set STRATA_UPDATE_CAPTURES=1 and KUBEBUILDER_ASSETS")
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("STRATA_UPDATE_CAPTURES=1 needs KUBEBUILDER_ASSETS")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(repoRoot, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	}()
	scheme, err := operator.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	k8s, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := operator.NewManager(cfg, operator.Options{MetricsAddr: "0", ProbeAddr: "0", EngineImage: "ghcr.io/stratagql/strata:0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	mgrDone := make(chan error, 1)
	go func() { mgrDone <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-mgrDone; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()

	const ns = "default"
	create := func(obj client.Object) {
		t.Helper()
		obj.SetNamespace(ns)
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("creating %s: %v", obj.GetName(), err)
		}
	}
	create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "demo-db"},
		StringData: map[string]string{"url": "postgres://strata@db.example:5432/strata_demo"}})
	one := int32(1)
	create(&v1alpha1.GraphQLEngine{ObjectMeta: metav1.ObjectMeta{Name: "demo"}, Spec: v1alpha1.GraphQLEngineSpec{
		DatabaseURLSecretRef: v1alpha1.SecretKeySelector{Name: "demo-db", Key: "url"}, Replicas: &one}})
	create(&v1alpha1.Table{ObjectMeta: metav1.ObjectMeta{Name: "artist"}, Spec: v1alpha1.TableSpec{
		EngineRef: v1alpha1.EngineReference{Name: "demo"}, Schema: "public", Name: "artist"}})
	// A Table of an engine that does not exist.
	create(&v1alpha1.Table{ObjectMeta: metav1.ObjectMeta{Name: "album"}, Spec: v1alpha1.TableSpec{
		EngineRef: v1alpha1.EngineReference{Name: "demo-typo"}, Schema: "public", Name: "album"}})
	create(&v1alpha1.Permission{ObjectMeta: metav1.ObjectMeta{Name: "artist-user-select"}, Spec: v1alpha1.PermissionSpec{
		Table: "artist", Role: "user", Action: v1alpha1.ActionSelect, Columns: []string{"id", "name"}}})
	// A Permission of a Table that does not exist.
	create(&v1alpha1.Permission{ObjectMeta: metav1.ObjectMeta{Name: "track-user-select"}, Spec: v1alpha1.PermissionSpec{
		Table: "track", Role: "user", Action: v1alpha1.ActionSelect, Columns: []string{"id", "name"}}})

	dir := filepath.Join("testdata", "status")
	// capture waits until the object's condition of type cond has the
	// reason and a message containing msg, for its current generation, and
	// writes the object to file.
	capture := func(file, kind, name, cond, reason, msg string) {
		t.Helper()
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(kind))
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
				return false, err
			}
			var st struct {
				ObservedGeneration int64              `json:"observedGeneration"`
				Conditions         []metav1.Condition `json:"conditions"`
			}
			raw, _ := json.Marshal(obj.Object["status"])
			if err := json.Unmarshal(raw, &st); err != nil {
				return false, err
			}
			c := meta.FindStatusCondition(st.Conditions, cond)
			return st.ObservedGeneration == obj.GetGeneration() && c != nil && c.Reason == reason &&
				strings.Contains(c.Message, msg) && c.ObservedGeneration == obj.GetGeneration(), nil
		})
		if err != nil {
			t.Fatalf("waiting for %s %s %s=%s: %v (object: %v)", kind, name, cond, reason, err, obj.Object["status"])
		}
		obj.SetManagedFields(nil)
		b, err := json.MarshalIndent(obj.Object, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The Deployment controller's part: the rollout has started, no pod is
	// available yet.
	setDeploymentStatus := func(available bool) {
		t.Helper()
		dep := &appsv1.Deployment{}
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "demo"}, dep); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			now := metav1.Now()
			dep.Status = appsv1.DeploymentStatus{ObservedGeneration: dep.Generation, Replicas: 1, UpdatedReplicas: 1, UnavailableReplicas: 1,
				Conditions: []appsv1.DeploymentCondition{
					{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable",
						Message: "Deployment does not have minimum availability.", LastUpdateTime: now, LastTransitionTime: now},
					{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated",
						Message: `ReplicaSet "demo-5d8f7c9b6d" is progressing.`, LastUpdateTime: now, LastTransitionTime: now},
				}}
			if available {
				dep.Status.ReadyReplicas, dep.Status.AvailableReplicas, dep.Status.UnavailableReplicas = 1, 1, 0
				dep.Status.Conditions[0] = appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue,
					Reason: "MinimumReplicasAvailable", Message: "Deployment has minimum availability.", LastUpdateTime: now, LastTransitionTime: now}
				dep.Status.Conditions[1].Reason = "NewReplicaSetAvailable"
				dep.Status.Conditions[1].Message = `ReplicaSet "demo-5d8f7c9b6d" has successfully progressed.`
			}
			if err := k8s.Status().Update(ctx, dep); apierrors.IsConflict(err) {
				return false, nil // the operator updated it meanwhile: read it again
			} else if err != nil {
				return false, err
			}
			return true, nil
		})
		if err != nil {
			t.Fatalf("setting the Deployment status: %v", err)
		}
	}
	setDeploymentStatus(false)
	capture("graphqlengine-progressing.json", "GraphQLEngine", "demo", v1alpha1.ConditionProgressing, v1alpha1.ReasonRollingOut, "0 of 1 updated replicas available")
	setDeploymentStatus(true)
	capture("graphqlengine-ready.json", "GraphQLEngine", "demo", v1alpha1.ConditionReady, v1alpha1.ReasonDeploymentAvailable, "1 of 1 replicas ready")
	capture("table-ready.json", "Table", "artist", v1alpha1.ConditionReady, v1alpha1.ReasonPublished, "")
	capture("table-not-ready.json", "Table", "album", v1alpha1.ConditionReady, v1alpha1.ReasonEngineNotFound, "")
	capture("permission-ready.json", "Permission", "artist-user-select", v1alpha1.ConditionReady, v1alpha1.ReasonPublished, "")
	capture("permission-not-ready.json", "Permission", "track-user-select", v1alpha1.ConditionReady, v1alpha1.ReasonTableNotFound, "")
}
