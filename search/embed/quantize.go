package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/simili/simili/search/embed/onnxmodel"
)

// Quantization makes an int8 copy of a float model on the user's machine:
// every convolution gets its weights quantized per output channel (int8,
// symmetric, 7 bits: weightPeak) and its input and output activations
// quantized per tensor (uint8, with ranges measured on the user's own
// photos), in ONNX's QDQ form. ONNX Runtime fuses each QuantizeLinear/DequantizeLinear pair and
// Conv into one int8 convolution, which runs on the CPU's VNNI dot-product
// instructions where it has them. On this project's build machine (Zen 4,
// one thread), the seeded ResNet50 runs 3.4× faster (75 → 22 ms per photo)
// and SqueezeNet's holidays mAP stays at 0.805.
//
// Nothing is trusted blindly: Quantize embeds held-out photos with both
// models and refuses a result whose embeddings stray from the float ones
// (MinMeanCosine), so a model this code mishandles is never installed.

// weightPeak is the largest int8 weight: 7 bits, not 8. Without VNNI, ONNX
// Runtime's x86 int8 convolution multiplies with VPMADDUBSW, which adds
// two uint8×int8 products into a saturating int16: 2·255·127 overflows it,
// 2·255·63 does not. With full-range weights SqueezeNet's embeddings kept
// a mean cosine of 0.966 to the float ones on an AVX2-only Zen 3 (0.99+
// with VNNI); the model may be quantized on one machine and used on
// another, so the weights are always quantized this way.
const weightPeak = 63

// quantOpset is the opset the quantized graph needs: per-channel
// DequantizeLinear (its axis attribute) arrived in opset 13.
const quantOpset = 13

// MinMeanCosine is the mean cosine between float and int8 embeddings of the
// check photos that a quantized model must reach: the bar the fast decode
// path meets too.
const MinMeanCosine = 0.99

// ErrLowFidelity means a quantized model's embeddings stray too far from
// its float model's.
var ErrLowFidelity = errors.New("quantized model strays from the float model")

// Fidelity compares a quantized model's embeddings with its float model's.
type Fidelity struct {
	Photos     int     `json:"photos"`
	MeanCosine float64 `json:"mean_cosine"`
	MinCosine  float64 `json:"min_cosine"`
}

// Quantize returns the int8 form of model (a float model matching spec).
// calib are Preprocess'd photos whose activations set the quantization
// ranges; check are others on which float and int8 embeddings are
// compared (calib when empty). cfg gives the runtime and threads. With a
// fidelity under MinMeanCosine it returns the model and the figures along
// with an ErrLowFidelity error.
func Quantize(ctx context.Context, model []byte, spec Spec, calib, check [][]float32, cfg Config) ([]byte, Fidelity, error) {
	if len(calib) == 0 {
		return nil, Fidelity{}, errors.New("quantize: no calibration photos")
	}
	if len(check) == 0 {
		check = calib
	}
	if cfg.Threads <= 0 {
		cfg.Threads = runtime.NumCPU()
	}
	m, err := floatGraph(model, spec)
	if err != nil {
		return nil, Fidelity{}, fmt.Errorf("quantize %s: %w", spec.Name, err)
	}
	convs := quantizableConvs(&m.Graph)
	if len(convs) == 0 {
		return nil, Fidelity{}, fmt.Errorf("quantize %s: the model has no convolution with constant weights", spec.Name)
	}
	var acts []string
	for _, i := range convs {
		n := m.Graph.Nodes[i]
		for _, t := range []string{n.Inputs[0], n.Outputs[0]} {
			if !slices.Contains(acts, t) {
				acts = append(acts, t)
			}
		}
	}
	ranges, err := calibrate(ctx, m, spec, acts, calib, cfg)
	if err != nil {
		return nil, Fidelity{}, fmt.Errorf("quantize %s: calibrate: %w", spec.Name, err)
	}
	floatModel := m.Marshal()
	if err := insertQDQ(&m.Graph, convs, acts, ranges); err != nil {
		return nil, Fidelity{}, fmt.Errorf("quantize %s: %w", spec.Name, err)
	}
	quantized := m.Marshal()
	fid, err := compareModels(ctx, floatModel, quantized, spec, check, cfg)
	if err != nil {
		return nil, Fidelity{}, fmt.Errorf("quantize %s: check: %w", spec.Name, err)
	}
	if fid.MeanCosine < MinMeanCosine {
		return quantized, fid, fmt.Errorf("quantize %s: %w: mean cosine %.4f (min %.4f) over %d photos, below %.2f",
			spec.Name, ErrLowFidelity, fid.MeanCosine, fid.MinCosine, fid.Photos, MinMeanCosine)
	}
	return quantized, fid, nil
}

