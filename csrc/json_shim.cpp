/* json_shim.cpp - the only C++ in iotpager: simdjson On-Demand behind the
 * plain-C interface of json_shim.h.
 *
 * Rules (docs/internals.md): built with -fno-exceptions, so every simdjson
 * call goes through the error-code API; every simdjson object is local to
 * iot_json_parse_page; strings are copied into the page's arena before the
 * call returns, so no string_view or parser pointer escapes.
 *
 * The top-level object is walked once, in document order: "jobs" is parsed
 * where it stands and "nextToken" where it stands, with no second scan.
 * Members botocore ignores are still walked (and so validated), so a page
 * that is not valid JSON is never taken for a valid one.
 */
#include "json_shim.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include <simdjson.h>

using namespace simdjson;

extern "C" {

const char *const iot_json_enum_values[] = {
    "IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS", "SCHEDULED",
    "CONTINUOUS", "SNAPSHOT", NULL,
};

const char *const iot_json_field_names[IOT_JOB_NFIELDS] = {
    "jobArn", "jobId", "thingGroupId", "targetSelection", "status",
    "createdAt", "lastUpdatedAt", "completedAt", "isConcurrent",
};

}  // extern "C"

namespace {

/* Where we are, for error messages: "$", "$.jobs[7]", "$.jobs[7].createdAt". */
struct Where {
    const char *member;   /* top-level member, or NULL for "$" */
    long index;           /* job index, or -1 */
    const char *field;    /* job field, or NULL */
};

const char *
type_name(ondemand::json_type t)
{
    switch (t) {
    case ondemand::json_type::array: return "a list";
    case ondemand::json_type::object: return "an object";
    case ondemand::json_type::number: return "a number";
    case ondemand::json_type::string: return "a string";
    case ondemand::json_type::boolean: return "a boolean";
    case ondemand::json_type::null: return "null";
    }
    return "an unknown value";
}

void
format_path(char *out, size_t n, const Where &w)
{
    if (w.member == NULL) {
        snprintf(out, n, "$");
    }
    else if (w.index < 0) {
        snprintf(out, n, "$.%s", w.member);
    }
    else if (w.field == NULL) {
        snprintf(out, n, "$.%s[%ld]", w.member, w.index);
    }
    else {
        snprintf(out, n, "$.%s[%ld].%s", w.member, w.index, w.field);
    }
}

/* The lengths of the enum values and field names, worked out once. A
 * function-local static: C++11 makes its initialisation thread-safe (the
 * worker thread and the main thread both parse). */
struct Lengths {
    size_t enums[16];
    int nenums;
    size_t fields[IOT_JOB_NFIELDS];
};

const Lengths &
lengths()
{
    static const Lengths L = [] {
        Lengths x{};
        for (int i = 0; iot_json_enum_values[i] != NULL && i < 16; i++) {
            x.enums[i] = strlen(iot_json_enum_values[i]);
            x.nenums = i + 1;
        }
        for (int i = 0; i < IOT_JOB_NFIELDS; i++) {
            x.fields[i] = strlen(iot_json_field_names[i]);
        }
        return x;
    }();
    return L;
}

/* 1 + index into iot_json_enum_values, or 0. The whole string must match:
 * an escaped NUL inside it ("CANCELED\u0000x") is just another byte. */
uint8_t
enum_id(std::string_view s)
{
    const Lengths &L = lengths();
    for (int i = 0; i < L.nenums; i++) {
        const char *ev = iot_json_enum_values[i];
        size_t n = L.enums[i];
        if (n == s.size() && memcmp(ev, s.data(), n) == 0) {
            return (uint8_t)(i + 1);
        }
    }
    return 0;
}

/* No byte >= 0x80. */
bool
is_ascii(const char *p, size_t n)
{
    size_t i = 0;
    uint64_t acc = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; i++) {
        acc |= (unsigned char)p[i];
    }
    return (acc & 0x8080808080808080ULL) == 0;
}

/* No backslash and no control byte (< 0x20) in p[0..n): the bytes of a
 * JSON string body are then its value. *ascii: no byte >= 0x80. Eight
 * bytes at a time (the "haszero"/"hasless" tests of Bit Twiddling Hacks,
 * exact as yes/no answers for a whole word). */
bool
is_plain(const char *p, size_t n, bool *ascii)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t acc = 0, bad = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, bs;
        memcpy(&w, p + i, 8);
        bs = w ^ (ones * '\\');
        bad |= ((w - ones * 0x20) & ~w & highs) | ((bs - ones) & ~bs & highs);
        acc |= w;
    }
    if (bad != 0) {
        return false;
    }
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '\\' || ch < 0x20) {
            return false;
        }
        acc |= ch;
    }
    *ascii = (acc & highs) == 0;
    return true;
}

/* RFC 8259 number grammar (the token may carry trailing white space). */
bool
is_json_number(std::string_view s)
{
    size_t i = 0, n = s.size();
    auto digit = [&](size_t k) { return k < n && s[k] >= '0' && s[k] <= '9'; };

    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                     s[n - 1] == '\r')) {
        n--;
    }
    if (i < n && s[i] == '-') {
        i++;
    }
    if (i < n && s[i] == '0') {
        i++;
    }
    else if (digit(i)) {
        while (digit(i)) {
            i++;
        }
    }
    else {
        return false;
    }
    if (i < n && s[i] == '.') {
        i++;
        if (!digit(i)) {
            return false;
        }
        while (digit(i)) {
            i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        if (!digit(i)) {
            return false;
        }
        while (digit(i)) {
            i++;
        }
    }
    return i == n;
}

/* A JSON string token (quotes included) whose escapes are well formed.
 * simdjson 3.0 rejects \u escapes that are lone surrogates, which JSON's
 * grammar (and json.loads) accepts; such strings take the RAW way. */
