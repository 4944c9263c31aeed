// Package localcluster runs a local Kubernetes cluster from source-built
// binaries, without containers: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler as child processes, the process
// kubelet of package kubelet in-process (pods run as local processes on
// loopback addresses 127.0.x.y), and the Strata operator as the real
// `strata operator` process. Everything listens on 127.0.0.1 on free ports;
// certificates, kubeconfigs, data and one log file per component live in
// the state directory (logs/COMPONENT.log, pods/…/CONTAINER.log).
//
// The Deployment, ReplicaSet, EndpointSlice, ServiceAccount and garbage
// collector controllers are the real ones, so owned objects, endpoints and
// tokens behave as in any cluster. Pods reach the API server at
// https://127.0.0.1:PORT with a ServiceAccount token from the TokenRequest
// API. The one deviation is that a pod's processes share the host network:
// each pod gets its own loopback address, reported as status.podIP and
// passed to the process in HASURA_GRAPHQL_SERVER_HOST (Options.BindHostEnv)
// so the engine listens there; and as the API server refuses loopback
// addresses in EndpointSlices, status.podIP says 10.B.C.D for a pod
// listening on 127.B.C.D. Services get cluster IPs that route nowhere;
// reach a Service through Cluster.ServiceEndpoints, which translates.
package localcluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"

	"github.com/stratagql/strata/test/localcluster/kubelet"
)

// serviceIP is the first address of the Service range, the kubernetes
// Service's cluster IP, which the API server's certificate names.
const (
	serviceCIDR = "10.0.0.0/24"
	serviceIP   = "10.0.0.1"
)

// Options configure a local cluster.
type Options struct {
	// StateDir holds everything the cluster writes; it is created, and
	// anything a previous cluster left there is replaced.
	StateDir string
	// BinDir holds etcd, kube-apiserver, kube-controller-manager,
	// kube-scheduler and kubectl (make cluster-binaries builds them).
	BinDir string
	// StrataBin is bin/strata: the operator, and what the pods' "/strata"
	// command runs. Without it no operator runs.
	StrataBin string
	// CRDDir, when set, is applied with kubectl before the controller
	// manager and the operator start (the operator needs its CRDs to start,
	// and the garbage collector sees resources created later only at its
	// next 30 s discovery).
	CRDDir string
	// PodCIDR is the loopback range pods listen on (default
	// 127.100.0.0/24; it must lie outside 127.0.0.0/16). Clusters running at
	// the same time need distinct ones (see PodCIDRFor).
	PodCIDR netip.Prefix
	// OperatorArgs are extra flags for `strata operator`.
	OperatorArgs []string
	// Log receives progress messages (default: discarded).
	Log *slog.Logger
}

// Cluster is a running local cluster.
type Cluster struct {
	// StateDir is the state directory.
	StateDir string
	// KubeconfigPath is an admin kubeconfig (client certificate in the
	// system:masters group).
	KubeconfigPath string
	// Config is the admin REST config.
	Config *rest.Config
	// Client is an admin clientset.
	Client kubernetes.Interface
	// Kubectl is the path of the kubectl binary.
	KubectlPath string

	opts     Options
	log      *slog.Logger
	logDir   string
	mu       sync.Mutex
	procs    []*component
	kubelet  *kubelet.Kubelet
	stopOnce sync.Once
	stopped  chan struct{}
}

