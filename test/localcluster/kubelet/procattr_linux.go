package kubelet

import "syscall"

// processAttributes puts a container's process in its own process group
// (so that signals reach its children too) and kills it if the kubelet's
// process dies, so that no container outlives the cluster.
func processAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
