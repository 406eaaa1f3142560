/* module.c - iotpager._core: multi-phase init (PEP 489) and module state.
 *
 * Everything the C code keeps between calls lives in the module state
 * (iot_state): the Pager heap type, the interned keys and enum values, and
 * json.loads. traverse and clear cover every field. curl_global_init runs
 * once per process (iot_http_global_init guards it).
 */
#include "iotpager.h"

#include <curl/curl.h>

static iot_state *
get_state(PyObject *module)
{
    return (iot_state *)PyModule_GetState(module);
}

iot_state *
iot_state_from_type(PyTypeObject *type)
{
    return (iot_state *)PyType_GetModuleState(type);
}

static int
intern_into(PyObject **slot, const char *text)
{
    *slot = PyUnicode_InternFromString(text);
    return *slot == NULL ? -1 : 0;
}

static int
core_exec(PyObject *module)
{
    iot_state *st = get_state(module);
    PyObject *json = NULL;
    int i;

    if (iot_http_global_init() < 0) {
        PyErr_SetString(PyExc_ImportError, "iotpager: curl_global_init failed");
        return -1;
    }
    if (iot_time_init() < 0) {
        return -1;
    }
#define X(name, text) \
    if (intern_into(&st->s_##name, text) < 0) { \
        return -1; \
    }
    IOT_INTERNED_KEYS(X)
#undef X
    for (i = 0; i < IOT_JOB_NFIELDS; i++) {
        if (intern_into(&st->field_keys[i], iot_json_field_names[i]) < 0) {
            return -1;
        }
    }
    for (i = 0; i < IOT_N_ENUMS; i++) {
        if (iot_json_enum_values[i] == NULL) {
            PyErr_SetString(PyExc_SystemError, "iotpager: enum table shorter than IOT_N_ENUMS");
            return -1;
        }
        if (intern_into(&st->enum_values[i], iot_json_enum_values[i]) < 0) {
            return -1;
        }
    }
    json = PyImport_ImportModule("json");
    if (json == NULL) {
        return -1;
    }
    st->json_loads = PyObject_GetAttrString(json, "loads");
    Py_DECREF(json);
    if (st->json_loads == NULL) {
        return -1;
    }
    st->PagerType = (PyTypeObject *)PyType_FromModuleAndSpec(module, &iot_pager_spec, NULL);
    if (st->PagerType == NULL) {
        return -1;
    }
    if (PyModule_AddType(module, st->PagerType) < 0) {
        return -1;
    }
    st->JobsTextType = (PyTypeObject *)PyType_FromModuleAndSpec(module, &iot_jobs_text_spec, NULL);
    if (st->JobsTextType == NULL || PyModule_AddType(module, st->JobsTextType) < 0) {
        return -1;
    }
    st->PlanType = (PyTypeObject *)PyType_FromModuleAndSpec(module, &iot_plan_spec, NULL);
    if (st->PlanType == NULL || PyModule_AddType(module, st->PlanType) < 0) {
        return -1;
    }
    if (PyModule_AddStringConstant(module, "curl_version", curl_version()) < 0) {
        return -1;
    }
    if (PyModule_AddIntConstant(module, "TZ_LOCAL", IOT_TZ_LOCAL) < 0 ||
        PyModule_AddIntConstant(module, "TZ_UTC", IOT_TZ_UTC) < 0 ||
        PyModule_AddIntConstant(module, "TZ_RAW", IOT_TZ_RAW) < 0 ||
        PyModule_AddIntConstant(module, "PREFETCH_PAGES", IOT_PREFETCH_PAGES) < 0) {
        return -1;
    }
    return 0;
}

static int
core_traverse(PyObject *module, visitproc visit, void *arg)
{
    iot_state *st = get_state(module);
    int i;
    if (st == NULL) {
        return 0;
    }
    Py_VISIT(st->PagerType);
    Py_VISIT(st->JobsTextType);
    Py_VISIT(st->PlanType);
    Py_VISIT(st->json_loads);
#define X(name, text) Py_VISIT(st->s_##name);
    IOT_INTERNED_KEYS(X)
#undef X
    for (i = 0; i < IOT_JOB_NFIELDS; i++) {
        Py_VISIT(st->field_keys[i]);
    }
    for (i = 0; i < IOT_N_ENUMS; i++) {
        Py_VISIT(st->enum_values[i]);
    }
    return 0;
}

static int
core_clear(PyObject *module)
{
    iot_state *st = get_state(module);
    int i;
    if (st == NULL) {
        return 0;
    }
    Py_CLEAR(st->PagerType);
    Py_CLEAR(st->JobsTextType);
    Py_CLEAR(st->PlanType);
    Py_CLEAR(st->json_loads);
#define X(name, text) Py_CLEAR(st->s_##name);
    IOT_INTERNED_KEYS(X)
#undef X
    for (i = 0; i < IOT_JOB_NFIELDS; i++) {
        Py_CLEAR(st->field_keys[i]);
    }
    for (i = 0; i < IOT_N_ENUMS; i++) {
        Py_CLEAR(st->enum_values[i]);
    }
    return 0;
}

static void
core_free(void *module)
{
    core_clear((PyObject *)module);
}

PyDoc_STRVAR(parse_page_doc,
"parse_page($module, body, controller, tz_mode, tzinfo, /, status=200, headers=None,\n"
"           jobs_text=False, plan=None)\n--\n\n"
"Build the page dict for one response body, exactly as the iterator does,\n"
"without any HTTP. For tests and fuzzing: the same bytes can be handed to\n"
"botocore's parser. headers is a list of (name, value) str pairs (latin-1). jobs_text\n"
"(with tz_mode TZ_RAW): the jobs as a JobsText, as the CLI's Pager gives them.\n"
"plan: a Plan (iotpager._model), for any operation's output; the controller's\n"
"parse_shape(node, value) then builds what botocore must judge.");

static PyObject *
core_parse_page(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"body", "controller", "tz_mode", "tzinfo", "status", "headers",
                             "jobs_text", "plan", NULL};
    iot_state *st = get_state(module);
    Py_buffer body = {0};
    PyObject *controller, *tzinfo, *headers_in = NULL, *seq = NULL, *plan = Py_None;
    PyObject *held = NULL;   /* the latin-1 bytes of the headers */
    PyObject *headers = NULL, *metadata = NULL, *page = NULL, *token = NULL;
    iot_http_header *hdrs = NULL;
    iot_page pg;
    iot_buf copy;
    iot_tz tz = {0};
    iot_build_ctx ctx;
    long status = 200;
    int tz_mode, jerr, page_ready = 0, jobs_text = 0;
    Py_ssize_t i, nh = 0;

    iot_buf_init(&copy, 0);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*OiO|lOpO:parse_page", kwlist, &body,
                                     &controller, &tz_mode, &tzinfo, &status, &headers_in,
                                     &jobs_text, &plan)) {
        return NULL;
    }
    if (plan != Py_None && !PyObject_TypeCheck(plan, st->PlanType)) {
        PyErr_SetString(PyExc_TypeError, "parse_page: plan must be a Plan or None");
        PyBuffer_Release(&body);
        return NULL;
    }
    if (plan != Py_None && jobs_text) {
        PyErr_SetString(PyExc_ValueError, "parse_page: jobs_text is for ListJobs without a plan");
        PyBuffer_Release(&body);
        return NULL;
    }
    if (iot_tz_setup(&tz, tz_mode, tzinfo) < 0) {
        goto done;
    }
    if (headers_in != NULL && headers_in != Py_None) {
        seq = PySequence_Fast(headers_in, "headers must be a sequence of (str, str)");
        if (seq == NULL) {
            goto done;
        }
        nh = PySequence_Fast_GET_SIZE(seq);
        held = PyList_New(0);
        if (held == NULL) {
            goto done;
        }
        hdrs = PyMem_Calloc((size_t)nh + 1, sizeof(*hdrs));
        if (hdrs == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (i = 0; i < nh; i++) {
            PyObject *pair = PySequence_Fast_GET_ITEM(seq, i);
            Py_ssize_t kn, vn;
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                PyErr_SetString(PyExc_TypeError, "headers must be (str, str) pairs");
                goto done;
            }
            /* the bytes on the wire: latin-1, as http.client reads them */
            {
                PyObject *kb = PyUnicode_AsLatin1String(PyTuple_GET_ITEM(pair, 0));
                PyObject *vb = kb ? PyUnicode_AsLatin1String(PyTuple_GET_ITEM(pair, 1)) : NULL;
                int rc = vb ? PyList_Append(held, kb) | PyList_Append(held, vb) : -1;
                Py_XDECREF(kb);
                Py_XDECREF(vb);
                if (rc < 0) {
                    goto done;
                }
                /* borrowed from `held`, which keeps them alive */
                hdrs[i].name = PyBytes_AS_STRING(kb);
                kn = PyBytes_GET_SIZE(kb);
                hdrs[i].value = PyBytes_AS_STRING(vb);
                vn = PyBytes_GET_SIZE(vb);
            }
            hdrs[i].name_len = (size_t)kn;
            hdrs[i].value_len = (size_t)vn;
        }
    }
    headers = iot_build_headers(st, hdrs, (size_t)nh);
    if (headers == NULL) {
        goto done;
    }
    metadata = iot_build_metadata(st, status, headers);
    if (metadata == NULL || iot_build_set_retries(st, metadata, 0) < 0) {
        goto done;
    }
    /* the parser needs padding past the end: copy into an iot_buf */
    if (iot_buf_append(&copy, body.buf, (size_t)body.len) != IOT_BUF_OK ||
        iot_buf_reserve(&copy, 0) != IOT_BUF_OK || iot_json_page_init(&pg) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    page_ready = 1;
    pg.plan = plan == Py_None ? NULL : &((iot_plan_object *)plan)->plan;
    jerr = iot_json_parse_page(&pg, copy.data, copy.len);
    if (jerr == IOT_JSON_E_NOMEM) {
        PyErr_NoMemory();
        goto done;
    }
    if (jerr != IOT_JSON_OK) {
        iot_err_invalid(st, controller, pg.errmsg, pg.errpath, metadata);
        goto done;
    }
    ctx.st = st;
    ctx.tz = &tz;
    ctx.controller = controller;
    ctx.jobs_text = jobs_text ? st->JobsTextType : NULL;
    ctx.plan = plan == Py_None ? NULL : (iot_plan_object *)plan;
    page = iot_build_page(&ctx, &pg, metadata, &token);
done:
    if (page_ready) {
        iot_json_page_free(&pg);
    }
    iot_buf_free(&copy);
    iot_tz_clear(&tz);
    PyMem_Free(hdrs);
    Py_XDECREF(seq);
    Py_XDECREF(held);
    Py_XDECREF(headers);
    Py_XDECREF(metadata);
    Py_XDECREF(token);
    PyBuffer_Release(&body);
    return page;
}

