/* plan.h - a compiled output plan: the shape of one operation's response,
 * as botocore's service model describes it, in plain C.
 *
 * No Python, no C++. The plan is compiled once per operation by
 * python/iotpager/_model.py from botocore's OperationModel, turned into this
 * C form by the Plan type (plan.c), and then only read: by the simdjson
 * walker (json_shim.cpp, possibly on the prefetch thread without the GIL)
 * and by the builder (builder.c).
 *
 * nodes[0] is the output structure. Every node is one shape as it stands in
 * one place of the tree: a member of a structure is a node of its own (it
 * carries the member's JSON name), so a shape used in two places is two
 * nodes. Children are stored as node indices in plan->children:
 *   structure: its members, in the model's order (botocore's key order);
 *   list:      one child, the member shape;
 *   map:       two children, the key shape and the value shape.
 */
#ifndef IOT_PLAN_H
#define IOT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Node types: botocore's shape type names. */
enum {
    IOT_T_STRUCTURE = 1,
    IOT_T_LIST,
    IOT_T_MAP,
    IOT_T_STRING,
    IOT_T_INTEGER,    /* integer and long: int(value) */
    IOT_T_DOUBLE,     /* double and float: float(value) */
    IOT_T_BOOLEAN,    /* ensure_boolean(value) */
    IOT_T_TIMESTAMP,  /* parse_timestamp(value) */
    IOT_T_OTHER       /* anything else (blob, ...): botocore's parser builds it */
};

/* Node flags. */
#define IOT_NF_BOTOCORE 0x01   /* always built by botocore's parser (a blob, a
                                  jsonvalue string, a recursive shape, a union) */
#define IOT_NF_RESULT 0x02     /* a result key of the paginator: anything but a
                                  list or null there is an InvalidResponseError */

typedef struct {
    uint8_t type;          /* IOT_T_* */
    uint8_t flags;         /* IOT_NF_* */
    uint32_t nchildren;
    uint32_t first_child;  /* index into iot_plan.children */
    const char *wire;      /* the member's JSON name (NUL-terminated UTF-8);
                              "" for a list member, map key or value */
    uint32_t wire_len;
    uint32_t first_enum;   /* string enums: index into iot_plan.enums */
    uint32_t nenums;
} iot_plan_node;

typedef struct {
    const iot_plan_node *nodes;
    size_t nnodes;
    const uint32_t *children;
    const char *const *enums;     /* enum values (NUL-terminated UTF-8) */
    const uint32_t *enum_lens;
    int32_t result_member;        /* member index (in nodes[0]) of the primary
                                     result key, counted for MaxItems; -1 none */
    int32_t token_member;         /* member index of the output token; -1 none */
} iot_plan;

static inline const iot_plan_node *
iot_plan_child(const iot_plan *plan, const iot_plan_node *n, uint32_t i)
{
    return &plan->nodes[plan->children[n->first_child + i]];
}

#ifdef __cplusplus
}
#endif

#endif
