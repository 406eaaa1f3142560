"""Issue #6, hardening: the fault matrix against the local endpoint.

Every fault is served by the local ListJobsServer (scripted actions) to
iotpager and, where botocore has the behaviour, to botocore's own paginator
on an identical client. For each fault the outcome is one of:

* retried as botocore retries it (same attempts, same RetryAttempts, same
  request count), and then the listing succeeds with every job of the
  server exactly once, in order;
* or a clear exception: botocore's class and message where botocore raises
  (ClientError with the HTTP status or error code, ConnectionClosedError /
  ReadTimeoutError naming the request URL), iotpager.InvalidResponseError
  saying what is wrong, the HTTP status, the request id and the JSON path
  (``$.jobs[7]``) for a 2xx body that is not a ListJobs page.

Never a crash, a hang past the timeouts (each test runs under hang_guard:
SIGALRM, then a faulthandler watchdog that kills the process), or a silent
skip (every success compares the job ids with the server's own list).
"""

from __future__ import annotations

import base64
import gzip
import json
import os

import botocore.exceptions
import pytest

import iotpager
from _botocore_now import enforces_content_length, is_short_body, short_body_script
from _compare import assert_same
from _hardening import (Outcome, fast_backoff, hang_guard, listing_in_child, retry_client, run,
                         server_ids)

N_JOBS = 120
PAGE = 50
PAGING = {"PaginationConfig": {"PageSize": PAGE}}
NO_RETRY = {"total_max_attempts": 1}
MODES = {"legacy": {"mode": "legacy"}, "standard": {"mode": "standard"}}


@pytest.fixture(autouse=True)
def _guard(monkeypatch):
    fast_backoff(monkeypatch)
    with hang_guard(45):
        yield


@pytest.fixture
def srv(server_factory):
    return server_factory(n_jobs=N_JOBS, seed=11)


def both(srv, script, retries=None, max_body=None, **config):
    """botocore's outcome and iotpager's for the same scripted responses.

    For a script with a short body (``{"truncate": True}``), where the
    installed botocore parses short bodies rather than raising
    ConnectionClosedError, the botocore outcome returned is the one for a
    reset mid-body in its place (iotpager treats a short body as a connection
    closed early: README), after checking botocore's own outcome on the
    short body: no retry, and a parse error or jobs lost."""
    def boto(s):
        return run(retry_client(srv, retries, **config).get_paginator("list_jobs"), srv, s,
                   **PAGING)

    b = boto(script)
    kw = {} if max_body is None else {"max_body": max_body}
    i = run(iotpager.get_paginator(retry_client(srv, retries, **config), **kw), srv, script,
            **PAGING)
    if any(map(is_short_body, script)) and not enforces_content_length():
        first = next(n for n, a in enumerate(script) if is_short_body(a))
        assert len(b.requests) == first + 1, ("botocore retried a short body", b)
        assert not isinstance(b.error, botocore.exceptions.ConnectionClosedError), b.error
        assert b.error is not None or len(b.ids) < len(server_ids(srv)), \
            ("botocore parsed a short body and lost no job", b)
        b = boto(short_body_script(script))
    return b, i


def assert_same_outcome(b: Outcome, i: Outcome):
    """Same jobs, attempts, requests and error as botocore."""
    assert i.ids == b.ids, (b, i)
    assert i.retries == b.retries, (b.retries, i.retries)
    assert len(i.requests) == len(b.requests), (b, i)
    assert i.left == b.left
    if b.error is None or i.error is None:
        assert b.error is None and i.error is None, (b.error, i.error)
        return
    assert type(i.error).__name__ == type(b.error).__name__, (b.error, i.error)
    assert str(i.error) == str(b.error)
    if isinstance(b.error, botocore.exceptions.ClientError):
        assert_same(b.error.response, i.error.response, "e.response")
    assert all(r["signature_ok"] for r in i.requests)


# --------------------------------------------------------------------------
# faults botocore retries
# --------------------------------------------------------------------------

