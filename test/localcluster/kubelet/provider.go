package kubelet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Waiting reasons the provider reports besides the kubelet's usual ones.
const (
	// ReasonCommandNotMapped: the container's command[0] is not in
	// Config.Commands (or the container has no command).
	ReasonCommandNotMapped = "CommandNotMapped"
	// ReasonInitContainersNotSupported: the pod has init containers.
	ReasonInitContainersNotSupported = "InitContainersNotSupported"
	// ReasonServiceAccountTokenError: the TokenRequest for the pod failed.
	ReasonServiceAccountTokenError = "ServiceAccountTokenError"
)

// Provider runs pods as local processes. It implements the node library's
// PodLifecycleHandler and PodNotifier.
type Provider struct {
	cfg    Config
	client kubernetes.Interface
	get    ObjectGetter
	ips    *IPAllocator
	log    *slog.Logger
	probes *http.Client

	// ctx is the provider's lifetime: cancelling it stops every pod.
	ctx context.Context
	wg  sync.WaitGroup

	mu     sync.Mutex
	pods   map[string]*podRun
	notify func(*corev1.Pod)
	// sendMu serialises status notifications.
	sendMu sync.Mutex
}

// podRun is one pod the provider runs. Its mutable fields are guarded by
// Provider.mu.
type podRun struct {
	pod        *corev1.Pod
	ip         netip.Addr
	dir        string
	startTime  metav1.Time
	cancel     context.CancelFunc
	containers []*containerRun
	// terminating is set by DeletePod; grace is the termination grace then.
	terminating bool
	grace       time.Duration
	finished    bool
	conditions  map[corev1.PodConditionType]corev1.PodCondition
}

// containerRun is one container of a pod; status is guarded by Provider.mu.
type containerRun struct {
	spec   corev1.Container
	status corev1.ContainerStatus
}

func newProvider(ctx context.Context, client kubernetes.Interface, cfg Config) (*Provider, error) {
	node, err := netip.ParseAddr(cfg.NodeIP)
	if err != nil {
		return nil, fmt.Errorf("node IP %q: %w", cfg.NodeIP, err)
	}
	ips, err := NewIPAllocator(cfg.PodCIDR, node)
	if err != nil {
		return nil, err
	}
	return &Provider{
		cfg:    cfg,
		client: client,
		get:    clientGetter{client},
		ips:    ips,
		log:    cfg.Log,
		probes: newHTTPProbeClient(),
		ctx:    ctx,
		pods:   map[string]*podRun{},
	}, nil
}

func podKey(namespace, name string) string { return namespace + "/" + name }

// CreatePod allocates the pod's address and starts its containers.
func (p *Provider) CreatePod(_ context.Context, pod *corev1.Pod) error {
	key := podKey(pod.Namespace, pod.Name)
	p.mu.Lock()
	_, exists := p.pods[key]
	p.mu.Unlock()
	if exists {
		return nil
	}
	ip, err := p.ips.Allocate(key, func(a netip.Addr) bool { return portsFree(a, pod) })
	if err != nil {
		return err
	}
	dir := filepath.Join(p.cfg.StateDir, "pods", pod.Namespace+"_"+pod.Name+"_"+string(pod.UID))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.ips.Release(ip)
		return fmt.Errorf("pod directory: %w", err)
	}
	ctx, cancel := context.WithCancel(p.ctx)
	pr := &podRun{
		pod:        pod.DeepCopy(),
		ip:         ip,
		dir:        dir,
		startTime:  metav1.Now(),
		cancel:     cancel,
		conditions: map[corev1.PodConditionType]corev1.PodCondition{},
	}
	for _, c := range pod.Spec.Containers {
		pr.containers = append(pr.containers, &containerRun{spec: c, status: corev1.ContainerStatus{
			Name:  c.Name,
			Image: c.Image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}},
		}})
	}
	p.mu.Lock()
	p.pods[key] = pr
	p.mu.Unlock()
	p.log.Info("pod created", "pod", key, "ip", ip)
	p.wg.Add(1)
	go p.runPod(ctx, pr)
	p.notifyPod(pr)
	return nil
}

