package catalog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/simili/simili/library/signature"
)

func TestSignatureRoundTripAndScope(t *testing.T) {
	ctx := context.Background()
	c, _ := openTest(t)
	// High bits set: the 64-bit patterns must survive SQLite's signed integers.
	s := signature.Signature{PHash: 0xfedcba9876543210, Centre: [2]uint64{1 << 63, 42}, Fine: [4]uint64{1, 1 << 63, 3, 0xffffffffffffffff}, Aspect: 1.5, Sharpness: 123.25}
	for _, h := range []string{"aa", "orphan"} {
		if err := c.PutSignature(ctx, h, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.PutPhoto(ctx, &Photo{Path: "/p/a.jpg", Size: 1, ModTime: time.Unix(1, 0), Hash: "aa"}, 1); err != nil {
		t.Fatal(err)
	}
	signed, err := c.SignedHashes(ctx)
	if err != nil || !signed["aa"] || !signed["orphan"] || len(signed) != 2 {
		t.Fatalf("SignedHashes = %v, %v", signed, err)
	}
	got, err := c.Signatures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["aa"] != s {
		t.Fatalf("Signatures = %+v, want only aa = %+v (no photo uses orphan)", got, s)
	}
	// An update replaces the stored values.
	s.PHash = 7
	if err := c.PutSignature(ctx, "aa", s); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Signatures(ctx); got["aa"].PHash != 7 {
		t.Fatalf("after update PHash = %x", got["aa"].PHash)
	}
}

func TestEmbeddingsOfReadsMany(t *testing.T) {
	ctx := context.Background()
	c, _ := openTest(t)
	var hashes []string
	for i := 0; i < 1203; i++ { // more than one chunk
		h := fmt.Sprintf("h%d", i)
		hashes = append(hashes, h)
		if i%3 == 0 {
			continue // no embedding
		}
		if err := c.PutEmbedding(ctx, h, "m", []float32{float32(i), 1}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.EmbeddingsOf(ctx, "m", hashes)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 802 {
		t.Fatalf("%d vectors, want 802", len(got))
	}
	if v := got["h1201"]; len(v) != 2 || v[0] != 1201 {
		t.Fatalf("h1201 = %v", v)
	}
	if _, ok := got["h1200"]; ok {
		t.Fatal("h1200 has no embedding but was returned")
	}
	if other, _ := c.EmbeddingsOf(ctx, "other", hashes); len(other) != 0 {
		t.Fatalf("another model's lookup returned %d", len(other))
	}
}
