/* fuzz_json.cc - libFuzzer target for the JSON shim (csrc/json_shim.cpp +
 * csrc/buf.c), built with ASan+UBSan by tests/fuzz/run.sh.
 *
 * Two modes, chosen by the first byte of the input:
 *
 *  - '#': plan mode (issue 12). The bytes after '#' describe an output plan
 *    (csrc/plan.h), decoded by PlanDecoder below: a tree of at most
 *    MAX_NODES nodes in preorder (so children always come after their
 *    parent, as plan.c requires), with member names and enum values from
 *    small vocabularies; what follows the plan is the response body, parsed
 *    with page.plan set. See "plan encoding" below and make_seeds.py
 *    (encode_plan), which writes real operations' plans in this form.
 *  - anything else: the whole input is one ListJobs body, parsed without a
 *    plan (the ListJobs walker), as before.
 *
 * The body is copied into a buffer of exactly len + IOT_BUF_PADDING bytes
 * (so ASan sees any read past the padding the shim promises to need) and
 * parsed into one iot_page that lives across inputs, as a Pager reuses its
 * page for every response (here also across plans, and between plan and
 * no-plan parses). Invariants, both modes:
 *
 *  - the result code is one of IOT_JSON_*, and equals page.err;
 *  - on an error: errmsg and errpath are NUL-terminated, errpath starts with
 *    "$", errmsg is not empty;
 *  - every STRING/RAW value lies inside the arena, or inside the input when
 *    it is zero-copy (in_input); an "ascii" string has no byte >= 0x80; RAW
 *    text is non-empty and has no trailing space;
 *  - parsing the same bytes again (a fresh page, and the reused page)
 *    gives the same result: code, path and values, byte for byte;
 *  - differential, against simdjson's DOM parser on the same bytes: when
 *    the shim accepts a body, the DOM parser accepts it too, or fails only
 *    for what the shim deliberately passes on to json.loads (lone
 *    surrogates, big numbers, depth inside a value), or some RAW value is
 *    itself rejected; when the shim says the body is not valid JSON
 *    (E_SYNTAX/E_UTF8) the DOM parser must agree.
 *
 * Without a plan: njobs <= jobs_cap; has_jobs == 0 implies njobs == 0; an
 * enum_id is set only on status/targetSelection and names a string equal
 * to the value.
 *
 * With a plan, on OK (walking the whole tape from page.root):
 *  - root is a STRUCT with one slot per member of node 0;
 *  - every container's slots lie inside the tape [0, ntape), and no slot
 *    belongs to two containers (so the tape is a tree);
 *  - a STRUCT only where the plan has a structure, a LIST only for a list,
 *    a MAP only for a map, never under an IOT_NF_BOTOCORE node; STRUCT len
 *    == the node's nchildren; MAP len even, its keys STRING (or RAW: a key
 *    with a lone surrogate escape) without enum_id; ABSENT only in a STRUCT
 *    slot;
 *  - an enum_id only on a STRING of a string node with enums, at most
 *    min(nenums, 255), naming an enum value equal to the bytes;
 *  - an IOT_NF_RESULT member holds a LIST, null or nothing;
 *  - njobs == the result member's list length (has_jobs set) or 0 (not a
 *    list); next_token is the token member's slot;
 *  - differential, when the DOM parser accepts the body: the shim's outcome
 *    is predicted (OK; E_SHAPE at "$.<member>" for the first result member,
 *    in the model's order, whose value (the last repeat) is not a list or
 *    null; E_SHAPE for a top-level non-object; E_DEPTH allowed for nesting
 *    of 999+), and on OK the tape
 *    must be exactly the DOM's tree seen through the plan: members in their
 *    slots (the last duplicate wins), list items and map entries in order,
 *    keys and strings byte for byte, enum ids (the first equal value among
 *    the first 255), int64s and doubles bit for bit, everything else (a
 *    container where the plan has none, a number beyond int64 or a mantissa
 *    of more than 19 digits) as RAW text that the DOM reads as the same
 *    value.
 *
 * A violated invariant calls abort(), which libFuzzer reports as a crash
 * and saves the input. IOTPAGER_FUZZ_TRACE=1 prints each input's plan and
 * result (to replay a saved input: fuzz_json FILE).
 */
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <simdjson.h>

extern "C" {
#include "buf.h"
#include "json_shim.h"
}

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz_json: invariant failed: %s (line %d)\n",   \
                    #cond, __LINE__);                                        \
            abort();                                                         \
        }                                                                    \
    } while (0)

static iot_page g_page;   /* reused across inputs, as a Pager does */
static bool g_ready = false;

static size_t g_input_len;   /* length of the bytes being parsed */

static void
check_value(const iot_page *p, const iot_value *v, int field)
{
    CHECK(v->kind <= IOT_V_RAW);
    if (v->kind == IOT_V_STRING || v->kind == IOT_V_RAW) {
        CHECK(v->in_input == 0 || v->in_input == 1);
        if (v->in_input) {   /* zero copy: inside the parsed input */
            CHECK(v->u.off <= g_input_len);
            CHECK((size_t)v->len <= g_input_len - v->u.off);
        }
        else {
            CHECK(v->u.off <= p->arena.len);
            CHECK((size_t)v->len <= p->arena.len - v->u.off);
            CHECK(p->arena.data != NULL || v->len == 0);
        }
    }
    if (v->kind == IOT_V_STRING && v->ascii) {
        const unsigned char *s = (const unsigned char *)iot_value_bytes(p, v);
        for (uint32_t i = 0; i < v->len; i++) {
            CHECK(s[i] < 0x80);
        }
    }
    if (v->kind == IOT_V_RAW) {
        const char *s = iot_value_bytes(p, v);
        CHECK(v->len > 0);
        CHECK(s[v->len - 1] != ' ' && s[v->len - 1] != '\n' &&
              s[v->len - 1] != '\r' && s[v->len - 1] != '\t');
    }
    if (v->enum_id != 0) {
        CHECK(v->kind == IOT_V_STRING);
        CHECK(field == IOT_F_STATUS || field == IOT_F_TARGETSELECTION);
        const char *ev = iot_json_enum_values[v->enum_id - 1];
        CHECK(ev != NULL);
        /* the builder hands out the interned enum str instead of the bytes:
         * they must be exactly equal */
        CHECK(strlen(ev) == v->len && memcmp(ev, iot_value_bytes(p, v), v->len) == 0);
    }
}

