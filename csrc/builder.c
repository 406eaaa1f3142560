/* builder.c - one parsed page (json_shim.h) -> the Python page dict that
 * botocore's RestJSONParser would build from the same bytes.
 *
 * Runs with the GIL held. Keys and enum values are the interned objects of
 * the module state; datetimes come from timeconv.c; only values botocore
 * itself treats specially (wrong types, strings for timestamps, numbers
 * beyond int64/double) take a Python call.
 */
#include "iotpager.h"

#include <string.h>

/* ---- HTTP headers ------------------------------------------------------ */

static PyObject *
lower_header_name(iot_state *st, const char *s, size_t n)
{
    char small[128];
    size_t i;
    int ascii = 1;

    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] >= 0x80) {
            ascii = 0;
            break;
        }
    }
    if (ascii && n <= sizeof(small)) {
        for (i = 0; i < n; i++) {
            char c = s[i];
            small[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        return PyUnicode_DecodeLatin1(small, (Py_ssize_t)n, NULL);
    }
    else {
        /* http.client decodes header bytes as latin-1; botocore lower()s */
        PyObject *raw = PyUnicode_DecodeLatin1(s, (Py_ssize_t)n, NULL);
        PyObject *low;
        if (raw == NULL) {
            return NULL;
        }
        low = PyObject_CallMethodNoArgs(raw, st->s_lower);
        Py_DECREF(raw);
        return low;
    }
}

PyObject *
iot_build_headers(iot_state *st, const iot_http_header *h, size_t n)
{
    PyObject *dict = NULL, *key = NULL, *value = NULL, *joined = NULL;
    size_t i;

    dict = PyDict_New();
    if (dict == NULL) {
        goto error;
    }
    for (i = 0; i < n; i++) {
        PyObject *prev;
        key = lower_header_name(st, h[i].name, h[i].name_len);
        if (key == NULL) {
            goto error;
        }
        value = PyUnicode_DecodeLatin1(h[i].value, (Py_ssize_t)h[i].value_len, NULL);
        if (value == NULL) {
            goto error;
        }
        prev = PyDict_GetItemWithError(dict, key);   /* borrowed */
        if (prev == NULL && PyErr_Occurred()) {
            goto error;
        }
        if (prev != NULL) {
            /* urllib3's HTTPHeaderDict joins repeated fields with ", " */
            joined = PyUnicode_FromFormat("%U, %U", prev, value);
            if (joined == NULL) {
                goto error;
            }
            Py_SETREF(value, joined);
            joined = NULL;
        }
        if (PyDict_SetItem(dict, key, value) < 0) {
            goto error;
        }
        Py_CLEAR(key);
        Py_CLEAR(value);
    }
    return dict;
error:
    Py_XDECREF(dict);
    Py_XDECREF(key);
    Py_XDECREF(value);
    return NULL;
}

PyObject *
iot_build_metadata(iot_state *st, long status, PyObject *headers)
{
    PyObject *md = NULL, *obj = NULL, *rid;

    md = PyDict_New();
    if (md == NULL) {
        goto error;
    }
    /* botocore's BaseRestParser._populate_response_metadata */
    rid = PyDict_GetItemWithError(headers, st->s_x_amzn_requestid);
    if (rid == NULL && PyErr_Occurred()) {
        goto error;
    }
    if (rid != NULL) {
        if (PyDict_SetItem(md, st->s_RequestId, rid) < 0) {
            goto error;
        }
    }
    else {
        rid = PyDict_GetItemWithError(headers, st->s_x_amz_request_id);
        if (rid == NULL && PyErr_Occurred()) {
            goto error;
        }
        if (rid != NULL) {
            PyObject *host = PyDict_GetItemWithError(headers, st->s_x_amz_id_2);
            if (host == NULL && PyErr_Occurred()) {
                goto error;
            }
            if (PyDict_SetItem(md, st->s_RequestId, rid) < 0 ||
                PyDict_SetItem(md, st->s_HostId, host ? host : st->s_empty) < 0) {
                goto error;
            }
        }
    }
    obj = PyLong_FromLong(status);
    if (obj == NULL || PyDict_SetItem(md, st->s_HTTPStatusCode, obj) < 0) {
        goto error;
    }
    Py_CLEAR(obj);
    if (PyDict_SetItem(md, st->s_HTTPHeaders, headers) < 0) {
        goto error;
    }
    return md;
error:
    Py_XDECREF(obj);
    Py_XDECREF(md);
    return NULL;
}

int
iot_build_set_retries(iot_state *st, PyObject *metadata, long retry_attempts)
{
    PyObject *obj = PyLong_FromLong(retry_attempts);
    int rc;
    if (obj == NULL) {
        return -1;
    }
    rc = PyDict_SetItem(metadata, st->s_RetryAttempts, obj);
    Py_DECREF(obj);
    return rc;
}

/* ---- values ------------------------------------------------------------ */

typedef struct {
    const iot_build_ctx *ctx;
    const iot_page *page;
    PyObject *metadata;   /* borrowed, for error reports */
} builder;

static int
invalid(builder *b, const char *reason, long index, int field)
{
    char path[96];
    if (index < 0) {
        snprintf(path, sizeof(path), "$.nextToken");
    }
    else if (field < 0) {
        snprintf(path, sizeof(path), "$.jobs[%ld]", index);
    }
    else {
        snprintf(path, sizeof(path), "$.jobs[%ld].%s", index, iot_json_field_names[field]);
    }
    return iot_err_invalid(b->ctx->st, b->ctx->controller, reason, path, b->metadata);
}

/* A string from the arena. simdjson has validated the UTF-8. */
static PyObject *
make_str(builder *b, const iot_value *v)
{
    const char *s = iot_value_bytes(b->page, v);
    if (v->enum_id) {
        PyObject *e = b->ctx->st->enum_values[v->enum_id - 1];
        Py_INCREF(e);
        return e;
    }
    if (v->ascii) {
        PyObject *u = PyUnicode_New((Py_ssize_t)v->len, 127);
        if (u != NULL) {
            memcpy(PyUnicode_1BYTE_DATA(u), s, v->len);
        }
        return u;
    }
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)v->len, "surrogatepass");
}

