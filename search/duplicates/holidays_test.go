package duplicates

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/simili/simili/search/eval"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/library/thumb"
	"github.com/simili/simili/search/embed"
)

// The labelled set: every holidays photo of a scene with at least two
// photos is an original; the test makes six variants of each (the issue's
// list) and puts them in one library with all 261 holidays photos. The
// other photos of each scene are the hard negatives: same place, same
// camera, a different shot.
var variantKinds = []string{"resized50", "jpegq40", "crop8", "heic", "rotated", "bright15"}

// labelled is one catalogued content with its ground truth.
type labelled struct {
	picture string // the original's file name: every variant of it shares this
	scene   string // holidays group
	kind    string // "original", "photo" (not an original) or a variant kind
}

type holidaysLib struct {
	lib   Library
	truth map[string]labelled // by content hash
}

func TestHolidaysSamePicture(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes about 1,200 photos")
	}
	h := buildHolidays(t)
	for _, split := range []int{0, 1} {
		lib := h.split(split)
		m := measure(t, lib, h.truth, defaultParams)
		name := map[int]string{0: "calibration", 1: "held-out"}[split]
		t.Logf("%s half: %d photos, %d true pairs, %d predicted: precision %.4f, recall %.4f; recall by variant %s",
			name, len(lib.Photos), m.truePairs, m.predicted, m.precision(), m.recall(), m.byKind())
		for _, fp := range m.falsePairs {
			t.Logf("  false pair: %s", fp)
		}
		if split == 1 {
			if m.precision() < 0.99 || m.recall() < 0.95 {
				t.Errorf("held-out same-picture precision %.4f (want >= 0.99), recall %.4f (want >= 0.95)", m.precision(), m.recall())
			}
		}
	}
	if os.Getenv("SIMILI_CALIBRATE") != "" {
		calibrate(t, h)
	}
}

// calibrate sweeps the thresholds on the calibration half and prints the
// held-out figures of the best settings (run with SIMILI_CALIBRATE=1 -v).
func calibrate(t *testing.T, h holidaysLib) {
	cal, held := h.split(0), h.split(1)
	type result struct {
		p      params
		pr, rc float64
	}
	var rs []result
	for _, sure := range []int{6, 8, 10} {
		for _, maxD := range []int{12, 16, 20} {
			for _, cos := range []float32{0.85, 0.90, 0.93} {
				for _, crop := range []int{16, 22, 28} {
					for _, sc := range []float32{0.93, 0.95, 0.97} {
						for _, fm := range []int{30, 40, 50, 60} {
							p := defaultParams
							p.sureDistance, p.maxDistance, p.sameCosine, p.cropDistance, p.sureCosine, p.fineMax = sure, maxD, cos, crop, sc, fm
							m := measure(t, cal, h.truth, p)
							rs = append(rs, result{p, m.precision(), m.recall()})
						}
					}
				}
			}
		}
	}
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if (a.pr >= 0.995) != (b.pr >= 0.995) {
			return a.pr >= 0.995
		}
		if a.rc != b.rc {
			return a.rc > b.rc
		}
		return a.pr > b.pr
	})
	for _, r := range rs[:10] {
		m := measure(t, held, h.truth, r.p)
		t.Logf("sure %d max %d cos %.2f crop %d surecos %.2f fine %d: calibration %.4f/%.4f held-out %.4f/%.4f",
			r.p.sureDistance, r.p.maxDistance, r.p.sameCosine, r.p.cropDistance, r.p.sureCosine, r.p.fineMax, r.pr, r.rc, m.precision(), m.recall())
	}
}

type metrics struct {
	truePairs, predicted, correct int
	kindFound, kindTotal          map[string]int
	falsePairs                    []string
}

func (m metrics) precision() float64 {
	if m.predicted == 0 {
		return 1
	}
	return float64(m.correct) / float64(m.predicted)
}

func (m metrics) recall() float64 {
	if m.truePairs == 0 {
		return 1
	}
	return float64(m.correct) / float64(m.truePairs)
}

