//go:build bench

package embed

const benchBuild = true