HTML = b"<!DOCTYPE html><html><head><title>%d</title></head><body>error</body></html>"

HTTP_FAULTS = {
    "throttling-400": {"error": "ThrottlingException", "status": 400, "message": "Rate exceeded"},
    "throttling-429": {"error": "ThrottlingException", "status": 429, "message": "Rate exceeded"},
    "429-empty": {"status": 429, "body": b""},
    "500-json": {"error": "InternalFailureException", "status": 500, "message": "oops"},
    "502-json": {"status": 502, "json": {"message": "Bad Gateway"}},
    "503-json": {"error": "ServiceUnavailableException", "status": 503, "message": "later"},
    "504-json": {"status": 504, "json": {"message": "Endpoint request timed out"}},
}
for _status in (500, 502, 503, 504):
    HTTP_FAULTS[f"{_status}-html"] = {"status": _status, "body": HTML % _status}
    HTTP_FAULTS[f"{_status}-empty"] = {"status": _status, "body": b""}

TRANSPORT_FAULTS = {
    "reset-before-headers": {"reset": "before_headers"},
    "reset-mid-body": {"reset": "mid_body"},
    "truncated-under-content-length": {"truncate": True},
    "gzip-truncated": {"gzip": True, "truncate": True},
}
# a server that stops sending: before the headers, after them, mid-body
STALL_FAULTS = {
    "stall-before-headers": {"stall": 3},
    "stall-after-headers": {"stall": 3, "after": "headers"},
    "stall-mid-body": {"stall": 3, "after": "half"},
}
READ_TIMEOUT = 0.4


def read_timeout(fault):
    """The stalls are what the short read timeout is for; every other fault
    gets a long one, so that a loaded machine cannot turn a reset that comes
    late into botocore's ReadTimeoutError (seen once in CI: botocore timed
    out on truncated-under-content-length's mid-body reset, iotpager got the
    reset)."""
    return READ_TIMEOUT if fault in STALL_FAULTS else 30.0

RETRYABLE = {**HTTP_FAULTS, **TRANSPORT_FAULTS, **STALL_FAULTS}


@pytest.mark.parametrize("where", ["first-page", "middle-page"])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("fault", list(RETRYABLE))
def test_fault_retried_as_botocore_then_every_job_once(srv, fault, mode, where):
    action = RETRYABLE[fault]
    times = 1 if fault.startswith("stall") else 2   # standard mode: 3 attempts
    lead = [] if where == "first-page" else [{"pass": True}]
    script = lead + [action] * times
    b, i = both(srv, script, MODES[mode], read_timeout=read_timeout(fault))
    assert_same_outcome(b, i)
    if b.error is None:
        assert i.ids == server_ids(srv), "a job lost or repeated"
        assert i.retries[len(lead)] == times
        assert len(i.requests) == 3 + times
    else:
        # botocore gives up at once on this one (standard mode, 429 without
        # an error code); so must iotpager, with botocore's message
        assert fault == "429-empty" and mode == "standard", b.error
        assert "(429)" in str(i.error)


@pytest.mark.parametrize("fault", list(RETRYABLE))
def test_fault_without_retries_is_a_clear_error(srv, fault):
    """Retries off: one attempt, botocore's exception, and a message that says
    what happened and where (status or error code; the request URL)."""
    action = RETRYABLE[fault]
    b, i = both(srv, [{"pass": True}, action], NO_RETRY, read_timeout=read_timeout(fault))
    assert_same_outcome(b, i)
    assert i.ids == server_ids(srv)[:PAGE]   # the page before the fault, once
    e = i.error
    assert e is not None and len(i.requests) == 2
    if fault in HTTP_FAULTS:
        assert isinstance(e, botocore.exceptions.ClientError)
        status = action["status"]
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == status
        code = e.response["Error"]["Code"]
        assert code == action.get("error", str(status))
        assert f"({code})" in str(e) and "ListJobs" in str(e)
    else:
        kind = (botocore.exceptions.ReadTimeoutError if fault in STALL_FAULTS
                else botocore.exceptions.ConnectionClosedError)
        assert type(e) is kind, e
        # the URL of the request that failed: the second page's
        assert f"{srv.endpoint_url}/jobs?maxResults={PAGE}&nextToken=" in str(e)
        if fault in STALL_FAULTS:
            assert i.elapsed < READ_TIMEOUT + 1.5, i.elapsed


