/* pager.c - the page iterator: the nextToken loop in C.
 *
 * Each __next__ signs one ListJobs request (sigv4.c), runs it (http.c) with
 * the GIL released in 50 ms slices so that other threads run and Ctrl-C is
 * seen promptly, parses the body (json_shim.cpp) with the GIL released,
 * builds the page dict (builder.c) and sets up the next request from the
 * page's nextToken, with botocore's end-of-listing and duplicate-token
 * rules. Rare paths (errors, retries, odd timestamps) go through the
 * per-iterator Python controller (python/iotpager/_controller.py).
 *
 * Prefetch (the default): once a page's nextToken is known, a C thread (the
 * worker) runs the listing ahead of the caller. It fetches a page, parses
 * it, and as soon as the page's nextToken is a plain string it signs and
 * sends the next request, up to NSLOTS pages ahead, while the main thread
 * builds Python objects from pages already parsed. The worker never touches
 * Python: it signs with a snapshot of the credentials that the main thread
 * refreshes from botocore on every page. Anything off the plain path (a
 * failed transfer, a status >= 301, a body that does not parse, a nextToken
 * that is not a plain string, MaxItems reached) ends the worker's run, and
 * the main thread takes it from there exactly as without prefetch.
 *
 * Ownership: a Pager owns its controller and tzinfo references, its
 * iot_http, its iot_page, its worker's slots and every malloc'd string
 * below. It is used by one thread at a time; a second thread entering
 * __next__ gets RuntimeError.
 */
#include "iotpager.h"

#include <structmember.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "sigv4.h"
#include "uri.h"

#define STEP_MS 50   /* the longest the GIL stays released in one slice */
#define NSLOTS IOT_PREFETCH_PAGES   /* pages the worker may hold parsed */

typedef struct {
    char *s;
    size_t n;
} owned_str;

/* The buffers of one signed request (malloc'd, reused). */
typedef struct {
    iot_buf url;     /* endpoint + path + ?query, NUL-terminated */
    iot_buf query;   /* the canonical query */
    iot_buf auth;    /* "Authorization: ..." */
    iot_buf body;    /* the JSON body with a token, when the token goes there */
    iot_buf hdrs;    /* the extra header lines, "Name: value\0" each */
} reqbufs;

/* A page fetched and parsed by the worker. Owned by the worker; between
 * S_READY and the end of the __next__ that takes it, by the main thread. */
enum { S_FREE = 0, S_READY, S_USED };

typedef struct {
    int state;               /* S_*, under the worker's mu */
    iot_buf body;            /* the response body (swapped out of the transport) */
    iot_page page;           /* parsed from body; parser made on first use */
    int jerr;                /* iot_json_parse_page's result */
    long status;
    double seconds;          /* the transfer's time, for log_request */
    iot_buf hbytes;          /* the response headers' names and values */
    iot_http_header *hdrs;   /* nhdrs entries pointing into hbytes */
    size_t nhdrs;
    size_t hcap;
    iot_buf target;          /* the request's URL, for log_request */
    int decided;             /* the worker applied botocore's token rules: */
    int finished;            /*   the listing ends after this page */
    int dup;                 /*   the page repeated the token that fetched it */
    owned_str token;         /*   or the nextToken to send next (malloc'd) */
} slot;

/* The prefetch worker: one pthread per Pager, started on the first
 * prefetch. Everything below is shared with it and read or written under
 * mu, except what the comments say is the worker's own. */
typedef struct {
    pthread_t thread;
    int started;             /* main thread only */
    pid_t pid;               /* the process that started it (a fork's child has no worker) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int go;                  /* a started request waits for the worker */
    int running;             /* a run is in progress (go, or the worker is busy) */
    int quit;
    int cancel;              /* atomic: stop the transfer now */
    int raw;                 /* the run ended with a response left in the */
    int raw_rc;              /*   transport: IOT_HTTP_DONE / IOT_HTTP_FAILED */
    slot slots[NSLOTS];
    int queue[NSLOTS];       /* S_READY slots, oldest first */
    int qhead;
    int qlen;
    char *ak, *sk, *tok;     /* the credentials snapshot (malloc'd; tok may be NULL) */
    long requests;           /* requests the worker sent */
    /* the worker's own while running; the main thread's while it is not: */
    reqbufs bufs;            /* the request in flight */
    owned_str sent;          /* the nextToken that request sent */
    int sent_from_page;
    long long items;         /* jobs so far, for MaxItems */
    iot_sigv4_key_cache keycache;
} worker;

typedef struct {
    PyObject_HEAD
    PyObject *controller;      /* strong */
    iot_tz tz;                 /* holds a strong ref to the tzinfo */
    iot_http *http;            /* owned; NULL once closed */
    iot_page page;             /* owned parse results, reused */
    iot_sigv4_key_cache keycache;
    char *endpoint;            /* "scheme://host[:port]", no trailing slash */
    char *host;                /* the Host header value, as signed */
    char *path;                /* the URL's path, e.g. "/jobs/j%201/things" */
    char *canonical_path;      /* as signed (botocore's _normalize_url_path) */
    char *method;              /* "GET" or "POST" */
    char *token_param;         /* the input token's query name ("nextToken", "marker") */
    int token_in_body;         /* the input token goes into the JSON body instead */
    owned_str body;            /* the request body without a token (s NULL: none) */
    owned_str body_prefix;     /* with a token: prefix + JSON string + suffix */
    owned_str body_suffix;
    owned_str *hnames;         /* extra headers to sign and send (Content-Type, */
    owned_str *hvals;          /*   header parameters), UTF-8 */
    size_t nheaders;
    PyObject *plan;            /* strong: a Plan, or NULL for the ListJobs walker;
                                  released only in dealloc, after the worker */
    char *region;
    char *service;
    owned_str *pkeys;          /* raw request parameters, UTF-8 */
    owned_str *pvals;
    size_t nparams;
    owned_str token;           /* nextToken to send; s == NULL: none */
    int token_from_page;       /* token came from a page (not a StartingToken) */
    int dup_pending;           /* the page repeated the token that fetched it */
    int success_hook;          /* call controller.success() for every page */
    PyObject *pending_type;    /* strong: an error of the prefetch, raised on */
    PyObject *pending_value;   /*   the next call, after the page was yielded */
    PyObject *pending_tb;
    int prefetch;              /* send the next request while the caller works */
    int jobs_text;             /* "jobs" as a JobsText (the CLI's JSON text) */
    long long max_items;       /* no prefetch once `items` reaches it; < 0: none */
    long long skip;            /* jobs of the first page a StartingToken skips */
    long long items;
    worker w;
    int finished;
    int busy;
    long pages;
    long requests;
    long retries;
    long long jobs;
    long long bytes;
    int log_requests;          /* call controller.log_request() per request */
    iot_buf page_body;         /* the body being parsed and built (swapped out of http) */
    reqbufs bufs;              /* the main thread's requests */
    PyObject *weakreflist;     /* weak references to this Pager (tests watch it go) */
} Pager;

/* The C plan of the Pager's Plan, or NULL (the ListJobs walker). self->plan
 * is set in __init__ and never changes before dealloc: any thread may read it. */
static const iot_plan *
plan_of(const Pager *self)
{
    return self->plan != NULL ? &((const iot_plan_object *)self->plan)->plan : NULL;
}

