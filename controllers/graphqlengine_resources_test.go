package controllers

import (
	"encoding/json"
	"io"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/engine/config"
)

// These tests exercise the pure builders with plain `go test`: no API server.

func testEngine() *v1alpha1.GraphQLEngine {
	return &v1alpha1.GraphQLEngine{
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "shop", UID: types.UID("uid-1"), Generation: 2},
		Spec: v1alpha1.GraphQLEngineSpec{
			DatabaseURLSecretRef: v1alpha1.SecretKeySelector{Name: "db", Key: "url"},
			Replicas:             ptr.To[int32](1),
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			},
			NodeSelector: map[string]string{"zone": "a", "disk": "ssd", "arch": "amd64"},
			Tolerations:  []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "graphql", Effect: corev1.TaintEffectNoSchedule}},
			Service:      v1alpha1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Port: 80},
			Auth: &v1alpha1.AuthSpec{
				AdminSecretRef:   &v1alpha1.SecretKeySelector{Name: "auth", Key: "admin"},
				JWTSecretRef:     &v1alpha1.SecretKeySelector{Name: "auth", Key: "jwt"},
				UnauthorizedRole: "anonymous",
			},
			Settings: v1alpha1.EngineSettings{LogLevel: "warn", StringifyNumericTypes: true},
		},
	}
}

func testInputs() EngineInputs {
	return EngineInputs{Image: "example.com/strata:1", SecretVersions: map[string]string{"db": "10", "auth": "11"}}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildersAreDeterministic(t *testing.T) {
	build := func() []string {
		e := testEngine()
		e.Spec.Replicas = ptr.To[int32](3)
		return []string{
			mustJSON(t, BuildServiceAccount(e)),
			mustJSON(t, BuildRole(e)),
			mustJSON(t, BuildRoleBinding(e)),
			mustJSON(t, BuildService(e)),
			mustJSON(t, BuildPodDisruptionBudget(e)),
			mustJSON(t, BuildDeployment(e, testInputs())),
		}
	}
	want := build()
	for i := 0; i < 20; i++ {
		got := build()
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("builder %d gave a different result on run %d:\n%s\n%s", j, i, want[j], got[j])
			}
		}
	}
}

func TestConfigHash(t *testing.T) {
	base := ConfigHash(testEngine(), testInputs())
	if base != ConfigHash(testEngine(), testInputs()) {
		t.Fatal("hash is not stable")
	}
	same := map[string]func(*v1alpha1.GraphQLEngine){
		"replicas": func(e *v1alpha1.GraphQLEngine) { e.Spec.Replicas = ptr.To[int32](5) },
		"service":  func(e *v1alpha1.GraphQLEngine) { e.Spec.Service.Port = 9090 },
		"inheritedRoles": func(e *v1alpha1.GraphQLEngine) {
			e.Spec.InheritedRoles = []v1alpha1.InheritedRole{{RoleName: "r", RoleSet: []string{"a"}}}
		},
		"status": func(e *v1alpha1.GraphQLEngine) { e.Status.Replicas = 4 },
	}
	for name, mutate := range same {
		e := testEngine()
		mutate(e)
		if got := ConfigHash(e, testInputs()); got != base {
			t.Errorf("changing %s changed the hash (pods would restart needlessly)", name)
		}
	}
	differs := map[string]func(*v1alpha1.GraphQLEngine, *EngineInputs){
		"secret version": func(_ *v1alpha1.GraphQLEngine, in *EngineInputs) { in.SecretVersions["db"] = "12" },
		"image":          func(_ *v1alpha1.GraphQLEngine, in *EngineInputs) { in.Image = "example.com/strata:2" },
		"log level":      func(e *v1alpha1.GraphQLEngine, _ *EngineInputs) { e.Spec.Settings.LogLevel = "debug" },
		"secret key":     func(e *v1alpha1.GraphQLEngine, _ *EngineInputs) { e.Spec.DatabaseURLSecretRef.Key = "uri" },
	}
	for name, mutate := range differs {
		e, in := testEngine(), testInputs()
		mutate(e, &in)
		if got := ConfigHash(e, in); got == base {
			t.Errorf("changing the %s left the hash unchanged (pods would not roll)", name)
		}
	}
}