// portsFree reports whether every TCP port the pod declares can be bound on
// addr (another program, e.g. a second local cluster, may be there).
func portsFree(addr netip.Addr, pod *corev1.Pod) bool {
	for _, c := range pod.Spec.Containers {
		for _, port := range c.Ports {
			if port.Protocol != "" && port.Protocol != corev1.ProtocolTCP {
				continue
			}
			l, err := net.Listen("tcp", net.JoinHostPort(addr.String(), strconv.Itoa(int(port.ContainerPort))))
			if err != nil {
				return false
			}
			_ = l.Close()
		}
	}
	return true
}

// UpdatePod records the pod's new metadata. Nothing else of a running pod
// can change without a new pod (images are not used).
func (p *Provider) UpdatePod(_ context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, ok := p.pods[podKey(pod.Namespace, pod.Name)]
	if !ok {
		return errdefs.NotFoundf("pod %s/%s is not running here", pod.Namespace, pod.Name)
	}
	pr.pod.Labels, pr.pod.Annotations = pod.Labels, pod.Annotations
	pr.pod.Spec.ActiveDeadlineSeconds = pod.Spec.ActiveDeadlineSeconds
	for i := range pr.pod.Spec.Containers {
		if i < len(pod.Spec.Containers) {
			pr.pod.Spec.Containers[i].Image = pod.Spec.Containers[i].Image
		}
	}
	return nil
}

// DeletePod stops the pod's processes: SIGTERM, then SIGKILL after the
// grace period. It returns at once; the terminal status is notified when
// the processes are gone.
func (p *Provider) DeletePod(_ context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, ok := p.pods[podKey(pod.Namespace, pod.Name)]
	if !ok || pr.pod.UID != pod.UID {
		return errdefs.NotFoundf("pod %s/%s is not running here", pod.Namespace, pod.Name)
	}
	if !pr.terminating {
		pr.terminating = true
		pr.grace = gracePeriod(pod)
		pr.pod.DeletionTimestamp = pod.DeletionTimestamp
		pr.pod.DeletionGracePeriodSeconds = pod.DeletionGracePeriodSeconds
		p.log.Info("pod deleted", "pod", podKey(pod.Namespace, pod.Name), "grace", pr.grace)
		pr.cancel()
	}
	return nil
}

func gracePeriod(pod *corev1.Pod) time.Duration {
	switch {
	case pod.DeletionGracePeriodSeconds != nil:
		return time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return 30 * time.Second
}

// GetPod returns the pod with its current status.
func (p *Provider) GetPod(_ context.Context, namespace, name string) (*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, ok := p.pods[podKey(namespace, name)]
	if !ok {
		return nil, errdefs.NotFoundf("pod %s/%s is not running here", namespace, name)
	}
	return p.podLocked(pr), nil
}

// GetPodStatus returns the pod's current status.
func (p *Provider) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := p.GetPod(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &pod.Status, nil
}

// GetPods returns every pod the provider runs.
func (p *Provider) GetPods(context.Context) ([]*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*corev1.Pod, 0, len(p.pods))
	for _, pr := range p.pods {
		out = append(out, p.podLocked(pr))
	}
	return out, nil
}

// NotifyPods registers the callback that receives status changes.
func (p *Provider) NotifyPods(_ context.Context, f func(*corev1.Pod)) {
	p.mu.Lock()
	p.notify = f
	p.mu.Unlock()
}

// notifyPod sends the pod's current status to the node library. Sends are
// serialised and each builds the status when it goes out, so an older
// status never follows a newer one.
func (p *Provider) notifyPod(pr *podRun) {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	p.mu.Lock()
	pod, f := p.podLocked(pr), p.notify
	p.mu.Unlock()
	if f != nil && p.ctx.Err() == nil {
		f(pod)
	}
}

