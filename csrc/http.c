/* http.c - the libcurl transport; see http.h.
 *
 * No Python: every allocation is malloc/realloc (directly, through iot_buf,
 * or inside libcurl), so the whole transfer can run with the GIL released.
 *
 * One easy handle lives in its own multi handle. iot_http_start adds it,
 * iot_http_step polls and performs, and the handle is taken out again when
 * the transfer ends. The connection stays in the multi's cache, so the next
 * start reuses it. Taking the handle out before the transfer is complete
 * (abort, read timeout) makes libcurl close that connection instead.
 *
 * Two limits are enforced here rather than by libcurl:
 * - the read timeout: no byte for read_timeout_ms once the connection is up
 *   (CURLOPT_PREREQFUNCTION marks that moment); the body and header
 *   callbacks record the time of the last byte;
 * - the body cap: the body buffer's own limit, checked on every write, and
 *   the announced Content-Length, checked when the headers end.
 */
#include "http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#if !CURL_AT_LEAST_VERSION(7, 80, 0)
#error "iotpager needs libcurl >= 7.80 (CURLOPT_PREREQFUNCTION)"
#endif

#define IOT_HTTP_READ_BUFFER (256L * 1024L)

#define NS_PER_MS INT64_C(1000000)

/* A header while the response arrives: offsets into hdr_store, which may
 * move as it grows. Turned into iot_http_header pointers at the end. */
typedef struct {
    size_t name_off;
    size_t name_len;
    size_t value_off;
    size_t value_len;
} header_span;

struct iot_http {
    CURL *easy;
    CURLM *multi;
    struct curl_slist *req_headers;  /* the current request's; owned */
    long read_timeout_ms;
    size_t max_body;
    int join_folds;         /* iot_http_config.join_folds */

    /* The transfer. */
    int running;            /* the easy handle is in the multi */
    int connected;          /* connection up, request going out */
    int sends;              /* PREREQFUNCTION calls in this transfer */
    int64_t t_start;        /* CLOCK_MONOTONIC ns at iot_http_start */
    int64_t t_end;
    int64_t last_activity;  /* ns of the last byte received */
    iot_http_error cb_error;  /* why a callback stopped the transfer */
    int has_fold;           /* an obs-fold line was seen in this response */

    /* The response. */
    iot_buf body;
    iot_buf hdr_store;      /* names and values, back to back */
    header_span *spans;
    iot_http_header *headers;  /* built from spans when the transfer ends */
    size_t nheaders;
    size_t headers_cap;     /* of spans and of headers alike */