bool
is_json_string(std::string_view s)
{
    size_t n = s.size(), i;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                     s[n - 1] == '\r')) {
        n--;
    }
    if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
        return false;
    }
    for (i = 1; i < n - 1; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"') {
            return false;
        }
        if (c != '\\') {
            continue;
        }
        if (++i >= n - 1) {
            return false;
        }
        switch (s[i]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            break;
        case 'u':
            for (int k = 1; k <= 4; k++) {
                if (i + k >= n - 1 || !isxdigit((unsigned char)s[i + k])) {
                    return false;
                }
            }
            i += 4;
            break;
        default:
            return false;
        }
    }
    return true;
}

class Walker {
  public:
    Walker(iot_page *page, const char *data, size_t len)
        : p(page), base(data), length(len) {}

    int run();

    int run_plan();

  private:
    iot_page *p;
    const char *base;
    size_t length;

    /* plan mode (p->plan set): where we are, as a stack of member names
     * and list indices, formatted only when something fails */
    struct Frame {
        const char *name;   /* a member or map key, or NULL for [index] */
        size_t len;
        long index;
    };
    enum { MAX_FRAMES = 48 };
    Frame frames[MAX_FRAMES];
    int nframes = 0;
    const iot_plan_node *enum_node = nullptr;   /* whose enums a string matches */

    void push_frame(const char *name, size_t len, long index)
    {
        if (nframes < MAX_FRAMES) {
            frames[nframes] = Frame{name, len, index};
        }
        nframes++;
    }
    void pop_frame() { nframes--; }
    void format_plan_path(char *out, size_t n) const;
    uint8_t match_enum(std::string_view s) const;
    int tape_alloc(size_t count, size_t *base_out);
    int push(const iot_value &v);
    int close_block(size_t mark, uint8_t kind, iot_value *out);
    int walk(uint32_t node, ondemand::value v, iot_value *out, int depth);
    int walk_struct(const iot_plan_node *n, ondemand::value v, iot_value *out, int depth);
    int walk_list(const iot_plan_node *n, ondemand::value v, iot_value *out, int depth);
    int walk_map(const iot_plan_node *n, ondemand::value v, iot_value *out, int depth);
    int map_key(ondemand::field &f, iot_value *k, std::string_view *text);
    std::string_view raw_key(const char *start, error_code e) const;

    int fail(int code, const Where &w, const char *msg);
    int fail_simdjson(error_code e, const Where &w, const char *doing);
    int store_string(std::string_view s, iot_value *out);
    int store_raw(std::string_view s, iot_value *out);
    int parse_value(ondemand::value v, iot_value *out, int want_enum, const Where &w);
    int parse_job(ondemand::value v, iot_job *job, const Where &w);
    int parse_jobs(ondemand::value v);
    int validate(ondemand::value v, int depth, const Where &w);
    int validate_text(std::string_view raw, const Where &w);
};

/* Where the first JSON value of data ends (just past it), or 0 when it does
 * not end: brackets counted outside strings. For error messages only. */
size_t
first_value_end(const char *data, size_t len)
{
    size_t i = 0;
    int depth = 0;
    bool in_str = false;

    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r')) {
        i++;
    }
    if (i >= len || (data[i] != '{' && data[i] != '[')) {
        return 0;
    }
    for (; i < len; i++) {
        char c = data[i];
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
        else if (c == '{' || c == '[') {
            depth++;
        }
        else if (c == '}' || c == ']') {
            if (--depth == 0) {
                return i + 1;
            }
        }
    }
    return 0;
}

int
Walker::fail(int code, const Where &w, const char *msg)
{
    if (p->err == IOT_JSON_OK) {
        p->err = code;
        snprintf(p->errmsg, sizeof(p->errmsg), "%s", msg);
        if (p->plan != NULL) {
            format_plan_path(p->errpath, sizeof(p->errpath));
        }
        else {
            format_path(p->errpath, sizeof(p->errpath), w);
        }
    }
    return p->err;
}

int
Walker::fail_simdjson(error_code e, const Where &w, const char *doing)
{
    char msg[sizeof(p->errmsg)];
    int code;

    switch (e) {
    case UTF8_ERROR: code = IOT_JSON_E_UTF8; break;
    case DEPTH_ERROR: code = IOT_JSON_E_DEPTH; break;
    case MEMALLOC: code = IOT_JSON_E_NOMEM; break;
    default: code = IOT_JSON_E_SYNTAX; break;
    }
    if (code == IOT_JSON_E_SYNTAX) {
        /* simdjson reports a complete value followed by more bytes as a
         * structure error; say what it is */
        size_t end = first_value_end(base, length), i = end;
        while (end && i < length && (base[i] == ' ' || base[i] == '\t' || base[i] == '\n' ||
                                     base[i] == '\r')) {
            i++;
        }
        if (end && i < length) {
            size_t first = 0;
            while (base[first] != '{' && base[first] != '[') {
                first++;
            }
            snprintf(msg, sizeof(msg), "invalid JSON: content after the top-level %s (at byte %zu)",
                     base[first] == '{' ? "object" : "list", i);
            return fail(code, Where{NULL, -1, NULL}, msg);
        }
    }
    if (e == DEPTH_ERROR) {
        snprintf(msg, sizeof(msg), "JSON nested deeper than %d levels",
                 IOT_JSON_MAX_DEPTH);
    }
    else {
        snprintf(msg, sizeof(msg), "invalid JSON %s: %s", doing, error_message(e));
    }
    return fail(code, w, msg);
}

int
Walker::store_string(std::string_view s, iot_value *out)
{
    size_t off = p->arena.len;
    if (s.size() > UINT32_MAX) {
        return fail(IOT_JSON_E_NOMEM, Where{NULL, -1, NULL}, "string too long");
    }
    if (iot_buf_append(&p->arena, s.data(), s.size()) != IOT_BUF_OK) {
        return fail(IOT_JSON_E_NOMEM, Where{NULL, -1, NULL}, "out of memory");
    }
    out->u.off = off;
    out->len = (uint32_t)s.size();
    out->in_input = 0;
    return IOT_JSON_OK;
}