// podLocked returns a copy of the pod with its status.
func (p *Provider) podLocked(pr *podRun) *corev1.Pod {
	pod := pr.pod.DeepCopy()
	pod.Status = p.statusLocked(pr)
	return pod
}

// statusLocked builds the pod's status from its containers'.
func (p *Provider) statusLocked(pr *podRun) corev1.PodStatus {
	st := corev1.PodStatus{
		HostIP:    p.cfg.NodeIP,
		HostIPs:   []corev1.HostIP{{IP: p.cfg.NodeIP}},
		PodIP:     ReportedIP(pr.ip).String(),
		PodIPs:    []corev1.PodIP{{IP: ReportedIP(pr.ip).String()}},
		StartTime: &pr.startTime,
		QOSClass:  pr.pod.Status.QOSClass,
	}
	allReady := len(pr.containers) > 0
	for _, c := range pr.containers {
		st.ContainerStatuses = append(st.ContainerStatuses, *c.status.DeepCopy())
		allReady = allReady && c.status.Ready
	}
	st.Phase = podPhase(pr.pod.Spec.RestartPolicy, st.ContainerStatuses, pr.finished)
	running := st.Phase == corev1.PodRunning || st.Phase == corev1.PodPending
	cond := func(t corev1.PodConditionType, ok bool) {
		s := corev1.ConditionFalse
		if ok {
			s = corev1.ConditionTrue
		}
		c, seen := pr.conditions[t]
		if !seen || c.Status != s {
			c = corev1.PodCondition{Type: t, Status: s, LastTransitionTime: metav1.Now()}
			pr.conditions[t] = c
		}
		st.Conditions = append(st.Conditions, c)
	}
	cond(corev1.PodReadyToStartContainers, running)
	cond(corev1.PodInitialized, true)
	cond(corev1.ContainersReady, allReady && running)
	cond(corev1.PodReady, allReady && running && !pr.terminating)
	cond(corev1.PodScheduled, true)
	return st
}

// podPhase follows the kubelet: a pod whose containers all ended for good
// (or that was stopped: finished) Succeeded when every exit code was 0 and
// Failed otherwise; a pod with a container that never started is Pending;
// anything else is Running.
func podPhase(policy corev1.RestartPolicy, cs []corev1.ContainerStatus, finished bool) corev1.PodPhase {
	ended, failed, pending := 0, false, false
	for _, s := range cs {
		switch {
		case s.State.Terminated != nil:
			if s.State.Terminated.ExitCode != 0 {
				failed = true
			}
			if finished || !restarts(policy, s.State.Terminated.ExitCode) {
				ended++
			}
		case s.State.Waiting != nil && s.LastTerminationState.Terminated == nil:
			pending = true
		}
	}
	switch {
	case len(cs) > 0 && ended == len(cs) && failed:
		return corev1.PodFailed
	case len(cs) > 0 && ended == len(cs):
		return corev1.PodSucceeded
	case pending:
		return corev1.PodPending
	}
	return corev1.PodRunning
}

// restarts reports whether a container that exited with code is restarted.
func restarts(policy corev1.RestartPolicy, code int32) bool {
	switch policy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return code != 0
	}
	return true
}

// setContainer changes a container's status and notifies it.
func (p *Provider) setContainer(pr *podRun, cr *containerRun, f func(*corev1.ContainerStatus)) {
	p.mu.Lock()
	f(&cr.status)
	p.mu.Unlock()
	p.notifyPod(pr)
}

