package embed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

// Fetch downloads spec.URL into dir/spec.File and returns its path. The
// download streams into a temporary file in dir while hashing, and only a
// file whose sha256 matches is renamed into place, so a partial or wrong
// file never sits where Open looks. An already installed, valid file is
// kept. progress, when not nil, sees the bytes written so far and the total
// (-1 when the server does not say).
func Fetch(ctx context.Context, spec Spec, dir string, progress func(done, total int64)) (string, error) {
	if spec.URL == "" {
		return "", fmt.Errorf("model %s cannot be downloaded: %s", spec.Name, missingHint(spec))
	}
	dest := filepath.Join(dir, spec.File)
	if spec.SHA256 != "" {
		if ok, err := hasSum(dest, spec.SHA256); err == nil && ok {
			return dest, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("model directory: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, spec.URL, nil)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", spec.URL, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", downloadError(ctx, spec, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("cannot download %s: server answered %s; you can also pass --model-file PATH", spec.URL, resp.Status)
	}
	w := &progressWriter{total: resp.ContentLength, report: progress}
	w.reportNow()
	err = installVerified(spec, resp.Body, dest, w)
	if err != nil && !errors.Is(err, errChecksum) && !errors.Is(err, errLocal) {
		return "", downloadError(ctx, spec, err)
	}
	if err != nil {
		return "", fmt.Errorf("download %s: %w", spec.URL, err)
	}
	return dest, nil
}

// Import copies a model file obtained elsewhere to dir/spec.File after
// checking its sha256, for machines that cannot download. For a spec without
// a checksum it checks instead that the file has the spec's tensors.
func Import(spec Spec, file, dir string) (string, error) {
	dest := filepath.Join(dir, spec.File)
	if spec.SHA256 == "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("import model %s: %w", spec.Name, err)
		}
		if _, err := exposeFeature(data, spec); err != nil {
			return "", fmt.Errorf("import %s: %w", file, err)
		}
	}
	if same, _ := sameFile(file, dest); same {
		if spec.SHA256 != "" {
			if ok, err := hasSum(dest, spec.SHA256); err != nil || !ok {
				return "", fmt.Errorf("import %s: installed file %s does not match sha256 %s", spec.Name, dest, spec.SHA256)
			}
		}
		return dest, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("import model %s: %w", spec.Name, err)
	}
	defer f.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("model directory: %w", err)
	}
	if err := installVerified(spec, f, dest, io.Discard); err != nil {
		return "", fmt.Errorf("import %s as %s: %w", file, spec.Name, err)
	}
	return dest, nil
}

// Install writes model bytes made on this machine (a Quantize result) to
// dir/spec.File the way Fetch and Import do: through a temporary file, so a
// crash never leaves a truncated model where Open would load it.
func Install(spec Spec, data []byte, dir string) (string, error) {
	dest := filepath.Join(dir, spec.File)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("model directory: %w", err)
	}
	if err := installVerified(spec, bytes.NewReader(data), dest, io.Discard); err != nil {
		return "", fmt.Errorf("install %s: %w", spec.Name, err)
	}
	return dest, nil
}

var (
	// errChecksum marks a file whose sha256 is not the spec's.
	errChecksum = errors.New("checksum mismatch")
	// errLocal marks a failure on this machine (disk), not the network.
	errLocal = errors.New("local file error")
)

// installVerified streams r into a temporary file next to dest while hashing
// (and through extra, for progress), then renames it to dest when the
// checksum matches. The temporary file is removed on any failure.
func installVerified(spec Spec, r io.Reader, dest string, extra io.Writer) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+spec.File+".*.part")
	if err != nil {
		return fmt.Errorf("%w: %w", errLocal, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h, extra), r); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) && pe.Path == tmp.Name() {
			return fmt.Errorf("%w: write %s: %w", errLocal, tmp.Name(), err)
		}
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); spec.SHA256 != "" && got != spec.SHA256 {
		return fmt.Errorf("%w for %s: got sha256 %s, expected %s (file discarded)", errChecksum, spec.File, got, spec.SHA256)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%w: sync %s: %w", errLocal, tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%w: close %s: %w", errLocal, tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("%w: %w", errLocal, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("%w: install %s: %w", errLocal, dest, err)
	}
	return nil
}

// downloadError explains a network failure, or reports a cancellation as such.
func downloadError(ctx context.Context, spec Spec, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("download of %s cancelled: %w", spec.Name, ctxErr)
	}
	return fmt.Errorf("cannot download %s: are you offline? You can also pass --model-file PATH: %w", spec.URL, err)
}

// hasSum reports whether the file at path has the given sha256.
func hasSum(path, want string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == want, nil
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// progressWriter counts bytes for a progress callback.
type progressWriter struct {
	done, total int64
	report      func(done, total int64)
}

func (w *progressWriter) Write(p []byte) (int, error) {
	w.done += int64(len(p))
	w.reportNow()
	return len(p), nil
}

func (w *progressWriter) reportNow() {
	if w.report != nil {
		w.report(w.done, w.total)
	}
}
