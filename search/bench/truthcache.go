package bench

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"unsafe"
)

// The exact top 10 of every query is the bench's own measuring rod, not
// Simili's work, and the slowest part of a search row after the build
// (1000 queries × 1M × 512 is 5·10¹¹ multiply-adds, 60–90 s on two cores).
// The vectors are drawn from a seeded generator, so the answer is the same
// every run: it is kept in the cache, under a key that hashes every vector
// and query actually drawn (not the seed), so a changed generator or
// distribution can never reuse a stale answer.

// truthKey accumulates the drawn vectors into the cache key.
type truthKey struct{ h hash.Hash }

func newTruthKey(n, dim, queries int) *truthKey {
	k := &truthKey{h: sha256.New()}
	fmt.Fprintf(k.h, "simili bench truth v1 %d %d %d\n", n, dim, queries)
	return k
}

// add hashes the bytes of v as laid out in memory: the key is only ever
// compared on the machine that wrote it.
func (k *truthKey) add(v []float32) {
	if len(v) > 0 {
		k.h.Write(unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v)))
	}
}

func (k *truthKey) path(dir string) string {
	return filepath.Join(dir, "truth-"+hex.EncodeToString(k.h.Sum(nil))[:32]+".bin")
}

const truthMagic = "SMLTRTH1"

// loadTruth reads the ids written by saveTruth for the given query count.
func loadTruth(path string, queries int) (all, filtered [][]int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	magic := make([]byte, len(truthMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != truthMagic {
		return nil, nil, errors.New("not a ground-truth file")
	}
	var q uint32
	if err := binary.Read(r, binary.LittleEndian, &q); err != nil || int(q) != queries {
		return nil, nil, fmt.Errorf("ground truth for %d queries, want %d (%v)", q, queries, err)
	}
	read := func() ([][]int64, error) {
		out := make([][]int64, queries)
		for i := range out {
			c, err := r.ReadByte()
			if err != nil {
				return nil, err
			}
			if c > 10 {
				return nil, errors.New("corrupt ground truth")
			}
			out[i] = make([]int64, c)
			if err := binary.Read(r, binary.LittleEndian, out[i]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if all, err = read(); err != nil {
		return nil, nil, fmt.Errorf("read ground truth %s: %w", path, err)
	}
	if filtered, err = read(); err != nil {
		return nil, nil, fmt.Errorf("read ground truth %s: %w", path, err)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return nil, nil, fmt.Errorf("ground truth %s: trailing data", path)
	}
	return all, filtered, nil
}

// saveTruth writes the ids through a temporary file and a rename, so a
// killed run leaves no half-written answer behind.
func saveTruth(path string, all, filtered [][]int64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".truth-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	w.WriteString(truthMagic)
	binary.Write(w, binary.LittleEndian, uint32(len(all)))
	for _, set := range [][][]int64{all, filtered} {
		for _, ids := range set {
			w.WriteByte(byte(len(ids)))
			binary.Write(w, binary.LittleEndian, ids)
		}
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
