/* uri.c - RFC 3986 percent-encoding, the SigV4 canonical query and path.
 * See uri.h. No Python.
 *
 * Every function first reserves its exact output size, so a caller's buffer
 * cap is only ever hit when the real output does not fit, and out->data is
 * a valid NUL-terminated string after a successful call (even when nothing
 * was appended). On failure `out` is left as it was.
 */
#include "uri.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char hex_upper[] = "0123456789ABCDEF";

/* RFC 3986 2.3: ALPHA / DIGIT / "-" / "." / "_" / "~". No locale. */
static int
is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '_' || c == '.' || c == '~';
}

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Undo a partial append: forget everything past `mark`. */
static void
rollback(iot_buf *b, size_t mark)
{
    if (b->data != NULL) {
        b->len = mark;
        b->data[mark] = '\0';
    }
}

/* The length of iot_uri_encode's output for s[0..n), or SIZE_MAX when it
 * would not fit in a size_t. */
static size_t
encoded_length(const unsigned char *s, size_t n, int keep_slash)
{
    size_t i, len = 0;

    for (i = 0; i < n; i++) {
        int keep = is_unreserved(s[i]) || (keep_slash && s[i] == '/');
        size_t w = keep ? 1 : 3;
        if (len > SIZE_MAX - w) {
            return SIZE_MAX;
        }
        len += w;
    }
    return len;
}

/* Append the encoding of s[0..n) into room already reserved in `out`. */
static void
encode_into(iot_buf *out, const unsigned char *s, size_t n, int keep_slash)
{
    char *w = out->data + out->len;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            *w++ = (char)c;
        }
        else {
            *w++ = '%';
            *w++ = hex_upper[c >> 4];
            *w++ = hex_upper[c & 0x0F];
        }
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
}

/* Appends to out (caller-owned). */
int
iot_uri_encode(iot_buf *out, const char *s, size_t n, int keep_slash)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len;
    int rc;

    len = encoded_length(p, n, keep_slash);
    if (len == SIZE_MAX) {
        rc = IOT_BUF_ETOOBIG;
        goto done;
    }
    rc = iot_buf_reserve(out, len);
    if (rc != IOT_BUF_OK) {
        goto done;
    }
    encode_into(out, p, n, keep_slash);
done:
    return rc;
}

/* Appends to out (caller-owned). */
int
iot_uri_decode(iot_buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i;
    char *w;
    int rc;

    /* The output is never longer than the input. */
    rc = iot_buf_reserve(out, n);
    if (rc != IOT_BUF_OK) {
        goto done;
    }
    w = out->data + out->len;
    for (i = 0; i < n; i++) {
        int hi, lo;
        if (p[i] == '%' && n - i > 2
            && (hi = hex_value(p[i + 1])) >= 0
            && (lo = hex_value(p[i + 2])) >= 0)
        {
            *w++ = (char)((hi << 4) | lo);
            i += 2;
        }
        else {
            *w++ = (char)p[i];
        }
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
done:
    return rc;
}

/* One encoded pair. While encoding, the offsets index the scratch buffer;
 * once it stops growing they are turned into pointers for sorting. */
typedef struct {
    size_t key_off;
    size_t key_len;
    size_t value_off;
    size_t value_len;
    const char *key;
    const char *value;
} encoded_pair;

static int
compare_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0) {
        return c;
    }
    return (alen > blen) - (alen < blen);
}

/* qsort comparator: encoded key, then encoded value, bytewise. */
static int
compare_pairs(const void *pa, const void *pb)
{
    const encoded_pair *a = pa;
    const encoded_pair *b = pb;
    int c = compare_bytes(a->key, a->key_len, b->key, b->key_len);
    if (c != 0) {
        return c;
    }
    return compare_bytes(a->value, a->value_len, b->value, b->value_len);
}