/* A byte-for-byte description of a parse result, for comparisons. */
static std::string
summary(const iot_page *p, int rc)
{
    std::string out = std::to_string(rc) + "|";
    if (rc != IOT_JSON_OK) {
        return out + p->errpath + "|" + p->errmsg;
    }
    auto value = [&](const iot_value *v) {
        out += std::to_string(v->kind) + ":" + std::to_string(v->enum_id) + ":";
        switch (v->kind) {
        case IOT_V_STRING:
        case IOT_V_RAW:
            out.append(iot_value_bytes(p, v), v->len);
            break;
        case IOT_V_INT:
            out += std::to_string(v->u.i);
            break;
        case IOT_V_DOUBLE: {
            char b[40];
            snprintf(b, sizeof b, "%a", v->u.d);
            out += b;
            break;
        }
        default:
            break;
        }
        out += ";";
    };
    out += std::to_string(p->has_jobs) + "|" + std::to_string(p->njobs) + "|";
    for (size_t i = 0; i < p->njobs; i++) {
        out += p->jobs[i].is_null ? "N" : "J";
        for (int f = 0; f < IOT_JOB_NFIELDS; f++) {
            value(&p->jobs[i].f[f]);
        }
        out += "\n";
    }
    value(&p->next_token);
    return out;
}

static void
check_page(const iot_page *p, int rc)
{
    CHECK(rc >= IOT_JSON_OK && rc <= IOT_JSON_E_INTERNAL);
    CHECK(rc == p->err);
    CHECK(rc != IOT_JSON_E_INTERNAL);
    if (rc != IOT_JSON_OK) {
        CHECK(memchr(p->errmsg, '\0', sizeof(p->errmsg)) != NULL);
        CHECK(memchr(p->errpath, '\0', sizeof(p->errpath)) != NULL);
        CHECK(p->errpath[0] == '$');
        CHECK(p->errmsg[0] != '\0');
        return;
    }
    CHECK(p->njobs <= p->jobs_cap);
    CHECK(p->has_jobs || p->njobs == 0);
    for (size_t i = 0; i < p->njobs; i++) {
        const iot_job *j = &p->jobs[i];
        CHECK(j->is_null == 0 || j->is_null == 1);
        for (int f = 0; f < IOT_JOB_NFIELDS; f++) {
            if (j->is_null) {
                CHECK(j->f[f].kind == IOT_V_ABSENT);
            }
            check_value(p, &j->f[f], f);
        }
    }
    check_value(p, &p->next_token, -1);
    CHECK(p->next_token.enum_id == 0);
}

/* What the DOM parser says about the same bytes. */
static simdjson::error_code
dom_verdict(const uint8_t *data, size_t size)
{
    static simdjson::dom::parser parser;
    simdjson::dom::element doc;
    return parser.parse(reinterpret_cast<const char *>(data), size).get(doc);
}

/* One ListJobs body, no plan: the target as it was before plans. */
static void
legacy_one(const uint8_t *data, size_t size, bool known)
{
    /* IOTPAGER_FUZZ_KNOWN=1: pass over the finding already reported
     * (crashes/json-enum-id-nul-global-overflow: an escaped NUL in a string) */
    if (known && size >= 6 && memmem(data, size, "\\u0000", 6) != NULL) {
        return;
    }
    g_page.plan = NULL;   /* the page may have parsed with a plan before */
    /* exactly len + padding: ASan catches a read beyond the promised padding */
    char *copy = static_cast<char *>(malloc(size + IOT_BUF_PADDING));
    CHECK(copy != NULL);
    if (size) {
        memcpy(copy, data, size);
    }
    memset(copy + size, 0, IOT_BUF_PADDING);

    g_input_len = size;
    int rc = iot_json_parse_page(&g_page, copy, size);
    CHECK(g_page.input == copy);
    check_page(&g_page, rc);
    std::string first = summary(&g_page, rc);

    /* the same bytes on a fresh page, then again on the reused one */
    iot_page fresh;
    CHECK(iot_json_page_init(&fresh) == 0);
    int rc2 = iot_json_parse_page(&fresh, copy, size);
    check_page(&fresh, rc2);
    CHECK(summary(&fresh, rc2) == first);
    iot_json_page_free(&fresh);
    int rc3 = iot_json_parse_page(&g_page, copy, size);
    CHECK(summary(&g_page, rc3) == first);

    /* differential: simdjson's DOM parser on the same bytes */
    simdjson::error_code dom = dom_verdict(data, size);
    if (rc == IOT_JSON_OK && dom != simdjson::SUCCESS &&
        !(dom == simdjson::STRING_ERROR || dom == simdjson::NUMBER_ERROR ||
          dom == simdjson::DEPTH_ERROR || dom == simdjson::NUMBER_OUT_OF_RANGE)) {
        /* Beyond what the shim passes on to json.loads on purpose (lone
         * surrogates, numbers simdjson declines, deep nesting), an accepted
         * body the DOM rejects must hold the fault inside a RAW value (an
         * object, list or odd number in a known member): the builder hands
         * those to json.loads, which raises InvalidResponseError with the
         * member's path. So some RAW value must itself be rejected. */
        bool raw_rejected = false;
        auto probe = [&](const iot_value *v) {
            if (v->kind == IOT_V_RAW && !raw_rejected) {
                static simdjson::dom::parser rp;
                simdjson::dom::element el;
                std::string text(iot_value_bytes(&g_page, v), v->len);
                simdjson::error_code e = rp.parse(text).get(el);
                raw_rejected = e != simdjson::SUCCESS;
            }
        };
        for (size_t i = 0; i < g_page.njobs; i++) {
            for (int f = 0; f < IOT_JOB_NFIELDS; f++) {
                probe(&g_page.jobs[i].f[f]);
            }
        }
        probe(&g_page.next_token);
        /* known (crashes/page-missing-comma-accepted): a RAW value a later
         * duplicate member overwrote is never checked by anyone */
        if (!raw_rejected && !known) {
            fprintf(stderr, "fuzz_json: the shim accepts a body simdjson's DOM rejects (%s), "
                    "and no RAW value explains it\n", simdjson::error_message(dom));
            abort();
        }
    }
    if ((rc == IOT_JSON_E_SYNTAX || rc == IOT_JSON_E_UTF8) && dom == simdjson::SUCCESS) {
        fprintf(stderr, "fuzz_json: the shim rejects a body simdjson's DOM accepts: %s at %s\n",
                g_page.errmsg, g_page.errpath);
        abort();
    }
    if (rc == IOT_JSON_E_UTF8) {
        CHECK(dom == simdjson::UTF8_ERROR);
    }
    free(copy);
}

