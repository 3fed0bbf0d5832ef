//go:build unix

package main

import "syscall"

// openFilesLimit is the soft RLIMIT_NOFILE (Go raises it to the hard limit
// at start), or 0 when unknown.
func openFilesLimit() int {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || r.Cur > 1<<30 {
		return 0
	}
	return int(r.Cur)
}
