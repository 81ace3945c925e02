//go:build cgo && !noturbo

// dc8 decodes a baseline JPEG at 1/8 scale from the DC coefficients alone.
//
// At 1/8 scale every 8x8 block becomes one pixel, its DC coefficient, so
// the AC coefficients only need to be stepped over. libjpeg-turbo steps
// over them one Huffman symbol at a time; dc8 builds, per AC table, a
// lookup of the next DC8_LOOKUP bits that skips several symbols (with
// their extra bits) at once, which is where a 12-megapixel decode spends
// its time. Chroma comes from its own DC values, upsampled linearly.
//
// Anything but a single interleaved baseline Huffman scan of 8-bit YCbCr
// or grey is refused (DC8_UNSUPPORTED) so the caller can use
// libjpeg-turbo; damaged data is refused (DC8_CORRUPT) rather than
// guessed at.

#include "dc8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// DC8_LOOKUP bits index the AC skip tables: 16 KB each, two stay in L1.
#define DC8_LOOKUP 13
#define MAXC 3
// DC8_VLOOKUP bits index the symbol-and-value lookups (4 KB each).
#define DC8_VLOOKUP 10
// DC8_PAD zero bytes follow the destuffed data: a corrupt block may read
// 63 symbols of 31 bits (about 250 bytes) past the end before the check
// after it.
#define DC8_PAD 512

typedef struct {
	int present;
	// Canonical decoding, for codes longer than the lookups.
	int32_t maxcode[18];
	int32_t valoff[18];
	uint8_t vals[256];
	// Single symbol: bits 0-7 code length (0: longer than 9 bits), 8-15 symbol.
	uint16_t fast[1 << 9];
	// AC skip: bits 0-5 bits consumed, 6-11 coefficients advanced, bit 12
	// the run ended with EOB; 0 when the first symbol does not fit. 16-bit
	// entries let 13 bits index 16 KB: on the bench's 12-MP photos 9.0
	// lookups a block instead of 12 bits' 9.8, and a third of the slow steps.
	uint16_t skip[1 << DC8_LOOKUP];
	// One symbol with its extra bits: bits 0-7 consumed, 8-15 the symbol,
	// 16-31 the signed value; 0 when they do not fit in DC8_VLOOKUP bits.
	int32_t sv[1 << DC8_VLOOKUP];
} huff;

// bitreader reads a destuffed entropy segment, padded so that the 8-byte
// loads of refill never leave the buffer; refill is branchless and leaves
// at least 56 bits, enough for four table steps or one symbol with its
// extra bits.
typedef struct {
	const uint8_t *p;
	uint64_t buf;
	int bits;
} bitreader;

typedef struct {
	int id, h, v, tq;
	int td, ta;
	int bw, bh;  // blocks across and down, padded to whole MCUs
	int sx, sy;  // a subsampled direction's blocks give two pixels, else one
	int16_t *dc; // bw*sx x bh*sy pixel values
} component;

typedef struct {
	int w, hgt, nc, hmax, vmax, restart;
	int adobe, adobe_transform;
	uint16_t q[4][64];
	int qset[4];
	huff dc[4], ac[4];
	component comp[MAXC];
} decoder;

static int u16(const uint8_t *p) { return (p[0] << 8) | p[1]; }