/* ======================================================================
 * plan mode
 *
 * Plan encoding (after the leading '#'); a byte past the end reads as 0:
 *
 *   M                     node 0: a structure of M % 9 members (M >= 0xf0:
 *                         of N members, N the next byte)
 *   member node ...       each member: T W rest
 *   R K                   result_member = R % (members+1) - 1 (-1: none),
 *                         token_member  = K % (members+1) - 1
 *   body                  every byte after K
 *
 *   T     type = 1 + (T & 0x0f) % 9 (plan.h's IOT_T_*);
 *         (T & 0x30) == 0x30: IOT_NF_BOTOCORE;
 *         T & 0x40: IOT_NF_RESULT (on a top-level list member without
 *         IOT_NF_BOTOCORE only, as _model.py makes them)
 *   W     the member's JSON name: W < 0xf0: kWires[W % 16] (the next one
 *         not yet taken in that structure); W >= 0xf0: inline, a length
 *         byte L then L % 64 bytes (a name taken already: a kWires one)
 *   rest  structure: C, then C % 7 member nodes (C >= 0xf0: a count byte
 *         N, then N member nodes)
 *         list: the member node (T rest, no W)
 *         map: the key (a string node's rest: no T, no W), then the value node
 *         string: E: E < 0xf0: E % 6 enum values (5: the 300 values
 *         "E0".."E299"), else a count byte N and N enum values; an enum
 *         value is V < 0xf0: kEnums[V % 12], else inline as for W
 *         anything else: nothing
 *
 * At most MAX_NODES (+2) nodes: past it a structure takes no more members
 * and a list or map becomes a string.
 * ====================================================================== */

#include <deque>

namespace {

enum { MAX_NODES = 80, MANY_ENUMS = 300 };

const char *const kWires[16] = {
    "a", "b", "c", "things", "jobs", "nextToken", "attributes", "status",
    "createdAt", "items", "n", "x", "\xc3\xa9t\xc3\xa9", "", "a.b", "jobId",
};

struct Bytes {
    const char *s;
    uint32_t len;
};

const Bytes kEnums[12] = {
    {"A", 1}, {"B", 1}, {"IN_PROGRESS", 11}, {"COMPLETED", 9}, {"CANCELED", 8},
    {"", 0}, {"\xc3\xa9", 2}, {"a\"b", 3}, {"CANCELED\0X", 10}, {"a\\b", 3},
    {"\x7f", 1}, {"SNAPSHOT", 8},
};

struct Reader {
    const uint8_t *d;
    size_t n, i;
    uint8_t next() { return i < n ? d[i++] : 0; }
};

struct Plan {
    std::vector<iot_plan_node> nodes;
    std::vector<std::vector<uint32_t>> kids;
    std::vector<std::vector<Bytes>> node_enums;
    std::deque<std::string> strings;   /* inline names and values (stable) */
    std::vector<uint32_t> children;
    std::vector<const char *> enums;
    std::vector<uint32_t> enum_lens;
    iot_plan plan;
};

const std::vector<std::string> &
many_enums()
{
    static const std::vector<std::string> v = [] {
        std::vector<std::string> x;
        for (int i = 0; i < MANY_ENUMS; i++) {
            x.push_back("E" + std::to_string(i));
        }
        return x;
    }();
    return v;
}

class PlanDecoder {
  public:
    PlanDecoder(Plan &plan, Reader &r) : P(plan), R(r) {}