    /* The outcome. */
    int result;             /* IOT_HTTP_DONE or IOT_HTTP_FAILED */
    long status;
    iot_http_error kind;
    CURLcode code;
    const char *message;    /* errbuf, msgbuf, or a static string */
    char errbuf[CURL_ERROR_SIZE];
    char msgbuf[64];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_code = CURLE_FAILED_INIT;

static void
global_init_once(void)
{
    global_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* 0 or -1; safe to call from any thread, any number of times. */
int
iot_http_global_init(void)
{
    if (pthread_once(&global_once, global_init_once) != 0) {
        return -1;
    }
    return global_code == CURLE_OK ? 0 : -1;
}

static int64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

/* ---- response headers ------------------------------------------------- */

static void
headers_reset(iot_http *h)
{
    iot_buf_reset(&h->hdr_store);
    h->nheaders = 0;
    h->has_fold = 0;
}

/* Room for one more span (and, later, its iot_http_header). 0 or -1. */
static int
headers_grow(iot_http *h)
{
    size_t ncap;
    header_span *spans;
    iot_http_header *headers;

    if (h->nheaders < h->headers_cap) {
        return 0;
    }
    ncap = h->headers_cap ? h->headers_cap * 2 : 16;
    spans = realloc(h->spans, ncap * sizeof(*spans));
    if (spans == NULL) {
        return -1;
    }
    h->spans = spans;
    headers = realloc(h->headers, ncap * sizeof(*headers));
    if (headers == NULL) {
        return -1;
    }
    h->headers = headers;
    h->headers_cap = ncap;
    return 0;
}

/* "Name: value" (line without its trailing white space). 0 or an
 * IOT_BUF_* code. A line without a colon is ignored. */
static int
headers_add(iot_http *h, const char *p, const char *end)
{
    const char *colon = memchr(p, ':', (size_t)(end - p));
    const char *value;
    header_span *span;
    int rc;

    if (colon == NULL) {
        return IOT_BUF_OK;
    }
    /* as http.client (email's compat32 policy): value.lstrip(' \t') */
    value = colon + 1;
    while (value < end && (*value == ' ' || *value == '\t')) {
        value++;
    }
    if (headers_grow(h) < 0) {
        return IOT_BUF_ENOMEM;
    }
    span = &h->spans[h->nheaders];
    span->name_off = h->hdr_store.len;
    span->name_len = (size_t)(colon - p);
    rc = iot_buf_append(&h->hdr_store, p, span->name_len);
    if (rc != IOT_BUF_OK) {
        return rc;
    }
    span->value_off = h->hdr_store.len;
    span->value_len = (size_t)(end - value);
    rc = iot_buf_append(&h->hdr_store, value, span->value_len);
    if (rc != IOT_BUF_OK) {
        return rc;
    }
    h->nheaders++;
    return IOT_BUF_OK;
}

/* An obs-fold continuation line, kept as http.client keeps it: the
 * previous value, "\r\n", then the line as received (its leading white
 * space included). That value is the last thing in hdr_store, so it grows
 * in place. (finish() joins the folds afterwards when h->join_folds.) */
static int
headers_fold(iot_http *h, const char *p, const char *end)
{
    header_span *span;
    int rc;

    if (h->nheaders == 0) {
        return IOT_BUF_OK;
    }
    span = &h->spans[h->nheaders - 1];
    rc = iot_buf_append(&h->hdr_store, "\r\n", 2);
    if (rc != IOT_BUF_OK) {
        return rc;
    }
    rc = iot_buf_append(&h->hdr_store, p, (size_t)(end - p));
    if (rc != IOT_BUF_OK) {
        return rc;
    }
    span->value_len += 2 + (size_t)(end - p);
    h->has_fold = 1;
    return IOT_BUF_OK;
}

#define IS_WS(c) ((c) == ' ' || (c) == '\t')

/* A kept value's folds joined as urllib3 >= 2.8 joins them: its
 * _normalize_header_value, re.sub(r"(?:(?<![ \t])[ \t]+)?\r\n[ \t]+", " ",
 * value), matched left to right on the original text. In place: the
 * result is never longer. Returns the new length. */
static size_t
join_folded_value(char *v, size_t n)
{
    size_t i = 0, w = 0, j;
    char prev = '\0';   /* the original byte before v[i] */

    while (i < n) {
        j = i;
        if (IS_WS(v[i]) && !IS_WS(prev)) {
            while (j < n && IS_WS(v[j])) {   /* the whole run of white space */
                j++;
            }
        }
        if (j + 2 < n && v[j] == '\r' && v[j + 1] == '\n' && IS_WS(v[j + 2])) {
            j += 2;
            while (j < n && IS_WS(v[j])) {
                j++;
            }
            prev = v[j - 1];
            v[w++] = ' ';
            i = j;
            continue;
        }
        prev = v[i];
        v[w++] = v[i++];
    }
    return w;
}

static int
has_content_encoding(const iot_http *h)
{
    size_t i;

    for (i = 0; i < h->nheaders; i++) {
        const header_span *s = &h->spans[i];
        if (s->name_len == 16
            && strncasecmp(h->hdr_store.data + s->name_off,
                           "Content-Encoding", 16) == 0) {
            return 1;
        }
    }
    return 0;
}

/* At the end of a header block: does the announced body fit max_body?
 * Skipped for an encoded body, whose Content-Length is not its decoded
 * size; the write callback catches that one. */
static int
announced_body_fits(iot_http *h)
{
    curl_off_t cl = -1;

    if (h->max_body == 0 || has_content_encoding(h)) {
        return 1;
    }
    if (curl_easy_getinfo(h->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl)
        != CURLE_OK || cl < 0) {
        return 1;
    }
    return (unsigned long long)cl <= (unsigned long long)h->max_body;
}

/* CURLOPT_HEADERFUNCTION: libcurl hands over one complete line at a time,
 * status lines and blank lines included. */
static size_t
on_header(char *data, size_t size, size_t nitems, void *userdata)
{
    iot_http *h = userdata;
    size_t n = size * nitems;
    const char *end = data + n;
    int rc = IOT_BUF_OK;

    h->last_activity = now_ns();
    /* only the line ending goes: trailing spaces stay in the value, as
     * http.client (and so botocore's HTTPHeaders) keeps them */
    while (end > data && (end[-1] == '\r' || end[-1] == '\n')) {
        end--;
    }
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new response (after 1xx, or a proxy's CONNECT reply). */
        headers_reset(h);
    }
    else if (n && (data[0] == ' ' || data[0] == '\t')) {
        rc = headers_fold(h, data, end);
    }
    else if (end == data) {
        if (!announced_body_fits(h)) {
            h->cb_error = IOT_HTTP_E_TOO_BIG;
            goto error;
        }
    }
    else {
        rc = headers_add(h, data, end);
    }
    if (rc != IOT_BUF_OK) {
        h->cb_error = IOT_HTTP_E_NOMEM;
        goto error;
    }
    return n;

error:
    return 0;  /* libcurl ends the transfer with CURLE_WRITE_ERROR */
}

/* CURLOPT_WRITEFUNCTION: the (decoded) body. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    iot_http *h = userdata;
    size_t n = size * nmemb;
    int rc;

    h->last_activity = now_ns();
    rc = iot_buf_append(&h->body, data, n);
    if (rc == IOT_BUF_OK) {
        return n;
    }
    h->cb_error = rc == IOT_BUF_ETOOBIG ? IOT_HTTP_E_TOO_BIG
                                        : IOT_HTTP_E_NOMEM;
    return 0;
}

/* CURLOPT_PREREQFUNCTION: the connection is up (new or reused, proxy
 * tunnel included) and the request is about to go out. From here on the
 * read timeout applies instead of the connect timeout. */
static int
on_connected(void *userdata, char *primary_ip, char *local_ip,
             int primary_port, int local_port)
{
    iot_http *h = userdata;

    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    /* libcurl re-sends a request by itself when a reused connection dies
     * before any byte of the answer. botocore (urllib3 without retries)
     * reports that as a closed connection and lets its retry handler
     * decide, counting the attempt; so stop the silent second send. */
    if (++h->sends > 1) {
        h->cb_error = IOT_HTTP_E_CLOSED;
        return CURL_PREREQFUNC_ABORT;
    }
    h->connected = 1;
    h->last_activity = now_ns();
    return CURL_PREREQFUNC_OK;
}

/* ---- outcome ---------------------------------------------------------- */

static iot_http_error
map_curl_error(const iot_http *h, CURLcode rc)
{
    long connect_code = 0;

    /* A proxy that answered CONNECT with an error. */
    if (rc != CURLE_OK && !h->connected
        && curl_easy_getinfo(h->easy, CURLINFO_HTTP_CONNECTCODE,
                             &connect_code) == CURLE_OK
        && connect_code != 0 && connect_code / 100 != 2) {
        return IOT_HTTP_E_PROXY;
    }
    switch (rc) {
    case CURLE_OK:
        return IOT_HTTP_OK;
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
        return h->cb_error != IOT_HTTP_OK ? h->cb_error : IOT_HTTP_E_OTHER;
    case CURLE_OUT_OF_MEMORY:
        return IOT_HTTP_E_NOMEM;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return IOT_HTTP_E_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        /* Only the connect timeout is given to libcurl. */
        return h->connected ? IOT_HTTP_E_READ_TIMEOUT
                            : IOT_HTTP_E_CONNECT_TIMEOUT;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
        return IOT_HTTP_E_CLOSED;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY:
        return IOT_HTTP_E_PROXY;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return IOT_HTTP_E_SSL;
    default:
        return IOT_HTTP_E_OTHER;
    }
}

/* End the transfer and record its outcome. Taking the handle out of the
 * multi before libcurl finished it closes the connection. */
static void
finish(iot_http *h, CURLcode code, iot_http_error kind)
{
    size_t i;

    if (h->running) {
        curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
        curl_multi_remove_handle(h->multi, h->easy);
        h->running = 0;
    }
    h->t_end = now_ns();
    h->code = code;
    h->kind = kind;
    h->result = kind == IOT_HTTP_OK ? IOT_HTTP_DONE : IOT_HTTP_FAILED;
    switch (kind) {
    case IOT_HTTP_OK:
        h->message = "";
        break;
    case IOT_HTTP_E_READ_TIMEOUT:
        snprintf(h->msgbuf, sizeof(h->msgbuf), "no data received for %ld ms",
                 h->read_timeout_ms);
        h->message = h->msgbuf;
        break;
    case IOT_HTTP_E_TOO_BIG:
        snprintf(h->msgbuf, sizeof(h->msgbuf),
                 "response body over %zu bytes", h->max_body);
        h->message = h->msgbuf;
        break;
    case IOT_HTTP_E_NOMEM:
        h->message = "out of memory";
        break;
    case IOT_HTTP_E_ABORTED:
        h->message = "transfer aborted";
        break;
    case IOT_HTTP_E_CLOSED:
        h->message = code == CURLE_ABORTED_BY_CALLBACK
                         ? "connection closed before the response began"
                         : (h->errbuf[0] ? h->errbuf : curl_easy_strerror(code));
        break;
    default:
        h->message = h->errbuf[0] ? h->errbuf : curl_easy_strerror(code);
        break;
    }
    /* hdr_store no longer moves: the spans can become pointers. */
    for (i = 0; i < h->nheaders; i++) {
        header_span *s = &h->spans[i];
        if (h->has_fold && h->join_folds) {
            s->value_len = join_folded_value(h->hdr_store.data + s->value_off, s->value_len);
        }
        h->headers[i].name = h->hdr_store.data + s->name_off;
        h->headers[i].name_len = s->name_len;
        h->headers[i].value = h->hdr_store.data + s->value_off;
        h->headers[i].value_len = s->value_len;
    }
}

/* A failure of the multi interface itself (not of the transfer);
 * CURLM_OUT_OF_MEMORY also stands for any allocation failure. */
static void
finish_multi_error(iot_http *h, CURLMcode mc)
{
    if (mc == CURLM_OUT_OF_MEMORY) {
        finish(h, CURLE_OUT_OF_MEMORY, IOT_HTTP_E_NOMEM);
    }
    else {
        snprintf(h->errbuf, sizeof(h->errbuf), "%s", curl_multi_strerror(mc));
        finish(h, CURLE_OK, IOT_HTTP_E_OTHER);
    }
}

/* ---- the transport ---------------------------------------------------- */

/* A new transport, owned by the caller: free it with iot_http_free.
 * cfg and its strings are borrowed for the call (libcurl copies them). */
iot_http *
iot_http_new(const iot_http_config *cfg)
{
    iot_http *h = calloc(1, sizeof(*h));
    CURL *e;

    if (h == NULL) {
        return NULL;
    }
    iot_buf_init(&h->body, cfg->max_body);
    iot_buf_init(&h->hdr_store, 0);
    h->read_timeout_ms = cfg->read_timeout_ms > 0 ? cfg->read_timeout_ms : 0;
    h->max_body = cfg->max_body;
    h->join_folds = cfg->join_folds;
    /* Until the first start, step reports a failure rather than spin. */
    h->result = IOT_HTTP_FAILED;
    h->kind = IOT_HTTP_E_OTHER;
    h->message = "no transfer started";
    h->easy = e = curl_easy_init();
    h->multi = curl_multi_init();
    if (e == NULL || h->multi == NULL) {
        goto error;
    }
    if (curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                            (long)CURL_HTTP_VERSION_1_1) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER,
                            cfg->verify ? 1L : 0L) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST,
                            cfg->verify ? 2L : 0L) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_WRITEDATA, h) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_HEADERDATA, h) != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_connected)
           != CURLE_OK
        || curl_easy_setopt(e, CURLOPT_PREREQDATA, h) != CURLE_OK) {
        goto error;
    }
    /* A page is tens of KB: read it in a few large recv calls rather than
     * curl's default 16 KB ones. A larger size than this libcurl allows is
     * refused, and the default then stays: not an error. */
    (void)curl_easy_setopt(e, CURLOPT_BUFFERSIZE, IOT_HTTP_READ_BUFFER);
    if (cfg->connect_timeout_ms > 0
        && curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                            cfg->connect_timeout_ms) != CURLE_OK) {
        goto error;
    }
    if (cfg->ca_bundle != NULL
        && curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca_bundle) != CURLE_OK) {
        goto error;
    }
    if (cfg->proxy != NULL
        && curl_easy_setopt(e, CURLOPT_PROXY, cfg->proxy) != CURLE_OK) {
        goto error;
    }
    if (cfg->user_agent != NULL
        && curl_easy_setopt(e, CURLOPT_USERAGENT, cfg->user_agent)
           != CURLE_OK) {
        goto error;
    }
    return h;

