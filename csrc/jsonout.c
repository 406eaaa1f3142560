/* jsonout.c - the aws CLI's JSON output, in C (issue #5).
 *
 * iot_jsonout_dumps(obj, default) gives the same text as
 *
 *     json.dumps(obj, indent=4, ensure_ascii=False, default=default)
 *
 * which is what awscli v1's JSONFormatter writes (json.dump with those
 * arguments, then "\n"). With an indent, CPython's json module encodes in
 * pure Python (c_make_encoder is only used without one): for 100,000 jobs
 * that is most of the CLI's time.
 *
 * What it covers, byte for byte as json.dumps (Lib/json/encoder.py,
 * _make_iterencode with indent=4, item separator ",", key separator ": "):
 *   exact dict with str keys, exact list and tuple, str (and subclasses:
 *   their text), int (int.__repr__: int subclasses print as numbers),
 *   float (float.__repr__; NaN, Infinity,
 *   -Infinity), True, False, None; anything else goes through `default`
 *   and its result is encoded in its place.
 * What it leaves to json.dumps: a non-str dict key, a dict/list subclass
 * (json iterates those through their own methods). Then it returns
 * NotImplemented and the caller runs json.dumps itself, so the output is
 * the same either way. A str with lone surrogates is written as
 * surrogatepass UTF-8 and decoded back the same way, so the text keeps
 * them as json.dumps's does.
 *
 * Strings are escaped as c_encode_basestring does: \" \\ \b \f \n \r \t,
 * other code points below U+0020 as \u00XX (lowercase hex), everything
 * else as is.
 *
 * The GIL is held throughout (it calls `default` and reads objects); the
 * text is built in a jo_buf (malloc) and handed out as one str, or as a
 * list of UTF-8 chunks.
 */
#include "iotpager.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JO_OK 0
#define JO_ERROR (-1)      /* a Python exception is set */
#define JO_FALLBACK (-2)   /* no exception: json.dumps must do this one */

/* A growable malloc buffer. Unlike iot_buf it does not zero what it
 * allocates: an output buffer grows to tens of MB, and zeroing would touch
 * every page of it once more. Always one spare byte past len. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} jo_buf;

static void
jo_buf_init(jo_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

static void
jo_buf_free(jo_buf *b)
{
    free(b->data);
    jo_buf_init(b);
}

/* Room for `extra` more bytes (and the spare one). 0, or -1 (out of memory). */
static int
jo_reserve(jo_buf *b, size_t extra)
{
    size_t ncap;
    char *p;

    if (extra > SIZE_MAX / 4 - b->len) {
        return -1;
    }
    if (b->len + extra < b->cap) {
        return 0;
    }
    ncap = b->cap ? b->cap : 4096;
    while (ncap <= b->len + extra) {
        ncap *= 2;
    }
    p = realloc(b->data, ncap);
    if (p == NULL) {
        return -1;
    }
    b->data = p;
    b->cap = ncap;
    return 0;
}

typedef struct {
    jo_buf out;
    PyObject *default_fn;            /* borrowed, valid for the call; NULL: none */
    PyTypeObject *jobs_text_type;    /* borrowed (module state); NULL: none */
    int surrogates;                  /* a lone surrogate went in (as surrogatepass UTF-8) */
    PyObject *chunks;                /* strong, or NULL: the output as a list of
                                        bytes and JobsText (see iot_jsonout_dumps) */
    PyObject *sep;                   /* strong, or NULL: JT_SEP as bytes, for chunks */
} jo_enc;

/* An encoder with an empty buffer; default_fn and jobs_text_type may be
 * NULL (none). chunks starts NULL: the caller sets it for chunks mode. */
static void
jo_enc_init(jo_enc *e, PyObject *default_fn, PyTypeObject *jobs_text_type)
{
    jo_buf_init(&e->out);
    e->default_fn = default_fn;
    e->jobs_text_type = jobs_text_type;
    e->surrogates = 0;
    e->chunks = NULL;
    e->sep = NULL;
}

/* chunks mode: what is in the buffer becomes a bytes chunk */
static int
jo_flush(jo_enc *e)
{
    PyObject *b;
    int rc;

    if (e->out.len == 0) {
        return JO_OK;
    }
    b = PyBytes_FromStringAndSize(e->out.data, (Py_ssize_t)e->out.len);
    if (b == NULL) {
        return JO_ERROR;
    }
    rc = PyList_Append(e->chunks, b);
    Py_DECREF(b);
    e->out.len = 0;
    return rc < 0 ? JO_ERROR : JO_OK;
}

