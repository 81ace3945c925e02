#ifndef SIMILI_DC8_H
#define SIMILI_DC8_H

#include <stddef.h>
#include <stdint.h>

enum { DC8_OK = 0, DC8_UNSUPPORTED = 1, DC8_CORRUPT = 2, DC8_NOMEM = 3 };

// dc8_decode decodes the JPEG in data at 1/8 scale into out: RGBA, ow x oh
// pixels ((width+7)/8 by (height+7)/8, which it checks against the frame),
// stride bytes a row. data is only read.
int dc8_decode(const uint8_t *data, size_t len, uint8_t *out, int stride, int ow, int oh);

#endif
