package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/search/embed"
)

// QuantizeMinPhotos is the fewest photos QuantizeModel calibrates and
// checks with: a third of them are held out for the fidelity check.
// QuantizePhotos is the number it is usually given (32 + 16 held out).
const (
	QuantizeMinPhotos = 12
	QuantizePhotos    = 48
)

// QuantizeModel makes the int8 variant of the float model base (see
// embed.Quantize) from up to photos photos found under dirs (the library's
// folders when empty), spread over them in name order, and installs it
// beside base in the model folder. A result that fails the fidelity check
// is not installed. progress is called after each photo is read.
func (e *Engine) QuantizeModel(ctx context.Context, base string, dirs []string, photos int, progress func(done, total int)) (string, embed.Fidelity, error) {
	spec, err := embed.Builtin(base)
	if err != nil {
		return "", embed.Fidelity{}, err
	}
	if spec.Base != "" {
		return "", embed.Fidelity{}, fmt.Errorf("%s is already quantized; name its float model %s", spec.Name, spec.Base)
	}
	photos = max(photos, QuantizeMinPhotos)
	mcfg := embed.Config{ModelDir: e.cfg.ModelDir(), Threads: runtime.NumCPU(), Logger: e.log}
	if base == e.cfg.Model {
		mcfg.ModelFile = e.cfg.ModelFile
	}
	file, data, err := embed.ReadModel(spec, mcfg)
	if err != nil {
		return "", embed.Fidelity{}, err
	}
	if len(dirs) == 0 {
		if dirs, err = e.cat.Roots(ctx); err != nil {
			return "", embed.Fidelity{}, err
		}
		if len(dirs) == 0 {
			return "", embed.Fidelity{}, errors.New("quantize: no photo folder in the library yet; add one first (the model is calibrated on your photos)")
		}
	}
	inputs, err := e.calibrationInputs(ctx, spec, dirs, photos, progress)
	if err != nil {
		return "", embed.Fidelity{}, err
	}
	var calib, check [][]float32
	for i, in := range inputs {
		if i%3 == 2 {
			check = append(check, in)
		} else {
			calib = append(calib, in)
		}
	}
	e.log.Info("quantizing model", "model", spec.Name, "from", file, "calibration", len(calib), "check", len(check))
	q, fid, err := embed.Quantize(ctx, data, spec, calib, check, mcfg)
	if err != nil {
		return "", fid, err
	}
	dest, err := embed.Install(embed.Int8(spec), q, e.cfg.ModelDir())
	return dest, fid, err
}

// calibrationInputs reads up to n photos under dirs, evenly spread over
// the files in name order; files that are not decodable photos are skipped.
func (e *Engine) calibrationInputs(ctx context.Context, spec embed.Spec, dirs []string, n int, progress func(done, total int)) ([][]float32, error) {
	var files []string
	for _, dir := range dirs {
		if err := e.listFiles(ctx, dir, &files); err != nil {
			return nil, err
		}
	}
	slices.Sort(files)
	// Evenly spread picks first, then the files between them, so a folder
	// with some non-photos still yields n photos when it has them.
	order := make([]string, 0, len(files))
	stride := max(1, len(files)/n)
	for i := 0; i < len(files); i += stride {
		order = append(order, files[i])
	}
	for i, f := range files {
		if i%stride != 0 {
			order = append(order, f)
		}
	}
	var inputs [][]float32
	for _, path := range order {
		if len(inputs) == n {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		img, _, err := scan.LoadUpright(path, 0, 0, scan.PrepSide(spec.Size))
		if err != nil {
			e.log.Debug("quantize: not a photo", "path", path, "err", err)
			continue
		}
		inputs = append(inputs, embed.Preprocess(img, spec, nil))
		if progress != nil {
			progress(len(inputs), n)
		}
	}
	if len(inputs) < QuantizeMinPhotos {
		return nil, fmt.Errorf("quantize: %d photos found under %s, need at least %d", len(inputs), strings.Join(dirs, ", "), QuantizeMinPhotos)
	}
	return inputs, nil
}

// listFiles appends the regular files under dir, skipping hidden ones and
// unreadable folders (logged).
func (e *Engine) listFiles(ctx context.Context, dir string, files *[]string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			e.log.Warn("quantize: skipping unreadable path", "path", path, "err", err)
			if d != nil && d.IsDir() && path != dir {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") && path != dir {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			*files = append(*files, path)
		}
		return ctx.Err()
	})
	if err != nil {
		return fmt.Errorf("quantize: list photos in %s: %w", dir, err)
	}
	return nil
}
