/* http.h - the libcurl transport. No Python.
 *
 * One iot_http per iterator: one easy handle driven through its own multi
 * handle, so a transfer can be advanced in slices (iot_http_step) and the
 * caller can check for signals between slices, or be woken from another
 * thread. The connection is kept alive and reused across requests.
 *
 * Threads: an iot_http is used by one thread at a time; only
 * iot_http_wakeup may be called from another thread.
 * Memory: malloc only (usable while the GIL is released).
 */
#ifndef IOT_HTTP_H
#define IOT_HTTP_H

#include <stddef.h>
#include "buf.h"

typedef struct {
    long connect_timeout_ms;   /* 0: curl's default */
    long read_timeout_ms;      /* no byte received for this long fails the transfer; 0: none */
    int verify;                /* 1: verify the peer's certificate and host name */
    const char *ca_bundle;     /* NULL: the system's bundle */
    const char *proxy;         /* NULL: curl's default (the *_proxy variables); "" : none */
    const char *user_agent;    /* NULL: none sent */
    size_t max_body;           /* a body larger than this fails with IOT_HTTP_E_TOO_BIG; 0: no cap */
    int join_folds;            /* obs-fold continuation lines: 0 keeps them as http.client
                                * does ("a\r\n b"); 1 joins them with one space, as
                                * urllib3 >= 2.8 does ("a b") */
} iot_http_config;

typedef enum {
    IOT_HTTP_OK = 0,
    IOT_HTTP_E_CONNECT,          /* could not connect (refused, DNS, ...) */
    IOT_HTTP_E_CONNECT_TIMEOUT,
    IOT_HTTP_E_READ_TIMEOUT,
    IOT_HTTP_E_CLOSED,           /* reset or closed mid-response, body short of Content-Length */
    IOT_HTTP_E_SSL,
    IOT_HTTP_E_PROXY,
    IOT_HTTP_E_TOO_BIG,
    IOT_HTTP_E_NOMEM,
    IOT_HTTP_E_ABORTED,          /* iot_http_abort */
    IOT_HTTP_E_OTHER
} iot_http_error;

/* iot_http_step results */
#define IOT_HTTP_RUNNING 0
#define IOT_HTTP_DONE 1
#define IOT_HTTP_FAILED 2

typedef struct {
    const char *name;   /* as received, not NUL-terminated */
    size_t name_len;
    const char *value;  /* leading and trailing white space removed */
    size_t value_len;
} iot_http_header;

typedef struct iot_http iot_http;

/* Idempotent, thread-safe curl_global_init. 0 or -1. */
int iot_http_global_init(void);

/* New transport; cfg's strings are copied. NULL on failure. Free with iot_http_free. */
iot_http *iot_http_new(const iot_http_config *cfg);
void iot_http_free(iot_http *h);

/* Begin a GET. headers are "Name: value" strings (copied). The previous
 * response, if any, is discarded. 0, or -1 (out of memory / curl error). */
int iot_http_start(iot_http *h, const char *url, const char *const *headers, size_t nheaders);

/* The same for any method: "GET" (body ignored), or another method with
 * body[0..body_len) (copied; NULL with 0 for none). A header line "Name:"
 * (nothing after the colon) drops a header curl would add itself. */
int iot_http_start_request(iot_http *h, const char *method, const char *url,
                           const char *const *headers, size_t nheaders, const char *body,
                           size_t body_len);

/* Advance the transfer, waiting at most timeout_ms for socket activity.
 * Returns IOT_HTTP_RUNNING, IOT_HTTP_DONE (a complete response of any
 * status) or IOT_HTTP_FAILED (see iot_http_error_kind). */
int iot_http_step(iot_http *h, int timeout_ms);

/* Stop a transfer in progress; its connection is not reused. */
void iot_http_abort(iot_http *h);

/* Wake a thread blocked in iot_http_step. Safe from any thread. */
void iot_http_wakeup(iot_http *h);

/* Results; valid after DONE or FAILED until the next iot_http_start. */
long iot_http_status(const iot_http *h);
iot_buf *iot_http_body(iot_http *h);           /* padded for simdjson; owned by h */
/* Swap the response body with the caller's `spare` buffer (both stay
 * allocated): the caller then owns the body, and h writes the next one
 * into the other buffer, so a body can be read while the next request
 * runs. Call only between transfers. */
void iot_http_take_body(iot_http *h, iot_buf *spare);
size_t iot_http_header_count(const iot_http *h);
const iot_http_header *iot_http_headers(const iot_http *h);  /* final response only, in order */
iot_http_error iot_http_error_kind(const iot_http *h);
int iot_http_curl_code(const iot_http *h);
const char *iot_http_error_message(const iot_http *h);  /* never NULL */
double iot_http_total_seconds(const iot_http *h);

#endif