static int jo_jobs_text(jo_enc *e, iot_jobs_text *t, int level);

static int
jo_put(jo_enc *e, const char *p, size_t n)
{
    if (n == 0) {
        return JO_OK;
    }
    if (jo_reserve(&e->out, n) < 0) {
        PyErr_NoMemory();
        return JO_ERROR;
    }
    memcpy(e->out.data + e->out.len, p, n);
    e->out.len += n;
    return JO_OK;
}

/* "\n" and four spaces per level */
static int
jo_newline(jo_enc *e, int level)
{
    size_t n = 1 + 4 * (size_t)level;
    if (jo_reserve(&e->out, n) < 0) {
        PyErr_NoMemory();
        return JO_ERROR;
    }
    e->out.data[e->out.len] = '\n';
    memset(e->out.data + e->out.len + 1, ' ', n - 1);
    e->out.len += n;
    return JO_OK;
}

/* p[0..n) as a JSON string, escaped as c_encode_basestring escapes it */
static int
jo_str_bytes(jo_enc *e, const char *bytes, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)bytes, *end = p + n, *run = p;
    char *o;

    /* the worst case, every byte as \u00XX, reserved once */
    if (n > (SIZE_MAX - 2) / 6 || jo_reserve(&e->out, n * 6 + 2) < 0) {
        PyErr_NoMemory();
        return JO_ERROR;
    }
    o = e->out.data + e->out.len;
    *o++ = '"';
    for (; p < end; p++) {
        unsigned char c = *p;
        char esc;
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        run = p + 1;
        switch (c) {
        case '"': esc = '"'; break;
        case '\\': esc = '\\'; break;
        case '\b': esc = 'b'; break;
        case '\f': esc = 'f'; break;
        case '\n': esc = 'n'; break;
        case '\r': esc = 'r'; break;
        case '\t': esc = 't'; break;
        default: esc = 0; break;
        }
        *o++ = '\\';
        if (esc) {
            *o++ = esc;
        }
        else {
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    memcpy(o, run, (size_t)(p - run));
    o += p - run;
    *o++ = '"';
    e->out.len = (size_t)(o - e->out.data);
    return JO_OK;
}

/* A str. Lone surrogates go in as surrogatepass UTF-8 and come back out
 * of the final decode (which uses surrogatepass too) as the same code
 * points, as json.dumps leaves them in its text. */
static int
jo_str(jo_enc *e, PyObject *s)
{
    Py_ssize_t n;
    PyObject *wtf8;
    int rc;
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);

    if (u != NULL) {
        return jo_str_bytes(e, u, (size_t)n);
    }
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
        return JO_ERROR;
    }
    PyErr_Clear();
    e->surrogates = 1;
    wtf8 = PyUnicode_AsEncodedString(s, "utf-8", "surrogatepass");
    if (wtf8 == NULL) {
        return JO_ERROR;
    }
    rc = jo_str_bytes(e, PyBytes_AS_STRING(wtf8), (size_t)PyBytes_GET_SIZE(wtf8));
    Py_DECREF(wtf8);
    return rc;
}

/* The decimal digits of x into out (>= 20 bytes); returns their count. */
static size_t
jo_u64(uint64_t x, char *out)
{
    char tmp[20];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x != 0);
    for (i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    return n;
}

/* int.__repr__ of an int64 into out (>= 21 bytes); returns the length. */
static size_t
jo_i64(int64_t x, char *out)
{
    if (x < 0) {
        out[0] = '-';
        return 1 + jo_u64((uint64_t)0 - (uint64_t)x, out + 1);
    }
    return jo_u64((uint64_t)x, out);
}

/* the UTF-8 of a str made by repr(): ASCII */
static int
jo_put_repr(jo_enc *e, PyObject *text)
{
    Py_ssize_t n;
    const char *u;
    int rc;

    if (text == NULL) {
        return JO_ERROR;
    }
    u = PyUnicode_AsUTF8AndSize(text, &n);
    rc = u == NULL ? JO_ERROR : jo_put(e, u, (size_t)n);
    Py_DECREF(text);
    return rc;
}

static int
jo_int(jo_enc *e, PyObject *v)
{
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    char tmp[24];

    if (x == -1 && PyErr_Occurred()) {
        return JO_ERROR;
    }
    if (overflow) {
        return jo_put_repr(e, PyLong_Type.tp_repr(v));   /* int.__repr__, as json does */
    }
    return jo_put(e, tmp, jo_i64((int64_t)x, tmp));
}

