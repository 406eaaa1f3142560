/* buf.h - a growable byte buffer with a hard cap and simdjson padding.
 *
 * No Python. Memory comes from malloc/realloc, so a buffer may be filled
 * while the GIL is released.
 *
 * Ownership: an iot_buf owns `data`; iot_buf_free() releases it. Pointers
 * into `data` are valid until the next call that may grow the buffer.
 */
#ifndef IOT_BUF_H
#define IOT_BUF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes kept readable past `len`: at least simdjson::SIMDJSON_PADDING (64). */
#define IOT_BUF_PADDING 64

/* Return codes of the growing functions. */
#define IOT_BUF_OK 0
#define IOT_BUF_ENOMEM (-1)
#define IOT_BUF_ETOOBIG (-2)

typedef struct {
    char *data;    /* NULL until the first reserve; NUL-terminated when len>0 */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated, always >= len + IOT_BUF_PADDING */
    size_t limit;  /* hard cap on len; 0 means no cap */
} iot_buf;

void iot_buf_init(iot_buf *b, size_t limit);
/* Make room for `extra` more bytes (plus padding). IOT_BUF_OK, _ENOMEM, _ETOOBIG. */
int iot_buf_reserve(iot_buf *b, size_t extra);
int iot_buf_append(iot_buf *b, const void *p, size_t n);
int iot_buf_append_str(iot_buf *b, const char *s);
int iot_buf_append_char(iot_buf *b, char c);
/* Forget the contents, keep the allocation (for reuse across pages). */
void iot_buf_reset(iot_buf *b);
void iot_buf_free(iot_buf *b);

#ifdef __cplusplus
}
#endif

#endif