// runPod runs the pod's containers until they end or the pod stops, then
// reports its terminal status and forgets it if it was deleted.
func (p *Provider) runPod(ctx context.Context, pr *podRun) {
	defer p.wg.Done()
	key := podKey(pr.pod.Namespace, pr.pod.Name)
	if len(pr.pod.Spec.InitContainers) > 0 {
		for _, cr := range pr.containers {
			p.setContainer(pr, cr, func(s *corev1.ContainerStatus) {
				s.State = waiting(ReasonInitContainersNotSupported, "the process kubelet does not run init containers")
			})
		}
		<-ctx.Done()
	} else if kubeconfig, ok := p.serviceAccountKubeconfig(ctx, pr); ok {
		var wg sync.WaitGroup
		for _, cr := range pr.containers {
			wg.Go(func() { p.runContainer(ctx, pr, cr, kubeconfig) })
		}
		wg.Wait()
	}
	p.mu.Lock()
	pr.finished = true
	for _, cr := range pr.containers {
		if cr.status.State.Terminated == nil {
			cr.status.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 137, Reason: "ContainerStatusUnknown", Message: "the container never ran", FinishedAt: metav1.Now(),
			}}
		}
		cr.status.Ready, cr.status.Started = false, ptr(false)
	}
	if pr.terminating {
		delete(p.pods, key)
	}
	p.mu.Unlock()
	p.ips.Release(pr.ip)
	p.log.Info("pod stopped", "pod", key)
	p.notifyPod(pr)
	if pr.terminating && p.ctx.Err() == nil {
		// As the kubelet does once a deleted pod's containers are gone: remove
		// it now rather than when its grace period ends.
		err := p.client.CoreV1().Pods(pr.pod.Namespace).Delete(p.ctx, pr.pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr(int64(0)),
			Preconditions:      metav1.NewUIDPreconditions(string(pr.pod.UID)),
		})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			p.log.Warn("remove deleted pod", "pod", key, "err", err)
		}
	}
}

func waiting(reason, msg string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
}

func ptr[T any](v T) *T { return &v }

// serviceAccountKubeconfig writes the pod's kubeconfig when it mounts a
// projected ServiceAccount token, retrying the TokenRequest until it
// succeeds or the pod stops (ok false). It returns "" for a pod without
// a token.
func (p *Provider) serviceAccountKubeconfig(ctx context.Context, pr *podRun) (path string, ok bool) {
	proj := tokenProjection(pr.pod)
	if proj == nil {
		return "", true
	}
	tokenFile := filepath.Join(pr.dir, "token")
	path = filepath.Join(pr.dir, "kubeconfig")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: p.cfg.APIServer, CertificateAuthority: p.cfg.CAFile}
	cfg.AuthInfos["serviceaccount"] = &clientcmdapi.AuthInfo{TokenFile: tokenFile}
	cfg.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "serviceaccount", Namespace: pr.pod.Namespace}
	cfg.CurrentContext = "local"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		p.log.Error("write pod kubeconfig", "pod", pr.pod.Name, "err", err)
		return "", false
	}
	backoff := p.cfg.RestartBackoff
	var renew time.Duration
	for {
		var err error
		renew, err = p.writeToken(ctx, pr, proj, tokenFile)
		if err == nil {
			break
		}
		for _, cr := range pr.containers {
			p.setContainer(pr, cr, func(s *corev1.ContainerStatus) {
				s.State = waiting(ReasonServiceAccountTokenError, err.Error())
			})
		}
		if !sleepCtx(ctx, backoff) {
			return "", false
		}
		backoff = min(2*backoff, p.cfg.MaxRestartBackoff)
	}
	p.wg.Go(func() {
		for sleepCtx(ctx, renew) {
			next, err := p.writeToken(ctx, pr, proj, tokenFile)
			if err != nil {
				p.log.Warn("renew service account token", "pod", pr.pod.Name, "err", err)
				next = 10 * time.Second
			}
			renew = next
		}
	})
	return path, true
}

// tokenProjection finds the projected ServiceAccount token of the pod.
func tokenProjection(pod *corev1.Pod) *corev1.ServiceAccountTokenProjection {
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				return s.ServiceAccountToken
			}
		}
	}
	return nil
}

