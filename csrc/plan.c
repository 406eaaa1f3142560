/* plan.c - the Plan type: a compiled output plan (plan.h) and the Python
 * objects the builder puts into pages (member names, enum values).
 *
 * Made by python/iotpager/_model.py, once per operation:
 *
 *   Plan(nodes, result_member, token_member)
 *
 * nodes: a sequence of (type, flags, wire, key, children, enums) tuples, in
 * node order (nodes[0] the output structure): type and flags are plan.h's
 * IOT_T_* and IOT_NF_*, wire the JSON name (str, "" when not a member), key
 * the member name botocore uses as the dict key (str, or None when not a
 * member), children a tuple of node indices, enums a tuple of str.
 *
 * A Plan is immutable once made. Its C form is read without the GIL (by the
 * prefetch worker's parse); a Pager that uses it holds a reference to it.
 */
#include "iotpager.h"

#include <string.h>

static int
plan_traverse(iot_plan_object *self, visitproc visit, void *arg)
{
    size_t i;
    Py_VISIT(Py_TYPE(self));
    for (i = 0; self->keys && i < self->nnodes; i++) {
        Py_VISIT(self->keys[i]);
    }
    for (i = 0; self->enum_objs && i < self->nenums; i++) {
        Py_VISIT(self->enum_objs[i]);
    }
    return 0;
}

static int
plan_clear(iot_plan_object *self)
{
    size_t i;
    for (i = 0; self->keys && i < self->nnodes; i++) {
        Py_CLEAR(self->keys[i]);
    }
    for (i = 0; self->enum_objs && i < self->nenums; i++) {
        Py_CLEAR(self->enum_objs[i]);
    }
    return 0;
}

static void
plan_dealloc(iot_plan_object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    plan_clear(self);
    PyMem_Free(self->keys);
    PyMem_Free(self->enum_objs);
    PyMem_Free(self->nodes);
    PyMem_Free(self->children);
    PyMem_Free(self->enum_ptrs);
    PyMem_Free(self->enum_lens);
    PyMem_Free(self->pool);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* The UTF-8 of a str, and its length. Borrowed (from s). */
static const char *
utf8_of(PyObject *s, const char *what, Py_ssize_t *len)
{
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "Plan: %s must be a str, not %.100s", what,
                     Py_TYPE(s)->tp_name);
        return NULL;
    }
    return PyUnicode_AsUTF8AndSize(s, len);
}

