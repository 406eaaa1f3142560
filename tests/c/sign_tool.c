/* sign_tool.c - sign one GET with uri.c and sigv4.c, for the botocore
 * parity tests (tests/test_sigv4_c.py).
 *
 *   sign_tool ACCESS_KEY SECRET TOKEN|- REGION SERVICE AMZ_DATE HOST PATH
 *             [KEY=VALUE ...]
 *
 * KEY=VALUE are raw (not encoded) query parameters, split at the first
 * '='; a KEY without '=' has the value "". Signed headers: host,
 * x-amz-date, and x-amz-security-token when TOKEN is not "-". The payload
 * is empty. Prints three lines:
 *   the canonical query (also the URL's query),
 *   the lower-case hex SHA-256 of the canonical request,
 *   the Authorization header value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sigv4.h"
#include "uri.h"

#define FIXED_ARGS 9

int
main(int argc, char **argv)
{
    iot_uri_param *params = NULL;
    iot_sigv4_header headers[3];
    iot_sigv4_request r;
    iot_sigv4_key_cache cache;
    iot_buf path, query, creq, auth, again;
    char empty_hash[65];
    char creq_hash[65];
    size_t nparams = 0, nheaders = 0;
    int i, rc = 2;

    iot_buf_init(&path, 0);
    iot_buf_init(&query, 0);
    iot_buf_init(&creq, 0);
    iot_buf_init(&auth, 0);
    iot_buf_init(&again, 0);
    memset(&cache, 0, sizeof(cache));
    if (argc < FIXED_ARGS) {
        fprintf(stderr, "usage: %s ACCESS_KEY SECRET TOKEN|- REGION SERVICE "
                "AMZ_DATE HOST PATH [KEY=VALUE ...]\n", argv[0]);
        goto done;
    }

    params = calloc((size_t)(argc - FIXED_ARGS) + 1, sizeof(*params));
    if (params == NULL) {
        fprintf(stderr, "sign_tool: out of memory\n");
        goto done;
    }
    for (i = FIXED_ARGS; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        params[nparams].key = argv[i];
        params[nparams].key_len =
            eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
        params[nparams].value = eq ? eq + 1 : "";
        params[nparams].value_len = strlen(params[nparams].value);
        nparams++;
    }
    if (iot_uri_canonical_query(&query, params, nparams) != IOT_BUF_OK
        || iot_uri_canonical_path(&path, argv[8], strlen(argv[8]), 1)
           != IOT_BUF_OK
        || iot_sigv4_sha256_hex("", 0, empty_hash) != 0)
    {
        fprintf(stderr, "sign_tool: uri/sha256 failed\n");
        goto done;
    }

    headers[nheaders].name = "host";
    headers[nheaders++].value = argv[7];
    headers[nheaders].name = "x-amz-date";
    headers[nheaders++].value = argv[6];
    if (strcmp(argv[3], "-") != 0) {
        headers[nheaders].name = "x-amz-security-token";
        headers[nheaders++].value = argv[3];
    }

    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.canonical_uri = path.data;
    r.canonical_query = query.data;
    r.headers = headers;
    r.nheaders = nheaders;
    r.payload_hash = empty_hash;
    r.access_key = argv[1];
    r.secret_key = argv[2];
    r.region = argv[4];
    r.service = argv[5];
    r.amz_date = argv[6];

    if (iot_sigv4_canonical_request(&creq, &r) != IOT_BUF_OK
        || iot_sigv4_sha256_hex(creq.data, creq.len, creq_hash) != 0
        || iot_sigv4_sign(&auth, &r, NULL) != IOT_BUF_OK)
    {
        fprintf(stderr, "sign_tool: signing failed\n");
        goto done;
    }
    /* The key cache, missed then hit, must sign the same. */
    for (i = 0; i < 2; i++) {
        iot_buf_reset(&again);
        if (iot_sigv4_sign(&again, &r, &cache) != IOT_BUF_OK
            || strcmp(again.data, auth.data) != 0)
        {
            fprintf(stderr, "sign_tool: signing with the key cache differs\n");
            goto done;
        }
    }
    printf("%s\n%s\n%s\n", query.data, creq_hash, auth.data);
    rc = 0;
done:
    free(params);
    iot_buf_free(&path);
    iot_buf_free(&query);
    iot_buf_free(&creq);
    iot_buf_free(&auth);
    iot_buf_free(&again);
    return rc;
}
