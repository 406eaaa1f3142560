/* http_tool.c - drive one iot_http from the command line, for
 * tests/test_http_c.py.
 *
 *   http_tool [--read-timeout-ms N] [--connect-timeout-ms N] [--max-body N]
 *             [--step-ms N] [--wakeup-after-ms N] [--proxy URL]
 *             [--header "Name: value"]... URL [URL ...]
 *
 * GETs each URL in order on ONE iot_http, stepping in --step-ms slices
 * (default 50), with the --header lines on every request, and prints one
 * JSON object per URL:
 *
 *   {"status": 200, "error_kind": 0, "curl_code": 0, "message": "",
 *    "headers": [["Name", "value"], ...], "body_len": 5,
 *    "body_sha256": "<hex>", "body": "<text>" or null, "elapsed_ms": 12,
 *    "total_seconds": 0.012}
 *
 * error_kind is the iot_http_error number. Strings carry each byte as the
 * code point of the same value (U+0000-U+00FF), so the test recovers the
 * bytes with .encode("latin-1"). "body" is given for bodies up to
 * BODY_TEXT_MAX bytes.
 *
 * Without --proxy, no proxy is used (the environment is ignored).
 *
 * --wakeup-after-ms N: a second thread calls iot_http_wakeup after N ms;
 * the main thread then aborts the transfer in progress, as the Python side
 * does when a signal arrives.
 *
 * Exit status: 0 once every URL was tried, 2 on a usage or setup error.
 */
#include "http.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BODY_TEXT_MAX 1024

typedef struct {
    iot_http *http;
    long after_ms;
    atomic_int fired;
} waker;

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *
waker_main(void *arg)
{
    waker *w = arg;
    struct timespec ts;

    ts.tv_sec = w->after_ms / 1000;
    ts.tv_nsec = (w->after_ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
    atomic_store(&w->fired, 1);
    iot_http_wakeup(w->http);
    return NULL;
}

static void
put_json_string(const char *s, size_t n)
{
    size_t i;

    putchar('"');
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        }
        else if (c < 0x20 || c >= 0x7f) {
            printf("\\u%04x", c);
        }
        else {
            putchar(c);
        }
    }
    putchar('"');
}

static void
put_result(iot_http *h, double elapsed_ms)
{
    const iot_http_header *hd = iot_http_headers(h);
    size_t i, nh = iot_http_header_count(h);
    const iot_buf *body = iot_http_body(h);
    const char *msg = iot_http_error_message(h);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    printf("{\"status\": %ld, \"error_kind\": %d, \"curl_code\": %d, "
           "\"message\": ",
           iot_http_status(h), (int)iot_http_error_kind(h),
           iot_http_curl_code(h));
    put_json_string(msg, strlen(msg));
    printf(", \"headers\": [");
    for (i = 0; i < nh; i++) {
        printf(i ? ", [" : "[");
        put_json_string(hd[i].name, hd[i].name_len);
        printf(", ");
        put_json_string(hd[i].value, hd[i].value_len);
        printf("]");
    }
    printf("], \"body_len\": %zu, \"body_sha256\": \"", body->len);
    /* An empty body may have no data pointer yet. */
    EVP_Digest(body->data ? body->data : "", body->len, md, &mdlen,
               EVP_sha256(), NULL);
    for (i = 0; i < mdlen; i++) {
        printf("%02x", md[i]);
    }
    printf("\", \"body\": ");
    if (body->len <= BODY_TEXT_MAX) {
        put_json_string(body->data ? body->data : "", body->len);
    }
    else {
        printf("null");
    }
    printf(", \"elapsed_ms\": %.1f, \"total_seconds\": %.6f}\n", elapsed_ms,
           iot_http_total_seconds(h));
    fflush(stdout);
}

static int
parse_long(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < 0) {
        return -1;
    }
    *out = v;
    return 0;
}

int
main(int argc, char **argv)
{
    iot_http_config cfg = {0};
    iot_http *h = NULL;
    const char **headers = NULL;
    size_t nheaders = 0;
    waker w = {NULL, -1, 0};
    pthread_t thread;
    int have_thread = 0, status = 2, argi = 1, r;
    long step_ms = 50, pause_ms = 0, v;
    double t0 = 0;

    cfg.verify = 1;
    cfg.proxy = "";
    headers = malloc((size_t)argc * sizeof(*headers));
    if (headers == NULL) {
        goto done;
    }
    for (; argi + 1 < argc && strncmp(argv[argi], "--", 2) == 0; argi += 2) {
        const char *opt = argv[argi];
        if (strcmp(opt, "--header") == 0) {
            headers[nheaders++] = argv[argi + 1];
            continue;
        }
        if (strcmp(opt, "--proxy") == 0) {
            cfg.proxy = argv[argi + 1];
            continue;
        }
        if (parse_long(argv[argi + 1], &v) < 0) {
            goto usage;
        }
        if (strcmp(opt, "--read-timeout-ms") == 0) {
            cfg.read_timeout_ms = v;
        }
        else if (strcmp(opt, "--connect-timeout-ms") == 0) {
            cfg.connect_timeout_ms = v;
        }
        else if (strcmp(opt, "--max-body") == 0) {
            cfg.max_body = (size_t)v;
        }
        else if (strcmp(opt, "--step-ms") == 0) {
            step_ms = v;
        }
        else if (strcmp(opt, "--wakeup-after-ms") == 0) {
            w.after_ms = v;
        }
        else if (strcmp(opt, "--pause-ms") == 0) {
            pause_ms = v;
        }
        else {
            goto usage;
        }
    }
    if (argi >= argc) {
        goto usage;
    }
    if (iot_http_global_init() < 0) {
        fprintf(stderr, "http_tool: curl_global_init failed\n");
        goto done;
    }
    h = iot_http_new(&cfg);
    if (h == NULL) {
        fprintf(stderr, "http_tool: iot_http_new failed\n");
        goto done;
    }
    if (w.after_ms >= 0) {
        w.http = h;
        if (pthread_create(&thread, NULL, waker_main, &w) != 0) {
            fprintf(stderr, "http_tool: pthread_create failed\n");
            goto done;
        }
        have_thread = 1;
    }
    for (; argi < argc; argi++) {
        if (pause_ms > 0 && t0 > 0) {
            struct timespec ps;
            ps.tv_sec = pause_ms / 1000;
            ps.tv_nsec = (pause_ms % 1000) * 1000000L;
            nanosleep(&ps, NULL);
        }
        t0 = now_ms();
        if (iot_http_start(h, argv[argi], headers, nheaders) == 0) {
            while ((r = iot_http_step(h, (int)step_ms)) == IOT_HTTP_RUNNING) {
                if (atomic_exchange(&w.fired, 0)) {
                    iot_http_abort(h);
                    break;
                }
            }
        }
        put_result(h, now_ms() - t0);
    }
    status = 0;
    goto done;

usage:
    fprintf(stderr,
            "usage: http_tool [--read-timeout-ms N] [--connect-timeout-ms N]"
            " [--max-body N] [--step-ms N] [--wakeup-after-ms N]"
            " [--proxy URL] [--header 'Name: value']... URL [URL ...]\n");
done:
    if (have_thread) {
        pthread_join(thread, NULL);
    }
    iot_http_free(h);
    free(headers);
    curl_global_cleanup();
    return status;
}
