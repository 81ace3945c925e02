// Package onnxmodel reads and writes the parts of an ONNX model that graph
// rewrites touch (opsets, nodes, initializers, inputs and outputs) straight
// from the protobuf wire format, keeping every other field byte for byte.
// It stands in for a generated ONNX protobuf package, which would bring
// thousands of generated lines for the few messages used here.
package onnxmodel

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of onnx.proto.
const (
	modelIRVersion = 1
	modelGraph     = 7
	modelOpset     = 8

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	valueInfoName = 1
	valueInfoType = 2

	typeTensor     = 1
	tensorElemType = 1
)

// Model is an ONNX ModelProto split into what rewrites change.
type Model struct {
	IRVersion int64
	Opsets    []Opset
	Graph     Graph
	rest      []byte // other ModelProto fields, as serialised
}

// Opset is one entry of ModelProto.opset_import.
type Opset struct {
	Domain  string
	Version int64
}

// Graph is a GraphProto. Its value_info (optional shape hints) is dropped
// on parsing: after a rewrite it may describe tensors that no longer exist.
type Graph struct {
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
	rest         []byte // name, doc string and other fields, as serialised
}

// ValueInfo is a graph input or output. A ValueInfo made by FloatOutput has
// no raw form and is written as a float tensor of unknown shape.
type ValueInfo struct {
	Name string
	raw  []byte // the ValueInfoProto, or nil
}

// FloatOutput declares a float tensor output of any shape.
func FloatOutput(name string) ValueInfo { return ValueInfo{Name: name} }

// Node is a NodeProto.
type Node struct {
	Name    string
	Op      string
	Domain  string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
	rest    []byte // doc string and other fields
}

