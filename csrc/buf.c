/* buf.c - see buf.h. No Python. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void
iot_buf_init(iot_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

int
iot_buf_reserve(iot_buf *b, size_t extra)
{
    size_t need, ncap;
    char *p;

    if (extra > ((size_t)-1) / 2 - b->len - IOT_BUF_PADDING) {
        return IOT_BUF_ETOOBIG;
    }
    if (b->limit && b->len + extra > b->limit) {
        return IOT_BUF_ETOOBIG;
    }
    need = b->len + extra + IOT_BUF_PADDING;
    if (need <= b->cap) {
        return IOT_BUF_OK;
    }
    ncap = b->cap ? b->cap : 256;
    while (ncap < need) {
        ncap *= 2;
    }
    p = realloc(b->data, ncap);
    if (p == NULL) {
        return IOT_BUF_ENOMEM;
    }
    /* Padding is readable and zeroed; simdjson only needs it readable. */
    memset(p + b->len, 0, ncap - b->len);
    b->data = p;
    b->cap = ncap;
    return IOT_BUF_OK;
}

int
iot_buf_append(iot_buf *b, const void *p, size_t n)
{
    int rc = iot_buf_reserve(b, n);
    if (rc != IOT_BUF_OK) {
        return rc;
    }
    if (n) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return IOT_BUF_OK;
}

int
iot_buf_append_str(iot_buf *b, const char *s)
{
    return iot_buf_append(b, s, strlen(s));
}

int
iot_buf_append_char(iot_buf *b, char c)
{
    return iot_buf_append(b, &c, 1);
}

void
iot_buf_reset(iot_buf *b)
{
    b->len = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

void
iot_buf_free(iot_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
