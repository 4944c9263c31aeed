package kubelet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"time"

	vklog "github.com/virtual-kubelet/virtual-kubelet/log"
	"github.com/virtual-kubelet/virtual-kubelet/node"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// Config configures the process kubelet.
type Config struct {
	// NodeName names the Node (default "local").
	NodeName string
	// NodeIP is the Node's InternalIP and every pod's hostIP (default
	// 127.0.0.1).
	NodeIP string
	// PodCIDR is where pods' loopback addresses come from; it must lie in
	// 127.0.0.0/8 outside 127.0.0.0/16 (default 127.100.0.0/24).
	PodCIDR netip.Prefix
	// Commands maps a container's command[0] to a local executable, e.g.
	// "/strata" to "/abs/path/bin/strata".
	Commands map[string]string
	// BindHostEnv, when set, names the variable through which each process
	// gets its pod address as the address to listen on.
	BindHostEnv string
	// StateDir holds pod directories (kubeconfig, token, container logs).
	StateDir string
	// APIServer and CAFile are the API server URL and CA certificate file
	// written into pods' kubeconfigs.
	APIServer, CAFile string
	// RestartBackoff is the first restart delay of a crashed container,
	// doubled up to MaxRestartBackoff (defaults 1 s and 30 s).
	RestartBackoff, MaxRestartBackoff time.Duration
	// ShutdownGrace bounds each pod's grace period when the kubelet itself
	// stops (default 5 s).
	ShutdownGrace time.Duration
	// Log receives the kubelet's and the node library's logs.
	Log *slog.Logger
}

func (c *Config) defaults() {
	if c.NodeName == "" {
		c.NodeName = "local"
	}
	if c.NodeIP == "" {
		c.NodeIP = "127.0.0.1"
	}
	if !c.PodCIDR.IsValid() {
		c.PodCIDR = netip.MustParsePrefix("127.100.0.0/24")
	}
	if c.RestartBackoff <= 0 {
		c.RestartBackoff = time.Second
	}
	if c.MaxRestartBackoff < c.RestartBackoff {
		c.MaxRestartBackoff = max(30*time.Second, c.RestartBackoff)
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 5 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Kubelet is a running process kubelet.
type Kubelet struct {
	provider    *Provider
	stopPods    context.CancelFunc
	stopControl context.CancelFunc
	broadcaster record.EventBroadcaster
	// done is closed when the controllers have stopped; nil when they never
	// started.
	done chan struct{}
}

// Start registers the Node and starts running the pods bound to it. It
// returns once the Node is registered and the pod controller is ready.
func Start(ctx context.Context, client kubernetes.Interface, cfg Config) (*Kubelet, error) {
	cfg.defaults()
	podCtx, stopPods := context.WithCancel(context.WithoutCancel(ctx))
	provider, err := newProvider(podCtx, client, cfg)
	if err != nil {
		stopPods()
		return nil, err
	}
	ctlCtx, stopControl := context.WithCancel(context.WithoutCancel(ctx))
	ctlCtx = vklog.WithLogger(ctlCtx, slogLogger{cfg.Log.With("component", "virtual-kubelet")})
	k := &Kubelet{provider: provider, stopPods: stopPods, stopControl: stopControl}

	nc, err := node.NewNodeController(node.NewNaiveNodeProvider(), nodeObject(cfg), client.CoreV1().Nodes(),
		node.WithNodeEnableLeaseV1(client.CoordinationV1().Leases(corev1.NamespaceNodeLease), 40))
	if err != nil {
		k.Stop()
		return nil, fmt.Errorf("node controller: %w", err)
	}
	podInformers := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", cfg.NodeName).String()
		}))
	// The pod controller insists on these informers for its downward-API
	// resolution, which the provider does itself (SkipDownwardAPIResolution):
	// they are never started, so they cost nothing.
	unused := informers.NewSharedInformerFactory(client, 0)
	k.broadcaster = record.NewBroadcaster()
	k.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	pc, err := node.NewPodController(node.PodControllerConfig{
		PodClient:                 client.CoreV1(),
		PodInformer:               podInformers.Core().V1().Pods(),
		EventRecorder:             k.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: cfg.NodeName}),
		Provider:                  provider,
		ConfigMapInformer:         unused.Core().V1().ConfigMaps(),
		SecretInformer:            unused.Core().V1().Secrets(),
		ServiceInformer:           unused.Core().V1().Services(),
		SkipDownwardAPIResolution: true,
	})
	if err != nil {
		k.Stop()
		return nil, fmt.Errorf("pod controller: %w", err)
	}
	podInformers.Start(ctlCtx.Done())

	k.done = make(chan struct{})
	nodeDone, podDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(nodeDone); _ = nc.Run(ctlCtx) }()
	go func() { defer close(podDone); _ = pc.Run(ctlCtx, 4) }()
	go func() {
		<-nodeDone
		<-podDone
		podInformers.Shutdown()
		close(k.done)
	}()
	wait := func(what string, ready <-chan struct{}, done <-chan struct{}, errf func() error) error {
		select {
		case <-ready:
			return nil
		case <-done:
			return fmt.Errorf("%s stopped: %w", what, errf())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Minute):
			return fmt.Errorf("%s not ready after a minute", what)
		}
	}
	if err := errors.Join(
		wait("node controller", nc.Ready(), nodeDone, nc.Err),
		wait("pod controller", pc.Ready(), podDone, pc.Err),
	); err != nil {
		k.Stop()
		return nil, err
	}
	cfg.Log.Info("process kubelet ready", "node", cfg.NodeName, "podCIDR", cfg.PodCIDR)
	return k, nil
}