int
Walker::store_raw(std::string_view s, iot_value *out)
{
    /* raw_json_token() may carry the white space that follows the token */
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                          s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    out->kind = IOT_V_RAW;
    out->enum_id = 0;
    return store_string(s, out);
}

/* A value of a known member: scalars become C values; objects, arrays and
 * numbers outside int64/double become RAW text for the builder. */
int
Walker::parse_value(ondemand::value v, iot_value *out, int want_enum, const Where &w)
{
    ondemand::json_type t;
    error_code e = v.type().get(t);
    if (e) {
        return fail_simdjson(e, w, "value");
    }
    out->enum_id = 0;
    switch (t) {
    case ondemand::json_type::null: {
        bool isnull;
        if ((e = v.is_null().get(isnull)) || !isnull) {
            return fail_simdjson(e ? e : N_ATOM_ERROR, w, "literal");
        }
        out->kind = IOT_V_NULL;
        return IOT_JSON_OK;
    }
    case ondemand::json_type::boolean: {
        bool b;
        if ((e = v.get_bool().get(b))) {
            return fail_simdjson(e, w, "literal");
        }
        out->kind = b ? IOT_V_TRUE : IOT_V_FALSE;
        return IOT_JSON_OK;
    }
    case ondemand::json_type::string: {
        std::string_view s, raw = v.raw_json_token();
        {
            /* Zero copy: a string with no escape and no control byte is its
             * own bytes in the input, which outlives the build. */
            size_t n = raw.size();
            while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t' ||
                             raw[n - 1] == '\n' || raw[n - 1] == '\r')) {
                n--;
            }
            if (n >= 2 && raw[0] == '"' && raw[n - 1] == '"') {
                const char *c = raw.data() + 1;
                size_t len = n - 2;
                bool ascii;
                bool simple = is_plain(c, len, &ascii);
                ondemand::raw_json_string rjs;
                if (simple && len <= UINT32_MAX && !v.get_raw_json_string().get(rjs)) {
                    out->kind = IOT_V_STRING;
                    out->in_input = 1;
                    out->ascii = ascii;
                    out->u.off = (size_t)(c - base);
                    out->len = (uint32_t)len;
                    if (want_enum && len > 0) {
                        out->enum_id = p->plan ? match_enum(std::string_view(c, len))
                                               : enum_id(std::string_view(c, len));
                    }
                    return IOT_JSON_OK;
                }
            }
        }
        out->in_input = 0;
        if ((e = v.get_string().get(s))) {
            if (e == STRING_ERROR && is_json_string(raw)) {
                return store_raw(raw, out);   /* lone surrogates: json.loads */
            }
            return fail_simdjson(e, w, "string");
        }
        out->kind = IOT_V_STRING;
        if (store_string(s, out)) {
            return p->err;
        }
        out->ascii = is_ascii(s.data(), s.size());
        if (want_enum) {
            out->enum_id = p->plan ? match_enum(s) : enum_id(s);
        }
        return IOT_JSON_OK;
    }
    case ondemand::json_type::number: {
        std::string_view raw = v.raw_json_token();
        ondemand::number_type nt;
        e = v.get_number_type().get(nt);
        if (!e && nt == ondemand::number_type::signed_integer) {
            int64_t i;
            if (!(e = v.get_int64().get(i))) {
                out->kind = IOT_V_INT;
                out->u.i = i;
                return IOT_JSON_OK;
            }
        }
        else if (!e && nt == ondemand::number_type::floating_point_number) {
            /* A long integer literal is reported as floating point; Python
             * keeps it an exact int, so it must go the RAW way. So must a
             * mantissa of more than 19 digits: simdjson 3.0's slow path
             * misreads some (an integer part of 0 and a long fraction
             * overflows its digit count: "-0.04073709551615446744073709551615"
             * came out as -1.5e-13; simdjson issue #2093, fixed in 3.6.3, a
             * fuzz finding here); json.loads in the builder reads them right. */
            bool integral = true;
            int digits = 0;
            for (char c : raw) {
                if (c >= '0' && c <= '9') {
                    digits++;
                    continue;
                }
                if (c == '.') {
                    integral = false;
                    continue;
                }
                if (c == 'e' || c == 'E') {
                    integral = false;
                }
                break;   /* the exponent, or what follows the number */
            }
            double d;
            if (!integral && digits <= 19 && !(e = v.get_double().get(d))) {
                out->kind = IOT_V_DOUBLE;
                out->u.d = d;
                return IOT_JSON_OK;
            }
        }
        /* unsigned beyond int64, big integers and out-of-range doubles are
         * valid JSON that simdjson declines: the builder's json.loads makes
         * them what botocore's json.loads would. Anything else is not JSON,
         * whether or not the builder would ever look at it. */
        if (!is_json_number(raw)) {
            return fail_simdjson(e ? e : NUMBER_ERROR, w, "number");
        }
        return store_raw(raw, out);
    }
    case ondemand::json_type::array: {
        ondemand::array a;
        std::string_view raw;
        if ((e = v.get_array().get(a)) || (e = a.raw_json().get(raw))) {
            return fail_simdjson(e, w, "list");
        }
        if (validate_text(raw, w)) {
            return p->err;
        }
        return store_raw(raw, out);
    }
    case ondemand::json_type::object: {
        ondemand::object o;
        std::string_view raw;
        if ((e = v.get_object().get(o)) || (e = o.raw_json().get(raw))) {
            return fail_simdjson(e, w, "object");
        }
        if (validate_text(raw, w)) {
            return p->err;
        }
        return store_raw(raw, out);
    }
    }
    return fail(IOT_JSON_E_INTERNAL, w, "unknown JSON type");
}

