package testsrv

import "syscall"

// sysProcAttr gives a child SIGKILL when the test binary dies, so servers do
// not outlive it, and optionally runs it as another user. Go sets the
// parent-death signal after switching credentials, so it survives the switch.
//
// The signal is tied to the thread that started the child; the Go runtime
// only ends a thread when a goroutine exits while locked to it, which the
// test goroutines that call testsrv do not do.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Credential: cred}
}
