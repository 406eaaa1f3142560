/* timeconv.h - epoch seconds -> tz-aware datetime, in C.
 *
 * timeconv.c is the only file that includes datetime.h. It reproduces
 * datetime.fromtimestamp(value, tz) for the two zones iotpager offers:
 *
 *   IOT_TZ_LOCAL  dateutil.tz.tzlocal(), as botocore's parse_timestamp uses
 *                 it: the same wall time, the same fold, the same
 *                 round-half-even microseconds.
 *   IOT_TZ_UTC    datetime.timezone.utc.
 *
 * Values it cannot reproduce exactly (years near the ends of datetime's
 * range, NaN, out-of-range time_t, localtime() failures) are reported as
 * IOT_TIME_FALLBACK; the caller then asks botocore's Python parser, so the
 * result or the exception is botocore's own.
 */
#ifndef IOT_TIMECONV_H
#define IOT_TIMECONV_H

#include <Python.h>
#include <stdint.h>

#define IOT_TZ_LOCAL 0
#define IOT_TZ_UTC 1
#define IOT_TZ_RAW 2   /* no datetime: the value as json.loads gives it (the CLI) */

typedef struct {
    int mode;            /* IOT_TZ_LOCAL or IOT_TZ_UTC */
    PyObject *tzinfo;    /* strong reference, owned by the holder of this struct */
    long std_offset;     /* tzlocal._std_offset in seconds */
    long dst_offset;     /* tzlocal._dst_offset in seconds */
    int hasdst;          /* tzlocal._hasdst */
    long timezone;       /* time.timezone when the zone was captured */
} iot_tz;

/* Import the datetime C API. 0, or -1 with an exception set. */
int iot_time_init(void);

/* Fill tz from a tzinfo object: for IOT_TZ_LOCAL, a dateutil tzlocal
 * instance (its offsets are read once here); for IOT_TZ_UTC,
 * datetime.timezone.utc. Takes a new reference to tzinfo.
 * 0, or -1 with an exception set. */
int iot_tz_setup(iot_tz *tz, int mode, PyObject *tzinfo);
void iot_tz_clear(iot_tz *tz);

/* The datetime for an epoch value. *out gets a new reference on success.
 * Returns 0 on success, IOT_TIME_FALLBACK when the value must go through
 * Python (no exception set), or -1 with an exception set. */
#define IOT_TIME_FALLBACK 1
int iot_time_from_int(const iot_tz *tz, int64_t secs, PyObject **out);
int iot_time_from_double(const iot_tz *tz, double value, PyObject **out);

#endif
