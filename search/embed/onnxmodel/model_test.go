package onnxmodel

import (
	"encoding/binary"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/simili/simili/internal/testenv"
)

func squeezeNet(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SqueezeNet(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoundTripSqueezeNet: parsing and writing the real SqueezeNet keeps
// its opset, nodes, weights, inputs and outputs.
func TestRoundTripSqueezeNet(t *testing.T) {
	orig, err := Parse(squeezeNet(t))
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(orig.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if orig.Opset("") != 7 || again.Opset("") != 7 || again.IRVersion != orig.IRVersion {
		t.Errorf("opset %d → %d, IR %d → %d", orig.Opset(""), again.Opset(""), orig.IRVersion, again.IRVersion)
	}
	if len(orig.Graph.Nodes) != 66 || len(again.Graph.Nodes) != len(orig.Graph.Nodes) {
		t.Fatalf("%d nodes → %d, want 66", len(orig.Graph.Nodes), len(again.Graph.Nodes))
	}
	for i, n := range orig.Graph.Nodes {
		m := again.Graph.Nodes[i]
		if n.Name != m.Name || n.Op != m.Op || !slices.Equal(n.Inputs, m.Inputs) || !slices.Equal(n.Outputs, m.Outputs) || len(n.Attrs) != len(m.Attrs) {
			t.Fatalf("node %d: %+v → %+v", i, n, m)
		}
	}
	names := func(vs []ValueInfo) (out []string) {
		for _, v := range vs {
			out = append(out, v.Name)
		}
		return out
	}
	if !slices.Equal(names(orig.Graph.Inputs), names(again.Graph.Inputs)) || !slices.Equal(names(again.Graph.Outputs), []string{"softmaxout_1"}) {
		t.Errorf("inputs %v, outputs %v", names(again.Graph.Inputs), names(again.Graph.Outputs))
	}
	w, ok := again.Graph.Initializer("conv1_w_0")
	if !ok || !slices.Equal(w.Dims, []int64{64, 3, 3, 3}) {
		t.Fatalf("conv1_w_0: %+v", w.Dims)
	}
	a, _ := orig.Graph.Initializer("conv1_w_0")
	fa, err := a.Floats()
	if err != nil {
		t.Fatal(err)
	}
	fb, err := w.Floats()
	if err != nil || !slices.Equal(fa, fb) || len(fa) != 64*3*3*3 {
		t.Fatalf("conv1 weights changed (%v)", err)
	}
	conv, _ := again.Graph.Nodes[0].Attr("kernel_shape")
	if conv.Name != "kernel_shape" {
		t.Errorf("first node lost its kernel_shape attribute: %+v", again.Graph.Nodes[0].Attrs)
	}
}

// TestKeepOnly prunes SqueezeNet to its last fire module: the classifier
// (conv10 and after) goes with its weights, and old-IR weight inputs go
// with them.
func TestKeepOnly(t *testing.T) {
	m, err := Parse(squeezeNet(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Graph.KeepOnly("fire9/concat_1"); err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Graph.Nodes {
		if strings.HasPrefix(n.Name, "conv10") || n.Op == "Softmax" || n.Op == "Dropout" {
			t.Errorf("node %s (%s) kept", n.Name, n.Op)
		}
	}
	if _, ok := m.Graph.Initializer("conv10_w_0"); ok {
		t.Error("conv10 weights kept")
	}
	for _, in := range m.Graph.Inputs {
		if in.Name == "conv10_w_0" {
			t.Error("conv10 weight input kept")
		}
	}
	if !slices.ContainsFunc(m.Graph.Inputs, func(v ValueInfo) bool { return v.Name == "data_0" }) {
		t.Error("image input dropped")
	}
	if len(m.Graph.Outputs) != 1 || m.Graph.Outputs[0].Name != "fire9/concat_1" {
		t.Errorf("outputs %+v", m.Graph.Outputs)
	}
	if err := m.Graph.KeepOnly("no_such_tensor"); err == nil {
		t.Error("pruning to a missing tensor succeeded")
	}
}

func TestTensorEncodings(t *testing.T) {
	packed := func(v ...float32) []byte { // TensorProto with packed float_data
		var b, d []byte
		for _, f := range v {
			d = binary.LittleEndian.AppendUint32(d, math.Float32bits(f))
		}
		b = protowire.AppendTag(b, tensorDims, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(len(v)))
		b = protowire.AppendTag(b, tensorDataType, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(Float))
		b = appendString(b, tensorName, "p")
		return appendBytes(b, tensorFloatData, d)
	}
	external := func() []byte {
		b := packed(1, 2)
		b = protowire.AppendTag(b, tensorDataLocation, protowire.VarintType)
		return protowire.AppendVarint(b, 1)
	}
	tests := []struct {
		name    string
		enc     []byte
		want    []float32
		wantErr string
	}{
		{"raw_data", FloatTensor("r", []int64{2, 2}, []float32{1, -2, 3.5, 0}).enc, []float32{1, -2, 3.5, 0}, ""},
		{"packed float_data", packed(0.25, -8), []float32{0.25, -8}, ""},
		{"external data", external(), nil, "external"},
		{"not float", Int8Tensor("i", []int64{2}, []int8{1, -1}).enc, nil, "not float"},
		{"wrong length", NewTensor("w", Float, []int64{3}, make([]byte, 8)).enc, nil, "raw bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tensor, err := parseTensor(tc.enc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tensor.Floats()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("Floats = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"truncated": squeezeNet(t)[:1000],
		"no graph":  protowire.AppendVarint(protowire.AppendTag(nil, modelIRVersion, protowire.VarintType), 7),
		"junk":      []byte("\xff\xff\xff\xff"),
	} {
		if _, err := Parse(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