static char *
dup_str(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* A str argument as an owned UTF-8 copy. 0, or -1 with an exception set. */
static int
copy_utf8(PyObject *obj, const char *what, owned_str *out)
{
    const char *s;
    Py_ssize_t n;

    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "iotpager: %s must be a str, not %.100s",
                     what, Py_TYPE(obj)->tp_name);
        return -1;
    }
    s = PyUnicode_AsUTF8AndSize(obj, &n);
    if (s == NULL) {
        return -1;
    }
    out->s = dup_str(s, (size_t)n);
    out->n = (size_t)n;
    if (out->s == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void
free_owned(owned_str *o)
{
    free(o->s);
    o->s = NULL;
    o->n = 0;
}

static void
free_token(Pager *self)
{
    free_owned(&self->token);
}

/* botocore's rules for what follows a page, on the nextToken the shim
 * parsed (pure C: the main thread and the worker both apply them).
 * TOK_END: no token, or an empty one: the listing ends. TOK_DUP: the token
 * that fetched the page (`sent`, when it came from a page) came back: a
 * PaginationError on the next call. TOK_NEXT: *next is the token's bytes
 * (borrowed from the page; its length is pg->next_token.len). TOK_LATER:
 * not a JSON string: botocore's truthiness decides once the page is built. */
enum { TOK_END, TOK_DUP, TOK_NEXT, TOK_LATER };

static int
token_rule(const iot_page *pg, const owned_str *sent, int sent_from_page, const char **next)
{
    const iot_value *v = &pg->next_token;
    const char *p;

    if (v->kind == IOT_V_ABSENT || v->kind == IOT_V_NULL) {
        return TOK_END;
    }
    if (v->kind != IOT_V_STRING) {
        return TOK_LATER;
    }
    if (v->len == 0) {
        return TOK_END;
    }
    p = iot_value_bytes(pg, v);
    if (sent_from_page && sent->s != NULL && sent->n == v->len &&
        memcmp(sent->s, p, v->len) == 0) {
        return TOK_DUP;
    }
    *next = p;
    return TOK_NEXT;
}

static void
reqbufs_init(reqbufs *b)
{
    iot_buf_init(&b->url, 0);
    iot_buf_init(&b->query, 0);
    iot_buf_init(&b->auth, 0);
    iot_buf_init(&b->body, 0);
    iot_buf_init(&b->hdrs, 0);
}

static void
reqbufs_free(reqbufs *b)
{
    iot_buf_free(&b->url);
    iot_buf_free(&b->query);
    iot_buf_free(&b->auth);
    iot_buf_free(&b->body);
    iot_buf_free(&b->hdrs);
}

/* ---- the request: pure C, so that the worker can sign too --------------- */

enum { SIGN_OK = 0, SIGN_NOMEM = -1, SIGN_CLOCK = -2, SIGN_FAILED = -3 };

/* The canonical query (also the URL's query) for `token` into b->query.
 * SIGN_OK or SIGN_NOMEM. */
static int
build_query(const Pager *self, reqbufs *b, const owned_str *token)
{
    iot_uri_param stack[16], *params = stack;
    size_t n = 0, i;
    int rc;

    if (self->nparams + 1 > sizeof(stack) / sizeof(stack[0])) {
        params = malloc((self->nparams + 1) * sizeof(*params));
        if (params == NULL) {
            return SIGN_NOMEM;
        }
    }
    for (i = 0; i < self->nparams; i++) {
        params[n].key = self->pkeys[i].s;
        params[n].key_len = self->pkeys[i].n;
        params[n].value = self->pvals[i].s;
        params[n].value_len = self->pvals[i].n;
        n++;
    }
    /* botocore's _inject_token_into_kwargs leaves out a token that is the
     * string 'None' */
    if (token->s != NULL && !self->token_in_body &&
        !(token->n == 4 && memcmp(token->s, "None", 4) == 0)) {
        params[n].key = self->token_param;
        params[n].key_len = strlen(self->token_param);
        params[n].value = token->s;
        params[n].value_len = token->n;
        n++;
    }
    iot_buf_reset(&b->query);
    rc = iot_uri_canonical_query(&b->query, params, n);
    if (params != stack) {
        free(params);
    }
    return rc == IOT_BUF_OK ? SIGN_OK : SIGN_NOMEM;
}

/* s[0..n) (UTF-8) as json.dumps writes a str with ensure_ascii=True:
 * quoted, '"' and '\\' escaped, \n \r \t \b \f by name, anything else
 * outside ' '..'~' as \uXXXX (lower-case hex; UTF-16 surrogate pairs past
 * the BMP). 0, or -1 (out of memory or not UTF-8). */
static int
json_ascii_string(iot_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    char esc[13];

    if (iot_buf_append_char(out, '"')) {
        return -1;
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t len;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            size_t k = i;
            while (k < n && (unsigned char)s[k] >= 0x20 && (unsigned char)s[k] < 0x7f &&
                   s[k] != '"' && s[k] != '\\') {
                k++;
            }
            if (iot_buf_append(out, s + i, k - i)) {
                return -1;
            }
            i = k;
            continue;
        }
        if (c < 0x80) {
            cp = c;
            len = 1;
        }
        else if ((c & 0xe0) == 0xc0 && i + 1 < n) {
            cp = ((uint32_t)(c & 0x1f) << 6) | ((unsigned char)s[i + 1] & 0x3f);
            len = 2;
        }
        else if ((c & 0xf0) == 0xe0 && i + 2 < n) {
            cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)((unsigned char)s[i + 1] & 0x3f) << 6) |
                 ((unsigned char)s[i + 2] & 0x3f);
            len = 3;
        }
        else if ((c & 0xf8) == 0xf0 && i + 3 < n) {
            cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)((unsigned char)s[i + 1] & 0x3f) << 12) |
                 ((uint32_t)((unsigned char)s[i + 2] & 0x3f) << 6) | ((unsigned char)s[i + 3] & 0x3f);
            len = 4;
        }
        else {
            return -1;   /* copy_utf8 made it from a str: cannot happen */
        }
        i += len;
        switch (cp) {
        case '"': strcpy(esc, "\\\""); break;
        case '\\': strcpy(esc, "\\\\"); break;
        case '\n': strcpy(esc, "\\n"); break;
        case '\r': strcpy(esc, "\\r"); break;
        case '\t': strcpy(esc, "\\t"); break;
        case '\b': strcpy(esc, "\\b"); break;
        case '\f': strcpy(esc, "\\f"); break;
        default:
            if (cp >= 0x10000) {
                uint32_t v = cp - 0x10000, hi = 0xd800 | (v >> 10), lo = 0xdc00 | (v & 0x3ff);
                esc[0] = '\\'; esc[1] = 'u';
                esc[2] = hex[(hi >> 12) & 15]; esc[3] = hex[(hi >> 8) & 15];
                esc[4] = hex[(hi >> 4) & 15]; esc[5] = hex[hi & 15];
                esc[6] = '\\'; esc[7] = 'u';
                esc[8] = hex[(lo >> 12) & 15]; esc[9] = hex[(lo >> 8) & 15];
                esc[10] = hex[(lo >> 4) & 15]; esc[11] = hex[lo & 15];
                esc[12] = '\0';
            }
            else {
                esc[0] = '\\'; esc[1] = 'u';
                esc[2] = hex[(cp >> 12) & 15]; esc[3] = hex[(cp >> 8) & 15];
                esc[4] = hex[(cp >> 4) & 15]; esc[5] = hex[cp & 15];
                esc[6] = '\0';
            }
        }
        if (iot_buf_append_str(out, esc)) {
            return -1;
        }
    }
    return iot_buf_append_char(out, '"') ? -1 : 0;
}

/* Sign the request for `token` with the given credentials into b and start
 * it on `http`. No Python (malloc only): the worker calls it without the
 * GIL. self's endpoint, host, path, method, body, headers, region, service
 * and parameters are only read (they do not change after __init__). SIGN_*. */
