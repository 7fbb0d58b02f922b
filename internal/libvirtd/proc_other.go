//go:build !linux

package libvirtd

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
