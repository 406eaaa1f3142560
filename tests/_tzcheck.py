"""Timestamp parity worker, run in a subprocess with TZ set (tests/test_timestamps.py).

It builds one ListJobs body holding every value as a job's createdAt, parses
the same bytes with botocore's RestJSONParser and with iotpager's C builder
(_core.parse_page), and compares every datetime: tzinfo type, wall time,
fold, utcoffset and tzname; or, where botocore raises, the same exception.
Prints a JSON summary; exits 1 on any mismatch.
"""

import calendar
import json
import random
import sys
import time

import boto3
import botocore.parsers
from dateutil.tz import tzlocal

from iotpager import _core
from iotpager._controller import Controller


def values(seed):
    rnd = random.Random(seed)
    out = [0, 1, -1, 0.5, -0.5, 1e-7, -1e-7, 0.0000005, 1.0000005, 1700000000.0000005,
           1699162200, 1699165800, 1699165799.9999995, 86399.9999995, -86400.0000005]
    # uniform ints and floats, 1901..2100
    for _ in range(1500):
        out.append(rnd.randint(-2**31, 4102444800))
        out.append(rnd.uniform(-2**31, 4102444800))
    # exact half-microsecond ties after the float multiply
    for _ in range(1500):
        n = rnd.randint(-2**31, 2**32)
        k = rnd.randint(0, 999999)
        out.append(n + (k + 0.5) / 1e6)
    # far dates: years 1..9999 and beyond the edges (botocore's own paths)
    for _ in range(400):
        out.append(rnd.randint(-62135596800 - 86400 * 3, 253402300799 + 86400 * 3))
        out.append(rnd.uniform(-62135596800.0, 253402300799.0))
    out += [-62135596800, -62135596799.5, 253402300799, 253402300799.999999, 10**20, -10**20,
            1e20, 2**63, 2**64 + 1]
    # every DST change from 1940 to 2040 in this zone, +-3 hours in steps
    years = range(1940, 2041)
    for y in years:
        for month in range(1, 13):
            t = calendar.timegm((y, month, 1, 0, 0, 0))
            a = time.localtime(t).tm_isdst
            b = time.localtime(t + 31 * 86400).tm_isdst
            if a == b:
                continue
            lo, hi = t, t + 31 * 86400
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if time.localtime(mid).tm_isdst == a:
                    lo = mid
                else:
                    hi = mid
            for d in range(-3 * 3600, 3 * 3600 + 1, 900):
                out.append(hi + d)
                out.append(hi + d + rnd.random())
            out += [hi - 1, hi, hi + 1, hi - 0.5, hi + 0.0000005]
    return out


def describe(dt):
    return [type(dt.tzinfo).__name__, dt.replace(tzinfo=None).isoformat(), dt.fold,
            str(dt.utcoffset()), dt.tzname()]


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    client = boto3.client("iot", region_name="us-east-1", aws_access_key_id="a",
                          aws_secret_access_key="b", endpoint_url="http://127.0.0.1:9")
    controller = Controller(client, "local")
    parser = botocore.parsers.create_parser("rest-json")
    shape = client.meta.service_model.operation_model("ListJobs").output_shape
    vals = values(seed)
    checked = mismatches = raised = 0
    examples = []
    # one body per value, so a value botocore rejects does not hide the others
    for v in vals:
        body = json.dumps({"jobs": [{"jobId": "j", "createdAt": v}]}).encode()
        try:
            want = parser.parse({"status_code": 200, "headers": {}, "body": body},
                                shape)["jobs"][0]["createdAt"]
            want_d = describe(want)
        except Exception as exc:  # botocore's own error
            want_d = ["raises", type(exc).__name__, str(exc)]
        try:
            got = _core.parse_page(body, controller, _core.TZ_LOCAL, tzlocal())["jobs"][0]["createdAt"]
            got_d = describe(got)
        except Exception as exc:
            got_d = ["raises", type(exc).__name__, str(exc)]
        checked += 1
        if want_d[0] == "raises":
            raised += 1
        if want_d != got_d:
            mismatches += 1
            if len(examples) < 10:
                examples.append({"value": repr(v), "botocore": want_d, "iotpager": got_d})
    print(json.dumps({"checked": checked, "mismatches": mismatches, "botocore_raised": raised,
                      "examples": examples}))
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
