package kubelet

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probeTracker applies a probe's success and failure thresholds to a run
// of results.
type probeTracker struct {
	successThreshold, failureThreshold int32
	successes, failures                int32
	ok                                 bool
}

// newProbeTracker starts in state initial: false for readiness and startup
// (not yet ready, not yet started), true for liveness (alive until proven
// otherwise).
func newProbeTracker(p *corev1.Probe, initial bool) *probeTracker {
	t := &probeTracker{successThreshold: p.SuccessThreshold, failureThreshold: p.FailureThreshold, ok: initial}
	if t.successThreshold < 1 {
		t.successThreshold = 1
	}
	if t.failureThreshold < 1 {
		t.failureThreshold = 3
	}
	return t
}

// observe records one result and reports whether the state flipped.
func (t *probeTracker) observe(success bool) (changed bool) {
	if success {
		t.failures = 0
		t.successes++
		if !t.ok && t.successes >= t.successThreshold {
			t.ok = true
			return true
		}
		return false
	}
	t.successes = 0
	t.failures++
	if t.ok && t.failures >= t.failureThreshold {
		t.ok = false
		return true
	}
	return false
}

// prober runs one probe of a container.
type prober struct {
	podIP string
	// ports maps the container's named ports to numbers.
	ports map[string]int32
	// exec runs an exec probe's command with the container's environment.
	exec func(ctx context.Context, cmd []string) error
	// client is the HTTP client of httpGet probes.
	client *http.Client
}

// newHTTPProbeClient is the client of httpGet probes: no keep-alives (each
// probe is a fresh connection, as the kubelet does), no redirects followed
// off the pod, and HTTPS without certificate checks, as the kubelet does.
func newHTTPProbeClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DisableKeepAlives: true,
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the kubelet does not verify probe targets either
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// run executes p once; err says why it failed.
func (pr *prober) run(ctx context.Context, p *corev1.Probe) error {
	timeout := time.Duration(p.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case p.HTTPGet != nil:
		return pr.httpGet(ctx, p.HTTPGet)
	case p.TCPSocket != nil:
		port, err := pr.port(p.TCPSocket.Port)
		if err != nil {
			return err
		}
		host := p.TCPSocket.Host
		if host == "" {
			host = pr.podIP
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(int(port))))
		if err != nil {
			return err
		}
		return c.Close()
	case p.Exec != nil:
		return pr.exec(ctx, p.Exec.Command)
	}
	return fmt.Errorf("probe type not supported by the process kubelet (httpGet, tcpSocket and exec are)")
}

func (pr *prober) httpGet(ctx context.Context, g *corev1.HTTPGetAction) error {
	port, err := pr.port(g.Port)
	if err != nil {
		return err
	}
	host := g.Host
	if host == "" {
		host = pr.podIP
	}
	scheme := "http"
	if g.Scheme == corev1.URISchemeHTTPS {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(int(port))), Path: g.Path}
	if u.Path == "" {
		u.Path = "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("probe request: %w", err)
	}
	req.Header.Set("User-Agent", "kube-probe/strata-localcluster")
	for _, h := range g.HTTPHeaders {
		req.Header.Add(h.Name, h.Value)
	}
	resp, err := pr.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
	}
	return nil
}

// port resolves a probe's port, by number or by the container's port name.
func (pr *prober) port(p intstr.IntOrString) (int32, error) {
	if p.Type == intstr.Int {
		return p.IntVal, nil
	}
	if n, ok := pr.ports[p.StrVal]; ok {
		return n, nil
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return int32(n), nil
	}
	return 0, fmt.Errorf("probe port %q names no container port", p.StrVal)
}

// containerPorts maps a container's named ports to their numbers.
func containerPorts(c *corev1.Container) map[string]int32 {
	m := map[string]int32{}
	for _, p := range c.Ports {
		if p.Name != "" {
			m[p.Name] = p.ContainerPort
		}
	}
	return m
}
