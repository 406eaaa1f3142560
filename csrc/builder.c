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

/* plan mode: where the builder is, for error reports */
typedef struct {
    const char *name;   /* a member's wire name or a map key's bytes; NULL: [index] */
    size_t len;
    long index;
} bframe;

#define IOT_BUILD_MAX_FRAMES 48
#define IOT_KEY_CACHE 64        /* map keys shared within a page (a power of 2) */
#define IOT_KEY_CACHE_MAXLEN 48

typedef struct {
    const iot_build_ctx *ctx;
    const iot_page *page;
    PyObject *metadata;   /* borrowed, for error reports */
    int nframes;          /* plan mode */
    bframe frames[IOT_BUILD_MAX_FRAMES];
    /* plan mode: the str of recent short ASCII map keys (strong
     * references, released when the page is built), so the 250 "attributes"
     * maps of a page share their keys as json.loads's memo makes them do */
    PyObject *keys[IOT_KEY_CACHE];
} builder;

static void
format_build_path(const builder *b, char *out, size_t n)
{
    int i, shown = b->nframes < IOT_BUILD_MAX_FRAMES ? b->nframes : IOT_BUILD_MAX_FRAMES;
    snprintf(out, n, "$");
    for (i = 0; i < shown; i++) {
        size_t used = strlen(out);
        if (used + 1 >= n) {
            break;
        }
        if (b->frames[i].name != NULL) {
            int len = b->frames[i].len > 60 ? 60 : (int)b->frames[i].len;
            snprintf(out + used, n - used, ".%.*s", len, b->frames[i].name);
        }
        else {
            snprintf(out + used, n - used, "[%ld]", b->frames[i].index);
        }
    }
}