/* float.__repr__ of d without dtoa, for the common case: d is a positive
 * decimal n / 10**k (k <= 9) in the range repr prints without an exponent.
 * Writes the text to out (>= 32 bytes) and returns its length, or 0 when
 * repr must decide.
 *
 * Why it is repr's text: n / 10.0**k == d, and both n < 2**53 and 10**k
 * are exact doubles, so the division is the correctly rounded value of the
 * real n/10**k: the decimal text of n/10**k reads back as d. No text with
 * fewer digits does: k is the smallest that works (so n is not a multiple
 * of 10), any other decimal with at most k fraction digits lies at least
 * 10**-k from n/10**k, and 10**-k > 2 ulp(d) means no two such decimals
 * both read back as d. So it is the shortest text that round-trips, and
 * the only one of its length: what repr ('r' mode) prints. */
static size_t
jo_float_short(double d, char *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    static const uint64_t ipow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                      100000000, 1000000000};
    double ulp;
    uint64_t bits;
    int k;

    if (!(d >= 1e-4 && d < 1e15)) {   /* repr's fixed-point range, positive only */
        return 0;
    }
    /* the spacing of doubles at d (normal here): 2**(exponent - 52) */
    memcpy(&bits, &d, sizeof bits);
    ulp = ldexp(1.0, (int)((bits >> 52) & 0x7ff) - 1075);
    for (k = 0; k <= 9; k++) {
        double scaled = d * pow10[k];
        uint64_t n, ip, fp;
        size_t len, j;

        if (scaled >= 9007199254740992.0 || 2.0 * ulp >= 1.0 / pow10[k]) {
            return 0;
        }
        n = (uint64_t)llround(scaled);
        if ((double)n / pow10[k] != d) {
            continue;
        }
        ip = n / ipow10[k];
        fp = n % ipow10[k];
        len = jo_u64(ip, out);
        out[len++] = '.';
        if (k == 0) {
            out[len++] = '0';
            return len;
        }
        for (j = (size_t)k; j > 0; j--) {   /* k digits, leading zeros kept */
            out[len + j - 1] = (char)('0' + fp % 10);
            fp /= 10;
        }
        return len + (size_t)k;
    }
    return 0;
}

static int
jo_double(jo_enc *e, double d)
{
    char *text, quick[32];
    size_t qn;
    int rc;

    if ((qn = jo_float_short(d, quick)) != 0) {
        return jo_put(e, quick, qn);
    }
    if (isnan(d)) {
        return jo_put(e, "NaN", 3);
    }
    if (isinf(d)) {
        return d > 0 ? jo_put(e, "Infinity", 8) : jo_put(e, "-Infinity", 9);
    }
    /* float.__repr__ */
    text = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (text == NULL) {
        return JO_ERROR;
    }
    rc = jo_put(e, text, strlen(text));
    PyMem_Free(text);
    return rc;
}

static int jo_value(jo_enc *e, PyObject *v, int level);

static int
jo_list(jo_enc *e, PyObject *seq, int level)
{
    Py_ssize_t i, n = PySequence_Fast_GET_SIZE(seq);
    int rc;

    if (n == 0) {
        return jo_put(e, "[]", 2);
    }
    if ((rc = jo_put(e, "[", 1)) != JO_OK) {
        return rc;
    }
    /* a list may change under `default`: re-read its size on every step */
    for (i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (i > 0 && (rc = jo_put(e, ",", 1)) != JO_OK) {
            return rc;
        }
        if ((rc = jo_newline(e, level + 1)) != JO_OK) {
            return rc;
        }
        Py_INCREF(item);
        rc = jo_value(e, item, level + 1);
        Py_DECREF(item);
        if (rc != JO_OK) {
            return rc;
        }
    }
    if ((rc = jo_newline(e, level)) != JO_OK) {
        return rc;
    }
    return jo_put(e, "]", 1);
}

