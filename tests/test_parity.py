"""Page fidelity: iotpager against botocore on the same HTTP responses.

Every test runs boto3's own ``client.get_paginator("list_jobs")`` (or
``client.list_jobs``) and iotpager against the same local endpoint
(iotpager.testing.server) in deterministic mode, so that the same request
gets a byte-identical response, and compares the results WHOLE with
``_compare.canon`` (exact types, dict key order, datetimes with tzinfo type,
fold, offset and name): pages including ResponseMetadata and HTTPHeaders,
resume tokens, exception classes, ``e.response`` and ``e.operation_name``.
botocore is always asked; nothing expected is hard-coded where botocore can
say it.

Scripted responses are served once per client (the same action queued
again before each client's listing), so both parse the same bytes.

The one deliberate difference (a 2xx body that is not a ListJobs page raises
iotpager.InvalidResponseError) is tested as such in
test_not_a_page_is_invalid_response_error.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.credentials import (
    CredentialProvider,
    Credentials,
    ReadOnlyCredentials,
    RefreshableCredentials,
)
from botocore.exceptions import ClientError

import iotpager
from iotpager.testing import ListJobsServer, make_jobs
from iotpager.testing.server import DETERMINISTIC_DATE, FILTER_PARAMS

from _compare import assert_same, canon, describe_datetime, first_difference, to_utc, walk_datetimes
from conftest import AK, REGION, SK, TOKEN, make_boto_client, make_iot_paginator, no_retry_config

HERE = Path(__file__).resolve().parent
PYTHON_DIR = Path(iotpager.__file__).resolve().parent.parent   # the iotpager under test (installed or in place)


# ====================================================================== helpers

class Outcome:
    """What one client made of a listing: pages, the exception that ended it
    (or None), the resume token, and the requests the server saw."""

    def __init__(self, pages, error, resume_token, requests, connections):
        self.pages = pages
        self.error = error
        self.resume_token = resume_token
        self.requests = requests
        self.connections = connections
        self.unconsumed = 0

    def __repr__(self):
        return (f"Outcome({len(self.pages)} pages, error={self.error!r}, "
                f"{len(self.requests)} requests)")


def run_listing(srv, paginator, **kwargs):
    r0, c0 = len(srv.requests), srv.connections_accepted
    pages, error, resume, it = [], None, None, None
    try:
        it = paginator.paginate(**kwargs)
        for page in it:
            pages.append(page)
    except Exception as e:  # compared with botocore's below
        error = e
    else:
        resume = it.resume_token
    return Outcome(pages, error, resume, srv.requests[r0:], srv.connections_accepted - c0)


def both(srv, client, tz="local", **kwargs):
    """(botocore's outcome, iotpager's outcome) for the same listing."""
    want = run_listing(srv, client.get_paginator("list_jobs"), **kwargs)
    got = run_listing(srv, make_iot_paginator(client, tz=tz), **kwargs)
    return want, got


def scripted(srv, client, actions, tz="local", **kwargs):
    """Serve the same scripted actions to botocore, then to iotpager."""
    outcomes = []
    for paginator in (client.get_paginator("list_jobs"), make_iot_paginator(client, tz=tz)):
        srv.clear_script()
        srv.script(*actions)
        out = run_listing(srv, paginator, **kwargs)
        out.unconsumed = srv.clear_script()
        outcomes.append(out)
    return outcomes


def assert_same_error(want, got):
    if want is None and got is None:
        return
    assert want is not None and got is not None, f"botocore raised {want!r}, iotpager raised {got!r}"
    assert type(got).__name__ == type(want).__name__, (want, got)
    assert type(got).__module__ == type(want).__module__, (want, got)
    assert str(got) == str(want)
    if isinstance(want, ClientError):
        assert isinstance(got, ClientError)
        assert got.operation_name == want.operation_name
        assert_same(want.response, got.response, "e.response")


def assert_same_outcome(want, got):
    assert_same_error(want.error, got.error)
    assert_same(want.pages, got.pages, "pages")
    assert got.resume_token == want.resume_token
    assert got.unconsumed == want.unconsumed, "the clients made a different number of requests"


def query_pairs(path):
    query = path.partition("?")[2]
    return sorted(query.split("&")) if query else []


def assert_same_requests(want, got):
    """Same requests in the same sequence: path, decoded query and the exact
    percent-encoding of each name=value pair (the order of pairs may differ)."""
    assert len(got.requests) == len(want.requests), (
        [r["path"] for r in want.requests], [r["path"] for r in got.requests])
    for w, g in zip(want.requests, got.requests):
        assert g["method"] == w["method"] == "GET"
        assert g["path"].partition("?")[0] == w["path"].partition("?")[0]
        assert g["query"] == w["query"]
        assert query_pairs(g["path"]) == query_pairs(w["path"]), (w["path"], g["path"])


def assert_signed(*outcomes):
    for out in outcomes:
        bad = [(r["path"], r["signature_error"]) for r in out.requests if r["signature_ok"] is not True]
        assert not bad, bad


def assert_tokens_forwarded(out):
    """Each request after the first carries the previous page's nextToken, intact
    (the server decoded it back to the same str)."""
    for page, req in zip(out.pages, out.requests[1:]):
        assert req["query"].get("nextToken") == page["nextToken"]


def subprocess_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    paths = [str(HERE), str(PYTHON_DIR)] + [p for p in sys.path if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra)
    return env


# ====================================================================== the comparison itself

def test_canon_sees_what_equality_does_not():
    """canon() must tell apart what == lets through, or the parity tests prove nothing."""
    from dateutil.tz import tzlocal, tzutc

    assert {"a": 1, "b": 2} == {"b": 2, "a": 1}
    assert canon({"a": 1, "b": 2}) != canon({"b": 2, "a": 1})
    assert canon([1]) != canon([1.0]) and canon([1]) != canon([True]) and canon(0.0) != canon(-0.0)
    assert canon("a") != canon(b"a") and canon([]) != canon(()) and canon(None) != canon("None")
    assert canon(float("nan")) == canon(float("nan"))
    utc = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone.utc)
    assert utc == utc.astimezone(tzutc()) and canon(utc) != canon(utc.astimezone(tzutc()))
    assert canon(utc.astimezone(tzutc())) == canon(utc.astimezone(tzutc()))
    # a fold: same wall time, other instant; and the same instant in two tzinfo objects
    ny = tzlocal()
    a = datetime.datetime(2021, 11, 7, 1, 30, tzinfo=ny)
    assert canon(a) != canon(a.replace(fold=1))
    assert canon(a) == canon(datetime.datetime(2021, 11, 7, 1, 30, tzinfo=tzlocal()))
    assert canon(utc) != canon(utc.replace(tzinfo=None))
    assert first_difference({"x": [1, {"y": 2}]}, {"x": [1, {"y": 2.0}]}) == "$.x[1].y: type builtins.int != builtins.float (2 vs 2.0)"
    assert "another order" in first_difference({"a": 1, "b": 2}, {"b": 2, "a": 1})
    with pytest.raises(AssertionError, match=r"\$\.jobs\[0\]"):
        assert_same({"jobs": [True]}, {"jobs": [1]})


# ====================================================================== the server itself

def _raw_get(port, target):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", target, headers={"Host": f"127.0.0.1:{port}"})
    resp = conn.getresponse()
    data = (resp.status, resp.getheaders(), resp.read())
    conn.close()
    return data


def test_deterministic_server_repeats_responses_byte_for_byte():
    with ListJobsServer(n_jobs=30, deterministic=True) as det, ListJobsServer(n_jobs=30) as plain:
        a = _raw_get(det.port, "/jobs?maxResults=5&status=COMPLETED")
        time.sleep(1.05)  # a wall-clock second later, on another connection
        b = _raw_get(det.port, "/jobs?maxResults=5&status=COMPLETED")
        assert a == b
        hdrs = dict(a[1])
        assert hdrs["Date"] == DETERMINISTIC_DATE
        rid, apigw, trace = det.response_ids("/jobs?maxResults=5&status=COMPLETED")
        assert (hdrs["x-amzn-RequestId"], hdrs["x-amz-apigw-id"], hdrs["X-Amzn-Trace-Id"]) == (rid, apigw, trace)
        # the same request with its parameters in another order or another encoding
        c = _raw_get(det.port, "/jobs?status=%43OMPLETED&maxResults=5")
        assert c == a
        # another request: other ids
        d = dict(_raw_get(det.port, "/jobs?maxResults=6&status=COMPLETED")[1])
        for h in ("x-amzn-RequestId", "x-amz-apigw-id", "X-Amzn-Trace-Id"):
            assert d[h] != hdrs[h], h
        assert det.connections_accepted == 4
        # the default server still counts requests
        p1 = dict(_raw_get(plain.port, "/jobs")[1])
        p2 = dict(_raw_get(plain.port, "/jobs")[1])
        assert p1["x-amzn-RequestId"] != p2["x-amzn-RequestId"]


def test_scripted_repeated_headers_are_sent_in_order(srv):
    srv.credentials = None
    srv.script({"status": 200, "body": b'{"jobs":[]}',
                "headers": [("X-Rep", "a"), ("X-Rep", "b  "), ("X-Fold", "x\r\n y")]})
    status, hdrs, body = _raw_get(srv.port, "/jobs")
    assert status == 200 and body == b'{"jobs":[]}'
    assert [v for k, v in hdrs if k == "X-Rep"] == ["a", "b  "]
    assert ("X-Fold", "x\r\n y") in hdrs


# ====================================================================== whole listings

@pytest.mark.parametrize("ensure_ascii", [False, True], ids=["utf8", "ascii"])
@pytest.mark.parametrize("page_size", [1, 7, 250, None], ids=lambda s: f"size{s}")
@pytest.mark.parametrize("n_jobs", [0, 1, 1000], ids=lambda n: f"n{n}")
def test_whole_listing(shared_server, n_jobs, page_size, ensure_ascii):
    srv = shared_server(n_jobs=n_jobs, ensure_ascii=ensure_ascii)
    client = make_boto_client(srv)
    kwargs = {} if page_size is None else {"PaginationConfig": {"PageSize": page_size}}
    want, got = both(srv, client, **kwargs)
    assert want.error is None, want.error
    # the listing really is what the parametrisation says
    assert len(want.pages) == max(1, -(-n_jobs // (page_size or srv.default_page_size)))
    assert sum(len(p["jobs"]) for p in want.pages) == n_jobs
    assert_same_outcome(want, got)
    assert_same_requests(want, got)
    assert_signed(want, got)
    assert_tokens_forwarded(got)
    # one keep-alive connection per listing, for both
    assert want.connections == 1
    assert got.connections == 1
    assert len({r["connection"] for r in got.requests}) == 1


def _filter_value(jobs, param):
    values = {}
    for j in jobs:
        if param in j:
            values[j[param]] = values.get(j[param], 0) + 1
    if param == "thingGroupName":  # one that needs percent-encoding (':')
        return max((v for v in values if ":" in v), key=values.get)
    return max(values, key=values.get)


@pytest.mark.parametrize("ensure_ascii", [False, True], ids=["utf8", "ascii"])
@pytest.mark.parametrize("param", FILTER_PARAMS)
def test_filtered_listing(shared_server, param, ensure_ascii):
    srv = shared_server(n_jobs=1000, ensure_ascii=ensure_ascii)
    value = _filter_value(srv.jobs, param)
    client = make_boto_client(srv)
    want, got = both(srv, client, **{param: value}, PaginationConfig={"PageSize": 7})
    assert want.error is None, want.error
    expected = [j["jobId"] for j in srv.jobs if j.get(param) == value]
    assert [j["jobId"] for p in want.pages for j in p["jobs"]] == expected
    assert len(want.pages) > 2
    assert_same_outcome(want, got)
    assert_same_requests(want, got)
    assert_signed(want, got)
    assert_tokens_forwarded(got)
    assert want.connections == got.connections == 1


def test_combined_and_empty_filters(shared_server):
    srv = shared_server(n_jobs=1000, ensure_ascii=False)
    client = make_boto_client(srv)
    j0 = next(j for j in srv.jobs if "thingGroupName" in j and "namespaceId" in j)
    for kwargs in (
        {"status": j0["status"], "thingGroupName": j0["thingGroupName"], "targetSelection": j0["targetSelection"]},
        {"thingGroupId": j0["thingGroupId"], "namespaceId": j0["namespaceId"], "PaginationConfig": {"PageSize": 3}},
        {"thingGroupName": "no-such-group"},
    ):
        want, got = both(srv, client, **kwargs)
        assert want.error is None, want.error
        assert_same_outcome(want, got)
        assert_same_requests(want, got)
        assert_signed(want, got)


def test_max_items_resume_tokens_and_build_full_result(shared_server):
    srv = shared_server(n_jobs=1000, ensure_ascii=True)
    client = make_boto_client(srv)
    # MaxItems cutting a page: botocore's resume token (base64 JSON with the server token)
    cfg = {"MaxItems": 23, "PageSize": 10}
    want, got = both(srv, client, PaginationConfig=cfg)
    assert want.resume_token and want.error is None
    assert_same_outcome(want, got)
    assert_same_requests(want, got)
    token = want.resume_token
    for cfg in ({"StartingToken": token, "MaxItems": 31, "PageSize": 10},
                {"StartingToken": token, "PageSize": 250}):
        want, got = both(srv, client, PaginationConfig=cfg)
        assert want.error is None, want.error
        assert_same_outcome(want, got)
        assert_same_requests(want, got)
    # a raw server token (with '+', '/', '=', ' ', '%', '&', non-ASCII) as StartingToken
    raw = client.list_jobs(maxResults=40)["nextToken"]
    for ch in ("+", "/", "=", " ", "é", "\U0001F680"):
        assert ch in raw
    want, got = both(srv, client, PaginationConfig={"StartingToken": raw, "PageSize": 100})
    assert want.error is None, want.error
    assert_same_outcome(want, got)
    assert_same_requests(want, got)
    assert got.requests[0]["query"]["nextToken"] == raw
    assert_signed(want, got)
    # build_full_result goes through the same iterator
    w = client.get_paginator("list_jobs").paginate(PaginationConfig={"MaxItems": 555, "PageSize": 100})
    g = make_iot_paginator(client).paginate(PaginationConfig={"MaxItems": 555, "PageSize": 100})
    assert_same(w.build_full_result(), g.build_full_result(), "build_full_result()")


def test_starting_token_none_string_and_repeated_iteration(shared_server):
    """botocore leaves out a token that is the string 'None'; iterating the same
    PageIterator twice lists twice."""
    srv = shared_server(n_jobs=1000, ensure_ascii=False)
    client = make_boto_client(srv)
    want, got = both(srv, client, PaginationConfig={"StartingToken": "None", "MaxItems": 12, "PageSize": 5})
    assert_same_outcome(want, got)
    assert_same_requests(want, got)
    w = client.get_paginator("list_jobs").paginate(PaginationConfig={"PageSize": 200})
    g = make_iot_paginator(client).paginate(PaginationConfig={"PageSize": 200})
    assert_same([list(w), list(w)], [list(g), list(g)], "two iterations")


# ====================================================================== scripted bodies

def J(**fields):
    """A job object as raw JSON text, fields in the given order (values are JSON text)."""
    return "{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}"


def body(*jobs, extra=""):
    return ('{"jobs":[' + ",".join(jobs) + "]" + extra + "}").encode("utf-8")


BOOLEANS = ['"true"', '"TRUE"', '"True"', '"tRuE"', '"yes"', '"false"', '""', '"true "',
            '"tr\\u0075e"', '"trüe"', "1", "0", "1.5", "true", "false", "{}", "[]", '{"a":true}',
            "[true]"]

TIMESTAMPS = [
    # epoch numbers
    "0", "1", "-1", "1700000000", "2147483648", "1700000000.5", "1700000000.123", "1.5e9",
    "1E9", "1e3", "-0.5", "1700000000.0", "1636266600", "1699165800.25",
    # mantissas over 19 digits, which simdjson 3.0 misreads (issue #2093;
    # tests/fuzz/crashes/page-long-fraction-misread)
    "-0.04073709551615446744073709551615", "0.95000000000000000000", "1000000000.000000001",
    "1700000000.1234567890123456789", "0.0000000000000000000001e3",
    # numeric strings
    '"1700000000"', '"1700000000.5"', '"0"', '"-1.25"', '" 1700000000 "', '"1e9"',
    # ISO-8601 and other date strings (dateutil)
    '"2023-11-14T22:13:20Z"', '"2023-11-14T22:13:20.123456Z"', '"2023-11-14T22:13:20+05:30"',
    '"2023-11-14T22:13:20-08:00"', '"2023-11-14T22:13:20"', '"2023-11-14 22:13:20"',
    '"2023-11-14"', '"2021-11-07T01:30:00"', '"Tue, 14 Nov 2023 22:13:20 GMT"',
    '"2023-11-14T22:13:20.5+00:00"', '"20231114T221320Z"',
]

SCALARS = [  # for string members: any JSON value passes through as json.loads gives it
    "42", "-7", "4.5", "1e3", "1E+3", "-0", "-0.0", "0.1", "1e-7", "1E400", "-1E400",
    str(2 ** 70), str(-(2 ** 70)), "18446744073709551615", "9223372036854775807",
    "-9223372036854775808", "9223372036854775808", "123456789012345678901234567890.5",
    "-0.04073709551615446744073709551615", "0.95000000000000000000",
    "true", "false", '{"a":[1,{"b":null}],"c":"d"}', "[1,2,[3]]", "[]", "{}", '""',
    '"\\u0000"', '"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"',
]

SCRIPTED_BODIES = {
    "plain": [body(J(jobArn='"arn:a"', jobId='"a"', status='"COMPLETED"', createdAt="1700000000.5"))],
    "unknown_members_dropped": [body(
        J(foo="1", jobId='"a"', bar='{"x":[1,{"y":null}]}', jobArn='"arn"', zzz='"s"',
          documentSource='"https://x"', description='"d"', jobProcessDetails='{"n":1}'),
        J(jobid='"lower-case key is another member"', JobId='"X"'))],
    "member_order_is_the_models": [body(
        J(isConcurrent="true", completedAt="3", lastUpdatedAt="2", createdAt="1",
          status='"CANCELED"', targetSelection='"SNAPSHOT"', thingGroupId='"g"', jobId='"j"',
          jobArn='"arn"'))],
    "null_members_dropped": [body(
        J(jobArn="null", jobId='"a"', thingGroupId="null", targetSelection="null", status="null",
          createdAt="null", lastUpdatedAt="null", completedAt="null", isConcurrent="null"),
        J(jobId="null"))],
    "null_list_entries_kept": [body("null", J(jobId='"a"'), "null", "null")],
    "empty_job_objects": [body("{}", "{}", J(unknown="1"))],
    "wrong_scalar_types": [body(
        J(jobId="42", jobArn='{"a":1}', status="3", targetSelection="true", isConcurrent='"true"'),
        J(jobId="4.5", jobArn="[1,2]", status='{"x":"COMPLETED"}', thingGroupId="false",
          isConcurrent='"TRUE"'),
        J(jobId='["a"]', jobArn="0", status='"RUNNING"', targetSelection='"snapshot"'))],
    "booleans_ensure_boolean": [body(*(J(jobId=f'"b{i}"', isConcurrent=v) for i, v in enumerate(BOOLEANS)))],
    "timestamps": [body(*(J(jobId=f'"t{i}"', createdAt=v, lastUpdatedAt=v, completedAt=v)
                          for i, v in enumerate(TIMESTAMPS)))],
    "scalars_in_string_members": [body(*(J(jobArn=v, jobId=v, thingGroupId=v, status=v, targetSelection=v)
                                         for v in SCALARS))],
    "escapes": [body(
        J(jobId='"\\u0061\\u00e9\\u2713\\ud83d\\ude80"', jobArn='"caf\\u00E9 \\uD83D\\uDE80 \\u00e9\\u0301"'),
        J(**{"\\u006aobId": '"escaped key"', "job\\u0041rn": '"arn"', "st\\u0061tus": '"\\u0043OMPLETED"'}),
        J(jobId='"raw UTF-8: é✓🚀 \\u4e2d"', status='"IN_PROGRESS"', targetSelection='"\\u0053NAPSHOT"'),
        J(jobId='"\\\\u0041 is not an escape"', jobArn='"\\ud83d\\ude80\\ud83d\\ude80x"'))],
    "escaped_next_token": [
        body(J(jobId='"p1"'), extra=',"nextToken":"t\\u002b/= \\u00e9\\u2713\\ud83d\\ude80%&\\u0000x"'),
        body(J(jobId='"p2"'))],
    "duplicate_keys_last_wins": [body(
        J(jobId='"a"', status='"COMPLETED"'),
        '{"jobId":"first","jobId":"second","status":"CANCELED","status":null}',
        '{"jobId":null,"jobId":"late","\\u006aobId":"escaped-last"}',
        '{"createdAt":1,"createdAt":"2023-11-14T22:13:20Z","isConcurrent":true,"isConcurrent":"no"}',
        '{"jobArn":{"a":1,"a":2},"jobArn":{"b":[1],"b":[2]}}')],
    "duplicate_jobs_member": [b'{"jobs":[{"jobId":"first"}],"jobs":[{"jobId":"second"}]}'],
    "duplicate_jobs_then_null": [b'{"jobs":[{"jobId":"first"}],"jobs":null}'],
    "duplicate_null_then_jobs": [b'{"jobs":null,"jobs":[{"jobId":"second"}]}'],
    "duplicate_next_token_then_null": [b'{"jobs":[],"nextToken":"more","nextToken":null}'],
    "duplicate_null_then_next_token": [b'{"nextToken":null,"jobs":[{"jobId":"x"}],"nextToken":"t2"}',
                                       b'{"jobs":[{"jobId":"y"}]}'],
    "jobs_null": [b'{"jobs":null}'],
    "jobs_null_with_token": [b'{"jobs":null,"nextToken":"t"}', b'{"jobs":[{"jobId":"after"}]}'],
    "jobs_empty": [b'{"jobs":[]}'],
    "empty_object": [b"{}"],
    "next_token_absent": [body(J(jobId='"a"'))],
    "next_token_null": [body(J(jobId='"a"'), extra=',"nextToken":null')],
    "next_token_empty_ends": [body(J(jobId='"a"'), extra=',"nextToken":""')],
    "next_token_first": [b'{"nextToken":"tok","jobs":[{"jobId":"a"}]}', b'{"jobs":[{"jobId":"b"}]}'],
    "next_token_then_empty_pages": [body(extra=',"nextToken":"a"'), body(extra=',"nextToken":"b"'),
                                    b'{"jobs":[]}'],
    "repeated_next_token_is_an_error": [body(J(jobId='"a"'), extra=',"nextToken":"same"'),
                                        body(J(jobId='"b"'), extra=',"nextToken":"same"')],
    "extra_top_level_members": [
        b'{"foo":{"a":[1,2,{"b":"c"}]},"jobs":[{"jobId":"a"}],"bar":null,"baz":"x","n":1e400,'
        b'"big":123456789012345678901234567890,"jobsX":[1],"NextToken":"ignored"}'],
    "whitespace_everywhere": [b' \r\n\t{ "jobs" :\n [ { "jobId" : "a" , "createdAt" : 1.5 } ,\tnull ] ,'
                              b' "nextToken" : null }\n\r\t '],
    "deep_unknown_member": [b'{"jobs":[{"jobId":"a","deep":' + b"[" * 200 + b"]" * 200 + b"}]}"],
    # the shim checks strings for a backslash, a control byte and non-ASCII
    # eight bytes at a time: one such byte at every offset of a word and of
    # the tail, in values and in the token
    "special_byte_at_every_offset": [
        body(*(J(jobId=json.dumps("x" * k + ch + "y" * (17 - k), ensure_ascii=ascii_only),
                 status=json.dumps(("COMPLETED" + ch)[-9 - (k % 2):], ensure_ascii=ascii_only))
               for ch in ['"', "\\", "\n", "\x1f", "\x7f", "\xe9", "\u2713", "/", "\x00"]
               for k in range(18) for ascii_only in (False, True)),
             extra=',"nextToken":' + json.dumps("t" * 9 + "\\" + "u" * 6)),
        body(J(jobId='"last"'))],
    "big_page": [body(*(J(jobArn=f'"arn:aws:iot:us-east-1:1:job/j{i}"', jobId=f'"j{i}"', status='"COMPLETED"',
                          targetSelection='"SNAPSHOT"', createdAt=str(1.6e9 + i * 997.125),
                          lastUpdatedAt=str(1600000000 + i), isConcurrent="false")
                        for i in range(3000)))],
}


@pytest.mark.parametrize("case", list(SCRIPTED_BODIES))
def test_scripted_body(srv, boto_client, case):
    actions = [{"status": 200, "body": b} for b in SCRIPTED_BODIES[case]]
    want, got = scripted(srv, boto_client, actions)
    if case == "repeated_next_token_is_an_error":
        assert type(want.error).__name__ == "PaginationError"
    else:
        assert want.error is None, want.error
        assert want.unconsumed == 0
    assert_same_outcome(want, got)
    assert_same_requests(want, got)
    assert_signed(want, got)


def test_escaped_next_token_reaches_the_server_decoded(srv, boto_client):
    actions = [{"status": 200, "body": b} for b in SCRIPTED_BODIES["escaped_next_token"]]
    want, got = scripted(srv, boto_client, actions)
    expected = json.loads(SCRIPTED_BODIES["escaped_next_token"][0])["nextToken"]
    assert want.requests[1]["query"]["nextToken"] == expected
    assert got.requests[1]["query"]["nextToken"] == expected


HEADER_QUIRKS = {
    "repeated_header": [("X-Repeated", "a"), ("X-Repeated", "b"), ("x-repeated", "c")],
    "repeated_request_id": [("x-amzn-RequestId", "second-id")],
    "request_id_case": [("X-AMZN-REQUESTID", "UPPER")],
    "empty_value": [("X-Empty", "")],
    "leading_spaces": [("X-Lead", "    v")],
    "inner_spaces": [("X-Inner", "a  b\tc")],
    "latin1_bytes": [("X-Utf8", "caf\u00e9 \u2713")],
    "content_type_repeated": [("Content-Type", "application/x-amz-json-1.1")],
    # http.client (botocore) keeps trailing white space and obs-fold continuations;
    # known to fail until http.c stops trimming header values
    "trailing_spaces": [("X-Trailing", "value   ")],
    "trailing_tab": [("X-Trailing-Tab", "value\t")],
    "obs_fold": [("X-Folded", "first\r\n second"), ("X-After", "z")],
    # folds whose white space the installed HTTP stack may keep or join
    # (urllib3 >= 2.8 joins them with a regex: each case is one of its corners)
    "obs_fold_tabs_and_trailing": [("X-Folded", "one \t\r\n\t\t two  ")],
    "obs_fold_twice": [("X-Folded", "a\r\n b\r\n\tc")],
    "obs_fold_blank_line": [("X-Folded", "a \r\n \r\n b")],
    "obs_fold_blank_line_no_space": [("X-Folded", "a\r\n \r\n b")],
    "obs_fold_empty_first_line": [("X-Folded", "\r\n next")],
    "obs_fold_content_type": [("Content-Type", "application/\r\n json")],
    "obs_fold_request_id": [("x-amzn-RequestId", "rid\r\n 2")],
}


@pytest.mark.parametrize("case", list(HEADER_QUIRKS))
def test_header_quirks(srv, boto_client, case):
    actions = [{"status": 200, "body": body(J(jobId='"a"')), "headers": HEADER_QUIRKS[case]}]
    want, got = scripted(srv, boto_client, actions)
    assert want.error is None, want.error
    assert_same_outcome(want, got)  # whole pages: HTTPHeaders and RequestId included


LONE_SURROGATES = {
    # valid JSON grammar (RFC 8259 allows any \\uXXXX); Python's json.loads (so
    # botocore) gives str values with lone surrogates
    "in_job_id": [body(J(jobId='"\\ud800"'), J(jobId='"ok"'))],
    "reversed_pair": [body(J(jobId='"\\udc00\\ud800x"'))],
    "high_at_end": [body(J(jobArn='"a\\ud83d"', jobId='"b"'))],
    "in_unknown_member": [body(J(jobId='"a"', note='"\\udfff"'))],
    "in_next_token": [body(J(jobId='"a"'), extra=',"nextToken":"t\\udfff"'), body(J(jobId='"b"'))],
}


@pytest.mark.parametrize("case", list(LONE_SURROGATES))
def test_lone_surrogate_escapes(srv, boto_client, case):
    actions = [{"status": 200, "body": b} for b in LONE_SURROGATES[case]]
    want, got = scripted(srv, boto_client, actions)
    if case == "in_next_token":  # botocore yields the page, then cannot encode the token
        assert len(want.pages) == 1 and isinstance(want.error, UnicodeEncodeError)
    else:
        assert want.error is None, want.error
    assert_same_outcome(want, got)


NOT_A_PAGE = {
    # bodies botocore turns into a page without jobs (invalid JSON) or crashes on
    # (wrong shape); iotpager deliberately raises InvalidResponseError instead
    "not_json": b"not json at all",
    "empty": b"",
    "truncated": b'{"jobs":[{"jobId":"a"}',
    "trailing_garbage": b'{"jobs":[]} x',
    "bom": b'\xef\xbb\xbf{"jobs":[]}',
    "raw_control_char": b'{"jobs":[{"jobId":"tab\there"}]}',
    "invalid_utf8": b'{"jobs":[{"jobId":"\xff"}]}',
    "top_level_list": b'[{"jobId":"a"}]',
    "jobs_object": b'{"jobs":{"jobId":"a"}}',
    "jobs_string": b'{"jobs":"abc"}',
    "job_not_object": b'{"jobs":[1]}',
}


@pytest.mark.parametrize("case", list(NOT_A_PAGE))
def test_not_a_page_is_invalid_response_error(srv, boto_client, case):
    """The deliberate difference: a 2xx body that is not a ListJobs page stops
    iotpager with InvalidResponseError (a botocore ResponseParserError) where
    botocore loses the jobs; the pages before it are still botocore's."""
    from botocore.parsers import ResponseParserError

    actions = [{"status": 200, "body": body(J(jobId='"first"'), extra=',"nextToken":"n2"')},
               {"status": 200, "body": NOT_A_PAGE[case]}]
    want, got = scripted(srv, boto_client, actions)
    assert isinstance(got.error, iotpager.InvalidResponseError), got.error
    assert isinstance(got.error, ResponseParserError)
    # a page whose only fault is its nextToken is still yielded (its jobs are
    # good, and botocore yields it too); the error follows it
    assert_same(want.pages[:1], got.pages, "the page before the bad one")
    assert got.error.status == 200
    assert got.error.request_id == srv.response_ids(got.requests[1]["path"])[0]
    assert got.error.path.startswith("$")
    assert got.error.request_id in str(got.error)
    # and botocore really does lose the jobs there: it raises, or yields a page without any
    assert want.error is not None or "jobs" not in want.pages[1], want.pages[1:]


