//go:build !linux

package embedded

func adviseHuge([]float32) {}
