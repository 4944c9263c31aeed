//go:build !linux

package kubelet

import "syscall"

// ProcessAttributes puts a child process (a container's, or a control-plane
// component's) in its own process group, so that signals reach its children
// too.
func ProcessAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
