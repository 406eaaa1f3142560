/* test_sigv4.c - the AWS SigV4 test suite, header-signing half, as a table.
 *
 * Every directory of the suite that holds header-signed-request.txt is one
 * case. Its request.txt and context.json are parsed here; the canonical
 * path, query, request, string to sign, signature and Authorization header
 * are built with uri.c and sigv4.c and compared byte for byte with the
 * suite's header-*.txt files. Nothing expected is written in this file.
 *
 * The suite is found at $IOT_SIGV4_SUITE, else at ../sigv4-test-suite
 * relative to the working directory (tests/sigv4-test-suite: `make check`
 * runs from tests/c). Fewer than MIN_CASES cases is a failure, so a
 * missing or moved suite cannot pass silently.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "sigv4.h"
#include "uri.h"

#define DEFAULT_SUITE "../sigv4-test-suite"
#define MIN_CASES 30
#define MAX_HEADERS 32
#define MAX_PARAMS 64
#define MAX_CASES 512

/* ------------------------------------------------------------------ */
/* files */

static int
read_file(const char *path, iot_buf *out)
{
    char chunk[4096];
    FILE *f = NULL;
    size_t n;
    int rc = -1;

    f = fopen(path, "rb");
    if (f == NULL) {
        goto done;
    }
    if (iot_buf_reserve(out, 0) != IOT_BUF_OK) {
        goto done;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (iot_buf_append(out, chunk, n) != IOT_BUF_OK) {
            goto done;
        }
    }
    if (ferror(f)) {
        goto done;
    }
    rc = 0;
done:
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

static int
read_case_file(const char *dir, const char *name, iot_buf *out)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= sizeof(path)) {
        return -1;
    }
    return read_file(path, out);
}

/* ------------------------------------------------------------------ */
/* request.txt */

typedef struct {
    const char *name;
    const char *value;   /* folded lines kept as they are, "\n  " included */
} raw_header;

typedef struct {
    const char *method;
    const char *path;    /* the raw request target up to '?' */
    size_t path_len;
    const char *query;   /* after '?', not decoded; "" if none */
    size_t query_len;
    raw_header headers[MAX_HEADERS];
    size_t nheaders;
    const char *body;    /* after the blank line; may be empty */
    size_t body_len;
} suite_request;

/* The end of the line starting at p: the '\n' or the end of the text. */
static char *
line_end(char *p, char *end)
{
    char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl : end;
}

/* Without a trailing '\r'. */
static char *
trim_cr(char *start, char *eol)
{
    return (eol > start && eol[-1] == '\r') ? eol - 1 : eol;
}

/* Cuts `text` (request.txt, NUL-terminated) in place with NULs; q points
 * into it. */
