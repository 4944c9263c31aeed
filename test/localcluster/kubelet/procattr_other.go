//go:build !linux

package kubelet

import "syscall"

// processAttributes puts a container's process in its own process group, so
// that signals reach its children too.
func processAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