func (m metrics) byKind() string {
	var parts []string
	for _, k := range variantKinds {
		parts = append(parts, fmt.Sprintf("%s %d/%d", k, m.kindFound[k], m.kindTotal[k]))
	}
	return strings.Join(parts, ", ")
}

// measure runs the Same tier and counts pairs of contents: a predicted pair
// is two contents in one group, a true pair two contents of one picture.
func measure(t *testing.T, lib Library, truth map[string]labelled, p params) metrics {
	t.Helper()
	groups, err := find(context.Background(), lib, Options{Tiers: []Tier{Same}}, p)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics{kindFound: map[string]int{}, kindTotal: map[string]int{}}
	byPicture := map[string]int{}
	originalOf := map[string]string{} // picture -> original's hash
	for h, l := range truth {
		if l.kind == "original" {
			originalOf[l.picture] = h
		}
	}
	inLib := map[string]bool{}
	for _, ph := range lib.Photos {
		inLib[ph.Hash] = true
	}
	for h := range inLib {
		l := truth[h]
		byPicture[l.picture]++
		if l.kind != "original" && l.kind != "photo" {
			m.kindTotal[l.kind]++
		}
	}
	for _, n := range byPicture {
		m.truePairs += n * (n - 1) / 2
	}
	groupOf := map[string]int{}
	for gi, g := range groups {
		for i, a := range g.Members {
			groupOf[a.Photo.Hash] = gi
			for _, b := range g.Members[i+1:] {
				m.predicted++
				la, lb := truth[a.Photo.Hash], truth[b.Photo.Hash]
				if la.picture == lb.picture {
					m.correct++
				} else {
					r := b.Reason
					if a.Reason != "" {
						r = a.Reason
					}
					m.falsePairs = append(m.falsePairs, fmt.Sprintf("%s (%s) ~ %s (%s): %s",
						filepath.Base(a.Photo.Path), la.kind, filepath.Base(b.Photo.Path), lb.kind, r))
				}
			}
		}
	}
	for h := range inLib {
		l := truth[h]
		if l.kind == "original" || l.kind == "photo" {
			continue
		}
		g, ok := groupOf[h]
		if og, ok2 := groupOf[originalOf[l.picture]]; ok && ok2 && g == og {
			m.kindFound[l.kind]++
		}
	}
	return m
}

// split returns the photos of the even (0) or odd (1) scene groups.
func (h holidaysLib) split(half int) Library {
	lib := h.lib
	lib.Photos = nil
	for _, p := range h.lib.Photos {
		g, _ := strconv.Atoi(h.truth[p.Hash].scene)
		if g%2 == half {
			lib.Photos = append(lib.Photos, p)
		}
	}
	return lib
}

// buildHolidays makes the variants, indexes everything with SqueezeNet into
// a temporary catalog (the real scan: signatures come from its decode) and
// returns the library as Find sees it.
func buildHolidays(t *testing.T) holidaysLib {
	t.Helper()
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	heifEnc, err := exec.LookPath("heif-enc")
	if err != nil {
		testenv.Skipf(t, "heif-enc not installed (Debian libheif-examples): %v", err)
	}
	src := testenv.Holidays(t)
	model := testenv.SqueezeNet(t)
	groups := readGroups(t, filepath.Join(src, "groups.csv"))
	count := map[string]int{}
	for _, g := range groups {
		count[g]++
	}
	var originals []string
	for f, g := range groups {
		if count[g] >= 2 {
			originals = append(originals, f)
		}
	}
	sort.Strings(originals)

	// SIMILI_DUPLICATES_CACHE keeps the variants and the catalog between
	// runs (for calibrating); by default everything is temporary.
	tmp := os.Getenv("SIMILI_DUPLICATES_CACHE")
	reuse := false
	if tmp == "" {
		tmp = t.TempDir()
	} else if _, err := os.Stat(filepath.Join(tmp, "truth.csv")); err == nil {
		reuse = true
	}
	root := filepath.Join(tmp, "library")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	truthByFile := map[string]labelled{}
	for f, g := range groups {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
		truthByFile[f] = labelled{picture: f, scene: g, kind: "photo"}
	}
	if reuse {
		truthByFile = readTruth(t, filepath.Join(tmp, "truth.csv"))
	} else {
		makeAll(t, src, root, heifEnc, tmp, originals, groups, truthByFile)
		writeTruth(t, filepath.Join(tmp, "truth.csv"), truthByFile)
	}
	return indexHolidays(t, tmp, root, model, truthByFile)
}

