// Package kubelet is the process kubelet of the local cluster: a pod-lifecycle
// provider for the node library of github.com/virtual-kubelet/virtual-kubelet
// that runs every Pod bound to its Node as local processes instead of
// containers. Node registration, leases and pod status synchronisation are the
// library's; this package only starts, probes, restarts and stops processes.
//
// What a Pod gets:
//
//   - each container runs its command and args as a process. command[0] is
//     mapped through Config.Commands (e.g. "/strata" to the absolute path of
//     bin/strata); a container without a mapped command stays Waiting with
//     reason CommandNotMapped. $(VAR) references in command, args and env
//     values are expanded as the kubelet does;
//   - the environment: env (value, and valueFrom secretKeyRef,
//     configMapKeyRef and fieldRef) and envFrom resolved against the API
//     server. A missing Secret or key leaves the container Waiting with
//     reason CreateContainerConfigError until it exists;
//   - when the Pod mounts a projected ServiceAccount token (the API server's
//     ServiceAccount admission adds one unless automountServiceAccountToken
//     is false), a token from the TokenRequest API bound to the Pod, written
//     with the cluster's CA into a kubeconfig that the process finds through
//     KUBECONFIG; the token is renewed before it expires;
//   - its own loopback address 127.B.C.D from Config.PodCIDR, which the
//     process gets in the variable named by Config.BindHostEnv
//     (HASURA_GRAPHQL_SERVER_HOST for the Strata engine). This is the
//     deviation from a real kubelet: processes share the host's network
//     namespace, so a server must be told which address is its pod's. And
//     because the API server refuses loopback addresses in EndpointSlices,
//     status.podIP reports it as 10.B.C.D (ReportedIP); LoopbackIP maps an
//     endpoint back to where the pod listens;
//   - readiness from the readiness probe, liveness and startup probes
//     (httpGet, tcpSocket, exec; named ports resolved) run against the pod
//     address; a failed liveness or startup probe kills the process;
//   - restarts per restartPolicy after a crash or a liveness kill, with a
//     doubling back-off (Config.RestartBackoff up to Config.MaxRestartBackoff),
//     counted in restartCount; the container ID is "proc://PID";
//   - deletion sends SIGTERM to the process group, waits the grace period,
//     then sends SIGKILL; the Pod is then reported terminated and removed.
//
// Container stdout and stderr are appended to
// STATE/pods/NAMESPACE_NAME_UID/CONTAINER.log. Images, volumes, resource
// limits, security contexts and init containers are not implemented: a Pod
// with init containers is refused with a Waiting reason that says so.
package kubelet
