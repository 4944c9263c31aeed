package kubelet

import "syscall"

// ProcessAttributes puts a child process (a container's, or a control-plane
// component's) in its own process group, so that signals reach its children
// too, and kills it if its parent
// process dies, so that nothing outlives the cluster.
func ProcessAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