static int
sign_and_start(const Pager *self, iot_http *http, reqbufs *b, iot_sigv4_key_cache *cache,
               const owned_str *token, const char *ak, const char *sk, const char *tok)
{
    char amz_date[20], hdr_date[40];
    char *hdr_host = NULL, *hdr_token = NULL;
    const char *stack_lines[8], **lines = stack_lines;
    size_t nlines = 0, i, nsh;
    iot_sigv4_header stack_sh[4], *sh = stack_sh;
    iot_sigv4_request req;
    char payload_hash[65];
    const char *body = NULL;
    size_t body_len = 0;
    struct tm tm;
    time_t now;
    int rc, src;

    rc = build_query(self, b, token);
    if (rc != SIGN_OK) {
        return rc;
    }
    /* the body: as it is, or with the token spliced in */
    if (self->token_in_body && token->s != NULL &&
        !(token->n == 4 && memcmp(token->s, "None", 4) == 0)) {
        iot_buf_reset(&b->body);
        if (iot_buf_append(&b->body, self->body_prefix.s, self->body_prefix.n) ||
            json_ascii_string(&b->body, token->s, token->n) < 0 ||
            iot_buf_append(&b->body, self->body_suffix.s, self->body_suffix.n)) {
            return SIGN_NOMEM;
        }
        body = b->body.data;
        body_len = b->body.len;
    }
    else if (self->body.s != NULL) {
        body = self->body.s;
        body_len = self->body.n;
    }
    now = time(NULL);
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm) == 0) {
        return SIGN_CLOCK;
    }
    if (iot_sigv4_sha256_hex(body ? body : "", body_len, payload_hash) < 0) {
        return SIGN_FAILED;
    }
    rc = SIGN_NOMEM;
    if (self->nheaders > 0) {
        sh = malloc((self->nheaders + 3) * sizeof(*sh));
        lines = malloc((self->nheaders + 7) * sizeof(*lines));
        if (sh == NULL || lines == NULL) {
            goto done;
        }
    }
    nsh = 0;
    sh[nsh].name = "host";
    sh[nsh++].value = self->host;
    sh[nsh].name = "x-amz-date";
    sh[nsh++].value = amz_date;
    if (tok != NULL) {
        sh[nsh].name = "x-amz-security-token";
        sh[nsh++].value = tok;
    }
    for (i = 0; i < self->nheaders; i++) {
        sh[nsh].name = self->hnames[i].s;
        sh[nsh++].value = self->hvals[i].s;
    }
    memset(&req, 0, sizeof(req));
    req.method = self->method;
    req.canonical_uri = self->canonical_path;
    req.canonical_query = b->query.data ? b->query.data : "";
    req.headers = sh;
    req.nheaders = nsh;
    req.payload_hash = payload_hash;
    req.access_key = ak;
    req.secret_key = sk;
    req.region = self->region;
    req.service = self->service;
    req.amz_date = amz_date;
    iot_buf_reset(&b->auth);
    if (iot_buf_append_str(&b->auth, "Authorization: ") != IOT_BUF_OK) {
        goto done;
    }
    src = iot_sigv4_sign(&b->auth, &req, cache);
    if (src != 0) {
        rc = src == IOT_BUF_ENOMEM ? SIGN_NOMEM : SIGN_FAILED;
        goto done;
    }
    /* the URL: endpoint + path + ?query */
    iot_buf_reset(&b->url);
    if (iot_buf_append_str(&b->url, self->endpoint) ||
        iot_buf_append_str(&b->url, self->path) ||
        (b->query.len && (iot_buf_append_char(&b->url, '?') ||
                          iot_buf_append(&b->url, b->query.data, b->query.len)))) {
        goto done;
    }
    /* the extra header lines, then pointers into them (the buffer no longer moves) */
    iot_buf_reset(&b->hdrs);
    for (i = 0; i < self->nheaders; i++) {
        if (iot_buf_append(&b->hdrs, self->hnames[i].s, self->hnames[i].n) ||
            iot_buf_append(&b->hdrs, ": ", 2) ||
            iot_buf_append(&b->hdrs, self->hvals[i].s, self->hvals[i].n) ||
            iot_buf_append_char(&b->hdrs, '\0')) {
            goto done;
        }
    }
    hdr_host = malloc(strlen(self->host) + 8);
    if (hdr_host == NULL) {
        goto done;
    }
    sprintf(hdr_host, "Host: %s", self->host);
    snprintf(hdr_date, sizeof(hdr_date), "X-Amz-Date: %s", amz_date);
    lines[nlines++] = hdr_host;
    lines[nlines++] = hdr_date;
    if (tok != NULL) {
        hdr_token = malloc(strlen(tok) + 32);
        if (hdr_token == NULL) {
            goto done;
        }
        sprintf(hdr_token, "X-Amz-Security-Token: %s", tok);
        lines[nlines++] = hdr_token;
    }
    {
        const char *at = b->hdrs.data;
        for (i = 0; i < self->nheaders; i++) {
            lines[nlines++] = at;
            at += strlen(at) + 1;
        }
    }
    lines[nlines++] = b->auth.data;
    lines[nlines++] = "Accept:";   /* botocore sends none; drop curl's default */
    if (strcmp(self->method, "GET") != 0) {
        int has_ct = 0;
        for (i = 0; i < self->nheaders; i++) {
            has_ct |= strcasecmp(self->hnames[i].s, "content-type") == 0;
        }
        lines[nlines++] = "Expect:";   /* nor Expect: 100-continue */
        if (!has_ct) {
            lines[nlines++] = "Content-Type:";   /* nor curl's form type */
        }
    }
    if (iot_http_start_request(http, self->method, b->url.data, lines, nlines, body,
                               body_len) < 0) {
        goto done;
    }
    rc = SIGN_OK;
done:
    if (sh != stack_sh) {
        free(sh);
    }
    if (lines != stack_lines) {
        free(lines);
    }
    free(hdr_host);
    free(hdr_token);
    return rc;
}

/* Replace the worker's credentials snapshot (under mu once the worker
 * runs). 0, or -1 (out of memory: the snapshot is then empty). */
static int
set_snapshot(worker *w, const char *ak, const char *sk, const char *tok)
{
    int rc = 0;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
    }
    if (w->ak == NULL || strcmp(w->ak, ak) != 0 || strcmp(w->sk, sk) != 0 ||
        (w->tok == NULL) != (tok == NULL) || (tok != NULL && strcmp(w->tok, tok) != 0)) {
        free(w->ak);
        free(w->sk);
        free(w->tok);
        w->ak = dup_str(ak, strlen(ak));
        w->sk = dup_str(sk, strlen(sk));
        w->tok = tok ? dup_str(tok, strlen(tok)) : NULL;
        if (w->ak == NULL || w->sk == NULL || (tok != NULL && w->tok == NULL)) {
            free(w->ak);
            free(w->sk);
            free(w->tok);
            w->ak = w->sk = w->tok = NULL;
            rc = -1;
        }
    }
    if (w->started) {
        pthread_mutex_unlock(&w->mu);
    }
    return rc;
}

/* The credentials from the controller, for every request the main thread
 * signs and once per page while the worker runs, so refreshed credentials
 * are used as soon as botocore refreshes them. They also become the
 * worker's snapshot. 0 with *creds a new reference to a 3-tuple and the
 * three C strings set (borrowed from it; *tok may be NULL), or -1. */
static int
get_credentials(Pager *self, iot_state *st, PyObject **creds, const char **ak,
                const char **sk, const char **tok)
{
    PyObject *c = PyObject_CallMethodNoArgs(self->controller, st->s_credentials);
    *creds = NULL;
    if (c == NULL) {
        return -1;
    }
    if (!PyTuple_Check(c) || PyTuple_GET_SIZE(c) != 3) {
        PyErr_SetString(PyExc_TypeError, "iotpager: controller.credentials() must return a 3-tuple");
        goto fail;
    }
    *ak = PyUnicode_AsUTF8(PyTuple_GET_ITEM(c, 0));
    *sk = *ak ? PyUnicode_AsUTF8(PyTuple_GET_ITEM(c, 1)) : NULL;
    if (*ak == NULL || *sk == NULL) {
        goto fail;
    }
    *tok = NULL;
    if (PyTuple_GET_ITEM(c, 2) != Py_None) {
        *tok = PyUnicode_AsUTF8(PyTuple_GET_ITEM(c, 2));
        if (*tok == NULL) {
            goto fail;
        }
    }
    if (self->prefetch && set_snapshot(&self->w, *ak, *sk, *tok) < 0) {
        PyErr_NoMemory();
        goto fail;
    }
    *creds = c;
    return 0;
fail:
    Py_DECREF(c);
    return -1;
}

/* Sign the request for self->token into b and start it on the transport
 * (main thread, worker idle). 0, or -1 with an exception. */
static int
start_request(Pager *self, iot_state *st, reqbufs *b)
{
    PyObject *creds;
    const char *ak, *sk, *tok;
    int rc;

    if (get_credentials(self, st, &creds, &ak, &sk, &tok) < 0) {
        return -1;
    }
    rc = sign_and_start(self, self->http, b, &self->keycache, &self->token, ak, sk, tok);
    Py_DECREF(creds);
    switch (rc) {
    case SIGN_OK:
        self->requests++;
        return 0;
    case SIGN_NOMEM:
        PyErr_NoMemory();
        return -1;
    case SIGN_CLOCK:
        PyErr_SetString(PyExc_OSError, "iotpager: cannot read the clock");
        return -1;
    default:
        PyErr_SetString(PyExc_RuntimeError, "iotpager: SigV4 signing failed");
        return -1;
    }
}

/* ---- the prefetch worker ------------------------------------------------ */

static int
slot_free_count(const worker *w)
{
    int i, n = 0;
    for (i = 0; i < NSLOTS; i++) {
        n += w->slots[i].state == S_FREE;
    }
    return n;
}