// floatGraph parses model and reduces it to what spec's feature needs, at
// opset quantOpset, with batch normalisations folded into the convolutions
// before them (a Conv followed by Q/DQ can no longer be fused with one).
func floatGraph(model []byte, spec Spec) (*onnxmodel.Model, error) {
	m, err := onnxmodel.Parse(model)
	if err != nil {
		return nil, err
	}
	g := &m.Graph
	if !slices.ContainsFunc(g.Inputs, func(v onnxmodel.ValueInfo) bool { return v.Name == spec.Input }) {
		return nil, fmt.Errorf("the graph has no input %q", spec.Input)
	}
	if err := g.KeepOnly(spec.Feature); err != nil {
		return nil, err
	}
	if v := m.Opset(""); v < quantOpset {
		if err := upgradeOpset(g, v); err != nil {
			return nil, err
		}
		m.SetOpset("", quantOpset)
	}
	m.IRVersion = max(m.IRVersion, 7) // the first IR version for opset 13
	if err := foldBatchNorms(g); err != nil {
		return nil, err
	}
	return m, nil
}

// upgradeOpset checks that every operator means the same at quantOpset as
// at opset from, dropping BatchNormalization's spatial attribute (gone
// since opset 9; 1, its default, is what later opsets do). Anything else
// is refused rather than converted wrongly.
func upgradeOpset(g *onnxmodel.Graph, from int64) error {
	if from < 7 {
		return fmt.Errorf("opset %d is too old to convert (need 7 or later)", from)
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Domain != "" && n.Domain != "ai.onnx" {
			return fmt.Errorf("operator %s of domain %q cannot be converted", n.Op, n.Domain)
		}
		switch n.Op {
		case "Conv", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
			"Concat", "Add", "Mul", "Sum", "Flatten", "Identity", "Sigmoid", "LRN":
		case "BatchNormalization":
			if a, ok := n.Attr("spatial"); ok {
				if v, _ := a.Int(); v != 1 {
					return fmt.Errorf("BatchNormalization %s with spatial=%d cannot be converted", n.Name, v)
				}
				n.DropAttr("spatial")
			}
		default:
			return fmt.Errorf("operator %s at opset %d cannot be converted to opset %d here", n.Op, from, quantOpset)
		}
	}
	return nil
}

