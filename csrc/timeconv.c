/* timeconv.c - see timeconv.h. The only file that includes datetime.h. */
#define PY_SSIZE_T_CLEAN
#include "timeconv.h"

#include <datetime.h>
#include <math.h>
#include <time.h>

/* datetime's range is years 1..9999; keep a day's margin at both ends so
 * that no UTC offset can leave it. Outside: botocore's own path. */
#define MIN_SECS (-62135596800LL + 86400LL * 2)   /* 0001-01-03 */
#define MAX_SECS (253402300799LL - 86400LL * 2)   /* 9999-12-29 */

int
iot_time_init(void)
{
    PyDateTime_IMPORT;
    return PyDateTimeAPI == NULL ? -1 : 0;
}

static int
get_seconds_attr(PyObject *obj, const char *name, long *out)
{
    PyObject *td = NULL, *secs = NULL;
    int rc = -1;

    td = PyObject_GetAttrString(obj, name);
    if (td == NULL) {
        goto done;
    }
    secs = PyObject_CallMethod(td, "total_seconds", NULL);
    if (secs == NULL) {
        goto done;
    }
    *out = (long)PyFloat_AsDouble(secs);
    if (*out == -1 && PyErr_Occurred()) {
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(td);
    Py_XDECREF(secs);
    return rc;
}

int
iot_tz_setup(iot_tz *tz, int mode, PyObject *tzinfo)
{
    PyObject *timemod = NULL, *tzattr = NULL, *hasdst = NULL;
    int rc = -1;

    tz->mode = mode;
    tz->tzinfo = NULL;
    tz->std_offset = tz->dst_offset = tz->timezone = 0;
    tz->hasdst = 0;
    if (mode == IOT_TZ_LOCAL) {
        if (get_seconds_attr(tzinfo, "_std_offset", &tz->std_offset) < 0 ||
            get_seconds_attr(tzinfo, "_dst_offset", &tz->dst_offset) < 0) {
            goto done;
        }
        hasdst = PyObject_GetAttrString(tzinfo, "_hasdst");
        if (hasdst == NULL) {
            goto done;
        }
        tz->hasdst = PyObject_IsTrue(hasdst);
        if (tz->hasdst < 0) {
            goto done;
        }
        timemod = PyImport_ImportModule("time");
        if (timemod == NULL) {
            goto done;
        }
        tzattr = PyObject_GetAttrString(timemod, "timezone");
        if (tzattr == NULL) {
            goto done;
        }
        tz->timezone = PyLong_AsLong(tzattr);
        if (tz->timezone == -1 && PyErr_Occurred()) {
            goto done;
        }
    }
    Py_INCREF(tzinfo);
    tz->tzinfo = tzinfo;
    rc = 0;
done:
    Py_XDECREF(timemod);
    Py_XDECREF(tzattr);
    Py_XDECREF(hasdst);
    return rc;
}

void
iot_tz_clear(iot_tz *tz)
{
    Py_CLEAR(tz->tzinfo);
}

/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm). */
static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, yoe, doy, mp, yy;
    unsigned doe;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

/* dateutil's tzlocal._naive_is_dst for the naive wall time `wall` seconds
 * plus `us` microseconds: time.localtime(total_seconds + time.timezone).
 * The float arithmetic is CPython's: total microseconds / 1e6 as a double,
 * plus the offset, floored. 1 / 0, or -1 when localtime fails. */
static int
naive_is_dst(const iot_tz *tz, int64_t wall, long us)
{
    struct tm tm;
    double ts = (double)(wall * 1000000LL + us) / 1e6 + (double)tz->timezone;
    time_t t = (time_t)floor(ts);

    if (localtime_r(&t, &tm) == NULL) {
        return -1;
    }
    return tm.tm_isdst > 0;
}