/* Copy the transport's response headers into the slot. 0 or -1 (memory). */
static int
slot_copy_headers(slot *s, iot_http *http)
{
    size_t n = iot_http_header_count(http), i, total = 0;
    const iot_http_header *h = iot_http_headers(http);
    size_t off;

    s->nhdrs = 0;   /* nothing of the previous page's, even on failure */
    for (i = 0; i < n; i++) {
        total += h[i].name_len + h[i].value_len;
    }
    if (n > s->hcap) {
        iot_http_header *p = realloc(s->hdrs, n * sizeof(*p));
        if (p == NULL) {
            return -1;
        }
        s->hdrs = p;
        s->hcap = n;
    }
    iot_buf_reset(&s->hbytes);
    if (iot_buf_reserve(&s->hbytes, total) != IOT_BUF_OK) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        (void)iot_buf_append(&s->hbytes, h[i].name, h[i].name_len);   /* reserved */
        (void)iot_buf_append(&s->hbytes, h[i].value, h[i].value_len);
    }
    for (i = 0, off = 0; i < n; i++) {
        s->hdrs[i].name = s->hbytes.data + off;
        s->hdrs[i].name_len = h[i].name_len;
        off += h[i].name_len;
        s->hdrs[i].value = s->hbytes.data + off;
        s->hdrs[i].value_len = h[i].value_len;
        off += h[i].value_len;
    }
    s->nhdrs = n;
    return 0;
}

/* The worker's share of advance_c: botocore's token rules on a page it
 * parsed. Sets the slot's decision and returns 1 when the listing goes on
 * with s->token (and w->sent becomes it), 0 otherwise. Without the GIL. */
static int
slot_decide(worker *w, slot *s)
{
    const char *p = NULL;
    size_t n = s->page.next_token.len;

    s->decided = s->finished = s->dup = 0;
    free_owned(&s->token);
    if (s->jerr != IOT_JSON_OK) {
        return 0;   /* the main thread raises the parse error */
    }
    switch (token_rule(&s->page, &w->sent, w->sent_from_page, &p)) {
    case TOK_END:
        s->decided = s->finished = 1;
        return 0;
    case TOK_DUP:
        s->decided = s->dup = 1;
        return 0;
    case TOK_LATER:
        return 0;   /* botocore's truthiness, after the build, on the main thread */
    default:
        break;
    }
    s->token.s = dup_str(p, n);
    if (s->token.s == NULL) {
        return 0;   /* undecided: the main thread decides from the built page */
    }
    s->token.n = n;
    free_owned(&w->sent);
    w->sent.s = dup_str(p, n);
    if (w->sent.s == NULL) {
        s->decided = 1;   /* the page's decision stands; the run just stops */
        return 0;
    }
    w->sent.n = n;
    w->sent_from_page = 1;
    s->decided = 1;
    return 1;
}

/* Fill a free slot from the finished transfer: take the body, copy the
 * headers, parse. Returns 1 when the run may go on, 0 when it ends. */
static int
slot_fill(Pager *self, slot *s, long long max_items)
{
    worker *w = &self->w;
    iot_buf *body = &s->body;
    const char *url = w->bufs.url.data ? w->bufs.url.data : "";

    s->status = iot_http_status(self->http);
    s->seconds = iot_http_total_seconds(self->http);
    iot_http_take_body(self->http, body);
    iot_buf_reset(&s->target);
    if (slot_copy_headers(s, self->http) < 0 ||
        iot_buf_append_str(&s->target, url) != IOT_BUF_OK ||
        (body->data == NULL && iot_buf_reserve(body, 0) != IOT_BUF_OK) ||
        (s->page.parser == NULL && iot_json_page_init(&s->page) < 0)) {
        s->jerr = IOT_JSON_E_NOMEM;
    }
    else {
        s->page.plan = plan_of(self);
        s->jerr = iot_json_parse_page(&s->page, body->data, body->len);
    }
    if (!slot_decide(w, s)) {
        return 0;
    }
    w->items += (long long)s->page.njobs;
    return max_items < 0 || w->items < max_items;
}

static void
worker_end_run(worker *w)
{
    w->running = 0;
    w->go = 0;
    pthread_cond_broadcast(&w->cv);
}

static void *
worker_main(void *arg)
{
    Pager *self = arg;
    worker *w = &self->w;
    iot_http *http = self->http;
    long long max_items = self->max_items;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        int rc = IOT_HTTP_RUNNING, more, i;
        slot *s = NULL;

        while (!w->go && !w->quit) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        if (w->quit) {
            break;
        }
        w->go = 0;
        pthread_mutex_unlock(&w->mu);
        while (rc == IOT_HTTP_RUNNING) {
            if (__atomic_load_n(&w->cancel, __ATOMIC_ACQUIRE)) {
                iot_http_abort(http);
                rc = IOT_HTTP_FAILED;
                break;
            }
            rc = iot_http_step(http, 1000);
        }
        pthread_mutex_lock(&w->mu);
        if (__atomic_load_n(&w->cancel, __ATOMIC_ACQUIRE)) {
            worker_end_run(w);
            continue;
        }
        if (rc != IOT_HTTP_DONE || iot_http_status(http) >= 301) {
            /* the main thread handles it as its own fetch would */
            w->raw = 1;
            w->raw_rc = rc;
            worker_end_run(w);
            continue;
        }
        for (i = 0; i < NSLOTS; i++) {
            if (w->slots[i].state == S_FREE) {
                s = &w->slots[i];
                break;
            }
        }
        /* a run starts a request only with a free slot, and only the
         * worker fills slots: there is one */
        pthread_mutex_unlock(&w->mu);
        more = slot_fill(self, s, max_items);
        pthread_mutex_lock(&w->mu);
        s->state = S_READY;
        w->queue[(w->qhead + w->qlen) % NSLOTS] = (int)(s - w->slots);
        w->qlen++;
        pthread_cond_broadcast(&w->cv);
        while (more && slot_free_count(w) == 0 && !w->quit &&
               !__atomic_load_n(&w->cancel, __ATOMIC_ACQUIRE)) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        if (!more || w->quit || __atomic_load_n(&w->cancel, __ATOMIC_ACQUIRE) ||
            w->ak == NULL) {
            worker_end_run(w);
            continue;
        }
        /* signing under mu keeps the credentials snapshot still; it takes
         * microseconds */
        if (sign_and_start(self, http, &w->bufs, &w->keycache, &w->sent, w->ak, w->sk,
                           w->tok) != SIGN_OK) {
            worker_end_run(w);   /* the main thread tries again and reports it */
            continue;
        }
        w->requests++;
        w->go = 1;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Start the worker thread (first prefetch). 0, or -1 with an exception. */
static int
worker_start(Pager *self)
{
    worker *w = &self->w;
    int err;

    if (w->started) {
        return 0;
    }
    w->go = w->running = w->quit = w->raw = 0;
    if (pthread_mutex_init(&w->mu, NULL) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "iotpager: pthread_mutex_init failed");
        return -1;
    }
    {
        /* timed waits on the monotonic clock: a step of the wall clock does
         * not delay noticing Ctrl-C */
        pthread_condattr_t ca;
        int bad = pthread_condattr_init(&ca) != 0;
        if (!bad) {
            bad = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
                  pthread_cond_init(&w->cv, &ca) != 0;
            pthread_condattr_destroy(&ca);
        }
        if (bad) {
            pthread_mutex_destroy(&w->mu);
            PyErr_SetString(PyExc_RuntimeError, "iotpager: pthread_cond_init failed");
            return -1;
        }
    }
    err = pthread_create(&w->thread, NULL, worker_main, self);
    if (err != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        errno = err;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    (void)pthread_setname_np(w->thread, "iotpager-pf");   /* seen in /proc; best effort */
    w->started = 1;
    w->pid = getpid();
    return 0;
}

/* In the child of a fork() made while the worker existed: the thread is
 * not there, and its mutex may have been held at the fork. */
static int
worker_forked(const worker *w)
{
    return w->started && w->pid != getpid();
}

/* Sign the request for self->token and hand it to the worker, which then
 * runs the listing ahead. Main thread, worker idle with nothing queued.
 * 0, or -1 with an exception. */
static int
worker_prime(Pager *self, iot_state *st)
{
    worker *w = &self->w;

    if (worker_start(self) < 0) {
        return -1;
    }
    /* the worker is idle: its request buffers and token are ours */
    free_owned(&w->sent);
    if (self->token.s != NULL) {
        w->sent.s = dup_str(self->token.s, self->token.n);
        if (w->sent.s == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        w->sent.n = self->token.n;
    }
    w->sent_from_page = self->token_from_page;
    w->items = self->items;
    if (start_request(self, st, &w->bufs) < 0) {
        return -1;
    }
    __atomic_store_n(&w->cancel, 0, __ATOMIC_RELEASE);
    pthread_mutex_lock(&w->mu);
    w->raw = 0;
    w->running = 1;
    w->go = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

/* Is the worker running ahead or holding results? (main thread) */
static int
worker_busy(worker *w)
{
    int busy;
    if (!w->started) {
        return 0;
    }
    pthread_mutex_lock(&w->mu);
    busy = w->running || w->qlen > 0 || w->raw;
    pthread_mutex_unlock(&w->mu);
    return busy;
}

/* Stop the worker's run and drop what it holds; waits (without the GIL)
 * until it has let go of the transport. Main thread, GIL held. */
static void
worker_cancel(worker *w, iot_http *http)
{
    int i;
    if (!w->started) {
        return;
    }
    __atomic_store_n(&w->cancel, 1, __ATOMIC_RELEASE);
    iot_http_wakeup(http);
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&w->mu);
    pthread_cond_broadcast(&w->cv);   /* it may wait for a free slot */
    while (w->running) {
        pthread_cond_wait(&w->cv, &w->mu);
    }
    for (i = 0; i < NSLOTS; i++) {
        if (w->slots[i].state == S_READY) {
            w->slots[i].state = S_FREE;   /* a slot in use stays the main thread's */
        }
    }
    w->qhead = w->qlen = 0;
    w->raw = 0;
    w->go = 0;
    pthread_mutex_unlock(&w->mu);
    Py_END_ALLOW_THREADS
}

enum { R_NONE = 0, R_SLOT, R_RAW };

/* Wait for the worker's next result, in 50 ms slices, checking signals:
 * R_SLOT (*slot_out: the oldest parsed page, now S_USED), R_RAW (*rc_out:
 * the transfer's result, left in the transport; the worker is idle), R_NONE
 * (the worker is idle and holds nothing), or -1 with an exception (a
 * signal: the run is cancelled). */
static int
worker_wait(Pager *self, slot **slot_out, int *rc_out)
{
    worker *w = &self->w;

    if (!w->started) {
        return R_NONE;
    }
    for (;;) {
        int r = -1;
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&w->mu);
        if (w->qlen == 0 && !w->raw && w->running) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += STEP_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec += 1;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        }
        if (w->qlen > 0) {
            slot *s = &w->slots[w->queue[w->qhead]];
            w->qhead = (w->qhead + 1) % NSLOTS;
            w->qlen--;
            s->state = S_USED;
            *slot_out = s;
            r = R_SLOT;
        }
        else if (w->raw) {
            w->raw = 0;
            *rc_out = w->raw_rc;
            r = R_RAW;
        }
        else if (!w->running) {
            r = R_NONE;
        }
        pthread_mutex_unlock(&w->mu);
        Py_END_ALLOW_THREADS
        if (r >= 0) {
            return r;
        }
        if (PyErr_CheckSignals() < 0) {
            worker_cancel(w, self->http);
            return -1;
        }
    }
}

