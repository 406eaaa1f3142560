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
 * Ownership: a Pager owns its controller and tzinfo references, its
 * iot_http, its iot_page and every malloc'd string below. It is used by one
 * thread at a time; a second thread entering __next__ gets RuntimeError.
 */
#include "iotpager.h"

#include <structmember.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sigv4.h"
#include "uri.h"

#define STEP_MS 50   /* the longest the GIL stays released in one slice */

typedef struct {
    char *s;
    size_t n;
} owned_str;

/* The prefetch worker: one pthread per Pager, started on the first
 * prefetch. It only drives iot_http_step (pure C, no Python), so it never
 * needs the GIL. The main thread hands it a signed, started request and
 * later waits for the result, in 50 ms slices, checking signals. */
enum { W_IDLE = 0, W_RUNNING, W_DONE };

typedef struct {
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state;          /* W_*, under mu */
    int quit;           /* under mu */
    int cancel;         /* atomic: stop the transfer now */
    int rc;             /* IOT_HTTP_DONE / IOT_HTTP_FAILED, under mu */
    iot_http *http;     /* borrowed from the Pager */
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
    char *path;                /* canonical path, e.g. "/jobs" */
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
    int inflight;              /* a prefetched request is with the worker */
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
    iot_buf url;               /* reused request buffers */
    iot_buf query;
    iot_buf auth;
    PyObject *weakreflist;     /* weak references to this Pager (tests watch it go) */
} Pager;

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
free_token(Pager *self)
{
    free(self->token.s);
    self->token.s = NULL;
    self->token.n = 0;
}

/* ---- the request ------------------------------------------------------- */