// writeToken requests a token bound to the pod and writes it atomically;
// it returns when to renew it (at 80% of its lifetime).
func (p *Provider) writeToken(ctx context.Context, pr *podRun, proj *corev1.ServiceAccountTokenProjection, file string) (time.Duration, error) {
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: proj.ExpirationSeconds,
		BoundObjectRef: &authenticationv1.BoundObjectReference{
			Kind: "Pod", APIVersion: "v1", Name: pr.pod.Name, UID: pr.pod.UID,
		},
	}}
	if proj.Audience != "" {
		tr.Spec.Audiences = []string{proj.Audience}
	}
	sa := pr.pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	res, err := p.client.CoreV1().ServiceAccounts(pr.pod.Namespace).CreateToken(ctx, sa, tr, metav1.CreateOptions{})
	if err != nil {
		return 0, fmt.Errorf("token request for service account %s/%s: %w", pr.pod.Namespace, sa, err)
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(res.Status.Token), 0o600); err != nil {
		return 0, fmt.Errorf("write token: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return 0, fmt.Errorf("write token: %w", err)
	}
	return time.Until(res.Status.ExpirationTimestamp.Time) * 4 / 5, nil
}

// runContainer runs one container, restarting it per the pod's
// restartPolicy with a doubling back-off, until it ends for good or the pod
// stops.
func (p *Provider) runContainer(ctx context.Context, pr *podRun, cr *containerRun, kubeconfig string) {
	backoff := p.cfg.RestartBackoff
	for restart := false; ; {
		r := p.runOnce(ctx, pr, cr, kubeconfig, restart)
		restart = restart || r.ran
		if ctx.Err() != nil || r.permanent {
			if r.permanent {
				<-ctx.Done()
			}
			return
		}
		if r.ran && !restarts(pr.pod.Spec.RestartPolicy, r.exitCode) {
			return
		}
		if r.ranFor > 10*p.cfg.MaxRestartBackoff {
			backoff = p.cfg.RestartBackoff
		}
		if r.ran {
			p.setContainer(pr, cr, func(s *corev1.ContainerStatus) {
				s.LastTerminationState = s.State
				s.State = waiting("CrashLoopBackOff", fmt.Sprintf("back-off %s restarting failed container %s", backoff, cr.spec.Name))
			})
		}
		if !sleepCtx(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, p.cfg.MaxRestartBackoff)
	}
}

// runResult is how one attempt to run a container ended.
type runResult struct {
	// ran is true when a process started; exitCode and ranFor describe it.
	ran      bool
	exitCode int32
	ranFor   time.Duration
	// permanent is true when retrying cannot help (unmapped command).
	permanent bool
}

