package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	policyv1ac "k8s.io/client-go/applyconfigurations/policy/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"

	"github.com/stratagql/strata/api/v1alpha1"
)

// This file holds the pure builders of the objects a GraphQLEngine owns. They
// depend only on their arguments, so the same engine always yields the same
// apply configurations; the reconciler applies them as they are.

const (
	// FieldManager is the server-side apply field manager of every object
	// the operator applies.
	FieldManager = "strata-operator"

	// EngineContainerName is the name of the engine container.
	EngineContainerName = "engine"
	// EngineHTTPPort is the port the engine container listens on; the
	// Service maps spec.service.port to it. It is unprivileged so the
	// engine runs as non-root without extra capabilities.
	EngineHTTPPort int32 = 8080
	// HTTPPortName names the engine's HTTP port in the pod and the Service.
	HTTPPortName = "http"
	// ConfigHashAnnotation, on the pod template, holds a hash of everything
	// that reaches the pods (spec and referenced Secrets' versions): when it
	// changes, the Deployment rolls its pods.
	ConfigHashAnnotation = "graphql.strata.dev/config-hash"

	// LabelName, LabelInstance, LabelComponent, LabelManagedBy and
	// LabelPartOf are the recommended app.kubernetes.io labels set on every
	// owned object.
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelPartOf    = "app.kubernetes.io/part-of"
	// ManagedByValue is the value of LabelManagedBy on owned objects; the
	// operator's cache only sees objects of the owned kinds carrying it.
	ManagedByValue = "strata-operator"

	engineComponent = "graphql-engine"
	// defaultLogLevel matches the API default of spec.settings.logLevel.
	defaultLogLevel = "info"
	// engineShutdownTimeout is the engine's graceful shutdown, in seconds
	// (HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT, set explicitly on the
	// container): on SIGTERM the engine stops listening (so its readiness
	// fails), closes every WebSocket with 1001 (going away; clients
	// reconnect to another replica and their subscriptions restart with an
	// initial result), and gives in-flight HTTP requests this long.
	engineShutdownTimeout = 60
	// terminationGracePeriod is the pods' grace period: the engine's
	// graceful shutdown plus a margin for closing its database pool, so the
	// kubelet never kills an engine that is still draining.
	terminationGracePeriod int64 = engineShutdownTimeout + 5
)

// MetadataConfigMapName is the name of the ConfigMap holding the metadata
// the operator publishes for the engine of the given name.
func MetadataConfigMapName(engineName string) string {
	return engineName + "-metadata"
}

// EngineInputs are what the builders need beyond the GraphQLEngine itself.
type EngineInputs struct {
	// Image is the engine image: spec.image, or the operator's default.
	Image string
	// SecretVersions maps each referenced Secret's name to its
	// resourceVersion, so that a Secret change rolls the pods.
	SecretVersions map[string]string
}

// EngineLabels are the labels of every object owned by the named engine.
func EngineLabels(engineName string) map[string]string {
	return map[string]string{
		LabelName:      "strata",
		LabelInstance:  engineName,
		LabelComponent: engineComponent,
		LabelManagedBy: ManagedByValue,
		LabelPartOf:    "strata",
	}
}

// EngineSelector is the label selector of the named engine's pods. It is a
// subset of EngineLabels and never changes, as Deployment selectors are
// immutable.
func EngineSelector(engineName string) map[string]string {
	return map[string]string{
		LabelName:      "strata",
		LabelInstance:  engineName,
		LabelComponent: engineComponent,
	}
}

// DesiredReplicas is spec.replicas, 1 when unset.
func DesiredReplicas(e *v1alpha1.GraphQLEngine) int32 {
	if e.Spec.Replicas == nil {
		return 1
	}
	return *e.Spec.Replicas
}

// ServicePort is spec.service.port, 8080 when unset.
func ServicePort(e *v1alpha1.GraphQLEngine) int32 {
	if e.Spec.Service.Port == 0 {
		return EngineHTTPPort
	}
	return e.Spec.Service.Port
}

// EngineEndpoint is the in-cluster URL of the engine's Service.
func EngineEndpoint(e *v1alpha1.GraphQLEngine) string {
	return fmt.Sprintf("http://%s.%s.svc:%d", e.Name, e.Namespace, ServicePort(e))
}