// Start starts a cluster and returns once the API server is ready, the
// Node is registered, the controller manager has created the default
// ServiceAccount and, with StrataBin, the operator is ready. Cancelling ctx
// stops the cluster, as Stop does. The in-process kubelet's logs, and the
// process's klog output (client-go), go to logs/kubelet.log.
func Start(ctx context.Context, o Options) (_ *Cluster, err error) {
	if o.StateDir == "" || o.BinDir == "" {
		return nil, errors.New("localcluster: StateDir and BinDir are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"} {
		if _, err := os.Stat(filepath.Join(o.BinDir, b)); err != nil {
			return nil, fmt.Errorf("localcluster: %s not found in %s (make cluster-binaries builds it): %w", b, o.BinDir, err)
		}
	}
	state, err := filepath.Abs(o.StateDir)
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	for _, d := range []string{"etcd", "pki", "logs", "pods", "kcm", "scheduler"} {
		if err := os.RemoveAll(filepath.Join(state, d)); err != nil {
			return nil, fmt.Errorf("clean state directory: %w", err)
		}
	}
	c := &Cluster{
		StateDir:    state,
		KubectlPath: filepath.Join(o.BinDir, "kubectl"),
		opts:        o,
		log:         o.Log,
		logDir:      filepath.Join(state, "logs"),
		stopped:     make(chan struct{}),
	}
	if err := os.MkdirAll(c.logDir, 0o755); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			c.Stop()
		case <-c.stopped:
		}
	}()
	t0 := time.Now()
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	c.log.Info("local cluster ready", "took", time.Since(t0).Round(time.Millisecond), "kubeconfig", c.KubeconfigPath)
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	o := c.opts
	bin := func(name string) string { return filepath.Join(o.BinDir, name) }
	pk, err := newPKI(filepath.Join(c.StateDir, "pki"))
	if err != nil {
		return err
	}
	ports, err := freePorts(7)
	if err != nil {
		return err
	}
	etcdPort, peerPort, apiPort, kcmPort, schedPort, metricsPort, probePort := ports[0], ports[1], ports[2], ports[3], ports[4], ports[5], ports[6]

	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	etcd, err := c.startComponent("etcd", bin("etcd"), nil,
		"--name=default", "--data-dir="+filepath.Join(c.StateDir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL, "--unsafe-no-fsync=true", "--log-level=warn")
	if err != nil {
		return err
	}
	plain := &http.Client{Timeout: 2 * time.Second}
	if err := c.waitReady(ctx, etcd, func() error { return httpOK(plain, etcdURL+"/health") }); err != nil {
		return err
	}

	apiURL := "https://127.0.0.1:" + strconv.Itoa(apiPort)
	api, err := c.startComponent("kube-apiserver", bin("kube-apiserver"), nil,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+pk.dir, "--tls-cert-file="+pk.serverCert, "--tls-private-key-file="+pk.serverKey,
		"--client-ca-file="+pk.caCert,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+pk.saPub, "--service-account-signing-key-file="+pk.saKey,
		"--authorization-mode=Node,RBAC", "--service-cluster-ip-range="+serviceCIDR,
		"--allow-privileged=true", "--profiling=false",
		// The kubernetes Service would need a non-loopback address; pods reach
		// the API server at 127.0.0.1 directly.
		"--endpoint-reconciler-type=none")
	if err != nil {
		return err
	}
	admin, err := adminHTTPClient(pk)
	if err != nil {
		return err
	}
	if err := c.waitReady(ctx, api, func() error { return httpOK(admin, apiURL+"/readyz") }); err != nil {
		return err
	}
	if err := c.writeKubeconfig(pk, apiURL); err != nil {
		return err
	}

	// The CRDs go in before the controller manager starts, so that its
	// garbage collector watches them from the start (it discovers new
	// resources only every 30 s).
	if o.CRDDir != "" {
		if _, err := c.Kubectl(ctx, nil, "apply", "--server-side", "-f", o.CRDDir); err != nil {
			return fmt.Errorf("apply CRDs: %w", err)
		}
		if _, err := c.Kubectl(ctx, nil, "wait", "--for=condition=Established", "--timeout=60s", "-f", o.CRDDir); err != nil {
			return fmt.Errorf("wait for CRDs: %w", err)
		}
	}
	kc := c.KubeconfigPath
	secure := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // self-signed health endpoints
	}}
	kcm, err := c.startComponent("kube-controller-manager", bin("kube-controller-manager"), nil,
		"--kubeconfig="+kc, "--authentication-kubeconfig="+kc, "--authorization-kubeconfig="+kc,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(kcmPort), "--cert-dir="+filepath.Join(c.StateDir, "kcm"),
		"--service-account-private-key-file="+pk.saKey, "--root-ca-file="+pk.caCert,
		"--cluster-signing-cert-file="+pk.caCert, "--cluster-signing-key-file="+pk.caKey,
		"--use-service-account-credentials=true", "--leader-elect=false", "--controllers=*")
	if err != nil {
		return err
	}
	sched, err := c.startComponent("kube-scheduler", bin("kube-scheduler"), nil,
		"--kubeconfig="+kc, "--authentication-kubeconfig="+kc, "--authorization-kubeconfig="+kc,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(schedPort), "--cert-dir="+filepath.Join(c.StateDir, "scheduler"),
		"--leader-elect=false")
	if err != nil {
		return err
	}
	kl, err := c.startKubelet(ctx, pk, apiURL)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.kubelet = kl
	c.mu.Unlock()
	if err := c.waitReady(ctx, kcm, func() error {
		if err := httpOK(secure, "https://127.0.0.1:"+strconv.Itoa(kcmPort)+"/healthz"); err != nil {
			return err
		}
		// The ServiceAccount controller has run: pods can be admitted.
		_, err := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	}); err != nil {
		return err
	}
	if err := c.waitReady(ctx, sched, func() error {
		return httpOK(secure, "https://127.0.0.1:"+strconv.Itoa(schedPort)+"/healthz")
	}); err != nil {
		return err
	}

	if o.StrataBin == "" {
		return nil
	}
	args := append([]string{"operator",
		"--metrics-bind-address=127.0.0.1:" + strconv.Itoa(metricsPort),
		"--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(probePort),
		"--leader-elect=false", "--log-format=text"}, o.OperatorArgs...)
	op, err := c.startComponent("operator", o.StrataBin, []string{"KUBECONFIG=" + kc}, args...)
	if err != nil {
		return err
	}
	return c.waitReady(ctx, op, func() error {
		return httpOK(plain, "http://127.0.0.1:"+strconv.Itoa(probePort)+"/readyz")
	})
}