/* Give a slot back once its page is built. */
static void
worker_release(worker *w, slot *s)
{
    pthread_mutex_lock(&w->mu);
    s->state = S_FREE;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* End the worker thread and free its slots (close, dealloc). */
static void
worker_stop(Pager *self)
{
    worker *w = &self->w;
    int i;

    if (worker_forked(w)) {
        /* The child of a fork() made while the worker existed: there is no
         * thread to stop, and it may have been anywhere inside libcurl or a
         * slot at the fork, so the transport and everything the worker
         * shared are in an unknown state (ASan saw curl_easy_cleanup free
         * again a block the worker had just freed). Leak them all: the
         * child cannot use the listing anyway (next() says so). */
        memset(w, 0, sizeof(*w));
        reqbufs_init(&w->bufs);
        self->http = NULL;
        return;
    }
    if (w->started) {
        worker_cancel(w, self->http);
        pthread_mutex_lock(&w->mu);
        w->quit = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        Py_BEGIN_ALLOW_THREADS
        pthread_join(w->thread, NULL);
        Py_END_ALLOW_THREADS
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        w->started = 0;
    }
    for (i = 0; i < NSLOTS; i++) {
        slot *s = &w->slots[i];
        iot_buf_free(&s->body);
        if (s->page.parser != NULL) {
            iot_json_page_free(&s->page);
        }
        iot_buf_free(&s->hbytes);
        free(s->hdrs);
        s->hdrs = NULL;
        s->hcap = s->nhdrs = 0;
        iot_buf_free(&s->target);
        free_owned(&s->token);
        s->state = S_FREE;
    }
    free_owned(&w->sent);
    reqbufs_free(&w->bufs);
    free(w->ak);
    free(w->sk);
    free(w->tok);
    w->ak = w->sk = w->tok = NULL;
}

/* Drive the transfer: the GIL is released for each slice; signals are
 * checked between slices. IOT_HTTP_DONE / IOT_HTTP_FAILED, or -1 with an
 * exception (KeyboardInterrupt): the transfer is then aborted. */
static int
run_transfer(Pager *self)
{
    int rc;
    for (;;) {
        iot_http *h = self->http;
        Py_BEGIN_ALLOW_THREADS
        rc = iot_http_step(h, STEP_MS);
        Py_END_ALLOW_THREADS
        if (rc != IOT_HTTP_RUNNING) {
            return rc;
        }
        if (PyErr_CheckSignals() < 0) {
            iot_http_abort(self->http);
            return -1;
        }
    }
}

/* Sleep `seconds` with the GIL released, in slices, checking signals. */
static int
sleep_interruptibly(double seconds)
{
    struct timespec ts;
    while (seconds > 0) {
        double slice = seconds > STEP_MS / 1000.0 ? STEP_MS / 1000.0 : seconds;
        ts.tv_sec = (time_t)slice;
        ts.tv_nsec = (long)((slice - (double)ts.tv_sec) * 1e9);
        Py_BEGIN_ALLOW_THREADS
        nanosleep(&ts, NULL);
        Py_END_ALLOW_THREADS
        if (PyErr_CheckSignals() < 0) {
            return -1;
        }
        seconds -= slice;
    }
    return 0;
}

/* controller.log_request(method, target, status, bytes, seconds, attempt,
 * error): one DEBUG line per request when the iotpager logger wants it.
 * The target is the path and query (url less the endpoint); no header, so
 * no credential. */
static int
log_request(Pager *self, const char *url, long status, size_t bytes, double seconds,
            long attempt, const char *error)
{
    size_t elen = strlen(self->endpoint);
    const char *target = url != NULL && strlen(url) >= elen ? url + elen : "";
    PyObject *r = PyObject_CallMethod(self->controller, "log_request", "sslndls", self->method,
                                      target, status, (Py_ssize_t)bytes, seconds, attempt,
                                      error);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

/* Fetch one page, with the controller's retries. first_rc >= 0: the first
 * attempt's result is already in the transport (the worker's), its URL in
 * self->bufs. On success the response is in self->http and *headers_out and
 * *attempt_out are set (new reference). 0, or -1 with an exception set. */
static int
fetch(Pager *self, iot_state *st, int first_rc, PyObject **headers_out, long *attempt_out)
{
    long attempt = 0;
    PyObject *headers = NULL;

    *headers_out = NULL;
    for (;;) {
        double delay;
        long status;
        int rc;

        if (attempt == 0 && first_rc >= 0) {
            rc = first_rc;
        }
        else {
            if (start_request(self, st, &self->bufs) < 0) {
                return -1;
            }
            rc = run_transfer(self);
        }
        if (rc < 0) {
            return -1;
        }
        if (self->log_requests &&
            log_request(self, self->bufs.url.data,
                        rc == IOT_HTTP_DONE ? iot_http_status(self->http) : 0L,
                        iot_http_body(self->http)->len, iot_http_total_seconds(self->http),
                        attempt, rc == IOT_HTTP_DONE ? "" : iot_http_error_message(self->http)) < 0) {
            return -1;
        }
        if (rc == IOT_HTTP_FAILED && iot_http_error_kind(self->http) == IOT_HTTP_E_TOO_BIG &&
            iot_http_status(self->http) > 0) {
            /* over max_body after the headers came: an invalid response
             * whose error says the status and request id, as for a body
             * that is not JSON */
            PyObject *metadata;
            headers = iot_build_headers(st, iot_http_headers(self->http),
                                        iot_http_header_count(self->http));
            metadata = headers == NULL ? NULL
                       : iot_build_metadata(st, iot_http_status(self->http), headers);
            Py_CLEAR(headers);
            if (metadata != NULL) {
                iot_err_invalid(st, self->controller, iot_http_error_message(self->http), "$",
                                metadata);
                Py_DECREF(metadata);
            }
            return -1;
        }
        if (rc == IOT_HTTP_FAILED) {
            delay = iot_err_transport(st, self->controller, self->http, self->bufs.url.data,
                                      attempt);
        }
        else {
            self->bytes += (long long)iot_http_body(self->http)->len;
            status = iot_http_status(self->http);
            headers = iot_build_headers(st, iot_http_headers(self->http),
                                        iot_http_header_count(self->http));
            if (headers == NULL) {
                return -1;
            }
            if (status < 301) {
                *headers_out = headers;
                *attempt_out = attempt;
                return 0;
            }
            delay = iot_err_http(st, self->controller, status, headers,
                                 iot_http_body(self->http), attempt);
            Py_CLEAR(headers);
        }
        if (delay < 0) {
            return -1;
        }
        if (sleep_interruptibly(delay) < 0) {
            return -1;
        }
        attempt++;
        self->retries++;
    }
}

/* Keep an exception for the next call: the page it follows is yielded
 * first, as botocore yields a page before the next request fails. */
static void
defer_error(Pager *self)
{
    Py_CLEAR(self->pending_type);
    Py_CLEAR(self->pending_value);
    Py_CLEAR(self->pending_tb);
    PyErr_Fetch(&self->pending_type, &self->pending_value, &self->pending_tb);
}

/* Hand the next request to the worker when prefetch is on and MaxItems
 * still wants jobs. A failure is kept for the next call. */
static void
maybe_prefetch(Pager *self, iot_state *st)
{
    if (self->prefetch && !self->finished && !self->dup_pending &&
        (self->max_items < 0 || self->items < self->max_items) &&
        worker_prime(self, st) < 0) {
        defer_error(self);
    }
}

/* Right after parsing on the main thread, before the page is built: what
 * follows a page whose nextToken is a plain JSON string, by botocore's
 * rules (an empty or missing token ends the listing; the token that
 * fetched this page, sent back again, is a PaginationError on the next
 * call). When it continues, the worker takes over the listing from here.
 * Returns 1 when decided, 0 for a token of another kind (advance() decides
 * after building), -1 with an exception set. */
static int
advance_c(Pager *self, iot_state *st)
{
    const char *s = NULL;
    size_t n = self->page.next_token.len;
    char *copy;

    switch (token_rule(&self->page, &self->token, self->token_from_page, &s)) {
    case TOK_END:
        self->finished = 1;
        return 1;
    case TOK_DUP:
        self->dup_pending = 1;   /* self->token is the repeated token */
        return 1;
    case TOK_LATER:
        return 0;
    default:
        break;
    }
    copy = dup_str(s, n);
    if (copy == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    free_token(self);
    self->token.s = copy;
    self->token.n = n;
    self->token_from_page = 1;
    maybe_prefetch(self, st);
    return 1;
}

/* A page the worker parsed: its decision becomes the Pager's. Returns 1
 * when decided, 0 when advance() decides after building. */
static int
advance_slot(Pager *self, slot *s)
{
    if (!s->decided) {
        return 0;
    }
    if (s->finished) {
        self->finished = 1;
    }
    else if (s->dup) {
        self->dup_pending = 1;   /* self->token is the repeated token */
    }
    else {
        free_token(self);
        self->token = s->token;   /* moved */
        s->token.s = NULL;
        s->token.n = 0;
        self->token_from_page = 1;
    }
    return 1;
}

/* After the page is built, for a nextToken that is not a plain JSON string
 * (value borrowed, may be NULL): botocore's truthiness decides; a non-str
 * token is an invalid response. 0, or -1 with an exception set. */
static int
advance(Pager *self, iot_state *st, PyObject *token, PyObject *metadata)
{
    int truthy;

    if (token == NULL) {
        self->finished = 1;
        return 0;
    }
    truthy = PyObject_IsTrue(token);
    if (truthy < 0) {
        return -1;
    }
    if (!truthy) {
        self->finished = 1;
        return 0;
    }
    if (!PyUnicode_Check(token)) {
        /* botocore would send it and fail parameter validation; say what
         * is wrong with the response instead */
        self->finished = 1;
        iot_err_invalid(st, self->controller, "nextToken is not a string",
                        "$.nextToken", metadata);
        defer_error(self);   /* the page is yielded first: no job is lost */
        return 0;
    }
    free_token(self);
    if (copy_utf8(token, "nextToken", &self->token) < 0) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
            return -1;
        }
        /* a token with lone surrogates cannot be sent: the page is still
         * yielded, and the next request fails as botocore's would */
        PyErr_Clear();
        self->finished = 1;
        return 0;
    }
    self->token_from_page = 1;
    return 0;
}

static void release_c(Pager *self);

static PyObject *
pager_next(Pager *self)
{
    iot_state *st = PyType_GetModuleState(Py_TYPE(self));
    PyObject *headers = NULL, *metadata = NULL, *page = NULL, *token = NULL;
    iot_build_ctx ctx;
    iot_page *pg;
    slot *cur = NULL;
    long attempt = 0, status;
    int jerr, decided, r, raw_rc = -1;

    if (st == NULL) {
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError,
                        "iotpager: this page iterator is already being iterated "
                        "in another thread");
        return NULL;
    }
    /* release_c below waits for the worker without the GIL: the iterator
     * is marked busy meanwhile, so that another thread's next() or close()
     * gets RuntimeError instead of tearing the worker down a second time */
    if (self->pending_type != NULL) {
        PyObject *t = self->pending_type, *v = self->pending_value, *tb = self->pending_tb;
        self->pending_type = self->pending_value = self->pending_tb = NULL;
        self->finished = 1;
        self->busy = 1;
        release_c(self);
        self->busy = 0;
        PyErr_Restore(t, v, tb);
        return NULL;
    }
    if (self->dup_pending) {
        PyObject *dup, *res;
        self->dup_pending = 0;
        self->finished = 1;
        self->busy = 1;
        release_c(self);
        self->busy = 0;
        dup = PyUnicode_DecodeUTF8(self->token.s, (Py_ssize_t)self->token.n, "strict");
        if (dup == NULL) {
            return NULL;
        }
        res = PyObject_CallMethodOneArg(self->controller, st->s_duplicate_token, dup);
        Py_DECREF(dup);
        Py_XDECREF(res);
        if (res != NULL) {
            PyErr_SetString(PyExc_RuntimeError, "iotpager: duplicate nextToken");
        }
        return NULL;
    }
    if (self->finished || self->http == NULL) {
        return NULL;   /* StopIteration */
    }
    if (worker_forked(&self->w)) {
        /* its connection and its prefetch thread stayed with the parent */
        PyErr_SetString(PyExc_RuntimeError,
                        "iotpager: this listing was started before fork(); start a new "
                        "one in the child process");
        return NULL;
    }
    self->busy = 1;
    r = worker_wait(self, &cur, &raw_rc);
    if (r < 0) {
        goto error;
    }
    if (r == R_RAW) {
        /* the worker's request failed or got an error status: its URL
         * becomes ours, and fetch() retries as the controller says */
        iot_buf_reset(&self->bufs.url);
        if (iot_buf_append(&self->bufs.url, self->w.bufs.url.data ? self->w.bufs.url.data : "",
                           self->w.bufs.url.len) != IOT_BUF_OK) {
            PyErr_NoMemory();
            goto error;
        }
    }
    if (r == R_SLOT) {
        self->bytes += (long long)cur->body.len;
        if (self->log_requests &&
            log_request(self, cur->target.data, cur->status, cur->body.len, cur->seconds, 0,
                        "") < 0) {
            goto error;
        }
        status = cur->status;
        headers = iot_build_headers(st, cur->hdrs, cur->nhdrs);
        if (headers == NULL) {
            goto error;
        }
        pg = &cur->page;
        jerr = cur->jerr;
        if (worker_busy(&self->w)) {
            /* the worker runs on: the requests it signs from now on (after
             * this slot is given back) carry the credentials botocore gives
             * now. A failure is raised after this page, as botocore would
             * fail signing the next request. */
            PyObject *creds;
            const char *ak, *sk, *tok;
            if (get_credentials(self, st, &creds, &ak, &sk, &tok) < 0) {
                defer_error(self);
                worker_cancel(&self->w, self->http);
            }
            else {
                Py_DECREF(creds);
            }
        }
    }
    else {
        if (fetch(self, st, r == R_RAW ? raw_rc : -1, &headers, &attempt) < 0) {
            goto error;
        }
        status = iot_http_status(self->http);
        /* the body becomes the Pager's: strings are built straight from
         * it while a prefetch fills the transport's other buffer */
        iot_http_take_body(self->http, &self->page_body);
        pg = &self->page;
        if (self->page_body.data == NULL && iot_buf_reserve(&self->page_body, 0) != IOT_BUF_OK) {
            /* an empty body: the shim reports it; give it padded storage */
            PyErr_NoMemory();
            goto error;
        }
        {
            const char *data = self->page_body.data;
            size_t len = self->page_body.len;
            Py_BEGIN_ALLOW_THREADS
            jerr = iot_json_parse_page(pg, data, len);
            Py_END_ALLOW_THREADS
        }
    }
    metadata = iot_build_metadata(st, status, headers);
    if (metadata == NULL) {
        goto error;
    }
    if (jerr != IOT_JSON_OK) {
        if (jerr == IOT_JSON_E_NOMEM) {
            PyErr_NoMemory();
        }
        else {
            iot_err_invalid(st, self->controller, pg->errmsg, pg->errpath, metadata);
        }
        goto error;
    }
    {
        long long n = (long long)pg->njobs;
        if (self->pages == 0 && self->skip > 0) {
            n = n > self->skip ? n - self->skip : 0;
        }
        self->items += n;
    }
    decided = cur != NULL ? advance_slot(self, cur) : advance_c(self, st);
    if (decided < 0) {
        goto error;
    }
    ctx.st = st;
    ctx.tz = &self->tz;
    ctx.controller = self->controller;
    ctx.jobs_text = self->jobs_text ? st->JobsTextType : NULL;
    ctx.plan = (const iot_plan_object *)self->plan;
    page = iot_build_page(&ctx, pg, metadata, &token);
    if (page == NULL) {
        goto error;
    }
    self->pages++;
    self->jobs += (long long)pg->njobs;
    if (cur != NULL) {
        /* the worker may refill it at once: nothing of pg is read after */
        worker_release(&self->w, cur);
        cur = NULL;
        pg = NULL;
    }
    if (!decided && advance(self, st, token, metadata) < 0) {
        goto error;
    }
    if (r == R_SLOT && decided && self->pending_type == NULL && !worker_busy(&self->w)) {
        /* the worker's run ended early (it could not sign): go on from here */
        maybe_prefetch(self, st);
    }
    /* botocore's endpoint asks its retry handlers about successes too
     * (standard mode gives back retry quota, a retried request may be
     * marked MaxAttemptsReached); legacy mode only cares after a retry */
    if (self->success_hook || attempt > 0) {
        PyObject *res = PyObject_CallMethod(self->controller, "success", "lOOl",
                                            status, headers, page, attempt);
        if (res == NULL) {
            goto error;
        }
        Py_DECREF(res);
    }
    if (iot_build_set_retries(st, metadata, attempt) < 0) {
        goto error;
    }
    Py_DECREF(headers);
    Py_DECREF(metadata);
    Py_XDECREF(token);
    if (self->finished && !self->dup_pending && self->pending_type == NULL) {
        /* the listing is over: let go of the thread, connection and buffers
         * now, not when the iterator is collected */
        release_c(self);
    }
    self->busy = 0;
    return page;
error:
    /* like a generator that raised: the listing is over, and its thread,
     * connection and buffers are let go now; an error kept for the next
     * call is moot */
    self->finished = 1;
    self->dup_pending = 0;
    {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        Py_CLEAR(self->pending_type);
        Py_CLEAR(self->pending_value);
        Py_CLEAR(self->pending_tb);
        if (cur != NULL) {
            worker_release(&self->w, cur);
        }
        release_c(self);
        PyErr_Restore(t, v, tb);
    }
    self->busy = 0;
    Py_XDECREF(headers);
    Py_XDECREF(metadata);
    Py_XDECREF(page);
    Py_XDECREF(token);
    return NULL;
}