static int
parse_request(suite_request *q, char *text, size_t len,
              char *err, size_t errlen)
{
    char *p = text;
    char *end = text + len;
    char *eol, *sp1, *sp2, *qmark;
    char *value_end[MAX_HEADERS];
    size_t i;

    q->nheaders = 0;
    q->body = "";
    q->body_len = 0;

    /* "METHOD target HTTP/1.1": the target may hold spaces, so it runs
     * from the first space to the last one. */
    eol = line_end(p, end);
    *trim_cr(p, eol) = '\0';
    sp1 = strchr(p, ' ');
    sp2 = strrchr(p, ' ');
    if (sp1 == NULL || sp2 == sp1) {
        snprintf(err, errlen, "bad request line '%s'", p);
        return -1;
    }
    *sp1 = '\0';
    *sp2 = '\0';
    q->method = p;
    q->path = sp1 + 1;
    qmark = strchr(sp1 + 1, '?');
    if (qmark != NULL) {
        *qmark = '\0';
        q->query = qmark + 1;
    }
    else {
        q->query = "";
    }
    q->path_len = strlen(q->path);
    q->query_len = strlen(q->query);

    /* Headers up to a blank line; a line starting with white space
     * continues the previous header's value (an obsolete line fold). */
    p = eol < end ? eol + 1 : end;
    while (p < end) {
        char *colon, *content_end;

        eol = line_end(p, end);
        content_end = trim_cr(p, eol);
        if (content_end == p) {
            q->body = eol < end ? eol + 1 : end;
            q->body_len = (size_t)(end - (char *)q->body);
            break;
        }
        if (*p == ' ' || *p == '\t') {
            if (q->nheaders == 0) {
                snprintf(err, errlen, "continuation line before any header");
                return -1;
            }
            value_end[q->nheaders - 1] = content_end;
        }
        else {
            colon = memchr(p, ':', (size_t)(content_end - p));
            if (colon == NULL) {
                snprintf(err, errlen, "header line without ':'");
                return -1;
            }
            if (q->nheaders == MAX_HEADERS) {
                snprintf(err, errlen, "more than %d headers", MAX_HEADERS);
                return -1;
            }
            *colon = '\0';
            q->headers[q->nheaders].name = p;
            q->headers[q->nheaders].value = colon + 1;
            value_end[q->nheaders] = content_end;
            q->nheaders++;
        }
        p = eol < end ? eol + 1 : end;
    }
    /* Cut the values only now: a fold extends a value over later lines. */
    for (i = 0; i < q->nheaders; i++) {
        *value_end[i] = '\0';
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* context.json: a flat walk over a small JSON object. Nesting is ignored
 * (the keys are unique across the document); strings and the literals
 * true/false/numbers are the only values read. */

typedef struct {
    iot_buf access_key;
    iot_buf secret_key;
    iot_buf token;
    iot_buf region;
    iot_buf service;
    iot_buf timestamp;
    int have_access_key, have_secret_key, have_token;
    int have_region, have_service, have_timestamp;
    int normalize;
    int sign_body;
    int omit_session_token;
} suite_context;

static void
context_init(suite_context *c)
{
    memset(c, 0, sizeof(*c));
    iot_buf_init(&c->access_key, 0);
    iot_buf_init(&c->secret_key, 0);
    iot_buf_init(&c->token, 0);
    iot_buf_init(&c->region, 0);
    iot_buf_init(&c->service, 0);
    iot_buf_init(&c->timestamp, 0);
    c->normalize = 1;   /* the suite's default */
}

static void
context_free(suite_context *c)
{
    iot_buf_free(&c->access_key);
    iot_buf_free(&c->secret_key);
    iot_buf_free(&c->token);
    iot_buf_free(&c->region);
    iot_buf_free(&c->service);
    iot_buf_free(&c->timestamp);
}

/* A JSON string starting at s[*pos] == '"' into out; simple escapes only. */
static int
json_string(const char *s, size_t n, size_t *pos, iot_buf *out)
{
    size_t i = *pos + 1;

    iot_buf_reset(out);
    if (iot_buf_reserve(out, 0) != IOT_BUF_OK) {
        return -1;
    }
    while (i < n && s[i] != '"') {
        char c = s[i];
        if (c == '\\') {
            if (++i >= n) {
                return -1;
            }
            switch (s[i]) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            default: return -1;   /* \uXXXX is not needed by the suite */
            }
        }
        if (iot_buf_append_char(out, c) != IOT_BUF_OK) {
            return -1;
        }
        i++;
    }
    if (i >= n) {
        return -1;
    }
    *pos = i + 1;
    return 0;
}

static int
json_bool(const char *lit, int *out)
{
    if (strcmp(lit, "true") == 0) {
        *out = 1;
        return 0;
    }
    if (strcmp(lit, "false") == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int
parse_context(const char *s, size_t n, suite_context *c,
              char *err, size_t errlen)
{
    static const char literal_chars[] =
        "abcdefghijklmnopqrstuvwxyz0123456789.+-E";
    iot_buf key, str;
    size_t pos = 0;
    int have_key = 0, after_colon = 0;
    int rc = -1;

    iot_buf_init(&key, 0);
    iot_buf_init(&str, 0);
    while (pos < n) {
        char ch = s[pos];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ','
            || ch == '{' || ch == '}' || ch == '[' || ch == ']')
        {
            if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                have_key = 0;
                after_colon = 0;
            }
            pos++;
            continue;
        }
        if (ch == ':') {
            if (!have_key) {
                snprintf(err, errlen, "context.json: ':' without a key");
                goto done;
            }
            after_colon = 1;
            pos++;
            continue;
        }
        if (ch == '"') {
            if (json_string(s, n, &pos, &str) != 0) {
                snprintf(err, errlen, "context.json: bad string");
                goto done;
            }
            if (!after_colon) {
                iot_buf_reset(&key);
                if (iot_buf_append(&key, str.data, str.len) != IOT_BUF_OK) {
                    goto done;
                }
                have_key = 1;
                continue;
            }
            {
                iot_buf *dst = NULL;
                int *flag = NULL;
                if (strcmp(key.data, "access_key_id") == 0) {
                    dst = &c->access_key;
                    flag = &c->have_access_key;
                }
                else if (strcmp(key.data, "secret_access_key") == 0) {
                    dst = &c->secret_key;
                    flag = &c->have_secret_key;
                }
                else if (strcmp(key.data, "token") == 0) {
                    dst = &c->token;
                    flag = &c->have_token;
                }
                else if (strcmp(key.data, "region") == 0) {
                    dst = &c->region;
                    flag = &c->have_region;
                }
                else if (strcmp(key.data, "service") == 0) {
                    dst = &c->service;
                    flag = &c->have_service;
                }
                else if (strcmp(key.data, "timestamp") == 0) {
                    dst = &c->timestamp;
                    flag = &c->have_timestamp;
                }
                if (dst != NULL) {
                    iot_buf_reset(dst);
                    if (iot_buf_append(dst, str.data, str.len) != IOT_BUF_OK) {
                        goto done;
                    }
                    *flag = 1;
                }
            }
            have_key = 0;
            after_colon = 0;
            continue;
        }
        /* a bare literal: true, false, null or a number */
        {
            char lit[32];
            size_t len = 0;
            int *dst = NULL;
            while (pos < n && len + 1 < sizeof(lit)
                   && strchr(literal_chars, s[pos]))
            {
                lit[len++] = s[pos++];
            }
            lit[len] = '\0';
            if (len == 0 || !after_colon) {
                snprintf(err, errlen, "context.json: unexpected '%c'", ch);
                goto done;
            }
            if (strcmp(key.data, "normalize") == 0) {
                dst = &c->normalize;
            }
            else if (strcmp(key.data, "sign_body") == 0) {
                dst = &c->sign_body;
            }
            else if (strcmp(key.data, "omit_session_token") == 0) {
                dst = &c->omit_session_token;
            }
            if (dst != NULL && json_bool(lit, dst) != 0) {
                snprintf(err, errlen, "context.json: %s is not a boolean",
                         key.data);
                goto done;
            }
            have_key = 0;
            after_colon = 0;
        }
    }
    if (!c->have_access_key || !c->have_secret_key || !c->have_region
        || !c->have_service || !c->have_timestamp)
    {
        snprintf(err, errlen, "context.json: a required field is missing");
        goto done;
    }
    rc = 0;
done:
    iot_buf_free(&key);
    iot_buf_free(&str);
    return rc;
}

/* "2015-08-30T12:36:00Z" -> "20150830T123600Z" */
static int
amz_date_from_timestamp(const char *ts, char out[17])
{
    size_t n = 0;

    for (; *ts; ts++) {
        if (*ts == '-' || *ts == ':') {
            continue;
        }
        if (n == 16) {
            return -1;
        }
        out[n++] = *ts;
    }
    out[n] = '\0';
    return (n == 16 && out[8] == 'T' && out[15] == 'Z') ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* comparisons */

static int
report_mismatch(const char *name, const char *what, const char *expected,
                size_t elen, const char *got, size_t glen)
{
    if (elen == glen && memcmp(expected, got, elen) == 0) {
        return 0;
    }
    printf("FAIL %s: %s differs\n--- expected (%zu bytes)\n%.*s\n"
           "--- got (%zu bytes)\n%.*s\n---\n",
           name, what, elen, (int)elen, expected, glen, (int)glen, got);
    return 1;
}

/* The value of the "Authorization:" line of a signed request, in place. */
static int
authorization_line(const iot_buf *signed_req, const char **value, size_t *len)
{
    const char *p = signed_req->data;
    const char *end = signed_req->data + signed_req->len;
    static const char prefix[] = "Authorization:";

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL) {
            eol = end;
        }
        if ((size_t)(eol - p) >= sizeof(prefix) - 1
            && memcmp(p, prefix, sizeof(prefix) - 1) == 0)
        {
            *value = p + sizeof(prefix) - 1;
            *len = (size_t)(eol - *value);
            if (*len > 0 && (*value)[*len - 1] == '\r') {
                (*len)--;
            }
            return 0;
        }
        p = eol + 1;
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* one case */

typedef struct {
    iot_buf request;     /* request.txt */
    iot_buf context;     /* context.json */
    iot_buf exp_creq;
    iot_buf exp_sts;
    iot_buf exp_sig;
    iot_buf exp_signed;
    iot_buf path;        /* canonical path */
    iot_buf query;       /* canonical query */
    iot_buf creq;
    iot_buf sts;
    iot_buf auth;
    iot_buf auth_nocache;
    iot_buf keys[MAX_PARAMS];
    iot_buf values[MAX_PARAMS];
} case_bufs;

#define CASE_BUFS(X) \
    X(request) X(context) X(exp_creq) X(exp_sts) X(exp_sig) X(exp_signed) \
    X(path) X(query) X(creq) X(sts) X(auth) X(auth_nocache)

static void
case_bufs_init(case_bufs *b)
{
    size_t i;

#define INIT(field) iot_buf_init(&b->field, 0);
    CASE_BUFS(INIT)
#undef INIT
    for (i = 0; i < MAX_PARAMS; i++) {
        iot_buf_init(&b->keys[i], 0);
        iot_buf_init(&b->values[i], 0);
    }
}

static void
case_bufs_free(case_bufs *b)
{
    size_t i;

#define FREE(field) iot_buf_free(&b->field);
    CASE_BUFS(FREE)
#undef FREE
    for (i = 0; i < MAX_PARAMS; i++) {
        iot_buf_free(&b->keys[i]);
        iot_buf_free(&b->values[i]);
    }
}

/* Split a raw query on '&' and '=', decode each part, canonicalise. */
static int
canonical_query_of(const char *query, size_t n, case_bufs *b,
                   char *err, size_t errlen)
{
    iot_uri_param params[MAX_PARAMS];
    size_t np = 0, pos = 0, i;

    while (pos < n) {
        const char *piece = query + pos;
        const char *amp = memchr(piece, '&', n - pos);
        size_t len = amp ? (size_t)(amp - piece) : n - pos;
        const char *eq = memchr(piece, '=', len);
        size_t klen = eq ? (size_t)(eq - piece) : len;

        pos += len + 1;
        if (len == 0) {
            continue;
        }
        if (np == MAX_PARAMS) {
            snprintf(err, errlen, "more than %d query parameters", MAX_PARAMS);
            return -1;
        }
        if (iot_uri_decode(&b->keys[np], piece, klen) != IOT_BUF_OK
            || iot_uri_decode(&b->values[np], eq ? eq + 1 : "",
                              eq ? len - klen - 1 : 0) != IOT_BUF_OK)
        {
            snprintf(err, errlen, "iot_uri_decode failed");
            return -1;
        }
        np++;
    }
    for (i = 0; i < np; i++) {
        params[i].key = b->keys[i].data;
        params[i].key_len = b->keys[i].len;
        params[i].value = b->values[i].data;
        params[i].value_len = b->values[i].len;
    }
    if (iot_uri_canonical_query(&b->query, params, np) != IOT_BUF_OK) {
        snprintf(err, errlen, "iot_uri_canonical_query failed");
        return -1;
    }
    return 0;
}

/* 0 when the case passes; prints its line either way. */
static int
run_case(const char *dir, const char *name, iot_sigv4_key_cache *cache)
{
    case_bufs b;
    suite_request q;
    suite_context c;
    iot_sigv4_header headers[MAX_HEADERS + 3];
    iot_sigv4_request r;
    char amz_date[17];
    char payload_hash[65];
    char err[256] = "";
    const char *exp_auth, *sig;
    size_t exp_auth_len, nh, i;
    int failures = 0;
    int rc;

    case_bufs_init(&b);
    context_init(&c);
    memset(&q, 0, sizeof(q));

    if (read_case_file(dir, "request.txt", &b.request)
        || read_case_file(dir, "context.json", &b.context)
        || read_case_file(dir, "header-canonical-request.txt", &b.exp_creq)
        || read_case_file(dir, "header-string-to-sign.txt", &b.exp_sts)
        || read_case_file(dir, "header-signature.txt", &b.exp_sig)
        || read_case_file(dir, "header-signed-request.txt", &b.exp_signed))
    {
        snprintf(err, sizeof(err), "cannot read a case file");
        goto error;
    }
    if (parse_request(&q, b.request.data, b.request.len, err, sizeof(err))
        || parse_context(b.context.data, b.context.len, &c,
                         err, sizeof(err)))
    {
        goto error;
    }
    if (amz_date_from_timestamp(c.timestamp.data, amz_date) != 0) {
        snprintf(err, sizeof(err), "bad timestamp '%s'", c.timestamp.data);
        goto error;
    }
    rc = iot_uri_canonical_path(&b.path, q.path, q.path_len, c.normalize);
    if (rc != IOT_BUF_OK) {
        snprintf(err, sizeof(err), "iot_uri_canonical_path failed");
        goto error;
    }
    if (canonical_query_of(q.query, q.query_len, &b, err, sizeof(err)) != 0) {
        goto error;
    }
    if (iot_sigv4_sha256_hex(q.body, q.body_len, payload_hash) != 0) {
        snprintf(err, sizeof(err), "iot_sigv4_sha256_hex failed");
        goto error;
    }

    nh = 0;
    for (i = 0; i < q.nheaders; i++) {
        headers[nh].name = q.headers[i].name;
        headers[nh].value = q.headers[i].value;
        nh++;
    }
    headers[nh].name = "X-Amz-Date";
    headers[nh].value = amz_date;
    nh++;
    if (c.have_token && !c.omit_session_token) {
        headers[nh].name = "X-Amz-Security-Token";
        headers[nh].value = c.token.data;
        nh++;
    }
    if (c.sign_body) {
        headers[nh].name = "X-Amz-Content-SHA256";
        headers[nh].value = payload_hash;
        nh++;
    }

    memset(&r, 0, sizeof(r));
    r.method = q.method;
    r.canonical_uri = b.path.data;
    r.canonical_query = b.query.data;
    r.headers = headers;
    r.nheaders = nh;
    r.payload_hash = payload_hash;
    r.access_key = c.access_key.data;
    r.secret_key = c.secret_key.data;
    r.region = c.region.data;
    r.service = c.service.data;
    r.amz_date = amz_date;

    if ((rc = iot_sigv4_canonical_request(&b.creq, &r)) != IOT_BUF_OK
        || (rc = iot_sigv4_string_to_sign(&b.sts, &r, b.creq.data,
                                          b.creq.len)) != IOT_BUF_OK
        || (rc = iot_sigv4_sign(&b.auth, &r, cache)) != IOT_BUF_OK
        || (rc = iot_sigv4_sign(&b.auth_nocache, &r, NULL)) != IOT_BUF_OK)
    {
        snprintf(err, sizeof(err), "sigv4 call failed with %d", rc);
        goto error;
    }
    if (authorization_line(&b.exp_signed, &exp_auth, &exp_auth_len) != 0) {
        snprintf(err, sizeof(err),
                 "no Authorization line in header-signed-request.txt");
        goto error;
    }
    sig = strstr(b.auth.data, "Signature=");
    sig = sig ? sig + strlen("Signature=") : "";

    failures += report_mismatch(name, "canonical request",
                                b.exp_creq.data, b.exp_creq.len,
                                b.creq.data, b.creq.len);
    failures += report_mismatch(name, "string to sign",
                                b.exp_sts.data, b.exp_sts.len,
                                b.sts.data, b.sts.len);
    failures += report_mismatch(name, "signature",
                                b.exp_sig.data, b.exp_sig.len,
                                sig, strlen(sig));
    failures += report_mismatch(name, "Authorization",
                                exp_auth, exp_auth_len,
                                b.auth.data, b.auth.len);
    failures += report_mismatch(name, "Authorization (no key cache)",
                                exp_auth, exp_auth_len,
                                b.auth_nocache.data, b.auth_nocache.len);
    if (failures == 0) {
        printf("ok %s\n", name);
    }
    goto done;

error:
    printf("FAIL %s: %s\n", name, err);
    failures++;
done:
    context_free(&c);
    case_bufs_free(&b);
    return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* the key cache: a hit must give what a fresh derivation gives, and a
 * change of any of the four inputs must refresh it. */

static int
sign_simple(iot_buf *out, const char *secret, const char *date,
            const char *region, const char *service,
            iot_sigv4_key_cache *cache)
{
    iot_sigv4_header h[2] = {
        {"host", "example.amazonaws.com"},
        {"x-amz-date", date},
    };
    iot_sigv4_request r;

    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.canonical_uri = "/";
    r.canonical_query = "";
    r.headers = h;
    r.nheaders = 2;
    r.payload_hash = "UNSIGNED-PAYLOAD";
    r.access_key = "AKID";
    r.secret_key = secret;
    r.region = region;
    r.service = service;
    r.amz_date = date;
    iot_buf_reset(out);
    return iot_sigv4_sign(out, &r, cache);
}

static int
test_key_cache(void)
{
    static const char *const secrets[] = {"secret-one", "secret-two"};
    static const char *const dates[] = {
        "20150830T123600Z", "20150831T000000Z",
    };
    static const char *const regions[] = {"us-east-1", "eu-west-1"};
    static const char *const services[] = {"iot", "service"};
    iot_sigv4_key_cache cache;
    iot_buf fresh, cached;
    int failures = 0;
    int step, rc1, rc2;
    char *c;

    memset(&cache, 0, sizeof(cache));
    iot_buf_init(&fresh, 0);
    iot_buf_init(&cached, 0);
    /* Walk the 16 combinations twice, in Gray-code order, so that every
     * step changes exactly one input while the cache holds the last one. */
    for (step = 0; step < 32; step++) {
        int g = (step ^ (step >> 1)) & 15;
        const char *secret = secrets[g & 1];
        const char *date = dates[(g >> 1) & 1];
        const char *region = regions[(g >> 2) & 1];
        const char *service = services[(g >> 3) & 1];

        rc1 = sign_simple(&fresh, secret, date, region, service, NULL);
        rc2 = sign_simple(&cached, secret, date, region, service, &cache);
        if (rc1 != 0 || rc2 != 0 || fresh.len != cached.len
            || memcmp(fresh.data, cached.data, fresh.len) != 0)
        {
            printf("FAIL key-cache step %d: rc %d/%d\n"
                   "  fresh:  %s\n  cached: %s\n",
                   step, rc1, rc2, fresh.data, cached.data);
            failures++;
        }
        if (!cache.valid || strcmp(cache.region, region) != 0
            || strcmp(cache.service, service) != 0
            || memcmp(cache.date, date, 8) != 0 || cache.date[8] != '\0')
        {
            printf("FAIL key-cache step %d: "
                   "cache does not hold the last inputs\n", step);
            failures++;
        }
        /* The secret itself must not be kept. */
        size_t slen = strlen(secret);
        for (c = (char *)&cache; c + slen <= (char *)(&cache + 1); c++) {
            if (memcmp(c, secret, slen) == 0) {
                printf("FAIL key-cache: the secret is stored in the cache\n");
                failures++;
                break;
            }
        }
    }
    /* A region too long for the cache still signs, uncached. */
    {
        char long_region[100];
        memset(long_region, 'r', sizeof(long_region) - 1);
        long_region[sizeof(long_region) - 1] = '\0';
        rc1 = sign_simple(&fresh, "s", dates[0], long_region, "iot", NULL);
        rc2 = sign_simple(&cached, "s", dates[0], long_region, "iot", &cache);
        if (rc1 != 0 || rc2 != 0 || strcmp(fresh.data, cached.data) != 0) {
            printf("FAIL key-cache: a long region signs differently "
                   "with a cache\n");
            failures++;
        }
    }
    if (failures == 0) {
        printf("ok key-cache\n");
    }
    iot_buf_free(&fresh);
    iot_buf_free(&cached);
    return failures;
}

/* Bad input is refused, and `out` is left as it was. */
static int
test_invalid(void)
{
    iot_sigv4_header h[1] = {{"host", "example.amazonaws.com"}};
    iot_sigv4_request r;
    iot_buf out;
    int failures = 0;
    int rc;

    iot_buf_init(&out, 0);
    iot_buf_append_str(&out, "keep");
    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.canonical_uri = "/";
    r.canonical_query = "";
    r.headers = h;
    r.nheaders = 1;
    r.payload_hash = "x";
    r.access_key = "AKID";
    r.secret_key = "s";
    r.region = "us-east-1";
    r.service = "iot";
    r.amz_date = "2015083";   /* one short of a date */
    rc = iot_sigv4_sign(&out, &r, NULL);
    if (rc != IOT_SIGV4_EINVAL || strcmp(out.data, "keep") != 0) {
        printf("FAIL invalid: short amz_date gave %d, out '%s'\n",
               rc, out.data);
        failures++;
    }
    r.amz_date = "20150830T123600Z";
    r.method = NULL;
    rc = iot_sigv4_canonical_request(&out, &r);
    if (rc != IOT_SIGV4_EINVAL || strcmp(out.data, "keep") != 0) {
        printf("FAIL invalid: NULL method gave %d, out '%s'\n", rc, out.data);
        failures++;
    }
    r.method = "GET";
    out.limit = out.len + 10;   /* too small for any canonical request */
    rc = iot_sigv4_canonical_request(&out, &r);
    if (rc != IOT_BUF_ETOOBIG || strcmp(out.data, "keep") != 0) {
        printf("FAIL invalid: capped buffer gave %d, out '%s'\n",
               rc, out.data);
        failures++;
    }
    if (failures == 0) {
        printf("ok invalid-input\n");
    }
    iot_buf_free(&out);
    return failures;
}

/* ------------------------------------------------------------------ */

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
    const char *suite = getenv("IOT_SIGV4_SUITE");
    char *names[MAX_CASES];
    size_t ncases = 0, i;
    iot_sigv4_key_cache cache;
    struct dirent *de;
    DIR *d = NULL;
    int failures = 0;

    if (suite == NULL || *suite == '\0') {
        suite = DEFAULT_SUITE;
    }
    d = opendir(suite);
    if (d == NULL) {
        printf("FAIL cannot open the suite at %s (set IOT_SIGV4_SUITE)\n",
               suite);
        return 1;
    }
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (de->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s/header-signed-request.txt",
                 suite, de->d_name);
        if (stat(path, &st) != 0) {
            continue;
        }
        if (ncases == MAX_CASES) {
            printf("FAIL more than %d cases\n", MAX_CASES);
            failures++;
            break;
        }
        names[ncases] = strdup(de->d_name);
        if (names[ncases] == NULL) {
            printf("FAIL out of memory\n");
            failures++;
            break;
        }
        ncases++;
    }
    closedir(d);
    qsort(names, ncases, sizeof(names[0]), compare_names);

    /* One cache across the suite: the cases share their key, so all but
     * the first sign from the cache; each is also signed without it. */
    memset(&cache, 0, sizeof(cache));
    for (i = 0; i < ncases; i++) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/%s", suite, names[i]);
        failures += run_case(dir, names[i], &cache);
        free(names[i]);
    }
    failures += test_key_cache();
    failures += test_invalid();

    if (ncases < MIN_CASES) {
        printf("FAIL only %zu suite cases found in %s (want at least %d)\n",
               ncases, suite, MIN_CASES);
        failures++;
    }
    printf("%s: %zu suite cases, %d failure(s)\n",
           failures ? "FAILED" : "PASSED", ncases, failures);
    return failures ? 1 : 0;
}
