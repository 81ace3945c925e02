package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/library/imagefile"
	"github.com/simili/simili/library/meta"
	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/search/embed"
)

// HEICResult sets Simili's preparation of a 12-MP HEIC (what the scan does
// to get the thumbnail and the model input) beside libheif's own
// heif-convert on the same file, measured in the same run. Both let libheif
// use its decoding threads. heif-convert's time includes starting the
// process and writing its output: to Y4M (raw YUV, the least work a
// conversion can do) and to JPEG (its usual use).
type HEICResult struct {
	SimiliMs        float64 `json:"heic_prep_ms_12mp"`       // full-size decode, as for a phone HEIC without a usable thumbnail item
	SimiliThumbMs   float64 `json:"heic_prep_ms_12mp_thumb"` // the same file with a 512-pixel thumbnail item, which the scan uses
	HeifConvertY4M  float64 `json:"heif_convert_y4m_ms_12mp"`
	HeifConvertJPEG float64 `json:"heif_convert_jpeg_ms_12mp"`
	// Ratio is SimiliMs / HeifConvertY4M: at most 1 meets the target.
	Ratio float64 `json:"heic_prep_vs_heif_convert"`
	Runs  int     `json:"heic_runs"`
	// Phone* measure the same on a real phone photo (iPhone 11 Pro, 12 MP
	// in 48 HEVC tiles, no thumbnail item) from the shared fixtures, when
	// $SIMILI_SHARED (default ../shared) holds it.
	PhoneFile           string  `json:"heic_phone_file,omitempty"`
	PhoneSimiliMs       float64 `json:"heic_phone_prep_ms,omitempty"`
	PhoneHeifConvertY4M float64 `json:"heic_phone_heif_convert_y4m_ms,omitempty"`
	PhoneRatio          float64 `json:"heic_phone_prep_vs_heif_convert,omitempty"`
}

// HEIC measures HEIC preparation against heif-convert. The 12-MP HEIC
// files are made once from a generated photo with heif-enc (quality 90,
// x265's fast preset) and kept in cacheDir, with and without a thumbnail
// item.
func HEIC(ctx context.Context, spec embed.Spec, thumbSize, runs int, cacheDir, workDir string) (HEICResult, error) {
	if !imagefile.HEIFSupported() {
		return HEICResult{}, errors.New("this build has no HEIF support (cgo and libheif, without the noheif tag)")
	}
	enc, err := exec.LookPath("heif-enc")
	if err != nil {
		return HEICResult{}, fmt.Errorf("heif-enc not installed (Debian libheif-examples): %w", err)
	}
	conv, err := exec.LookPath("heif-convert")
	if err != nil {
		return HEICResult{}, fmt.Errorf("heif-convert not installed (Debian libheif-examples): %w", err)
	}
	dir := filepath.Join(cacheDir, "bench", "heic-12mp")
	plain, thumbed := filepath.Join(dir, "photo.heic"), filepath.Join(dir, "photo-thumb.heic")
	if err := makeHEIC(ctx, enc, dir, plain, thumbed); err != nil {
		return HEICResult{}, err
	}
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return HEICResult{}, err
	}
	plainData, err := os.ReadFile(plain)
	if err != nil {
		return HEICResult{}, err
	}
	thumbData, err := os.ReadFile(thumbed)
	if err != nil {
		return HEICResult{}, err
	}
	shared := os.Getenv("SIMILI_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "shared")
	}
	phone := filepath.Join(shared, "fixtures", "formats", "iphone11pro-sign.HEIC")
	phoneData, err := os.ReadFile(phone)
	if err != nil {
		phoneData = nil
	}
	// The measurements take turns, so a machine whose load changes during
	// the run slows them alike and the ratios hold.
	var simili, simThumb, y4m, jpg, phoneSim, phoneY4M []float64
	for i := 0; i < runs; i++ {
		if phoneData != nil {
			ms, err := heicPrep(phoneData, spec, thumbSize)
			if err != nil {
				return HEICResult{}, err
			}
			phoneSim = append(phoneSim, ms)
			if ms, err = heifConvert(ctx, conv, phone, filepath.Join(workDir, "heif-convert-phone.y4m")); err != nil {
				return HEICResult{}, err
			}
			phoneY4M = append(phoneY4M, ms)
		}
		ms, err := heicPrep(plainData, spec, thumbSize)
		if err != nil {
			return HEICResult{}, err
		}
		simili = append(simili, ms)
		if ms, err = heicPrep(thumbData, spec, thumbSize); err != nil {
			return HEICResult{}, err
		}
		simThumb = append(simThumb, ms)
		if ms, err = heifConvert(ctx, conv, plain, filepath.Join(workDir, "heif-convert-out.y4m")); err != nil {
			return HEICResult{}, err
		}
		y4m = append(y4m, ms)
		if ms, err = heifConvert(ctx, conv, plain, filepath.Join(workDir, "heif-convert-out.jpg")); err != nil {
			return HEICResult{}, err
		}
		jpg = append(jpg, ms)
	}
	r := HEICResult{SimiliMs: median(simili), SimiliThumbMs: median(simThumb), HeifConvertY4M: median(y4m), HeifConvertJPEG: median(jpg), Runs: runs}
	r.Ratio = r.SimiliMs / r.HeifConvertY4M
	if phoneData != nil {
		r.PhoneFile = phone
		r.PhoneSimiliMs, r.PhoneHeifConvertY4M = median(phoneSim), median(phoneY4M)
		r.PhoneRatio = r.PhoneSimiliMs / r.PhoneHeifConvertY4M
	}
	return r, nil
}