def test_read_timeout_is_the_clients_and_is_not_a_hang(srv):
    """Config(read_timeout=...) bounds a silent server, first page and prefetched page."""
    for script in ([{"stall": 10}], [{"pass": True}, {"stall": 10}]):
        b, i = both(srv, script, NO_RETRY, read_timeout=0.5)
        assert_same_outcome(b, i)
        assert type(i.error) is botocore.exceptions.ReadTimeoutError
        assert 0.5 <= i.elapsed < 2.0, i.elapsed


# --------------------------------------------------------------------------
# 200 responses that are not ListJobs pages
# --------------------------------------------------------------------------

def _deep(n, open_, close_, inner=b""):
    return open_ * n + inner + close_ * n


DEEP = 10_000
NOT_A_PAGE = {
    # name: (body, JSON path, words the reason must contain)
    # invalid JSON
    "truncated": (b'{"jobs":[{"jobId":"a"},{"jobId":"b"', "$", "ended early"),
    "trailing-garbage": (b'{"jobs":[]} trailing', "$", "invalid JSON"),
    "two-documents": (b'{"jobs":[]}{"jobs":[]}', "$", "invalid JSON"),
    "html-page": (b"<!DOCTYPE html><html><body><h1>Hello</h1></body></html>", "$", "invalid JSON"),
    "empty-body": (b"", "$", "empty body"),
    "whitespace-body": (b" \r\n ", "$", "invalid JSON"),
    "plain-text": (b"OK", "$", "invalid JSON"),
    "nan": (b'{"jobs":[{"jobId":"a","createdAt":NaN}]}', "$.jobs[0].createdAt", "invalid JSON"),
    "leading-zero": (b'{"jobs":[{"jobId":"a","createdAt":01}]}', "$.jobs[0].createdAt", "invalid JSON"),
    "bad-literal": (b'{"jobs":[{"jobId":"a","isConcurrent":truex}]}', "$.jobs[0].isConcurrent",
                    "invalid JSON"),
    "single-quotes": (b"{'jobs':[]}", "$", "invalid JSON"),
    "unterminated-string": (b'{"jobs":[{"jobId":"a}]}', "$", "never closed"),
    # valid JSON, wrong shape
    "top-level-list": (b'[{"jobId":"a"}]', "$", "expected a JSON object at the top level, got a list"),
    "top-level-string": (b'"jobs"', "$", "expected a JSON object at the top level, got a string"),
    "top-level-number": (b"42", "$", "expected a JSON object at the top level, got a number"),
    "top-level-null": (b"null", "$", "expected a JSON object at the top level, got null"),
    "top-level-true": (b"true", "$", "expected a JSON object at the top level, got a boolean"),
    "jobs-object": (b'{"jobs":{"jobId":"a"}}', "$.jobs", "expected a list of jobs, got an object"),
    "jobs-string": (b'{"jobs":"a,b"}', "$.jobs", "expected a list of jobs, got a string"),
    "jobs-number": (b'{"jobs":3}', "$.jobs", "expected a list of jobs, got a number"),
    "jobs-true": (b'{"jobs":true}', "$.jobs", "expected a list of jobs, got a boolean"),
    "job-7-number": (b'{"jobs":[' + b'{"jobId":"x"},' * 7 + b'7]}', "$.jobs[7]",
                     "expected a job object, got a number"),
    "job-7-string": (b'{"jobs":[' + b'{"jobId":"x"},' * 7 + b'"job"]}', "$.jobs[7]",
                     "expected a job object, got a string"),
    "job-7-list": (b'{"jobs":[' + b'{"jobId":"x"},' * 7 + b'[{"jobId":"y"}]]}', "$.jobs[7]",
                   "expected a job object, got a list"),
    "job-7-false": (b'{"jobs":[' + b'{"jobId":"x"},' * 7 + b'false]}', "$.jobs[7]",
                    "expected a job object, got a boolean"),
    # invalid UTF-8 anywhere in the body
    "utf8-lone-continuation": (b'{"jobs":[{"jobId":"\x80"}]}', "$", "UTF-8"),
    "utf8-invalid-start": (b'{"jobs":[{"jobId":"\xff\xfe"}]}', "$", "UTF-8"),
    "utf8-overlong": (b'{"jobs":[{"jobId":"\xc0\xaf"}]}', "$", "UTF-8"),
    "utf8-surrogate": (b'{"jobs":[{"jobId":"\xed\xa0\x80"}]}', "$", "UTF-8"),
    "utf8-beyond-u10ffff": (b'{"jobs":[{"jobId":"\xf4\x90\x80\x80"}]}', "$", "UTF-8"),
    "utf8-cut-sequence": (b'{"jobs":[{"jobId":"\xe2\x9c"}]}', "$", "UTF-8"),
    "utf8-in-key": (b'{"jobs":[{"job\xffId":"a"}]}', "$", "UTF-8"),
    "utf8-in-unknown-member": (b'{"jobs":[],"x":"\xc3"}', "$", "UTF-8"),
    "utf8-in-next-token": (b'{"jobs":[],"nextToken":"t\xe9"}', "$", "UTF-8"),
    "latin1-body": ('{"jobs":[{"jobId":"caf\u00e9"}]}'.encode("latin-1"), "$", "UTF-8"),
}