/* tzlocal.is_ambiguous(wall). 1 / 0, or -1 on failure. */
static int
is_ambiguous(const iot_tz *tz, int64_t wall, long us, int n_wall)
{
    int n_prev;
    if (n_wall) {
        return 0;
    }
    n_prev = naive_is_dst(tz, wall - (tz->dst_offset - tz->std_offset), us);
    if (n_prev < 0) {
        return -1;
    }
    return n_prev != 0;
}

/* UTC seconds + us -> local wall seconds and fold, as dateutil's
 * _tzinfo.fromutc does for tzlocal. 0, or IOT_TIME_FALLBACK. */
static int
local_wall(const iot_tz *tz, int64_t utc, long us, int64_t *wall, int *fold)
{
    int64_t w1, w2, saved = tz->dst_offset - tz->std_offset;
    int n1, amb1, isdst1, n2, amb2;

    w1 = utc + tz->std_offset;          /* dt + (utcoffset - dst) */
    *fold = 0;
    if (!tz->hasdst) {                  /* _isdst() is False; never ambiguous */
        *wall = w1;
        return 0;
    }
    n1 = naive_is_dst(tz, w1, us);
    if (n1 < 0 || (amb1 = is_ambiguous(tz, w1, us, n1)) < 0) {
        return IOT_TIME_FALLBACK;
    }
    isdst1 = amb1 ? 0 : n1;             /* enfold(dt, fold=1).dst(): in the fold, not DST */
    w2 = w1 + (isdst1 ? saved : 0);
    n2 = (w2 == w1) ? n1 : naive_is_dst(tz, w2, us);
    if (n2 < 0 || (amb2 = is_ambiguous(tz, w2, us, n2)) < 0) {
        return IOT_TIME_FALLBACK;
    }
    /* _fold_status: fold = (dt_wall - dt_utc == utcoffset - dst) = !isdst1 */
    *fold = amb2 ? !isdst1 : 0;
    *wall = w2;
    return 0;
}

static int
build(const iot_tz *tz, int64_t secs, long us, PyObject **out)
{
    int64_t wall = secs, days, rem;
    int fold = 0, y, mo, d;

    if (secs < MIN_SECS || secs > MAX_SECS) {
        return IOT_TIME_FALLBACK;
    }
    if (tz->mode == IOT_TZ_LOCAL && local_wall(tz, secs, us, &wall, &fold)) {
        return IOT_TIME_FALLBACK;
    }
    days = wall / 86400;
    rem = wall % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    civil_from_days(days, &y, &mo, &d);
    *out = PyDateTimeAPI->DateTime_FromDateAndTimeAndFold(
        y, mo, d, (int)(rem / 3600), (int)(rem % 3600 / 60), (int)(rem % 60),
        (int)us, tz->tzinfo, fold, PyDateTimeAPI->DateTimeType);
    return *out == NULL ? -1 : 0;
}

int
iot_time_from_int(const iot_tz *tz, int64_t secs, PyObject **out)
{
    return build(tz, secs, 0, out);
}

/* CPython's _PyTime_RoundHalfEven. */
static double
round_half_even(double x)
{
    double rounded = round(x);
    if (fabs(x - rounded) == 0.5) {
        rounded = 2.0 * round(x / 2.0);
    }
    return rounded;
}

int
iot_time_from_double(const iot_tz *tz, double value, PyObject **out)
{
    double intpart, floatpart;

    if (!isfinite(value)) {
        return IOT_TIME_FALLBACK;
    }
    /* _PyTime_DoubleToDenominator(value, 1e6, ROUND_HALF_EVEN) */
    floatpart = modf(value, &intpart);
    floatpart = round_half_even(floatpart * 1e6);
    if (floatpart >= 1e6) {
        floatpart -= 1e6;
        intpart += 1.0;
    }
    else if (floatpart < 0) {
        floatpart += 1e6;
        intpart -= 1.0;
    }
    if (intpart < (double)MIN_SECS || intpart > (double)MAX_SECS) {
        return IOT_TIME_FALLBACK;
    }
    return build(tz, (int64_t)intpart, (long)floatpart, out);
}
