package kubelet

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type fakeGetter struct {
	secrets    map[string]*corev1.Secret
	configMaps map[string]*corev1.ConfigMap
}

func (f fakeGetter) Secret(ns, name string) (*corev1.Secret, error) {
	if s, ok := f.secrets[ns+"/"+name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func (f fakeGetter) ConfigMap(ns, name string) (*corev1.ConfigMap, error) {
	if c, ok := f.configMaps[ns+"/"+name]; ok {
		return c, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func TestResolveEnv(t *testing.T) {
	get := fakeGetter{
		secrets: map[string]*corev1.Secret{
			"ns/db":  {Data: map[string][]byte{"url": []byte("postgres://x"), "user": []byte("u")}},
			"ns/all": {Data: map[string][]byte{"B": []byte("sb"), "A": []byte("sa"), "bad key": []byte("x")}},
		},
		configMaps: map[string]*corev1.ConfigMap{
			"ns/cfg": {Data: map[string]string{"level": "debug"}, BinaryData: map[string][]byte{"bin": []byte("raw")}},
		},
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u-1", Labels: map[string]string{"app": "demo"}},
		Spec:       corev1.PodSpec{NodeName: "local", ServiceAccountName: "sa"},
	}
	yes := true
	c := &corev1.Container{
		EnvFrom: []corev1.EnvFromSource{
			{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "all"}}},
			{Prefix: "CM_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
			{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}, Optional: &yes}},
		},
		Env: []corev1.EnvVar{
			{Name: "DB", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "url"}}},
			{Name: "LEVEL", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "level"}}},
			{Name: "BIN", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "bin"}}},
			{Name: "IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "NS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
			{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}},
			{Name: "OPT", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "nokey", Optional: &yes}}},
			{Name: "A", Value: "override-$(B)-$(NOPE)-$$(B)"},
		},
	}
	got, err := ResolveEnv(pod, c, PodAddresses{PodIP: "127.0.100.2", HostIP: "127.0.0.1"}, get)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"A=override-sb-$(NOPE)-$(B)", "B=sb", "CM_level=debug",
		"DB=postgres://x", "LEVEL=debug", "BIN=raw", "IP=127.0.100.2", "NS=ns", "APP=demo",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("env:\n got %q\nwant %q", got, want)
	}

	for name, env := range map[string]corev1.EnvVar{
		"missing secret": {Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "none"}, Key: "k"}}},
		"missing key":    {Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "k"}}},
		"bad field":      {Name: "X", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.hostname"}}},
		"resource field": {Name: "X", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
	} {
		if _, err := ResolveEnv(pod, &corev1.Container{Env: []corev1.EnvVar{env}}, PodAddresses{}, get); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestExpand(t *testing.T) {
	lookup := envLookup([]string{"A=1", "B=two"})
	for in, want := range map[string]string{
		"plain":        "plain",
		"$(A)$(B)":     "1two",
		"$(C)":         "$(C)",
		"$$(A)":        "$(A)",
		"x$":           "x$",
		"$(A":          "$(A",
		"cost $5 $(A)": "cost $5 1",
	} {
		if got := Expand(in, lookup); got != want {
			t.Errorf("Expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIPAllocator(t *testing.T) {
	a, err := NewIPAllocator(netip.MustParsePrefix("127.1.0.0/29"), netip.MustParseAddr("127.1.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	vetoed := netip.MustParseAddr("127.1.0.4")
	usable := func(ip netip.Addr) bool { return ip != vetoed }
	var got []string
	for i := range 4 {
		ip, err := a.Allocate(strconv.Itoa(i), usable)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ip.String())
	}
	// .0 is the network, .1 reserved, .4 vetoed, .7 the last address.
	if want := []string{"127.1.0.2", "127.1.0.3", "127.1.0.5", "127.1.0.6"}; !slices.Equal(got, want) {
		t.Fatalf("allocated %v, want %v", got, want)
	}
	if ip, err := a.Allocate("full", usable); err == nil {
		t.Fatalf("allocated %s from a full pool", ip)
	}
	// Released addresses come back, but only after going round.
	a.Release(netip.MustParseAddr("127.1.0.3"))
	a.Release(netip.MustParseAddr("127.1.0.6"))
	ip, err := a.Allocate("again", usable)
	if err != nil || ip.String() != "127.1.0.3" {
		t.Fatalf("after release got %v, %v; want 127.1.0.3 (round-robin from .7)", ip, err)
	}
	a.Release(ip)
	if ip, _ := a.Allocate("next", usable); ip.String() != "127.1.0.6" {
		t.Fatalf("got %v, want 127.1.0.6: the just-released .3 must not be reused first", ip)
	}
	for _, bad := range []string{"10.0.0.0/24", "127.0.5.0/24", "127.0.0.0/8"} {
		if _, err := NewIPAllocator(netip.MustParsePrefix(bad)); err == nil {
			t.Errorf("accepted pod CIDR %s", bad)
		}
	}
	lo := netip.MustParseAddr("127.100.3.7")
	if r := ReportedIP(lo); r.String() != "10.100.3.7" {
		t.Errorf("ReportedIP(%s) = %s", lo, r)
	}
	if back, ok := LoopbackIP(ReportedIP(lo)); !ok || back != lo {
		t.Errorf("LoopbackIP(ReportedIP(%s)) = %s, %v", lo, back, ok)
	}
	if _, ok := LoopbackIP(netip.MustParseAddr("192.168.1.1")); ok {
		t.Error("LoopbackIP accepted 192.168.1.1")
	}
}

func TestProbeTracker(t *testing.T) {
	ready := newProbeTracker(&corev1.Probe{SuccessThreshold: 1, FailureThreshold: 2}, false)
	steps := []struct {
		ok, changed, state bool
	}{
		{false, false, false}, {true, true, true}, {false, false, true}, {true, false, true},
		{false, false, true}, {false, true, false}, {false, false, false}, {true, true, true},
	}
	for i, s := range steps {
		if c := ready.observe(s.ok); c != s.changed || ready.ok != s.state {
			t.Fatalf("step %d: changed %v state %v, want %v %v", i, c, ready.ok, s.changed, s.state)
		}
	}
	live := newProbeTracker(&corev1.Probe{SuccessThreshold: 1, FailureThreshold: 3}, true)
	for i := range 2 {
		if live.observe(false) {
			t.Fatalf("liveness flipped after %d failures", i+1)
		}
	}
	if !live.observe(false) || live.ok {
		t.Fatal("liveness did not fail after 3 failures")
	}
}

func TestProber(t *testing.T) {
	var status int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || r.Header.Get("X-Probe") != "1" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	host, portStr, _ := net.SplitHostPort(u.Host)
	port, _ := strconv.Atoi(portStr)
	var execArgs []string
	pb := &prober{podIP: host, ports: map[string]int32{"http": int32(port)}, client: newHTTPProbeClient(),
		exec: func(_ context.Context, argv []string) error {
			execArgs = argv
			if argv[0] == "fail" {
				return errors.New("exit status 1")
			}
			return nil
		}}
	httpProbe := &corev1.Probe{TimeoutSeconds: 1, ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
		Path: "/healthz", Port: intstr.FromString("http"), HTTPHeaders: []corev1.HTTPHeader{{Name: "X-Probe", Value: "1"}},
	}}}
	ctx := context.Background()
	for code, ok := range map[int]bool{200: true, 302: true, 500: false, 404: false} {
		status = code
		if err := pb.run(ctx, httpProbe); (err == nil) != ok {
			t.Errorf("HTTP %d: probe error %v, want success %v", code, err, ok)
		}
	}
	bad := httpProbe.DeepCopy()
	bad.HTTPGet.Port = intstr.FromString("metrics")
	if err := pb.run(ctx, bad); err == nil {
		t.Error("probe on an unknown named port succeeded")
	}
	tcp := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(int32(port))}}}
	if err := pb.run(ctx, tcp); err != nil {
		t.Errorf("tcp probe: %v", err)
	}
	srv.Close()
	if err := pb.run(ctx, tcp); err == nil {
		t.Error("tcp probe of a closed port succeeded")
	}
	if err := pb.run(ctx, &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"fail", "x"}}}}); err == nil || !slices.Equal(execArgs, []string{"fail", "x"}) {
		t.Errorf("exec probe: %v with %v", err, execArgs)
	}
	if err := pb.run(ctx, &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 1}}}); err == nil {
		t.Error("grpc probe did not fail as unsupported")
	}
}