/* Walk a value nobody reads, so that invalid JSON there is still caught. */
int
Walker::validate(ondemand::value v, int depth, const Where &w)
{
    ondemand::json_type t;
    error_code e;

    if (depth > IOT_JSON_MAX_DEPTH) {
        return fail_simdjson(DEPTH_ERROR, w, "value");
    }
    if ((e = v.type().get(t))) {
        return fail_simdjson(e, w, "value");
    }
    switch (t) {
    case ondemand::json_type::array: {
        ondemand::array a;
        if ((e = v.get_array().get(a))) {
            return fail_simdjson(e, w, "list");
        }
        for (auto item : a) {
            ondemand::value iv;
            if ((e = std::move(item).get(iv))) {
                return fail_simdjson(e, w, "list");
            }
            if (validate(iv, depth + 1, w)) {
                return p->err;
            }
        }
        return IOT_JSON_OK;
    }
    case ondemand::json_type::object: {
        ondemand::object o;
        if ((e = v.get_object().get(o))) {
            return fail_simdjson(e, w, "object");
        }
        for (auto field : o) {
            ondemand::field f;
            std::string_view key;
            if ((e = std::move(field).get(f))) {
                return fail_simdjson(e, w, "object");
            }
            const char *start = f.key().raw();   /* before unescaped_key() consumes it */
            if ((e = f.unescaped_key().get(key)) && raw_key(start, e).empty()) {
                return fail_simdjson(e, w, "object");
            }
            if (validate(f.value(), depth + 1, w)) {
                return p->err;
            }
        }
        return IOT_JSON_OK;
    }
    case ondemand::json_type::string: {
        std::string_view s, raw = v.raw_json_token();
        if ((e = v.get_string().get(s)) && !(e == STRING_ERROR && is_json_string(raw))) {
            return fail_simdjson(e, w, "string");
        }
        return IOT_JSON_OK;
    }
    case ondemand::json_type::number: {
        ondemand::number n;
        if ((e = v.get_number().get(n))) {
            /* big integers and huge exponents are valid JSON; simdjson
             * declines them, so check the grammar ourselves */
            std::string_view raw = v.raw_json_token();
            if (!is_json_number(raw)) {
                return fail_simdjson(e, w, "number");
            }
        }
        return IOT_JSON_OK;
    }
    case ondemand::json_type::boolean: {
        bool b;
        if ((e = v.get_bool().get(b))) {
            return fail_simdjson(e, w, "literal");
        }
        return IOT_JSON_OK;
    }
    case ondemand::json_type::null: {
        bool isnull;
        if ((e = v.is_null().get(isnull)) || !isnull) {
            return fail_simdjson(e ? e : N_ATOM_ERROR, w, "literal");
        }
        return IOT_JSON_OK;
    }
    }
    return fail(IOT_JSON_E_INTERNAL, w, "unknown JSON type");
}

/* An object or list kept as RAW text is checked whole here, so that a body
 * is never taken for JSON because the builder happened not to load a value
 * (ensure_boolean ignores objects, a later duplicate member wins). It is
 * parsed again, from a padded copy, by a parser of its own: a rare path. */
int
Walker::validate_text(std::string_view raw, const Where &w)
{
    ondemand::parser sub;
    ondemand::document doc;
    ondemand::value v;
    error_code e;
    char *copy = (char *)malloc(raw.size() + SIMDJSON_PADDING);
    int rc;

    if (copy == NULL) {
        return fail(IOT_JSON_E_NOMEM, w, "out of memory");
    }
    memcpy(copy, raw.data(), raw.size());
    memset(copy + raw.size(), 0, SIMDJSON_PADDING);
    /* while it runs, the copy is the document (raw_key's bounds) */
    const char *outer_base = base;
    size_t outer_length = length;
    base = copy;
    length = raw.size();
    if ((e = sub.iterate(copy, raw.size(), raw.size() + SIMDJSON_PADDING).get(doc)) ||
        (e = doc.get_value().get(v))) {
        rc = fail_simdjson(e, w, "value");
    }
    else {
        rc = validate(v, 1, w);   /* its own document: depth from 1 */
        const char *loc;
        if (rc == IOT_JSON_OK && doc.current_location().get(loc) != OUT_OF_BOUNDS) {
            rc = fail(IOT_JSON_E_SYNTAX, w, "invalid JSON value");
        }
    }
    base = outer_base;
    length = outer_length;
    free(copy);
    return rc;
}

/* JobSummary member index of a key, or -1; `guess` is tried first.
 * Compared by length first; no strlen per call (this runs for every member
 * of every job). */
int
field_index(std::string_view key, int guess)
{
    const size_t *lens = lengths().fields;
    size_t n = key.size();
    /* members usually come in the model's order: try the one after the
     * last first */
    if (guess < IOT_JOB_NFIELDS && lens[guess] == n &&
        memcmp(iot_json_field_names[guess], key.data(), n) == 0) {
        return guess;
    }
    for (int i = 0; i < IOT_JOB_NFIELDS; i++) {
        if (lens[i] == n && memcmp(iot_json_field_names[i], key.data(), n) == 0) {
            return i;
        }
    }
    return -1;
}

int
Walker::parse_job(ondemand::value v, iot_job *job, const Where &w)
{
    ondemand::object o;
    error_code e;
    int guess = 0;   /* the member expected next: the one after the last */

    if ((e = v.get_object().get(o))) {
        return fail_simdjson(e, w, "object");
    }
    for (auto field : o) {
        ondemand::field f;
        std::string_view key;
        if ((e = std::move(field).get(f))) {
            return fail_simdjson(e, w, "object");
        }
        const char *start = f.key().raw();   /* before unescaped_key() consumes it */
        if ((e = f.unescaped_key().get(key))) {
            if (raw_key(start, e).empty()) {
                return fail_simdjson(e, w, "object");
            }
            key = std::string_view();   /* a lone surrogate: no member's name */
        }
        int idx = key.empty() ? -1 : field_index(key, guess);
        guess = idx + 1;
        if (idx < 0) {
            if (validate(f.value(), 4, w)) {   /* {} > jobs [] > job {} > value */
                return p->err;
            }
            continue;
        }
        Where fw{w.member, w.index, iot_json_field_names[idx]};
        /* a repeated member: the last one wins, as with json.loads */
        if (parse_value(f.value(), &job->f[idx],
                        idx == IOT_F_STATUS || idx == IOT_F_TARGETSELECTION, fw)) {
            return p->err;
        }
    }
    return IOT_JSON_OK;
}

