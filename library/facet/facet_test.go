package facet

import (
	"math"
	"testing"
	"time"
)

func TestFilterMatch(t *testing.T) {
	at := time.Date(2023, 3, 2, 10, 0, 0, 0, time.UTC)
	m := Meta{TakenAt: at.Add(400 * time.Millisecond), Make: "Canon", Model: "Canon EOS R5", Lens: "RF24-105mm", Folder: "/a/b"}
	undated := m
	undated.TakenAt = time.Time{}
	tests := []struct {
		name string
		f    Filter
		m    Meta
		want bool
	}{
		{"zero filter", Filter{}, m, true},
		{"zero filter undated", Filter{}, undated, true},
		{"from inclusive, whole seconds", Filter{From: at}, m, true},
		{"from after", Filter{From: at.Add(time.Second)}, m, false},
		{"to inclusive, whole seconds", Filter{To: at}, m, true},
		{"to before", Filter{To: at.Add(-time.Second)}, m, false},
		{"from and to equal", Filter{From: at, To: at}, m, true},
		{"other time zone same instant", Filter{From: at.In(time.FixedZone("x", 3600)), To: at.In(time.FixedZone("y", -7200))}, m, true},
		{"undated fails from", Filter{From: at}, undated, false},
		{"undated fails to", Filter{To: at}, undated, false},
		{"camera model", Filter{Camera: "Canon EOS R5"}, m, true},
		{"camera make", Filter{Camera: "Canon"}, m, true},
		{"camera case-sensitive", Filter{Camera: "canon"}, m, false},
		{"camera no prefix", Filter{Camera: "Canon EOS"}, m, false},
		{"lens", Filter{Lens: "RF24-105mm"}, m, true},
		{"lens other", Filter{Lens: "RF"}, m, false},
		{"folder itself", Filter{Folder: "/a/b"}, m, true},
		{"folder trailing slash", Filter{Folder: "/a/b/"}, m, true},
		{"folder parent", Filter{Folder: "/a"}, m, true},
		{"folder root", Filter{Folder: "/"}, m, true},
		{"folder sibling prefix", Filter{Folder: "/a/bc"}, Meta{Folder: "/a/bc"}, true},
		{"folder not sibling", Filter{Folder: "/a/b"}, Meta{Folder: "/a/bc"}, false},
		{"folder child", Filter{Folder: "/a/b"}, Meta{Folder: "/a/b/c"}, true},
		{"all set", Filter{From: at, To: at, Camera: "Canon", Lens: "RF24-105mm", Folder: "/a"}, m, true},
		{"all set one fails", Filter{From: at, To: at, Camera: "Nikon", Lens: "RF24-105mm", Folder: "/a"}, m, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Match(tt.m); got != tt.want {
				t.Errorf("%+v.Match(%+v) = %v, want %v", tt.f, tt.m, got, tt.want)
			}
		})
	}
}

func TestFilterTimeBounds(t *testing.T) {
	at := time.Date(2023, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		f           Filter
		from, to    int64
		wantBounded bool
	}{
		{"none", Filter{Camera: "x"}, math.MinInt64, math.MaxInt64, false},
		{"from", Filter{From: at}, at.Unix(), math.MaxInt64, true},
		{"to", Filter{To: at}, math.MinInt64, at.Unix(), true},
		{"both", Filter{From: at, To: at.Add(time.Hour)}, at.Unix(), at.Unix() + 3600, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, ok := tt.f.TimeBounds()
			if from != tt.from || to != tt.to || ok != tt.wantBounded {
				t.Errorf("TimeBounds() = %d, %d, %v; want %d, %d, %v", from, to, ok, tt.from, tt.to, tt.wantBounded)
			}
		})
	}
}