// foldBatchNorms merges each BatchNormalization that is the only reader of
// a Conv's output into that Conv's weights and bias.
func foldBatchNorms(g *onnxmodel.Graph) error {
	prod, cons := g.Producers(), g.Consumers()
	outputs := map[string]bool{}
	for _, o := range g.Outputs {
		outputs[o.Name] = true
	}
	drop := make([]bool, len(g.Nodes))
	for i, bn := range g.Nodes {
		if bn.Op != "BatchNormalization" || len(bn.Inputs) != 5 || len(bn.Outputs) != 1 {
			continue
		}
		x := bn.Inputs[0]
		j, ok := prod[x]
		if !ok || g.Nodes[j].Op != "Conv" || len(cons[x]) != 1 || outputs[x] {
			continue
		}
		conv := &g.Nodes[j]
		w, b, ok := convParams(g, conv)
		if !ok {
			continue
		}
		var stats [4][]float32 // scale, bias, mean, variance
		for k := range stats {
			t, ok := g.Initializer(bn.Inputs[1+k])
			if !ok {
				break
			}
			v, err := t.Floats()
			if err != nil || len(v) != len(b) {
				break
			}
			stats[k] = v
		}
		if stats[3] == nil {
			continue
		}
		eps := float32(1e-5)
		if a, ok := bn.Attr("epsilon"); ok {
			eps, _ = a.Float()
		}
		per := len(w) / len(b)
		for c := range b {
			f := stats[0][c] / float32(math.Sqrt(float64(stats[3][c]+eps)))
			for k := c * per; k < (c+1)*per; k++ {
				w[k] *= f
			}
			b[c] = (b[c]-stats[2][c])*f + stats[1][c]
		}
		wt, _ := g.Initializer(conv.Inputs[1])
		wName, bName := conv.Name+"_W_bnfold", conv.Name+"_B_bnfold"
		g.Initializers = append(g.Initializers,
			onnxmodel.FloatTensor(wName, wt.Dims, w),
			onnxmodel.FloatTensor(bName, []int64{int64(len(b))}, b))
		conv.Inputs = []string{conv.Inputs[0], wName, bName}
		conv.Outputs[0] = bn.Outputs[0]
		drop[i] = true
	}
	var nodes []onnxmodel.Node
	for i, n := range g.Nodes {
		if !drop[i] {
			nodes = append(nodes, n)
		}
	}
	g.Nodes = nodes
	dropUnread(g)
	return nil
}

// convParams returns copies of a Conv's weights and bias (zeros when it
// has none) when both are float initializers of the expected shapes.
func convParams(g *onnxmodel.Graph, conv *onnxmodel.Node) (w, b []float32, ok bool) {
	if len(conv.Inputs) < 2 {
		return nil, nil, false
	}
	wt, ok := g.Initializer(conv.Inputs[1])
	if !ok || wt.Type != onnxmodel.Float || len(wt.Dims) != 4 || wt.Dims[0] <= 0 {
		return nil, nil, false
	}
	w, err := wt.Floats()
	if err != nil {
		return nil, nil, false
	}
	b = make([]float32, wt.Dims[0])
	if len(conv.Inputs) > 2 && conv.Inputs[2] != "" {
		bt, ok := g.Initializer(conv.Inputs[2])
		if !ok || bt.Type != onnxmodel.Float || bt.Len() != wt.Dims[0] {
			return nil, nil, false
		}
		if b, err = bt.Floats(); err != nil {
			return nil, nil, false
		}
	}
	return w, b, true
}

// quantizableConvs lists the Convs whose weights and bias are float
// initializers and whose input is computed (not a constant).
func quantizableConvs(g *onnxmodel.Graph) []int {
	var out []int
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Op != "Conv" || (n.Domain != "" && n.Domain != "ai.onnx") || len(n.Outputs) != 1 {
			continue
		}
		if _, isConst := g.Initializer(n.Inputs[0]); isConst {
			continue
		}
		if _, _, ok := convParams(g, n); ok {
			out = append(out, i)
		}
	}
	return out
}

