package onnxmodel

import (
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// AttributeProto field numbers and types.
const (
	attrName   = 1
	attrF      = 2
	attrI      = 3
	attrG      = 6
	attrGraphs = 11
	attrType   = 20

	attrTypeFloat = 1
	attrTypeInt   = 2
)

// Attr is a node attribute; only float and int values are decoded.
type Attr struct {
	Name     string
	i        int64
	f        float32
	hasI     bool
	hasF     bool
	subgraph bool
	raw      []byte
}

func parseAttr(b []byte) (Attr, error) {
	a := Attr{raw: b}
	err := forEach(b, "ONNX attribute", func(f field) error {
		switch {
		case f.num == attrName && f.typ == protowire.BytesType:
			a.Name = string(f.bytes)
		case f.num == attrI && f.typ == protowire.VarintType:
			a.i, a.hasI = int64(f.varint), true
		case f.num == attrF && f.typ == protowire.Fixed32Type:
			a.f, a.hasF = math.Float32frombits(uint32(f.fixed)), true
		case (f.num == attrG || f.num == attrGraphs) && f.typ == protowire.BytesType:
			a.subgraph = true
		}
		return nil
	})
	return a, err
}

// IntAttr makes an int attribute.
func IntAttr(name string, v int64) Attr {
	var b []byte
	b = appendString(b, attrName, name)
	b = protowire.AppendTag(b, attrI, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(v))
	b = protowire.AppendTag(b, attrType, protowire.VarintType)
	b = protowire.AppendVarint(b, attrTypeInt)
	return Attr{Name: name, i: v, hasI: true, raw: b}
}

// Int returns an int attribute's value.
func (a Attr) Int() (int64, bool) { return a.i, a.hasI }

// Float returns a float attribute's value.
func (a Attr) Float() (float32, bool) { return a.f, a.hasF }

// Attr returns the node's attribute called name.
func (n *Node) Attr(name string) (Attr, bool) {
	i := slices.IndexFunc(n.Attrs, func(a Attr) bool { return a.Name == name })
	if i < 0 {
		return Attr{}, false
	}
	return n.Attrs[i], true
}

// DropAttr removes the attribute called name.
func (n *Node) DropAttr(name string) {
	n.Attrs = slices.DeleteFunc(n.Attrs, func(a Attr) bool { return a.Name == name })
}

// HasSubgraph reports whether the node carries a graph (If, Loop, Scan),
// whose implicit inputs this package cannot see.
func (n *Node) HasSubgraph() bool {
	return slices.ContainsFunc(n.Attrs, func(a Attr) bool { return a.subgraph })
}

// Producers maps each tensor written by a node to that node's index.
func (g *Graph) Producers() map[string]int {
	p := map[string]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			p[o] = i
		}
	}
	return p
}

// Consumers maps each tensor to the indexes of the nodes reading it.
func (g *Graph) Consumers() map[string][]int {
	c := map[string][]int{}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" {
				c[in] = append(c[in], i)
			}
		}
	}
	return c
}

// Initializer returns the initializer called name.
func (g *Graph) Initializer(name string) (Tensor, bool) {
	i := slices.IndexFunc(g.Initializers, func(t Tensor) bool { return t.Name == name })
	if i < 0 {
		return Tensor{}, false
	}
	return g.Initializers[i], true
}

// KeepOnly removes every node that none of roots depends on, then the
// initializers and inputs no remaining node reads (old IR versions list
// every weight as an input too), and
// makes roots the graph's outputs (float, shape left to the runtime).
func (g *Graph) KeepOnly(roots ...string) error {
	if slices.ContainsFunc(g.Nodes, func(n Node) bool { return n.HasSubgraph() }) {
		return fmt.Errorf("graph has control-flow subgraphs, which cannot be pruned safely")
	}
	prod := g.Producers()
	keep := make([]bool, len(g.Nodes))
	var stack []int
	for _, r := range roots {
		i, ok := prod[r]
		if !ok {
			return fmt.Errorf("no node of the graph produces %q", r)
		}
		stack = append(stack, i)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if keep[i] {
			continue
		}
		keep[i] = true
		for _, in := range g.Nodes[i].Inputs {
			if j, ok := prod[in]; ok && !keep[j] {
				stack = append(stack, j)
			}
		}
	}
	var nodes []Node
	read := map[string]bool{}
	for i, n := range g.Nodes {
		if keep[i] {
			nodes = append(nodes, n)
			for _, in := range n.Inputs {
				read[in] = true
			}
		}
	}
	g.Nodes = nodes
	g.Initializers = slices.DeleteFunc(g.Initializers, func(t Tensor) bool { return !read[t.Name] })
	g.Inputs = slices.DeleteFunc(g.Inputs, func(v ValueInfo) bool { return !read[v.Name] })
	g.Outputs = g.Outputs[:0]
	for _, r := range roots {
		g.Outputs = append(g.Outputs, FloatOutput(r))
	}
	return nil
}
