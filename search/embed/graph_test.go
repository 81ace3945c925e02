package embed

import (
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed/onnxmodel"
)

// Field numbers of onnx.proto used to build and read test models by hand.
const (
	modelGraph     = 7
	graphNode      = 1
	graphInput     = 11
	graphOutput    = 12
	nodeInput      = 1
	nodeOutput     = 2
	nodeName       = 3
	nodeOpType     = 4
	valueInfoName  = 1
	valueInfoType  = 2
	typeTensor     = 1
	tensorElemType = 1
	tensorShape    = 2
	shapeDim       = 1
	dimValue       = 1
	elemTypeFloat  = 1
)

// tinyModel builds a valid ONNX model (IR 7, opset 13) by hand:
//
//	x [1,3,2,2] -Relu-> a -Neg-> b -Sigmoid-> y (the only output)
//	                      a -Abs-> unused
//
// so tests know exactly which nodes a feature needs.
func tinyModel() []byte {
	node := func(op, in, out string) []byte {
		var nd []byte
		nd = protowire.AppendTag(nd, nodeInput, protowire.BytesType)
		nd = protowire.AppendString(nd, in)
		nd = protowire.AppendTag(nd, nodeOutput, protowire.BytesType)
		nd = protowire.AppendString(nd, out)
		nd = protowire.AppendTag(nd, nodeName, protowire.BytesType)
		nd = protowire.AppendString(nd, op+"_"+out)
		nd = protowire.AppendTag(nd, nodeOpType, protowire.BytesType)
		nd = protowire.AppendString(nd, op)
		return nd
	}
	valueInfo := func(name string, dims ...uint64) []byte {
		var shape []byte
		for _, d := range dims {
			var dim []byte
			dim = protowire.AppendTag(dim, dimValue, protowire.VarintType)
			dim = protowire.AppendVarint(dim, d)
			shape = protowire.AppendTag(shape, shapeDim, protowire.BytesType)
			shape = protowire.AppendBytes(shape, dim)
		}
		var tensor, typ, vi []byte
		tensor = protowire.AppendTag(tensor, tensorElemType, protowire.VarintType)
		tensor = protowire.AppendVarint(tensor, elemTypeFloat)
		tensor = protowire.AppendTag(tensor, tensorShape, protowire.BytesType)
		tensor = protowire.AppendBytes(tensor, shape)
		typ = protowire.AppendTag(typ, typeTensor, protowire.BytesType)
		typ = protowire.AppendBytes(typ, tensor)
		vi = protowire.AppendTag(vi, valueInfoName, protowire.BytesType)
		vi = protowire.AppendString(vi, name)
		vi = protowire.AppendTag(vi, valueInfoType, protowire.BytesType)
		return protowire.AppendBytes(vi, typ)
	}
	var g []byte
	for _, n := range [][3]string{{"Relu", "x", "a"}, {"Neg", "a", "b"}, {"Sigmoid", "b", "y"}, {"Abs", "a", "unused"}} {
		g = protowire.AppendTag(g, graphNode, protowire.BytesType)
		g = protowire.AppendBytes(g, node(n[0], n[1], n[2]))
	}
	g = protowire.AppendTag(g, 2, protowire.BytesType) // GraphProto.name
	g = protowire.AppendString(g, "tiny")
	g = protowire.AppendTag(g, graphInput, protowire.BytesType)
	g = protowire.AppendBytes(g, valueInfo("x", 1, 3, 2, 2))
	g = protowire.AppendTag(g, graphOutput, protowire.BytesType)
	g = protowire.AppendBytes(g, valueInfo("y", 1, 3, 2, 2))

	var opset, m []byte
	opset = protowire.AppendTag(opset, 1, protowire.BytesType) // domain ""
	opset = protowire.AppendString(opset, "")
	opset = protowire.AppendTag(opset, 2, protowire.VarintType) // version
	opset = protowire.AppendVarint(opset, 13)
	m = protowire.AppendTag(m, 1, protowire.VarintType) // ir_version
	m = protowire.AppendVarint(m, 7)
	m = protowire.AppendTag(m, modelGraph, protowire.BytesType)
	m = protowire.AppendBytes(m, g)
	m = protowire.AppendTag(m, 8, protowire.BytesType) // opset_import
	m = protowire.AppendBytes(m, opset)
	return m
}

