/* test_uri.c - unit tests of uri.c: percent-encoding, decoding, the
 * canonical query and the canonical path.
 *
 * The encoder is checked against an independent reference (below) on
 * every byte value and on pseudo-random strings, and on hand-derived
 * RFC 3986 vectors: a UTF-8 character is its bytes as %XX, upper-case hex.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "uri.h"

static int failures;
static int checks;

#define LEN(s) (sizeof(s) - 1)

static void
expect_bytes(const char *what, const iot_buf *got,
             const char *want, size_t want_len)
{
    const char *g = got->data ? got->data : "";

    checks++;
    if (got->data == NULL) {
        printf("FAIL %s: buffer data is NULL after a successful call\n", what);
        failures++;
    }
    else if (got->len != want_len || memcmp(g, want, want_len) != 0) {
        printf("FAIL %s\n  expected: '%.*s' (%zu bytes)\n"
               "  got:      '%.*s' (%zu bytes)\n", what,
               (int)want_len, want, want_len, (int)got->len, g, got->len);
        failures++;
    }
    else if (g[got->len] != '\0') {
        printf("FAIL %s: output is not NUL-terminated\n", what);
        failures++;
    }
}

static void
expect_rc(const char *what, int rc, int want)
{
    checks++;
    if (rc != want) {
        printf("FAIL %s: returned %d, expected %d\n", what, rc, want);
        failures++;
    }
}

/* ------------------------------------------------------------------ */
/* encode */

/* Reference: written differently on purpose (a character class lookup
 * and snprintf), so a shared slip is unlikely. */
static void
reference_encode(iot_buf *out, const unsigned char *s, size_t n,
                 int keep_slash)
{
    static const char unreserved[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
    char esc[4];
    size_t i;

    iot_buf_reserve(out, 0);
    for (i = 0; i < n; i++) {
        if ((s[i] != 0 && strchr(unreserved, s[i]) != NULL)
            || (keep_slash && s[i] == '/'))
        {
            iot_buf_append_char(out, (char)s[i]);
        }
        else {
            snprintf(esc, sizeof(esc), "%%%02X", s[i]);
            iot_buf_append(out, esc, 3);
        }
    }
}

static unsigned int rng_state = 12345u;

static unsigned int
rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 16) & 0x7FFF;
}

static void
test_encode(void)
{
    iot_buf got, want;
    unsigned char s[64];
    char what[96];
    int c, keep, round;
    size_t n;

    iot_buf_init(&got, 0);
    iot_buf_init(&want, 0);

    /* every byte value, both modes */
    for (keep = 0; keep <= 1; keep++) {
        for (c = 0; c < 256; c++) {
            s[0] = (unsigned char)c;
            iot_buf_reset(&got);
            iot_buf_reset(&want);
            expect_rc("encode byte",
                      iot_uri_encode(&got, (const char *)s, 1, keep), 0);
            reference_encode(&want, s, 1, keep);
            snprintf(what, sizeof(what), "encode byte 0x%02X keep_slash=%d",
                     c, keep);
            expect_bytes(what, &got, want.data, want.len);
        }
    }
    /* pseudo-random byte strings */
    for (round = 0; round < 500; round++) {
        n = rng() % sizeof(s);
        for (size_t i = 0; i < n; i++) {
            s[i] = (unsigned char)rng();
        }
        keep = round & 1;
        iot_buf_reset(&got);
        iot_buf_reset(&want);
        expect_rc("encode random",
                  iot_uri_encode(&got, (const char *)s, n, keep), 0);
        reference_encode(&want, s, n, keep);
        snprintf(what, sizeof(what), "encode random string %d", round);
        expect_bytes(what, &got, want.data, want.len);
    }

    /* hand-derived vectors */
#define ENC(in, keep_, out)                                           \
    do {                                                              \
        iot_buf_reset(&got);                                          \
        expect_rc("encode " #in,                                      \
                  iot_uri_encode(&got, in, LEN(in), keep_), 0);       \
        expect_bytes("encode " #in " keep_slash=" #keep_,             \
                     &got, out, LEN(out));                            \
    } while (0)

    ENC("", 0, "");
    ENC("-_.~AZaz09", 0, "-_.~AZaz09");
    ENC("a+b/c=d e", 0, "a%2Bb%2Fc%3Dd%20e");
    ENC("a+b/c=d e", 1, "a%2Bb/c%3Dd%20e");
    ENC("100%", 0, "100%25");
    ENC("%2F", 0, "%252F");             /* never decodes first */
    ENC("AQoD+/==", 0, "AQoD%2B%2F%3D%3D");
    ENC("\xc3\xa9\xe2\x9c\x93", 0, "%C3%A9%E2%9C%93");   /* "é✓" */
    ENC("\xf0\x9f\x98\x80", 0, "%F0%9F%98%80");           /* U+1F600 */
    ENC("a\0b", 0, "a%00b");                 /* the length counts, not NUL */
    ENC("!*'();:@&=+$,/?#[]", 0,
        "%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D");
#undef ENC

    /* appends after what is there */
    iot_buf_reset(&got);
    iot_buf_append_str(&got, "x=");
    expect_rc("encode append", iot_uri_encode(&got, "a b", 3, 0), 0);
    expect_bytes("encode appends", &got, "x=a%20b", 7);

    /* a cap that the output does not fit in leaves the buffer alone */
    iot_buf_free(&got);
    iot_buf_init(&got, 8);
    iot_buf_append_str(&got, "ab");
    expect_rc("encode over the cap", iot_uri_encode(&got, "   ", 3, 0),
              IOT_BUF_ETOOBIG);
    expect_bytes("encode over the cap leaves out", &got, "ab", 2);
    expect_rc("encode exactly at the cap",
              iot_uri_encode(&got, "+ ", 2, 0), 0);
    expect_bytes("encode exactly at the cap", &got, "ab%2B%20", 8);

    iot_buf_free(&got);
    iot_buf_free(&want);
}

