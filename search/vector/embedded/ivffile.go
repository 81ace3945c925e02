package embedded

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
)

// The IVF index is saved next to the snapshot, in vectors.ivf, so Open does
// not retrain it (seconds to tens of seconds at 1M records). It is a cache:
// a missing, stale or damaged file is ignored and the index is rebuilt in
// the background while exact scans answer.
//
//	"SMLVIVF5" | generation u64 (the snapshot's) | dim u32 | records u64
//	| nlist u32 | coarse count u32 | built u64
//	| probes for the top 10 u32 | for the top 100 u32 (0: not calibrated)
//	| coarse groups ranked for the top 10 u32 | for the top 100 u32
//	| records when calibrated u64
//	| slack for the top 10 f32 | for the top 100 f32
//	| (coarse+1) × group start u32 | coarse × dim × f32 | nlist × dim × f32
//	| dim × f32 (the records' mean) | records × list u32 (by snapshot order;
//	nlist = tail)
//	| CRC-32C u32 of every byte before it
const (
	ivfFile  = "vectors.ivf"
	ivfMagic = "SMLVIVF6"
	// Older files load uncalibrated and are measured again (a second or
	// two after opening; the default probe answers meanwhile): SMLVIVF5
	// lacks the slack (probeslack.go), SMLVIVF4 also the calibration's
	// record count, SMLVIVF3 holds probe counts for ranking every list,
	// SMLVIVF2 none. SMLVIVF1 (no mean) is rebuilt.
	ivfMagicV5 = "SMLVIVF5"
	ivfMagicV4 = "SMLVIVF4"
	ivfMagicV3 = "SMLVIVF3"
	ivfMagicV2 = "SMLVIVF2"
)

// writeIVF writes v for the records of a snapshot of generation gen to path
// (a temp file) and fsyncs it.
func writeIVF(path string, gen uint64, v *ivf) (err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(path)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	h := crc32.New(crcTable)
	w := io.MultiWriter(bw, h)
	b := append([]byte(nil), ivfMagic...)
	b = appendU64(b, gen)
	b = appendU32(b, uint32(v.dim))
	b = appendU64(b, uint64(len(v.of)))
	b = appendU32(b, uint32(v.nlist))
	b = appendU32(b, uint32(len(v.groups)-1))
	b = appendU64(b, uint64(v.built))
	b = appendU32(b, uint32(v.cal.probe10))
	b = appendU32(b, uint32(v.cal.probe100))
	b = appendU32(b, uint32(v.cal.groups10))
	b = appendU32(b, uint32(v.cal.groups100))
	b = appendU64(b, uint64(v.cal.at))
	b = appendU32(b, math.Float32bits(v.cal.slack10))
	b = appendU32(b, math.Float32bits(v.cal.slack100))
	for _, g := range v.groups {
		b = appendU32(b, uint32(g))
	}
	b = appendFloats(b, v.coarse, 1)
	b = appendFloats(b, v.cents, 1)
	b = appendFloats(b, v.mean, 1)
	for _, l := range v.of {
		b = appendU32(b, uint32(l))
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	if _, err := bw.Write(le.AppendUint32(nil, h.Sum32())); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Sync()
}

// readIVF loads the index saved for generation gen over n records of
// dimension dim. Any mismatch or damage is an error; callers rebuild.
func readIVF(path string, gen uint64, n, dim int) (*ivf, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < len(ivfMagic)+8+4+8+4+4+8+4 {
		return nil, errors.New("not an IVF index file")
	}
	var calFields int // u32s of calibration (the record count: 2)
	switch string(b[:len(ivfMagic)]) {
	case ivfMagic:
		calFields = 8
	case ivfMagicV5:
		calFields = 6
	case ivfMagicV4:
		calFields = 4
	case ivfMagicV3:
		calFields = 2
	case ivfMagicV2:
	default:
		return nil, errors.New("not an IVF index file")
	}
	body, sum := b[:len(b)-4], le.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, crcTable) != sum {
		return nil, errors.New("checksum mismatch")
	}
	r := body[len(ivfMagic):]
	u32 := func() uint32 { x := le.Uint32(r); r = r[4:]; return x }
	u64 := func() uint64 { x := le.Uint64(r); r = r[8:]; return x }
	if g, d, m := u64(), int(u32()), u64(); g != gen || d != dim || m != uint64(n) {
		return nil, fmt.Errorf("for generation %d, %d-d, %d records; want %d, %d-d, %d", g, d, m, gen, dim, n)
	}
	nlist, nc, built := uint64(u32()), uint64(u32()), u64()
	if len(r) < 4*calFields {
		return nil, errors.New("truncated calibration")
	}
	var cal calibration
	if calFields == 8 {
		cal = calibration{probe10: int(u32()), probe100: int(u32()), groups10: int(u32()), groups100: int(u32())}
		cal.at = int(u64())
		cal.slack10, cal.slack100 = math.Float32frombits(u32()), math.Float32frombits(u32())
		if cal.probe10 > int(nlist) || cal.probe100 > int(nlist) || cal.groups10 > int(nc) || cal.groups100 > int(nc) ||
			!(cal.slack10 >= 0) || !(cal.slack100 >= 0) {
			return nil, fmt.Errorf("calibration %+v for %d lists in %d groups", cal, nlist, nc)
		}
		if cal.probe10 == 0 {
			cal = calibration{}
		}
	} else {
		r = r[4*calFields:] // an older calibration: measured again
	}
	if want := (nc+1)*4 + (nc+nlist+1)*uint64(dim)*4 + uint64(n)*4; uint64(len(r)) != want || nlist == 0 || nc == 0 {
		return nil, fmt.Errorf("%d bytes of body, want %d", len(r), want)
	}
	v := &ivf{dim: dim, nlist: int(nlist), built: int(built), groups: make([]int32, nc+1), cal: cal}
	for g := range v.groups {
		v.groups[g] = int32(u32())
		if v.groups[g] > int32(nlist) || (g > 0 && v.groups[g] < v.groups[g-1]) {
			return nil, errors.New("bad group table")
		}
	}
	if v.groups[0] != 0 || v.groups[nc] != int32(nlist) {
		return nil, errors.New("bad group table")
	}
	floats := func(k uint64) []float32 {
		out := make([]float32, k)
		for i := range out {
			out[i] = math.Float32frombits(u32())
		}
		return out
	}
	v.coarse = floats(nc * uint64(dim))
	v.cents = floats(nlist * uint64(dim))
	v.mean = floats(uint64(dim))
	of := make([]int32, n)
	for i := range of {
		l := u32()
		if l > uint32(nlist) {
			return nil, fmt.Errorf("record %d in list %d of %d", i, l, nlist)
		}
		of[i] = int32(l)
	}
	v.fill(n, of)
	v.stale = len(v.lists[v.tail()])
	v.encodeCentroids()
	return v, nil
}
