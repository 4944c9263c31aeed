package controllers_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/controllers"
)

func createSecret(ns, name string) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		StringData: map[string]string{"url": "postgres://strata@db.example:5432/app", "admin": "s3cret"},
	}
	Expect(k8s.Create(ctx, s)).To(Succeed())
	return s
}

func createEngine(ns, name string, mutate func(*v1alpha1.GraphQLEngine)) *v1alpha1.GraphQLEngine {
	e := &v1alpha1.GraphQLEngine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.GraphQLEngineSpec{
			DatabaseURLSecretRef: v1alpha1.SecretKeySelector{Name: "db", Key: "url"},
		},
	}
	if mutate != nil {
		mutate(e)
	}
	Expect(k8s.Create(ctx, e)).To(Succeed())
	return e
}

// fetch returns a function for Eventually that reads obj (ns/name) through
// the direct client.
func fetch(obj client.Object, ns, name string) func() error {
	return func() error { return k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj) }
}

// update re-reads obj (ns/name), changes it and updates it, until the
// update goes through: the controllers write the status meanwhile, which
// makes an update of a stale copy conflict.
func update[T client.Object](obj T, ns, name string, change func(T)) {
	Eventually(func() error {
		if err := fetch(obj, ns, name)(); err != nil {
			return err
		}
		change(obj)
		return k8s.Update(ctx, obj)
	}).Should(Succeed())
}

// engineCondition returns the engine's condition of the given type, read
// fresh, or nil when absent or computed from an older generation.
func engineCondition(ns, name, typ string) func() *metav1.Condition {
	return func() *metav1.Condition {
		e := &v1alpha1.GraphQLEngine{}
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, e); err != nil {
			return nil
		}
		c := meta.FindStatusCondition(e.Status.Conditions, typ)
		if c != nil && c.ObservedGeneration != e.Generation {
			return nil
		}
		return c
	}
}

func haveReason(status metav1.ConditionStatus, reason string) OmegaMatcher {
	return And(Not(BeNil()), HaveField("Status", status), HaveField("Reason", reason))
}

var _ = Describe("operator manager", func() {
	It("serves a healthy /healthz probe", func() {
		Eventually(func() (int, error) {
			resp, err := http.Get("http://" + probeAddr + "/healthz")
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			return resp.StatusCode, nil
		}).Should(Equal(http.StatusOK))
	})
})