    void decode()
    {
        P.strings.clear();
        P.nodes.assign(1, iot_plan_node{});
        P.kids.assign(1, {});
        P.node_enums.assign(1, {});
        P.nodes[0].type = IOT_T_STRUCTURE;
        P.nodes[0].wire = "";
        uint8_t mb = R.next();
        unsigned m = mb < 0xf0 ? mb % 9 : R.next();
        std::vector<Bytes> taken;
        for (unsigned k = 0; k < m && P.nodes.size() < MAX_NODES; k++) {
            uint32_t c = node(true, true, &taken);
            P.kids[0].push_back(c);
        }
        int members = (int)P.kids[0].size();
        P.plan.result_member = (int32_t)(R.next() % (members + 1)) - 1;
        P.plan.token_member = (int32_t)(R.next() % (members + 1)) - 1;
        /* lay out children and enums contiguously per node */
        P.children.clear();
        P.enums.clear();
        P.enum_lens.clear();
        for (size_t i = 0; i < P.nodes.size(); i++) {
            iot_plan_node &n = P.nodes[i];
            n.first_child = (uint32_t)P.children.size();
            n.nchildren = (uint32_t)P.kids[i].size();
            for (uint32_t c : P.kids[i]) {
                CHECK(c > i && c < P.nodes.size());   /* as plan.c requires */
                P.children.push_back(c);
            }
            n.first_enum = (uint32_t)P.enums.size();
            n.nenums = (uint32_t)P.node_enums[i].size();
            for (const Bytes &b : P.node_enums[i]) {
                P.enums.push_back(b.s);
                P.enum_lens.push_back(b.len);
            }
            CHECK(n.type == IOT_T_LIST ? n.nchildren == 1
                  : n.type == IOT_T_MAP ? n.nchildren == 2
                  : n.type == IOT_T_STRUCTURE || n.nchildren == 0);
        }
        P.children.push_back(0);   /* never empty */
        P.plan.nodes = P.nodes.data();
        P.plan.nnodes = P.nodes.size();
        P.plan.children = P.children.data();
        P.plan.enums = P.enums.empty() ? NULL : P.enums.data();
        P.plan.enum_lens = P.enum_lens.empty() ? NULL : P.enum_lens.data();
    }

  private:
    Plan &P;
    Reader &R;

    Bytes inline_bytes()
    {
        unsigned len = R.next() % 64;
        std::string s;
        for (unsigned k = 0; k < len && R.i < R.n; k++) {
            s.push_back((char)R.next());
        }
        P.strings.push_back(s);
        return Bytes{P.strings.back().c_str(), (uint32_t)P.strings.back().size()};
    }

    Bytes wire_name(std::vector<Bytes> *taken)
    {
        uint8_t w = R.next();
        auto is_taken = [&](const Bytes &b) {
            for (const Bytes &t : *taken) {
                if (t.len == b.len && memcmp(t.s, b.s, b.len) == 0) {
                    return true;
                }
            }
            return false;
        };
        Bytes b{NULL, 0};
        if (w >= 0xf0) {
            b = inline_bytes();
        }
        if (b.s == NULL || is_taken(b)) {
            for (unsigned k = 0; k < 16; k++) {   /* at most 8 are taken */
                const char *s = kWires[(w + k) % 16];
                b = Bytes{s, (uint32_t)strlen(s)};
                if (!is_taken(b)) {
                    break;
                }
            }
        }
        taken->push_back(b);
        return b;
    }

    void string_rest(uint32_t idx)
    {
        uint8_t e = R.next();
        std::vector<Bytes> &out = P.node_enums[idx];
        if (e < 0xf0 && e % 6 == 5) {
            for (const std::string &s : many_enums()) {
                out.push_back(Bytes{s.c_str(), (uint32_t)s.size()});
            }
            return;
        }
        unsigned count = e < 0xf0 ? e % 6 : R.next();
        for (unsigned k = 0; k < count; k++) {
            uint8_t v = R.next();
            out.push_back(v < 0xf0 ? kEnums[v % 12] : inline_bytes());
        }
    }

    uint32_t push_node()
    {
        P.nodes.push_back(iot_plan_node{});
        P.kids.emplace_back();
        P.node_enums.emplace_back();
        return (uint32_t)(P.nodes.size() - 1);
    }

    /* a node; member: it has a name (W), from the structure's `taken` */
    uint32_t node(bool member, bool top, std::vector<Bytes> *taken)
    {
        uint32_t idx = push_node();
        uint8_t t = R.next();
        uint8_t type = (uint8_t)(1 + (t & 0x0f) % 9), flags = 0;
        if ((t & 0x30) == 0x30) {
            flags |= IOT_NF_BOTOCORE;
        }
        if ((type == IOT_T_LIST || type == IOT_T_MAP) && P.nodes.size() > MAX_NODES) {
            type = IOT_T_STRING;
        }
        if ((t & 0x40) && top && type == IOT_T_LIST && !(flags & IOT_NF_BOTOCORE)) {
            flags |= IOT_NF_RESULT;   /* as _model makes them: a list, its own */
        }
        Bytes wire{"", 0};
        if (member) {
            wire = wire_name(taken);
        }
        P.nodes[idx].type = type;
        P.nodes[idx].flags = flags;
        P.nodes[idx].wire = wire.s;
        P.nodes[idx].wire_len = wire.len;
        switch (type) {
        case IOT_T_STRUCTURE: {
            uint8_t cb = R.next();
            unsigned c = cb < 0xf0 ? cb % 7 : R.next();
            std::vector<Bytes> names;
            for (unsigned k = 0; k < c && P.nodes.size() < MAX_NODES; k++) {
                uint32_t ch = node(true, false, &names);
                P.kids[idx].push_back(ch);
            }
            break;
        }
        case IOT_T_LIST: {
            uint32_t ch = node(false, false, NULL);
            P.kids[idx].push_back(ch);
            break;
        }
        case IOT_T_MAP: {
            uint32_t key = push_node();
            P.nodes[key].type = IOT_T_STRING;
            P.nodes[key].wire = "";
            string_rest(key);
            P.kids[idx].push_back(key);
            uint32_t val = node(false, false, NULL);
            P.kids[idx].push_back(val);
            break;
        }
        case IOT_T_STRING:
            string_rest(idx);
            break;
        default:
            break;
        }
        return idx;
    }
};

Plan g_plan;

/* ---- invariants of a parsed tape ---- */

void
check_bytes(const iot_page *p, const iot_value *v)
{
    CHECK(v->in_input == 0 || v->in_input == 1);
    if (v->in_input) {
        CHECK(v->u.off <= g_input_len);
        CHECK((size_t)v->len <= g_input_len - v->u.off);
    }
    else {
        CHECK(v->u.off <= p->arena.len);
        CHECK((size_t)v->len <= p->arena.len - v->u.off);
        CHECK(p->arena.data != NULL || v->len == 0);
    }
    if (v->kind == IOT_V_STRING && v->ascii) {
        const unsigned char *s = (const unsigned char *)iot_value_bytes(p, v);
        for (uint32_t i = 0; i < v->len; i++) {
            CHECK(s[i] < 0x80);
        }
    }
    if (v->kind == IOT_V_RAW) {
        const char *s = iot_value_bytes(p, v);
        CHECK(v->len > 0);
        CHECK(s[v->len - 1] != ' ' && s[v->len - 1] != '\n' && s[v->len - 1] != '\r' &&
              s[v->len - 1] != '\t');
    }
}

struct TapeCheck {
    const iot_page *p;
    const iot_plan *plan;
    std::vector<uint8_t> seen;