// build fills h from a DHT's 16 code-length counts and its values; for an
// AC table also the skip lookup. Returns 0 when the counts overflow.
static int build(huff *h, const uint8_t *counts, const uint8_t *vals, int nvals, int is_ac) {
	memset(h, 0, sizeof *h);
	h->present = 1;
	memcpy(h->vals, vals, nvals);
	int code = 0, k = 0;
	uint16_t lens[256], codes[256];
	for (int l = 1; l <= 16; l++) {
		h->valoff[l] = k - code;
		for (int i = 0; i < counts[l - 1]; i++) {
			lens[k] = l;
			codes[k] = code;
			k++;
			code++;
		}
		h->maxcode[l] = counts[l - 1] ? code - 1 : -1;
		if (code > (1 << l)) return 0;
		code <<= 1;
	}
	h->maxcode[17] = 0x7fffffff;
	for (int i = 0; i < k; i++) {
		if (lens[i] <= 9) {
			int shift = 9 - lens[i];
			for (int j = 0; j < (1 << shift); j++)
				h->fast[(codes[i] << shift) | j] = lens[i] | (vals[i] << 8);
		}
	}
	for (int i = 0; i < k; i++) {
		int l = lens[i], sz = vals[i] & 15;
		if (l + sz > DC8_VLOOKUP) continue;
		if (is_ac && sz == 0) continue; // EOB and ZRL: the caller decides
		int shift = DC8_VLOOKUP - l;
		for (int j = 0; j < (1 << shift); j++) {
			int extra = sz ? j >> (shift - sz) : 0;
			int v = sz && extra < (1 << (sz - 1)) ? extra - ((1 << sz) - 1) : extra;
			h->sv[(codes[i] << shift) | j] = (int32_t)((uint32_t)(l + sz) | ((uint32_t)vals[i] << 8) | ((uint32_t)v << 16));
		}
	}
	if (!is_ac) return 1;
	// Chain symbols through each DC8_LOOKUP-bit pattern.
	for (int idx = 0; idx < (1 << DC8_LOOKUP); idx++) {
		int pos = 0, adv = 0, eob = 0;
		for (;;) {
			int rem = DC8_LOOKUP - pos;
			if (rem <= 0) break;
			int bitsv = (idx << pos) & ((1 << DC8_LOOKUP) - 1); // remaining bits, left aligned
			int l, sym = -1;
			for (l = 1; l <= rem; l++) {
				int c = bitsv >> (DC8_LOOKUP - l);
				if (h->maxcode[l] >= 0 && c <= h->maxcode[l]) {
					sym = vals[h->valoff[l] + c];
					break;
				}
			}
			if (sym < 0) break;
			int s = sym & 15, r = sym >> 4;
			if (l + s > rem) break;
			if (sym == 0) {
				pos += l;
				eob = 1;
				break;
			}
			if (s == 0 && r != 15) break; // undefined symbol: leave it to the slow path
			int na = adv + (s ? r + 1 : 16);
			if (na > 63) break; // past any block's end (and adv's 6 bits)
			adv = na;
			pos += l + s;
		}
		if (pos > 0 && (adv > 0 || eob))
			h->skip[idx] = (uint16_t)(pos | (adv << 6) | (eob << 12));
	}
	return 1;
}

static inline void refill(bitreader *br) {
	uint64_t w;
	memcpy(&w, br->p, 8);
	br->buf |= __builtin_bswap64(w) >> br->bits;
	br->p += (63 - br->bits) >> 3;
	br->bits |= 56;
}

static inline void drop(bitreader *br, int n) {
	br->buf <<= n & 63; // n < 64: the mask is x86's own, so it costs nothing
	br->bits -= n;
}

// symbol decodes one Huffman symbol; -1 on an invalid code. Needs 16 bits.
static inline int symbol(bitreader *br, const huff *h) {
	uint16_t f = h->fast[br->buf >> (64 - 9)];
	if (f & 0xff) {
		drop(br, f & 0xff);
		return f >> 8;
	}
	for (int l = 10; l <= 16; l++) {
		int32_t c = (int32_t)(br->buf >> (64 - l));
		if (c <= h->maxcode[l]) {
			drop(br, l);
			return h->vals[h->valoff[l] + c];
		}
	}
	return -1;
}

static inline int receive_extend(bitreader *br, int s) {
	if (s == 0) return 0;
	int v = (int)(br->buf >> (64 - s));
	drop(br, s);
	if (v < (1 << (s - 1))) v -= (1 << s) - 1;
	return v;
}

// ac_symbol decodes one AC symbol into its run and size (refilling
// first: the extra bits fit too); 0 on an invalid code.
static inline int ac_symbol(bitreader *br, const huff *act, int *r, int *s) {
	refill(br);
	int rs = symbol(br, act);
	if (rs < 0) return 0;
	*r = rs >> 4;
	*s = rs & 15;
	return 1;
}

