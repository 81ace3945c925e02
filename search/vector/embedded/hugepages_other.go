//go:build !linux

package embedded

func adviseHuge[T any]([]T) {}
