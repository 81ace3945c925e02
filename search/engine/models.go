package engine

import (
	"context"
	"os"
	"path/filepath"

	"github.com/simili/simili/search/embed"
)

// ModelStatus says whether a built-in model can be used right now.
type ModelStatus struct {
	Name      string
	Installed bool
	Path      string // the file that would be loaded
	CanFetch  bool   // a download URL is known
	Base      string // for an int8 variant: the float model QuantizeModel makes it from
	// UsingInstead names the installed model the engine uses meanwhile,
	// when this is the configured model and it is not installed.
	UsingInstead string
}

// ModelStatus reports on the named model (the active one when name is "").
func (e *Engine) ModelStatus(name string) (ModelStatus, error) {
	if name == "" {
		name = e.cfg.Model
	}
	spec, err := embed.Builtin(name)
	if err != nil {
		return ModelStatus{}, err
	}
	st := ModelStatus{Name: name, Path: filepath.Join(e.cfg.ModelDir(), spec.File), CanFetch: spec.URL != "", Base: spec.Base}
	if name == e.cfg.Model && e.cfg.ModelFile != "" {
		st.Path = e.cfg.ModelFile
	}
	_, err = os.Stat(st.Path)
	st.Installed = err == nil
	if name == e.model.Configured && e.model.FellBack() {
		st.UsingInstead = e.model.Active
	}
	return st, nil
}

// FetchModel downloads a built-in model into the cache (verified).
func (e *Engine) FetchModel(ctx context.Context, name string, progress func(done, total int64)) error {
	spec, err := embed.Builtin(name)
	if err != nil {
		return err
	}
	_, err = embed.Fetch(ctx, spec, e.cfg.ModelDir(), progress)
	return err
}

// RuntimeStatus says whether ONNX Runtime can be found, and what to do if not.
func RuntimeStatus() error {
	_, err := embed.FindRuntime()
	return err
}
