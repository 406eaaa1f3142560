/* sigv4.c - AWS Signature Version 4 (header signing). See sigv4.h. No Python.
 *
 * SHA-256 goes through EVP_Digest and HMAC-SHA256 through the one-shot
 * HMAC(), both of which OpenSSL 3.0 keeps undeprecated (only the
 * HMAC_CTX_* and SHA256_* low-level functions are deprecated).
 *
 * Memory: scratch buffers are malloc'd (via iot_buf) and freed before each
 * function returns, so everything here may run without the GIL. Derived
 * keys and the "AWS4" + secret buffer are cleansed before they are freed.
 * On failure the caller's `out` is left as it was.
 */
#include "sigv4.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
#define DATE_LEN 8
#define SHA256_LEN 32

/* One header to sign, as sorted: by lower-cased name, then by position,
 * so that duplicates keep their order of appearance. */
typedef struct {
    const char *name;
    size_t name_len;
    const char *value;
    size_t index;
} header_ref;

static unsigned char
ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* HTTP white space, including the CR LF of an obsolete line fold. */
static int
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
rollback(iot_buf *b, size_t mark)
{
    if (b->data != NULL) {
        b->len = mark;
        b->data[mark] = '\0';
    }
}

static void
to_hex(const unsigned char *md, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0x0F];
    }
    hex[2 * n] = '\0';
}

static int
sha256(const void *data, size_t n, unsigned char md[SHA256_LEN])
{
    unsigned int len = 0;
    int rc = -1;

    if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) == 1
        && len == SHA256_LEN)
    {
        rc = 0;
    }
    return rc;
}

static int
hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
            unsigned char md[SHA256_LEN])
{
    unsigned int len = 0;
    int rc = -1;

    if (key_len <= INT_MAX
        && HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, md, &len)
           != NULL
        && len == SHA256_LEN)
    {
        rc = 0;
    }
    return rc;
}

/* Writes into the caller's hex[65]. */
int
iot_sigv4_sha256_hex(const void *data, size_t n, char hex[65])
{
    unsigned char md[SHA256_LEN];
    int rc;

    rc = sha256(data, n, md);
    if (rc == 0) {
        to_hex(md, SHA256_LEN, hex);
    }
    return rc;
}

/* Lower-cased names compared bytewise; ties broken by position. */
static int
compare_headers(const void *pa, const void *pb)
{
    const header_ref *a = pa;
    const header_ref *b = pb;
    size_t i, n = a->name_len < b->name_len ? a->name_len : b->name_len;

    for (i = 0; i < n; i++) {
        unsigned char ca = ascii_lower((unsigned char)a->name[i]);
        unsigned char cb = ascii_lower((unsigned char)b->name[i]);
        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
    }
    if (a->name_len != b->name_len) {
        return a->name_len < b->name_len ? -1 : 1;
    }
    return (a->index > b->index) - (a->index < b->index);
}

static int
same_name(const header_ref *a, const header_ref *b)
{
    size_t i;

    if (a->name_len != b->name_len) {
        return 0;
    }
    for (i = 0; i < a->name_len; i++) {
        if (ascii_lower((unsigned char)a->name[i])
            != ascii_lower((unsigned char)b->name[i]))
        {
            return 0;
        }
    }
    return 1;
}

static int
append_lower(iot_buf *out, const char *s, size_t n)
{
    size_t i;
    int rc;

    rc = iot_buf_reserve(out, n);
    if (rc == IOT_BUF_OK) {
        for (i = 0; i < n; i++) {
            out->data[out->len + i] = (char)ascii_lower((unsigned char)s[i]);
        }
        out->len += n;
        out->data[out->len] = '\0';
    }
    return rc;
}

/* Trimall: drop leading and trailing white space, and turn every inner run
 * of it (line folds included) into one space. */
