/* json_shim.h - the plain-C face of the simdjson On-Demand page parser.
 *
 * No Python, no C++ types. json_shim.cpp is the only C++ file; every
 * simdjson object lives inside one iot_json_parse_page call, no exception
 * crosses the boundary (the shim is built with -fno-exceptions), and results
 * come back as plain C values whose strings are copied into the page's own
 * arena. So a page may be parsed while the GIL is released, and read by the
 * builder afterwards.
 *
 * Without a plan, the schema is the ListJobs output, {"jobs": [JobSummary|null, ...], "nextToken": S}.
 * JobSummary members are known by index (IOT_F_*), in the service model's
 * order, which is also the order of the keys in botocore's dicts.
 */
#ifndef IOT_JSON_SHIM_H
#define IOT_JSON_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* JobSummary members, in the model's order. */
enum {
    IOT_F_JOBARN = 0,
    IOT_F_JOBID,
    IOT_F_THINGGROUPID,
    IOT_F_TARGETSELECTION,
    IOT_F_STATUS,
    IOT_F_CREATEDAT,
    IOT_F_LASTUPDATEDAT,
    IOT_F_COMPLETEDAT,
    IOT_F_ISCONCURRENT,
    IOT_JOB_NFIELDS
};

/* Kinds of a parsed value. ABSENT and NULL are both dropped from a job dict,
 * as botocore drops members whose value is None. */
enum {
    IOT_V_ABSENT = 0,
    IOT_V_NULL,
    IOT_V_STRING,   /* arena[off .. off+len) (or input[...] when in_input),
                       unescaped UTF-8 */
    IOT_V_INT,      /* i: fits int64 */
    IOT_V_DOUBLE,   /* d */
    IOT_V_TRUE,
    IOT_V_FALSE,
    IOT_V_RAW,      /* arena[off .. off+len): raw JSON text (object, array or a
                       number outside int64/double); the builder json.loads it */
    /* with a plan only: a JSON object or array where the plan wants one.
     * u.off is the index in page->tape of its first slot, len the count of
     * slots: a structure has one per member (model order, ABSENT when the
     * member is not there), a list one per item, a map two per entry (the
     * key as a STRING, then the value). */
    IOT_V_STRUCT,
    IOT_V_LIST,
    IOT_V_MAP
};

typedef struct {
    uint8_t kind;
    uint8_t enum_id;   /* STRING only: 1 + index into iot_json_enum_values, 0 if none */
    uint8_t ascii;     /* STRING only: every byte < 0x80 */
    uint8_t in_input;  /* STRING/RAW: off is into the parsed input, not the arena */
    uint32_t len;
    union {
        int64_t i;
        double d;
        size_t off;
    } u;
} iot_value;

typedef struct {
    iot_value f[IOT_JOB_NFIELDS];
    uint8_t is_null;   /* the list entry itself was null: yielded as None */
} iot_job;

/* Result codes. */
enum {
    IOT_JSON_OK = 0,
    IOT_JSON_E_SYNTAX,   /* not valid JSON (also empty body, trailing garbage) */
    IOT_JSON_E_UTF8,     /* invalid UTF-8 */
    IOT_JSON_E_SHAPE,    /* valid JSON of the wrong shape */
    IOT_JSON_E_DEPTH,    /* nested deeper than IOT_JSON_MAX_DEPTH */
    IOT_JSON_E_NOMEM,
    IOT_JSON_E_INTERNAL
};

/* Depth is counted from the document as simdjson counts it (the top-level
 * object is 1); kept below simdjson's own max_depth (1024), whose debug
 * builds assert rather than fail. */
#define IOT_JSON_MAX_DEPTH 1000

/* The enum strings the shim recognises (status and targetSelection values);
 * the builder interns one Python str per entry. NULL-terminated. */
extern const char *const iot_json_enum_values[];
/* The JSON member names, indexed by IOT_F_*. */
extern const char *const iot_json_field_names[IOT_JOB_NFIELDS];

/* One parsed page. Zero it, then iot_json_page_init; reuse it for every page
 * of an iterator; iot_json_page_free releases everything it owns. */
typedef struct {
    iot_job *jobs;         /* njobs entries, valid until the next parse */
    size_t njobs;
    size_t jobs_cap;
    int has_jobs;          /* "jobs" present and not null */
    iot_value next_token;  /* ABSENT/NULL when there is none */
    iot_buf arena;         /* strings and raw texts referenced by iot_value */
    const char *input;     /* borrowed: the bytes last parsed; in_input values
                              point into them, so they must outlive the build */
    int err;               /* IOT_JSON_* of the last parse */
    char errmsg[200];      /* what went wrong, when err != OK */
    char errpath[96];      /* where: "$", "$.jobs[7].createdAt", ... */
    void *parser;          /* opaque: simdjson::ondemand::parser, reused */
    /* With a plan (set plan before parsing; borrowed, must outlive every
     * parse and build of the page): the whole output as a tree of values.
     * jobs/njobs stay empty; njobs counts the items of the plan's primary
     * result key, has_jobs says it was a list, next_token is the output
     * token's value. */
    const iot_plan *plan;
    iot_value root;        /* the output structure (IOT_V_STRUCT) */
    iot_value *tape;       /* every container's slots */
    size_t ntape, tape_cap;
    iot_value *stack;      /* scratch: list items and map entries in the making */
    size_t nstack, stack_cap;
} iot_page;

/* The bytes of a STRING or RAW value (borrowed; valid while p and the
 * parsed input are). */
static inline const char *
iot_value_bytes(const iot_page *p, const iot_value *v)
{
    return (v->in_input ? p->input : p->arena.data) + v->u.off;
}

int iot_json_page_init(iot_page *p);
void iot_json_page_free(iot_page *p);

/* Parse data[0..len) into p. data must have IOT_BUF_PADDING readable bytes
 * past len (iot_buf guarantees it). Pure C++/C: no Python, so it may run
 * without the GIL. Returns p->err. */
int iot_json_parse_page(iot_page *p, const char *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