int
Walker::parse_jobs(ondemand::value v)
{
    Where w{"jobs", -1, NULL};
    ondemand::json_type t;
    error_code e;

    if ((e = v.type().get(t))) {
        return fail_simdjson(e, w, "value");
    }
    p->njobs = 0;   /* a repeated "jobs": the last one wins */
    if (t == ondemand::json_type::null) {
        bool isnull;
        if ((e = v.is_null().get(isnull)) || !isnull) {
            return fail_simdjson(e ? e : N_ATOM_ERROR, w, "literal");
        }
        p->has_jobs = 0;
        return IOT_JSON_OK;
    }
    if (t != ondemand::json_type::array) {
        char msg[120];
        snprintf(msg, sizeof(msg), "expected a list of jobs, got %s", type_name(t));
        return fail(IOT_JSON_E_SHAPE, w, msg);
    }
    ondemand::array a;
    if ((e = v.get_array().get(a))) {
        return fail_simdjson(e, w, "list");
    }
    long index = 0;
    for (auto item : a) {
        Where jw{"jobs", index, NULL};
        ondemand::value iv;
        if ((e = std::move(item).get(iv)) || (e = iv.type().get(t))) {
            return fail_simdjson(e, jw, "list");
        }
        if (p->njobs == p->jobs_cap) {
            size_t ncap = p->jobs_cap ? p->jobs_cap * 2 : 256;
            void *np = realloc(p->jobs, ncap * sizeof(iot_job));
            if (np == NULL) {
                return fail(IOT_JSON_E_NOMEM, jw, "out of memory");
            }
            p->jobs = (iot_job *)np;
            p->jobs_cap = ncap;
        }
        iot_job *job = &p->jobs[p->njobs];
        memset(job, 0, sizeof(*job));
        if (t == ondemand::json_type::null) {
            bool isnull;
            if ((e = iv.is_null().get(isnull)) || !isnull) {
                return fail_simdjson(e ? e : N_ATOM_ERROR, jw, "literal");
            }
            job->is_null = 1;
        }
        else if (t == ondemand::json_type::object) {
            if (parse_job(iv, job, jw)) {
                return p->err;
            }
        }
        else {
            char msg[120];
            snprintf(msg, sizeof(msg), "expected a job object, got %s", type_name(t));
            return fail(IOT_JSON_E_SHAPE, jw, msg);
        }
        p->njobs++;
        index++;
    }
    p->has_jobs = 1;
    return IOT_JSON_OK;
}

int
Walker::run()
{
    ondemand::parser &parser = *static_cast<ondemand::parser *>(p->parser);
    ondemand::document doc;
    ondemand::json_type t;
    error_code e;
    Where top{NULL, -1, NULL};

    if (length == 0) {
        return fail(IOT_JSON_E_SYNTAX, top, "invalid JSON: empty body");
    }
    if ((e = parser.iterate(base, length, length + IOT_BUF_PADDING).get(doc)) ||
        (e = doc.type().get(t))) {
        return fail_simdjson(e, top, "document");
    }
    if (t != ondemand::json_type::object) {
        /* Say "not JSON" when it is not JSON at all, "wrong shape" otherwise:
         * walk the whole document first. */
        char msg[120];
        error_code ve = SUCCESS;
        switch (t) {
        case ondemand::json_type::array: {
            ondemand::array a;
            if ((ve = doc.get_array().get(a))) {
                break;
            }
            for (auto item : a) {
                ondemand::value iv;
                if ((ve = std::move(item).get(iv))) {
                    break;
                }
                if (validate(iv, 2, top)) {
                    return p->err;
                }
            }
            break;
        }
        case ondemand::json_type::number: {
            ondemand::number n;
            std::string_view raw;
            if ((ve = doc.get_number().get(n)) && !doc.raw_json_token().get(raw) &&
                is_json_number(raw)) {
                ve = SUCCESS;
            }
            break;
        }
        case ondemand::json_type::string: {
            std::string_view sv;
            ve = doc.get_string().get(sv);
            break;
        }
        case ondemand::json_type::boolean:
        case ondemand::json_type::null: {
            /* simdjson 3.0's root get_bool()/is_null() refuse the white space
             * JSON allows after the atom: read the atom's own text instead */
            std::string_view raw;
            if ((ve = doc.raw_json_token().get(raw))) {
                break;
            }
            size_t n = raw.size();
            while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t' ||
                             raw[n - 1] == '\n' || raw[n - 1] == '\r')) {
                n--;
            }
            std::string_view atom(raw.data(), n);
            bool ok = t == ondemand::json_type::null ? atom == "null"
                                                     : (atom == "true" || atom == "false");
            if (!ok) {
                ve = t == ondemand::json_type::null ? N_ATOM_ERROR : T_ATOM_ERROR;
                break;
            }
            size_t i = (size_t)(atom.data() - base) + atom.size();
            while (i < length && (base[i] == ' ' || base[i] == '\t' || base[i] == '\n' ||
                                  base[i] == '\r')) {
                i++;
            }
            if (i < length) {
                return fail(IOT_JSON_E_SYNTAX, top,
                            "invalid JSON: content after the top-level value");
            }
            snprintf(msg, sizeof(msg), "expected a JSON object at the top level, got %s",
                     type_name(t));
            return fail(IOT_JSON_E_SHAPE, top, msg);
        }
        default:
            break;
        }
        if (ve) {
            return fail_simdjson(ve, top, "document");
        }
        const char *loc;
        if (doc.current_location().get(loc) != OUT_OF_BOUNDS) {
            return fail(IOT_JSON_E_SYNTAX, top, "invalid JSON: content after the top-level value");
        }
        snprintf(msg, sizeof(msg), "expected a JSON object at the top level, got %s",
                 type_name(t));
        return fail(IOT_JSON_E_SHAPE, top, msg);
    }
    ondemand::object obj;
    if ((e = doc.get_object().get(obj))) {
        return fail_simdjson(e, top, "document");
    }
    for (auto field : obj) {
        ondemand::field f;
        std::string_view key;
        if ((e = std::move(field).get(f))) {
            return fail_simdjson(e, top, "object");
        }
        const char *start = f.key().raw();   /* before unescaped_key() consumes it */
        if ((e = f.unescaped_key().get(key))) {
            if (raw_key(start, e).empty()) {
                return fail_simdjson(e, top, "object");
            }
            key = std::string_view("\x01lone surrogate", 16);   /* names nothing */
        }
        if (key == "jobs") {
            if (parse_jobs(f.value())) {
                return p->err;
            }
        }
        else if (key == "nextToken") {
            Where w{"nextToken", -1, NULL};
            if (parse_value(f.value(), &p->next_token, 0, w)) {
                return p->err;
            }
        }
        else {
            Where w{NULL, -1, NULL};
            if (validate(f.value(), 2, w)) {   /* {} > value */
                return p->err;
            }
        }
    }
    const char *loc;
    if (doc.current_location().get(loc) != OUT_OF_BOUNDS) {
        return fail(IOT_JSON_E_SYNTAX, top, "invalid JSON: content after the top-level object");
    }
    return IOT_JSON_OK;
}