error:
    iot_http_free(h);
    return NULL;
}

/* Frees h and everything it owns (headers and body included); NULL is
 * accepted. A transfer in progress is dropped. */
void
iot_http_free(iot_http *h)
{
    if (h == NULL) {
        return;
    }
    if (h->running) {
        curl_multi_remove_handle(h->multi, h->easy);
    }
    curl_easy_cleanup(h->easy);
    curl_multi_cleanup(h->multi);
    curl_slist_free_all(h->req_headers);
    iot_buf_free(&h->body);
    iot_buf_free(&h->hdr_store);
    free(h->spans);
    free(h->headers);
    free(h);
}

/* url and headers are borrowed for the call (copied). On -1 the outcome
 * (kind, message) says why. */
int
iot_http_start(iot_http *h, const char *url, const char *const *headers,
               size_t nheaders)
{
    return iot_http_start_request(h, "GET", url, headers, nheaders, NULL, 0);
}

int
iot_http_start_request(iot_http *h, const char *method, const char *url,
                       const char *const *headers, size_t nheaders, const char *body,
                       size_t body_len)
{
    struct curl_slist *list = NULL, *tmp;
    CURLMcode mc = CURLM_OUT_OF_MEMORY;
    size_t i;

    if (h->running) {
        finish(h, CURLE_ABORTED_BY_CALLBACK, IOT_HTTP_E_ABORTED);
    }
    iot_buf_reset(&h->body);
    headers_reset(h);
    h->status = 0;
    h->kind = IOT_HTTP_OK;
    h->code = CURLE_OK;
    h->cb_error = IOT_HTTP_OK;
    h->message = "";
    h->errbuf[0] = '\0';
    h->connected = 0;
    h->sends = 0;
    h->t_start = h->last_activity = now_ns();

    for (i = 0; i < nheaders; i++) {
        tmp = curl_slist_append(list, headers[i]);
        if (tmp == NULL) {
            goto error;
        }
        list = tmp;
    }
    if (curl_easy_setopt(h->easy, CURLOPT_URL, url) != CURLE_OK
        || curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, list) != CURLE_OK) {
        goto error;
    }
    if (strcmp(method, "GET") == 0) {
        if (curl_easy_setopt(h->easy, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
            curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, (char *)NULL) != CURLE_OK) {
            goto error;
        }
    }
    else {
        /* the body is copied into the handle (COPYPOSTFIELDS after its size) */
        if (curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t)body_len) != CURLE_OK ||
            curl_easy_setopt(h->easy, CURLOPT_COPYPOSTFIELDS, body ? body : "") != CURLE_OK ||
            curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST,
                             strcmp(method, "POST") == 0 ? NULL : method) != CURLE_OK) {
            goto error;
        }
    }
    /* The handle now points at list: h owns it from here. */
    curl_slist_free_all(h->req_headers);
    h->req_headers = list;
    list = NULL;

    mc = curl_multi_add_handle(h->multi, h->easy);
    if (mc != CURLM_OK) {
        goto error;
    }
    h->running = 1;
    return 0;