    const iot_value *slots(const iot_value *v)
    {
        CHECK(p->ntape <= p->tape_cap);
        CHECK(v->u.off <= p->ntape);
        CHECK((size_t)v->len <= p->ntape - v->u.off);
        for (size_t i = v->u.off; i < v->u.off + v->len; i++) {
            CHECK(!seen[i]);   /* a slot of two containers */
            seen[i] = 1;
        }
        return p->tape + v->u.off;
    }

    /* in_struct: an ABSENT value may only be a structure's slot */
    void value(uint32_t node, const iot_value *v, bool in_struct)
    {
        CHECK(node < plan->nnodes);
        const iot_plan_node *n = &plan->nodes[node];
        const bool botocore = (n->flags & IOT_NF_BOTOCORE) != 0;
        CHECK(v->kind <= IOT_V_MAP);
        if (v->kind != IOT_V_STRING) {
            CHECK(v->enum_id == 0);
        }
        switch (v->kind) {
        case IOT_V_ABSENT:
            CHECK(in_struct);
            break;
        case IOT_V_STRUCT: {
            CHECK(n->type == IOT_T_STRUCTURE && !botocore);
            CHECK(v->len == n->nchildren);
            const iot_value *s = slots(v);
            for (uint32_t i = 0; i < v->len; i++) {
                value(plan->children[n->first_child + i], &s[i], true);
            }
            break;
        }
        case IOT_V_LIST: {
            CHECK(n->type == IOT_T_LIST && !botocore && n->nchildren == 1);
            const iot_value *s = slots(v);
            for (uint32_t i = 0; i < v->len; i++) {
                value(plan->children[n->first_child], &s[i], false);
            }
            break;
        }
        case IOT_V_MAP: {
            CHECK(n->type == IOT_T_MAP && !botocore && n->nchildren == 2);
            CHECK(v->len % 2 == 0);
            const iot_value *s = slots(v);
            for (uint32_t i = 0; i < v->len; i += 2) {
                CHECK(s[i].kind == IOT_V_STRING || s[i].kind == IOT_V_RAW);
                CHECK(s[i].enum_id == 0);
                check_bytes(p, &s[i]);
                value(plan->children[n->first_child + 1], &s[i + 1], false);
            }
            break;
        }
        case IOT_V_STRING:
        case IOT_V_RAW:
            check_bytes(p, v);
            if (v->enum_id != 0) {
                CHECK(n->type == IOT_T_STRING && !botocore);
                CHECK(v->enum_id <= (n->nenums < 255 ? n->nenums : 255));
                uint32_t k = n->first_enum + v->enum_id - 1;
                CHECK(plan->enum_lens[k] == v->len &&
                      memcmp(plan->enums[k], iot_value_bytes(p, v), v->len) == 0);
            }
            break;
        default:
            break;
        }
        if (n->flags & IOT_NF_RESULT) {
            CHECK(v->kind == IOT_V_ABSENT || v->kind == IOT_V_NULL || v->kind == IOT_V_LIST);
        }
    }

    void run(int rc)
    {
        CHECK(rc >= IOT_JSON_OK && rc <= IOT_JSON_E_INTERNAL);
        CHECK(rc == p->err);
        CHECK(rc != IOT_JSON_E_INTERNAL);
        if (rc != IOT_JSON_OK) {
            CHECK(memchr(p->errmsg, '\0', sizeof(p->errmsg)) != NULL);
            CHECK(memchr(p->errpath, '\0', sizeof(p->errpath)) != NULL);
            CHECK(p->errpath[0] == '$');
            CHECK(p->errmsg[0] != '\0');
            return;
        }
        CHECK(p->root.kind == IOT_V_STRUCT);
        seen.assign(p->ntape, 0);
        value(0, &p->root, false);
        const iot_value *top = p->tape + p->root.u.off;
        if (plan->result_member >= 0 && top[plan->result_member].kind == IOT_V_LIST) {
            CHECK(p->has_jobs == 1);
            CHECK(p->njobs == top[plan->result_member].len);
        }
        else {
            CHECK(p->has_jobs == 0 && p->njobs == 0);
        }
        if (plan->token_member >= 0) {
            const iot_value *t = &top[plan->token_member];
            CHECK(p->next_token.kind == t->kind && p->next_token.len == t->len &&
                  p->next_token.enum_id == t->enum_id && p->next_token.in_input == t->in_input &&
                  memcmp(&p->next_token.u, &t->u, sizeof(t->u)) == 0);
        }
        else {
            CHECK(p->next_token.kind == IOT_V_ABSENT);
        }
    }
};

/* A byte-for-byte description of a plan-mode result (after TapeCheck: the
 * tape is a tree). */
void
describe(const iot_page *p, const iot_value *v, std::string &out)
{
    out += std::to_string(v->kind) + ":" + std::to_string(v->enum_id) + ":";
    switch (v->kind) {
    case IOT_V_STRING:
    case IOT_V_RAW:
        out += std::to_string(v->len) + "=";
        out.append(iot_value_bytes(p, v), v->len);
        break;
    case IOT_V_INT:
        out += std::to_string(v->u.i);
        break;
    case IOT_V_DOUBLE: {
        char b[40];
        snprintf(b, sizeof b, "%a", v->u.d);
        out += b;
        break;
    }
    case IOT_V_STRUCT:
    case IOT_V_LIST:
    case IOT_V_MAP:
        out += "(";
        for (uint32_t i = 0; i < v->len; i++) {
            describe(p, &p->tape[v->u.off + i], out);
        }
        out += ")";
        break;
    default:
        break;
    }
    out += ";";
}

std::string
plan_summary(const iot_page *p, int rc)
{
    std::string out = std::to_string(rc) + "|";
    if (rc != IOT_JSON_OK) {
        return out + p->errpath + "|" + p->errmsg;
    }
    describe(p, &p->root, out);
    out += "|" + std::to_string(p->has_jobs) + "|" + std::to_string(p->njobs) + "|";
    describe(p, &p->next_token, out);
    return out;
}

/* ---- the DOM parser's view of the same body, through the plan ---- */

/* The deepest nesting of brackets outside strings. */
int
nesting(const char *s, size_t n)
{
    int depth = 0, deepest = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') {
                i++;
            }
            else if (c == '"') {
                in_str = false;
            }
        }
        else if (c == '"') {
            in_str = true;
        }
        else if (c == '[' || c == '{') {
            deepest = ++depth > deepest ? depth : deepest;
        }
        else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return deepest;
}