func TestBuildDeployment(t *testing.T) {
	e := testEngine()
	dep := &appsv1.Deployment{}
	if err := json.Unmarshal([]byte(mustJSON(t, BuildDeployment(e, testInputs()))), dep); err != nil {
		t.Fatal(err)
	}
	if len(dep.OwnerReferences) != 1 || !*dep.OwnerReferences[0].Controller || dep.OwnerReferences[0].UID != "uid-1" ||
		dep.OwnerReferences[0].Kind != "GraphQLEngine" || dep.OwnerReferences[0].APIVersion != "graphql.strata.dev/v1alpha1" {
		t.Errorf("owner references = %+v", dep.OwnerReferences)
	}
	if *dep.Spec.Replicas != 1 || dep.Spec.Selector.MatchLabels[LabelInstance] != "demo" {
		t.Errorf("replicas/selector = %v %v", *dep.Spec.Replicas, dep.Spec.Selector)
	}
	pod := dep.Spec.Template.Spec
	if pod.ServiceAccountName != "demo" || pod.NodeSelector["disk"] != "ssd" || len(pod.Tolerations) != 1 ||
		pod.SecurityContext == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("pod spec = %+v", pod)
	}
	if len(pod.Volumes) != 0 {
		t.Errorf("the engine reads its metadata through the API, yet volumes = %v", pod.Volumes)
	}
	if dep.Spec.Template.Annotations[ConfigHashAnnotation] != ConfigHash(e, testInputs()) {
		t.Errorf("config hash annotation missing: %v", dep.Spec.Template.Annotations)
	}
	c := pod.Containers[0]
	if c.Name != "engine" || c.Image != "example.com/strata:1" || len(c.Command) != 2 || c.Command[0] != "/strata" || c.Command[1] != "engine" {
		t.Errorf("container = %s %s %v", c.Name, c.Image, c.Command)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/healthz" || c.LivenessProbe == nil {
		t.Errorf("probes = %+v %+v", c.ReadinessProbe, c.LivenessProbe)
	}
	if c.Resources.Requests.Cpu().String() != "100m" {
		t.Errorf("resources = %+v", c.Resources)
	}
	env := map[string]corev1.EnvVar{}
	for _, v := range c.Env {
		env[v.Name] = v
	}
	wantValue := map[string]string{
		"HASURA_GRAPHQL_SERVER_PORT":             "8080",
		"STRATA_METADATA_CONFIGMAP":              "shop/demo-metadata",
		"HASURA_GRAPHQL_LOG_LEVEL":               "warn",
		"HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES": "true",
		"HASURA_GRAPHQL_ENABLE_CONSOLE":          "false",
		"HASURA_GRAPHQL_UNAUTHORIZED_ROLE":       "anonymous",
	}
	for k, v := range wantValue {
		if env[k].Value != v {
			t.Errorf("env %s = %q, want %q", k, env[k].Value, v)
		}
	}
	wantSecret := map[string][2]string{
		"HASURA_GRAPHQL_DATABASE_URL": {"db", "url"},
		"HASURA_GRAPHQL_ADMIN_SECRET": {"auth", "admin"},
		"HASURA_GRAPHQL_JWT_SECRET":   {"auth", "jwt"},
	}
	for k, ref := range wantSecret {
		v := env[k]
		if v.ValueFrom == nil || v.ValueFrom.SecretKeyRef == nil || v.ValueFrom.SecretKeyRef.Name != ref[0] || v.ValueFrom.SecretKeyRef.Key != ref[1] {
			t.Errorf("env %s = %+v, want Secret %s key %s", k, v, ref[0], ref[1])
		}
	}
	if _, ok := env["HASURA_GRAPHQL_AUTH_HOOK"]; ok {
		t.Error("auth hook set without spec.auth.authHook")
	}

	hook := testEngine()
	hook.Spec.Auth.JWTSecretRef = nil
	hook.Spec.Auth.AuthHook = &v1alpha1.AuthHook{URL: "https://auth.example.com/hook", Mode: "POST"}
	dep = &appsv1.Deployment{}
	if err := json.Unmarshal([]byte(mustJSON(t, BuildDeployment(hook, testInputs()))), dep); err != nil {
		t.Fatal(err)
	}
	env = map[string]corev1.EnvVar{}
	for _, v := range dep.Spec.Template.Spec.Containers[0].Env {
		env[v.Name] = v
	}
	if env["HASURA_GRAPHQL_AUTH_HOOK"].Value != "https://auth.example.com/hook" || env["HASURA_GRAPHQL_AUTH_HOOK_MODE"].Value != "POST" {
		t.Errorf("auth hook env = %+v", env)
	}
	if _, ok := env["HASURA_GRAPHQL_JWT_SECRET"]; ok {
		t.Error("JWT secret set without spec.auth.jwtSecretRef")
	}
}