/* ---- plan mode: any operation's output, following a compiled plan ------- */

void
Walker::format_plan_path(char *out, size_t n) const
{
    size_t used;
    int i, shown = nframes < MAX_FRAMES ? nframes : MAX_FRAMES;

    snprintf(out, n, "$");
    for (i = 0; i < shown; i++) {
        used = strlen(out);
        if (used + 1 >= n) {
            break;
        }
        if (frames[i].name != NULL) {
            int len = frames[i].len > 60 ? 60 : (int)frames[i].len;
            snprintf(out + used, n - used, ".%.*s", len, frames[i].name);
        }
        else {
            snprintf(out + used, n - used, "[%ld]", frames[i].index);
        }
    }
    if (shown < nframes && strlen(out) + 5 < n) {
        strcat(out, "...");
    }
}

/* 1 + the index of s among the enum values of the string node being
 * parsed (at most 255 of them are matched), or 0. */
uint8_t
Walker::match_enum(std::string_view s) const
{
    const iot_plan_node *n = enum_node;
    uint32_t i, count;

    if (n == nullptr) {
        return 0;
    }
    count = n->nenums < 255 ? n->nenums : 255;
    for (i = 0; i < count; i++) {
        uint32_t k = n->first_enum + i;
        if (p->plan->enum_lens[k] == s.size() &&
            memcmp(p->plan->enums[k], s.data(), s.size()) == 0) {
            return (uint8_t)(i + 1);
        }
    }
    return 0;
}

/* count zeroed (ABSENT) slots at the end of the tape; *base_out is the
 * index of the first. Indices, not pointers: the tape moves as it grows. */
int
Walker::tape_alloc(size_t count, size_t *base_out)
{
    if (p->ntape + count > p->tape_cap) {
        size_t ncap = p->tape_cap ? p->tape_cap : 1024;
        while (ncap < p->ntape + count) {
            ncap *= 2;
        }
        void *np = realloc(p->tape, ncap * sizeof(iot_value));
        if (np == NULL) {
            return fail(IOT_JSON_E_NOMEM, Where{NULL, -1, NULL}, "out of memory");
        }
        p->tape = (iot_value *)np;
        p->tape_cap = ncap;
    }
    if (count > 0) {
        memset(p->tape + p->ntape, 0, count * sizeof(iot_value));
    }
    *base_out = p->ntape;
    p->ntape += count;
    return IOT_JSON_OK;
}

int
Walker::push(const iot_value &v)
{
    if (p->nstack == p->stack_cap) {
        size_t ncap = p->stack_cap ? p->stack_cap * 2 : 256;
        void *np = realloc(p->stack, ncap * sizeof(iot_value));
        if (np == NULL) {
            return fail(IOT_JSON_E_NOMEM, Where{NULL, -1, NULL}, "out of memory");
        }
        p->stack = (iot_value *)np;
        p->stack_cap = ncap;
    }
    p->stack[p->nstack++] = v;
    return IOT_JSON_OK;
}

/* The values pushed since `mark` become one block of the tape: *out is
 * then a container of `kind` over them. */
int
Walker::close_block(size_t mark, uint8_t kind, iot_value *out)
{
    size_t count = p->nstack - mark, slots;

    if (count > UINT32_MAX) {
        return fail(IOT_JSON_E_NOMEM, Where{NULL, -1, NULL}, "list or map too large");
    }
    if (tape_alloc(count, &slots)) {
        return p->err;
    }
    if (count) {
        memcpy(p->tape + slots, p->stack + mark, count * sizeof(iot_value));
    }
    p->nstack = mark;
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    out->u.off = slots;
    out->len = (uint32_t)count;
    return IOT_JSON_OK;
}

/* One value where the plan expects node: a container that matches becomes
 * slots on the tape; anything else is kept as parse_value keeps it (a
 * scalar, null, or RAW text), for the builder to pass through or to hand
 * to botocore's parser, as botocore would treat it. */
