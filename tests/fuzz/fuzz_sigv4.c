/* fuzz_sigv4.c - libFuzzer target for csrc/uri.c + csrc/sigv4.c (+ buf.c),
 * built with ASan+UBSan by tests/fuzz/run.sh.
 *
 * The input is split on 0xFF bytes into fields: request parameters as
 * (key, value) pairs, then the nextToken, a header value, the secret key and
 * the region. Invariants:
 *
 *  canonical query (iot_uri_canonical_query, as pager.c builds it):
 *   - deterministic: the same parameters in reverse order give the same bytes;
 *   - only unreserved characters, '%XX' with upper-case hex, '=' and '&';
 *   - one k=v per parameter, sorted by encoded key then encoded value;
 *   - each key and value decodes (iot_uri_decode) back to the raw bytes.
 *  canonical path (iot_uri_canonical_path): starts with '/', only unreserved
 *   characters, '/' and %XX; normalised, it holds no "//" and no "." or ".."
 *   segment; encoding is idempotent on an already canonical path.
 *  signing (iot_sigv4_sign):
 *   - succeeds for any bytes; the Authorization value has the documented
 *     shape (credential scope, SignedHeaders, a 64-hex-digit signature);
 *   - the signing-key cache never changes a signature: signing with a cache
 *     that lives across inputs (as a Pager's does) equals signing without;
 *   - deterministic, and a changed secret changes the signature.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sigv4.h"
#include "uri.h"

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz_sigv4: invariant failed: %s (line %d)\n",  \
                    #cond, __LINE__);                                        \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define MAX_FIELDS 24

typedef struct {
    const char *p;
    size_t n;
} field;

static iot_sigv4_key_cache g_cache;   /* lives across inputs, like a Pager's */

static int
is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

static int
is_upper_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int
hex_digit(char c)
{
    return c <= '9' ? c - '0' : c - 'A' + 10;
}

/* Checks one encoded component s[0..n) and that it decodes to raw. */
static void
check_component(const char *s, size_t n, const char *raw, size_t raw_n)
{
    iot_buf dec;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            CHECK(i + 2 < n);
            CHECK(is_upper_hex((unsigned char)s[i + 1]) && is_upper_hex((unsigned char)s[i + 2]));
            /* an unreserved byte is never encoded */
            CHECK(!is_unreserved((unsigned char)(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]))));
            i += 2;
        }
        else {
            CHECK(is_unreserved(c));
        }
    }
    iot_buf_init(&dec, 0);
    CHECK(iot_uri_decode(&dec, s, n) == IOT_BUF_OK);
    CHECK(dec.len == raw_n);
    CHECK(raw_n == 0 || memcmp(dec.data, raw, raw_n) == 0);
    iot_buf_free(&dec);
}

static int
cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) {
        return c;
    }
    return (an > bn) - (an < bn);
}

