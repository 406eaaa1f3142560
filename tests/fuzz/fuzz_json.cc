/* fuzz_json.cc - libFuzzer target for the JSON shim (csrc/json_shim.cpp +
 * csrc/buf.c), built with ASan+UBSan by tests/fuzz/run.sh.
 *
 * Each input is one response body. It is copied into a buffer of exactly
 * len + IOT_BUF_PADDING bytes (so ASan sees any read past the padding the
 * shim promises to need) and parsed into one iot_page that lives across
 * inputs, as a Pager reuses its page for every response. Invariants:
 *
 *  - the result code is one of IOT_JSON_*, and equals page.err;
 *  - on OK: njobs <= jobs_cap; has_jobs == 0 implies njobs == 0; every
 *    value's kind is known; every STRING/RAW value lies inside the arena, or
 *    inside the input when it is zero-copy (in_input); an "ascii" string
 *    has no byte >= 0x80;
 *    an enum_id is set only on status/targetSelection and names a string
 *    equal to the value; RAW text is non-empty and has no trailing space;
 *  - on an error: errmsg and errpath are NUL-terminated, errpath starts with
 *    "$", errmsg is not empty;
 *  - parsing the same bytes again (a fresh page, and the reused page)
 *    gives the same result: code, path, jobs and values, byte for byte;
 *  - differential, against simdjson's DOM parser on the same bytes: when
 *    the shim accepts a body, the DOM parser accepts it too, or fails only
 *    for what the shim deliberately passes on to json.loads (lone
 *    surrogates, big numbers, depth inside a value); when the shim says the
 *    body is not valid JSON (E_SYNTAX/E_UTF8) the DOM parser must agree.
 *
 * A violated invariant calls abort(), which libFuzzer reports as a crash
 * and saves the input.
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

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

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) {
        return 0;
    }
    /* IOTPAGER_FUZZ_KNOWN=1: pass over the finding already reported
     * (crashes/json-enum-id-nul-global-overflow: an escaped NUL in a string) */
    static const bool known = getenv("IOTPAGER_FUZZ_KNOWN") != NULL &&
                              strcmp(getenv("IOTPAGER_FUZZ_KNOWN"), "0") != 0;
    if (known && size >= 6 && memmem(data, size, "\\u0000", 6) != NULL) {
        return 0;
    }
    if (!g_ready) {
        CHECK(iot_json_page_init(&g_page) == 0);
        g_ready = true;
    }
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
    return 0;
}
