package scan

import (
	"bytes"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/meta"
	"github.com/simili/simili/search/embed"
)

// TestFastPathEmbedsLikeFullDecode checks that decoding at reduced scale
// (libjpeg-turbo DCT scaling plus one shrink) leaves embeddings visually
// equivalent to a full-size decode: cosine ≥ 0.99 on every holidays photo
// and on 12-MP upscaled copies, where the 1/8 scale really kicks in.
func TestFastPathEmbedsLikeFullDecode(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	dir := testenv.Holidays(t)
	spec, _ := embed.Builtin("squeezenet")
	e, err := embed.Open(spec, embed.Config{ModelFile: testenv.SqueezeNet(t), Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if len(files) < 261 {
		t.Fatalf("found %d holidays photos, want 261", len(files))
	}
	inputs := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = data
	}
	for _, name := range []string{"100001.jpg", "104301.jpg", "112404.jpg"} {
		img, err := imaging.Decode(bytes.NewReader(inputs[name]))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, imaging.Resize(img, 4000, 3000, imaging.Lanczos), &jpeg.Options{Quality: 90})
		inputs["12mp-"+name] = buf.Bytes()
	}
	minCos, sum := 1.0, 0.0
	worst := ""
	for name, data := range inputs {
		m, _ := meta.Read(bytes.NewReader(data))
		full, err := Upright(data, m, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		fast, err := Upright(data, m, 0, PrepSide(spec.Size))
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.Embed(full)
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.Embed(fast)
		if err != nil {
			t.Fatal(err)
		}
		var c float64
		for i := range a {
			c += float64(a[i]) * float64(b[i])
		}
		sum += c
		if c < minCos {
			minCos, worst = c, name
		}
	}
	t.Logf("fast vs full decode, %d photos: min cosine %.4f (%s), mean %.4f", len(inputs), minCos, worst, sum/float64(len(inputs)))
	if minCos < 0.99 || math.IsNaN(minCos) {
		t.Fatalf("min cosine %.4f (%s), want ≥ 0.99", minCos, worst)
	}
}