static void
check_query(const iot_uri_param *params, size_t n)
{
    iot_buf q1, q2;
    iot_uri_param rev[MAX_FIELDS];
    size_t i, pairs = 0;
    const char *prev_k = NULL, *prev_v = NULL;
    size_t prev_kn = 0, prev_vn = 0;

    iot_buf_init(&q1, 0);
    iot_buf_init(&q2, 0);
    CHECK(iot_uri_canonical_query(&q1, params, n) == IOT_BUF_OK);
    for (i = 0; i < n; i++) {
        rev[i] = params[n - 1 - i];
    }
    CHECK(iot_uri_canonical_query(&q2, rev, n) == IOT_BUF_OK);
    CHECK(q1.len == q2.len && (q1.len == 0 || memcmp(q1.data, q2.data, q1.len) == 0));
    CHECK(q1.data != NULL && q1.data[q1.len] == '\0');
    CHECK(n > 0 || q1.len == 0);

    /* walk the k=v&k=v form */
    if (n > 0) {
        const char *s = q1.data, *end = q1.data + q1.len;
        while (s <= end) {
            const char *amp = memchr(s, '&', (size_t)(end - s));
            const char *stop = amp ? amp : end;
            const char *eq = memchr(s, '=', (size_t)(stop - s));
            CHECK(eq != NULL);
            CHECK(memchr(eq + 1, '=', (size_t)(stop - eq - 1)) == NULL);
            if (prev_k != NULL) {
                int c = cmp_bytes(prev_k, prev_kn, s, (size_t)(eq - s));
                CHECK(c < 0 || (c == 0 && cmp_bytes(prev_v, prev_vn, eq + 1,
                                                     (size_t)(stop - eq - 1)) <= 0));
            }
            prev_k = s;
            prev_kn = (size_t)(eq - s);
            prev_v = eq + 1;
            prev_vn = (size_t)(stop - eq - 1);
            /* the decoded pair is one of the parameters */
            {
                iot_buf dk, dv;
                int found = 0;
                iot_buf_init(&dk, 0);
                iot_buf_init(&dv, 0);
                CHECK(iot_uri_decode(&dk, prev_k, prev_kn) == IOT_BUF_OK);
                CHECK(iot_uri_decode(&dv, prev_v, prev_vn) == IOT_BUF_OK);
                for (i = 0; i < n && !found; i++) {
                    if (params[i].key_len == dk.len && params[i].value_len == dv.len &&
                        (dk.len == 0 || memcmp(params[i].key, dk.data, dk.len) == 0) &&
                        (dv.len == 0 || memcmp(params[i].value, dv.data, dv.len) == 0)) {
                        found = 1;
                        check_component(prev_k, prev_kn, params[i].key, params[i].key_len);
                        check_component(prev_v, prev_vn, params[i].value, params[i].value_len);
                    }
                }
                CHECK(found);
                iot_buf_free(&dk);
                iot_buf_free(&dv);
            }
            pairs++;
            if (!amp) {
                break;
            }
            s = amp + 1;
        }
        CHECK(pairs == n);
    }
    iot_buf_free(&q1);
    iot_buf_free(&q2);
}

static void
check_path(const char *p, size_t n)
{
    iot_buf a, b;
    size_t i;

    for (int normalize = 0; normalize <= 1; normalize++) {
        iot_buf_init(&a, 0);
        CHECK(iot_uri_canonical_path(&a, p, n, normalize) == IOT_BUF_OK);
        CHECK(a.len >= 1 && a.data[0] == '/');
        for (i = 0; i < a.len; i++) {
            unsigned char c = (unsigned char)a.data[i];
            if (c == '%') {
                CHECK(i + 2 < a.len && is_upper_hex((unsigned char)a.data[i + 1]) &&
                      is_upper_hex((unsigned char)a.data[i + 2]));
                i += 2;
            }
            else {
                CHECK(is_unreserved(c) || c == '/');
            }
        }
        if (normalize) {
            CHECK(strstr(a.data, "//") == NULL);
            /* no "." or ".." segment left */
            for (i = 0; i < a.len; i++) {
                if (a.data[i] == '/') {
                    const char *seg = a.data + i + 1;
                    size_t left = a.len - i - 1;
                    CHECK(!(left >= 1 && seg[0] == '.' && (left == 1 || seg[1] == '/')));
                    CHECK(!(left >= 2 && seg[0] == '.' && seg[1] == '.' &&
                            (left == 2 || seg[2] == '/')));
                }
            }
            /* normalising a normalised path changes nothing: decode it and
             * canonicalise again (unless it holds an encoded '/', which
             * decoding would turn into a segment boundary) */
            iot_buf_init(&b, 0);
            if (strstr(a.data, "%2F") == NULL) {
                iot_buf raw;
                iot_buf_init(&raw, 0);
                CHECK(iot_uri_decode(&raw, a.data, a.len) == IOT_BUF_OK);
                CHECK(iot_uri_canonical_path(&b, raw.data, raw.len, 1) == IOT_BUF_OK);
                CHECK(b.len == a.len && memcmp(a.data, b.data, a.len) == 0);
                iot_buf_free(&raw);
            }
            iot_buf_free(&b);
        }
        iot_buf_free(&a);
    }
}

static char *
cstr(const field *f, const char *fallback)
{
    /* C strings cannot hold NUL: cut at the first one */
    size_t n = f ? strnlen(f->p, f->n) : strlen(fallback);
    char *s = malloc(n + 1);
    CHECK(s != NULL);
    memcpy(s, f ? f->p : fallback, n);
    s[n] = '\0';
    return s;
}