// startKubelet starts the process kubelet in this process.
func (c *Cluster) startKubelet(ctx context.Context, pk *pki, apiURL string) (*kubelet.Kubelet, error) {
	logFile, err := os.OpenFile(filepath.Join(c.logDir, "kubelet.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("kubelet log: %w", err)
	}
	commands := map[string]string{}
	if c.opts.StrataBin != "" {
		commands["/strata"] = c.opts.StrataBin
	}
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// client-go and the node library log through klog: to the same file.
	klog.SetLogger(logr.FromSlogHandler(log.Handler()))
	kl, err := kubelet.Start(ctx, c.Client, kubelet.Config{
		NodeName:    "local",
		PodCIDR:     c.opts.PodCIDR,
		Commands:    commands,
		BindHostEnv: "HASURA_GRAPHQL_SERVER_HOST",
		StateDir:    c.StateDir,
		APIServer:   apiURL,
		CAFile:      pk.caCert,
		Log:         log,
	})
	if err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("process kubelet: %w%s", err, tail(logFile.Name()))
	}
	return kl, nil
}

// writeKubeconfig writes the admin kubeconfig, with its certificates
// embedded so it can be copied, and builds the admin client.
func (c *Cluster) writeKubeconfig(pk *pki, apiURL string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: apiURL, CertificateAuthorityData: pk.caPEM}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: pk.adminPEM, ClientKeyData: pk.adminKeyPEM}
	cfg.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = "local"
	c.KubeconfigPath = filepath.Join(c.StateDir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, c.KubeconfigPath); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		return fmt.Errorf("admin REST config: %w", err)
	}
	rc.QPS, rc.Burst = 200, 400
	c.Config = rc
	c.Client, err = kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	return nil
}

func adminHTTPClient(pk *pki) (*http.Client, error) {
	cert, err := tls.X509KeyPair(pk.adminPEM, pk.adminKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("admin certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pk.caPEM)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
	}}, nil
}