/* ---- construction and teardown ----------------------------------------- */

static void
free_pairs(owned_str **keys, owned_str **vals, size_t *n)
{
    size_t i;
    for (i = 0; i < *n; i++) {
        free((*keys)[i].s);
        free((*vals)[i].s);
    }
    free(*keys);
    free(*vals);
    *keys = *vals = NULL;
    *n = 0;
}

static void
free_params(Pager *self)
{
    free_pairs(&self->pkeys, &self->pvals, &self->nparams);
    free_pairs(&self->hnames, &self->hvals, &self->nheaders);
}

/* A sequence of (str, str) pairs as owned UTF-8 copies in *keys and *vals
 * (*n of them). 0, or -1 with an exception set (what is made so far is
 * freed by free_pairs). */
static int
set_pairs(PyObject *pairs, const char *what, owned_str **keys, owned_str **vals, size_t *n)
{
    PyObject *seq = NULL;
    Py_ssize_t i, count;
    int rc = -1;

    seq = PySequence_Fast(pairs, "iotpager: params and headers must be sequences of (str, str)");
    if (seq == NULL) {
        return -1;
    }
    count = PySequence_Fast_GET_SIZE(seq);
    *keys = calloc((size_t)count + 1, sizeof(owned_str));
    *vals = calloc((size_t)count + 1, sizeof(owned_str));
    if (*keys == NULL || *vals == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < count; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_Format(PyExc_TypeError, "iotpager: %s must be (str, str) pairs", what);
            goto done;
        }
        if (copy_utf8(PyTuple_GET_ITEM(pair, 0), "a name", &(*keys)[i]) < 0) {
            goto done;
        }
        (*n)++;   /* so free_pairs frees the key even if the value fails */
        if (copy_utf8(PyTuple_GET_ITEM(pair, 1), "a value", &(*vals)[i]) < 0) {
            goto done;
        }
    }
    rc = 0;
