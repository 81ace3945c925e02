// Package embed turns photos into L2-normalised CNN feature vectors with
// ONNX Runtime, so that the cosine of two vectors measures visual similarity.
//
// A Spec says everything model-specific: which file, how to feed it and which
// internal tensor is the embedding. The feature tensor of a classification
// network is usually not a graph output, so Open edits the model bytes to
// expose it (graph.go) before creating the session.
package embed

import (
	"fmt"
	"slices"
	"strings"
)

// Pooling says how the feature tensor is reduced to one vector per image.
type Pooling string

const (
	// PoolGAP appends GlobalAveragePool + Flatten: for [N,C,H,W] feature maps.
	PoolGAP Pooling = "gap"
	// PoolFlatten appends Flatten only: for already pooled [N,C,1,1] tensors.
	PoolFlatten Pooling = "flatten"
	// PoolNone uses the tensor as it is: it is already [N,D].
	PoolNone Pooling = "none"
)

// Spec describes one embedding model: where its file comes from, how an
// image is fed to it and which tensor is the embedding.
type Spec struct {
	Name   string // short name used on the command line and in the store
	File   string // file name inside the model directory
	URL    string // where Fetch downloads it; empty when it cannot be downloaded
	SHA256 string // expected checksum of File; empty disables the check

	Input string // name of the graph input
	Size  int    // square input side; the photo is resized and centre-cropped to it

	BGR   bool       // channel order fed to the net: true for Caffe-born models
	Mean  [3]float32 // per channel, in the fed order, after Scale
	Std   [3]float32 // per channel, in the fed order; all zero means mean only
	Scale float32    // pixel scale before Mean/Std: 1 (0..255) or 1/255

	Feature string  // internal tensor holding the embedding
	Pooling Pooling // how Feature becomes one vector per image
	Dim     int     // length of the embedding

	// Base names the float model this one is quantized from on the user's
	// machine (Quantize); empty for models used as published.
	Base string

	// BenchOnly marks a model that exists for benchmarks (its features
	// mean nothing): listings for users leave it out.
	BenchOnly bool
}

// imageNetMean and imageNetStd are the usual torchvision/MXNet RGB
// statistics for pixels scaled to 0..1.
var (
	imageNetMean = [3]float32{0.485, 0.456, 0.406}
	imageNetStd  = [3]float32{0.229, 0.224, 0.225}
)

// builtins returns the models Simili knows. A function rather than a package
// variable so callers can never modify the shared table.
func builtins() []Spec {
	return append([]Spec{
		{
			// ONNX model zoo ResNet50 v2 (MXNet export). resnetv24_pool1_fwd is
			// the GlobalAveragePool output [N,2048,1,1] feeding the classifier
			// (resnetv24_flatten0_reshape0 -> resnetv24_dense0_fwd).
			Name:    "resnet50",
			File:    "resnet50-v2-7.onnx",
			URL:     "https://github.com/onnx/models/raw/main/validated/vision/classification/resnet/model/resnet50-v2-7.onnx",
			SHA256:  "79102261eb6e5fd7af5d27f41316293e388c5cb691e5d25bfb035c4f64fefe31",
			Input:   "data",
			Size:    224,
			Mean:    imageNetMean,
			Std:     imageNetStd,
			Scale:   1.0 / 255,
			Feature: "resnetv24_pool1_fwd",
			Pooling: PoolFlatten,
			Dim:     2048,
		},
		{
			// SqueezeNet 1.1 (Caffe-born): BGR, 0..255 minus the channel mean.
			// ImageNet RGB mean/std gives poor features with it. No public
			// URL for the fp32 file: it is imported from ../shared.
			Name:    "squeezenet",
			File:    "squeezenet1.1-fp32.onnx",
			SHA256:  "0fccde009e25d24dd3f0a8a6ccca04346d240a2bf04d8f36581071236f6d878c",
			Input:   "data_0",
			Size:    224,
			BGR:     true,
			Mean:    [3]float32{104, 117, 124},
			Scale:   1,
			Feature: "fire9/concat_1",
			Pooling: PoolGAP,
			Dim:     512,
		},
	}, benchSpecs()...)
}

// Names lists the built-in model names.
// Every float model has an int8 variant, listed after it.
func Names() []string {
	var names []string
	for _, s := range builtins() {
		names = append(names, s.Name, Int8(s).Name)
	}
	return names
}

// Builtin returns the spec of a built-in model by name.
func Builtin(name string) (Spec, error) {
	specs := builtins()
	if i := slices.IndexFunc(specs, func(s Spec) bool { return s.Name == name }); i >= 0 {
		return specs[i], nil
	}
	if base, ok := strings.CutSuffix(name, int8Suffix); ok {
		if i := slices.IndexFunc(specs, func(s Spec) bool { return s.Name == base }); i >= 0 {
			return Int8(specs[i]), nil
		}
	}
	return Spec{}, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(Names(), ", "))
}

const int8Suffix = "-int8"

// Int8 returns the spec of base's int8 variant. Its file is made from
// base's by Quantize on the user's machine, so it has no URL or checksum,
// and its name differs so that its vectors never mix with base's.
func Int8(base Spec) Spec {
	s := base
	s.Name = base.Name + int8Suffix
	s.File = strings.TrimSuffix(base.File, ".onnx") + int8Suffix + ".onnx"
	s.URL, s.SHA256 = "", ""
	s.Base = base.Name
	return s
}

// validate catches a malformed spec before any native code sees it.
func (s Spec) validate() error {
	switch {
	case s.Input == "":
		return fmt.Errorf("model %s: spec has no input tensor name", s.Name)
	case s.Feature == "":
		return fmt.Errorf("model %s: spec has no feature tensor name", s.Name)
	case s.Size <= 0:
		return fmt.Errorf("model %s: invalid input size %d", s.Name, s.Size)
	case s.Dim <= 0:
		return fmt.Errorf("model %s: invalid dimension %d", s.Name, s.Dim)
	case s.Scale == 0:
		return fmt.Errorf("model %s: pixel scale is zero", s.Name)
	}
	switch s.Pooling {
	case PoolGAP, PoolFlatten, PoolNone:
	default:
		return fmt.Errorf("model %s: unknown pooling %q (gap, flatten or none)", s.Name, s.Pooling)
	}
	return nil
}