// Kubectl runs the cluster's kubectl with the admin kubeconfig and returns
// its stdout; an error carries its stderr.
func (c *Cluster) Kubectl(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.KubectlPath, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.KubeconfigPath)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// ServiceEndpoints returns the ready endpoints of a Service's port (by
// name; "" for the first) from its EndpointSlices, as the loopback
// ADDRESS:PORT the pods listen on (see kubelet.LoopbackIP), sorted.
func (c *Cluster) ServiceEndpoints(ctx context.Context, namespace, service, port string) ([]string, error) {
	list, err := c.Client.DiscoveryV1().EndpointSlices(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + service,
	})
	if err != nil {
		return nil, fmt.Errorf("endpoint slices of service %s/%s: %w", namespace, service, err)
	}
	var out []string
	for _, s := range list.Items {
		var num int32 = -1
		for _, p := range s.Ports {
			if p.Port != nil && (port == "" || (p.Name != nil && *p.Name == port)) {
				num = *p.Port
				break
			}
		}
		if num < 0 {
			continue
		}
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			for _, a := range e.Addresses {
				ip, err := netip.ParseAddr(a)
				if err != nil {
					continue
				}
				if lo, ok := kubelet.LoopbackIP(ip); ok {
					ip = lo
				}
				out = append(out, net.JoinHostPort(ip.String(), strconv.Itoa(int(num))))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Stop stops the pods (SIGTERM, then SIGKILL after at most 5 s), the
// operator and the control plane, in reverse order of start. It is safe to
// call more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		close(c.stopped)
		c.mu.Lock()
		kl, procs := c.kubelet, c.procs
		c.mu.Unlock()
		// The operator goes first, so it does not react to pods stopping.
		for _, p := range procs {
			if p.name == "operator" {
				p.stop(10 * time.Second)
			}
		}
		if kl != nil {
			kl.Stop()
		}
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop(10 * time.Second)
		}
		c.log.Info("local cluster stopped", "state", c.StateDir)
	})
}

// component is a control-plane child process.
type component struct {
	name, logPath string
	cmd           *exec.Cmd
	exited        chan struct{}
	err           error
}

// startComponent starts a child process in its own process group, with its
// output appended to logs/NAME.log.
func (c *Cluster) startComponent(name, bin string, env []string, args ...string) (*component, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.stopped:
		return nil, fmt.Errorf("start %s: the cluster is stopping", name)
	default:
	}
	logPath := filepath.Join(c.logDir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = kubelet.ProcessAttributes()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &component{name: name, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	c.procs = append(c.procs, p)
	c.log.Info("started", "component", name, "pid", cmd.Process.Pid, "log", logPath)
	return p, nil
}

// stop sends SIGTERM to the component's process group and SIGKILL after
// grace.
func (p *component) stop(grace time.Duration) {
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-p.exited
}

// waitReady polls check every 100 ms for up to 90 s, failing early when the
// component exits; errors name the component and quote its log's tail.
func (c *Cluster) waitReady(ctx context.Context, p *component, check func() error) error {
	t0 := time.Now()
	deadline := t0.Add(90 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited during start-up (%v)%s", p.name, p.err, tail(p.logPath))
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", p.name, ctx.Err())
		default:
		}
		if last = check(); last == nil {
			c.log.Info("ready", "component", p.name, "took", time.Since(t0).Round(time.Millisecond))
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after 90s: %v%s", p.name, last, tail(p.logPath))
}

// tail quotes the last lines of a log file for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines = lines[max(0, len(lines)-20):]
	return fmt.Sprintf("\nlast lines of %s:\n  %s", path, strings.Join(lines, "\n  "))
}

func httpOK(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(b)))
	}
	return nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// PodCIDRFor returns a /24 in 127.0.0.0/8 derived from n (e.g. a process
// ID), outside 127.0.0.0/16 and the dev cluster's default 127.100.0.0/24,
// so that clusters started at the same time get distinct pod addresses.
func PodCIDRFor(n int) netip.Prefix {
	second := 101 + n%150
	third := (n / 150) % 256
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{127, byte(second), byte(third), 0}), 24)
}