static int
invalid(builder *b, const char *reason, long index, int field)
{
    char path[96];
    if (b->ctx->plan != NULL) {
        format_build_path(b, path, sizeof(path));
    }
    else if (index < 0) {
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


/* ---- any operation, following its plan ---------------------------------- */

static PyObject *build_node(builder *b, uint32_t node, const iot_value *v);

/* botocore's parser on a value C leaves to it (a wrong type, a blob, ...):
 * controller.parse_shape(node, value), which runs RestJSONParser._parse_shape
 * on the node's shape. What botocore raises there becomes an
 * InvalidResponseError with the path. New reference, or NULL. */
static PyObject *
botocore_value(builder *b, uint32_t node, PyObject *value)
{
    PyObject *idx, *out;
    idx = PyLong_FromUnsignedLong(node);
    if (idx == NULL) {
        return NULL;
    }
    out = PyObject_CallMethodObjArgs(b->ctx->controller, b->ctx->st->s_parse_shape, idx,
                                     value, NULL);
    Py_DECREF(idx);
    if (out == NULL && PyErr_ExceptionMatches(PyExc_Exception) &&
        !PyErr_ExceptionMatches(PyExc_MemoryError)) {
        PyObject *type, *exc, *tb, *msg, *cause;
        const char *text = NULL;
        char reason[200];
        PyErr_Fetch(&type, &exc, &tb);
        PyErr_NormalizeException(&type, &exc, &tb);
        if (exc != NULL && tb != NULL && PyException_SetTraceback(exc, tb) < 0) {
            PyErr_Clear();   /* only the traceback of the cause is lost */
        }
        msg = exc ? PyObject_Str(exc) : NULL;
        if (msg != NULL) {
            text = PyUnicode_AsUTF8(msg);
        }
        if (text == NULL && PyErr_Occurred()) {
            PyErr_Clear();   /* the message only; the exception is kept as the cause */
        }
        snprintf(reason, sizeof(reason), "botocore's parser fails on this value (%s: %s)",
                 ((PyTypeObject *)type)->tp_name, text ? text : "?");
        Py_XDECREF(msg);
        invalid(b, reason, 0, 0);
        /* chain botocore's exception as the cause */
        if (exc != NULL && PyErr_Occurred()) {
            PyObject *t2, *e2, *tb2;
            PyErr_Fetch(&t2, &e2, &tb2);
            PyErr_NormalizeException(&t2, &e2, &tb2);
            if (e2 != NULL) {
                cause = exc;
                Py_INCREF(cause);
                PyException_SetCause(e2, cause);   /* steals cause */
            }
            PyErr_Restore(t2, e2, tb2);
        }
        Py_XDECREF(type);
        Py_XDECREF(exc);
        Py_XDECREF(tb);
    }
    return out;
}

/* The value as json.loads would give it, then botocore's parser on it. */
static PyObject *
botocore_node(builder *b, uint32_t node, const iot_value *v)
{
    PyObject *plain, *out;
    if (v->kind == IOT_V_NULL || v->kind == IOT_V_ABSENT) {
        return botocore_value(b, node, Py_None);
    }
    if (v->kind == IOT_V_STRUCT || v->kind == IOT_V_LIST || v->kind == IOT_V_MAP) {
        PyErr_SetString(PyExc_SystemError, "iotpager: a container for botocore's parser");
        return NULL;
    }
    plain = make_plain(b, v, 0, 0);
    if (plain == NULL) {
        return NULL;
    }
    out = botocore_value(b, node, plain);
    Py_DECREF(plain);
    return out;
}

static void
push_frame(builder *b, const char *name, size_t len, long index)
{
    if (b->nframes < IOT_BUILD_MAX_FRAMES) {
        b->frames[b->nframes].name = name;
        b->frames[b->nframes].len = len;
        b->frames[b->nframes].index = index;
    }
    b->nframes++;
}

/* A structure's members into `into` (a new dict when NULL). New
 * reference (to `into` when given), or NULL with an exception. */
static PyObject *
build_struct_into(builder *b, const iot_plan_node *n, const iot_value *v, PyObject *into)
{
    const iot_plan_object *po = b->ctx->plan;
    /* no slots (and maybe no tape at all) for a structure without members */
    const iot_value *slots = n->nchildren ? b->page->tape + v->u.off : NULL;
    PyObject *d, *val;
    uint32_t i;

    if (into != NULL) {
        Py_INCREF(into);
        d = into;
    }
    else {
        d = _PyDict_NewPresized((Py_ssize_t)n->nchildren);
        if (d == NULL) {
            return NULL;
        }
    }
    for (i = 0; i < n->nchildren; i++) {
        uint32_t child = po->plan.children[n->first_child + i];
        const iot_value *sv = &slots[i];
        int rc;
        if (sv->kind == IOT_V_ABSENT || sv->kind == IOT_V_NULL) {
            continue;   /* botocore drops members that are None */
        }
        push_frame(b, po->nodes[child].wire, po->nodes[child].wire_len, -1);
        val = build_node(b, child, sv);
        if (val == NULL) {
            Py_DECREF(d);
            return NULL;
        }
        b->nframes--;
        rc = PyDict_SetItem(d, po->keys[child], val);
        Py_DECREF(val);
        if (rc < 0) {
            Py_DECREF(d);
            return NULL;
        }
    }
    return d;
}

static PyObject *
build_struct(builder *b, const iot_plan_node *n, const iot_value *v)
{
    return build_struct_into(b, n, v, NULL);
}

static PyObject *
build_list(builder *b, const iot_plan_node *n, const iot_value *v)
{
    const iot_value *slots = v->len ? b->page->tape + v->u.off : NULL;
    uint32_t member = b->ctx->plan->plan.children[n->first_child], i;
    PyObject *list = PyList_New((Py_ssize_t)v->len), *item;

    if (list == NULL) {
        return NULL;
    }
    for (i = 0; i < v->len; i++) {
        if (slots[i].kind == IOT_V_NULL && b->ctx->plan->sparse_lists) {
            /* the installed botocore treats every list as sparse */
            Py_INCREF(Py_None);
            item = Py_None;
        }
        else {
            push_frame(b, NULL, 0, (long)i);
            item = build_node(b, member, &slots[i]);
            if (item == NULL) {
                Py_DECREF(list);
                return NULL;
            }
            b->nframes--;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, item);   /* steals item */
    }
    return list;
}

/* A map's key: from the page's key cache when it is a short ASCII string
 * of a plain string shape (the same str object for the same text, which is
 * what json.loads gives), else built. New reference, or NULL. */
static PyObject *
cached_key(builder *b, uint32_t key_node, const iot_value *kv)
{
    const iot_plan_node *n = &b->ctx->plan->nodes[key_node];
    const unsigned char *s;
    PyObject *key, **slot;
    uint32_t h = 2166136261u, i;

    if (kv->kind != IOT_V_STRING || !kv->ascii || kv->len > IOT_KEY_CACHE_MAXLEN ||
        n->type != IOT_T_STRING || n->flags != 0 || kv->enum_id) {
        return build_node(b, key_node, kv);
    }
    s = (const unsigned char *)iot_value_bytes(b->page, kv);
    for (i = 0; i < kv->len; i++) {
        h = (h ^ s[i]) * 16777619u;   /* FNV-1a */
    }
    slot = &b->keys[h & (IOT_KEY_CACHE - 1)];
    if (*slot != NULL && PyUnicode_GET_LENGTH(*slot) == (Py_ssize_t)kv->len &&
        memcmp(PyUnicode_1BYTE_DATA(*slot), s, kv->len) == 0) {
        Py_INCREF(*slot);
        return *slot;
    }
    key = build_node(b, key_node, kv);
    if (key != NULL && PyUnicode_IS_COMPACT_ASCII(key)) {
        Py_INCREF(key);
        Py_XSETREF(*slot, key);
    }
    return key;
}

static void
release_keys(builder *b)
{
    int i;
    for (i = 0; i < IOT_KEY_CACHE; i++) {
        Py_CLEAR(b->keys[i]);
    }
}

static PyObject *
build_map(builder *b, const iot_plan_node *n, const iot_value *v)
{
    const iot_value *slots = v->len ? b->page->tape + v->u.off : NULL;
    uint32_t key_node = b->ctx->plan->plan.children[n->first_child];
    uint32_t value_node = b->ctx->plan->plan.children[n->first_child + 1], i;
    PyObject *d = PyDict_New(), *key = NULL, *val = NULL;

    if (d == NULL) {
        return NULL;
    }
    for (i = 0; i + 1 < v->len; i += 2) {
        const iot_value *kv = &slots[i];
        push_frame(b, iot_value_bytes(b->page, kv), kv->len, -1);
        key = cached_key(b, key_node, kv);
        if (key == NULL) {
            goto error;
        }
        val = build_node(b, value_node, &slots[i + 1]);
        if (val == NULL) {
            goto error;
        }
        b->nframes--;
        /* a repeated key keeps its first place and takes the last value, as
         * json.loads (and so botocore's loop over it) does */
        if (PyDict_SetItem(d, key, val) < 0) {
            goto error;
        }
        Py_CLEAR(key);
        Py_CLEAR(val);
    }
    return d;
error:
    Py_XDECREF(key);
    Py_XDECREF(val);
    Py_DECREF(d);
    return NULL;
}

/* One value where the plan has `node`, as botocore's RestJSONParser makes
 * it. New reference, or NULL with an exception. */
static PyObject *
build_node(builder *b, uint32_t node, const iot_value *v)
{
    const iot_plan_object *po = b->ctx->plan;
    const iot_plan_node *n = &po->nodes[node];

    if (n->flags & IOT_NF_BOTOCORE) {
        return botocore_node(b, node, v);
    }
    if (v->kind == IOT_V_NULL || v->kind == IOT_V_ABSENT) {
        /* only a map's value gets here: _parse_shape(shape, None) */
        if (n->type == IOT_T_STRUCTURE || n->type == IOT_T_STRING) {
            Py_RETURN_NONE;
        }
        return botocore_node(b, node, v);
    }
    switch (n->type) {
    case IOT_T_STRUCTURE:
        return v->kind == IOT_V_STRUCT ? build_struct(b, n, v) : botocore_node(b, node, v);
    case IOT_T_LIST:
        return v->kind == IOT_V_LIST ? build_list(b, n, v) : botocore_node(b, node, v);
    case IOT_T_MAP:
        return v->kind == IOT_V_MAP ? build_map(b, n, v) : botocore_node(b, node, v);
    case IOT_T_STRING:
        if (v->kind == IOT_V_STRING && v->enum_id) {
            PyObject *e = po->enum_objs[n->first_enum + v->enum_id - 1];
            Py_INCREF(e);
            return e;
        }
        return make_plain(b, v, 0, 0);   /* any type passes through */
    case IOT_T_INTEGER:
        if (v->kind == IOT_V_INT) {
            return PyLong_FromLongLong(v->u.i);
        }
        if (v->kind == IOT_V_TRUE || v->kind == IOT_V_FALSE) {
            return PyLong_FromLong(v->kind == IOT_V_TRUE);   /* int(True) */
        }
        return botocore_node(b, node, v);
    case IOT_T_DOUBLE:
        if (v->kind == IOT_V_DOUBLE) {
            return PyFloat_FromDouble(v->u.d);
        }
        if (v->kind == IOT_V_INT) {
            /* float(int): both round to nearest, ties to even */
            return PyFloat_FromDouble((double)v->u.i);
        }
        return botocore_node(b, node, v);
    case IOT_T_BOOLEAN:
        return make_boolean(b, v);
    case IOT_T_TIMESTAMP: {
        /* epoch numbers in C; anything else (strings, far dates) through
         * botocore's own _handle_timestamp */
        PyObject *out = NULL;
        int rc = IOT_TIME_FALLBACK;
        if (b->ctx->tz->mode == IOT_TZ_RAW) {
            return make_plain(b, v, 0, 0);
        }
        if (v->kind == IOT_V_INT) {
            rc = iot_time_from_int(b->ctx->tz, v->u.i, &out);
        }
        else if (v->kind == IOT_V_DOUBLE) {
            rc = iot_time_from_double(b->ctx->tz, v->u.d, &out);
        }
        if (rc != IOT_TIME_FALLBACK) {
            return out;   /* NULL with an exception when rc < 0 */
        }
        return botocore_node(b, node, v);
    }
    default:
        return botocore_node(b, node, v);
    }
}

static PyObject *
build_plan_page(builder *b, PyObject **token_out)
{
    const iot_page *page = b->page;
    const iot_plan_object *po = b->ctx->plan;
    PyObject *out = NULL, *body = NULL;

    if (po == NULL || &po->plan != page->plan) {
        PyErr_SetString(PyExc_SystemError, "iotpager: page parsed with another plan");
        return NULL;
    }
    out = PyDict_New();
    if (out == NULL || PyDict_SetItem(out, b->ctx->st->s_ResponseMetadata, b->metadata) < 0) {
        goto error;
    }
    /* the members go straight into the page, after ResponseMetadata */
    body = build_struct_into(b, &po->nodes[0], &page->root, out);
    if (body == NULL) {
        goto error;
    }
    if (po->plan.token_member >= 0) {
        uint32_t tnode = po->plan.children[po->nodes[0].first_child + po->plan.token_member];
        PyObject *tok = PyDict_GetItemWithError(body, po->keys[tnode]);   /* borrowed */
        if (tok == NULL && PyErr_Occurred()) {
            goto error;
        }
        Py_XINCREF(tok);
        *token_out = tok;
    }
    Py_DECREF(body);
    return out;
error:
    Py_XDECREF(body);
    Py_XDECREF(out);
    return NULL;
}

PyObject *
iot_build_job(const iot_build_ctx *ctx, const iot_page *page, PyObject *metadata, size_t index)
{
    builder b = {ctx, page, metadata, 0, {{NULL, 0, 0}}, {NULL}};
    return make_job(&b, &page->jobs[index], (long)index);
}

PyObject *
iot_build_page(const iot_build_ctx *ctx, const iot_page *page, PyObject *metadata,
               PyObject **token_out)
{
    builder b = {ctx, page, metadata, 0, {{NULL, 0, 0}}, {NULL}};
    PyObject *out = NULL, *jobs = NULL, *token = NULL;
    size_t i;

    *token_out = NULL;
    if (page->plan != NULL) {
        out = build_plan_page(&b, token_out);
        release_keys(&b);
        return out;
    }
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