@pytest.mark.parametrize("where", ["first-page", "after-a-good-page"])
@pytest.mark.parametrize("case", list(NOT_A_PAGE))
def test_not_a_page_is_a_clear_invalid_response_error(srv, case, where):
    body, path, reason = NOT_A_PAGE[case]
    lead = [] if where == "first-page" else [{"pass": True}]
    script = lead + [{"status": 200, "body": body}]
    client = retry_client(srv)   # botocore's default retries: none apply here
    i = run(iotpager.get_paginator(client), srv, script, **PAGING)
    e = i.error
    assert isinstance(e, iotpager.InvalidResponseError), (case, e)
    assert e.path == path, (e.path, str(e))
    assert reason in e.reason, e.reason
    assert e.status == 200
    rid = srv.response_ids(i.requests[-1]["path"])[0]
    assert e.request_id == rid
    assert str(e).startswith(f"Invalid ListJobs response (HTTP 200, request id {rid}): ")
    assert str(e).endswith(f" at {path}")
    assert len(str(e)) < 400, "the message must stay readable"
    # the pages before it are yielded, each job once; nothing is retried
    assert i.ids == server_ids(srv)[:len(lead) * PAGE]
    assert len(i.requests) == len(lead) + 1
    # pickles (multiprocessing, concurrent.futures) and keeps its fields
    import pickle
    again = pickle.loads(pickle.dumps(e))
    assert (type(again), str(again), again.path) == (type(e), str(e), e.path)