def test_next_token_not_a_string_as_botocore(srv, boto_client):
    """A nextToken that is a number: the page is yielded (its jobs are good),
    then the next request fails parameter validation, in both."""
    actions = [{"status": 200, "body": body(J(jobId='"first"'), extra=',"nextToken":5')}]
    want, got = scripted(srv, boto_client, actions)
    assert type(want.error).__name__ == "ParamValidationError"
    assert_same_outcome(want, got)


def test_accept_encoding_is_a_documented_difference(srv, boto_client):
    """A deliberate difference (README, compatibility table): iotpager accepts
    gzip where botocore sends 'identity' (issue #2: Accept-Encoding is on).
    A server that compresses when allowed then answers the two differently:
    the jobs and tokens stay equal to botocore's; HTTPHeaders show the
    response as received (content-encoding, the compressed length)."""
    want, got = scripted(srv, boto_client, [{"gzip": "if-accepted"}])
    assert want.error is None and got.error is None, (want.error, got.error)
    assert want.requests[0]["headers"].get("accept-encoding") == "identity"
    assert "gzip" in got.requests[0]["headers"].get("accept-encoding", "")
    assert len(want.pages) == len(got.pages) >= 1
    for w, g in zip(want.pages, got.pages):
        assert_same({k: v for k, v in w.items() if k != "ResponseMetadata"},
                    {k: v for k, v in g.items() if k != "ResponseMetadata"}, "page body")
    # only the first (scripted) response was compressed
    assert "content-encoding" not in want.pages[0]["ResponseMetadata"]["HTTPHeaders"]
    assert got.pages[0]["ResponseMetadata"]["HTTPHeaders"]["content-encoding"] == "gzip"
    assert_same(want.pages[1:], got.pages[1:], "uncompressed pages")


