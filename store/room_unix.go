//go:build linux || darwin

package store

import "syscall"

// freeSpace returns the bytes an unprivileged user may still write on the
// file system holding dir.
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