static PyObject *
plan_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"nodes", "result_member", "token_member", "sparse_lists", NULL};
    PyObject *nodes_in, *seq = NULL;
    iot_plan_object *self = NULL;
    int result_member = -1, token_member = -1, sparse_lists = 1;
    Py_ssize_t n, i, j;
    size_t nchildren = 0, nenums = 0, pool_size = 0, child_at = 0, enum_at = 0, pool_at = 0;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|iip:Plan", kwlist, &nodes_in,
                                     &result_member, &token_member, &sparse_lists)) {
        return NULL;
    }
    /* a private tuple: nothing can change it between the two passes */
    seq = PySequence_Tuple(nodes_in);
    if (seq == NULL) {
        return NULL;
    }
    n = PyTuple_GET_SIZE(seq);
    if (n < 1 || n > (Py_ssize_t)UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "Plan: needs at least one node");
        goto error;
    }
    /* first pass: check the tuples, count children, enums and string bytes */
    for (i = 0; i < n; i++) {
        PyObject *t = PyTuple_GET_ITEM(seq, i), *children, *enums, *wire, *key;
        Py_ssize_t len;
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 6 ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(t, 0)) ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(t, 1))) {
            PyErr_Format(PyExc_TypeError, "Plan: node %zd must be a 6-tuple (int, int, ...)", i);
            goto error;
        }
        wire = PyTuple_GET_ITEM(t, 2);
        key = PyTuple_GET_ITEM(t, 3);
        children = PyTuple_GET_ITEM(t, 4);
        enums = PyTuple_GET_ITEM(t, 5);
        if (!PyTuple_Check(children) || !PyTuple_Check(enums) ||
            (key != Py_None && !PyUnicode_Check(key))) {
            PyErr_Format(PyExc_TypeError, "Plan: node %zd: bad children, enums or key", i);
            goto error;
        }
        if (utf8_of(wire, "wire", &len) == NULL) {
            goto error;
        }
        pool_size += (size_t)len + 1;
        nchildren += (size_t)PyTuple_GET_SIZE(children);
        for (j = 0; j < PyTuple_GET_SIZE(children); j++) {
            if (!PyLong_CheckExact(PyTuple_GET_ITEM(children, j))) {
                PyErr_Format(PyExc_TypeError, "Plan: node %zd: children must be ints", i);
                goto error;
            }
        }
        nenums += (size_t)PyTuple_GET_SIZE(enums);
        for (j = 0; j < PyTuple_GET_SIZE(enums); j++) {
            if (utf8_of(PyTuple_GET_ITEM(enums, j), "an enum value", &len) == NULL) {
                goto error;
            }
            pool_size += (size_t)len + 1;
        }
    }
    self = (iot_plan_object *)type->tp_alloc(type, 0);
    if (self == NULL) {
        goto error;
    }
    self->nnodes = (size_t)n;
    self->nenums = nenums;
    self->nodes = PyMem_Calloc((size_t)n, sizeof(iot_plan_node));
    self->children = PyMem_Calloc(nchildren + 1, sizeof(uint32_t));
    self->enum_ptrs = PyMem_Calloc(nenums + 1, sizeof(char *));
    self->enum_lens = PyMem_Calloc(nenums + 1, sizeof(uint32_t));
    self->pool = PyMem_Malloc(pool_size + 1);
    self->keys = PyMem_Calloc((size_t)n, sizeof(PyObject *));
    self->enum_objs = PyMem_Calloc(nenums + 1, sizeof(PyObject *));
    if (!self->nodes || !self->children || !self->enum_ptrs || !self->enum_lens ||
        !self->pool || !self->keys || !self->enum_objs) {
        PyErr_NoMemory();
        goto error;
    }
    /* second pass: fill them in */
    for (i = 0; i < n; i++) {
        PyObject *t = PyTuple_GET_ITEM(seq, i);
        PyObject *key = PyTuple_GET_ITEM(t, 3), *children = PyTuple_GET_ITEM(t, 4);
        PyObject *enums = PyTuple_GET_ITEM(t, 5);
        iot_plan_node *node = &self->nodes[i];
        long type_code = PyLong_AsLong(PyTuple_GET_ITEM(t, 0));
        long flags = type_code == -1 && PyErr_Occurred() ? -1
                                                         : PyLong_AsLong(PyTuple_GET_ITEM(t, 1));
        const char *wire;
        Py_ssize_t len;
        if (flags == -1 && PyErr_Occurred()) {
            goto error;
        }
        if (type_code < IOT_T_STRUCTURE || type_code > IOT_T_OTHER || flags < 0 || flags > 255) {
            PyErr_Format(PyExc_ValueError, "Plan: node %zd: bad type %ld or flags %ld", i,
                         type_code, flags);
            goto error;
        }
        node->type = (uint8_t)type_code;
        node->flags = (uint8_t)flags;
        wire = utf8_of(PyTuple_GET_ITEM(t, 2), "wire", &len);
        if (wire == NULL) {
            goto error;
        }
        memcpy(self->pool + pool_at, wire, (size_t)len + 1);
        node->wire = self->pool + pool_at;
        node->wire_len = (uint32_t)len;
        pool_at += (size_t)len + 1;
        node->first_child = (uint32_t)child_at;
        node->nchildren = (uint32_t)PyTuple_GET_SIZE(children);
        for (j = 0; j < PyTuple_GET_SIZE(children); j++) {
            long c = PyLong_AsLong(PyTuple_GET_ITEM(children, j));
            if (c == -1 && PyErr_Occurred()) {
                goto error;
            }
            if (c <= i || c >= n) {   /* children come after their parent: no cycles */
                PyErr_Format(PyExc_ValueError, "Plan: node %zd: bad child %ld", i, c);
                goto error;
            }
            self->children[child_at++] = (uint32_t)c;
        }
        if ((node->type == IOT_T_LIST && node->nchildren != 1) ||
            (node->type == IOT_T_MAP && node->nchildren != 2) ||
            (node->type != IOT_T_LIST && node->type != IOT_T_MAP &&
             node->type != IOT_T_STRUCTURE && node->nchildren != 0)) {
            PyErr_Format(PyExc_ValueError, "Plan: node %zd: wrong number of children", i);
            goto error;
        }
        node->first_enum = (uint32_t)enum_at;
        node->nenums = (uint32_t)PyTuple_GET_SIZE(enums);
        for (j = 0; j < PyTuple_GET_SIZE(enums); j++) {
            PyObject *e = PyTuple_GET_ITEM(enums, j);
            const char *s = utf8_of(e, "an enum value", &len);
            if (s == NULL) {
                goto error;
            }
            memcpy(self->pool + pool_at, s, (size_t)len + 1);
            self->enum_ptrs[enum_at] = self->pool + pool_at;
            self->enum_lens[enum_at] = (uint32_t)len;
            pool_at += (size_t)len + 1;
            Py_INCREF(e);
            PyUnicode_InternInPlace(&e);
            self->enum_objs[enum_at] = e;
            enum_at++;
        }
        if (key != Py_None) {
            Py_INCREF(key);
            PyUnicode_InternInPlace(&key);
            self->keys[i] = key;
        }
    }
    /* every member of a structure has its key (the builder's dict key) */
    for (i = 0; i < n; i++) {
        if (self->nodes[i].type != IOT_T_STRUCTURE) {
            continue;
        }
        for (j = 0; j < (Py_ssize_t)self->nodes[i].nchildren; j++) {
            if (self->keys[self->children[self->nodes[i].first_child + (size_t)j]] == NULL) {
                PyErr_Format(PyExc_ValueError, "Plan: node %zd: a member without a key", i);
                goto error;
            }
        }
    }
    if (self->nodes[0].type != IOT_T_STRUCTURE ||
        result_member >= (int)self->nodes[0].nchildren ||
        token_member >= (int)self->nodes[0].nchildren) {
        PyErr_SetString(PyExc_ValueError,
                        "Plan: node 0 must be a structure holding the result and token members");
        goto error;
    }
    self->plan.nodes = self->nodes;
    self->plan.nnodes = self->nnodes;
    self->plan.children = self->children;
    self->plan.enum_lens = self->enum_lens;
    self->plan.enums = self->enum_ptrs;
    self->plan.result_member = result_member < 0 ? -1 : result_member;
    self->plan.token_member = token_member < 0 ? -1 : token_member;
    self->sparse_lists = sparse_lists;
    Py_DECREF(seq);
    return (PyObject *)self;
error:
    Py_XDECREF(seq);
    Py_XDECREF(self);
    return NULL;
}

static PyObject *
plan_get_nnodes(iot_plan_object *self, void *closure)
{
    (void)closure;
    return PyLong_FromSize_t(self->nnodes);
}

static PyGetSetDef plan_getset[] = {
    {"nnodes", (getter)plan_get_nnodes, NULL, "Number of nodes.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot plan_slots[] = {
    {Py_tp_doc, "A compiled output plan (made by iotpager._model)."},
    {Py_tp_new, plan_new},
    {Py_tp_dealloc, plan_dealloc},
    {Py_tp_traverse, plan_traverse},
    {Py_tp_clear, plan_clear},
    {Py_tp_getset, plan_getset},
    {0, NULL},
};

PyType_Spec iot_plan_spec = {
    .name = "iotpager._core.Plan",
    .basicsize = sizeof(iot_plan_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = plan_slots,
};