// block decodes one block's DC difference and steps over its AC
// coefficients. Returns 0 on corrupt data.
static inline int block(bitreader *br, const huff *dct, const huff *act, int *diff, int need, int *vals) {
	refill(br);
	int32_t e0 = dct->sv[br->buf >> (64 - DC8_VLOOKUP)];
	if (__builtin_expect(e0 != 0, 1)) {
		if (((e0 >> 8) & 0xff) > 11) return 0;
		drop(br, e0 & 0xff);
		*diff = e0 >> 16;
	} else {
		int t = symbol(br, dct);
		if (t < 0 || t > 11) return 0;
		*diff = receive_extend(br, t); // 16 + 11 bits: within one refill
	}
	int k = 1;
	// The first coefficients a subsampled component needs, one by one.
	while (k <= need) {
		int r, s;
		refill(br);
		int32_t e1 = act->sv[br->buf >> (64 - DC8_VLOOKUP)];
		if (__builtin_expect(e1 != 0, 1)) {
			drop(br, e1 & 0xff);
			k += (e1 >> 12) & 15;
			if (k > 63) return 0;
			if (k <= need) vals[k] = e1 >> 16;
			k++;
			continue;
		}
		if (!ac_symbol(br, act, &r, &s)) return 0;
		if (s == 0) {
			if (r != 15) return 1; // EOB
			k += 16;
			continue;
		}
		k += r;
		if (k > 63) return 0;
		int v = receive_extend(br, s);
		if (k <= need) vals[k] = v;
		k++;
	}
	if (k >= 64) return k == 64;
	const uint16_t *skip = act->skip;
	for (;;) {
		refill(br);
		// 4 steps of at most DC8_LOOKUP bits, unrolled: a loop counter
		// would be one more register the loop does not have.
#define STEP                                                                   \
	{                                                                          \
		uint32_t e = skip[br->buf >> (64 - DC8_LOOKUP)];                       \
		int adv = (e >> 6) & 63, eob = e >> 12;                                \
		if (__builtin_expect(e == 0 || k + adv + eob > 64, 0)) goto slow;      \
		drop(br, e & 63);                                                      \
		k += adv;                                                              \
		if (eob || k == 64) return 1;                                          \
	}
		STEP STEP STEP STEP
#undef STEP
		continue;
	slow:;
		int r, s;
		if (!ac_symbol(br, act, &r, &s)) return 0;
		if (s == 0) {
			if (r != 15) return 1; // EOB
			k += 16;
		} else {
			k += r + 1;
			drop(br, s);
		}
		if (k >= 64) return k == 64;
	}
}