done:
    Py_DECREF(seq);
    return rc;
}

static int
set_params(Pager *self, PyObject *params)
{
    return set_pairs(params, "params", &self->pkeys, &self->pvals, &self->nparams);
}

/* bytes (or None) as an owned copy (s NULL for None). 0, or -1. */
static int
copy_bytes(PyObject *obj, const char *what, owned_str *out)
{
    char *data;
    Py_ssize_t n;

    if (obj == Py_None) {
        return 0;
    }
    if (PyBytes_AsStringAndSize(obj, &data, &n) < 0) {
        PyErr_Format(PyExc_TypeError, "iotpager: %s must be bytes or None", what);
        return -1;
    }
    out->s = dup_str(data, (size_t)n);
    out->n = (size_t)n;
    if (out->s == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static char *
copy_cstr(const char *s)
{
    char *p = s ? dup_str(s, strlen(s)) : NULL;
    if (s && p == NULL) {
        PyErr_NoMemory();
    }
    return p;
}

static int
pager_init(Pager *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {
        "controller", "endpoint", "host", "region", "params", "next_token",
        "tz_mode", "tzinfo", "service", "path", "connect_timeout", "read_timeout",
        "verify", "ca_bundle", "proxy", "user_agent", "max_body", "prefetch",
        "max_items", "skip", "success_hook", "log_requests", "jobs_text", "join_folds",
        "plan", "canonical_path", "method", "token_param", "token_in_body", "body",
        "body_prefix", "body_suffix", "headers", NULL};
    PyObject *controller, *params, *next_token, *tzinfo;
    PyObject *plan = Py_None, *body = Py_None, *body_prefix = Py_None, *body_suffix = Py_None;
    PyObject *headers = NULL;
    const char *canonical_path = NULL, *method = "GET", *token_param = "nextToken";
    int token_in_body = 0;
    const char *endpoint, *host, *region, *service = "iot", *path = "/jobs";
    const char *ca_bundle = NULL, *proxy = NULL, *user_agent = NULL;
    double connect_timeout = 60.0, read_timeout = 60.0;
    int verify = 1, tz_mode;
    Py_ssize_t max_body = 64 * 1024 * 1024;
    int prefetch = 1;
    long long max_items = -1, skip = 0;
    int success_hook = 0, log_requests = 0, jobs_text = 0, join_folds = 0;
    iot_http_config cfg;

    if (self->http != NULL || self->controller != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "iotpager: Pager.__init__ called twice");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OsssOOiO|ssddpzzznpLLppppOzsspOOOO:Pager", kwlist,
                                     &controller, &endpoint, &host, &region, &params,
                                     &next_token, &tz_mode, &tzinfo, &service, &path,
                                     &connect_timeout, &read_timeout, &verify,
                                     &ca_bundle, &proxy, &user_agent, &max_body,
                                     &prefetch, &max_items, &skip, &success_hook,
                                     &log_requests, &jobs_text, &join_folds, &plan,
                                     &canonical_path, &method, &token_param, &token_in_body,
                                     &body, &body_prefix, &body_suffix, &headers)) {
        return -1;
    }
    if (plan != Py_None &&
        !PyObject_TypeCheck(plan, iot_state_from_type(Py_TYPE(self))->PlanType)) {
        PyErr_SetString(PyExc_TypeError, "iotpager: plan must be a Plan or None");
        return -1;
    }
    if (plan != Py_None && jobs_text) {
        PyErr_SetString(PyExc_ValueError, "iotpager: jobs_text is for ListJobs without a plan");
        return -1;
    }
    if (token_in_body && (body_prefix == Py_None || body_suffix == Py_None)) {
        PyErr_SetString(PyExc_ValueError, "iotpager: token_in_body needs body_prefix and body_suffix");
        return -1;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
        PyErr_Format(PyExc_ValueError, "iotpager: method must be GET or POST, not %s", method);
        return -1;
    }
    if (jobs_text && tz_mode != IOT_TZ_RAW) {
        PyErr_SetString(PyExc_ValueError, "iotpager: jobs_text needs tz_mode 2 (raw)");
        return -1;
    }
    if (tz_mode != IOT_TZ_LOCAL && tz_mode != IOT_TZ_UTC && tz_mode != IOT_TZ_RAW) {
        PyErr_SetString(PyExc_ValueError,
                        "iotpager: tz_mode must be 0 (local), 1 (utc) or 2 (raw)");
        return -1;
    }
    if (max_body < 0) {
        PyErr_SetString(PyExc_ValueError, "iotpager: max_body must be >= 0");
        return -1;
    }
    self->prefetch = prefetch;
    self->success_hook = success_hook;
    self->log_requests = log_requests;
    self->jobs_text = jobs_text;
    self->max_items = max_items;
    self->skip = skip;
    Py_INCREF(controller);
    self->controller = controller;
    if (iot_tz_setup(&self->tz, tz_mode, tzinfo) < 0) {
        return -1;
    }
    if (set_params(self, params) < 0) {
        return -1;
    }
    if (headers != NULL && headers != Py_None &&
        set_pairs(headers, "headers", &self->hnames, &self->hvals, &self->nheaders) < 0) {
        return -1;
    }
    if (copy_bytes(body, "body", &self->body) < 0 ||
        copy_bytes(body_prefix, "body_prefix", &self->body_prefix) < 0 ||
        copy_bytes(body_suffix, "body_suffix", &self->body_suffix) < 0) {
        return -1;
    }
    self->token_in_body = token_in_body;
    if (plan != Py_None) {
        Py_INCREF(plan);
        self->plan = plan;
    }
    if (next_token != Py_None && copy_utf8(next_token, "next_token", &self->token) < 0) {
        return -1;
    }
    self->endpoint = copy_cstr(endpoint);
    self->host = copy_cstr(host);
    self->path = copy_cstr(path);
    self->canonical_path = copy_cstr(canonical_path ? canonical_path : path);
    self->method = copy_cstr(method);
    self->token_param = copy_cstr(token_param);
    self->region = copy_cstr(region);
    self->service = copy_cstr(service);
    if (!self->endpoint || !self->host || !self->path || !self->region || !self->service ||
        !self->canonical_path || !self->method || !self->token_param) {
        return -1;
    }
    if (iot_json_page_init(&self->page) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    self->page.plan = plan_of(self);
    memset(&cfg, 0, sizeof(cfg));
    cfg.connect_timeout_ms = (long)(connect_timeout * 1000.0);
    cfg.read_timeout_ms = (long)(read_timeout * 1000.0);
    cfg.verify = verify;
    cfg.ca_bundle = ca_bundle;
    cfg.proxy = proxy;
    cfg.user_agent = user_agent;
    cfg.max_body = (size_t)max_body;
    cfg.join_folds = join_folds;
    self->http = iot_http_new(&cfg);
    if (self->http == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "iotpager: could not create a libcurl handle");
        return -1;
    }
    return 0;
}