// ReferencedSecrets returns the sorted, distinct names of the Secrets the
// engine's spec references.
func ReferencedSecrets(e *v1alpha1.GraphQLEngine) []string {
	names := []string{e.Spec.DatabaseURLSecretRef.Name}
	if a := e.Spec.Auth; a != nil {
		if a.AdminSecretRef != nil {
			names = append(names, a.AdminSecretRef.Name)
		}
		if a.JWTSecretRef != nil {
			names = append(names, a.JWTSecretRef.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// ConfigHash hashes everything of the engine that reaches its pods: the spec
// (minus replicas, service and inheritedRoles, which change no pod, so that
// scaling does not restart pods), the image and the referenced Secrets'
// versions.
func ConfigHash(e *v1alpha1.GraphQLEngine, in EngineInputs) string {
	spec := e.Spec.DeepCopy()
	spec.Replicas = nil
	spec.Service = v1alpha1.ServiceSpec{}
	spec.InheritedRoles = nil
	// encoding/json sorts map keys, so the encoding is deterministic.
	b, err := json.Marshal(struct {
		Spec    *v1alpha1.GraphQLEngineSpec `json:"spec"`
		Image   string                      `json:"image"`
		Secrets map[string]string           `json:"secrets"`
	}{spec, in.Image, in.SecretVersions})
	if err != nil {
		// The spec is plain data decoded from JSON; it always encodes.
		panic(fmt.Sprintf("encode engine spec: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// ownerReference makes e the controller owner of an object, so that deleting
// the engine deletes it and changes to it are reported to the engine.
func ownerReference(e *v1alpha1.GraphQLEngine) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(v1alpha1.GroupVersion.String()).
		WithKind("GraphQLEngine").
		WithName(e.Name).
		WithUID(e.UID).
		WithController(true).
		WithBlockOwnerDeletion(true)
}

// BuildServiceAccount builds the engine pods' ServiceAccount.
func BuildServiceAccount(e *v1alpha1.GraphQLEngine) *corev1ac.ServiceAccountApplyConfiguration {
	return corev1ac.ServiceAccount(e.Name, e.Namespace).
		WithLabels(EngineLabels(e.Name)).
		WithOwnerReferences(ownerReference(e))
}

// BuildRole builds the engine's Role: read its own metadata ConfigMaps (the
// main one and the parts a large document is split into), and report on its
// own GraphQLEngine's status; nothing else.
func BuildRole(e *v1alpha1.GraphQLEngine) *rbacv1ac.RoleApplyConfiguration {
	return rbacv1ac.Role(e.Name, e.Namespace).
		WithLabels(EngineLabels(e.Name)).
		WithOwnerReferences(ownerReference(e)).
		WithRules(
			rbacv1ac.PolicyRule().
				WithAPIGroups(corev1.GroupName).
				WithResources("configmaps").
				WithResourceNames(MetadataConfigMapNames(e.Name)...).
				WithVerbs("get", "list", "watch"),
			rbacv1ac.PolicyRule().
				WithAPIGroups(v1alpha1.GroupVersion.Group).
				WithResources("graphqlengines/status").
				WithResourceNames(e.Name).
				WithVerbs("get", "patch"),
		)
}

// BuildRoleBinding binds the engine's Role to its ServiceAccount.
func BuildRoleBinding(e *v1alpha1.GraphQLEngine) *rbacv1ac.RoleBindingApplyConfiguration {
	return rbacv1ac.RoleBinding(e.Name, e.Namespace).
		WithLabels(EngineLabels(e.Name)).
		WithOwnerReferences(ownerReference(e)).
		WithRoleRef(rbacv1ac.RoleRef().
			WithAPIGroup(rbacv1.GroupName).
			WithKind("Role").
			WithName(e.Name)).
		WithSubjects(rbacv1ac.Subject().
			WithKind(rbacv1.ServiceAccountKind).
			WithName(e.Name).
			WithNamespace(e.Namespace))
}

// BuildService builds the engine's Service, of spec.service's type and port.
func BuildService(e *v1alpha1.GraphQLEngine) *corev1ac.ServiceApplyConfiguration {
	typ := e.Spec.Service.Type
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP
	}
	return corev1ac.Service(e.Name, e.Namespace).
		WithLabels(EngineLabels(e.Name)).
		WithOwnerReferences(ownerReference(e)).
		WithSpec(corev1ac.ServiceSpec().
			WithType(typ).
			WithSelector(EngineSelector(e.Name)).
			WithPorts(corev1ac.ServicePort().
				WithName(HTTPPortName).
				WithProtocol(corev1.ProtocolTCP).
				WithPort(ServicePort(e)).
				WithTargetPort(intstr.FromString(HTTPPortName))))
}

// BuildPodDisruptionBudget builds the engine's PodDisruptionBudget, which
// lets voluntary disruptions take one pod at a time. It returns nil when the
// engine runs at most one replica, where a budget would block node drains.
func BuildPodDisruptionBudget(e *v1alpha1.GraphQLEngine) *policyv1ac.PodDisruptionBudgetApplyConfiguration {
	if DesiredReplicas(e) <= 1 {
		return nil
	}
	return policyv1ac.PodDisruptionBudget(e.Name, e.Namespace).
		WithLabels(EngineLabels(e.Name)).
		WithOwnerReferences(ownerReference(e)).
		WithSpec(policyv1ac.PodDisruptionBudgetSpec().
			WithMaxUnavailable(intstr.FromInt32(1)).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(EngineSelector(e.Name))))
}

// BuildDeployment builds the engine's Deployment.
func BuildDeployment(e *v1alpha1.GraphQLEngine, in EngineInputs) *appsv1ac.DeploymentApplyConfiguration {
	container := corev1ac.Container().
		WithName(EngineContainerName).
		WithImage(in.Image).
		WithCommand("/strata", "engine").
		WithPorts(corev1ac.ContainerPort().
			WithName(HTTPPortName).
			WithContainerPort(EngineHTTPPort).
			WithProtocol(corev1.ProtocolTCP)).
		WithEnv(engineEnv(e)...).
		WithStartupProbe(httpProbe("/v1/version", 2, 30)).
		WithReadinessProbe(httpProbe("/healthz", 10, 3)).
		WithLivenessProbe(httpProbe("/v1/version", 20, 3)).
		WithSecurityContext(corev1ac.SecurityContext().
			WithAllowPrivilegeEscalation(false).
			WithReadOnlyRootFilesystem(true).
			WithRunAsNonRoot(true).
			WithCapabilities(corev1ac.Capabilities().WithDrop("ALL")))
	if res := e.Spec.Resources; len(res.Limits) > 0 || len(res.Requests) > 0 || len(res.Claims) > 0 {
		container.WithResources(convert[corev1ac.ResourceRequirementsApplyConfiguration](res))
	}

	pod := corev1ac.PodSpec().
		WithServiceAccountName(e.Name).
		WithAutomountServiceAccountToken(true).
		WithTerminationGracePeriodSeconds(terminationGracePeriod).
		WithSecurityContext(corev1ac.PodSecurityContext().
			WithRunAsNonRoot(true).
			WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))).
		WithContainers(container)
	if len(e.Spec.NodeSelector) > 0 {
		pod.WithNodeSelector(e.Spec.NodeSelector)
	}
	for i := range e.Spec.Tolerations {
		pod.WithTolerations(convert[corev1ac.TolerationApplyConfiguration](e.Spec.Tolerations[i]))
	}
	if e.Spec.Affinity != nil {
		pod.WithAffinity(convert[corev1ac.AffinityApplyConfiguration](e.Spec.Affinity))
	}

	return appsv1ac.Deployment(e.Name, e.Namespace).
		WithLabels(EngineLabels(e.Name)).
		WithOwnerReferences(ownerReference(e)).
		WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(DesiredReplicas(e)).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(EngineSelector(e.Name))).
			WithTemplate(corev1ac.PodTemplateSpec().
				WithLabels(EngineLabels(e.Name)).
				WithAnnotations(map[string]string{ConfigHashAnnotation: ConfigHash(e, in)}).
				WithSpec(pod)))
}

// engineEnv is the engine container's environment, in a fixed order: the
// Hasura-compatible variables `strata engine` reads (see engine/config).
func engineEnv(e *v1alpha1.GraphQLEngine) []*corev1ac.EnvVarApplyConfiguration {
	logLevel := e.Spec.Settings.LogLevel
	if logLevel == "" {
		logLevel = defaultLogLevel
	}
	env := []*corev1ac.EnvVarApplyConfiguration{
		secretEnv("HASURA_GRAPHQL_DATABASE_URL", e.Spec.DatabaseURLSecretRef),
		plainEnv("HASURA_GRAPHQL_SERVER_PORT", strconv.Itoa(int(EngineHTTPPort))),
		plainEnv("STRATA_METADATA_CONFIGMAP", e.Namespace+"/"+MetadataConfigMapName(e.Name)),
		plainEnv("HASURA_GRAPHQL_LOG_LEVEL", logLevel),
		plainEnv("HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES", strconv.FormatBool(e.Spec.Settings.StringifyNumericTypes)),
		plainEnv("HASURA_GRAPHQL_ENABLE_CONSOLE", strconv.FormatBool(e.Spec.Settings.EnableConsole)),
		plainEnv("HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT", strconv.Itoa(engineShutdownTimeout)),
	}
	a := e.Spec.Auth
	if a == nil {
		return env
	}
	if a.AdminSecretRef != nil {
		env = append(env, secretEnv("HASURA_GRAPHQL_ADMIN_SECRET", *a.AdminSecretRef))
	}
	if a.JWTSecretRef != nil {
		env = append(env, secretEnv("HASURA_GRAPHQL_JWT_SECRET", *a.JWTSecretRef))
	}
	if h := a.AuthHook; h != nil {
		mode := h.Mode
		if mode == "" {
			mode = "GET"
		}
		env = append(env, plainEnv("HASURA_GRAPHQL_AUTH_HOOK", h.URL), plainEnv("HASURA_GRAPHQL_AUTH_HOOK_MODE", mode))
	}
	if a.UnauthorizedRole != "" {
		env = append(env, plainEnv("HASURA_GRAPHQL_UNAUTHORIZED_ROLE", a.UnauthorizedRole))
	}
	return env
}

func plainEnv(name, value string) *corev1ac.EnvVarApplyConfiguration {
	return corev1ac.EnvVar().WithName(name).WithValue(value)
}

func secretEnv(name string, ref v1alpha1.SecretKeySelector) *corev1ac.EnvVarApplyConfiguration {
	return corev1ac.EnvVar().WithName(name).WithValueFrom(corev1ac.EnvVarSource().
		WithSecretKeyRef(corev1ac.SecretKeySelector().WithName(ref.Name).WithKey(ref.Key)))
}

// httpProbe probes path on the HTTP port every period seconds and fails
// after failures consecutive failures.
func httpProbe(path string, period, failures int32) *corev1ac.ProbeApplyConfiguration {
	return corev1ac.Probe().
		WithHTTPGet(corev1ac.HTTPGetAction().WithPath(path).WithPort(intstr.FromString(HTTPPortName))).
		WithPeriodSeconds(period).
		WithTimeoutSeconds(5).
		WithFailureThreshold(failures)
}

// convert turns a typed API value into its apply configuration. Both share
// the same JSON form, and the value comes from a decoded object, so only the
// fields the user set are present.
func convert[AC any](typed any) *AC {
	b, err := json.Marshal(typed)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", typed, err))
	}
	ac := new(AC)
	if err := json.Unmarshal(b, ac); err != nil {
		panic(fmt.Sprintf("decode %T into %T: %v", typed, ac, err))
	}
	return ac
}

