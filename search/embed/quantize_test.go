package embed

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed/onnxmodel"
)

// holidayInputs preprocesses the holidays photos whose index in files
// satisfies pick.
func holidayInputs(t *testing.T, s Spec, files []string, pick func(i int) bool) [][]float32 {
	t.Helper()
	var out [][]float32
	for i, f := range files {
		if pick(i) {
			out = append(out, Preprocess(holiday(t, f), s, nil))
		}
	}
	return out
}

// TestQuantizeSqueezeNet quantizes the real SqueezeNet with 24 holidays
// photos and checks what a user gets: every convolution in int8, the
// fidelity gate passed on 16 other photos, and retrieval on all 261
// photos as good as the float model's.
func TestQuantizeSqueezeNet(t *testing.T) {
	model, err := os.ReadFile(testenv.SqueezeNet(t))
	if err != nil {
		t.Fatal(err)
	}
	lib := runtimePath(t)
	dir := testenv.Holidays(t)
	files, group := holidaysGroups(t, dir)
	base, _ := Builtin("squeezenet")
	calib := holidayInputs(t, base, files, func(i int) bool { return i%11 == 0 })
	check := holidayInputs(t, base, files, func(i int) bool { return i%16 == 7 })
	cfg := Config{RuntimePath: lib, Threads: 2, Logger: quiet()}

	q, fid, err := Quantize(context.Background(), model, base, calib, check, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fidelity over %d photos: mean cosine %.4f, min %.4f; %d → %d bytes", fid.Photos, fid.MeanCosine, fid.MinCosine, len(model), len(q))
	if fid.Photos != len(check) || fid.MeanCosine < MinMeanCosine || fid.MinCosine <= 0 || fid.MinCosine > fid.MeanCosine {
		t.Errorf("fidelity %+v", fid)
	}

	m, err := onnxmodel.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	if v := m.Opset(""); v != quantOpset {
		t.Errorf("opset %d, want %d", v, quantOpset)
	}
	// One graph input, the picture: SqueezeNet's file (ONNX IR 3) also
	// lists every weight as an input, and those the int8 weights replace
	// must go, or another runtime asks for them (ONNX Runtime's Python API
	// refused the file: "Required inputs … are missing").
	if len(m.Graph.Inputs) != 1 || m.Graph.Inputs[0].Name != base.Input {
		names := []string{}
		for _, in := range m.Graph.Inputs {
			names = append(names, in.Name)
		}
		t.Errorf("graph inputs %v, want only %q", names, base.Input)
	}
	consts := map[string]onnxmodel.DataType{}
	for _, in := range m.Graph.Initializers {
		consts[in.Name] = in.Type
	}
	prod := m.Graph.Producers()
	convs := 0
	for _, n := range m.Graph.Nodes {
		if n.Op != "Conv" {
			continue
		}
		convs++
		for k, in := range n.Inputs {
			dq, ok := prod[in]
			if !ok || m.Graph.Nodes[dq].Op != "DequantizeLinear" {
				t.Fatalf("Conv %s input %d (%s) is not dequantized", n.Name, k, in)
			}
			want := []onnxmodel.DataType{onnxmodel.Uint8, onnxmodel.Int8, onnxmodel.Int32}[k]
			src := m.Graph.Nodes[dq].Inputs[0]
			if k > 0 && consts[src] != want {
				t.Errorf("Conv %s input %d comes from %s of type %d, want %d", n.Name, k, src, consts[src], want)
			}
		}
	}
	if convs != 25 { // SqueezeNet 1.1 has 26; conv10 only feeds the classifier
		t.Errorf("%d convolutions, want 25", convs)
	}

	q8 := Int8(base)
	if q8.Name != "squeezenet-int8" || q8.Base != "squeezenet" {
		t.Errorf("int8 spec %+v", q8)
	}
	embedAll := func(data []byte, s Spec) [][]float32 {
		e, err := openData(s, s.Name, data, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		var vecs [][]float32
		for _, f := range files {
			v, err := e.Embed(holiday(t, f))
			if err != nil {
				t.Fatal(err)
			}
			vecs = append(vecs, v)
		}
		return vecs
	}
	var groups []string
	for _, f := range files {
		groups = append(groups, group[f])
	}
	top1f, mapf := retrieval(embedAll(model, base), groups)
	top1q, mapq := retrieval(embedAll(q, q8), groups)
	t.Logf("holidays: float top-1 %.3f mAP %.4f; int8 top-1 %.3f mAP %.4f", top1f, mapf, top1q, mapq)
	if mapq < 0.79 || mapq < mapf-0.01 {
		t.Errorf("int8 mAP %.4f (float %.4f): quantization lost retrieval quality", mapq, mapf)
	}
}

// TestQuantizeRefusesStrayModel calibrates on inputs a thousand times too
// faint, so real photos saturate every activation range: the fidelity gate
// must refuse the result.
func TestQuantizeRefusesStrayModel(t *testing.T) {
	model, err := os.ReadFile(testenv.SqueezeNet(t))
	if err != nil {
		t.Fatal(err)
	}
	lib := runtimePath(t)
	base, _ := Builtin("squeezenet")
	var faint, check [][]float32
	for _, name := range []string{"100001.jpg", "100101.jpg", "100201.jpg", "100301.jpg"} {
		in := Preprocess(holiday(t, name), base, nil)
		check = append(check, in)
		f := make([]float32, len(in))
		for i, v := range in {
			f[i] = v / 1000
		}
		faint = append(faint, f)
	}
	_, fid, err := Quantize(context.Background(), model, base, faint, check, Config{RuntimePath: lib, Threads: 2, Logger: quiet()})
	if !errors.Is(err, ErrLowFidelity) {
		t.Fatalf("err = %v (fidelity %+v), want ErrLowFidelity", err, fid)
	}
	t.Logf("refused: %v", err)
}

// TestFoldBatchNormKeepsOutputs builds Conv → BatchNormalization at opset 7
// (with the old spatial attribute) and checks that floatGraph folds the
// normalisation away, moves the model to opset 13, and computes the same
// values.
func TestFoldBatchNormKeepsOutputs(t *testing.T) {
	lib := runtimePath(t)
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = float32(i%7) - 3.1
	}
	var g onnxmodel.Graph
	g.Inputs = []onnxmodel.ValueInfo{onnxmodel.FloatOutput("x")}
	g.Outputs = []onnxmodel.ValueInfo{onnxmodel.FloatOutput("y")}
	g.Initializers = []onnxmodel.Tensor{
		onnxmodel.FloatTensor("w", []int64{3, 2, 3, 3}, w),
		onnxmodel.FloatTensor("b", []int64{3}, []float32{0.5, -1, 2}),
		onnxmodel.FloatTensor("gamma", []int64{3}, []float32{1.5, 0.25, -2}),
		onnxmodel.FloatTensor("beta", []int64{3}, []float32{0.1, 0.2, 0.3}),
		onnxmodel.FloatTensor("mean", []int64{3}, []float32{1, -2, 0.5}),
		onnxmodel.FloatTensor("var", []int64{3}, []float32{4, 0.5, 2}),
	}
	g.Nodes = []onnxmodel.Node{
		{Name: "conv", Op: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}},
		{Name: "bn", Op: "BatchNormalization", Inputs: []string{"c", "gamma", "beta", "mean", "var"}, Outputs: []string{"y"},
			Attrs: []onnxmodel.Attr{onnxmodel.IntAttr("spatial", 1)}},
	}
	orig := &onnxmodel.Model{IRVersion: 3, Opsets: []onnxmodel.Opset{{Version: 7}}, Graph: g}
	spec := Spec{Name: "tiny", Input: "x", Feature: "y"}
	folded, err := floatGraph(orig.Marshal(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(folded.Graph.Nodes); n != 1 || folded.Graph.Nodes[0].Op != "Conv" || folded.Opset("") != quantOpset {
		t.Fatalf("folded graph: %d nodes %+v, opset %d", n, folded.Graph.Nodes, folded.Opset(""))
	}
	x := make([]float32, 2*4*4)
	for i := range x {
		x[i] = float32(i%5) * 0.3
	}
	run := func(m *onnxmodel.Model) []float32 {
		s, err := newSession(m.Marshal(), []string{"x"}, []string{"y"}, 1, lib)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Destroy()
		in, err := ort.NewTensor(ort.NewShape(1, 2, 4, 4), x)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Destroy()
		out := []ort.Value{nil}
		if err := s.Run([]ort.Value{in}, out); err != nil {
			t.Fatal(err)
		}
		defer out[0].Destroy()
		return append([]float32(nil), out[0].(*ort.Tensor[float32]).GetData()...)
	}
	want, got := run(orig), run(folded)
	if len(want) != 3*2*2 || len(got) != len(want) {
		t.Fatalf("outputs of %d and %d values", len(want), len(got))
	}
	for i := range want {
		if d := want[i] - got[i]; d > 1e-4 || d < -1e-4 {
			t.Errorf("value %d: folded %v, original %v", i, got[i], want[i])
		}
	}

	// An operator whose meaning changed after opset 7 is refused, not
	// converted.
	g.Nodes = append(g.Nodes, onnxmodel.Node{Name: "sm", Op: "Softmax", Inputs: []string{"y"}, Outputs: []string{"z"}})
	bad := &onnxmodel.Model{IRVersion: 3, Opsets: []onnxmodel.Opset{{Version: 7}}, Graph: g}
	if _, err := floatGraph(bad.Marshal(), Spec{Name: "tiny", Input: "x", Feature: "z"}); err == nil {
		t.Error("Softmax at opset 7 was converted to opset 13")
	}
}

// TestInt8SpecsAreListed: every float model has an int8 variant that
// Builtin resolves, with its own file and no download.
func TestInt8SpecsAreListed(t *testing.T) {
	names := []string{"resnet50", "squeezenet"}
	if benchBuild {
		names = append(names, "resnet50-random")
	}
	for _, name := range names {
		s, err := Builtin(name + "-int8")
		if err != nil {
			t.Fatal(err)
		}
		base, _ := Builtin(name)
		if s.Base != name || s.URL != "" || s.SHA256 != "" || s.File == base.File || s.Dim != base.Dim || filepath.Ext(s.File) != ".onnx" {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
	if _, err := Builtin("squeezenet-int8-int8"); err == nil {
		t.Error("an int8 variant of an int8 variant was accepted")
	}
}