static void
check_sign(const char *query, const field *hdr, const field *secret, const field *region)
{
    char *hval = cstr(hdr, "x"), *sk = cstr(secret, "secret"), *rg = cstr(region, "us-east-1");
    char *sk2;
    iot_sigv4_header h[4] = {
        {"host", "example.amazonaws.com"},
        {"x-amz-date", "20150830T123600Z"},
        {"X-Custom", hval},
        {"x-custom", "second"},
    };
    iot_sigv4_request r;
    iot_buf a1, a2, a3;
    char payload[65];

    CHECK(iot_sigv4_sha256_hex("", 0, payload) == 0);
    memset(&r, 0, sizeof r);
    r.method = "GET";
    r.canonical_uri = "/jobs";
    r.canonical_query = query;
    r.headers = h;
    r.nheaders = 4;
    r.payload_hash = payload;
    r.access_key = "AKIDEXAMPLE";
    r.secret_key = sk;
    r.region = rg;
    r.service = "iot";
    r.amz_date = "20150830T123600Z";

    iot_buf_init(&a1, 0);
    iot_buf_init(&a2, 0);
    iot_buf_init(&a3, 0);
    CHECK(iot_sigv4_sign(&a1, &r, &g_cache) == IOT_BUF_OK);
    CHECK(iot_sigv4_sign(&a2, &r, NULL) == IOT_BUF_OK);
    CHECK(a1.len == a2.len && memcmp(a1.data, a2.data, a1.len) == 0);
    /* the shape: ... Credential=AKIDEXAMPLE/20150830/<region>/iot/aws4_request,
     * SignedHeaders=host;x-amz-date;x-custom, Signature=<64 hex> */
    CHECK(strncmp(a1.data, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/", 49) == 0);
    CHECK(strstr(a1.data, "/iot/aws4_request, SignedHeaders=host;x-amz-date;x-custom, Signature=")
          != NULL);
    {
        /* the region (fuzzed) may hold "Signature=" too: the last 64 bytes */
        const char *sig = a1.data + a1.len - 64;
        CHECK(a1.len > 74 && memcmp(sig - 10, "Signature=", 10) == 0);
        for (int i = 0; i < 64; i++) {
            CHECK((sig[i] >= '0' && sig[i] <= '9') || (sig[i] >= 'a' && sig[i] <= 'f'));
        }
    }
    /* another secret, another signature (and the cache must notice) */
    sk2 = malloc(strlen(sk) + 2);
    CHECK(sk2 != NULL);
    sprintf(sk2, "%sX", sk);
    r.secret_key = sk2;
    CHECK(iot_sigv4_sign(&a3, &r, &g_cache) == IOT_BUF_OK);
    CHECK(!(a3.len == a1.len && memcmp(a1.data, a3.data, a1.len) == 0));
    free(sk2);
    free(hval);
    free(sk);
    free(rg);
    iot_buf_free(&a1);
    iot_buf_free(&a2);
    iot_buf_free(&a3);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    field f[MAX_FIELDS];
    size_t nf = 0, start = 0, i;
    iot_uri_param params[MAX_FIELDS];
    size_t np = 0;
    iot_buf q;

    if (size > 4096) {
        return 0;
    }
    for (i = 0; i <= size && nf < MAX_FIELDS; i++) {
        if (i == size || data[i] == 0xFF) {
            f[nf].p = (const char *)data + start;
            f[nf].n = i - start;
            nf++;
            start = i + 1;
        }
    }
    /* fields: k, v, k, v, ... (up to 8 pairs), then token, header, secret, region */
    {
        size_t tail = nf >= 4 ? 4 : nf;
        size_t body = nf - tail;
        for (i = 0; i + 1 < body && np < 8; i += 2) {
            params[np].key = f[i].p;
            params[np].key_len = f[i].n;
            params[np].value = f[i + 1].p;
            params[np].value_len = f[i + 1].n;
            np++;
        }
        if (tail >= 1) {   /* the token, added as pager.c adds it */
            params[np].key = "nextToken";
            params[np].key_len = 9;
            params[np].value = f[body].p;
            params[np].value_len = f[body].n;
            np++;
        }
        check_query(params, np);
        check_path(f[0].p, f[0].n);
        iot_buf_init(&q, 0);
        CHECK(iot_uri_canonical_query(&q, params, np) == IOT_BUF_OK);
        check_sign(q.data, tail >= 2 ? &f[body + 1] : NULL, tail >= 3 ? &f[body + 2] : NULL,
                   tail >= 4 ? &f[body + 3] : NULL);
        iot_buf_free(&q);
    }
    return 0;
}