// runOnce starts the container's process, probes it, and waits for it to
// exit, be killed by a failed probe, or be stopped with the pod.
// restart is true when an earlier process of the container ran.
func (p *Provider) runOnce(ctx context.Context, pr *podRun, cr *containerRun, kubeconfig string, restart bool) runResult {
	c := &cr.spec
	bin, ok := "", false
	if len(c.Command) > 0 {
		bin, ok = p.cfg.Commands[c.Command[0]]
	}
	if !ok {
		msg := "the container has no command; the process kubelet cannot run an image's entrypoint"
		if len(c.Command) > 0 {
			msg = fmt.Sprintf("command %q is not mapped to a local executable (localcluster Commands)", c.Command[0])
		}
		p.setContainer(pr, cr, func(s *corev1.ContainerStatus) { s.State = waiting(ReasonCommandNotMapped, msg) })
		return runResult{permanent: true}
	}
	env, err := ResolveEnv(pr.pod, c, PodAddresses{PodIP: ReportedIP(pr.ip).String(), HostIP: p.cfg.NodeIP}, p.get)
	if err != nil {
		p.setContainer(pr, cr, func(s *corev1.ContainerStatus) { s.State = waiting("CreateContainerConfigError", err.Error()) })
		return runResult{}
	}
	env = append(env, "HOSTNAME="+pr.pod.Name)
	if kubeconfig != "" {
		env = append(env, "KUBECONFIG="+kubeconfig)
	}
	if p.cfg.BindHostEnv != "" {
		env = append(env, p.cfg.BindHostEnv+"="+pr.ip.String())
	}
	lookup := envLookup(env)
	var args []string
	for _, a := range append(c.Command[1:], c.Args...) {
		args = append(args, Expand(a, lookup))
	}
	logFile, err := os.OpenFile(filepath.Join(pr.dir, c.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.setContainer(pr, cr, func(s *corev1.ContainerStatus) { s.State = waiting("CreateContainerError", err.Error()) })
		return runResult{}
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "--- %s process kubelet: starting %s %s\n", time.Now().Format(time.RFC3339Nano), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = env, pr.dir, logFile, logFile
	cmd.SysProcAttr = ProcessAttributes()
	started := time.Now()
	if err := cmd.Start(); err != nil {
		p.setContainer(pr, cr, func(s *corev1.ContainerStatus) {
			s.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 128, Reason: "StartError", Message: err.Error(), FinishedAt: metav1.Now(),
			}}
		})
		return runResult{ran: true, exitCode: 128}
	}
	pid := cmd.Process.Pid
	containerID := "proc://" + strconv.Itoa(pid)
	p.setContainer(pr, cr, func(s *corev1.ContainerStatus) {
		if restart {
			s.RestartCount++
		}
		s.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(started)}}
		s.ContainerID, s.ImageID = containerID, bin
		s.Started = ptr(c.StartupProbe == nil)
		s.Ready = c.StartupProbe == nil && c.ReadinessProbe == nil
	})
	p.log.Info("container started", "pod", pr.pod.Name, "container", c.Name, "pid", pid)

	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	probeCtx, stopProbes := context.WithCancel(ctx)
	kill := make(chan string, 1)
	pb := &prober{podIP: pr.ip.String(), ports: containerPorts(c), client: p.probes,
		exec: func(ctx context.Context, argv []string) error { return p.execProbe(ctx, argv, env, pr.dir) }}
	var probing sync.WaitGroup
	probing.Go(func() { p.probeContainer(probeCtx, pr, cr, pb, started, kill) })

	var killReason string
	select {
	case <-exited:
	case <-ctx.Done():
		p.mu.Lock()
		grace := pr.grace
		if !pr.terminating {
			grace = min(gracePeriod(pr.pod), p.cfg.ShutdownGrace)
		}
		p.mu.Unlock()
		terminate(pid, grace, exited)
	case killReason = <-kill:
		p.log.Info("killing container", "pod", pr.pod.Name, "container", c.Name, "reason", killReason)
		terminate(pid, gracePeriod(pr.pod), exited)
	}
	stopProbes()
	probing.Wait()
	// Anything left in the process group goes with its leader.
	_ = syscall.Kill(-pid, syscall.SIGKILL)

	code := int32(0)
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int32(ws.Signal())
		} else {
			code = int32(ee.ExitCode())
		}
	}
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	fmt.Fprintf(logFile, "--- %s process kubelet: exited with code %d %s\n", time.Now().Format(time.RFC3339Nano), code, killReason)
	p.setContainer(pr, cr, func(s *corev1.ContainerStatus) {
		s.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: code, Reason: reason, Message: killReason, ContainerID: containerID,
			StartedAt: metav1.NewTime(started), FinishedAt: metav1.Now(),
		}}
		s.Ready, s.Started = false, ptr(false)
	})
	p.log.Info("container exited", "pod", pr.pod.Name, "container", c.Name, "pid", pid, "code", code)
	return runResult{ran: true, exitCode: code, ranFor: time.Since(started)}
}