// calibrate runs the float model on the calibration inputs and returns the
// range of each activation tensor, always including 0 (ReLU outputs start
// there, and a zero must be exact in uint8).
func calibrate(ctx context.Context, m *onnxmodel.Model, spec Spec, acts []string, calib [][]float32, cfg Config) (map[string][2]float32, error) {
	ranges := map[string][2]float32{}
	widen := func(name string, v []float32) {
		r := ranges[name]
		for _, x := range v {
			r[0], r[1] = min(r[0], x), max(r[1], x)
		}
		ranges[name] = r
	}
	var outs []string
	for _, a := range acts {
		if a == spec.Input { // a graph input cannot be an output too
			for _, in := range calib {
				widen(a, in)
			}
			continue
		}
		outs = append(outs, a)
	}
	if len(outs) == 0 {
		return ranges, nil
	}
	saved := m.Graph.Outputs
	m.Graph.Outputs = nil
	for _, o := range outs {
		m.Graph.Outputs = append(m.Graph.Outputs, onnxmodel.FloatOutput(o))
	}
	data := m.Marshal()
	m.Graph.Outputs = saved
	session, err := newSession(data, []string{spec.Input}, outs, cfg.Threads, cfg.RuntimePath)
	if err != nil {
		return nil, err
	}
	defer session.Destroy()
	side := int64(spec.Size)
	for _, photo := range calib {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if int64(len(photo)) != 3*side*side {
			return nil, fmt.Errorf("calibration input has %d values, model needs %d", len(photo), 3*side*side)
		}
		in, err := ort.NewTensor(ort.NewShape(1, 3, side, side), photo)
		if err != nil {
			return nil, err
		}
		values := make([]ort.Value, len(outs))
		err = session.Run([]ort.Value{in}, values)
		in.Destroy()
		if err != nil {
			return nil, err
		}
		for k, v := range values {
			if t, ok := v.(*ort.Tensor[float32]); ok {
				widen(outs[k], t.GetData())
			} else if v != nil {
				err = fmt.Errorf("activation %q is %T, not float", outs[k], v)
			}
			if v != nil {
				v.Destroy()
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return ranges, nil
}

// insertQDQ rewrites g so that each activation in acts passes through a
// QuantizeLinear/DequantizeLinear pair (uint8, its calibrated range) before
// any node reads it, and each Conv in convs reads its weights (int8 per
// output channel) and bias (int32 at input scale × weight scale) through
// DequantizeLinear. Node order stays topological.
func insertQDQ(g *onnxmodel.Graph, convs []int, acts []string, ranges map[string][2]float32) error {
	type qparams struct {
		scale float32
		zero  uint8
	}
	act := map[string]qparams{}
	for _, a := range acts {
		r := ranges[a]
		scale := max((r[1]-r[0])/255, 1e-8)
		zero := uint8(min(255, max(0, math.Round(float64(-r[0]/scale)))))
		act[a] = qparams{scale, zero}
		g.Initializers = append(g.Initializers,
			onnxmodel.FloatTensor(a+"_scale", nil, []float32{scale}),
			onnxmodel.Uint8Tensor(a+"_zero", nil, []uint8{zero}))
	}
	var pre []onnxmodel.Node // weight dequantization, before every other node
	dq := func(in, scale, zero, out string, axis bool) onnxmodel.Node {
		n := onnxmodel.Node{Name: out, Op: "DequantizeLinear", Inputs: []string{in, scale, zero}, Outputs: []string{out}}
		if axis {
			n.Attrs = []onnxmodel.Attr{onnxmodel.IntAttr("axis", 0)}
		}
		return n
	}
	for _, i := range convs {
		conv := &g.Nodes[i]
		w, b, _ := convParams(g, conv)
		wt, _ := g.Initializer(conv.Inputs[1])
		channels := len(b)
		per := len(w) / channels
		wq := make([]int8, len(w))
		ws := make([]float32, channels)
		bq := make([]int32, channels)
		bs := make([]float32, channels)
		xs := act[conv.Inputs[0]].scale
		for c := range channels {
			var peak float32
			for _, v := range w[c*per : (c+1)*per] {
				peak = max(peak, float32(math.Abs(float64(v))))
			}
			ws[c] = peak / weightPeak
			if ws[c] == 0 {
				ws[c] = 1
			}
			for k := c * per; k < (c+1)*per; k++ {
				wq[k] = int8(max(-weightPeak, min(weightPeak, math.Round(float64(w[k]/ws[c])))))
			}
			bs[c] = xs * ws[c]
			bq[c] = int32(max(math.MinInt32, min(math.MaxInt32, math.Round(float64(b[c])/float64(bs[c])))))
		}
		base := conv.Name
		if base == "" {
			base = conv.Outputs[0]
		}
		g.Initializers = append(g.Initializers,
			onnxmodel.Int8Tensor(base+"_W_q", wt.Dims, wq),
			onnxmodel.FloatTensor(base+"_W_scale", []int64{int64(channels)}, ws),
			onnxmodel.Int8Tensor(base+"_W_zero", []int64{int64(channels)}, make([]int8, channels)),
			onnxmodel.Int32Tensor(base+"_B_q", []int64{int64(channels)}, bq),
			onnxmodel.FloatTensor(base+"_B_scale", []int64{int64(channels)}, bs),
			onnxmodel.Int32Tensor(base+"_B_zero", []int64{int64(channels)}, make([]int32, channels)))
		pre = append(pre,
			dq(base+"_W_q", base+"_W_scale", base+"_W_zero", base+"_W_dq", true),
			dq(base+"_B_q", base+"_B_scale", base+"_B_zero", base+"_B_dq", true))
		conv.Inputs = []string{conv.Inputs[0], base + "_W_dq", base + "_B_dq"}
	}
	qdq := func(a string) []onnxmodel.Node {
		return []onnxmodel.Node{
			{Name: a + "_q", Op: "QuantizeLinear", Inputs: []string{a, a + "_scale", a + "_zero"}, Outputs: []string{a + "_q"}},
			dq(a+"_q", a+"_scale", a+"_zero", a+"_dq", false),
		}
	}
	for i := range g.Nodes {
		for k, in := range g.Nodes[i].Inputs {
			if _, ok := act[in]; ok {
				g.Nodes[i].Inputs[k] = in + "_dq"
			}
		}
	}
	nodes := pre
	for _, in := range g.Inputs {
		if _, ok := act[in.Name]; ok {
			nodes = append(nodes, qdq(in.Name)...)
		}
	}
	for _, n := range g.Nodes {
		nodes = append(nodes, n)
		for _, o := range n.Outputs {
			if _, ok := act[o]; ok {
				nodes = append(nodes, qdq(o)...)
			}
		}
	}
	g.Nodes = nodes
	dropUnread(g)
	return nil
}

// dropUnread removes initializers no node reads, and graph inputs no node
// reads: models of ONNX IR version 3 (SqueezeNet's) list every weight as
// a graph input too, and once a weight is replaced by its int8 form that
// input would be left with no initializer behind it — a required input
// for any runtime that loads the file (ONNX Runtime's Python API refuses
// to run it without them).
func dropUnread(g *onnxmodel.Graph) {
	read := map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			read[in] = true
		}
	}
	g.Initializers = slices.DeleteFunc(g.Initializers, func(t onnxmodel.Tensor) bool { return !read[t.Name] })
	g.Inputs = slices.DeleteFunc(g.Inputs, func(v onnxmodel.ValueInfo) bool { return !read[v.Name] })
}

// compareModels embeds check with both models and measures their cosines.
func compareModels(ctx context.Context, floatModel, quantized []byte, spec Spec, check [][]float32, cfg Config) (Fidelity, error) {
	f, err := openData(spec, "float model", floatModel, cfg)
	if err != nil {
		return Fidelity{}, err
	}
	defer f.Close()
	q, err := openData(spec, "quantized model", quantized, cfg)
	if err != nil {
		return Fidelity{}, err
	}
	defer q.Close()
	fid := Fidelity{MinCosine: 1}
	var sum float64
	for _, in := range check {
		if err := ctx.Err(); err != nil {
			return Fidelity{}, err
		}
		a, err := f.EmbedTensor(in)
		if err != nil {
			return Fidelity{}, err
		}
		b, err := q.EmbedTensor(in)
		if err != nil {
			return Fidelity{}, err
		}
		var c float64
		for i := range a {
			c += float64(a[i]) * float64(b[i])
		}
		sum += c
		fid.MinCosine = min(fid.MinCosine, c)
		fid.Photos++
	}
	fid.MeanCosine = sum / float64(fid.Photos)
	return fid, nil
}
