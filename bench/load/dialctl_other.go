//go:build !linux

package main

import "syscall"

// dialControl leaves the socket as it is: port selection at connect is a
// Linux option.
func dialControl(_, _ string, _ syscall.RawConn) error { return nil }
