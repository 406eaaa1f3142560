/* iotpager.h - private declarations shared by the Python glue files
 * (module.c, pager.c, builder.c, errors.c). The Python-free units have
 * their own headers (buf.h, uri.h, sigv4.h, http.h, json_shim.h).
 */
#ifndef IOTPAGER_H
#define IOTPAGER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "http.h"
#include "json_shim.h"
#include "plan.h"
#include "timeconv.h"

/* Interned strings, created once at module exec. X(c_name, "text") */
#define IOT_INTERNED_KEYS(X)                 \
    X(ResponseMetadata, "ResponseMetadata")  \
    X(RequestId, "RequestId")                \
    X(HostId, "HostId")                      \
    X(HTTPStatusCode, "HTTPStatusCode")      \
    X(HTTPHeaders, "HTTPHeaders")            \
    X(RetryAttempts, "RetryAttempts")        \
    X(jobs, "jobs")                          \
    X(nextToken, "nextToken")                \
    X(x_amzn_requestid, "x-amzn-requestid")  \
    X(x_amz_request_id, "x-amz-request-id")  \
    X(x_amz_id_2, "x-amz-id-2")              \
    X(empty, "")                             \
    X(credentials, "credentials")            \
    X(http_error, "http_error")              \
    X(transport_error, "transport_error")    \
    X(duplicate_token, "duplicate_token")    \
    X(invalid_response, "invalid_response")  \
    X(timestamp, "timestamp")                \
    X(success, "success")                    \
    X(parse_shape, "parse_shape")            \
    X(lower, "lower")

#define IOT_N_ENUMS 7   /* entries of iot_json_enum_values */

typedef struct {
    PyTypeObject *PagerType;
    PyTypeObject *PlanType;                 /* plan.c */
    PyTypeObject *JobsTextType;             /* jsonout.c */
#define X(name, text) PyObject *s_##name;
    IOT_INTERNED_KEYS(X)
#undef X
    PyObject *field_keys[IOT_JOB_NFIELDS];  /* JobSummary member names */
    PyObject *enum_values[IOT_N_ENUMS];     /* status / targetSelection values */
    PyObject *json_loads;                   /* json.loads, for RAW values */
} iot_state;

/* pager.c: the most pages the prefetch worker holds parsed ahead of the
 * caller (module constant PREFETCH_PAGES) */
#define IOT_PREFETCH_PAGES 3

/* plan.c ---------------------------------------------------------------- */

/* A Plan: the C plan (plan.h) and, per node and per enum value, the Python
 * objects pages are built from. Everything is owned by the Plan and fixed
 * once it is made. */
typedef struct {
    PyObject_HEAD
    iot_plan plan;            /* points into the arrays below */
    size_t nnodes, nenums;
    iot_plan_node *nodes;
    uint32_t *children;
    uint32_t *enum_lens;
    const char **enum_ptrs;   /* per enum value: its bytes in pool */
    char *pool;               /* wire names and enum values, NUL-terminated */
    PyObject **keys;          /* per node: the member name (interned str), or NULL */
    PyObject **enum_objs;     /* per enum value: the interned str */
    int sparse_lists;         /* a null list item is None (botocore >= 1.4x); 0: it
                                 goes to botocore's parser with its member shape */
} iot_plan_object;

extern PyType_Spec iot_plan_spec;

/* builder.c ------------------------------------------------------------- */

/* Everything the builder needs besides the parsed page. Borrowed pointers,
 * valid for the call. */
typedef struct {
    iot_state *st;
    const iot_tz *tz;
    PyObject *controller;   /* its timestamp() parses what C does not */
    PyTypeObject *jobs_text; /* non-NULL: "jobs" is a JobsText of this type
                                (the CLI's JSON text), not a list */
    const iot_plan_object *plan; /* the page's plan, when it was parsed with one;
                                    values botocore must judge go to
                                    controller.parse_shape(node, value) */
} iot_build_ctx;

/* jsonout.c ------------------------------------------------------------ */