func makeAll(t *testing.T, src, root, heifEnc, tmp string, originals []string, groups map[string]string, truthByFile map[string]labelled) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan string)
	errs := make(chan error, len(originals))
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				made, err := makeVariants(filepath.Join(src, f), root, heifEnc, filepath.Join(tmp, "work"))
				if err != nil {
					errs <- fmt.Errorf("%s: %w", f, err)
					continue
				}
				mu.Lock()
				truthByFile[f] = labelled{picture: f, scene: groups[f], kind: "original"}
				for name, kind := range made {
					truthByFile[name] = labelled{picture: f, scene: groups[f], kind: kind}
				}
				mu.Unlock()
			}
		}()
	}
	for _, f := range originals {
		work <- f
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func indexHolidays(t *testing.T, tmp, root, model string, truthByFile map[string]labelled) holidaysLib {
	ctx := context.Background()
	cat, err := catalog.Open(ctx, filepath.Join(tmp, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	thumbs, err := thumb.New(filepath.Join(tmp, "thumbs"), 64)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := embed.Builtin("squeezenet")
	if err != nil {
		t.Fatal(err)
	}
	emb, err := embed.Open(spec, embed.Config{ModelFile: model, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emb.Close() })
	res, err := scan.Run(ctx, []string{root}, scan.Options{Catalog: cat, Thumbs: thumbs, Embedder: scanEmbedder{emb}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed > 0 {
		t.Fatalf("%d files failed to index", res.Failed)
	}
	photos, err := cat.List(ctx, catalog.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(photos) != len(truthByFile) {
		t.Fatalf("%d photos catalogued, want %d", len(photos), len(truthByFile))
	}
	sigs, err := cat.Signatures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The holidays set files two byte-identical pairs under different
	// scenes (103101 = 103901, 103102 = 103902): one picture each, so
	// their variants are one picture too.
	sort.Slice(photos, func(i, j int) bool { return photos[i].Path < photos[j].Path })
	truth := map[string]labelled{}
	alias := map[string]string{}
	for _, p := range photos {
		l := truthByFile[filepath.Base(p.Path)]
		if first, ok := truth[p.Hash]; ok {
			alias[l.picture] = first.picture
			continue
		}
		truth[p.Hash] = l
	}
	for h, l := range truth {
		if a, ok := alias[l.picture]; ok {
			l.picture = a
			truth[h] = l
		}
	}
	vecs := map[string][]float32{}
	for _, p := range photos {
		v, ok, err := cat.Embedding(ctx, p.Hash, "squeezenet")
		if err != nil || !ok {
			t.Fatalf("embedding of %s: %v %v", p.Path, ok, err)
		}
		vecs[p.Hash] = v
	}
	lib := Library{Photos: photos, Signatures: sigs, Embeddings: func(_ context.Context, hs []string) (map[string][]float32, error) {
		out := map[string][]float32{}
		for _, h := range hs {
			if v, ok := vecs[h]; ok {
				out[h] = v
			}
		}
		return out, nil
	}}
	return holidaysLib{lib: lib, truth: truth}
}

type scanEmbedder struct{ *embed.Embedder }

func (e scanEmbedder) ModelName() string { return e.Spec().Name }
func (e scanEmbedder) InputSize() int    { return e.Spec().Size }

// makeVariants writes the six variants of one photo into dir and returns
// their file names with their kinds. All start from the upright picture.
func makeVariants(path, dir, heifEnc, work string) (map[string]string, error) {
	orig, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	up, _, err := scan.LoadUpright(path, 0, 0, 0)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	b := up.Bounds()
	cw, ch := b.Dx()*8/100, b.Dy()*8/100
	out := map[string]string{}
	write := func(kind, ext string, data []byte) error {
		name := base + "-" + kind + ext
		out[name] = kind
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	steps := []struct {
		kind string
		img  image.Image
		q    int
	}{
		{"resized50", imaging.Resize(up, b.Dx()/2, 0, imaging.Lanczos), 90},
		{"jpegq40", up, 40},
		{"crop8", imaging.Crop(up, image.Rect(b.Min.X+cw, b.Min.Y+ch, b.Max.X-cw, b.Max.Y-ch)), 90},
		{"bright15", imaging.AdjustBrightness(up, 15), 90},
	}
	for _, s := range steps {
		data, err := encodeJPEG(s.img, s.q)
		if err != nil {
			return nil, err
		}
		if err := write(s.kind, ".jpg", data); err != nil {
			return nil, err
		}
	}
	// Rotated pixels with the Orientation tag reset: an editor that bakes
	// the rotation in and keeps the rest of the EXIF (date, camera).
	data, err := encodeJPEG(up, 92)
	if err != nil {
		return nil, err
	}
	if app1 := exifSegment(orig); app1 != nil {
		resetOrientation(app1)
		data = append(append([]byte{0xFF, 0xD8}, app1...), data[2:]...)
	}
	if err := write("rotated", ".jpg", data); err != nil {
		return nil, err
	}
	// HEIC through libheif's encoder, from the upright picture.
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	pngPath := filepath.Join(work, base+".png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, up); err != nil {
		return nil, err
	}
	if err := os.WriteFile(pngPath, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	heic := base + "-heic.heic"
	cmd := exec.Command(heifEnc, "-q", "50", "-p", "preset=ultrafast", "-o", filepath.Join(dir, heic), pngPath)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("heif-enc: %v: %s", err, msg)
	}
	out[heic] = "heic"
	return out, os.Remove(pngPath)
}

func encodeJPEG(img image.Image, q int) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q})
	return buf.Bytes(), err
}

// exifSegment returns the JPEG's APP1 Exif segment (marker included).
func exifSegment(jpg []byte) []byte {
	for i := 2; i+4 <= len(jpg) && jpg[i] == 0xFF; {
		marker := jpg[i+1]
		n := int(binary.BigEndian.Uint16(jpg[i+2:]))
		if marker == 0xDA || i+2+n > len(jpg) {
			return nil
		}
		seg := jpg[i : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg[4:], []byte("Exif\x00\x00")) {
			return append([]byte(nil), seg...)
		}
		i += 2 + n
	}
	return nil
}

// resetOrientation sets IFD0's Orientation tag to 1 in an APP1 segment.
func resetOrientation(seg []byte) {
	tiff := seg[10:]
	if len(tiff) < 8 {
		return
	}
	var bo binary.ByteOrder = binary.BigEndian
	if tiff[0] == 'I' {
		bo = binary.LittleEndian
	}
	off := int(bo.Uint32(tiff[4:]))
	if off+2 > len(tiff) {
		return
	}
	n := int(bo.Uint16(tiff[off:]))
	for e := 0; e < n; e++ {
		p := off + 2 + 12*e
		if p+12 > len(tiff) {
			return
		}
		if bo.Uint16(tiff[p:]) == 0x0112 {
			bo.PutUint16(tiff[p+8:], 1)
		}
	}
}

// readGroups reads the scene labels with the product's own reader.
func readGroups(t *testing.T, path string) map[string]string {
	t.Helper()
	g, err := eval.ReadGroups(path)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func writeTruth(t *testing.T, path string, truth map[string]labelled) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for f, l := range truth {
		w.Write([]string{f, l.picture, l.scene, l.kind})
	}
	w.Flush()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readTruth(t *testing.T, path string) map[string]labelled {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]labelled{}
	for _, r := range rows {
		out[r[0]] = labelled{picture: r[1], scene: r[2], kind: r[3]}
	}
	return out
}