int
Walker::walk(uint32_t node, ondemand::value v, iot_value *out, int depth)
{
    const iot_plan_node *n = &p->plan->nodes[node];
    const Where nowhere{NULL, -1, NULL};
    ondemand::json_type t;
    error_code e;

    if (depth > IOT_JSON_MAX_DEPTH) {
        return fail_simdjson(DEPTH_ERROR, nowhere, "value");
    }
    if ((e = v.type().get(t))) {
        return fail_simdjson(e, nowhere, "value");
    }
    if (!(n->flags & IOT_NF_BOTOCORE)) {
        switch (n->type) {
        case IOT_T_STRUCTURE:
            if (t == ondemand::json_type::object) {
                return walk_struct(n, v, out, depth);
            }
            break;
        case IOT_T_MAP:
            if (t == ondemand::json_type::object) {
                return walk_map(n, v, out, depth);
            }
            break;
        case IOT_T_LIST:
            if (t == ondemand::json_type::array) {
                return walk_list(n, v, out, depth);
            }
            break;
        case IOT_T_STRING:
            if (t == ondemand::json_type::string && n->nenums > 0) {
                enum_node = n;
                int rc = parse_value(v, out, 1, nowhere);
                enum_node = nullptr;
                return rc;
            }
            break;
        default:
            break;
        }
    }
    /* a result key that is not a list is refused in run_plan, once the
     * last of its repeats (the one json.loads keeps) is known */
    return parse_value(v, out, 0, nowhere);
}

/* A member's index in a structure node, or -1; `guess` is tried first
 * (members usually come in the model's order). */
static long
member_index(const iot_plan *plan, const iot_plan_node *n, std::string_view key, uint32_t guess)
{
    uint32_t i;
    if (guess < n->nchildren) {
        const iot_plan_node *c = iot_plan_child(plan, n, guess);
        if (c->wire_len == key.size() && memcmp(c->wire, key.data(), key.size()) == 0) {
            return (long)guess;
        }
    }
    for (i = 0; i < n->nchildren; i++) {
        const iot_plan_node *c = iot_plan_child(plan, n, i);
        if (c->wire_len == key.size() && memcmp(c->wire, key.data(), key.size()) == 0) {
            return (long)i;
        }
    }
    return -1;
}

int
Walker::walk_struct(const iot_plan_node *n, ondemand::value v, iot_value *out, int depth)
{
    const Where nowhere{NULL, -1, NULL};
    ondemand::object o;
    error_code e;
    size_t slots;
    uint32_t guess = 0;

    if ((e = v.get_object().get(o))) {
        return fail_simdjson(e, nowhere, "object");
    }
    if (tape_alloc(n->nchildren, &slots)) {
        return p->err;
    }
    for (auto field : o) {
        ondemand::field f;
        std::string_view key;
        long idx = -1;
        if ((e = std::move(field).get(f))) {
            return fail_simdjson(e, nowhere, "object");
        }
        const char *start = f.key().raw();   /* before unescaped_key() consumes it */
        if ((e = f.unescaped_key().get(key))) {
            /* a key with a lone surrogate escape is valid JSON that simdjson
             * declines; it names no member */
            if (raw_key(start, e).empty()) {
                return fail_simdjson(e, nowhere, "object key");
            }
        }
        else {
            idx = member_index(p->plan, n, key, guess);
        }
        if (idx < 0) {
            if (validate(f.value(), depth + 1, nowhere)) {
                return p->err;
            }
            continue;
        }
        guess = (uint32_t)idx + 1;
        uint32_t child = p->plan->children[n->first_child + (uint32_t)idx];
        iot_value tmp;
        memset(&tmp, 0, sizeof(tmp));
        push_frame(p->plan->nodes[child].wire, p->plan->nodes[child].wire_len, -1);
        if (walk(child, f.value(), &tmp, depth + 1)) {
            return p->err;
        }
        pop_frame();
        /* a repeated member: the last one wins, as with json.loads */
        p->tape[slots + (size_t)idx] = tmp;
    }
    memset(out, 0, sizeof(*out));
    out->kind = IOT_V_STRUCT;
    out->u.off = slots;
    out->len = n->nchildren;
    return IOT_JSON_OK;
}

int
Walker::walk_list(const iot_plan_node *n, ondemand::value v, iot_value *out, int depth)
{
    const Where nowhere{NULL, -1, NULL};
    ondemand::array a;
    error_code e;
    size_t mark = p->nstack;
    uint32_t member = p->plan->children[n->first_child];
    long index = 0;

    if ((e = v.get_array().get(a))) {
        return fail_simdjson(e, nowhere, "list");
    }
    for (auto item : a) {
        ondemand::value iv;
        iot_value tmp;
        memset(&tmp, 0, sizeof(tmp));
        push_frame(NULL, 0, index);
        if ((e = std::move(item).get(iv))) {
            return fail_simdjson(e, nowhere, "list");
        }
        if (walk(member, iv, &tmp, depth + 1) || push(tmp)) {
            return p->err;
        }
        pop_frame();
        index++;
    }
    return close_block(mark, IOT_V_LIST, out);
}

/* The quoted text of a key unescaped_key() declined with e, when it is
 * valid JSON all the same (a lone surrogate escape, which json.loads takes);
 * empty otherwise. start: the key's f.key().raw(), just past its quote. */
std::string_view
Walker::raw_key(const char *start, error_code e) const
{
    size_t i = 0;
    if (e != STRING_ERROR || start == NULL || start <= base) {
        return std::string_view();
    }
    while (start + i < base + length && start[i] != '"') {
        i += start[i] == '\\' ? 2 : 1;
    }
    if (start + i >= base + length) {
        return std::string_view();
    }
    std::string_view raw(start - 1, i + 2);
    return is_json_string(raw) ? raw : std::string_view();
}

/* A map's key as a STRING value in the arena (or RAW text, for a key with
 * a lone surrogate escape, which json.loads takes and simdjson declines). */
int
Walker::map_key(ondemand::field &f, iot_value *k, std::string_view *text)
{
    const Where nowhere{NULL, -1, NULL};
    const char *start = f.key().raw();
    std::string_view key;
    error_code e;

    memset(k, 0, sizeof(*k));
    if ((e = f.unescaped_key().get(key))) {
        std::string_view raw = raw_key(start, e);
        if (raw.empty()) {
            return fail_simdjson(e, nowhere, "object key");
        }
        *text = raw;
        return store_raw(raw, k);
    }
    *text = key;
    k->kind = IOT_V_STRING;
    if (store_string(key, k)) {
        return p->err;
    }
    k->ascii = is_ascii(key.data(), key.size());
    return IOT_JSON_OK;
}