static int
jo_dict(jo_enc *e, PyObject *d, int level)
{
    Py_ssize_t pos = 0, size;
    PyObject *key, *value;
    int rc, first = 1;

    if (PyDict_GET_SIZE(d) == 0) {
        return jo_put(e, "{}", 2);
    }
    if ((rc = jo_put(e, "{", 1)) != JO_OK) {
        return rc;
    }
    size = PyDict_GET_SIZE(d);
    while (PyDict_Next(d, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) {
            return JO_FALLBACK;   /* json.dumps converts such keys: the whole text is its */
        }
        if (!first && (rc = jo_put(e, ",", 1)) != JO_OK) {
            return rc;
        }
        first = 0;
        if ((rc = jo_newline(e, level + 1)) != JO_OK) {
            return rc;
        }
        /* hold both: `default` may run Python code that changes the dict */
        Py_INCREF(key);
        Py_INCREF(value);
        rc = jo_str(e, key);
        if (rc == JO_OK) {
            rc = jo_put(e, ": ", 2);
        }
        if (rc == JO_OK) {
            rc = jo_value(e, value, level + 1);
        }
        Py_DECREF(key);
        Py_DECREF(value);
        if (rc != JO_OK) {
            return rc;
        }
        if (PyDict_GET_SIZE(d) != size) {   /* as iterating a dict in Python */
            PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
            return JO_ERROR;
        }
    }
    if ((rc = jo_newline(e, level)) != JO_OK) {
        return rc;
    }
    return jo_put(e, "}", 1);
}

/* v: borrowed, held by the caller for the call */
static int
jo_value(jo_enc *e, PyObject *v, int level)
{
    PyObject *converted;
    int rc;

    if (v == Py_None) {
        return jo_put(e, "null", 4);
    }
    if (v == Py_True) {
        return jo_put(e, "true", 4);
    }
    if (v == Py_False) {
        return jo_put(e, "false", 5);
    }
    if (PyUnicode_Check(v)) {
        return jo_str(e, v);
    }
    if (PyLong_Check(v)) {
        return jo_int(e, v);
    }
    if (PyFloat_Check(v)) {
        return jo_double(e, PyFloat_AS_DOUBLE(v));
    }
    if (Py_EnterRecursiveCall(" while encoding a JSON object")) {
        return JO_ERROR;
    }
    if (PyList_CheckExact(v) || PyTuple_CheckExact(v)) {
        rc = jo_list(e, v, level);
    }
    else if (PyDict_CheckExact(v)) {
        rc = jo_dict(e, v, level);
    }
    else if (PyList_Check(v) || PyTuple_Check(v) || PyDict_Check(v)) {
        rc = JO_FALLBACK;
    }
    else if (e->jobs_text_type != NULL && Py_IS_TYPE(v, e->jobs_text_type)) {
        rc = jo_jobs_text(e, (iot_jobs_text *)v, level);
    }
    else if (e->default_fn == NULL) {
        PyErr_Format(PyExc_TypeError, "Object of type %s is not JSON serializable",
                     Py_TYPE(v)->tp_name);
        rc = JO_ERROR;
    }
    else {
        converted = PyObject_CallOneArg(e->default_fn, v);
        if (converted == NULL) {
            rc = JO_ERROR;
        }
        else {
            rc = jo_value(e, converted, level);
            Py_DECREF(converted);
        }
    }
    Py_LeaveRecursiveCall();
    return rc;
}

/* See iotpager.h: a str, chunks, Py_NotImplemented, or NULL. */
PyObject *
iot_jsonout_dumps(PyObject *obj, PyObject *default_fn, PyTypeObject *jobs_text_type,
                  int chunks)
{
    jo_enc e;
    PyObject *result = NULL;
    int rc;

    jo_enc_init(&e, default_fn, jobs_text_type);
    if (chunks && (e.chunks = PyList_New(0)) == NULL) {
        return NULL;
    }
    rc = jo_value(&e, obj, 0);
    if (rc == JO_OK && e.chunks != NULL && e.surrogates) {
        /* no UTF-8 for those: the text as a str, as without chunks */
        Py_CLEAR(e.chunks);
        e.out.len = 0;
        e.surrogates = 0;
        rc = jo_value(&e, obj, 0);
    }
    if (rc == JO_OK && e.chunks != NULL) {
        if (jo_flush(&e) == JO_OK) {
            result = Py_NewRef(e.chunks);
        }
    }
    else if (rc == JO_OK) {
        result = PyUnicode_DecodeUTF8(e.out.data == NULL ? "" : e.out.data,
                                      (Py_ssize_t)e.out.len, "surrogatepass");
    }
    else if (rc == JO_FALLBACK) {
        result = Py_NewRef(Py_NotImplemented);
    }
    Py_XDECREF(e.chunks);
    Py_XDECREF(e.sep);
    jo_buf_free(&e.out);
    return result;
}