typedef struct iot_jobs_text iot_jobs_text;
extern PyType_Spec iot_jobs_text_spec;

/* json.dumps(obj, indent=4, ensure_ascii=False, default=default_fn), with
 * JobsText objects of jobs_text_type (may be NULL) encoded as their jobs.
 * New reference: a str; or with chunks, its UTF-8 as a list of bytes and
 * JobsText (whose buffers are their texts) to write out in order (still a
 * str when it holds lone surrogates, which have no UTF-8); Py_NotImplemented
 * when json.dumps must do it; NULL with an exception. Arguments borrowed. */
PyObject *iot_jsonout_dumps(PyObject *obj, PyObject *default_fn, PyTypeObject *jobs_text_type,
                            int chunks);

/* The jobs of a parsed page as a new JobsText of type ctx->jobs_text
 * (tz mode must be IOT_TZ_RAW). New reference, or NULL with an exception
 * (the builder's, for a job it had to build). metadata borrowed. */
PyObject *iot_jsonout_jobs(const iot_build_ctx *ctx, const iot_page *page, PyObject *metadata);

/* The HTTPHeaders dict of a response, as botocore shows it: names
 * lower-cased, repeated names joined with ", ", in first-seen order.
 * New reference, or NULL with an exception set. */
PyObject *iot_build_headers(iot_state *st, const iot_http_header *h, size_t n);

/* The ResponseMetadata dict, without RetryAttempts (botocore adds that
 * last, after its retry handlers had their say). headers is borrowed.
 * New reference, or NULL with an exception set. */
PyObject *iot_build_metadata(iot_state *st, long status, PyObject *headers);

/* metadata["RetryAttempts"] = retry_attempts. 0, or -1 with an exception. */
int iot_build_set_retries(iot_state *st, PyObject *metadata, long retry_attempts);

/* page->jobs[index] as the builder makes it for a page's list (a dict, or
 * None). New reference, or NULL with an exception. metadata borrowed. */
PyObject *iot_build_job(const iot_build_ctx *ctx, const iot_page *page, PyObject *metadata,
                        size_t index);

/* The page dict {ResponseMetadata, jobs?, nextToken?} from a parsed page.
 * metadata is borrowed (the page takes its own reference).
 * *token_out gets a new reference to the nextToken value, or NULL when the
 * page has none. New reference, or NULL with an exception set (a value that
 * cannot be built raises with its JSON path, through iot_err_invalid). */
PyObject *iot_build_page(const iot_build_ctx *ctx, const iot_page *page,
                         PyObject *metadata, PyObject **token_out);

/* errors.c -------------------------------------------------------------- */

/* A transport failure. Asks controller.transport_error(kind, curl_code,
 * message, url, attempt), which raises the botocore exception (or, for a
 * retryable failure, returns the seconds to wait before the next attempt).
 * Returns the delay >= 0, or -1.0 with an exception set. */
double iot_err_transport(iot_state *st, PyObject *controller, iot_http *h,
                         const char *url, long attempt);

/* An HTTP status >= 301. controller.http_error(status, headers, body,
 * attempt) raises the botocore ClientError (or returns a retry delay).
 * headers is borrowed. Returns the delay >= 0, or -1.0 with an exception set. */
double iot_err_http(iot_state *st, PyObject *controller, long status,
                    PyObject *headers, const iot_buf *body, long attempt);

/* A 2xx body that is not a ListJobs page: raises through
 * controller.invalid_response(reason, path, status, metadata). Always
 * returns -1 with an exception set. metadata is borrowed (may be NULL). */
int iot_err_invalid(iot_state *st, PyObject *controller, const char *reason,
                    const char *path, PyObject *metadata);

/* pager.c --------------------------------------------------------------- */

extern PyType_Spec iot_pager_spec;

/* module.c -------------------------------------------------------------- */

/* The module state of the module that defines `type`. Borrowed. */
iot_state *iot_state_from_type(PyTypeObject *type);

#endif
