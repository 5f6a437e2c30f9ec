package main

import "syscall"

// ipBindAddressNoPort is Linux's IP_BIND_ADDRESS_NO_PORT: a socket bound
// to a source address gets its port at connect, from the whole 4-tuple,
// instead of at bind. Without it, thousands of dials from one source
// address (and the TIME_WAIT ports of the previous rows) make every
// bind search the port range.
const ipBindAddressNoPort = 24

// dialControl sets IP_BIND_ADDRESS_NO_PORT on a dialing socket.
func dialControl(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	}); err != nil {
		return err
	}
	return serr
}