/* ---- JobsText: a page's jobs as awscli JSON text ------------------------
 *
 * For the CLI's plain JSON output (no --query, wire timestamps), the Pager
 * puts a JobsText where the jobs list would be: the text json.dumps(indent=4)
 * gives each job at nesting level 2 (inside {"jobs": [...]}), joined by
 * ",\n" + 8 spaces, with the offset of each job, so that it can be sliced
 * (MaxItems, StartingToken) and joined (build_full_result) as the list would
 * be, and encoded by iot_jsonout_dumps as that list. No dict per job.
 *
 * Each job's text is what encoding the builder's dict would give: the same
 * members in the same order, each value as jo_value writes the object the
 * builder makes of it. Where that takes Python's judgement (a RAW value, a
 * non-ASCII string, a non-ASCII isConcurrent string) the job is built by
 * the builder and encoded from the object, so the two can only agree.
 */

#define JT_LEVEL 2                  /* jobs are items of a list at level 1 */
#define JT_SEP ",\n        "        /* "," + newline + JT_LEVEL * 4 spaces */
#define JT_SEP_LEN 10

struct iot_jobs_text {
    PyObject_HEAD
    char *text;       /* malloc'd, owned; NULL when len == 0 or a join */
    size_t len;
    Py_ssize_t n;     /* jobs */
    size_t *starts;   /* malloc'd, owned (NULL for a join): n + 1 offsets;
                         job i is text[starts[i] .. starts[i+1] - JT_SEP_LEN) */
    PyObject *parts;  /* strong, a join's pieces: a list of JobsText with
                         text (never joins themselves); NULL otherwise */
    int surrogates;   /* the text holds lone surrogates (surrogatepass) */
};

/* New reference; steals text and starts (frees them on failure). */
static PyObject *
jt_new(PyTypeObject *type, char *text, size_t len, size_t *starts, Py_ssize_t n,
       int surrogates)
{
    iot_jobs_text *self = PyObject_New(iot_jobs_text, type);
    if (self == NULL) {
        free(text);
        free(starts);
        return NULL;
    }
    self->text = text;
    self->len = len;
    self->n = n;
    self->starts = starts;
    self->parts = NULL;
    self->surrogates = surrogates;
    return (PyObject *)self;
}

static void
jt_dealloc(iot_jobs_text *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    free(self->text);
    free(self->starts);
    Py_XDECREF(self->parts);
    PyObject_Free(self);
    Py_DECREF(tp);
}

static Py_ssize_t
jt_length(iot_jobs_text *self)
{
    return self->n;
}

/* jobs [a, b) as a new JobsText (0 <= a <= b <= n). New reference. */
static PyObject *
jt_slice(iot_jobs_text *self, Py_ssize_t a, Py_ssize_t b)
{
    size_t base, len, *starts;
    char *text = NULL;
    Py_ssize_t i;

    starts = malloc(sizeof(size_t) * (size_t)(b - a + 1));
    if (starts == NULL) {
        return PyErr_NoMemory();
    }
    base = self->starts[a];
    len = b > a ? self->starts[b] - JT_SEP_LEN - base : 0;
    for (i = a; i <= b; i++) {
        starts[i - a] = self->starts[i] - base;
    }
    if (len > 0) {
        text = malloc(len + 1);
        if (text == NULL) {
            free(starts);
            return PyErr_NoMemory();
        }
        memcpy(text, self->text + base, len);
        text[len] = '\0';
    }
    else {
        starts[0] = JT_SEP_LEN;   /* empty: the one virtual end */
    }
    return jt_new(Py_TYPE(self), text, len, starts, b - a, self->surrogates);
}

static PyObject *
jt_subscript(iot_jobs_text *self, PyObject *key)
{
    Py_ssize_t start, stop, step;

    if (!PySlice_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "JobsText supports slices only");
        return NULL;
    }
    if (PySlice_Unpack(key, &start, &stop, &step) < 0) {
        return NULL;
    }
    if (step != 1) {
        PyErr_SetString(PyExc_ValueError, "JobsText slices take no step");
        return NULL;
    }
    if (self->parts != NULL) {
        PyErr_SetString(PyExc_TypeError, "a joined JobsText does not slice");
        return NULL;
    }
    PySlice_AdjustIndices(self->n, &start, &stop, step);
    if (stop < start) {
        stop = start;
    }
    return jt_slice(self, start, stop);
}

PyDoc_STRVAR(jt_join_doc,
"join($type, pieces, /)\n--\n\n"
"One JobsText of the jobs of every piece (a list of JobsText), in order.\n"
"It keeps the pieces (no copy); it encodes, but does not slice.");