/* Appends to out (caller-owned); params are borrowed for the call. */
int
iot_uri_canonical_query(iot_buf *out, const iot_uri_param *params, size_t n)
{
    encoded_pair *pairs = NULL;
    iot_buf scratch;
    size_t mark = out->len;
    size_t i, total = 0;
    int rc;

    iot_buf_init(&scratch, 0);
    rc = iot_buf_reserve(out, 0);
    if (rc != IOT_BUF_OK || n == 0) {
        goto done;
    }
    if (n > SIZE_MAX / sizeof(*pairs)) {
        rc = IOT_BUF_ETOOBIG;
        goto error;
    }
    pairs = malloc(n * sizeof(*pairs));
    if (pairs == NULL) {
        rc = IOT_BUF_ENOMEM;
        goto error;
    }
    for (i = 0; i < n; i++) {
        pairs[i].key_off = scratch.len;
        rc = iot_uri_encode(&scratch, params[i].key, params[i].key_len, 0);
        if (rc != IOT_BUF_OK) {
            goto error;
        }
        pairs[i].key_len = scratch.len - pairs[i].key_off;
        pairs[i].value_off = scratch.len;
        rc = iot_uri_encode(&scratch, params[i].value, params[i].value_len, 0);
        if (rc != IOT_BUF_OK) {
            goto error;
        }
        pairs[i].value_len = scratch.len - pairs[i].value_off;
    }
    /* scratch no longer grows: pointers into it are stable. Its length
     * bounds the sum of the pairs, so `total` cannot overflow. */
    for (i = 0; i < n; i++) {
        pairs[i].key = scratch.data + pairs[i].key_off;
        pairs[i].value = scratch.data + pairs[i].value_off;
    }
    qsort(pairs, n, sizeof(*pairs), compare_pairs);

    total = scratch.len + 2 * n - 1;   /* '=' per pair, '&' between pairs */
    rc = iot_buf_reserve(out, total);
    if (rc != IOT_BUF_OK) {
        goto error;
    }
    for (i = 0; i < n; i++) {
        if (i > 0) {
            iot_buf_append_char(out, '&');
        }
        iot_buf_append(out, pairs[i].key, pairs[i].key_len);
        iot_buf_append_char(out, '=');
        iot_buf_append(out, pairs[i].value, pairs[i].value_len);
    }
    goto done;

error:
    rollback(out, mark);
done:
    free(pairs);
    iot_buf_free(&scratch);
    return rc;
}

/* Remove the last segment of a normalised path being built at out[start..]:
 * "/a/b" -> "/a", "/a" -> "/". Encoded segments hold no '/', so the last
 * '/' is the segment boundary. */
static void
pop_segment(iot_buf *out, size_t start)
{
    size_t i = out->len;

    while (i > start && out->data[i - 1] != '/') {
        i--;
    }
    /* i - 1 is the '/' before the last segment; keep the root slash. */
    if (i - 1 > start) {
        out->len = i - 1;
    }
    else {
        out->len = start + 1;
    }
    out->data[out->len] = '\0';
}

/* The normalising form: segments are appended as "/seg1/seg2" without a
 * trailing slash while walking, so "." and ".." only touch the tail. */
static int
append_normalized(iot_buf *out, const char *path, size_t n)
{
    size_t start = out->len;
    size_t pos = 0;
    int trailing = 0;
    int rc;

    rc = iot_buf_append_char(out, '/');
    if (rc != IOT_BUF_OK) {
        goto done;
    }
    if (n > 0 && path[0] == '/') {
        pos = 1;
    }
    while (pos <= n) {
        const char *seg = path + pos;
        const char *slash = pos < n ? memchr(seg, '/', n - pos) : NULL;
        size_t len = slash ? (size_t)(slash - seg) : n - pos;
        int last = (slash == NULL);

        trailing = 0;
        if (len == 0 || (len == 1 && seg[0] == '.')) {
            /* "//" collapses and "/./" vanishes; at the end they leave a
             * directory, so the trailing slash stays. */
            trailing = last;
        }
        else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            pop_segment(out, start);
            trailing = last;
        }
        else {
            if (out->len > start + 1) {
                rc = iot_buf_append_char(out, '/');
                if (rc != IOT_BUF_OK) {
                    goto done;
                }
            }
            rc = iot_uri_encode(out, seg, len, 1);
            if (rc != IOT_BUF_OK) {
                goto done;
            }
        }
        pos += len + 1;
    }
    if (trailing && out->len > start + 1) {
        rc = iot_buf_append_char(out, '/');
    }
done:
    return rc;
}

/* Appends to out (caller-owned). A path that does not start with '/' is
 * taken as if it did: the canonical URI is always absolute. */
int
iot_uri_canonical_path(iot_buf *out, const char *path, size_t n, int normalize)
{
    size_t mark = out->len;
    int rc;

    rc = iot_buf_reserve(out, 0);
    if (rc != IOT_BUF_OK) {
        goto done;
    }
    if (normalize) {
        rc = append_normalized(out, path, n);
    }
    else {
        if (n == 0 || path[0] != '/') {
            rc = iot_buf_append_char(out, '/');
            if (rc != IOT_BUF_OK) {
                goto error;
            }
        }
        rc = iot_uri_encode(out, path, n, 1);
    }
    if (rc != IOT_BUF_OK) {
        goto error;
    }
    goto done;

error:
    rollback(out, mark);
done:
    return rc;
}