/* The member index of key in structure node n (wires are unique), or -1. */
long
member_of(const iot_plan *plan, const iot_plan_node *n, std::string_view key)
{
    for (uint32_t i = 0; i < n->nchildren; i++) {
        const iot_plan_node *c = &plan->nodes[plan->children[n->first_child + i]];
        if (c->wire_len == key.size() && memcmp(c->wire, key.data(), key.size()) == 0) {
            return (long)i;
        }
    }
    return -1;
}

struct DomCompare {
    const iot_page *p;
    const iot_plan *plan;
    std::string path;

    [[noreturn]] void mismatch(const char *what)
    {
        fprintf(stderr, "fuzz_json: the tape differs from the DOM's tree at %s: %s\n",
                path.c_str(), what);
        abort();
    }

    void expect(bool ok, const char *what)
    {
        if (!ok) {
            mismatch(what);
        }
    }

    std::string_view bytes(const iot_value *v) { return std::string_view(iot_value_bytes(p, v), v->len); }

    /* RAW text v must read, with the DOM parser, as the element el. */
    void same_raw(const iot_value *v, simdjson::dom::element el)
    {
        static simdjson::dom::parser rp;
        simdjson::dom::element got;
        std::string text(bytes(v));
        expect(rp.parse(text).get(got) == simdjson::SUCCESS, "RAW text the DOM rejects");
        expect(simdjson::minify(got) == simdjson::minify(el), "RAW text of another value");
    }

    void value(uint32_t node, simdjson::dom::element el, const iot_value *v)
    {
        using simdjson::dom::element_type;
        const iot_plan_node *n = &plan->nodes[node];
        const bool botocore = (n->flags & IOT_NF_BOTOCORE) != 0;
        element_type t = el.type();

        if (!botocore && n->type == IOT_T_STRUCTURE && t == element_type::OBJECT) {
            expect(v->kind == IOT_V_STRUCT && v->len == n->nchildren, "not the structure");
            std::vector<simdjson::dom::element> last(n->nchildren);
            std::vector<bool> have(n->nchildren, false);
            simdjson::dom::object o = el.get_object().value_unsafe();
            for (simdjson::dom::key_value_pair kv : o) {
                long i = member_of(plan, n, kv.key);
                if (i >= 0) {
                    last[(size_t)i] = kv.value;   /* the last duplicate wins */
                    have[(size_t)i] = true;
                }
            }
            for (uint32_t i = 0; i < n->nchildren; i++) {
                const iot_value *s = &p->tape[v->u.off + i];
                const iot_plan_node *c = &plan->nodes[plan->children[n->first_child + i]];
                size_t mark = path.size();
                path += ".";
                path.append(c->wire, c->wire_len);
                if (!have[i]) {
                    expect(s->kind == IOT_V_ABSENT, "a member the body lacks");
                }
                else {
                    value(plan->children[n->first_child + i], last[i], s);
                }
                path.resize(mark);
            }
            return;
        }
        if (!botocore && n->type == IOT_T_LIST && t == element_type::ARRAY) {
            simdjson::dom::array a = el.get_array().value_unsafe();
            expect(v->kind == IOT_V_LIST && v->len == a.size(), "not the list");
            uint32_t i = 0;
            for (simdjson::dom::element item : a) {
                size_t mark = path.size();
                path += "[" + std::to_string(i) + "]";
                value(plan->children[n->first_child], item, &p->tape[v->u.off + i]);
                path.resize(mark);
                i++;
            }
            return;
        }
        if (!botocore && n->type == IOT_T_MAP && t == element_type::OBJECT) {
            simdjson::dom::object o = el.get_object().value_unsafe();
            expect(v->kind == IOT_V_MAP && v->len == 2 * o.size(), "not the map");
            uint32_t i = 0;
            for (simdjson::dom::key_value_pair kv : o) {
                const iot_value *k = &p->tape[v->u.off + i];
                size_t mark = path.size();
                path += "{" + std::string(kv.key) + "}";
                expect(k->kind == IOT_V_STRING && bytes(k) == kv.key, "another map key");
                value(plan->children[n->first_child + 1], kv.value, &p->tape[v->u.off + i + 1]);
                path.resize(mark);
                i += 2;
            }
            return;
        }
        /* anything else is a scalar or RAW text, as parse_value keeps it */
        switch (t) {
        case element_type::NULL_VALUE:
            expect(v->kind == IOT_V_NULL, "not null");
            return;
        case element_type::BOOL:
            expect(v->kind == (el.get_bool().value_unsafe() ? IOT_V_TRUE : IOT_V_FALSE),
                   "another boolean");
            return;
        case element_type::STRING: {
            std::string_view s = el.get_string().value_unsafe();
            expect(v->kind == IOT_V_STRING && bytes(v) == s, "another string");
            uint8_t want = 0;
            if (!botocore && n->type == IOT_T_STRING && !s.empty()) {
                uint32_t count = n->nenums < 255 ? n->nenums : 255;
                for (uint32_t i = 0; i < count && want == 0; i++) {
                    uint32_t k = n->first_enum + i;
                    if (plan->enum_lens[k] == s.size() &&
                        memcmp(plan->enums[k], s.data(), s.size()) == 0) {
                        want = (uint8_t)(i + 1);
                    }
                }
            }
            expect(v->enum_id == want, "another enum id");
            return;
        }
        case element_type::INT64:
            expect(v->kind == IOT_V_INT && v->u.i == el.get_int64().value_unsafe(),
                   "another int64");
            return;
        case element_type::UINT64:
            expect(v->kind == IOT_V_RAW, "a uint64 not kept as RAW");
            same_raw(v, el);
            return;
        case element_type::DOUBLE: {
            double d = el.get_double().value_unsafe();
            if (v->kind == IOT_V_DOUBLE) {
                expect(memcmp(&v->u.d, &d, sizeof d) == 0, "another double");
                return;
            }
            expect(v->kind == IOT_V_RAW, "a double neither DOUBLE nor RAW");
            same_raw(v, el);
            return;
        }
        case element_type::ARRAY:
        case element_type::OBJECT:
            expect(v->kind == IOT_V_RAW, "a container not kept as RAW");
            same_raw(v, el);
            return;
        }
        mismatch("an unknown DOM type");
    }
};

