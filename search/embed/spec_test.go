package embed

import (
	"strings"
	"testing"
)

func TestBuiltin(t *testing.T) {
	tests := []struct {
		name    string
		dim     int
		feature string
		pooling Pooling
		bgr     bool
		sha     bool
	}{
		{"resnet50", 2048, "resnetv24_pool1_fwd", PoolFlatten, false, true},
		{"squeezenet", 512, "fire9/concat_1", PoolGAP, true, true},
	}
	if benchBuild {
		tests = append(tests, struct {
			name    string
			dim     int
			feature string
			pooling Pooling
			bgr     bool
			sha     bool
		}{"resnet50-random", 2048, "feature", PoolNone, false, false})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Builtin(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tt.name || s.Dim != tt.dim || s.Feature != tt.feature || s.Pooling != tt.pooling || s.BGR != tt.bgr {
				t.Errorf("Builtin(%q) = %+v", tt.name, s)
			}
			if (s.SHA256 != "") != tt.sha || (s.SHA256 != "" && len(s.SHA256) != 64) {
				t.Errorf("sha256 %q", s.SHA256)
			}
			if s.Size != 224 || s.File == "" || s.Input == "" {
				t.Errorf("incomplete spec %+v", s)
			}
			if err := s.validate(); err != nil {
				t.Error(err)
			}
		})
	}
	if got := len(Names()); got != 2*len(tests) { // each with its int8 variant
		t.Errorf("Names() has %d entries, want %d", got, 2*len(tests))
	}
}

func TestBuiltinUnknown(t *testing.T) {
	_, err := Builtin("vgg16")
	if err == nil {
		t.Fatal("no error for an unknown model")
	}
	for _, name := range Names() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list %q", err, name)
		}
	}
}

// TestBuiltinIsACopy guards against a caller changing the shared table.
func TestBuiltinIsACopy(t *testing.T) {
	s, _ := Builtin("squeezenet")
	s.Mean[0] = 0
	s2, _ := Builtin("squeezenet")
	if s2.Mean[0] != 104 {
		t.Fatal("Builtin returned shared state")
	}
}

func TestSpecValidate(t *testing.T) {
	good, _ := Builtin("squeezenet")
	tests := []struct {
		name   string
		change func(*Spec)
	}{
		{"no input", func(s *Spec) { s.Input = "" }},
		{"no feature", func(s *Spec) { s.Feature = "" }},
		{"no size", func(s *Spec) { s.Size = 0 }},
		{"no dim", func(s *Spec) { s.Dim = 0 }},
		{"no scale", func(s *Spec) { s.Scale = 0 }},
		{"bad pooling", func(s *Spec) { s.Pooling = "max" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.change(&s)
			if err := s.validate(); err == nil {
				t.Error("no error")
			}
		})
	}
}