static PyObject *
pager_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    Pager *self;
    (void)args;
    (void)kwds;
    self = (Pager *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    iot_buf_init(&self->page_body, 0);
    reqbufs_init(&self->bufs);
    reqbufs_init(&self->w.bufs);
    return (PyObject *)self;
}

static void
release_c(Pager *self)
{
    worker_stop(self);
    if (self->http != NULL) {
        iot_http_free(self->http);
        self->http = NULL;
    }
    if (self->page.parser != NULL) {
        iot_json_page_free(&self->page);
    }
    iot_buf_free(&self->page_body);
}

static int
pager_traverse(Pager *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->controller);
    Py_VISIT(self->tz.tzinfo);
    Py_VISIT(self->pending_type);
    Py_VISIT(self->pending_value);
    Py_VISIT(self->pending_tb);
    return 0;
}

static int
pager_clear(Pager *self)
{
    Py_CLEAR(self->controller);
    Py_CLEAR(self->pending_type);
    Py_CLEAR(self->pending_value);
    Py_CLEAR(self->pending_tb);
    iot_tz_clear(&self->tz);
    return 0;
}

static void
pager_dealloc(Pager *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    pager_clear(self);
    release_c(self);
    free_params(self);
    free_token(self);
    free(self->endpoint);
    free(self->host);
    free(self->path);
    free(self->canonical_path);
    free(self->method);
    free(self->token_param);
    free_owned(&self->body);
    free_owned(&self->body_prefix);
    free_owned(&self->body_suffix);
    Py_XDECREF(self->plan);   /* after release_c: the worker read it */
    self->plan = NULL;
    free(self->region);
    free(self->service);
    iot_buf_free(&self->page_body);
    reqbufs_free(&self->bufs);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

PyDoc_STRVAR(pager_close_doc,
"close($self, /)\n--\n\n"
"End the listing now: free the connection, the parser and the buffers.\n"
"Further next() calls raise StopIteration.");

static PyObject *
pager_close(Pager *self, PyObject *Py_UNUSED(ignored))
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError,
                        "iotpager: cannot close a page iterator in use by another thread");
        return NULL;
    }
    self->finished = 1;
    self->dup_pending = 0;
    Py_CLEAR(self->pending_type);
    Py_CLEAR(self->pending_value);
    Py_CLEAR(self->pending_tb);
    /* release_c waits for the worker without the GIL: mark the iterator
     * busy meanwhile, so that a second close (or next) from another thread
     * gets RuntimeError instead of tearing the worker down twice */
    self->busy = 1;
    release_c(self);
    self->busy = 0;
    Py_RETURN_NONE;
}

static PyObject *
pager_get_next_token(Pager *self, void *Py_UNUSED(closure))
{
    if (self->token.s == NULL) {
        Py_RETURN_NONE;
    }
    return PyUnicode_DecodeUTF8(self->token.s, (Py_ssize_t)self->token.n, "strict");
}

static PyObject *
pager_get_stats(Pager *self, void *Py_UNUSED(closure))
{
    long requests = self->requests;
    if (self->w.started && !worker_forked(&self->w)) {
        pthread_mutex_lock(&self->w.mu);
        requests += self->w.requests;
        pthread_mutex_unlock(&self->w.mu);
    }
    else {
        requests += self->w.requests;
    }
    return Py_BuildValue("{s:l,s:L,s:L,s:l,s:l}", "pages", self->pages, "jobs", self->jobs,
                         "bytes", self->bytes, "requests", requests, "retries",
                         self->retries);
}

static PyObject *
pager_get_finished(Pager *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->finished && !self->dup_pending && self->pending_type == NULL);
}

static PyMethodDef pager_methods[] = {
    {"close", (PyCFunction)pager_close, METH_NOARGS, pager_close_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef pager_getset[] = {
    {"next_token", (getter)pager_get_next_token, NULL,
     "The nextToken the next request will send (None: none).", NULL},
    {"stats", (getter)pager_get_stats, NULL,
     "Counters: pages, jobs, bytes, requests, retries.", NULL},
    {"finished", (getter)pager_get_finished, NULL, "True once the listing has ended.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(pager_doc,
"Pager(controller, endpoint, host, region, params, next_token, tz_mode, tzinfo, /, ...)\n"
"--\n\n"
"The C ListJobs page iterator. Internal: use iotpager.get_paginator().");

static PyMemberDef pager_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(Pager, weakreflist), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot pager_slots[] = {
    {Py_tp_doc, (void *)pager_doc},
    {Py_tp_members, pager_members},
    {Py_tp_new, pager_new},
    {Py_tp_init, pager_init},
    {Py_tp_dealloc, pager_dealloc},
    {Py_tp_traverse, pager_traverse},
    {Py_tp_clear, pager_clear},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, pager_next},
    {Py_tp_methods, pager_methods},
    {Py_tp_getset, pager_getset},
    {0, NULL},
};

PyType_Spec iot_pager_spec = {
    .name = "iotpager._core.Pager",
    .basicsize = sizeof(Pager),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = pager_slots,
};