func TestBuildServiceRoleAndPDB(t *testing.T) {
	e := testEngine()
	svc := &corev1.Service{}
	if err := json.Unmarshal([]byte(mustJSON(t, BuildService(e))), svc); err != nil {
		t.Fatal(err)
	}
	if p := svc.Spec.Ports; len(p) != 1 || p[0].Name != "http" || p[0].Port != 80 || p[0].TargetPort.StrVal != "http" {
		t.Errorf("service ports = %+v", p)
	}
	if got, want := EngineEndpoint(e), "http://demo.shop.svc:80"; got != want {
		t.Errorf("endpoint = %s, want %s", got, want)
	}

	role := BuildRole(e)
	if len(role.Rules) != 2 || role.Rules[0].ResourceNames[0] != "demo-metadata" || role.Rules[1].ResourceNames[0] != "demo" {
		t.Errorf("role rules = %s", mustJSON(t, role.Rules))
	}
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if v == "create" || v == "update" || v == "delete" || v == "*" {
				t.Errorf("engine role grants %s: %s", v, mustJSON(t, r))
			}
		}
	}

	if BuildPodDisruptionBudget(e) != nil {
		t.Error("PodDisruptionBudget built for a single replica")
	}
	e.Spec.Replicas = ptr.To[int32](2)
	if pdb := BuildPodDisruptionBudget(e); pdb == nil || pdb.Spec.MaxUnavailable.IntVal != 1 {
		t.Errorf("PodDisruptionBudget for 2 replicas = %s", mustJSON(t, pdb))
	}
}

func TestReferencedSecretsAndNames(t *testing.T) {
	got := ReferencedSecrets(testEngine())
	if len(got) != 2 || got[0] != "auth" || got[1] != "db" {
		t.Errorf("ReferencedSecrets = %v", got)
	}
	if MetadataConfigMapName("demo") != "demo-metadata" {
		t.Errorf("MetadataConfigMapName = %s", MetadataConfigMapName("demo"))
	}
}

func TestObserveDeployment(t *testing.T) {
	available := []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}
	stalled := []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"}}
	cases := []struct {
		name                         string
		generation                   int64
		status                       appsv1.DeploymentStatus
		available, complete, stalled bool
	}{
		{"new", 1, appsv1.DeploymentStatus{}, false, false, false},
		{"unobserved", 2, appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2, Conditions: available}, true, false, false},
		{"updating", 2, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 1, AvailableReplicas: 2, Conditions: available}, true, false, false},
		{"old pods", 2, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 2, AvailableReplicas: 2, Conditions: available}, true, false, false},
		{"done", 2, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2, Conditions: available}, true, true, false},
		{"stalled", 2, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, Conditions: stalled}, false, false, true},
	}
	for _, c := range cases {
		dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: c.generation}, Status: c.status}
		st := ObserveDeployment(dep, 2)
		if st.Available != c.available || st.RolloutComplete != c.complete || st.Stalled != c.stalled || st.Message == "" {
			t.Errorf("%s: got %+v", c.name, st)
		}
	}
}

// The pods outlive the engine's graceful shutdown, as the engine reads it
// from the container's environment: WebSockets are closed with 1001 and
// in-flight requests drain before the kubelet may kill the process.
func TestBuildDeploymentFitsLongLivedSockets(t *testing.T) {
	dep := &appsv1.Deployment{}
	if err := json.Unmarshal([]byte(mustJSON(t, BuildDeployment(testEngine(), testInputs()))), dep); err != nil {
		t.Fatal(err)
	}
	pod := dep.Spec.Template.Spec
	env := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://db.example/app"} // from a Secret
	for _, v := range pod.Containers[0].Env {
		if v.ValueFrom == nil {
			env[v.Name] = v.Value
		}
	}
	cfg, err := config.Parse(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("the engine refuses the container's environment: %v", err)
	}
	const margin = 5 * time.Second
	if pod.TerminationGracePeriodSeconds == nil {
		t.Fatal("no terminationGracePeriodSeconds: the default 30 s would cut the engine's shutdown short")
	}
	if grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second; grace < cfg.ShutdownTimeout+margin {
		t.Errorf("terminationGracePeriodSeconds %s < the engine's graceful shutdown %s + %s", grace, cfg.ShutdownTimeout, margin)
	}
	if p := pod.Containers[0].ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
		t.Errorf("readiness probe = %+v, want /healthz (it fails once the engine stops listening on SIGTERM)", p)
	}
}