static PyObject *
jt_join(PyTypeObject *type, PyObject *pieces)
{
    Py_ssize_t i, k;
    PyObject *parts = NULL;
    iot_jobs_text *out;

    if (!PyList_CheckExact(pieces)) {
        PyErr_SetString(PyExc_TypeError, "JobsText.join takes a list of JobsText");
        return NULL;
    }
    parts = PyList_New(0);
    if (parts == NULL) {
        return NULL;
    }
    out = (iot_jobs_text *)jt_new(type, NULL, 0, NULL, 0, 0);
    if (out == NULL) {
        Py_DECREF(parts);
        return NULL;
    }
    out->parts = parts;   /* out owns it from here */
    for (i = 0; i < PyList_GET_SIZE(pieces); i++) {
        iot_jobs_text *p = (iot_jobs_text *)PyList_GET_ITEM(pieces, i);
        if (!Py_IS_TYPE(p, type)) {
            PyErr_SetString(PyExc_TypeError, "JobsText.join takes a list of JobsText");
            goto error;
        }
        if (p->parts != NULL) {   /* flatten: parts are never joins */
            for (k = 0; k < PyList_GET_SIZE(p->parts); k++) {
                if (PyList_Append(parts, PyList_GET_ITEM(p->parts, k)) < 0) {
                    goto error;
                }
            }
        }
        else if (p->n > 0 && PyList_Append(parts, (PyObject *)p) < 0) {
            goto error;
        }
        out->n += p->n;
        out->len += p->len;
        out->surrogates |= p->surrogates;
    }
    return (PyObject *)out;
error:
    Py_DECREF(out);
    return NULL;
}

/* The text, read-only, for writing it out without a copy (the CLI writes
 * awscli_json's chunks to stdout's binary buffer). A join has no single
 * buffer: its parts do. */
static int
jt_getbuffer(iot_jobs_text *self, Py_buffer *view, int flags)
{
    if (self->parts != NULL) {
        PyErr_SetString(PyExc_BufferError, "a joined JobsText has no single buffer");
        view->obj = NULL;
        return -1;
    }
    return PyBuffer_FillInfo(view, (PyObject *)self, self->text == NULL ? "" : self->text,
                             (Py_ssize_t)self->len, 1, flags);
}

static PyObject *
jt_repr(iot_jobs_text *self)
{
    return PyUnicode_FromFormat("<iotpager JobsText: %zd jobs, %zu bytes>", self->n, self->len);
}