// Stop stops every pod (SIGTERM, then SIGKILL after at most
// Config.ShutdownGrace), then the node and pod controllers.
func (k *Kubelet) Stop() {
	k.stopPods()
	k.provider.wg.Wait()
	k.stopControl()
	if k.done != nil {
		<-k.done
	}
	if k.broadcaster != nil {
		k.broadcaster.Shutdown()
	}
}

// nodeObject is the Node the kubelet registers: Ready, with room for many
// pods, reachable at NodeIP.
func nodeObject(cfg Config) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("16"),
		corev1.ResourceMemory: resource.MustParse("64Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	now := metav1.Now()
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: cfg.NodeName,
			Labels: map[string]string{
				corev1.LabelHostname:   cfg.NodeName,
				corev1.LabelOSStable:   runtime.GOOS,
				corev1.LabelArchStable: runtime.GOARCH,
				"type":                 "process-kubelet",
			},
		},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			Conditions: []corev1.NodeCondition{
				cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady"),
				cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory"),
				cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure"),
				cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID"),
				cond(corev1.NodeNetworkUnavailable, corev1.ConditionFalse, "RouteCreated"),
			},
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: cfg.NodeIP},
				{Type: corev1.NodeHostName, Address: cfg.NodeName},
			},
			NodeInfo: corev1.NodeSystemInfo{
				OperatingSystem:         runtime.GOOS,
				Architecture:            runtime.GOARCH,
				KubeletVersion:          "strata-process-kubelet",
				ContainerRuntimeVersion: "process://local",
			},
		},
	}
}

// slogLogger adapts slog to the node library's logger interface.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Debug(a ...any)                   { s.l.Debug(fmt.Sprint(a...)) }
func (s slogLogger) Debugf(f string, a ...any)        { s.l.Debug(fmt.Sprintf(f, a...)) }
func (s slogLogger) Info(a ...any)                    { s.l.Info(fmt.Sprint(a...)) }
func (s slogLogger) Infof(f string, a ...any)         { s.l.Info(fmt.Sprintf(f, a...)) }
func (s slogLogger) Warn(a ...any)                    { s.l.Warn(fmt.Sprint(a...)) }
func (s slogLogger) Warnf(f string, a ...any)         { s.l.Warn(fmt.Sprintf(f, a...)) }
func (s slogLogger) Error(a ...any)                   { s.l.Error(fmt.Sprint(a...)) }
func (s slogLogger) Errorf(f string, a ...any)        { s.l.Error(fmt.Sprintf(f, a...)) }
func (s slogLogger) Fatal(a ...any)                   { s.l.Error(fmt.Sprint(a...)) }
func (s slogLogger) Fatalf(f string, a ...any)        { s.l.Error(fmt.Sprintf(f, a...)) }
func (s slogLogger) WithError(err error) vklog.Logger { return slogLogger{s.l.With("err", err)} }
func (s slogLogger) WithField(k string, v any) vklog.Logger {
	return slogLogger{s.l.With(k, v)}
}
func (s slogLogger) WithFields(f vklog.Fields) vklog.Logger {
	l := s.l
	for k, v := range f {
		l = l.With(k, v)
	}
	return slogLogger{l}
}