void
dom_check(const iot_page *p, const iot_plan *plan, int rc, const char *body, size_t size)
{
    static simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(body, size).get(doc) != simdjson::SUCCESS) {
        return;   /* the verdicts are checked in plan_one */
    }
    const bool deep = nesting(body, size) >= 999;
    int want = IOT_JSON_OK;
    std::string want_path;
    if (doc.type() != simdjson::dom::element_type::OBJECT) {
        want = IOT_JSON_E_SHAPE;
    }
    else {
        /* the first result member, in the model's order, whose value (the
         * last of its repeats, as json.loads keeps) is not a list or null */
        const iot_plan_node *n0 = &plan->nodes[0];
        std::vector<int> last(n0->nchildren, -1);   /* a dom::element_type, -1: absent */
        simdjson::dom::object o = doc.get_object().value_unsafe();
        for (simdjson::dom::key_value_pair kv : o) {
            long i = member_of(plan, n0, kv.key);
            if (i >= 0) {
                last[(size_t)i] = (int)kv.value.type();
            }
        }
        for (uint32_t i = 0; i < n0->nchildren && want == IOT_JSON_OK; i++) {
            const iot_plan_node *c = &plan->nodes[plan->children[n0->first_child + i]];
            if ((c->flags & IOT_NF_RESULT) && last[i] != -1 &&
                last[i] != (int)simdjson::dom::element_type::ARRAY &&
                last[i] != (int)simdjson::dom::element_type::NULL_VALUE) {
                want = IOT_JSON_E_SHAPE;
                want_path = "$." + std::string(c->wire, c->wire_len > 60 ? 60 : c->wire_len);
            }
        }
    }
    if (rc != want && !(deep && rc == IOT_JSON_E_DEPTH) && rc != IOT_JSON_E_NOMEM) {
        fprintf(stderr, "fuzz_json: plan mode: result %d (%s at %s), the DOM's tree says %d %s\n",
                rc, p->errmsg, p->errpath, want, want_path.c_str());
        abort();
    }
    if (rc == IOT_JSON_E_SHAPE && !want_path.empty() && want_path != p->errpath) {
        fprintf(stderr, "fuzz_json: plan mode: E_SHAPE at %s, expected at %s\n", p->errpath,
                want_path.c_str());
        abort();
    }
    if (rc == IOT_JSON_OK) {
        DomCompare c{p, plan, "$"};
        c.value(0, doc, &p->root);
    }
}

/* probe: some RAW value on the tape is text the DOM rejects */
bool
raw_rejected(const iot_page *p, const iot_value *v)
{
    if (v->kind == IOT_V_RAW) {
        static simdjson::dom::parser rp;
        simdjson::dom::element el;
        std::string text(iot_value_bytes(p, v), v->len);
        return rp.parse(text).get(el) != simdjson::SUCCESS;
    }
    if (v->kind == IOT_V_STRUCT || v->kind == IOT_V_LIST || v->kind == IOT_V_MAP) {
        for (uint32_t i = 0; i < v->len; i++) {
            if (raw_rejected(p, &p->tape[v->u.off + i])) {
                return true;
            }
        }
    }
    return false;
}

void
trace_node(const iot_plan *plan, uint32_t i, int depth)
{
    static const char *const names[] = {"?", "structure", "list", "map", "string", "integer",
                                        "double", "boolean", "timestamp", "other"};
    const iot_plan_node *n = &plan->nodes[i];
    fprintf(stderr, "%*s[%u] %s \"%.*s\"%s%s", 2 * depth, "", i, names[n->type],
            (int)n->wire_len, n->wire, n->flags & IOT_NF_BOTOCORE ? " BOTOCORE" : "",
            n->flags & IOT_NF_RESULT ? " RESULT" : "");
    if (n->nenums) {
        fprintf(stderr, " enums(%u):", n->nenums);
        for (uint32_t k = 0; k < n->nenums && k < 8; k++) {
            fprintf(stderr, " \"%.*s\"", (int)plan->enum_lens[n->first_enum + k],
                    plan->enums[n->first_enum + k]);
        }
    }
    fprintf(stderr, "\n");
    for (uint32_t k = 0; k < n->nchildren; k++) {
        trace_node(plan, plan->children[n->first_child + k], depth + 1);
    }
}