/* The Python value json.loads would give, for any kind but ABSENT/NULL.
 * New reference, or NULL with an exception set. */
static PyObject *
make_plain(builder *b, const iot_value *v, long index, int field)
{
    PyObject *r;

    switch (v->kind) {
    case IOT_V_STRING:
        r = make_str(b, v);
        if (r == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
            PyErr_Clear();
            invalid(b, "invalid string (bad \\u escape)", index, field);
        }
        return r;
    case IOT_V_INT:
        return PyLong_FromLongLong(v->u.i);
    case IOT_V_DOUBLE:
        return PyFloat_FromDouble(v->u.d);
    case IOT_V_TRUE:
        Py_RETURN_TRUE;
    case IOT_V_FALSE:
        Py_RETURN_FALSE;
    case IOT_V_RAW: {
        PyObject *text = PyUnicode_DecodeUTF8(iot_value_bytes(b->page, v),
                                              (Py_ssize_t)v->len, "surrogatepass");
        if (text == NULL) {
            return NULL;
        }
        r = PyObject_CallOneArg(b->ctx->st->json_loads, text);
        Py_DECREF(text);
        if (r == NULL && (PyErr_ExceptionMatches(PyExc_ValueError) ||
                          PyErr_ExceptionMatches(PyExc_RecursionError))) {
            /* simdjson let it through as a token; json.loads says why not */
            PyObject *type, *exc, *tb, *msg;
            char reason[160];
            PyErr_Fetch(&type, &exc, &tb);
            PyErr_NormalizeException(&type, &exc, &tb);
            msg = exc ? PyObject_Str(exc) : NULL;
            snprintf(reason, sizeof(reason), "invalid JSON value (%s)",
                     msg ? PyUnicode_AsUTF8(msg) ? PyUnicode_AsUTF8(msg) : "?" : "?");
            PyErr_Clear();
            Py_XDECREF(msg);
            Py_XDECREF(type);
            Py_XDECREF(exc);
            Py_XDECREF(tb);
            invalid(b, reason, index, field);
        }
        return r;
    }
    }
    PyErr_SetString(PyExc_SystemError, "iotpager: unexpected value kind");
    return NULL;
}

/* botocore's RestJSONParser._handle_timestamp: parse_timestamp(value).
 * Epoch numbers are built in C; anything else goes to the controller's
 * timestamp(), which is botocore's parse_timestamp (or its UTC variant). */
static PyObject *
make_timestamp(builder *b, const iot_value *v, long index, int field)
{
    PyObject *out = NULL, *plain;
    int rc;

    if (b->ctx->tz->mode == IOT_TZ_RAW) {
        return make_plain(b, v, index, field);
    }
    if (v->kind == IOT_V_INT) {
        rc = iot_time_from_int(b->ctx->tz, v->u.i, &out);
    }
    else if (v->kind == IOT_V_DOUBLE) {
        rc = iot_time_from_double(b->ctx->tz, v->u.d, &out);
    }
    else {
        rc = IOT_TIME_FALLBACK;
    }
    if (rc != IOT_TIME_FALLBACK) {
        return out;   /* NULL with an exception when rc < 0 */
    }
    plain = make_plain(b, v, index, field);
    if (plain == NULL) {
        return NULL;
    }
    out = PyObject_CallMethodOneArg(b->ctx->controller, b->ctx->st->s_timestamp, plain);
    Py_DECREF(plain);
    return out;
}