error:
    curl_slist_free_all(list);
    finish_multi_error(h, mc);
    return -1;
}

/* Milliseconds until the read timeout fires (0 if past); -1: none. */
static long
read_time_left(const iot_http *h, int64_t now)
{
    int64_t left;

    if (h->read_timeout_ms == 0 || !h->connected) {
        return -1;
    }
    left = h->last_activity + h->read_timeout_ms * NS_PER_MS - now;
    if (left <= 0) {
        return 0;
    }
    return (long)((left + NS_PER_MS - 1) / NS_PER_MS);
}

int
iot_http_step(iot_http *h, int timeout_ms)
{
    CURLMcode mc;
    CURLMsg *msg;
    int still_running, queued;
    long left;

    if (!h->running) {
        goto done;
    }
    if (timeout_ms < 0) {
        timeout_ms = 0;
    }
    /* Wake up in time to enforce the read timeout. curl_multi_poll
     * shortens the wait further to libcurl's own timers. */
    left = read_time_left(h, now_ns());
    if (left >= 0 && left < timeout_ms) {
        timeout_ms = (int)left;
    }
    mc = curl_multi_poll(h->multi, NULL, 0, timeout_ms, NULL);
    if (mc == CURLM_OK) {
        mc = curl_multi_perform(h->multi, &still_running);
    }
    if (mc != CURLM_OK) {
        finish_multi_error(h, mc);
        goto done;
    }
    while ((msg = curl_multi_info_read(h->multi, &queued)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            CURLcode rc = msg->data.result;
            finish(h, rc, map_curl_error(h, rc));
            goto done;
        }
    }
    if (read_time_left(h, now_ns()) == 0) {
        finish(h, CURLE_OPERATION_TIMEDOUT, IOT_HTTP_E_READ_TIMEOUT);
    }

done:
    return h->running ? IOT_HTTP_RUNNING : h->result;
}