PyDoc_STRVAR(awscli_json_doc,
"awscli_json($module, obj, default, chunks=False, /)\n--\n\n"
"json.dumps(obj, indent=4, ensure_ascii=False, default=default), the aws CLI's\n"
"JSON output, encoded in C; a JobsText is encoded as its list of jobs.\n"
"Returns NotImplemented for what only json.dumps does the same way (a non-str\n"
"dict key, a dict or list subclass): the caller then runs json.dumps.\n"
"chunks: the text's UTF-8 as a list of bytes-like pieces (bytes, and the\n"
"JobsText texts themselves) to write in order; a str if it has lone surrogates.");

static PyObject *
core_awscli_json(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    int chunks = 0;

    if (nargs != 2 && nargs != 3) {
        PyErr_Format(PyExc_TypeError, "awscli_json expected 2 or 3 arguments, got %zd", nargs);
        return NULL;
    }
    if (nargs == 3 && (chunks = PyObject_IsTrue(args[2])) < 0) {
        return NULL;
    }
    if (!PyCallable_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "awscli_json: default must be callable");
        return NULL;
    }
    return iot_jsonout_dumps(args[0], args[1], get_state(module)->JobsTextType, chunks);
}

static PyMethodDef core_methods[] = {
    {"awscli_json", (PyCFunction)(void (*)(void))core_awscli_json, METH_FASTCALL, awscli_json_doc},
    {"parse_page", (PyCFunction)(void (*)(void))core_parse_page, METH_VARARGS | METH_KEYWORDS,
     parse_page_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, core_exec},
    {0, NULL},
};

PyDoc_STRVAR(core_doc,
"iotpager's C core: the ListJobs page iterator (libcurl, SigV4, simdjson).");

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "iotpager._core",
    .m_doc = core_doc,
    .m_size = sizeof(iot_state),
    .m_methods = core_methods,
    .m_slots = core_slots,
    .m_traverse = core_traverse,
    .m_clear = core_clear,
    .m_free = core_free,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&core_module);
}