/* botocore.utils.ensure_boolean: a bool as is, a str by lower() == 'true',
 * anything else False. */
static PyObject *
make_boolean(builder *b, const iot_value *v)
{
    if (v->kind == IOT_V_TRUE) {
        Py_RETURN_TRUE;
    }
    if (v->kind == IOT_V_STRING) {
        const char *s = iot_value_bytes(b->page, v);
        size_t i;
        int ascii = 1;
        for (i = 0; i < v->len; i++) {
            if ((unsigned char)s[i] >= 0x80) {
                ascii = 0;
                break;
            }
        }
        if (ascii) {
            if (v->len == 4 && (s[0] | 32) == 't' && (s[1] | 32) == 'r' &&
                (s[2] | 32) == 'u' && (s[3] | 32) == 'e') {
                Py_RETURN_TRUE;
            }
            Py_RETURN_FALSE;
        }
        else {
            /* str.lower() is Unicode-aware: let Python decide */
            PyObject *str = make_str(b, v), *low;
            int eq;
            if (str == NULL) {
                return NULL;
            }
            low = PyObject_CallMethodNoArgs(str, b->ctx->st->s_lower);
            Py_DECREF(str);
            if (low == NULL) {
                return NULL;
            }
            eq = PyUnicode_CompareWithASCIIString(low, "true") == 0;
            Py_DECREF(low);
            return PyBool_FromLong(eq);
        }
    }
    Py_RETURN_FALSE;
}

static PyObject *
make_job(builder *b, const iot_job *job, long index)
{
    PyObject *d = NULL, *val = NULL;
    int i;

    if (job->is_null) {
        Py_RETURN_NONE;
    }
    /* sized for all members at once: no resize while filling it */
    d = _PyDict_NewPresized(IOT_JOB_NFIELDS);
    if (d == NULL) {
        goto error;
    }
    for (i = 0; i < IOT_JOB_NFIELDS; i++) {
        const iot_value *v = &job->f[i];
        if (v->kind == IOT_V_ABSENT || v->kind == IOT_V_NULL) {
            continue;   /* botocore drops members that are None */
        }
        switch (i) {
        case IOT_F_CREATEDAT:
        case IOT_F_LASTUPDATEDAT:
        case IOT_F_COMPLETEDAT:
            val = make_timestamp(b, v, index, i);
            break;
        case IOT_F_ISCONCURRENT:
            val = make_boolean(b, v);
            break;
        default:
            val = make_plain(b, v, index, i);   /* strings pass any type through */
            break;
        }
        if (val == NULL || PyDict_SetItem(d, b->ctx->st->field_keys[i], val) < 0) {
            goto error;
        }
        Py_CLEAR(val);
    }
    return d;
error:
    Py_XDECREF(val);
    Py_XDECREF(d);
    return NULL;
}

PyObject *
iot_build_job(const iot_build_ctx *ctx, const iot_page *page, PyObject *metadata, size_t index)
{
    builder b = {ctx, page, metadata};
    return make_job(&b, &page->jobs[index], (long)index);
}

PyObject *
iot_build_page(const iot_build_ctx *ctx, const iot_page *page, PyObject *metadata,
               PyObject **token_out)
{
    builder b = {ctx, page, metadata};
    PyObject *out = NULL, *jobs = NULL, *token = NULL;
    size_t i;

    *token_out = NULL;
    out = PyDict_New();
    if (out == NULL || PyDict_SetItem(out, ctx->st->s_ResponseMetadata, metadata) < 0) {
        goto error;
    }
    if (page->has_jobs && ctx->jobs_text != NULL) {
        jobs = iot_jsonout_jobs(ctx, page, metadata);
        if (jobs == NULL || PyDict_SetItem(out, ctx->st->s_jobs, jobs) < 0) {
            goto error;
        }
    }
    else if (page->has_jobs) {
        jobs = PyList_New((Py_ssize_t)page->njobs);
        if (jobs == NULL) {
            goto error;
        }
        for (i = 0; i < page->njobs; i++) {
            PyObject *job = make_job(&b, &page->jobs[i], (long)i);
            if (job == NULL) {
                goto error;
            }
            PyList_SET_ITEM(jobs, (Py_ssize_t)i, job);   /* steals job */
        }
        if (PyDict_SetItem(out, ctx->st->s_jobs, jobs) < 0) {
            goto error;
        }
    }
    if (page->next_token.kind != IOT_V_ABSENT && page->next_token.kind != IOT_V_NULL) {
        token = make_plain(&b, &page->next_token, -1, -1);
        if (token == NULL || PyDict_SetItem(out, ctx->st->s_nextToken, token) < 0) {
            goto error;
        }
    }
    Py_XDECREF(jobs);
    *token_out = token;
    return out;
error:
    Py_XDECREF(out);
    Py_XDECREF(jobs);
    Py_XDECREF(token);
    return NULL;
}
