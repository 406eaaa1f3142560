/* sigv4.h - AWS Signature Version 4 (header signing), over OpenSSL libcrypto.
 *
 * No Python. The caller passes everything the signature depends on,
 * including the X-Amz-Date value; nothing here reads a clock or the
 * environment. Strings are NUL-terminated and borrowed for the call.
 */
#ifndef IOT_SIGV4_H
#define IOT_SIGV4_H

#include <stddef.h>
#include "buf.h"

/* Return codes besides IOT_BUF_OK, IOT_BUF_ENOMEM and IOT_BUF_ETOOBIG. */
#define IOT_SIGV4_ECRYPTO (-3)  /* libcrypto failed */
#define IOT_SIGV4_EINVAL (-4)   /* a required field is NULL, or amz_date is
                                 * shorter than its 8-character date */

typedef struct {
    const char *name;   /* any case; lower-cased for signing */
    const char *value;  /* trimmed, inner runs of spaces and line folds collapsed to one space */
} iot_sigv4_header;

typedef struct {
    const char *method;            /* "GET" */
    const char *canonical_uri;     /* already canonical, e.g. "/jobs" (see iot_uri_canonical_path) */
    const char *canonical_query;   /* already canonical (see iot_uri_canonical_query); "" if none */
    const iot_sigv4_header *headers; /* every header to sign, host and x-amz-date included */
    size_t nheaders;               /* duplicates are merged in order, joined by ',' */
    const char *payload_hash;      /* lower-case hex SHA-256 of the body */
    const char *access_key;
    const char *secret_key;
    const char *region;
    const char *service;
    const char *amz_date;          /* "YYYYMMDDTHHMMSSZ"; its first 8 chars are the scope date */
} iot_sigv4_request;

/* Signing-key cache: the derived key for one (date, region, service, secret).
 * Zero-initialise it; iot_sigv4_sign refreshes it when any of the four
 * changes. The secret itself is not kept, only its SHA-256. */
typedef struct {
    int valid;
    char date[9];
    char region[64];
    char service[64];
    unsigned char secret_sha[32];
    unsigned char key[32];
} iot_sigv4_key_cache;

/* Lower-case hex SHA-256 of data into hex[65] (NUL-terminated). 0 or -1. */
int iot_sigv4_sha256_hex(const void *data, size_t n, char hex[65]);

/* The canonical request (appended to out). */
int iot_sigv4_canonical_request(iot_buf *out, const iot_sigv4_request *r);

/* The string to sign for a canonical request (appended to out). */
int iot_sigv4_string_to_sign(iot_buf *out, const iot_sigv4_request *r,
                             const char *canonical_request, size_t creq_len);

/* The Authorization header value, appended to out:
 * "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 *  SignedHeaders=a;b, Signature=hex" (one line, ", " separators).
 * cache may be NULL. Returns 0, or a negative IOT_BUF_* code, or -3 when
 * libcrypto fails. */
int iot_sigv4_sign(iot_buf *out, const iot_sigv4_request *r, iot_sigv4_key_cache *cache);

#endif