# nesting 10,000 deep, in every place a value can stand: (body, path, reason)
DEEP_CASES = {
    "deep-document": (_deep(DEEP, b"[", b"]"), "$", "nested deeper than"),
    "deep-top-level-member": (b'{"jobs":[],"x":' + _deep(DEEP, b"[", b"]") + b"}", "$",
                              "nested deeper than"),
    "deep-objects-top-level-member": (b'{"x":' + _deep(DEEP, b'{"a":', b"}", b"1") + b',"jobs":[]}',
                                      "$", "nested deeper than"),
    "deep-unknown-job-member": (b'{"jobs":[{"jobId":"a","x":' + _deep(DEEP, b"[", b"]") + b"}]}",
                                "$.jobs[0]", "nested deeper than"),
    "deep-known-job-member": (b'{"jobs":[{"jobId":"a"},{"jobArn":' + _deep(DEEP, b"[", b"]") + b"}]}",
                              "$.jobs[1].jobArn", "nested deeper than"),
    "deep-objects-known-job-member": (b'{"jobs":[{"jobId":' + _deep(DEEP, b'{"a":', b"}", b"1") + b"}]}",
                                      "$.jobs[0].jobId", "nested deeper than"),
    "deep-job-entry": (b'{"jobs":[{},{},{},' + _deep(DEEP, b"[", b"]") + b"]}", "$.jobs[3]",
                       "expected a job object, got a list"),
    "deep-next-token": (b'{"jobs":[],"nextToken":' + _deep(DEEP, b"[", b"]") + b"}", "$.nextToken",
                        "nested deeper than"),
    # simdjson's own limit is 1024 levels counted from the document: valid JSON,
    # which iotpager may accept or refuse, but must not die on
    "1024-top-level-member": (b'{"jobs":[],"x":' + _deep(1024, b"[", b"]") + b"}", None, None),
}

@pytest.mark.parametrize("case", list(DEEP_CASES))
def test_nesting_10000_deep_is_a_clear_error(srv, case):
    """In a child process: a crash must fail this test, not the whole run."""
    body, path, reason = DEEP_CASES[case]
    srv.script({"status": 200, "body": body})
    pages, error = listing_in_child(srv.endpoint_url)
    if path is None:
        assert error is None or error[0] == "InvalidResponseError", error
        return
    assert error is not None and error[0] == "InvalidResponseError", error
    assert error[1].endswith(f" at {path}") and reason in error[1], error


@pytest.mark.parametrize("body", [b"nul", b"truex", b"tru", b"-", b"1.2.3", b"[1,]", b"[1 2]"])
def test_invalid_top_level_scalar_is_reported_as_invalid_json(srv, body):
    i = run(iotpager.get_paginator(retry_client(srv)), srv, [{"status": 200, "body": body}])
    assert isinstance(i.error, iotpager.InvalidResponseError)
    assert i.error.reason.startswith("invalid JSON"), i.error.reason


@pytest.mark.parametrize("body", [b"null\n", b"null ", b"false \r\n"])
def test_valid_top_level_scalar_with_white_space_is_the_wrong_shape(srv, body):
    i = run(iotpager.get_paginator(retry_client(srv)), srv, [{"status": 200, "body": body}])
    assert isinstance(i.error, iotpager.InvalidResponseError)
    assert i.error.reason.startswith("expected a JSON object at the top level"), i.error.reason


@pytest.mark.parametrize("tail", [b" x", b" 1", b' "s"', b"]", b" [1]", b" {"])
def test_trailing_content_is_reported_as_such(srv, tail):
    i = run(iotpager.get_paginator(retry_client(srv)), srv,
            [{"status": 200, "body": b'{"jobs":[]}' + tail}])
    assert isinstance(i.error, iotpager.InvalidResponseError)
    assert "content after the top-level object" in i.error.reason, i.error.reason


@pytest.mark.parametrize("case", ["truncated", "html-page", "empty-body", "trailing-garbage"])
def test_botocore_loses_the_jobs_where_iotpager_raises(srv, case):
    """Why InvalidResponseError exists: botocore yields a page without jobs
    and ends the listing as if it were complete (README, compatibility)."""
    body = NOT_A_PAGE[case][0]
    b = run(retry_client(srv).get_paginator("list_jobs"), srv,
            [{"pass": True}, {"status": 200, "body": body}], **PAGING)
    assert b.error is None and b.ids == server_ids(srv)[:PAGE]   # 70 jobs silently missing