int
Walker::walk_map(const iot_plan_node *n, ondemand::value v, iot_value *out, int depth)
{
    const Where nowhere{NULL, -1, NULL};
    ondemand::object o;
    error_code e;
    size_t mark = p->nstack;
    uint32_t value_node = p->plan->children[n->first_child + 1];

    if ((e = v.get_object().get(o))) {
        return fail_simdjson(e, nowhere, "object");
    }
    for (auto field : o) {
        ondemand::field f;
        iot_value k, val;
        std::string_view text;
        if ((e = std::move(field).get(f))) {
            return fail_simdjson(e, nowhere, "object");
        }
        if (map_key(f, &k, &text) || push(k)) {
            return p->err;
        }
        memset(&val, 0, sizeof(val));
        push_frame(text.data(), text.size(), -1);
        if (walk(value_node, f.value(), &val, depth + 1) || push(val)) {
            return p->err;
        }
        pop_frame();
    }
    return close_block(mark, IOT_V_MAP, out);
}

/* The top level, with a plan: the same rules as run() for what is not an
 * object; an object is walked as the plan's output structure. */
int
Walker::run_plan()
{
    ondemand::parser &parser = *static_cast<ondemand::parser *>(p->parser);
    ondemand::document doc;
    ondemand::json_type t;
    ondemand::value v;
    error_code e;
    Where top{NULL, -1, NULL};
    const iot_plan *plan = p->plan;

    if (length == 0) {
        return fail(IOT_JSON_E_SYNTAX, top, "invalid JSON: empty body");
    }
    if ((e = parser.iterate(base, length, length + IOT_BUF_PADDING).get(doc)) ||
        (e = doc.type().get(t))) {
        return fail_simdjson(e, top, "document");
    }
    if (t != ondemand::json_type::object) {
        return run();   /* says what is wrong, as without a plan */
    }
    if ((e = doc.get_value().get(v))) {
        return fail_simdjson(e, top, "document");
    }
    if (walk_struct(&plan->nodes[0], v, &p->root, 1)) {
        return p->err;
    }
    const char *loc;
    if (doc.current_location().get(loc) != OUT_OF_BOUNDS) {
        return fail(IOT_JSON_E_SYNTAX, top, "invalid JSON: content after the top-level object");
    }
    /* the result keys: a list or null, or the page is not a page */
    for (uint32_t i = 0; i < plan->nodes[0].nchildren; i++) {
        const iot_plan_node *c = iot_plan_child(plan, &plan->nodes[0], i);
        const iot_value *r = &p->tape[p->root.u.off + i];
        const char *got;
        char msg[120];
        if (!(c->flags & IOT_NF_RESULT) || r->kind == IOT_V_LIST || r->kind == IOT_V_NULL ||
            r->kind == IOT_V_ABSENT) {
            continue;
        }
        switch (r->kind) {
        case IOT_V_STRING: got = "a string"; break;
        case IOT_V_INT: case IOT_V_DOUBLE: got = "a number"; break;
        case IOT_V_TRUE: case IOT_V_FALSE: got = "a boolean"; break;
        case IOT_V_STRUCT: case IOT_V_MAP: got = "an object"; break;
        case IOT_V_RAW: {
            char first = *(iot_value_bytes(p, r));
            got = first == '{' ? "an object" : first == '[' ? "a list" :
                  first == '"' ? "a string" : "a number";
            break;
        }
        default: got = "an unknown value"; break;
        }
        nframes = 0;
        push_frame(c->wire, c->wire_len, -1);
        snprintf(msg, sizeof(msg), "expected a list, got %s", got);
        return fail(IOT_JSON_E_SHAPE, top, msg);
    }
    if (plan->result_member >= 0) {
        const iot_value *r = &p->tape[p->root.u.off + (size_t)plan->result_member];
        if (r->kind == IOT_V_LIST) {
            p->has_jobs = 1;
            p->njobs = r->len;
        }
    }
    if (plan->token_member >= 0) {
        p->next_token = p->tape[p->root.u.off + (size_t)plan->token_member];
    }
    return IOT_JSON_OK;
}

}  // namespace

extern "C" {

int
iot_json_page_init(iot_page *p)
{
    memset(p, 0, sizeof(*p));
    iot_buf_init(&p->arena, 0);
    p->parser = new (std::nothrow) ondemand::parser();
    return p->parser ? 0 : -1;
}

void
iot_json_page_free(iot_page *p)
{
    delete static_cast<ondemand::parser *>(p->parser);
    p->parser = NULL;
    free(p->jobs);
    p->jobs = NULL;
    p->njobs = p->jobs_cap = 0;
    free(p->tape);
    free(p->stack);
    p->tape = p->stack = NULL;
    p->ntape = p->tape_cap = p->nstack = p->stack_cap = 0;
    iot_buf_free(&p->arena);
}

int
iot_json_parse_page(iot_page *p, const char *data, size_t len)
{
    p->njobs = 0;
    p->has_jobs = 0;
    memset(&p->next_token, 0, sizeof(p->next_token));
    iot_buf_reset(&p->arena);
    p->err = IOT_JSON_OK;
    p->input = data;
    p->errmsg[0] = '\0';
    p->errpath[0] = '\0';
    if (p->parser == NULL) {
        snprintf(p->errmsg, sizeof(p->errmsg), "parser not initialised");
        p->err = IOT_JSON_E_INTERNAL;
        return p->err;
    }
    Walker w(p, data, len);
    if (p->plan != NULL) {
        p->ntape = 0;
        p->nstack = 0;
        memset(&p->root, 0, sizeof(p->root));
        return w.run_plan();
    }
    return w.run();
}

}  // extern "C"