void
trace_plan(const iot_plan *plan)
{
    fprintf(stderr, "plan: %zu nodes, result_member %d, token_member %d\n", plan->nnodes,
            plan->result_member, plan->token_member);
    trace_node(plan, 0, 1);
}

/* Some object key holds a \u escape of a surrogate (lone or not) or an
 * escape JSON does not have: what crashes/json-plan-lone-surrogate-key-after-consume
 * needs (a key simdjson will not unescape). */
bool
key_with_odd_escape(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"') {
            continue;
        }
        ++i;
        bool odd = false;
        for (; i < n && s[i] != '"'; i++) {
            if (s[i] != '\\' || i + 1 >= n) {
                continue;
            }
            uint8_t c = s[++i];
            if (c == 'u') {
                bool hex = i + 4 < n;
                for (int k = 1; hex && k <= 4; k++) {
                    hex = isxdigit(s[i + k]) != 0;
                }
                odd |= !hex || ((s[i + 1] == 'd' || s[i + 1] == 'D') &&
                                strchr("89abcdefABCDEF", s[i + 2]) != NULL);
            }
            else {
                odd |= strchr("\"\\/bfnrt", c) == NULL || c == 0;
            }
        }
        size_t j = i + 1;
        while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r')) {
            j++;
        }
        if (odd && j < n && s[j] == ':') {
            return true;
        }
    }
    return false;
}

void
plan_one(const uint8_t *data, size_t size, bool known)
{
    Reader r{data, size, 1};   /* past the '#' */
    PlanDecoder(g_plan, r).decode();
    const iot_plan *plan = &g_plan.plan;
    /* IOTPAGER_FUZZ_KNOWN=1: pass over the findings already reported
     * (crashes/json-plan-empty-root-memset-null: an output structure of no
     * members on a page that has no tape yet: memset(NULL, 0, 0)) */
    if (known && plan->nodes[0].nchildren == 0) {
        return;
    }
    /* (crashes/json-plan-lone-surrogate-key-after-consume: walk_struct calls
     * field::key() after field::unescaped_key() failed and consumed it) */
    if (known && key_with_odd_escape(data + r.i, size - r.i)) {
        return;
    }
    const uint8_t *body = data + r.i;
    size_t len = size - r.i;

    char *copy = static_cast<char *>(malloc(len + IOT_BUF_PADDING));
    CHECK(copy != NULL);
    if (len) {
        memcpy(copy, body, len);
    }
    memset(copy + len, 0, IOT_BUF_PADDING);
    g_input_len = len;

    g_page.plan = plan;
    int rc = iot_json_parse_page(&g_page, copy, len);
    CHECK(g_page.input == copy);
    TapeCheck{&g_page, plan, {}}.run(rc);
    std::string first = plan_summary(&g_page, rc);

    if (getenv("IOTPAGER_FUZZ_TRACE") != NULL) {   /* for replaying one input */
        trace_plan(plan);
        fprintf(stderr, "body: %zu bytes\nresult: %s\n", len, first.c_str());
    }

    /* the same bytes on a fresh page, then again on the reused one */
    iot_page fresh;
    CHECK(iot_json_page_init(&fresh) == 0);
    fresh.plan = plan;
    int rc2 = iot_json_parse_page(&fresh, copy, len);
    TapeCheck{&fresh, plan, {}}.run(rc2);
    CHECK(plan_summary(&fresh, rc2) == first);
    iot_json_page_free(&fresh);
    int rc3 = iot_json_parse_page(&g_page, copy, len);
    TapeCheck{&g_page, plan, {}}.run(rc3);
    CHECK(plan_summary(&g_page, rc3) == first);

    /* differential: simdjson's DOM parser on the same bytes */
    simdjson::error_code dom = dom_verdict(body, len);
    if (rc == IOT_JSON_OK && dom != simdjson::SUCCESS &&
        !(dom == simdjson::STRING_ERROR || dom == simdjson::NUMBER_ERROR ||
          dom == simdjson::DEPTH_ERROR || dom == simdjson::NUMBER_OUT_OF_RANGE) &&
        !raw_rejected(&g_page, &g_page.root)) {
        fprintf(stderr, "fuzz_json: plan mode: the shim accepts a body simdjson's DOM rejects "
                "(%s), and no RAW value explains it\n", simdjson::error_message(dom));
        abort();
    }
    if ((rc == IOT_JSON_E_SYNTAX || rc == IOT_JSON_E_UTF8) && dom == simdjson::SUCCESS) {
        fprintf(stderr, "fuzz_json: plan mode: the shim rejects a body simdjson's DOM accepts: "
                "%s at %s\n", g_page.errmsg, g_page.errpath);
        abort();
    }
    if (rc == IOT_JSON_E_UTF8) {
        CHECK(dom == simdjson::UTF8_ERROR);
    }
    if (dom == simdjson::SUCCESS) {
        dom_check(&g_page, plan, rc, copy, len);
    }
    free(copy);
}

}  // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) {
        return 0;
    }
    static const bool known = getenv("IOTPAGER_FUZZ_KNOWN") != NULL &&
                              strcmp(getenv("IOTPAGER_FUZZ_KNOWN"), "0") != 0;
    if (!g_ready) {
        CHECK(iot_json_page_init(&g_page) == 0);
        g_ready = true;
    }
    if (size >= 1 && data[0] == '#') {
        plan_one(data, size, known);
    }
    else {
        legacy_one(data, size, known);
    }
    return 0;
}