# ====================================================================== errors

ERRORS = {
    "400_InvalidRequestException": {"error": "InvalidRequestException", "status": 400,
                                    "message": "1 validation error detected"},
    "404_ResourceNotFoundException": {"error": "ResourceNotFoundException", "status": 404,
                                      "message": "Thing group not found"},
    "403_InvalidSignatureException": {"error": "InvalidSignatureException", "status": 403,
                                      "message": "The request signature we calculated does not match"},
    "400_header_only_empty_body": {"status": 400, "body": b"",
                                   "headers": {"x-amzn-ErrorType": "InvalidRequestException"}},
    "400_header_only_with_suffix": {
        "status": 400, "body": b'{"message":"m"}',
        "headers": {"x-amzn-ErrorType": "InvalidRequestException:http://internal.amazon.com/coral/com.amazonaws.iot/"}},
    "400___type_namespaced": {
        "status": 400,
        "body": b'{"__type":"com.amazonaws#Foo:http://internal.amazon.com/coral/com.amazonaws/","message":"m"}'},
    "400___type_modeled": {"status": 400, "body": b'{"__type":"com.amazonaws.iot#ResourceNotFoundException",'
                                                  b'"Message":"capital M"}'},
    "400_code_in_body": {"status": 400, "body": b'{"code":"InvalidRequestException","message":"m"}'},
    "400_not_json": {"status": 400, "body": b"oops, not json"},
    "401_UnauthorizedException": {"error": "UnauthorizedException", "status": 401, "message": "no"},
    "409_ConflictException": {"error": "ConflictException", "status": 409, "message": "conflict"},
    "404_no_code": {"status": 404, "body": b'{"message":"no code at all"}'},
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_error_parity(srv, boto_client, case):
    want, got = scripted(srv, boto_client, [ERRORS[case]])
    assert isinstance(want.error, ClientError), want.error
    assert want.pages == [] and got.pages == []
    assert_same_outcome(want, got)
    assert got.error.operation_name == "ListJobs"
    # iotpager's exception is the client's own class
    name = type(want.error).__name__
    if name != "ClientError":
        assert isinstance(got.error, getattr(boto_client.exceptions, name))
        try:
            raise got.error
        except getattr(boto_client.exceptions, name):
            pass
    assert isinstance(got.error, boto_client.exceptions.ClientError)


def test_error_on_a_later_page(srv, boto_client):
    actions = [{"status": 200, "body": body(J(jobId='"a"'), extra=',"nextToken":"t"')},
               {"error": "InvalidRequestException", "status": 400, "message": "The specified nextToken is not valid."}]
    want, got = scripted(srv, boto_client, actions, PaginationConfig={"PageSize": 1})
    assert len(want.pages) == 1 and isinstance(want.error, boto_client.exceptions.InvalidRequestException)
    assert_same_outcome(want, got)
    assert_same_requests(want, got)


def test_real_server_errors(srv, boto_client):
    """Errors the server makes itself (not scripted): a foreign token, a bad enum."""
    for kwargs in ({"PaginationConfig": {"StartingToken": "not-a-token"}},
                   {"status": "COMPLETED", "PaginationConfig": {"StartingToken": "x+y/z= é"}}):
        want, got = both(srv, boto_client, **kwargs)
        assert isinstance(want.error, boto_client.exceptions.InvalidRequestException)
        assert_same_outcome(want, got)
        assert_same_requests(want, got)


def test_parameter_validation_parity(srv, boto_client):
    for kwargs in ({"thingGroupName": ""}, {"status": 5}, {"bogus": 1},
                   {"PaginationConfig": {"PageSize": "x"}}, {"maxResults": 0}):
        want, got = both(srv, boto_client, **kwargs)
        assert want.error is not None, kwargs
        assert_same_error(want.error, got.error)
    assert not srv.requests  # nothing was sent


# ====================================================================== credentials

OLD = ("AKIDOLDCREDS00000001", "old/secret+", "old-token")
NEW = ("AKIDNEWCREDS00000002", "new/secret=", None)


class _Provider(CredentialProvider):
    METHOD = "parity-test"
    CANONICAL_NAME = "ParityTest"

    def __init__(self, creds):
        super().__init__()
        self._creds = creds

    def load(self):
        return self._creds


def _client_with_credentials(srv, creds_obj, tmp_path, monkeypatch):
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bs = botocore.session.Session()
    bs.get_component("credential_provider").insert_before("env", _Provider(creds_obj))
    session = boto3.session.Session(botocore_session=bs)
    client = session.client("iot", endpoint_url=srv.endpoint_url, region_name=REGION,
                            config=no_retry_config())
    assert client._request_signer._credentials is creds_obj
    return client


class _Switchable(Credentials):
    """Credentials whose frozen value is whatever holder[0] is now."""

    def __init__(self, holder):
        super().__init__(*holder[0])
        self._holder = holder

    def get_frozen_credentials(self):
        return ReadOnlyCredentials(*self._holder[0])


def _refreshable(holder):
    calls = []

    def refresh():
        calls.append(time.monotonic())
        ak, sk, tok = holder[0]
        # inside botocore's mandatory refresh window: refreshed on every use
        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
        return {"access_key": ak, "secret_key": sk, "token": tok, "expiry_time": expiry.isoformat()}

    creds = RefreshableCredentials.create_from_metadata(refresh(), refresh, "parity-test")
    return creds, calls


def _auth_key(req):
    return req["headers"]["authorization"].split("Credential=")[1].split("/")[0]


@pytest.mark.parametrize("kind", ["refreshable", "switchable"])
def test_refreshing_credentials_mid_listing(srv, kind, tmp_path, monkeypatch):
    holder = [OLD]
    if kind == "refreshable":
        creds, calls = _refreshable(holder)
    else:
        creds, calls = _Switchable(holder), None
    client = _client_with_credentials(srv, creds, tmp_path, monkeypatch)
    outcomes = []
    # prefetch off: with it on, the next request is signed as soon as the
    # previous page is parsed, with the credentials current at that moment
    for paginator in (client.get_paginator("list_jobs"),
                      iotpager.get_paginator(client, "list_jobs", prefetch=False)):
        holder[0] = OLD
        srv.credentials = OLD
        r0 = len(srv.requests)
        pages = []
        for i, page in enumerate(paginator.paginate(PaginationConfig={"PageSize": 10})):
            pages.append(page)
            if i == 3:
                holder[0] = NEW
                srv.credentials = NEW
        reqs = srv.requests[r0:]
        outcomes.append(Outcome(pages, None, None, reqs, 0))
        assert len(pages) == 12
        assert [_auth_key(r) for r in reqs] == [OLD[0]] * 4 + [NEW[0]] * 8
        assert [r["headers"].get("x-amz-security-token") for r in reqs] == [OLD[2]] * 4 + [None] * 8
        assert_signed(outcomes[-1])
    assert_same(outcomes[0].pages, outcomes[1].pages, "pages")
    if calls is not None:
        assert len(calls) > 24  # botocore refreshed for every request of both listings


def test_no_credentials_parity(srv, tmp_path, monkeypatch):
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bs = botocore.session.Session()
    bs.get_component("credential_provider").providers = []
    client = boto3.session.Session(botocore_session=bs).client(
        "iot", endpoint_url=srv.endpoint_url, region_name=REGION, config=no_retry_config())
    want, got = both(srv, client)
    assert type(want.error).__name__ == "NoCredentialsError"
    assert_same_error(want.error, got.error)
    assert not srv.requests


# ====================================================================== tz="utc"

def test_tz_utc_whole_listing(shared_server):
    srv = shared_server(n_jobs=1000, ensure_ascii=False)
    client = make_boto_client(srv)
    want, got = both(srv, client, tz="utc", PaginationConfig={"PageSize": 250})
    assert want.error is None
    dts = [d for p in got.pages for d in walk_datetimes(p)]
    assert len(dts) > 2000
    assert all(d.tzinfo is datetime.timezone.utc for d in dts)
    assert_same(to_utc(want.pages), got.pages, "pages (tz='utc')")
    # the same instants as botocore's
    bdts = [d for p in want.pages for d in walk_datetimes(p)]
    assert [d.timestamp() for d in bdts] == [d.timestamp() for d in dts]


def test_tz_utc_scripted_timestamps(srv, boto_client):
    actions = [{"status": 200, "body": b} for b in SCRIPTED_BODIES["timestamps"]]
    want, got = scripted(srv, boto_client, actions, tz="utc")
    assert want.error is None, want.error
    assert_same(to_utc(want.pages), got.pages, "pages (tz='utc')")
    for d in (d for p in got.pages for d in walk_datetimes(p)):
        assert d.tzinfo is None or d.tzinfo is datetime.timezone.utc, describe_datetime(d)


_ZONE_WORKER = r"""
import json, sys
from _compare import first_difference, walk_datetimes
from conftest import make_boto_client, make_iot_paginator
import conftest
from iotpager.testing import ListJobsServer

out = {"diffs": [], "folds": 0, "datetimes": 0}
with ListJobsServer(n_jobs=1000, seed=int(sys.argv[1]), credentials=conftest.CREDS,
                    deterministic=True) as srv:
    client = make_boto_client(srv)
    bodies = [json.loads(b) for b in sys.argv[2:]]
    results = []
    for pag in (client.get_paginator("list_jobs"), make_iot_paginator(client)):
        pages = list(pag.paginate(PaginationConfig={"PageSize": 250}))
        for b in bodies:
            srv.script({"status": 200, "body": b.encode()})
            pages += list(pag.paginate())
        results.append(pages)
    d = first_difference(results[0], results[1])
    if d:
        out["diffs"].append(d)
    dts = list(walk_datetimes(results[1]))
    out["datetimes"] = len(dts)
    out["folds"] = sum(d.fold for d in dts)
    out["signatures_ok"] = all(r["signature_ok"] for r in srv.requests)
print(json.dumps(out))
"""


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe"])
def test_local_time_parity_in_dst_zones(zone):
    """Whole listings (with jobs on DST edges) and ambiguous timestamps, in a
    process whose local zone has DST: same wall times, folds and offsets."""
    if not Path("/usr/share/zoneinfo", zone).exists():
        pytest.fail(f"zoneinfo for {zone} is missing")
    extra = body(*(J(jobId=f'"z{i}"', createdAt=v) for i, v in enumerate(
        TIMESTAMPS + ["1636263000.5", "1636266600", "1667093400.25", "1698541200", "1698544800",
                      '"2022-10-30T02:30:00"', '"2021-11-07T01:30:00-05:00"', '"2023-10-29T02:30:00+01:00"']))).decode()
    proc = subprocess.run([sys.executable, "-c", _ZONE_WORKER, "0", json.dumps(extra)],
                          env=subprocess_env(TZ=zone), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["diffs"] == []
    assert out["signatures_ok"]
    assert out["datetimes"] > 2000
    if zone != "Australia/Lord_Howe":
        assert out["folds"] > 0  # the repeated hour really was exercised


# ====================================================================== request encoding

WEIRD_NAMESPACES = ["a+b", "a/b=c", "sp ace", "é✓\U0001F680", "%25&=?#", "~-._*'()!$,;:@",
                    "plus+%2B+", "tab\tnew\nline", "x" * 300, ""]


@pytest.mark.parametrize("value", WEIRD_NAMESPACES, ids=lambda v: repr(v)[:20])
def test_namespace_id_with_any_characters(server_factory, value):
    jobs = make_jobs(40, seed=5)
    for j in jobs[::3]:
        j["namespaceId"] = value
    srv = server_factory(jobs=jobs)
    client = make_boto_client(srv)
    want, got = both(srv, client, namespaceId=value, PaginationConfig={"PageSize": 4})
    assert want.error is None, want.error
    expected = [j["jobId"] for j in jobs if j.get("namespaceId") == value]
    assert [j["jobId"] for p in want.pages for j in p["jobs"]] == expected
    assert want.requests[0]["query"]["namespaceId"] == value
    assert_same_outcome(want, got)
    assert_same_requests(want, got)
    assert_signed(want, got)
    assert_tokens_forwarded(got)


# ====================================================================== iotpager.Client

def _isolate(monkeypatch, tmp_path, config="", credentials=""):
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    cfg, cred = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(config)
    cred.write_text(credentials)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(cred))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _compare_clients(srv, iclient, bclient):
    assert iclient.meta.region_name == bclient.meta.region_name
    assert iclient.can_paginate("list_jobs") == bclient.can_paginate("list_jobs") is True
    first = bclient.list_jobs(maxResults=5)
    for params in ({}, {"maxResults": 5}, {"status": "COMPLETED", "maxResults": 3},
                   {"nextToken": first["nextToken"], "maxResults": 5},
                   {"thingGroupName": "Factory_B", "targetSelection": "SNAPSHOT"}):
        r0 = len(srv.requests)
        want = bclient.list_jobs(**params)
        got = iclient.list_jobs(**params)
        assert_same(want, got, f"list_jobs({params})")
        w, g = srv.requests[r0:]
        assert g["query"] == w["query"]
        assert _auth_key(g) == _auth_key(w)
    w = list(bclient.get_paginator("list_jobs").paginate(PaginationConfig={"PageSize": 50}))
    g = list(iclient.get_paginator("list_jobs").paginate(PaginationConfig={"PageSize": 50}))
    assert_same(w, g, "pages")
    srv.script({"error": "ResourceNotFoundException", "status": 404, "message": "gone"},
               {"error": "ResourceNotFoundException", "status": 404, "message": "gone"})
    with pytest.raises(bclient.exceptions.ResourceNotFoundException) as we:
        bclient.list_jobs()
    with pytest.raises(iclient.exceptions.ResourceNotFoundException) as ge:
        iclient.list_jobs()
    assert_same_error(we.value, ge.value)
    assert all(r["signature_ok"] for r in srv.requests)


def test_client_from_environment(server_factory, tmp_path, monkeypatch):
    srv = server_factory(n_jobs=120, region="eu-west-1")
    _isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SK)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    iclient = iotpager.Client(endpoint_url=srv.endpoint_url, config=no_retry_config())
    bclient = boto3.session.Session().client("iot", endpoint_url=srv.endpoint_url, config=no_retry_config())
    _compare_clients(srv, iclient, bclient)
    assert srv.requests[-1]["headers"]["x-amz-security-token"] == TOKEN


