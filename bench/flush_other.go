//go:build !unix

package main

// flushPageCache does nothing where there is no sync(2).
func flushPageCache() {}