// tinySpec feeds tinyModel: a 2×2 three-channel "image".
func tinySpec(feature string, p Pooling, dim int) Spec {
	return Spec{Name: "tiny", Input: "x", Size: 2, Scale: 1, Feature: feature, Pooling: p, Dim: dim}
}

// graphSummary lists a model's node op types (in order) and graph outputs.
func graphSummary(t *testing.T, model []byte) (ops, outputs []string) {
	t.Helper()
	m, err := onnxmodel.Parse(model)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Graph.Nodes {
		ops = append(ops, n.Op)
	}
	for _, o := range m.Graph.Outputs {
		outputs = append(outputs, o.Name)
	}
	return ops, outputs
}

func TestExposeFeatureTiny(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		wantOps []string
		errHas  string
	}{
		{name: "gap on first node", spec: tinySpec("a", PoolGAP, 3), wantOps: []string{"Relu", "GlobalAveragePool", "Flatten"}},
		{name: "flatten keeps the chain", spec: tinySpec("b", PoolFlatten, 12), wantOps: []string{"Relu", "Neg", "Flatten"}},
		{name: "none on an existing output", spec: tinySpec("y", PoolNone, 12), wantOps: []string{"Relu", "Neg", "Sigmoid", "Identity"}},
		{name: "unknown feature", spec: tinySpec("fire9/concat_1", PoolGAP, 3), errHas: `no node of the graph produces the feature tensor "fire9/concat_1"`},
		{name: "graph input is not a feature", spec: tinySpec("x", PoolGAP, 3), errHas: "no node of the graph produces"},
		{name: "unknown input", spec: Spec{Name: "tiny", Input: "data_0", Feature: "a", Pooling: PoolGAP}, errHas: `no input "data_0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exposeFeature(tinyModel(), tt.spec)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("error = %v, want one containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ops, outputs := graphSummary(t, out)
			if !slices.Equal(ops, tt.wantOps) {
				t.Errorf("nodes = %v, want %v", ops, tt.wantOps)
			}
			if !slices.Equal(outputs, []string{FeatureOutput}) {
				t.Errorf("outputs = %v, want only %s", outputs, FeatureOutput)
			}
		})
	}
}

func TestExposeFeatureMalformed(t *testing.T) {
	tests := []struct {
		name  string
		model []byte
	}{
		{"empty", nil},
		{"garbage", []byte("this is not a protobuf \xff\xff\xff\xff")},
		{"no graph", protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := exposeFeature(tt.model, tinySpec("a", PoolGAP, 3)); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestExposeFeatureSqueezeNet edits the real model: the classifier after
// fire9 (dropout, conv10, relu, pool, softmax) must be pruned.
func TestExposeFeatureSqueezeNet(t *testing.T) {
	data, err := os.ReadFile(testenv.SqueezeNet(t))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Builtin("squeezenet")
	before, beforeOut := graphSummary(t, data)
	out, err := exposeFeature(data, s)
	if err != nil {
		t.Fatal(err)
	}
	after, outputs := graphSummary(t, out)
	if !slices.Equal(outputs, []string{FeatureOutput}) {
		t.Errorf("outputs = %v (were %v)", outputs, beforeOut)
	}
	if n := len(after); n >= len(before) || !slices.Equal(after[n-2:], []string{"GlobalAveragePool", "Flatten"}) {
		t.Errorf("nodes before %v\nafter %v", before, after)
	}
	if slices.Contains(after, "Softmax") {
		t.Error("the classifier was not pruned")
	}
	t.Logf("%d nodes -> %d, outputs %v -> %v", len(before), len(after), beforeOut, outputs)

	s.Feature = "fire9/concat_999"
	if _, err := exposeFeature(data, s); err == nil || !strings.Contains(err.Error(), "fire9/concat_999") {
		t.Errorf("wrong feature name: error = %v", err)
	}
}