var _ = Describe("GraphQLEngine workload", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("creates its objects, owned by the engine, and a PodDisruptionBudget with 2 replicas", func() {
		createSecret(ns, "db")
		eng := createEngine(ns, "demo", nil)

		owned := map[string]client.Object{
			"ServiceAccount": &corev1.ServiceAccount{},
			"Role":           &rbacv1.Role{},
			"RoleBinding":    &rbacv1.RoleBinding{},
			"Deployment":     &appsv1.Deployment{},
			"Service":        &corev1.Service{},
		}
		for kind, obj := range owned {
			Eventually(fetch(obj, ns, "demo")).Should(Succeed(), kind)
			Expect(metav1.IsControlledBy(obj, eng)).To(BeTrue(), "%s is not controlled by the engine", kind)
			Expect(obj.GetLabels()).To(HaveKeyWithValue(controllers.LabelManagedBy, controllers.ManagedByValue), kind)
		}

		dep := owned["Deployment"].(*appsv1.Deployment)
		Expect(dep.Spec.Replicas).To(HaveValue(BeEquivalentTo(1)))
		c := dep.Spec.Template.Spec.Containers[0]
		Expect(c.Name).To(Equal("engine"))
		Expect(c.Image).To(Equal(testImage))
		Expect(c.Env).To(ContainElement(corev1.EnvVar{Name: "STRATA_METADATA_CONFIGMAP", Value: ns + "/demo-metadata"}))
		Expect(dep.Spec.Template.Annotations).To(HaveKey(controllers.ConfigHashAnnotation))
		Expect(dep.ManagedFields).To(ContainElement(HaveField("Manager", controllers.FieldManager)))

		svc := owned["Service"].(*corev1.Service)
		Expect(svc.Spec.Ports).To(ConsistOf(HaveField("Name", "http")))
		Expect(svc.Spec.Ports[0].Port).To(BeEquivalentTo(8080))

		role := owned["Role"].(*rbacv1.Role)
		Expect(role.Rules[0].ResourceNames).To(Equal(controllers.MetadataConfigMapNames("demo")))
		Expect(role.Rules[0].ResourceNames).To(ContainElements("demo-metadata", "demo-metadata-1", "demo-metadata-15"))

		// Without a Deployment controller nothing becomes available.
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionReady)).Should(haveReason(metav1.ConditionFalse, v1alpha1.ReasonDeploymentUnavailable))
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionProgressing)).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonRollingOut))
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(eng), eng)).To(Succeed())
		Expect(eng.Status.Endpoint).To(Equal("http://demo." + ns + ".svc:8080"))
		Expect(eng.Status.ObservedGeneration).To(Equal(eng.Generation))
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(eng), &policyv1.PodDisruptionBudget{})).To(Satisfy(apierrors.IsNotFound))

		firstHash := dep.Spec.Template.Annotations[controllers.ConfigHashAnnotation]

		By("scaling to 2 replicas")
		update(eng, ns, "demo", func(e *v1alpha1.GraphQLEngine) { e.Spec.Replicas = ptr.To[int32](2) })
		pdb := &policyv1.PodDisruptionBudget{}
		Eventually(fetch(pdb, ns, "demo")).Should(Succeed())
		Expect(metav1.IsControlledBy(pdb, eng)).To(BeTrue())
		Eventually(func() int32 {
			_ = k8s.Get(ctx, client.ObjectKeyFromObject(eng), dep)
			return ptr.Deref(dep.Spec.Replicas, 0)
		}).Should(BeEquivalentTo(2))
		Expect(dep.Spec.Template.Annotations).To(HaveKeyWithValue(controllers.ConfigHashAnnotation, firstHash),
			"scaling must not roll the pods")

		By("scaling back to 1 replica")
		update(eng, ns, "demo", func(e *v1alpha1.GraphQLEngine) { e.Spec.Replicas = ptr.To[int32](1) })
		Eventually(fetch(&policyv1.PodDisruptionBudget{}, ns, "demo")).Should(Satisfy(apierrors.IsNotFound))
	})

	It("reports Ready once the Deployment is available", func() {
		createSecret(ns, "db")
		createEngine(ns, "demo", nil)
		dep := &appsv1.Deployment{}
		Eventually(fetch(dep, ns, "demo")).Should(Succeed())

		// Play the Deployment controller.
		dep.Status = appsv1.DeploymentStatus{
			ObservedGeneration: dep.Generation,
			Replicas:           1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1,
			Conditions: []appsv1.DeploymentCondition{{
				Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
				LastUpdateTime: metav1.Now(), LastTransitionTime: metav1.Now(),
			}},
		}
		Expect(k8s.Status().Update(ctx, dep)).To(Succeed())

		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionReady)).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonDeploymentAvailable))
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionProgressing)).Should(haveReason(metav1.ConditionFalse, v1alpha1.ReasonRolloutComplete))
		eng := &v1alpha1.GraphQLEngine{}
		Expect(fetch(eng, ns, "demo")()).To(Succeed())
		Expect(eng.Status.Replicas).To(BeEquivalentTo(1))
		Expect(eng.Status.ReadyReplicas).To(BeEquivalentTo(1))
	})

	It("repairs drift: restores edited replicas and recreates a deleted Service", func() {
		createSecret(ns, "db")
		createEngine(ns, "demo", nil)
		dep := &appsv1.Deployment{}
		Eventually(fetch(dep, ns, "demo")).Should(Succeed())

		By("editing the Deployment's replicas")
		patch := client.MergeFrom(dep.DeepCopy())
		dep.Spec.Replicas = ptr.To[int32](5)
		Expect(k8s.Patch(ctx, dep, patch, client.FieldOwner("someone-else"))).To(Succeed())
		Eventually(func() int32 {
			_ = fetch(dep, ns, "demo")()
			return ptr.Deref(dep.Spec.Replicas, 0)
		}).Should(BeEquivalentTo(1))

		By("deleting the Service")
		svc := &corev1.Service{}
		Eventually(fetch(svc, ns, "demo")).Should(Succeed())
		oldUID := svc.UID
		Expect(k8s.Delete(ctx, svc)).To(Succeed())
		Eventually(func() types.UID {
			fresh := &corev1.Service{}
			if fetch(fresh, ns, "demo")() != nil {
				return oldUID
			}
			return fresh.UID
		}).ShouldNot(Equal(oldUID))
	})

	It("writes nothing when a reconcile finds nothing to change", func() {
		createSecret(ns, "db")
		createEngine(ns, "demo", nil)
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionReady)).ShouldNot(BeNil())
		dep, eng := &appsv1.Deployment{}, &v1alpha1.GraphQLEngine{}
		// Let the running controllers (workload and metadata) settle first:
		// the engine is unchanged across two polls half a second apart.
		last := ""
		Eventually(func() bool {
			Expect(fetch(eng, ns, "demo")()).To(Succeed())
			settled := eng.ResourceVersion == last
			last = eng.ResourceVersion
			return settled
		}).WithPolling(500 * time.Millisecond).WithTimeout(20 * time.Second).Should(BeTrue())
		Expect(fetch(dep, ns, "demo")()).To(Succeed())

		r := &controllers.GraphQLEngineReconciler{
			Client:      mgr.GetClient(),
			Recorder:    mgr.GetEventRecorder("strata-operator-test"),
			EngineImage: testImage,
		}
		req := ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: "demo"}}
		for range 2 {
			_, err := r.Reconcile(ctx, req)
			Expect(err).NotTo(HaveOccurred())
		}
		after, engAfter := &appsv1.Deployment{}, &v1alpha1.GraphQLEngine{}
		Expect(fetch(after, ns, "demo")()).To(Succeed())
		Expect(fetch(engAfter, ns, "demo")()).To(Succeed())
		Expect(after.ResourceVersion).To(Equal(dep.ResourceVersion), "the Deployment was rewritten")
		Expect(engAfter.ResourceVersion).To(Equal(eng.ResourceVersion), "the engine status was rewritten")
	})

	It("rolls the pods when the spec or a referenced Secret changes", func() {
		secret := createSecret(ns, "db")
		eng := createEngine(ns, "demo", nil)
		dep := &appsv1.Deployment{}
		Eventually(fetch(dep, ns, "demo")).Should(Succeed())
		hash := func() string {
			_ = fetch(dep, ns, "demo")()
			return dep.Spec.Template.Annotations[controllers.ConfigHashAnnotation]
		}
		first := hash()

		By("changing the Secret")
		secret.StringData = map[string]string{"url": "postgres://strata@db2.example:5432/app"}
		Expect(k8s.Update(ctx, secret)).To(Succeed())
		Eventually(hash).ShouldNot(Equal(first))
		second := hash()

		By("changing the spec")
		update(eng, ns, "demo", func(e *v1alpha1.GraphQLEngine) { e.Spec.Settings.LogLevel = "debug" })
		Eventually(hash).ShouldNot(Equal(second))
		Expect(dep.Spec.Template.Spec.Containers[0].Env).To(ContainElement(corev1.EnvVar{Name: "HASURA_GRAPHQL_LOG_LEVEL", Value: "debug"}))
	})

	It("reports a missing Secret and deploys once it exists", func() {
		createEngine(ns, "demo", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.Auth = &v1alpha1.AuthSpec{AdminSecretRef: &v1alpha1.SecretKeySelector{Name: "db", Key: "admin"}}
		})
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionReady)).Should(And(
			haveReason(metav1.ConditionFalse, v1alpha1.ReasonSecretNotFound),
			HaveField("Message", ContainSubstring("Secret db not found"))))
		Expect(fetch(&corev1.Service{}, ns, "demo")()).To(Succeed())
		Expect(fetch(&appsv1.Deployment{}, ns, "demo")()).To(Satisfy(apierrors.IsNotFound))
		Eventually(func() []eventsv1.Event {
			var list eventsv1.EventList
			_ = k8s.List(ctx, &list, client.InNamespace(ns))
			return list.Items
		}).Should(ContainElement(And(
			HaveField("Reason", v1alpha1.ReasonSecretNotFound),
			HaveField("Type", corev1.EventTypeWarning),
			HaveField("Regarding.Name", "demo"))))

		createSecret(ns, "db")
		dep := &appsv1.Deployment{}
		Eventually(fetch(dep, ns, "demo")).Should(Succeed())
		Expect(dep.Spec.Template.Spec.Containers[0].Env).To(ContainElement(HaveField("Name", "HASURA_GRAPHQL_ADMIN_SECRET")))
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionReady)).Should(haveReason(metav1.ConditionFalse, v1alpha1.ReasonDeploymentUnavailable))
	})
})
