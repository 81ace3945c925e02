// Package assets embeds the files the app ships with.
package assets

import _ "embed"

// Icon is the application icon (PNG), drawn by icon_gen.go.
//
//go:embed icon.png
var Icon []byte