@pytest.mark.parametrize("how", ["profile_name", "AWS_PROFILE"])
def test_client_from_profile(server_factory, tmp_path, monkeypatch, how):
    srv = server_factory(n_jobs=120, region="eu-central-1", credentials=("AKIDPROFILE000000001", "prof/secret", None))
    _isolate(monkeypatch, tmp_path,
             config="[default]\nregion = us-west-2\n\n[profile parity]\nregion = eu-central-1\n",
             credentials="[default]\naws_access_key_id = AKIDDEFAULTWRONG0001\naws_secret_access_key = wrong\n\n"
                         "[parity]\naws_access_key_id = AKIDPROFILE000000001\naws_secret_access_key = prof/secret\n")
    if how == "AWS_PROFILE":
        monkeypatch.setenv("AWS_PROFILE", "parity")
        iclient = iotpager.Client(endpoint_url=srv.endpoint_url, config=no_retry_config())
        bclient = boto3.session.Session().client("iot", endpoint_url=srv.endpoint_url, config=no_retry_config())
    else:
        iclient = iotpager.Client(endpoint_url=srv.endpoint_url, profile_name="parity", config=no_retry_config())
        bclient = boto3.session.Session(profile_name="parity").client(
            "iot", endpoint_url=srv.endpoint_url, config=no_retry_config())
    assert bclient.meta.region_name == "eu-central-1"
    _compare_clients(srv, iclient, bclient)
    assert "x-amz-security-token" not in srv.requests[-1]["headers"]