@pytest.mark.parametrize("value,botocore_error", [
    ('"not a date"', ValueError), ('{"a":1}', ValueError), ("[1]", ValueError),
    ("1e400", RuntimeError), ("99999999999999999999", RuntimeError),
])
def test_unparseable_timestamps_raise_as_botocore(srv, value, botocore_error):
    """A createdAt botocore's parse_timestamp rejects: botocore's own
    exception and message (the README promises parity for timestamps)."""
    body = ('{"jobs":[' + '{"jobId":"x","createdAt":1},' * 7 +
            '{"jobId":"y","createdAt":%s}]}' % value).encode()
    b, i = both(srv, [{"status": 200, "body": body}], NO_RETRY)
    assert type(b.error) is botocore_error
    assert_same_outcome(b, i)


@pytest.mark.parametrize("member", ["status", "targetSelection"])
def test_strings_that_start_like_an_enum_value_keep_every_byte(srv, member):
    values = [f"{name}\\u0000{'A' * n}" for name in ("IN_PROGRESS", "CANCELED", "COMPLETED",
                                                     "SNAPSHOT", "CONTINUOUS") for n in range(40)]
    values += ["", "COMPLETE", "COMPLETEDX", "completed", "IN_PROGRESS\\u0000"]
    body = ('{"jobs":[' + ",".join('{"jobId":"j%d","%s":"%s"}' % (k, member, v)
                                   for k, v in enumerate(values)) + "]}").encode()
    b = run(retry_client(srv, NO_RETRY).get_paginator("list_jobs"), srv,
            [{"status": 200, "body": body}])
    srv.script({"status": 200, "body": body})
    pages, error = listing_in_child(srv.endpoint_url)   # an ASan build aborts here
    assert b.error is None and error is None, (b.error, error)
    assert_same(b.pages, pages, "pages")


@pytest.mark.parametrize("body", [
    *(b'{"jobs":[{"jobId":"a","isConcurrent":%s}]}' % v for v in (
        b"1x", b"01", b"1.", b"-", b"1e", b'1"x"', b'1.5e3"x"', b'9223372036854775808"TRUE"',
        b"[1,]", b"{\"a\":\x01}")),
    b'{"jobs":[{"createdAt":1x,"createdAt":1}]}',
    b'{"jobs":[{"jobId":[1,],"jobId":"a"}]}',
    b'{"jobs":[{"jobId":{"a":\x01},"jobId":"a"}]}',
    b'{"jobs":[],"nextToken":1x,"nextToken":"t"}',
    b'{"jobs":[{"jobId":1x}],"jobs":[]}',
], ids=lambda b: b.decode("latin-1"))
def test_invalid_json_inside_a_member_is_never_accepted(srv, body):
    with pytest.raises(ValueError):
        json.loads(body)
    i = run(iotpager.get_paginator(retry_client(srv)), srv, [{"status": 200, "body": body}])
    assert isinstance(i.error, iotpager.InvalidResponseError), (i.pages, i.error)
    assert i.error.path.startswith("$"), i.error.path


def test_invalid_json_is_reported_before_a_bad_timestamp(srv):
    body = b'{"jobs":[{"completedAt":92X33,"createdAt":-9223336854775808}]}'
    i = run(iotpager.get_paginator(retry_client(srv)), srv, [{"status": 200, "body": body}])
    assert isinstance(i.error, iotpager.InvalidResponseError), i.error


@pytest.mark.parametrize("config", [
    {"MaxItems": 2 ** 63}, {"MaxItems": 10 ** 30}, {"MaxItems": 1.6e296},
    {"StartingToken": base64.b64encode(json.dumps(
        {"nextToken": None, "boto_truncate_amount": 2 ** 70}).encode()).decode()},
], ids=["max-items-2**63", "max-items-1e30", "max-items-float", "truncate-2**70"])
def test_huge_max_items_and_offsets_as_botocore(srv, config):
    b = run(retry_client(srv).get_paginator("list_jobs"), srv, (), PaginationConfig=config)
    i = run(iotpager.get_paginator(retry_client(srv)), srv, (), PaginationConfig=config)
    assert b.error is None
    assert_same_outcome(b, i)


# --------------------------------------------------------------------------
# sizes: a huge page under the cap, pages over max_body
# --------------------------------------------------------------------------

