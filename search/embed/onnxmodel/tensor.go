package onnxmodel

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// DataType is TensorProto.DataType.
type DataType int32

// The element types rewrites read or write.
const (
	Float DataType = 1
	Uint8 DataType = 2
	Int8  DataType = 3
	Int32 DataType = 6
	Int64 DataType = 7
)

// TensorProto field numbers.
const (
	tensorDims         = 1
	tensorDataType     = 2
	tensorFloatData    = 4
	tensorName         = 8
	tensorRawData      = 9
	tensorExternalData = 13
	tensorDataLocation = 14
)

// Tensor is an initializer: its name, shape and type parsed, its data kept
// as serialised until asked for.
type Tensor struct {
	Name     string
	Dims     []int64
	Type     DataType
	external bool   // data lives in another file, which this package never reads
	enc      []byte // the TensorProto
}

// Len is the number of elements.
func (t Tensor) Len() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

func parseTensor(b []byte) (Tensor, error) {
	t := Tensor{enc: b}
	err := forEach(b, "ONNX tensor", func(f field) error {
		switch f.num {
		case tensorName:
			t.Name = string(f.bytes)
		case tensorDataType:
			t.Type = DataType(f.varint)
		case tensorDims:
			if f.typ == protowire.VarintType {
				t.Dims = append(t.Dims, int64(f.varint))
				break
			}
			for p := f.bytes; len(p) > 0; {
				v, n := protowire.ConsumeVarint(p)
				if n < 0 {
					return fmt.Errorf("malformed ONNX tensor dims: %w", protowire.ParseError(n))
				}
				t.Dims = append(t.Dims, int64(v))
				p = p[n:]
			}
		case tensorDataLocation:
			t.external = t.external || f.varint == 1
		case tensorExternalData:
			t.external = true
		}
		return nil
	})
	return t, err
}

// Floats returns a float tensor's values, from raw_data or float_data.
func (t Tensor) Floats() ([]float32, error) {
	switch {
	case t.Type != Float:
		return nil, fmt.Errorf("tensor %q has type %d, not float", t.Name, t.Type)
	case t.external:
		return nil, fmt.Errorf("tensor %q keeps its data in an external file (not supported)", t.Name)
	}
	n := t.Len()
	var out []float32
	err := forEach(t.enc, "ONNX tensor", func(f field) error {
		switch {
		case f.num == tensorRawData && f.typ == protowire.BytesType:
			if int64(len(f.bytes)) != 4*n {
				return fmt.Errorf("tensor %q: %d raw bytes for %d floats", t.Name, len(f.bytes), n)
			}
			out = make([]float32, n)
			for i := range out {
				out[i] = math.Float32frombits(binary.LittleEndian.Uint32(f.bytes[4*i:]))
			}
		case f.num == tensorFloatData && f.typ == protowire.BytesType: // packed
			for p := f.bytes; len(p) >= 4; p = p[4:] {
				out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(p)))
			}
		case f.num == tensorFloatData && f.typ == protowire.Fixed32Type:
			out = append(out, math.Float32frombits(uint32(f.fixed)))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if int64(len(out)) != n {
		return nil, fmt.Errorf("tensor %q: %d values for shape %v", t.Name, len(out), t.Dims)
	}
	return out, nil
}

// NewTensor encodes a tensor from little-endian raw data.
func NewTensor(name string, typ DataType, dims []int64, raw []byte) Tensor {
	var b, d []byte
	for _, v := range dims {
		d = protowire.AppendVarint(d, uint64(v))
	}
	b = appendBytes(b, tensorDims, d)
	b = protowire.AppendTag(b, tensorDataType, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(typ))
	b = appendString(b, tensorName, name)
	b = appendBytes(b, tensorRawData, raw)
	return Tensor{Name: name, Dims: append([]int64(nil), dims...), Type: typ, enc: b}
}

// FloatTensor encodes float values.
func FloatTensor(name string, dims []int64, v []float32) Tensor {
	raw := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return NewTensor(name, Float, dims, raw)
}

// Int8Tensor encodes int8 values.
func Int8Tensor(name string, dims []int64, v []int8) Tensor {
	raw := make([]byte, len(v))
	for i, x := range v {
		raw[i] = byte(x)
	}
	return NewTensor(name, Int8, dims, raw)
}

// Uint8Tensor encodes uint8 values.
func Uint8Tensor(name string, dims []int64, v []uint8) Tensor {
	return NewTensor(name, Uint8, dims, append([]byte(nil), v...))
}

// Int32Tensor encodes int32 values.
func Int32Tensor(name string, dims []int64, v []int32) Tensor {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], uint32(x))
	}
	return NewTensor(name, Int32, dims, raw)
}