// DeploymentState summarises a Deployment's rollout for the engine's status.
type DeploymentState struct {
	// Replicas and ReadyReplicas are the Deployment's pod counts.
	Replicas, ReadyReplicas int32
	// Available is true when the Deployment has minimum availability.
	Available bool
	// RolloutComplete is true when every replica runs the current template
	// and is available, and no old replica remains.
	RolloutComplete bool
	// Stalled is true when the rollout exceeded its progress deadline.
	Stalled bool
	// Message explains the state in a sentence.
	Message string
}

// ObserveDeployment summarises dep, whose desired replica count is desired.
// It follows the logic of `kubectl rollout status`.
func ObserveDeployment(dep *appsv1.Deployment, desired int32) DeploymentState {
	st := DeploymentState{Replicas: dep.Status.Replicas, ReadyReplicas: dep.Status.ReadyReplicas}
	for _, c := range dep.Status.Conditions {
		switch {
		case c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue:
			st.Available = true
		case c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded":
			st.Stalled = true
		}
	}
	s := dep.Status
	switch {
	case s.ObservedGeneration < dep.Generation:
		st.Message = "waiting for the Deployment controller to observe the new spec"
	case s.UpdatedReplicas < desired:
		st.Message = fmt.Sprintf("%d of %d replicas updated", s.UpdatedReplicas, desired)
	case s.Replicas > s.UpdatedReplicas:
		st.Message = fmt.Sprintf("%d old replicas pending termination", s.Replicas-s.UpdatedReplicas)
	case s.AvailableReplicas < s.UpdatedReplicas:
		st.Message = fmt.Sprintf("%d of %d updated replicas available", s.AvailableReplicas, s.UpdatedReplicas)
	default:
		st.RolloutComplete = true
		st.Message = fmt.Sprintf("%d of %d replicas ready", s.ReadyReplicas, desired)
	}
	return st
}