static PyMethodDef jt_methods[] = {
    {"join", (PyCFunction)(void (*)(void))jt_join, METH_O | METH_CLASS, jt_join_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(jt_doc,
"A page's jobs as the aws CLI's JSON text (see jsonout.c). len() is the\n"
"number of jobs; it slices and joins as the list of jobs would.");

static PyType_Slot jt_slots[] = {
    {Py_tp_dealloc, jt_dealloc},
    {Py_tp_repr, jt_repr},
    {Py_tp_doc, (void *)jt_doc},
    {Py_tp_methods, jt_methods},
    {Py_mp_length, jt_length},
    {Py_mp_subscript, jt_subscript},
    {Py_sq_length, jt_length},
    {Py_bf_getbuffer, jt_getbuffer},
    {0, NULL},
};

PyType_Spec iot_jobs_text_spec = {
    .name = "iotpager._core.JobsText",
    .basicsize = sizeof(iot_jobs_text),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = jt_slots,
};

/* A JobsText encoded where a list of jobs would be, at `level`. */
static int
jo_jobs_text(jo_enc *e, iot_jobs_text *t, int level)
{
    Py_ssize_t i;
    int rc;

    if (t->n == 0) {
        return jo_put(e, "[]", 2);
    }
    if (level != JT_LEVEL - 1) {
        PyErr_Format(PyExc_ValueError,
                     "iotpager: a JobsText encodes at nesting level %d only, not %d",
                     JT_LEVEL - 1, level);
        return JO_ERROR;
    }
    e->surrogates |= t->surrogates;
    if ((rc = jo_put(e, "[", 1)) != JO_OK || (rc = jo_newline(e, JT_LEVEL)) != JO_OK) {
        return rc;
    }
    if (e->chunks != NULL) {   /* the texts themselves, no copy */
        Py_ssize_t np = t->parts == NULL ? 1 : PyList_GET_SIZE(t->parts);
        if ((rc = jo_flush(e)) != JO_OK) {
            return rc;
        }
        if (e->sep == NULL && (e->sep = PyBytes_FromStringAndSize(JT_SEP, JT_SEP_LEN)) == NULL) {
            return JO_ERROR;
        }
        for (i = 0; i < np; i++) {
            PyObject *p = t->parts == NULL ? (PyObject *)t : PyList_GET_ITEM(t->parts, i);
            if ((i > 0 && PyList_Append(e->chunks, e->sep) < 0) || PyList_Append(e->chunks, p) < 0) {
                return JO_ERROR;
            }
        }
        rc = JO_OK;
    }
    else if (t->parts == NULL) {
        rc = jo_put(e, t->text, t->len);
    }
    else {
        Py_ssize_t np = PyList_GET_SIZE(t->parts);
        if (jo_reserve(&e->out, t->len + (size_t)np * JT_SEP_LEN) < 0) {
            PyErr_NoMemory();
            return JO_ERROR;
        }
        for (i = 0, rc = JO_OK; i < np && rc == JO_OK; i++) {
            iot_jobs_text *p = (iot_jobs_text *)PyList_GET_ITEM(t->parts, i);
            if (i > 0) {
                rc = jo_put(e, JT_SEP, JT_SEP_LEN);
            }
            if (rc == JO_OK) {
                rc = jo_put(e, p->text, p->len);
            }
        }
    }
    if (rc != JO_OK || (rc = jo_newline(e, level)) != JO_OK) {
        return rc;
    }
    return jo_put(e, "]", 1);
}

/* The text before a member's value: newline, indentation, "name": */
typedef struct {
    char text[IOT_JOB_NFIELDS][48];
    size_t len[IOT_JOB_NFIELDS];
} jt_keys;

static void
jt_keys_init(jt_keys *k)
{
    int i;
    for (i = 0; i < IOT_JOB_NFIELDS; i++) {
        size_t n = 0, nl = strlen(iot_json_field_names[i]);
        k->text[i][n++] = '\n';
        memset(k->text[i] + n, ' ', 4 * (JT_LEVEL + 1));
        n += 4 * (JT_LEVEL + 1);
        k->text[i][n++] = '"';
        memcpy(k->text[i] + n, iot_json_field_names[i], nl);   /* short ASCII names */
        n += nl;
        memcpy(k->text[i] + n, "\": ", 3);
        k->len[i] = n + 3;
    }
}

/* Room one member's value can take (JT_NEEDS_PYTHON: the builder must
 * make it, see jt_value). */
#define JT_NEEDS_PYTHON ((size_t)-1)

static size_t
jt_value_room(const iot_value *v, int field)
{
    if (field == IOT_F_ISCONCURRENT) {
        return v->kind == IOT_V_STRING && !v->ascii ? JT_NEEDS_PYTHON : 5;
    }
    switch (v->kind) {
    case IOT_V_STRING:
        if (v->in_input) {
            return 2 + (size_t)v->len;   /* copied as is, see jt_value */
        }
        return v->ascii ? 2 + 6 * (size_t)v->len : JT_NEEDS_PYTHON;
    case IOT_V_INT:
    case IOT_V_DOUBLE:
        return 32;
    case IOT_V_TRUE:
    case IOT_V_FALSE:
        return 5;
    default:
        return JT_NEEDS_PYTHON;   /* RAW: json.loads decides */
    }
}

/* One member's value as the builder's object would encode: make_boolean
 * for isConcurrent, make_plain for the rest (timestamps are plain with
 * TZ_RAW). Room for it is reserved (jt_value_room). */
static int
jt_value(jo_enc *e, const iot_page *page, const iot_value *v, int field)
{
    char *o = e->out.data + e->out.len;
    size_t n;

    if (field == IOT_F_ISCONCURRENT) {   /* make_boolean */
        int yes = v->kind == IOT_V_TRUE;
        if (v->kind == IOT_V_STRING) {
            const char *s = iot_value_bytes(page, v);
            yes = v->len == 4 && (s[0] | 32) == 't' && (s[1] | 32) == 'r' &&
                  (s[2] | 32) == 'u' && (s[3] | 32) == 'e';
        }
        memcpy(o, yes ? "true" : "false", yes ? 4 : 5);
        e->out.len += yes ? 4 : 5;
        return JO_OK;
    }
    switch (v->kind) {
    case IOT_V_STRING:
        if (v->in_input) {
            /* the shim points into the input only for a string with no
             * escape and no byte below 0x20 (so no '"' either): valid UTF-8
             * that json.dumps would write back unescaped, byte for byte */
            *o++ = '"';
            memcpy(o, iot_value_bytes(page, v), v->len);
            o[v->len] = '"';
            e->out.len += 2 + (size_t)v->len;
            return JO_OK;
        }
        return jo_str_bytes(e, iot_value_bytes(page, v), v->len);
    case IOT_V_INT:
        n = jo_i64(v->u.i, o);
        break;
    case IOT_V_DOUBLE:
        if ((n = jo_float_short(v->u.d, o)) == 0) {
            return jo_double(e, v->u.d);
        }
        break;
    case IOT_V_TRUE:
        memcpy(o, "true", 4);
        n = 4;
        break;
    default:   /* IOT_V_FALSE; jt_value_room sent the rest to the builder */
        memcpy(o, "false", 5);
        n = 5;
        break;
    }
    e->out.len += n;
    return JO_OK;
}

static int
jt_job(jo_enc *e, const jt_keys *keys, const iot_build_ctx *ctx, const iot_page *page,
       PyObject *metadata, size_t index)
{
    const iot_job *job = &page->jobs[index];
    PyObject *obj;
    size_t room = 2 + 1 + 4 * JT_LEVEL + 1, r;
    int i, rc, first = 1;

    if (job->is_null) {
        return jo_put(e, "null", 4);
    }
    for (i = 0; i < IOT_JOB_NFIELDS; i++) {
        const iot_value *v = &job->f[i];
        if (v->kind == IOT_V_ABSENT || v->kind == IOT_V_NULL) {
            continue;
        }
        if ((r = jt_value_room(v, i)) == JT_NEEDS_PYTHON) {
            goto build;
        }
        if (r > SIZE_MAX / 2 - room) {
            PyErr_NoMemory();
            return JO_ERROR;
        }
        room += 1 + keys->len[i] + r;
    }
    if (jo_reserve(&e->out, room) < 0) {
        PyErr_NoMemory();
        return JO_ERROR;
    }
    for (i = 0; i < IOT_JOB_NFIELDS; i++) {
        const iot_value *v = &job->f[i];
        char *o;
        if (v->kind == IOT_V_ABSENT || v->kind == IOT_V_NULL) {
            continue;
        }
        o = e->out.data + e->out.len;
        *o++ = first ? '{' : ',';
        memcpy(o, keys->text[i], keys->len[i]);
        e->out.len += 1 + keys->len[i];
        first = 0;
        if ((rc = jt_value(e, page, v, i)) != JO_OK) {
            return rc;
        }
    }
    if (first) {
        return jo_put(e, "{}", 2);
    }
    if ((rc = jo_newline(e, JT_LEVEL)) != JO_OK) {
        return rc;
    }
    return jo_put(e, "}", 1);
build:
    obj = iot_build_job(ctx, page, metadata, index);
    if (obj == NULL) {
        return JO_ERROR;
    }
    rc = jo_value(e, obj, JT_LEVEL);
    Py_DECREF(obj);
    if (rc == JO_FALLBACK) {   /* a built job has str keys and plain types only */
        PyErr_SetString(PyExc_SystemError, "iotpager: a built job needs json.dumps");
        rc = JO_ERROR;
    }
    return rc;
}

PyObject *
iot_jsonout_jobs(const iot_build_ctx *ctx, const iot_page *page, PyObject *metadata)
{
    jo_enc e;
    jt_keys keys;
    size_t i, *starts;

    if (ctx->tz->mode != IOT_TZ_RAW) {
        PyErr_SetString(PyExc_ValueError, "iotpager: jobs as text need raw timestamps");
        return NULL;
    }
    jo_enc_init(&e, NULL, ctx->jobs_text);
    jt_keys_init(&keys);
    starts = malloc(sizeof(size_t) * (page->njobs + 1));
    /* about what a job takes, so the text rarely moves while it grows */
    if (starts == NULL || (page->njobs > 0 && jo_reserve(&e.out, page->njobs * 512) < 0)) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < page->njobs; i++) {
        if (i > 0 && jo_put(&e, JT_SEP, JT_SEP_LEN) != JO_OK) {
            goto done;
        }
        starts[i] = e.out.len;
        if (jt_job(&e, &keys, ctx, page, metadata, i) != JO_OK) {
            goto done;
        }
    }
    starts[page->njobs] = e.out.len + JT_SEP_LEN;
    /* the text (NULL when there are no jobs) and starts change hands:
     * jt_new owns them from here */
    return jt_new(ctx->jobs_text, e.out.data, e.out.len, starts, (Py_ssize_t)page->njobs,
                  e.surrogates);
done:
    free(starts);
    jo_buf_free(&e.out);
    return NULL;
}