def test_client_explicit_arguments(srv, tmp_path, monkeypatch):
    _isolate(monkeypatch, tmp_path)
    kwargs = dict(region_name=REGION, endpoint_url=srv.endpoint_url, aws_access_key_id=AK,
                  aws_secret_access_key=SK, aws_session_token=TOKEN, config=no_retry_config())
    _compare_clients(srv, iotpager.Client(**kwargs), boto3.session.Session().client("iot", **kwargs))


# ====================================================================== GIL and Ctrl-C

def test_gil_is_released_during_transfers(srv):
    # the server runs in this process: with the GIL held it could not answer at all,
    # so a short read timeout turns that into a quick failure
    boto_client = make_boto_client(srv, read_timeout=5)
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    t = threading.Thread(target=spin, daemon=True)
    t.start()
    try:
        c0 = counter[0]
        t0 = time.monotonic()
        time.sleep(0.15)  # the main thread waits without the GIL: the spinner runs freely
        alone_rate = (counter[0] - c0) / (time.monotonic() - t0)
        srv.latency = 0.3
        pages = iter(make_iot_paginator(boto_client).paginate())
        c0 = counter[0]
        t0 = time.monotonic()
        page = next(pages)
        elapsed = time.monotonic() - t0
        progress = counter[0] - c0
    finally:
        stop.set()
        t.join()
        srv.latency = 0.0
    assert len(page["jobs"]) == 50
    assert elapsed >= 0.3
    # with the GIL held for the whole transfer the spinner would barely move
    # (0.25: margin for a loaded machine; a held GIL gives a few switch intervals at most)
    assert progress >= 0.25 * alone_rate * elapsed, (progress, alone_rate, elapsed)


