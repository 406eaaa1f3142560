/* uri.h - RFC 3986 encoding and the SigV4 canonical query/path.
 *
 * No Python. Shared by the request URL (pager.c) and SigV4 (sigv4.c), so the
 * bytes on the wire and the bytes signed are encoded by one function.
 * All output is appended to a caller-owned iot_buf; the caller frees it.
 * Every function returns IOT_BUF_OK (0) or a negative IOT_BUF_* code.
 */
#ifndef IOT_URI_H
#define IOT_URI_H

#include <stddef.h>
#include "buf.h"

typedef struct {
    const char *key;     /* raw (decoded) bytes, not NUL-terminated necessarily */
    size_t key_len;
    const char *value;   /* raw (decoded) bytes; may be "" */
    size_t value_len;
} iot_uri_param;

/* Percent-encode every byte that is not unreserved (A-Z a-z 0-9 - _ . ~),
 * as %XX with upper-case hex. With keep_slash, '/' is kept as is. */
int iot_uri_encode(iot_buf *out, const char *s, size_t n, int keep_slash);

/* Decode %XX escapes (a malformed escape is kept literally). '+' stays '+'. */
int iot_uri_decode(iot_buf *out, const char *s, size_t n);

/* The canonical query: each key and value encoded with iot_uri_encode
 * (keep_slash=0), pairs sorted by encoded key then encoded value (bytewise),
 * joined as k=v with '&'. The same string is used as the URL's query. */
int iot_uri_canonical_query(iot_buf *out, const iot_uri_param *params, size_t n);

/* The SigV4 canonical URI of a raw (decoded) path. With normalize, dot
 * segments are removed and repeated slashes collapsed (RFC 3986 5.2.4);
 * a trailing slash is kept; an empty path becomes "/". Each segment is then
 * encoded with iot_uri_encode (keep_slash=1). */
int iot_uri_canonical_path(iot_buf *out, const char *path, size_t n, int normalize);

#endif