// envLookup indexes NAME=value pairs for $(VAR) expansion.
func envLookup(env []string) func(string) (string, bool) {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// terminate sends SIGTERM to the process group of pid, and SIGKILL after
// grace if it has not exited; it returns once the process has exited.
func terminate(pid int, grace time.Duration, exited <-chan struct{}) {
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-exited:
	case <-t.C:
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
}

// execProbe runs an exec probe's command, mapped like a container command,
// with the container's environment.
func (p *Provider) execProbe(ctx context.Context, argv []string, env []string, dir string) error {
	if len(argv) == 0 {
		return errors.New("exec probe without a command")
	}
	bin, ok := p.cfg.Commands[argv[0]]
	if !ok {
		return fmt.Errorf("exec probe command %q is not mapped to a local executable", argv[0])
	}
	cmd := exec.CommandContext(ctx, bin, argv[1:]...)
	cmd.Env, cmd.Dir = env, dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// probeContainer runs the startup probe until it succeeds, then the
// readiness and liveness probes until ctx ends. A failed startup or
// liveness probe sends its reason on kill.
func (p *Provider) probeContainer(ctx context.Context, pr *podRun, cr *containerRun, pb *prober, started time.Time, kill chan<- string) {
	c := &cr.spec
	fail := func(what string, err error) {
		select {
		case kill <- fmt.Sprintf("%s probe failed: %v", what, err):
		default:
		}
	}
	if sp := c.StartupProbe; sp != nil {
		t := newProbeTracker(sp, false)
		if !sleepUntil(ctx, started.Add(seconds(sp.InitialDelaySeconds))) {
			return
		}
		for !t.ok {
			err := pb.run(ctx, sp)
			if ctx.Err() != nil {
				return
			}
			t.observe(err == nil)
			if !t.ok && t.failures >= t.failureThreshold {
				fail("Startup", err)
				return
			}
			if !t.ok && !sleepCtx(ctx, period(sp)) {
				return
			}
		}
		p.setContainer(pr, cr, func(s *corev1.ContainerStatus) {
			s.Started = ptr(true)
			s.Ready = c.ReadinessProbe == nil
		})
	}
	var wg sync.WaitGroup
	if rp := c.ReadinessProbe; rp != nil {
		wg.Go(func() {
			t := newProbeTracker(rp, false)
			p.loopProbe(ctx, pb, rp, started, func(err error) bool {
				if t.observe(err == nil) {
					ok := t.ok
					p.setContainer(pr, cr, func(s *corev1.ContainerStatus) { s.Ready = ok })
				}
				return true
			})
		})
	}
	if lp := c.LivenessProbe; lp != nil {
		wg.Go(func() {
			t := newProbeTracker(lp, true)
			p.loopProbe(ctx, pb, lp, started, func(err error) bool {
				if t.observe(err == nil) && !t.ok {
					fail("Liveness", err)
					return false
				}
				return true
			})
		})
	}
	wg.Wait()
}

// loopProbe runs probe pr every period from initialDelaySeconds after
// started, passing each result to observe until it returns false or ctx
// ends.
func (p *Provider) loopProbe(ctx context.Context, pb *prober, probe *corev1.Probe, started time.Time, observe func(error) bool) {
	if !sleepUntil(ctx, started.Add(seconds(probe.InitialDelaySeconds))) {
		return
	}
	for {
		err := pb.run(ctx, probe)
		if ctx.Err() != nil || !observe(err) || !sleepCtx(ctx, period(probe)) {
			return
		}
	}
}

func seconds(s int32) time.Duration { return time.Duration(s) * time.Second }

func period(p *corev1.Probe) time.Duration {
	if p.PeriodSeconds <= 0 {
		return 10 * time.Second
	}
	return seconds(p.PeriodSeconds)
}

// sleepCtx sleeps d unless ctx ends first; it reports whether it slept.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	if d := time.Until(t); d > 0 {
		return sleepCtx(ctx, d)
	}
	return ctx.Err() == nil
}

// clientGetter reads Secrets and ConfigMaps straight from the API server,
// so a container started right after its Secret was created sees it.
type clientGetter struct{ c kubernetes.Interface }

func (g clientGetter) Secret(ns, name string) (*corev1.Secret, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return g.c.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
}

func (g clientGetter) ConfigMap(ns, name string) (*corev1.ConfigMap, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return g.c.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
}