_CTRL_C_CHILD = r"""
import sys, time
import iotpager
from conftest import make_boto_client
client = make_boto_client(sys.argv[1])
pages = iotpager.get_paginator(client, "list_jobs").paginate()
print("ready", flush=True)
try:
    for page in pages:
        print("page", flush=True)
except KeyboardInterrupt:
    print(f"interrupted {time.monotonic()!r}", flush=True)
    sys.exit(0)
print("finished", flush=True)
sys.exit(3)
"""


def test_ctrl_c_interrupts_a_stalled_transfer_promptly(srv):
    srv.script({"stall": 30})
    child = subprocess.Popen([sys.executable, "-c", _CTRL_C_CHILD, srv.endpoint_url],
                             env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        deadline = time.monotonic() + 30
        while not srv.requests and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.01)
        assert srv.requests, "the child never sent its request"
        time.sleep(0.3)  # well inside the transfer
        t_kill = time.monotonic()  # CLOCK_MONOTONIC: the same clock in the child
        os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    lines = out.split()
    assert "ready" in lines and "page" not in lines, (out, err)
    assert child.returncode == 0, (out, err)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    t_caught = float(out.split("interrupted ")[1].split()[0])
    delay = t_caught - t_kill
    assert 0 <= delay < 0.2, f"KeyboardInterrupt came {delay:.3f} s after SIGINT"
    assert srv.requests[0]["action"] == {"stall": 30}