/* Build the canonical query (also the URL's query) for the current token. */
static int
build_query(Pager *self)
{
    iot_uri_param stack[16], *params = stack;
    size_t n = 0, i;
    int rc;

    if (self->nparams + 1 > sizeof(stack) / sizeof(stack[0])) {
        params = PyMem_Malloc((self->nparams + 1) * sizeof(*params));
        if (params == NULL) {
            PyErr_NoMemory();
            return -1;
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
    if (self->token.s != NULL && !(self->token.n == 4 && memcmp(self->token.s, "None", 4) == 0)) {
        params[n].key = "nextToken";
        params[n].key_len = 9;
        params[n].value = self->token.s;
        params[n].value_len = self->token.n;
        n++;
    }
    iot_buf_reset(&self->query);
    rc = iot_uri_canonical_query(&self->query, params, n);
    if (params != stack) {
        PyMem_Free(params);
    }
    if (rc != IOT_BUF_OK) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Sign the request and start it on the transport. The credentials come
 * from the controller for every request, so refreshed credentials are
 * used as soon as botocore refreshes them. 0, or -1 with an exception. */
static int
start_request(Pager *self, iot_state *st)
{
    PyObject *creds = NULL;
    const char *ak, *sk, *tok = NULL;
    char amz_date[20], hdr_date[40];
    char *hdr_host = NULL, *hdr_token = NULL;
    const char *lines[6];
    size_t nlines = 0;
    iot_sigv4_header sh[3];
    iot_sigv4_request req;
    char payload_hash[65];
    struct tm tm;
    time_t now;
    int rc = -1, src;

    creds = PyObject_CallMethodNoArgs(self->controller, st->s_credentials);
    if (creds == NULL) {
        goto done;
    }
    if (!PyTuple_Check(creds) || PyTuple_GET_SIZE(creds) != 3) {
        PyErr_SetString(PyExc_TypeError, "iotpager: controller.credentials() must return a 3-tuple");
        goto done;
    }
    ak = PyUnicode_AsUTF8(PyTuple_GET_ITEM(creds, 0));
    sk = ak ? PyUnicode_AsUTF8(PyTuple_GET_ITEM(creds, 1)) : NULL;
    if (ak == NULL || sk == NULL) {
        goto done;
    }
    if (PyTuple_GET_ITEM(creds, 2) != Py_None) {
        tok = PyUnicode_AsUTF8(PyTuple_GET_ITEM(creds, 2));
        if (tok == NULL) {
            goto done;
        }
    }
    if (build_query(self) < 0) {
        goto done;
    }
    now = time(NULL);
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm) == 0) {
        PyErr_SetString(PyExc_OSError, "iotpager: cannot read the clock");
        goto done;
    }
    if (iot_sigv4_sha256_hex("", 0, payload_hash) < 0) {
        PyErr_SetString(PyExc_RuntimeError, "iotpager: SHA-256 failed");
        goto done;
    }
    sh[0].name = "host";
    sh[0].value = self->host;
    sh[1].name = "x-amz-date";
    sh[1].value = amz_date;
    sh[2].name = "x-amz-security-token";
    sh[2].value = tok;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.canonical_uri = self->path;
    req.canonical_query = self->query.data ? self->query.data : "";
    req.headers = sh;
    req.nheaders = tok ? 3 : 2;
    req.payload_hash = payload_hash;
    req.access_key = ak;
    req.secret_key = sk;
    req.region = self->region;
    req.service = self->service;
    req.amz_date = amz_date;
    iot_buf_reset(&self->auth);
    iot_buf_append_str(&self->auth, "Authorization: ");
    src = iot_sigv4_sign(&self->auth, &req, &self->keycache);
    if (src != 0) {
        if (src == IOT_BUF_ENOMEM) {
            PyErr_NoMemory();
        }
        else {
            PyErr_SetString(PyExc_RuntimeError, "iotpager: SigV4 signing failed");
        }
        goto done;
    }
    /* the URL: endpoint + path + ?query */
    iot_buf_reset(&self->url);
    if (iot_buf_append_str(&self->url, self->endpoint) ||
        iot_buf_append_str(&self->url, self->path) ||
        (self->query.len && (iot_buf_append_char(&self->url, '?') ||
                             iot_buf_append(&self->url, self->query.data, self->query.len)))) {
        PyErr_NoMemory();
        goto done;
    }
    hdr_host = PyMem_Malloc(strlen(self->host) + 8);
    if (hdr_host == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    sprintf(hdr_host, "Host: %s", self->host);
    snprintf(hdr_date, sizeof(hdr_date), "X-Amz-Date: %s", amz_date);
    lines[nlines++] = hdr_host;
    lines[nlines++] = hdr_date;
    if (tok != NULL) {
        hdr_token = PyMem_Malloc(strlen(tok) + 32);
        if (hdr_token == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        sprintf(hdr_token, "X-Amz-Security-Token: %s", tok);
        lines[nlines++] = hdr_token;
    }
    lines[nlines++] = self->auth.data;
    lines[nlines++] = "Accept:";   /* botocore sends none; drop curl's default */
    if (iot_http_start(self->http, self->url.data, lines, nlines) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    self->requests++;
    rc = 0;
done:
    PyMem_Free(hdr_host);
    PyMem_Free(hdr_token);
    Py_XDECREF(creds);
    return rc;
}

/* ---- the prefetch worker ------------------------------------------------ */

static void *
worker_main(void *arg)
{
    worker *w = arg;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        int rc = IOT_HTTP_RUNNING;
        while (w->state != W_RUNNING && !w->quit) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        if (w->quit) {
            break;
        }
        pthread_mutex_unlock(&w->mu);
        while (rc == IOT_HTTP_RUNNING) {
            if (__atomic_load_n(&w->cancel, __ATOMIC_ACQUIRE)) {
                iot_http_abort(w->http);
                rc = IOT_HTTP_FAILED;
                break;
            }
            rc = iot_http_step(w->http, 1000);
        }
        pthread_mutex_lock(&w->mu);
        w->rc = rc;
        w->state = W_DONE;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Hand the started request to the worker. 0, or -1 with an exception. */
static int
worker_run(worker *w, iot_http *http)
{
    if (!w->started) {
        int err;
        w->http = http;
        w->state = W_IDLE;
        w->quit = 0;
        if (pthread_mutex_init(&w->mu, NULL) != 0) {
            PyErr_SetString(PyExc_RuntimeError, "iotpager: pthread_mutex_init failed");
            return -1;
        }
        if (pthread_cond_init(&w->cv, NULL) != 0) {
            pthread_mutex_destroy(&w->mu);
            PyErr_SetString(PyExc_RuntimeError, "iotpager: pthread_cond_init failed");
            return -1;
        }
        err = pthread_create(&w->thread, NULL, worker_main, w);
        if (err != 0) {
            pthread_cond_destroy(&w->cv);
            pthread_mutex_destroy(&w->mu);
            errno = err;
            PyErr_SetFromErrno(PyExc_OSError);
            return -1;
        }
        (void)pthread_setname_np(w->thread, "iotpager-pf");   /* seen in /proc; best effort */
        w->started = 1;
    }
    __atomic_store_n(&w->cancel, 0, __ATOMIC_RELEASE);
    pthread_mutex_lock(&w->mu);
    w->state = W_RUNNING;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

/* Stop a running transfer and wait until the worker has let go of it.
 * Called with the GIL held; waits without it. */
static void
worker_cancel(worker *w)
{
    if (!w->started) {
        return;
    }
    __atomic_store_n(&w->cancel, 1, __ATOMIC_RELEASE);
    iot_http_wakeup(w->http);
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&w->mu);
    while (w->state == W_RUNNING) {
        pthread_cond_wait(&w->cv, &w->mu);
    }
    w->state = W_IDLE;
    pthread_mutex_unlock(&w->mu);
    Py_END_ALLOW_THREADS
}

/* Wait for the worker's transfer: IOT_HTTP_DONE / IOT_HTTP_FAILED, or -1
 * with an exception (a signal: the transfer is then cancelled). */
static int
worker_wait(worker *w)
{
    for (;;) {
        int done, rc = 0;
        Py_BEGIN_ALLOW_THREADS
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += STEP_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec += 1;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&w->mu);
        if (w->state == W_RUNNING) {
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        }
        done = w->state == W_DONE;
        if (done) {
            rc = w->rc;
            w->state = W_IDLE;
        }
        pthread_mutex_unlock(&w->mu);
        Py_END_ALLOW_THREADS
        if (done) {
            return rc;
        }
        if (PyErr_CheckSignals() < 0) {
            worker_cancel(w);
            return -1;
        }
    }
}

/* End the worker thread (close, dealloc). */
static void
worker_stop(worker *w)
{
    if (!w->started) {
        return;
    }
    worker_cancel(w);
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
 * The target is the path and query; no header, so no credential. */
static int
log_request(Pager *self, iot_state *st, int rc, long attempt)
{
    const char *target = self->url.data ? self->url.data + strlen(self->endpoint) : "";
    PyObject *r = PyObject_CallMethod(
        self->controller, "log_request", "sslndls", "GET", target,
        rc == IOT_HTTP_DONE ? iot_http_status(self->http) : 0L,
        (Py_ssize_t)iot_http_body(self->http)->len, iot_http_total_seconds(self->http),
        attempt, rc == IOT_HTTP_DONE ? "" : iot_http_error_message(self->http));
    (void)st;
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

/* Fetch one page, with the controller's retries. On success the response
 * is in self->http and *headers_out and *attempt_out are set (new reference).
 * 0, or -1 with an exception set. */
static int
fetch(Pager *self, iot_state *st, PyObject **headers_out, long *attempt_out)
{
    long attempt = 0;
    PyObject *headers = NULL;

    *headers_out = NULL;
    for (;;) {
        double delay;
        long status;
        int rc;

        if (attempt == 0 && self->inflight) {
            self->inflight = 0;
            rc = worker_wait(&self->w);
        }
        else {
            if (start_request(self, st) < 0) {
                return -1;
            }
            rc = run_transfer(self);
        }
        if (rc < 0) {
            return -1;
        }
        if (self->log_requests && log_request(self, st, rc, attempt) < 0) {
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
            delay = iot_err_transport(st, self->controller, self->http, self->url.data,
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

/* Right after parsing, before the page is built: what follows a page whose
 * nextToken is a plain JSON string, by botocore's rules (an empty or
 * missing token ends the listing; the token that fetched this page, sent
 * back again, is a PaginationError on the next call). When it continues
 * and prefetch is on (and MaxItems still wants jobs), the next request is
 * signed and handed to the worker now, so it travels while the page is
 * built and used. Returns 1 when decided, 0 for a token of another kind
 * (advance() decides after building), -1 with an exception set. */
static int
advance_c(Pager *self, iot_state *st)
{
    const iot_value *v = &self->page.next_token;
    const char *s;
    char *copy;

    if (v->kind == IOT_V_ABSENT || v->kind == IOT_V_NULL) {
        self->finished = 1;
        return 1;
    }
    if (v->kind != IOT_V_STRING) {
        return 0;
    }
    if (v->len == 0) {
        self->finished = 1;
        return 1;
    }
    s = iot_value_bytes(&self->page, v);
    if (self->token_from_page && self->token.s != NULL && self->token.n == v->len &&
        memcmp(self->token.s, s, v->len) == 0) {
        self->dup_pending = 1;
        return 1;
    }
    copy = dup_str(s, v->len);
    if (copy == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    free_token(self);
    self->token.s = copy;
    self->token.n = v->len;
    self->token_from_page = 1;
    if (self->prefetch && (self->max_items < 0 || self->items < self->max_items)) {
        if (start_request(self, st) < 0 || worker_run(&self->w, self->http) < 0) {
            defer_error(self);
            return 1;
        }
        self->inflight = 1;
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
    iot_buf *body;
    long attempt = 0, status;
    int jerr, decided;

    if (st == NULL) {
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError,
                        "iotpager: this page iterator is already being iterated "
                        "in another thread");
        return NULL;
    }
    if (self->pending_type != NULL) {
        self->finished = 1;
        release_c(self);
        PyErr_Restore(self->pending_type, self->pending_value, self->pending_tb);
        self->pending_type = self->pending_value = self->pending_tb = NULL;
        return NULL;
    }
    if (self->dup_pending) {
        PyObject *dup, *r;
        self->dup_pending = 0;
        self->finished = 1;
        release_c(self);
        dup = PyUnicode_DecodeUTF8(self->token.s, (Py_ssize_t)self->token.n, "strict");
        if (dup == NULL) {
            return NULL;
        }
        r = PyObject_CallMethodOneArg(self->controller, st->s_duplicate_token, dup);
        Py_DECREF(dup);
        Py_XDECREF(r);
        if (r != NULL) {
            PyErr_SetString(PyExc_RuntimeError, "iotpager: duplicate nextToken");
        }
        return NULL;
    }
    if (self->finished || self->http == NULL) {
        return NULL;   /* StopIteration */
    }
    self->busy = 1;
    if (fetch(self, st, &headers, &attempt) < 0) {
        goto error;
    }
    status = iot_http_status(self->http);   /* before a prefetch reuses the handle */
    metadata = iot_build_metadata(st, status, headers);
    if (metadata == NULL) {
        goto error;
    }
    /* the body becomes the Pager's: strings are built straight from it while
     * a prefetch fills the transport's other buffer */
    iot_http_take_body(self->http, &self->page_body);
    body = &self->page_body;
    {
        iot_page *pg = &self->page;
        const char *data = body->data ? body->data : "";
        size_t len = body->len;
        if (body->data == NULL) {
            /* an empty body: the shim reports it; give it padded storage */
            if (iot_buf_reserve(body, 0) != IOT_BUF_OK) {
                PyErr_NoMemory();
                goto error;
            }
            data = body->data;
        }
        Py_BEGIN_ALLOW_THREADS
        jerr = iot_json_parse_page(pg, data, len);
        Py_END_ALLOW_THREADS
    }
    if (jerr != IOT_JSON_OK) {
        if (jerr == IOT_JSON_E_NOMEM) {
            PyErr_NoMemory();
        }
        else {
            iot_err_invalid(st, self->controller, self->page.errmsg, self->page.errpath,
                            metadata);
        }
        goto error;
    }
    {
        long long n = (long long)self->page.njobs;
        if (self->pages == 0 && self->skip > 0) {
            n = n > self->skip ? n - self->skip : 0;
        }
        self->items += n;
    }
    decided = advance_c(self, st);
    if (decided < 0) {
        goto error;
    }
    ctx.st = st;
    ctx.tz = &self->tz;
    ctx.controller = self->controller;
    ctx.jobs_text = self->jobs_text ? st->JobsTextType : NULL;
    page = iot_build_page(&ctx, &self->page, metadata, &token);
    if (page == NULL) {
        goto error;
    }
    self->pages++;
    self->jobs += (long long)self->page.njobs;
    if (!decided && advance(self, st, token, metadata) < 0) {
        goto error;
    }
    /* botocore's endpoint asks its retry handlers about successes too
     * (standard mode gives back retry quota, a retried request may be
     * marked MaxAttemptsReached); legacy mode only cares after a retry */
    if (self->success_hook || attempt > 0) {
        PyObject *r = PyObject_CallMethod(self->controller, "success", "lOOl",
                                          status, headers, page, attempt);
        if (r == NULL) {
            goto error;
        }
        Py_DECREF(r);
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
     * connection and buffers are let go now */
    self->finished = 1;
    {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
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
free_params(Pager *self)
{
    size_t i;
    for (i = 0; i < self->nparams; i++) {
        free(self->pkeys[i].s);
        free(self->pvals[i].s);
    }
    free(self->pkeys);
    free(self->pvals);
    self->pkeys = self->pvals = NULL;
    self->nparams = 0;
}

static int
set_params(Pager *self, PyObject *params)
{
    PyObject *seq = NULL;
    Py_ssize_t i, n;
    int rc = -1;

    seq = PySequence_Fast(params, "iotpager: params must be a sequence of (str, str) pairs");
    if (seq == NULL) {
        return -1;
    }
    n = PySequence_Fast_GET_SIZE(seq);
    self->pkeys = calloc((size_t)n + 1, sizeof(owned_str));
    self->pvals = calloc((size_t)n + 1, sizeof(owned_str));
    if (self->pkeys == NULL || self->pvals == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < n; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "iotpager: params must be (str, str) pairs");
            goto done;
        }
        if (copy_utf8(PyTuple_GET_ITEM(pair, 0), "a parameter name", &self->pkeys[i]) < 0) {
            goto done;
        }
        self->nparams++;   /* so free_params frees the key even if the value fails */
        if (copy_utf8(PyTuple_GET_ITEM(pair, 1), "a parameter value", &self->pvals[i]) < 0) {
            goto done;
        }
    }
    rc = 0;
done:
    Py_DECREF(seq);
    return rc;
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
        "max_items", "skip", "success_hook", "log_requests", "jobs_text", NULL};
    PyObject *controller, *params, *next_token, *tzinfo;
    const char *endpoint, *host, *region, *service = "iot", *path = "/jobs";
    const char *ca_bundle = NULL, *proxy = NULL, *user_agent = NULL;
    double connect_timeout = 60.0, read_timeout = 60.0;
    int verify = 1, tz_mode;
    Py_ssize_t max_body = 64 * 1024 * 1024;
    int prefetch = 1;
    long long max_items = -1, skip = 0;
    int success_hook = 0, log_requests = 0, jobs_text = 0;
    iot_http_config cfg;

    if (self->http != NULL || self->controller != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "iotpager: Pager.__init__ called twice");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OsssOOiO|ssddpzzznpLLppp:Pager", kwlist,
                                     &controller, &endpoint, &host, &region, &params,
                                     &next_token, &tz_mode, &tzinfo, &service, &path,
                                     &connect_timeout, &read_timeout, &verify,
                                     &ca_bundle, &proxy, &user_agent, &max_body,
                                     &prefetch, &max_items, &skip, &success_hook,
                                     &log_requests, &jobs_text)) {
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
    if (next_token != Py_None && copy_utf8(next_token, "next_token", &self->token) < 0) {
        return -1;
    }
    self->endpoint = copy_cstr(endpoint);
    self->host = copy_cstr(host);
    self->path = copy_cstr(path);
    self->region = copy_cstr(region);
    self->service = copy_cstr(service);
    if (!self->endpoint || !self->host || !self->path || !self->region || !self->service) {
        return -1;
    }
    if (iot_json_page_init(&self->page) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.connect_timeout_ms = (long)(connect_timeout * 1000.0);
    cfg.read_timeout_ms = (long)(read_timeout * 1000.0);
    cfg.verify = verify;
    cfg.ca_bundle = ca_bundle;
    cfg.proxy = proxy;
    cfg.user_agent = user_agent;
    cfg.max_body = (size_t)max_body;
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
    iot_buf_init(&self->url, 0);
    iot_buf_init(&self->query, 0);
    iot_buf_init(&self->auth, 0);
    return (PyObject *)self;
}

static void
release_c(Pager *self)
{
    worker_stop(&self->w);
    self->inflight = 0;
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
    free(self->region);
    free(self->service);
    iot_buf_free(&self->page_body);
    iot_buf_free(&self->url);
    iot_buf_free(&self->query);
    iot_buf_free(&self->auth);
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
    return Py_BuildValue("{s:l,s:L,s:L,s:l,s:l}", "pages", self->pages, "jobs", self->jobs,
                         "bytes", self->bytes, "requests", self->requests, "retries",
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
