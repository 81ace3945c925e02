package desktop

import (
	"testing"
	"time"

	"github.com/simili/simili/library/catalog"
)

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	c := newLRU[string, int](2)
	c.Put("a", 1)
	c.Put("b", 2)
	c.Get("a")
	c.Put("c", 3)
	if _, ok := c.Get("b"); ok {
		t.Fatal("b should have been evicted")
	}
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatal("a lost")
	}
	if c.Len() != 2 {
		t.Fatalf("len %d", c.Len())
	}
}

func TestHistoryLikeABrowser(t *testing.T) {
	h := newHistory[int]()
	if h.CanBack() || h.CanForward() {
		t.Fatal("empty history can move")
	}
	h.Visit(1)
	h.Visit(2)
	h.Visit(3)
	if v, _ := h.Back(); v != 2 {
		t.Fatalf("back to %d", v)
	}
	h.Visit(4) // drops 3
	if h.CanForward() {
		t.Fatal("forward after a new visit")
	}
	if v, _ := h.Back(); v != 2 {
		t.Fatalf("back to %d", v)
	}
	if v, _ := h.Forward(); v != 4 {
		t.Fatalf("forward to %d", v)
	}
}

func TestPhotoFields(t *testing.T) {
	p := catalog.Photo{
		TakenAt: time.Date(2007, 8, 3, 14, 5, 6, 0, time.UTC), Make: "Panasonic", Model: "DMC-FX33",
		FocalLengthMM: 4.6, FNumber: 2.8, ExposureSec: 0.004, ISO: 100, Width: 1024, Height: 768,
		GPS: &catalog.GPS{Lat: 48.85661, Lon: 2.35222}, Format: "jpeg", Size: 250_000,
	}
	want := map[string]string{
		"Taken": "2007-08-03 14:05:06", "Camera": "Panasonic DMC-FX33", "Focal length": "4.6 mm",
		"Aperture": "f/2.8", "Exposure": "1/250 s", "ISO": "100", "Size": "1024 × 768 px (0.8 MP)",
		"GPS": "48.85661, 2.35222", "File": "JPEG, 244 KB",
	}
	got := map[string]string{}
	for _, f := range photoFields(p) {
		got[f.Label] = f.Value
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["Lens"]; ok {
		t.Error("empty lens shown")
	}
	if c := camera("Canon", "Canon PowerShot A60"); c != "Canon PowerShot A60" {
		t.Errorf("camera %q", c)
	}
}

func TestMilvusSettingRoundTrip(t *testing.T) {
	s := milvusURL("db.local:19530", "root:secret", true)
	addr, token, tls := parseMilvus(s)
	if addr != "db.local:19530" || token != "root:secret" || !tls {
		t.Fatalf("%s → %s %s %v", s, addr, token, tls)
	}
}