void
iot_http_abort(iot_http *h)
{
    if (h->running) {
        finish(h, CURLE_ABORTED_BY_CALLBACK, IOT_HTTP_E_ABORTED);
    }
}

void
iot_http_wakeup(iot_http *h)
{
    curl_multi_wakeup(h->multi);
}

/* ---- results ---------------------------------------------------------- */

long
iot_http_status(const iot_http *h)
{
    return h->status;
}

/* Borrowed: owned by h, valid until the next iot_http_start. */
void
iot_http_take_body(iot_http *h, iot_buf *spare)
{
    iot_buf mine = h->body;

    /* Swap, then the buffer h keeps gets h's cap: only the structs move,
     * so both allocations are reused page after page. */
    h->body = *spare;
    h->body.limit = h->max_body;
    *spare = mine;
    iot_buf_reset(&h->body);
}

iot_buf *
iot_http_body(iot_http *h)
{
    return &h->body;
}

size_t
iot_http_header_count(const iot_http *h)
{
    return h->running ? 0 : h->nheaders;
}

/* Borrowed: owned by h, valid until the next iot_http_start. */
const iot_http_header *
iot_http_headers(const iot_http *h)
{
    return h->headers;
}

iot_http_error
iot_http_error_kind(const iot_http *h)
{
    return h->kind;
}

int
iot_http_curl_code(const iot_http *h)
{
    return (int)h->code;
}

/* Borrowed: a string owned by h or static, valid until the next
 * iot_http_start. */
const char *
iot_http_error_message(const iot_http *h)
{
    return h->message;
}

double
iot_http_total_seconds(const iot_http *h)
{
    int64_t end = h->running ? now_ns() : h->t_end;

    return (double)(end - h->t_start) / 1e9;
}
