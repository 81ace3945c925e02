package engine

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/simili/simili/search/embed"
)

// fallbackOrder ranks the built-in models a library can fall back to, best
// retrieval first: ResNet50's features beat SqueezeNet's, and an int8
// variant is only installed after it passed its fidelity check against
// its float model (mean cosine ≥ 0.99) and runs up to 3× faster.
// resnet50-random is never a fallback: its features mean nothing.
var fallbackOrder = []string{"resnet50-int8", "resnet50", "squeezenet-int8", "squeezenet"}

// ModelChoice says which model an engine embeds with, and why it is not
// the configured one when it is not.
type ModelChoice struct {
	Configured string // the model the configuration asks for
	Active     string // the model the engine uses
}

// FellBack reports that the configured model is not installed and the
// engine uses the best installed one instead.
func (c ModelChoice) FellBack() bool { return c.Active != c.Configured }

// Notice tells the user plainly which model is used and how to get the
// configured one; "" when the configured model is in use. how says where
// the download is offered ("Settings → Download", "`simili model fetch
// resnet50`").
func (c ModelChoice) Notice(how string) string {
	if !c.FellBack() {
		return ""
	}
	return fmt.Sprintf("Using %s: %s is not downloaded yet — %s", ModelDisplayName(c.Active), ModelDisplayName(c.Configured), how)
}

// ModelDisplayName is how a model is named to the user.
func ModelDisplayName(name string) string {
	switch name {
	case "resnet50":
		return "ResNet50"
	case "resnet50-int8":
		return "ResNet50 int8"
	case "squeezenet":
		return "SqueezeNet"
	case "squeezenet-int8":
		return "SqueezeNet int8"
	}
	return name
}

// chooseModel keeps the configured model when it is installed (or a model
// file is given, or nothing better is installed, so that the error says
// how to install it); otherwise it picks the best installed built-in
// model, so a first run without internet still indexes and searches.
// Vectors never mix: the store and the catalog's embeddings are keyed by
// the active model's name.
func chooseModel(cfg Config) ModelChoice {
	c := ModelChoice{Configured: cfg.Model, Active: cfg.Model}
	if cfg.ModelFile != "" || modelInstalled(cfg, cfg.Model) {
		return c
	}
	for _, name := range fallbackOrder {
		if name != cfg.Model && modelInstalled(cfg, name) {
			c.Active = name
			return c
		}
	}
	return c
}

// modelInstalled reports whether the named model's file is in the model
// folder. The checksum is verified when the model loads.
func modelInstalled(cfg Config, name string) bool {
	spec, err := embed.Builtin(name)
	if err != nil {
		return false
	}
	fi, err := os.Stat(filepath.Join(cfg.ModelDir(), spec.File))
	return err == nil && fi.Mode().IsRegular()
}

// ModelChoice says which model the engine uses and whether it fell back
// from the configured one.
func (e *Engine) ModelChoice() ModelChoice { return e.model }