/* ------------------------------------------------------------------ */
/* decode */

static void
test_decode(void)
{
    iot_buf got, enc;
    unsigned char s[64];
    char what[64];
    int round;
    size_t n;

    iot_buf_init(&got, 0);
    iot_buf_init(&enc, 0);

#define DEC(in, out)                                                       \
    do {                                                                   \
        iot_buf_reset(&got);                                               \
        expect_rc("decode " #in, iot_uri_decode(&got, in, LEN(in)), 0);    \
        expect_bytes("decode " #in, &got, out, LEN(out));                  \
    } while (0)

    DEC("", "");
    DEC("plain", "plain");
    DEC("a%20b", "a b");
    DEC("%41%2b%2B+", "A+++");          /* either hex case; '+' stays '+' */
    DEC("a+b", "a+b");
    DEC("%C3%A9%e2%9c%93", "\xc3\xa9\xe2\x9c\x93");
    DEC("%F0%9F%98%80", "\xf0\x9f\x98\x80");
    DEC("%00", "\0");
    DEC("%", "%");                      /* malformed escapes stay literal */
    DEC("%4", "%4");
    DEC("abc%", "abc%");
    DEC("%G1%1G%zz", "%G1%1G%zz");
    DEC("%%41", "%A");
    DEC("%252F", "%2F");                /* one level only */
#undef DEC

    /* decode(encode(x)) == x */
    for (round = 0; round < 500; round++) {
        n = rng() % sizeof(s);
        for (size_t i = 0; i < n; i++) {
            s[i] = (unsigned char)rng();
        }
        iot_buf_reset(&enc);
        iot_buf_reset(&got);
        iot_uri_encode(&enc, (const char *)s, n, round & 1);
        expect_rc("decode round trip",
                  iot_uri_decode(&got, enc.data, enc.len), 0);
        snprintf(what, sizeof(what), "decode(encode(x)) round %d", round);
        expect_bytes(what, &got, (const char *)s, n);
    }

    /* a capped buffer */
    iot_buf_free(&got);
    iot_buf_init(&got, 2);
    expect_rc("decode over the cap", iot_uri_decode(&got, "abc", 3),
              IOT_BUF_ETOOBIG);

    iot_buf_free(&got);
    iot_buf_free(&enc);
}

/* ------------------------------------------------------------------ */
/* canonical query */

#define P(k, v) {k, LEN(k), v, LEN(v)}

static void
check_query(const char *what, const iot_uri_param *params, size_t n,
            const char *want, size_t want_len)
{
    iot_buf got;

    iot_buf_init(&got, 0);
    expect_rc(what, iot_uri_canonical_query(&got, params, n), 0);
    expect_bytes(what, &got, want, want_len);
    iot_buf_free(&got);
}

#define QUERY(what, params, want)                                     \
    check_query(what, params, sizeof(params) / sizeof(params[0]),     \
                want, LEN(want))

static void
test_canonical_query(void)
{
    iot_buf got;

    /* no parameters: "", and data is a valid empty string */
    iot_buf_init(&got, 0);
    expect_rc("query empty", iot_uri_canonical_query(&got, NULL, 0), 0);
    expect_bytes("query empty", &got, "", 0);
    iot_buf_free(&got);

    {
        static const iot_uri_param p[] = {P("nextToken", "ab+/=cd ef")};
        QUERY("query token with + / = space", p,
              "nextToken=ab%2B%2F%3Dcd%20ef");
    }
    {
        static const iot_uri_param p[] = {
            P("status", "IN_PROGRESS"),
            P("thingGroupName", ""),
            P("nextToken", "\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80"),
            P("maxResults", "10"),
        };
        QUERY("query ListJobs-like", p,
              "maxResults=10&nextToken=%C3%A9%E2%9C%93%F0%9F%98%80"
              "&status=IN_PROGRESS&thingGroupName=");
    }
    {
        static const iot_uri_param p[] = {
            P("b", ""), P("B", ""), P("a", ""), P("A", ""),
        };
        QUERY("query keys are case-sensitive, upper first", p, "A=&B=&a=&b=");
    }
    {
        /* Encoded order: %20 < %2B < %C3%A9 < z < ~. Raw byte order would
         * put "é" (0xC3) last. */
        static const iot_uri_param p[] = {
            P("k", "z"), P("k", "\xc3\xa9"), P("k", "~"), P("k", " "),
            P("k", "+"),
        };
        QUERY("query repeated key sorts by encoded value", p,
              "k=%20&k=%2B&k=%C3%A9&k=z&k=~");
    }
    {
        /* Encoded keys: "%C3%A9" < "a" < "a%3Db" < "a-"; raw order is
         * "a" < "a-" < "a=b" < "é". */
        static const iot_uri_param p[] = {
            P("a-", "1"), P("\xc3\xa9", "2"), P("a=b", "3"), P("a", "4"),
        };
        QUERY("query sorts by encoded key", p, "%C3%A9=2&a=4&a%3Db=3&a-=1");
    }
    {
        /* Key first, then value: sorting the joined "k=v" strings would put
         * "a-=0" before "a=1" ('-' < '='). */
        static const iot_uri_param p[] = {
            P("a", "2"), P("a-", "0"), P("a", "1"),
        };
        QUERY("query sorts by key, then value", p, "a=1&a=2&a-=0");
    }
    {
        /* A key that is a prefix of another sorts first. */
        static const iot_uri_param p[] = {P("Param-3", "x"), P("Param", "y")};
        QUERY("query prefix key first", p, "Param=y&Param-3=x");
    }
    {
        static const iot_uri_param p[] = {P("a", "")};
        QUERY("query empty value", p, "a=");
    }
    {
        static const iot_uri_param p[] = {P("", "v"), P("", "")};
        QUERY("query empty keys", p, "=&=v");
    }
    {
        static const iot_uri_param p[] = {P("k\0x", "v\0")};
        QUERY("query bytes after a NUL", p, "k%00x=v%00");
    }
    {
        static const iot_uri_param p[] = {P("t", "100%~-._")};
        QUERY("query percent and unreserved", p, "t=100%25~-._");
    }

    /* appends; a cap leaves the buffer as it was */
    {
        static const iot_uri_param p[] = {P("b", "2"), P("a", "1")};
        iot_buf_init(&got, 12);
        iot_buf_append_str(&got, "?");
        expect_rc("query append", iot_uri_canonical_query(&got, p, 2), 0);
        expect_bytes("query append", &got, "?a=1&b=2", 8);
        expect_rc("query over the cap", iot_uri_canonical_query(&got, p, 2),
                  IOT_BUF_ETOOBIG);
        expect_bytes("query over the cap leaves out", &got, "?a=1&b=2", 8);
        iot_buf_free(&got);
    }
}

/* ------------------------------------------------------------------ */
/* canonical path (the suite covers the rest) */

static void
check_path(const char *in, size_t n, int normalize,
           const char *want, size_t want_len)
{
    char what[128];
    iot_buf got;

    iot_buf_init(&got, 0);
    snprintf(what, sizeof(what), "path '%.*s' normalize=%d",
             (int)n, in, normalize);
    expect_rc(what, iot_uri_canonical_path(&got, in, n, normalize), 0);
    expect_bytes(what, &got, want, want_len);
    iot_buf_free(&got);
}

#define PATH(in, norm, want) check_path(in, LEN(in), norm, want, LEN(want))

static void
test_canonical_path(void)
{
    PATH("", 1, "/");
    PATH("", 0, "/");
    PATH("/", 1, "/");
    PATH("/jobs", 1, "/jobs");
    PATH("/jobs", 0, "/jobs");
    PATH("/a/b/..", 1, "/a/");           /* RFC 3986 5.2.4 */
    PATH("/a/b/.", 1, "/a/b/");
    PATH("/a/./b/../c", 1, "/a/c");
    PATH("/../a", 1, "/a");
    PATH("/a/../../b", 1, "/b");
    PATH("/a//b/", 1, "/a/b/");
    PATH("///", 1, "/");
    PATH("/.../a/.b", 1, "/.../a/.b");   /* not dot segments */
    PATH("a/b", 1, "/a/b");
    PATH("a/b", 0, "/a/b");
    PATH("/a/../b//", 0, "/a/../b//");
    PATH("/\xc3\xa9 \xe2\x9c\x93/x+y=z", 1, "/%C3%A9%20%E2%9C%93/x%2By%3Dz");
    PATH("/\xc3\xa9 \xe2\x9c\x93/x+y=z", 0, "/%C3%A9%20%E2%9C%93/x%2By%3Dz");
    PATH("/%2F", 1, "/%252F");
}

int
main(void)
{
    test_encode();
    test_decode();
    test_canonical_query();
    test_canonical_path();
    printf("%s: %d checks, %d failure(s)\n", failures ? "FAILED" : "PASSED",
           checks, failures);
    return failures ? 1 : 0;
}