def test_a_20_mb_page_under_the_default_cap(srv):
    """250 jobs of ~80 KB each (an unknown member): 20 MB in one page."""
    jobs = srv.public_jobs()
    pad = "p" * 80_000
    big = [dict(j, description=f"{pad}{n}") for n, j in enumerate(jobs[:100])]
    big += [dict(j, description=pad) for j in jobs[100:]]  # the listing's tail, padded too
    body = json.dumps({"jobs": big[:100], "nextToken": srv.token_for((), 100)}).encode()
    body += b" " * (20_000_000 - len(body))   # exactly 20 MB (trailing white space is JSON)
    assert len(body) == 20_000_000 < iotpager.DEFAULT_MAX_BODY
    b, i = both(srv, [{"status": 200, "body": body}])
    assert_same_outcome(b, i)
    assert i.ids == server_ids(srv)
    assert i.pages[0]["ResponseMetadata"]["HTTPHeaders"]["content-length"] == "20000000"


def test_over_the_default_cap_stops_at_the_headers(srv):
    body = b" " * (iotpager.DEFAULT_MAX_BODY + 1)
    i = run(iotpager.get_paginator(retry_client(srv)), srv, [{"status": 200, "body": body}])
    assert isinstance(i.error, iotpager.InvalidResponseError)
    assert f"response body over {iotpager.DEFAULT_MAX_BODY} bytes" in str(i.error)
    assert len(i.requests) == 1 and i.pages == []


@pytest.mark.parametrize("delivery", ["content-length", "chunked", "gzip", "gzip-chunked"])
def test_over_a_small_max_body(srv, delivery):
    action = {"pass": True}
    if "chunked" in delivery:
        action["chunked"] = True
    if "gzip" in delivery:
        action["gzip"] = True
    pag = iotpager.get_paginator(retry_client(srv), max_body=10_000)
    i = run(pag, srv, [action], **PAGING)   # a page of 50 jobs is ~17 KB
    assert isinstance(i.error, iotpager.InvalidResponseError), i.error
    assert "response body over 10000 bytes" in str(i.error)
    assert i.pages == [] and len(i.requests) == 1   # not retried
    # what and where: the HTTP status and the request id, as for invalid JSON
    assert i.error.status == 200 and i.error.request_id, vars(i.error)
    assert "HTTP 200" in str(i.error) and i.error.request_id in str(i.error), str(i.error)


def test_max_body_boundary(srv):
    """A body of exactly max_body bytes passes; one byte more does not."""
    body = json.dumps({"jobs": srv.public_jobs()}).encode()
    for cap, ok in ((len(body), True), (len(body) - 1, False)):
        for extra in ({}, {"chunked": True, "chunk_size": 1000}):
            pag = iotpager.get_paginator(retry_client(srv), max_body=cap)
            i = run(pag, srv, [dict({"status": 200, "body": body}, **extra)])
            if ok:
                assert i.error is None and i.ids == server_ids(srv), (cap, extra, i)
            else:
                assert isinstance(i.error, iotpager.InvalidResponseError), (cap, extra, i)


# --------------------------------------------------------------------------
# transfer details: Content-Type, gzip, chunked
# --------------------------------------------------------------------------

@pytest.mark.parametrize("ctype", ["text/html", "text/plain; charset=iso-8859-1",
                                   "application/octet-stream", "application/xml", ""])
def test_wrong_content_type_is_ignored_as_botocore_does(srv, ctype):
    b, i = both(srv, [{"content_type": ctype}, {"content_type": ctype}])
    assert_same_outcome(b, i)
    assert_same(b.pages, i.pages, "pages")
    assert i.ids == server_ids(srv)


@pytest.mark.parametrize("chunk_size", [1, 7, 4096, 1 << 20])
def test_chunked_pages(srv, chunk_size):
    action = {"chunked": True, "chunk_size": chunk_size}
    b, i = both(srv, [action, action, action])
    assert_same_outcome(b, i)
    assert_same(b.pages, i.pages, "pages")
    assert i.ids == server_ids(srv)
    assert i.pages[0]["ResponseMetadata"]["HTTPHeaders"]["transfer-encoding"] == "chunked"


