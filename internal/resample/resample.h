#ifndef SIMILI_RESAMPLE_H
#define SIMILI_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

// Output pixel i reads n[i] source pixels (rows) from start[i] with weights
// wt[i*taps ...], 14-bit fixed point summing to 1<<14.
void rs_horizontal(const uint8_t *src, int sstride, int rows, uint8_t *dst, int dstride, int dw,
                   const int32_t *start, const int32_t *n, const int16_t *wt, int taps);
void rs_vertical(const uint8_t *src, int sstride, uint8_t *dst, int dstride, int dh, int rowbytes,
                 const int32_t *start, const int32_t *n, const int16_t *wt, int taps, int32_t *acc);

int rs_opaque(const uint8_t *pix, int stride, int w, int h);

#endif