// put stores a block's pixels. A block of a component subsampled in a
// direction gives two pixels in it, the means of its halves: the DC plus
// the first cosine of that direction (zig-zag 1 across, 2 down, 4 both),
// whose mean over a half is ±0.6407 (sum of cos((2x+1)π/16), x < 4, over
// 4). In 16-bit fixed point: DC/8 → 8192, 0.6407·C(1)·C(0)/4 = 0.11326 →
// 7423, 0.6407²/4 = 0.10262 → 6726. libjpeg-turbo's 2×2 IDCT also counts
// the 3rd, 5th and 7th cosines; they are small in photos. Unsplit blocks
// are libjpeg's 1×1 IDCT exactly: DC/8 rounded, centred on 128.
static inline void put(component *cp, const uint16_t *q, int dc, const int *ac, int bx, int by) {
	size_t stride = (size_t)cp->bw * cp->sx;
	int16_t *o = cp->dc + (size_t)by * cp->sy * stride + (size_t)bx * cp->sx;
	if (cp->sx == 1 && cp->sy == 1) {
		int v = ((dc * q[0] + 4) >> 3) + 128;
		o[0] = (int16_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		return;
	}
	int64_t base = (int64_t)dc * q[0] * 8192 + 32768;
	int64_t fx = cp->sx > 1 ? (int64_t)ac[1] * q[1] * 7423 : 0;
	int64_t fy = cp->sy > 1 ? (int64_t)ac[2] * q[2] * 7423 : 0;
	int64_t fxy = cp->sx > 1 && cp->sy > 1 ? (int64_t)ac[4] * q[4] * 6726 : 0;
	for (int j = 0; j < cp->sy; j++) {
		int sj = j ? -1 : 1;
		for (int i = 0; i < cp->sx; i++) {
			int si = i ? -1 : 1;
			int64_t v = ((base + si * fx + sj * fy + si * sj * fxy) >> 16) + 128;
			o[(size_t)j * stride + i] = (int16_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
}

// destuff copies the entropy-coded data from p up to the marker that ends
// the scan, dropping stuffed zeros and fill bytes, and records where each
// restart interval starts. Returns the marker's address, or NULL.
static const uint8_t *destuff(const uint8_t *p, const uint8_t *end, uint8_t *out, size_t *outlen,
                              size_t *starts, int maxstarts, int *nstarts) {
	size_t n = 0;
	int ns = 1;
	starts[0] = 0;
	while (p < end) {
		const uint8_t *ff = memchr(p, 0xFF, (size_t)(end - p));
		if (!ff) ff = end;
		memcpy(out + n, p, (size_t)(ff - p));
		n += (size_t)(ff - p);
		p = ff;
		if (p + 1 >= end) break;
		uint8_t m = p[1];
		if (m == 0x00) {
			out[n++] = 0xFF;
			p += 2;
		} else if (m == 0xFF) {
			p++; // fill byte
		} else if (m >= 0xD0 && m <= 0xD7) {
			if (((m - 0xD0) & 7) != ((ns - 1) & 7) || ns >= maxstarts) return NULL;
			starts[ns++] = n;
			p += 2;
		} else {
			*outlen = n;
			*nstarts = ns;
			return p;
		}
	}
	return NULL; // no EOI: truncated
}

static int decode_scan(decoder *d, const uint8_t *p, const uint8_t *end) {
	int ns = p[0];
	if (ns != d->nc) return DC8_UNSUPPORTED; // not one interleaved scan
	int order[MAXC];
	for (int i = 0; i < ns; i++) {
		int id = p[1 + 2 * i], t = p[2 + 2 * i];
		int ci = -1;
		for (int c = 0; c < d->nc; c++)
			if (d->comp[c].id == id) ci = c;
		if (ci < 0) return DC8_CORRUPT;
		order[i] = ci;
		d->comp[ci].td = t >> 4;
		d->comp[ci].ta = t & 15;
		if (d->comp[ci].td > 3 || d->comp[ci].ta > 3) return DC8_CORRUPT;
		if (!d->dc[d->comp[ci].td].present || !d->ac[d->comp[ci].ta].present) return DC8_CORRUPT;
	}
	const uint8_t *q = p + 1 + 2 * ns;
	if (q[0] != 0 || q[1] != 63 || q[2] != 0) return DC8_UNSUPPORTED;
	q += 3;

	int mcux = (d->w + 8 * d->hmax - 1) / (8 * d->hmax);
	int mcuy = (d->hgt + 8 * d->vmax - 1) / (8 * d->vmax);
	if (d->nc == 1) { // a single component is not interleaved: one block per MCU
		mcux = (d->w + 7) / 8;
		mcuy = (d->hgt + 7) / 8;
		d->comp[0].h = d->comp[0].v = 1;
		d->hmax = d->vmax = 1;
	}
	for (int c = 0; c < d->nc; c++) {
		component *cp = &d->comp[c];
		cp->bw = mcux * cp->h;
		cp->bh = mcuy * cp->v;
		cp->sx = cp->h < d->hmax ? 2 : 1;
		cp->sy = cp->v < d->vmax ? 2 : 1;
		cp->dc = malloc((size_t)cp->bw * cp->sx * cp->bh * cp->sy * sizeof(int16_t));
		if (!cp->dc) return DC8_NOMEM;
	}
	size_t cap = (size_t)(end - q);
	uint8_t *clean = malloc(cap + DC8_PAD);
	int nmcu = mcux * mcuy;
	int maxstarts = d->restart ? nmcu / d->restart + 2 : 1;
	size_t *starts = malloc(sizeof(size_t) * (size_t)(maxstarts + 1));
	if (!clean || !starts) {
		free(clean);
		free(starts);
		return DC8_NOMEM;
	}
	size_t clen = 0;
	int nstarts = 0;
	int rc = DC8_CORRUPT;
	if (!destuff(q, end, clean, &clen, starts, maxstarts, &nstarts)) goto out;
	memset(clean + clen, 0, DC8_PAD);
	starts[nstarts] = clen;
	int per = d->restart ? d->restart : nmcu;
	if ((nmcu + per - 1) / per > nstarts) goto out; // intervals missing
	const uint8_t *limit = clean + clen + 8;
	int mcu = 0;
	for (int iv = 0; mcu < nmcu; iv++) {
		bitreader br = {clean + starts[iv], 0, 0};
		int pred[MAXC] = {0};
		for (int left = per; left > 0 && mcu < nmcu; left--, mcu++) {
			int my = mcu / mcux, mx = mcu % mcux;
			for (int i = 0; i < ns; i++) {
				component *cp = &d->comp[order[i]];
				const huff *dct = &d->dc[cp->td], *act = &d->ac[cp->ta];
				for (int by = 0; by < cp->v; by++) {
					for (int bx = 0; bx < cp->h; bx++) {
						int diff, ac[5];
						ac[1] = ac[2] = ac[4] = 0; // what put reads: not a memset per block
						int split = cp->sx * cp->sy > 1;
						if (!block(&br, dct, act, &diff, split ? 4 : 0, ac)) goto out;
						pred[order[i]] += diff;
						// An 8-bit baseline DC coefficient lies within ±2047.
						if (pred[order[i]] < -2048 || pred[order[i]] > 2047) goto out;
						put(cp, d->q[cp->tq], pred[order[i]], ac, mx * cp->h + bx, my * cp->v + by);
						if (br.p > limit) goto out;
					}
				}
			}
		}
		// Bits read = bytes loaded less those still buffered.
		size_t used = (size_t)(br.p - (clean + starts[iv])) * 8 - (size_t)br.bits;
		if (used > (starts[iv + 1] - starts[iv]) * 8) goto out; // ran past its interval
	}
	// From here on a component's pixels are its "blocks".
	for (int c = 0; c < d->nc; c++) {
		component *cp = &d->comp[c];
		cp->h *= cp->sx;
		cp->bw *= cp->sx;
		cp->v *= cp->sy;
		cp->bh *= cp->sy;
	}
	rc = DC8_OK;
out:
	free(clean);
	free(starts);
	return rc;
}

// colmap holds, per output column, the two blocks of a subsampled
// component it lies between and the weight of the second (8 bits).
typedef struct {
	int *x0, *x1, *wx;
} colmap;

static int map_cols(colmap *m, const component *cp, int hmax, int ow) {
	m->x0 = malloc(sizeof(int) * 3 * (size_t)ow);
	if (!m->x0) return 0;
	m->x1 = m->x0 + ow;
	m->wx = m->x1 + ow;
	for (int x = 0; x < ow; x++) {
		// Block centres: output pixel x sits at block (x+0.5)*h/hmax - 0.5.
		int fx = ((2 * x + 1) * cp->h * 256 / hmax - 256) / 2;
		if (fx < 0) fx = 0;
		m->x0[x] = fx >> 8;
		m->wx[x] = fx & 255;
		m->x1[x] = m->x0[x] + 1 < cp->bw ? m->x0[x] + 1 : m->x0[x];
	}
	return 1;
}

// upsample_row writes row y of component cp at output resolution,
// interpolating linearly between the centres of subsampled blocks.
static void upsample_row(const component *cp, const colmap *m, int vmax, int y, int ow, int *out) {
	if (!m->x0) {
		const int16_t *row = cp->dc + (size_t)y * cp->bw;
		for (int x = 0; x < ow; x++) out[x] = row[x];
		return;
	}
	int fy = ((2 * y + 1) * cp->v * 256 / vmax - 256) / 2;
	if (fy < 0) fy = 0;
	int y0 = fy >> 8, wy = fy & 255;
	int y1 = y0 + 1 < cp->bh ? y0 + 1 : y0;
	const int16_t *r0 = cp->dc + (size_t)y0 * cp->bw, *r1 = cp->dc + (size_t)y1 * cp->bw;
	for (int x = 0; x < ow; x++) {
		int a = m->x0[x], b = m->x1[x], wx = m->wx[x];
		int top = r0[a] * (256 - wx) + r0[b] * wx;
		int bot = r1[a] * (256 - wx) + r1[b] * wx;
		out[x] = (top * (256 - wy) + bot * wy + (1 << 15)) >> 16;
	}
}

static uint8_t clamp8(int v) { return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v; }

static int finish(decoder *d, uint8_t *out, int stride) {
	int ow = (d->w + 7) / 8, oh = (d->hgt + 7) / 8;
	int *rows = malloc(sizeof(int) * 3 * (size_t)ow);
	colmap maps[MAXC] = {{0}};
	int rc = DC8_NOMEM;
	if (!rows) goto out;
	for (int c = 0; c < d->nc; c++)
		if ((d->comp[c].h != d->hmax || d->comp[c].v != d->vmax) && !map_cols(&maps[c], &d->comp[c], d->hmax, ow)) goto out;
	// JFIF's YCbCr to RGB, 16-bit fixed point as libjpeg's.
	const int cr_r = 91881, cb_g = 22554, cr_g = 46802, cb_b = 116130;
	for (int y = 0; y < oh; y++) {
		uint8_t *o = out + (size_t)y * stride;
		if (d->nc == 1) {
			upsample_row(&d->comp[0], &maps[0], d->vmax, y, ow, rows);
			for (int x = 0; x < ow; x++) {
				uint8_t g = (uint8_t)rows[x];
				o[4 * x] = o[4 * x + 1] = o[4 * x + 2] = g;
				o[4 * x + 3] = 255;
			}
			continue;
		}
		for (int c = 0; c < 3; c++) upsample_row(&d->comp[c], &maps[c], d->vmax, y, ow, rows + c * ow);
		for (int x = 0; x < ow; x++) {
			int yy = rows[x], cb = rows[ow + x] - 128, cr = rows[2 * ow + x] - 128;
			o[4 * x] = clamp8(yy + ((cr_r * cr + 32768) >> 16));
			o[4 * x + 1] = clamp8(yy + ((-cb_g * cb - cr_g * cr + 32768) >> 16));
			o[4 * x + 2] = clamp8(yy + ((cb_b * cb + 32768) >> 16));
			o[4 * x + 3] = 255;
		}
	}
	rc = DC8_OK;
out:
	for (int c = 0; c < MAXC; c++) free(maps[c].x0);
	free(rows);
	return rc;
}

static void release(decoder *d) {
	for (int c = 0; c < MAXC; c++) free(d->comp[c].dc);
	free(d);
}

// dc8_decode decodes data into out (RGBA, (w+7)/8 x (h+7)/8, stride bytes a
// row). w and h must be the frame's, as read by the caller's header parse.
int dc8_decode(const uint8_t *data, size_t len, uint8_t *out, int stride, int ow, int oh) {
	if (len < 4 || data[0] != 0xFF || data[1] != 0xD8) return DC8_CORRUPT;
	decoder *d = calloc(1, sizeof *d);
	if (!d) return DC8_NOMEM;
	const uint8_t *p = data + 2, *end = data + len;
	int rc = DC8_CORRUPT, sof = 0;
	while (p + 4 <= end) {
		if (p[0] != 0xFF) goto done;
		int m = p[1];
		if (m == 0xFF) {
			p++;
			continue;
		}
		if (m == 0xD9) break;
		if (m >= 0xD0 && m <= 0xD7) {
			p += 2;
			continue;
		}
		int L = u16(p + 2);
		if (L < 2 || p + 2 + L > end) goto done;
		const uint8_t *s = p + 4, *se = p + 2 + L;
		switch (m) {
		case 0xC0:
		case 0xC1: {
			if (sof || L < 8) goto done;
			sof = 1;
			if (s[0] != 8) {
				rc = DC8_UNSUPPORTED;
				goto done;
			}
			d->hgt = u16(s + 1);
			d->w = u16(s + 3);
			d->nc = s[5];
			if (d->w <= 0 || d->hgt <= 0) goto done;
			if (d->nc != 1 && d->nc != 3) {
				rc = DC8_UNSUPPORTED;
				goto done;
			}
			if (L < 8 + 3 * d->nc) goto done;
			for (int c = 0; c < d->nc; c++) {
				component *cp = &d->comp[c];
				cp->id = s[6 + 3 * c];
				cp->h = s[7 + 3 * c] >> 4;
				cp->v = s[7 + 3 * c] & 15;
				cp->tq = s[8 + 3 * c];
				if (cp->h < 1 || cp->h > 4 || cp->v < 1 || cp->v > 4 || cp->tq > 3) goto done;
				if (cp->h > d->hmax) d->hmax = cp->h;
				if (cp->v > d->vmax) d->vmax = cp->v;
			}
			for (int c = 0; c < d->nc; c++) // fractional sampling (e.g. 3:1) is rare: leave it
				if (d->hmax % d->comp[c].h || d->vmax % d->comp[c].v) {
					rc = DC8_UNSUPPORTED;
					goto done;
				}
			if ((d->w + 7) / 8 != ow || (d->hgt + 7) / 8 != oh) goto done;
			break;
		}
		case 0xC4:
			while (s < se) {
				if (se - s < 17) goto done;
				int tc = s[0] >> 4, th = s[0] & 15, n = 0;
				if (tc > 1 || th > 3) goto done;
				for (int i = 0; i < 16; i++) n += s[1 + i];
				if (n > 256 || se - s < 17 + n) goto done;
				if (!build(tc ? &d->ac[th] : &d->dc[th], s + 1, s + 17, n, tc)) goto done;
				s += 17 + n;
			}
			break;
		case 0xDB:
			while (s < se) {
				int pq = s[0] >> 4, tq = s[0] & 15;
				if (tq > 3 || pq > 1 || se - s < 1 + 64 * (pq + 1)) goto done;
				for (int i = 0; i < 64; i++) d->q[tq][i] = pq ? u16(s + 1 + 2 * i) : s[1 + i];
				d->qset[tq] = 1;
				s += 1 + 64 * (pq + 1);
			}
			break;
		case 0xDD:
			if (L < 4) goto done;
			d->restart = u16(s);
			break;
		case 0xEE:
			if (L >= 14 && memcmp(s, "Adobe", 5) == 0) {
				d->adobe = 1;
				d->adobe_transform = s[11];
			}
			break;
		case 0xDA: {
			if (!sof) goto done;
			// RGB rather than YCbCr: an Adobe marker saying so, or (as libjpeg
			// guesses) components named R, G, B without one.
			if (d->nc == 3 && ((d->adobe && d->adobe_transform == 0) ||
			                   (!d->adobe && d->comp[0].id == 'R' && d->comp[1].id == 'G' && d->comp[2].id == 'B'))) {
				rc = DC8_UNSUPPORTED;
				goto done;
			}
			for (int c = 0; c < d->nc; c++)
				if (!d->qset[d->comp[c].tq]) goto done;
			if (L < 6 + 2 * s[0]) goto done;
			rc = decode_scan(d, s, end);
			if (rc != DC8_OK) goto done;
			rc = finish(d, out, stride);
			goto done;
		}
		default:
			if ((m >= 0xC2 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC) {
				rc = DC8_UNSUPPORTED; // progressive, lossless, arithmetic
				goto done;
			}
		}
		p += 2 + L;
	}
done:
	release(d);
	return rc;
}