// Parse splits a serialised ModelProto.
func Parse(b []byte) (*Model, error) {
	m := &Model{}
	graphs := 0
	err := forEach(b, "ONNX model", func(f field) error {
		switch {
		case f.num == modelIRVersion && f.typ == protowire.VarintType:
			m.IRVersion = int64(f.varint)
		case f.num == modelOpset && f.typ == protowire.BytesType:
			o, err := parseOpset(f.bytes)
			if err != nil {
				return err
			}
			m.Opsets = append(m.Opsets, o)
		case f.num == modelGraph && f.typ == protowire.BytesType:
			graphs++
			g, err := parseGraph(f.bytes)
			if err != nil {
				return err
			}
			m.Graph = g
		default:
			m.rest = append(m.rest, f.raw...)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case graphs != 1:
		return nil, fmt.Errorf("not an ONNX model: %d graphs", graphs)
	}
	return m, nil
}

// Marshal serialises the model.
func (m *Model) Marshal() []byte {
	var b []byte
	if m.IRVersion != 0 {
		b = protowire.AppendTag(b, modelIRVersion, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(m.IRVersion))
	}
	b = append(b, m.rest...)
	for _, o := range m.Opsets {
		var ob []byte
		ob = appendString(ob, opsetDomain, o.Domain)
		ob = protowire.AppendTag(ob, opsetVersion, protowire.VarintType)
		ob = protowire.AppendVarint(ob, uint64(o.Version))
		b = appendBytes(b, modelOpset, ob)
	}
	return appendBytes(b, modelGraph, m.Graph.marshal())
}

// Opset returns the version imported for domain ("" is the default
// domain), or 0.
func (m *Model) Opset(domain string) int64 {
	for _, o := range m.Opsets {
		if o.Domain == domain || (domain == "" && o.Domain == "ai.onnx") {
			return o.Version
		}
	}
	return 0
}

// SetOpset sets the version imported for domain.
func (m *Model) SetOpset(domain string, version int64) {
	for i, o := range m.Opsets {
		if o.Domain == domain || (domain == "" && o.Domain == "ai.onnx") {
			m.Opsets[i].Version = version
			return
		}
	}
	m.Opsets = append(m.Opsets, Opset{Domain: domain, Version: version})
}

func parseOpset(b []byte) (Opset, error) {
	var o Opset
	err := forEach(b, "ONNX opset", func(f field) error {
		switch {
		case f.num == opsetDomain && f.typ == protowire.BytesType:
			o.Domain = string(f.bytes)
		case f.num == opsetVersion && f.typ == protowire.VarintType:
			o.Version = int64(f.varint)
		}
		return nil
	})
	return o, err
}

func parseGraph(b []byte) (Graph, error) {
	var g Graph
	err := forEach(b, "ONNX graph", func(f field) error {
		if f.typ != protowire.BytesType {
			g.rest = append(g.rest, f.raw...)
			return nil
		}
		switch f.num {
		case graphNode:
			n, err := parseNode(f.bytes)
			if err != nil {
				return err
			}
			g.Nodes = append(g.Nodes, n)
		case graphInitializer:
			t, err := parseTensor(f.bytes)
			if err != nil {
				return err
			}
			g.Initializers = append(g.Initializers, t)
		case graphInput, graphOutput:
			name, err := stringField(f.bytes, valueInfoName, "ONNX value info")
			if err != nil {
				return err
			}
			vi := ValueInfo{Name: name, raw: f.bytes}
			if f.num == graphInput {
				g.Inputs = append(g.Inputs, vi)
			} else {
				g.Outputs = append(g.Outputs, vi)
			}
		case graphValueInfo:
		default:
			g.rest = append(g.rest, f.raw...)
		}
		return nil
	})
	return g, err
}

func (g *Graph) marshal() []byte {
	b := append([]byte(nil), g.rest...)
	for _, n := range g.Nodes {
		b = appendBytes(b, graphNode, n.marshal())
	}
	for _, t := range g.Initializers {
		b = appendBytes(b, graphInitializer, t.enc)
	}
	for _, in := range g.Inputs {
		b = appendBytes(b, graphInput, in.marshal())
	}
	for _, out := range g.Outputs {
		b = appendBytes(b, graphOutput, out.marshal())
	}
	return b
}

func (v ValueInfo) marshal() []byte {
	if v.raw != nil {
		return v.raw
	}
	var tensor, typ, b []byte
	tensor = protowire.AppendTag(tensor, tensorElemType, protowire.VarintType)
	tensor = protowire.AppendVarint(tensor, uint64(Float))
	typ = appendBytes(typ, typeTensor, tensor)
	b = appendString(b, valueInfoName, v.Name)
	return appendBytes(b, valueInfoType, typ)
}

func parseNode(b []byte) (Node, error) {
	var n Node
	err := forEach(b, "ONNX node", func(f field) error {
		if f.typ != protowire.BytesType {
			n.rest = append(n.rest, f.raw...)
			return nil
		}
		switch f.num {
		case nodeInput:
			n.Inputs = append(n.Inputs, string(f.bytes))
		case nodeOutput:
			n.Outputs = append(n.Outputs, string(f.bytes))
		case nodeName:
			n.Name = string(f.bytes)
		case nodeOpType:
			n.Op = string(f.bytes)
		case nodeDomain:
			n.Domain = string(f.bytes)
		case nodeAttribute:
			a, err := parseAttr(f.bytes)
			if err != nil {
				return err
			}
			n.Attrs = append(n.Attrs, a)
		default:
			n.rest = append(n.rest, f.raw...)
		}
		return nil
	})
	return n, err
}

func (n *Node) marshal() []byte {
	var b []byte
	for _, in := range n.Inputs {
		b = appendString(b, nodeInput, in)
	}
	for _, out := range n.Outputs {
		b = appendString(b, nodeOutput, out)
	}
	if n.Name != "" {
		b = appendString(b, nodeName, n.Name)
	}
	b = appendString(b, nodeOpType, n.Op)
	for _, a := range n.Attrs {
		b = appendBytes(b, nodeAttribute, a.raw)
	}
	if n.Domain != "" {
		b = appendString(b, nodeDomain, n.Domain)
	}
	return append(b, n.rest...)
}

// field is one field of a serialised message.
type field struct {
	num    protowire.Number
	typ    protowire.Type
	raw    []byte // tag and value, to copy the field unchanged
	bytes  []byte // value of a length-delimited field
	varint uint64 // value of a varint field
	fixed  uint64 // value of a fixed32 or fixed64 field
}

// forEach walks a serialised message's fields in order; what names the
// message in errors.
func forEach(b []byte, what string, fn func(field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("malformed %s: %w", what, protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return fmt.Errorf("malformed %s: %w", what, protowire.ParseError(m))
		}
		f := field{num: num, typ: typ, raw: b[:n+m]}
		switch typ {
		case protowire.BytesType:
			f.bytes, _ = protowire.ConsumeBytes(b[n:])
		case protowire.VarintType:
			f.varint, _ = protowire.ConsumeVarint(b[n:])
		case protowire.Fixed32Type:
			v, _ := protowire.ConsumeFixed32(b[n:])
			f.fixed = uint64(v)
		case protowire.Fixed64Type:
			f.fixed, _ = protowire.ConsumeFixed64(b[n:])
		}
		b = b[n+m:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

var errFound = errors.New("found")

// stringField reads the first length-delimited field num of a message.
func stringField(b []byte, num protowire.Number, what string) (string, error) {
	var s string
	err := forEach(b, what, func(f field) error {
		if f.num == num && f.typ == protowire.BytesType {
			s = string(f.bytes)
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		err = nil
	}
	return s, err
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}
