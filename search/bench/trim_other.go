//go:build !linux || !cgo

package bench

// releaseCHeap has nothing to do where C's heap is not glibc's.
func releaseCHeap() {}
