//go:build unix

package main

import "syscall"

// offHeap maps n bytes of anonymous memory, which the garbage collector
// neither counts nor scans, and returns them with what unmaps them; where
// the map fails, a heap slice.
func offHeap(n int) ([]byte, func()) {
	b, err := syscall.Mmap(-1, 0, max(n, 1), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]byte, 0, n), func() {}
	}
	return b, func() { _ = syscall.Munmap(b) }
}
