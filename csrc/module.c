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
    if (PyModule_AddStringConstant(module, "curl_version", curl_version()) < 0) {
        return -1;
    }
    if (PyModule_AddIntConstant(module, "TZ_LOCAL", IOT_TZ_LOCAL) < 0 ||
        PyModule_AddIntConstant(module, "TZ_UTC", IOT_TZ_UTC) < 0) {
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
