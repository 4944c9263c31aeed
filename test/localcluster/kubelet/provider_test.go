package kubelet

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestProviderLifecycle runs a pod as a shell process (no cluster: a fake
// clientset holds its ConfigMap): environment and bind address, readiness
// from an exec probe, a restart after kill -9, an unmapped command, and
// deletion.
func TestProviderLifecycle(t *testing.T) {
	p, cfg, ctx := newTestProvider(t)
	grace := int64(1)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "uid-1"},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{
				Name:    "app",
				Command: []string{"/app", "-c"},
				Args:    []string{`echo "$(GREETING) $BIND_HOST $POD_IP"; exec sleep 60`},
				Env: []corev1.EnvVar{
					{Name: "GREETING", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "greeting"}}},
					{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
				},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/app", "-c", "true"}}},
					PeriodSeconds:    1,
					TimeoutSeconds:   1,
					SuccessThreshold: 1,
					FailureThreshold: 1,
				},
			}},
		},
	}
	if err := p.CreatePod(ctx, pod); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func(corev1.PodStatus) bool) corev1.PodStatus {
		t.Helper()
		return waitStatus(t, p, "web", what, cond)
	}
	ready := func(s corev1.PodStatus) bool {
		for _, c := range s.Conditions {
			if c.Type == corev1.PodReady {
				return c.Status == corev1.ConditionTrue
			}
		}
		return false
	}
	s := waitFor("running and ready", func(s corev1.PodStatus) bool { return s.Phase == corev1.PodRunning && ready(s) })
	if !strings.HasPrefix(s.PodIP, "10.77.0.") {
		t.Fatalf("podIP %s, want the reported form 10.77.0.N", s.PodIP)
	}
	loopback := strings.Replace(s.PodIP, "10.", "127.", 1)
	firstPID, err := strconv.Atoi(strings.TrimPrefix(s.ContainerStatuses[0].ContainerID, "proc://"))
	if err != nil {
		t.Fatalf("container ID %q", s.ContainerStatuses[0].ContainerID)
	}
	logPath := filepath.Join(cfg.StateDir, "pods", "ns_web_uid-1", "app.log")
	b, _ := os.ReadFile(logPath)
	if want := "hello " + loopback + " " + s.PodIP; !strings.Contains(string(b), want) {
		t.Fatalf("container output %q lacks %q", b, want)
	}

	if err := syscall.Kill(firstPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s = waitFor("restarted", func(s corev1.PodStatus) bool {
		cs := s.ContainerStatuses[0]
		return cs.RestartCount == 1 && cs.State.Running != nil && ready(s)
	})
	cs := s.ContainerStatuses[0]
	if cs.ContainerID == "proc://"+strconv.Itoa(firstPID) {
		t.Fatal("the restarted container kept its process ID")
	}
	if term := cs.LastTerminationState.Terminated; term == nil || term.ExitCode != 137 {
		t.Fatalf("last termination %+v, want exit code 137 (SIGKILL)", cs.LastTerminationState)
	}
	secondPID, _ := strconv.Atoi(strings.TrimPrefix(cs.ContainerID, "proc://"))

	unmapped := pod.DeepCopy()
	unmapped.Name, unmapped.UID = "other", "uid-2"
	unmapped.Spec.Containers[0].Command = []string{"/not-mapped"}
	if err := p.CreatePod(ctx, unmapped); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "other", "unmapped command waiting", func(s corev1.PodStatus) bool {
		w := s.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == ReasonCommandNotMapped
	})

	now := metav1.Now()
	deleted := pod.DeepCopy()
	deleted.DeletionTimestamp, deleted.DeletionGracePeriodSeconds = &now, &grace
	if err := p.DeletePod(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := p.GetPod(ctx, "ns", "web"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the deleted pod is still known")
		}
	}
	if syscall.Kill(secondPID, 0) == nil {
		t.Fatal("the deleted pod's process is still running")
	}
}

// TestProviderLivenessRestart kills and restarts a process whose liveness
// probe fails.
func TestProviderLivenessRestart(t *testing.T) {
	p, _, ctx := newTestProvider(t)
	live := &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/app", "-c", "test -f healthy"}}},
		InitialDelaySeconds: 1, // time to create the file
		PeriodSeconds:       1, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 1,
	}
	grace := int64(1)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "live", Namespace: "ns", UID: "uid-3"},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{
				Name: "app", Command: []string{"/app", "-c", "touch healthy; exec sleep 60"},
				// Healthy until the file goes (the process's directory is the pod's).
				LivenessProbe: live,
			}},
		},
	}
	if err := p.CreatePod(ctx, pod); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "live", "running", func(s corev1.PodStatus) bool { return s.ContainerStatuses[0].State.Running != nil })
	dir := filepath.Join(p.cfg.StateDir, "pods", "ns_live_uid-3")
	for i := 0; i < 100 && !fileExists(filepath.Join(dir, "healthy")); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.Remove(filepath.Join(dir, "healthy")); err != nil {
		t.Fatal(err)
	}
	s := waitStatus(t, p, "live", "restarted after the liveness probe failed", func(s corev1.PodStatus) bool {
		return s.ContainerStatuses[0].RestartCount >= 1
	})
	term := s.ContainerStatuses[0].LastTerminationState.Terminated
	if term == nil || !strings.Contains(term.Message, "Liveness probe failed") {
		t.Fatalf("last termination %+v, want the liveness failure", s.ContainerStatuses[0].LastTerminationState)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// newTestProvider starts a provider on a fake clientset holding ConfigMap
// ns/cfg, mapping command /app to /bin/sh; it stops with the test.
func newTestProvider(t *testing.T) (*Provider, Config, context.Context) {
	t.Helper()
	client := fake.NewClientset(&corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "ns"},
		Data:       map[string]string{"greeting": "hello"},
	})
	cfg := Config{
		PodCIDR:        netip.MustParsePrefix("127.77.0.0/24"),
		Commands:       map[string]string{"/app": "/bin/sh"},
		BindHostEnv:    "BIND_HOST",
		StateDir:       t.TempDir(),
		RestartBackoff: 100 * time.Millisecond,
	}
	cfg.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := newProvider(ctx, client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); p.wg.Wait() })
	return p, cfg, ctx
}

// waitStatus polls the status of pod ns/name for up to 10 s until cond
// holds.
func waitStatus(t *testing.T, p *Provider, name, what string, cond func(corev1.PodStatus) bool) corev1.PodStatus {
	t.Helper()
	var last *corev1.PodStatus
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		s, err := p.GetPodStatus(context.Background(), "ns", name)
		if err != nil {
			t.Fatal(err)
		}
		if last = s; len(s.ContainerStatuses) > 0 && cond(*s) {
			return *s
		}
	}
	t.Fatalf("%s: status %+v", what, last)
	return corev1.PodStatus{}
}