@pytest.mark.parametrize("script", [
    [{"gzip": True}] * 3,
    [{"gzip": True, "chunked": True, "chunk_size": 5}] * 3,
    [{"gzip": "if-accepted"}, {"pass": True}, {"gzip": True, "chunked": True}],
])
def test_gzip_pages(srv, script):
    """gzip, as asked for (if-accepted) or forced: every job once. botocore
    asks for identity and does not decode; a forced gzip body breaks it."""
    i = run(iotpager.get_paginator(retry_client(srv)), srv, script, **PAGING)
    assert i.error is None, i.error
    assert i.ids == server_ids(srv)
    assert [p["ResponseMetadata"]["HTTPHeaders"].get("content-encoding") for p in i.pages] == \
        ["gzip" if a.get("gzip") else None for a in script]


def test_gzip_bomb_is_bounded_by_max_body(srv):
    """max_body caps the decoded body, however small the compressed one."""
    inner = b'{"jobs":[],"pad":"' + b"0" * 50_000_000 + b'"}'
    packed = gzip.compress(inner, compresslevel=9)
    assert len(packed) < 100_000
    pag = iotpager.get_paginator(retry_client(srv), max_body=1_000_000)
    i = run(pag, srv, [{"status": 200, "body": packed, "headers": {"Content-Encoding": "gzip"}}])
    assert isinstance(i.error, iotpager.InvalidResponseError)
    assert "over 1000000 bytes" in str(i.error)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "x-unknown"])
def test_mislabelled_content_encoding_is_a_clear_error(srv, encoding):
    """A plain JSON body labelled with a Content-Encoding. botocore does not
    decode (it asked for identity) and reads it; iotpager asked for gzip and
    cannot decode it: it must raise a clear error, never a silent skip."""
    b, i = both(srv, [{"headers": {"Content-Encoding": encoding}}], NO_RETRY)
    assert b.error is None and b.ids == server_ids(srv)
    assert i.error is not None and i.pages == []
    assert "encoding" in str(i.error).lower(), i.error


# --------------------------------------------------------------------------
# tokens
# --------------------------------------------------------------------------

TOKEN_CASES = {
    "duplicate": [b'{"jobs":[{"jobId":"a"}],"nextToken":"x"}', b'{"jobs":[{"jobId":"b"}],"nextToken":"x"}'],
    "duplicate-later": [b'{"jobs":[{"jobId":"a"}],"nextToken":"x"}', b'{"jobs":[{"jobId":"b"}],"nextToken":"y"}',
                        b'{"jobs":[{"jobId":"c"}],"nextToken":"y"}'],
    "empty": [b'{"jobs":[{"jobId":"a"}],"nextToken":""}'],
    "empty-on-a-later-page": [b'{"jobs":[{"jobId":"a"}],"nextToken":"x"}', b'{"jobs":[{"jobId":"b"}],"nextToken":""}'],
    "null": [b'{"jobs":[{"jobId":"a"}],"nextToken":null}'],
    "white-space": [b'{"jobs":[{"jobId":"a"}],"nextToken":" "}'],
    "empty-page-then-duplicate": [b'{"jobs":[],"nextToken":"x"}', b'{"jobs":[],"nextToken":"x"}'],
}


@pytest.mark.parametrize("case", list(TOKEN_CASES))
def test_duplicate_and_empty_tokens_as_botocore(srv, case):
    script = [{"status": 200, "body": body} for body in TOKEN_CASES[case]]
    b, i = both(srv, script, NO_RETRY)
    assert_same_outcome(b, i)
    assert_same(b.pages, i.pages, "pages")
    if case.startswith(("duplicate", "empty-page-then")):
        assert type(i.error) is botocore.exceptions.PaginationError
        assert "The same next token was received twice" in str(i.error)
