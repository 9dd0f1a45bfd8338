//go:build unix && !linux

package testsrv

import "syscall"

// sysProcAttr runs the child as another user when cred is set. Outside Linux
// there is no parent-death signal: children are stopped by t.Cleanup only.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
