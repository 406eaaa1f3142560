/* errors.c - the only place where curl, HTTP/AWS and JSON errors become
 * Python exceptions.
 *
 * Each foreign error domain has one mapper here. The exception classes are
 * botocore's (and iotpager's InvalidResponseError), chosen by the
 * per-iterator controller object (python/iotpager/_controller.py), which is
 * configured from the boto3 client: so a wrapped client's own
 * client.exceptions.* classes are raised, and retry decisions follow its
 * retry configuration. These are rare paths; the per-page path never
 * enters this file.
 */
#include "iotpager.h"

static const char *
transport_kind_name(iot_http_error kind)
{
    switch (kind) {
    case IOT_HTTP_OK: return "ok";
    case IOT_HTTP_E_CONNECT: return "connect";
    case IOT_HTTP_E_CONNECT_TIMEOUT: return "connect_timeout";
    case IOT_HTTP_E_READ_TIMEOUT: return "read_timeout";
    case IOT_HTTP_E_CLOSED: return "closed";
    case IOT_HTTP_E_SSL: return "ssl";
    case IOT_HTTP_E_PROXY: return "proxy";
    case IOT_HTTP_E_TOO_BIG: return "too_big";
    case IOT_HTTP_E_NOMEM: return "nomem";
    case IOT_HTTP_E_ABORTED: return "aborted";
    case IOT_HTTP_E_OTHER: return "other";
    }
    return "other";
}

/* The controller returns a delay in seconds (retry) or raises. */
static double
delay_from(PyObject *result)
{
    double d;
    if (result == NULL) {
        return -1.0;
    }
    d = PyFloat_AsDouble(result);
    Py_DECREF(result);
    if (d == -1.0 && PyErr_Occurred()) {
        return -1.0;
    }
    if (d < 0) {
        PyErr_SetString(PyExc_SystemError, "iotpager: negative retry delay");
        return -1.0;
    }
    return d;
}

double
iot_err_transport(iot_state *st, PyObject *controller, iot_http *h, const char *url,
                  long attempt)
{
    iot_http_error kind = iot_http_error_kind(h);
    PyObject *r;

    if (kind == IOT_HTTP_E_NOMEM) {
        PyErr_NoMemory();
        return -1.0;
    }
    r = PyObject_CallMethod(controller, "transport_error", "sissl",
                            transport_kind_name(kind), iot_http_curl_code(h),
                            iot_http_error_message(h), url ? url : "", attempt);
    (void)st;
    return delay_from(r);
}

double
iot_err_http(iot_state *st, PyObject *controller, long status, PyObject *headers,
             const iot_buf *body, long attempt)
{
    PyObject *r;
    (void)st;
    r = PyObject_CallMethod(controller, "http_error", "lOy#l", status, headers,
                            body->data ? body->data : "", (Py_ssize_t)body->len,
                            attempt);
    return delay_from(r);
}

int
iot_err_invalid(iot_state *st, PyObject *controller, const char *reason,
                const char *path, PyObject *metadata)
{
    PyObject *r, *reason_obj, *path_obj;
    (void)st;
    /* a reason or path may have been cut inside a UTF-8 character */
    reason_obj = PyUnicode_DecodeUTF8(reason, (Py_ssize_t)strlen(reason), "replace");
    if (reason_obj == NULL) {
        return -1;
    }
    path_obj = PyUnicode_DecodeUTF8(path, (Py_ssize_t)strlen(path), "replace");
    if (path_obj == NULL) {
        Py_DECREF(reason_obj);
        return -1;
    }
    r = PyObject_CallMethod(controller, "invalid_response", "OOO", reason_obj, path_obj,
                            metadata ? metadata : Py_None);
    Py_DECREF(reason_obj);
    Py_DECREF(path_obj);
    if (r != NULL) {
        /* the controller must raise; if it did not, do it here */
        Py_DECREF(r);
        PyErr_Format(PyExc_ValueError, "invalid response: %s at %s", reason, path);
    }
    return -1;
}