// makeHEIC writes the two 12-MP HEIC files unless they exist.
func makeHEIC(ctx context.Context, enc, dir, plain, thumbed string) error {
	if _, err := os.Stat(thumbed); err == nil {
		if _, err := os.Stat(plain); err == nil {
			return nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, SyntheticPhoto(Photo12MPWidth, Photo12MPHeight, 42), &jpeg.Options{Quality: 92}); err != nil {
		return fmt.Errorf("encode 12-MP photo: %w", err)
	}
	src := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(src, buf.Bytes(), 0o644); err != nil {
		return err
	}
	defer os.Remove(src)
	for _, c := range []struct {
		out  string
		args []string
	}{{plain, nil}, {thumbed, []string{"-t", "512"}}} {
		tmp := c.out + ".tmp.heic"
		args := append([]string{"-q", "90", "-p", "preset=fast", "-o", tmp}, c.args...)
		if b, err := exec.CommandContext(ctx, enc, append(args, src)...).CombinedOutput(); err != nil {
			return fmt.Errorf("heif-enc: %v: %s", err, b)
		}
		if err := os.Rename(tmp, c.out); err != nil {
			return err
		}
	}
	return nil
}

// heicPrep is Prep's measurement on a HEIC file: what the scanner does
// (EXIF, upright decode at the model's preparation size, thumbnail, tensor).
func heicPrep(data []byte, spec embed.Spec, thumbSize int) (float64, error) {
	tensor := make([]float32, 3*spec.Size*spec.Size)
	start := time.Now()
	m, _ := meta.Read(bytes.NewReader(data))
	im, err := scan.Upright(data, m, 0, scan.PrepSide(spec.Size))
	if err != nil {
		return 0, fmt.Errorf("prep HEIC: %w", err)
	}
	var tb bytes.Buffer
	if err := jpeg.Encode(&tb, imaging.Fit(im, thumbSize, thumbSize, imaging.Lanczos), &jpeg.Options{Quality: 85}); err != nil {
		return 0, fmt.Errorf("prep thumbnail: %w", err)
	}
	embed.Preprocess(im, spec, tensor)
	return float64(time.Since(start).Microseconds()) / 1000, nil
}

// heifConvert times one heif-convert run writing dst (its format follows
// the extension); dst is removed after.
func heifConvert(ctx context.Context, conv, src, dst string) (float64, error) {
	start := time.Now()
	if b, err := exec.CommandContext(ctx, conv, src, dst).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("heif-convert: %v: %s", err, b)
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	os.Remove(dst)
	return ms, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
