//go:build cgo

// Separable resampling of opaque RGBA with 14-bit fixed-point weights; see
// resample.go. Plain C that the compiler vectorises: the vertical pass runs
// along contiguous bytes, the horizontal pass over taps.

#include "resample.h"

#include <string.h>

// The vertical pass is built for AVX2 and for the baseline, chosen when the
// library loads (an ifunc: x86-64 Linux); elsewhere the baseline alone.
#if defined(__x86_64__) && defined(__linux__)
#define RS_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RS_CLONES
#endif

static inline uint8_t px(int32_t v) {
	v >>= 14;
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

#if defined(__SSE2__)
#include <emmintrin.h>

// One output pixel from n taps: two source pixels per step, their
// channels paired as 16-bit lanes so one multiply-add applies both weights.
static inline void hpixel(const uint8_t *p, const int16_t *w, int n, uint8_t *d) {
	const __m128i zero = _mm_setzero_si128();
	__m128i acc = _mm_set1_epi32(1 << 13);
	int t = 0;
	for (; t + 1 < n; t += 2) {
		__m128i px = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(p + 4 * t)), zero);
		__m128i pairs = _mm_unpacklo_epi16(px, _mm_srli_si128(px, 8)); // r0 r1 g0 g1 b0 b1 a0 a1
		__m128i wv = _mm_set1_epi32((int)((uint16_t)w[t] | ((uint32_t)(uint16_t)w[t + 1] << 16)));
		acc = _mm_add_epi32(acc, _mm_madd_epi16(pairs, wv));
	}
	if (t < n) {
		int32_t v;
		memcpy(&v, p + 4 * t, 4);
		__m128i px = _mm_unpacklo_epi8(_mm_cvtsi32_si128(v), zero);
		__m128i pairs = _mm_unpacklo_epi16(px, zero);
		acc = _mm_add_epi32(acc, _mm_madd_epi16(pairs, _mm_set1_epi32((uint16_t)w[t])));
	}
	acc = _mm_srai_epi32(acc, 14);
	__m128i out = _mm_packus_epi16(_mm_packs_epi32(acc, zero), zero);
	uint32_t o = (uint32_t)_mm_cvtsi128_si32(out) | 0xff000000u; // opaque
	memcpy(d, &o, 4);
}
#else
static inline void hpixel(const uint8_t *p, const int16_t *w, int n, uint8_t *d) {
	int32_t acc[3] = {1 << 13, 1 << 13, 1 << 13};
	for (int t = 0; t < n; t++)
		for (int c = 0; c < 3; c++) acc[c] += w[t] * p[4 * t + c];
	for (int c = 0; c < 3; c++) d[c] = px(acc[c]);
	d[3] = 255;
}
#endif

// rs_opaque reports whether every pixel of the RGBA rows has alpha 255:
// Go's image.(*NRGBA).Opaque took 0.5 ms of CPU per 12-MP photo in an
// index run, a fifth of the resizing it guards.
int rs_opaque(const uint8_t *pix, int stride, int w, int h) {
	for (int y = 0; y < h; y++) {
		const uint8_t *row = pix + (size_t)y * stride;
		uint32_t all = 0xffffffffu;
		int x = 0;
		for (; x + 4 <= w; x += 4) { // four pixels a step, alpha bytes masked
			uint32_t a, b, c, d;
			memcpy(&a, row + 4 * x, 4);
			memcpy(&b, row + 4 * x + 4, 4);
			memcpy(&c, row + 4 * x + 8, 4);
			memcpy(&d, row + 4 * x + 12, 4);
			all &= a & b & c & d;
		}
		for (; x < w; x++) all &= (uint32_t)row[4 * x + 3] << 24 | 0x00ffffffu;
		if ((all >> 24) != 0xff) return 0;
	}
	return 1;
}

void rs_horizontal(const uint8_t *src, int sstride, int rows, uint8_t *dst, int dstride, int dw,
                   const int32_t *start, const int32_t *n, const int16_t *wt, int taps) {
	for (int y = 0; y < rows; y++) {
		const uint8_t *s = src + (size_t)y * sstride;
		uint8_t *d = dst + (size_t)y * dstride;
		for (int x = 0; x < dw; x++)
			hpixel(s + 4 * (size_t)start[x], wt + (size_t)x * taps, n[x], d + 4 * x);
	}
}

RS_CLONES
void rs_vertical(const uint8_t *src, int sstride, uint8_t *dst, int dstride, int dh, int rowbytes,
                 const int32_t *start, const int32_t *n, const int16_t *wt, int taps, int32_t *acc) {
	for (int y = 0; y < dh; y++) {
		for (int i = 0; i < rowbytes; i++) acc[i] = 1 << 13;
		for (int t = 0; t < n[y]; t++) {
			const uint8_t *s = src + (size_t)(start[y] + t) * sstride;
			int32_t w = wt[(size_t)y * taps + t];
			for (int i = 0; i < rowbytes; i++) acc[i] += w * s[i];
		}
		uint8_t *d = dst + (size_t)y * dstride;
		for (int i = 0; i < rowbytes; i++) d[i] = px(acc[i]);
	}
}