static int
append_trimmed(iot_buf *out, const char *value)
{
    const unsigned char *p = (const unsigned char *)value;
    size_t n = strlen(value);
    size_t i;
    char *w;
    int pending = 0;
    int rc;

    rc = iot_buf_reserve(out, n);
    if (rc != IOT_BUF_OK) {
        goto done;
    }
    w = out->data + out->len;
    for (i = 0; i < n; i++) {
        if (is_space(p[i])) {
            pending = (w != out->data + out->len);
            continue;
        }
        if (pending) {
            *w++ = ' ';
            pending = 0;
        }
        *w++ = (char)p[i];
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
done:
    return rc;
}

/* Sorted references to r->headers; *refs is malloc'd and freed by the
 * caller (NULL when there are no headers). */
static int
sort_headers(const iot_sigv4_request *r, header_ref **refs)
{
    header_ref *h = NULL;
    size_t i;
    int rc = IOT_BUF_OK;

    *refs = NULL;
    if (r->nheaders == 0) {
        goto done;
    }
    if (r->headers == NULL) {
        rc = IOT_SIGV4_EINVAL;
        goto done;
    }
    if (r->nheaders > SIZE_MAX / sizeof(*h)) {
        rc = IOT_BUF_ETOOBIG;
        goto done;
    }
    h = malloc(r->nheaders * sizeof(*h));
    if (h == NULL) {
        rc = IOT_BUF_ENOMEM;
        goto done;
    }
    for (i = 0; i < r->nheaders; i++) {
        if (r->headers[i].name == NULL || r->headers[i].value == NULL) {
            rc = IOT_SIGV4_EINVAL;
            goto error;
        }
        h[i].name = r->headers[i].name;
        h[i].name_len = strlen(r->headers[i].name);
        h[i].value = r->headers[i].value;
        h[i].index = i;
    }
    qsort(h, r->nheaders, sizeof(*h), compare_headers);
    *refs = h;
    goto done;

error:
    free(h);
done:
    return rc;
}

/* "a;b;c": each distinct lower-cased name once, in sorted order. */
static int
append_signed_headers(iot_buf *out, const header_ref *h, size_t n)
{
    size_t i;
    int rc = iot_buf_reserve(out, 0);

    for (i = 0; i < n && rc == IOT_BUF_OK; i++) {
        if (i > 0 && same_name(&h[i - 1], &h[i])) {
            continue;
        }
        if (i > 0) {
            rc = iot_buf_append_char(out, ';');
        }
        if (rc == IOT_BUF_OK) {
            rc = append_lower(out, h[i].name, h[i].name_len);
        }
    }
    return rc;
}

/* "name:value\n" per distinct name; duplicates joined by ','. */
static int
append_canonical_headers(iot_buf *out, const header_ref *h, size_t n)
{
    size_t i;
    int rc = IOT_BUF_OK;

    for (i = 0; i < n && rc == IOT_BUF_OK; i++) {
        if (i > 0 && same_name(&h[i - 1], &h[i])) {
            rc = iot_buf_append_char(out, ',');
        }
        else {
            if (i > 0) {
                rc = iot_buf_append_char(out, '\n');
            }
            if (rc == IOT_BUF_OK) {
                rc = append_lower(out, h[i].name, h[i].name_len);
            }
            if (rc == IOT_BUF_OK) {
                rc = iot_buf_append_char(out, ':');
            }
        }
        if (rc == IOT_BUF_OK) {
            rc = append_trimmed(out, h[i].value);
        }
    }
    if (rc == IOT_BUF_OK && n > 0) {
        rc = iot_buf_append_char(out, '\n');
    }
    return rc;
}

/* The canonical request into `out`, and, when signed_out is not NULL, the
 * SignedHeaders list into it too. Both are rolled back on failure. */
static int
build_canonical(iot_buf *out, iot_buf *signed_out, const iot_sigv4_request *r)
{
    header_ref *h = NULL;
    size_t mark = out->len;
    size_t signed_mark = signed_out ? signed_out->len : 0;
    int rc;

    if (r->method == NULL || r->canonical_uri == NULL
        || r->canonical_query == NULL || r->payload_hash == NULL)
    {
        rc = IOT_SIGV4_EINVAL;
        goto done;
    }
    rc = sort_headers(r, &h);
    if (rc != IOT_BUF_OK) {
        goto done;
    }
    if ((rc = iot_buf_append_str(out, r->method)) != IOT_BUF_OK
        || (rc = iot_buf_append_char(out, '\n')) != IOT_BUF_OK
        || (rc = iot_buf_append_str(out, r->canonical_uri)) != IOT_BUF_OK
        || (rc = iot_buf_append_char(out, '\n')) != IOT_BUF_OK
        || (rc = iot_buf_append_str(out, r->canonical_query)) != IOT_BUF_OK
        || (rc = iot_buf_append_char(out, '\n')) != IOT_BUF_OK
        || (rc = append_canonical_headers(out, h, r->nheaders)) != IOT_BUF_OK
        || (rc = iot_buf_append_char(out, '\n')) != IOT_BUF_OK
        || (rc = append_signed_headers(out, h, r->nheaders)) != IOT_BUF_OK
        || (rc = iot_buf_append_char(out, '\n')) != IOT_BUF_OK
        || (rc = iot_buf_append_str(out, r->payload_hash)) != IOT_BUF_OK)
    {
        goto error;
    }
    if (signed_out != NULL) {
        rc = append_signed_headers(signed_out, h, r->nheaders);
        if (rc != IOT_BUF_OK) {
            goto error;
        }
    }
    goto done;

error:
    rollback(out, mark);
    if (signed_out != NULL) {
        rollback(signed_out, signed_mark);
    }
done:
    free(h);
    return rc;
}

/* Appends to out (caller-owned); r is borrowed for the call. */
int
iot_sigv4_canonical_request(iot_buf *out, const iot_sigv4_request *r)
{
    return build_canonical(out, NULL, r);
}

/* DATE/REGION/SERVICE/aws4_request */
static int
append_scope(iot_buf *out, const iot_sigv4_request *r)
{
    int rc;

    if ((rc = iot_buf_append(out, r->amz_date, DATE_LEN)) == IOT_BUF_OK
        && (rc = iot_buf_append_char(out, '/')) == IOT_BUF_OK
        && (rc = iot_buf_append_str(out, r->region)) == IOT_BUF_OK
        && (rc = iot_buf_append_char(out, '/')) == IOT_BUF_OK
        && (rc = iot_buf_append_str(out, r->service)) == IOT_BUF_OK
        && (rc = iot_buf_append_char(out, '/')) == IOT_BUF_OK)
    {
        rc = iot_buf_append_str(out, TERMINATOR);
    }
    return rc;
}

static int
scope_fields_ok(const iot_sigv4_request *r)
{
    return r->amz_date != NULL && strlen(r->amz_date) >= DATE_LEN
           && r->region != NULL && r->service != NULL;
}

/* Appends to out (caller-owned); r and canonical_request are borrowed. */
int
iot_sigv4_string_to_sign(iot_buf *out, const iot_sigv4_request *r,
                         const char *canonical_request, size_t creq_len)
{
    char hex[2 * SHA256_LEN + 1];
    size_t mark = out->len;
    int rc;

    if (!scope_fields_ok(r) || (canonical_request == NULL && creq_len > 0)) {
        rc = IOT_SIGV4_EINVAL;
        goto done;
    }
    if (iot_sigv4_sha256_hex(canonical_request, creq_len, hex) != 0) {
        rc = IOT_SIGV4_ECRYPTO;
        goto done;
    }
    if ((rc = iot_buf_append_str(out, ALGORITHM "\n")) != IOT_BUF_OK
        || (rc = iot_buf_append_str(out, r->amz_date)) != IOT_BUF_OK
        || (rc = iot_buf_append_char(out, '\n')) != IOT_BUF_OK
        || (rc = append_scope(out, r)) != IOT_BUF_OK
        || (rc = iot_buf_append_char(out, '\n')) != IOT_BUF_OK
        || (rc = iot_buf_append(out, hex, 2 * SHA256_LEN)) != IOT_BUF_OK)
    {
        rollback(out, mark);
    }
done:
    return rc;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request"). */
static int
derive_key(const iot_sigv4_request *r, unsigned char key[SHA256_LEN])
{
    unsigned char k1[SHA256_LEN];
    unsigned char k2[SHA256_LEN];
    size_t secret_len = strlen(r->secret_key);
    size_t seed_len = 0;
    char *seed = NULL;
    int rc = IOT_SIGV4_ECRYPTO;

    if (secret_len > SIZE_MAX - 4) {
        rc = IOT_BUF_ETOOBIG;
        goto done;
    }
    seed_len = 4 + secret_len;
    seed = malloc(seed_len);
    if (seed == NULL) {
        rc = IOT_BUF_ENOMEM;
        goto done;
    }
    memcpy(seed, "AWS4", 4);
    memcpy(seed + 4, r->secret_key, secret_len);
    if (hmac_sha256(seed, seed_len, r->amz_date, DATE_LEN, k1) != 0
        || hmac_sha256(k1, SHA256_LEN, r->region, strlen(r->region), k2) != 0
        || hmac_sha256(k2, SHA256_LEN, r->service, strlen(r->service), k1) != 0
        || hmac_sha256(k1, SHA256_LEN, TERMINATOR, strlen(TERMINATOR), key)
           != 0)
    {
        goto done;
    }
    rc = IOT_BUF_OK;
done:
    if (seed != NULL) {
        OPENSSL_cleanse(seed, seed_len);
        free(seed);
    }
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    return rc;
}

/* The signing key, from the cache when it holds this (date, region,
 * service, secret), else derived and, if it fits, stored in the cache. */
static int
signing_key(const iot_sigv4_request *r, iot_sigv4_key_cache *cache,
            unsigned char key[SHA256_LEN])
{
    unsigned char secret_sha[SHA256_LEN];
    size_t region_len = strlen(r->region);
    size_t service_len = strlen(r->service);
    int cacheable;
    int rc;

    cacheable = cache != NULL && region_len < sizeof(cache->region)
                && service_len < sizeof(cache->service);
    if (cacheable) {
        if (sha256(r->secret_key, strlen(r->secret_key), secret_sha) != 0) {
            rc = IOT_SIGV4_ECRYPTO;
            goto done;
        }
        if (cache->valid
            && memcmp(cache->date, r->amz_date, DATE_LEN) == 0
            && strcmp(cache->region, r->region) == 0
            && strcmp(cache->service, r->service) == 0
            && CRYPTO_memcmp(cache->secret_sha, secret_sha, SHA256_LEN) == 0)
        {
            memcpy(key, cache->key, SHA256_LEN);
            rc = IOT_BUF_OK;
            goto done;
        }
    }
    rc = derive_key(r, key);
    if (rc != IOT_BUF_OK) {
        goto done;
    }
    if (cacheable) {
        memcpy(cache->date, r->amz_date, DATE_LEN);
        cache->date[DATE_LEN] = '\0';
        memcpy(cache->region, r->region, region_len + 1);
        memcpy(cache->service, r->service, service_len + 1);
        memcpy(cache->secret_sha, secret_sha, SHA256_LEN);
        memcpy(cache->key, key, SHA256_LEN);
        cache->valid = 1;
    }
done:
    OPENSSL_cleanse(secret_sha, sizeof(secret_sha));
    return rc;
}

/* Appends to out (caller-owned); r is borrowed for the call; cache, when
 * not NULL, is owned by the caller and updated in place (one thread at a
 * time). */
int
iot_sigv4_sign(iot_buf *out, const iot_sigv4_request *r,
               iot_sigv4_key_cache *cache)
{
    unsigned char key[SHA256_LEN];
    unsigned char sig[SHA256_LEN];
    char sig_hex[2 * SHA256_LEN + 1];
    iot_buf creq, signed_headers, sts;
    size_t mark = out->len;
    int rc;

    iot_buf_init(&creq, 0);
    iot_buf_init(&signed_headers, 0);
    iot_buf_init(&sts, 0);
    memset(key, 0, sizeof(key));

    if (r->access_key == NULL || r->secret_key == NULL
        || !scope_fields_ok(r))
    {
        rc = IOT_SIGV4_EINVAL;
        goto done;
    }
    rc = build_canonical(&creq, &signed_headers, r);
    if (rc != IOT_BUF_OK) {
        goto done;
    }
    rc = iot_sigv4_string_to_sign(&sts, r, creq.data, creq.len);
    if (rc != IOT_BUF_OK) {
        goto done;
    }
    rc = signing_key(r, cache, key);
    if (rc != IOT_BUF_OK) {
        goto done;
    }
    if (hmac_sha256(key, SHA256_LEN, sts.data, sts.len, sig) != 0) {
        rc = IOT_SIGV4_ECRYPTO;
        goto done;
    }
    to_hex(sig, SHA256_LEN, sig_hex);

    if ((rc = iot_buf_append_str(out, ALGORITHM " Credential=")) != IOT_BUF_OK
        || (rc = iot_buf_append_str(out, r->access_key)) != IOT_BUF_OK
        || (rc = iot_buf_append_char(out, '/')) != IOT_BUF_OK
        || (rc = append_scope(out, r)) != IOT_BUF_OK
        || (rc = iot_buf_append_str(out, ", SignedHeaders=")) != IOT_BUF_OK
        || (rc = iot_buf_append(out, signed_headers.data, signed_headers.len))
               != IOT_BUF_OK
        || (rc = iot_buf_append_str(out, ", Signature=")) != IOT_BUF_OK
        || (rc = iot_buf_append(out, sig_hex, 2 * SHA256_LEN)) != IOT_BUF_OK)
    {
        rollback(out, mark);
    }
done:
    OPENSSL_cleanse(key, sizeof(key));
    iot_buf_free(&creq);
    iot_buf_free(&signed_headers);
    iot_buf_free(&sts);
    return rc;
}