func TestPodPhase(t *testing.T) {
	running := corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	creating := corev1.ContainerStatus{State: waiting("ContainerCreating", "")}
	exited := func(code int32) corev1.ContainerStatus {
		return corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}
	}
	backoff := corev1.ContainerStatus{State: waiting("CrashLoopBackOff", ""), LastTerminationState: exited(1).State}
	for _, c := range []struct {
		policy   corev1.RestartPolicy
		cs       []corev1.ContainerStatus
		finished bool
		want     corev1.PodPhase
	}{
		{corev1.RestartPolicyAlways, []corev1.ContainerStatus{creating}, false, corev1.PodPending},
		{corev1.RestartPolicyAlways, []corev1.ContainerStatus{running, creating}, false, corev1.PodPending},
		{corev1.RestartPolicyAlways, []corev1.ContainerStatus{running, backoff}, false, corev1.PodRunning},
		{corev1.RestartPolicyAlways, []corev1.ContainerStatus{exited(0)}, false, corev1.PodRunning},
		{corev1.RestartPolicyAlways, []corev1.ContainerStatus{exited(0)}, true, corev1.PodSucceeded},
		{corev1.RestartPolicyAlways, []corev1.ContainerStatus{exited(143)}, true, corev1.PodFailed},
		{corev1.RestartPolicyOnFailure, []corev1.ContainerStatus{exited(0), running}, false, corev1.PodRunning},
		{corev1.RestartPolicyOnFailure, []corev1.ContainerStatus{exited(0), exited(0)}, false, corev1.PodSucceeded},
		{corev1.RestartPolicyOnFailure, []corev1.ContainerStatus{exited(0), exited(2)}, false, corev1.PodRunning},
		{corev1.RestartPolicyNever, []corev1.ContainerStatus{exited(0), exited(2)}, false, corev1.PodFailed},
	} {
		if got := podPhase(c.policy, c.cs, c.finished); got != c.want {
			t.Errorf("%s %+v finished=%v: phase %s, want %s", c.policy, c.cs, c.finished, got, c.want)
		}
	}
}
