"""Issue 3: botocore's paginator semantics, retries and errors, as parity tests.

Every test runs the same scripted endpoint responses through botocore's own
paginator (a boto3 client on the local ListJobsServer) and through iotpager,
and compares the outcome WHOLE: the pages (with ``canon``: key order, exact
types, datetimes with tzinfo and fold, ResponseMetadata with RetryAttempts),
the resume tokens (byte-identical), build_full_result() and search() results,
exception classes and messages, ``e.response`` (with ``canon``), the number of
requests sent and the query each request carried.

botocore's retry handlers compute their delays with random jitter; the
``fast_backoff`` fixture makes the computed delays 1 ms (legacy: the
``random`` its delay function reads; standard: ``ExponentialBackoff``), and
iotpager sleeps the delay the client's own handler returns, so the retry
tests stay fast for both.
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import types

import boto3
import botocore.exceptions
import botocore.paginate
import botocore.retries.standard
import botocore.retryhandler
import pytest
from botocore.config import Config

import iotpager
from _botocore_now import default_retry_mode, enforces_content_length, is_short_body, short_body_script
from _compare import assert_same, canon
from conftest import AK, CREDS, REGION, SK, TOKEN, make_boto_client

N_JOBS = 120  # the ``srv`` fixture's listing (conftest: n_jobs=120, seed=11)


# --------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------

pytestmark = pytest.mark.usefixtures("hermetic_env")


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    """botocore's retry delays become ~1 ms (legacy: base * 2**(n-1) with base 0.001)."""
    monkeypatch.setattr(botocore.retryhandler, "random",
                        types.SimpleNamespace(random=lambda: 0.001))
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount",
                        lambda self, context: 0.001)


def retry_client(srv, retries=None, **config_kwargs):
    """A boto3 IoT client for ``srv`` with the given retry config (None: botocore's default)."""
    config = Config(retries=retries, **config_kwargs) if retries is not None else Config(**config_kwargs)
    return boto3.session.Session().client(
        "iot", endpoint_url=srv.endpoint_url, region_name=REGION,
        aws_access_key_id=AK, aws_secret_access_key=SK, aws_session_token=TOKEN,
        config=config)


def boto_paginator(client):
    p = client.get_paginator("list_jobs")
    assert type(p).__module__.startswith("botocore."), "a boto3 paginator was expected"
    return p


def iot_paginator(client, tz="local"):
    p = iotpager.get_paginator(client, "list_jobs", tz=tz)
    assert isinstance(p, iotpager.Paginator)
    return p


def job_ids(pages):
    return [j["jobId"] for p in pages for j in p.get("jobs", [])]


def wire(jobs, **extra):
    """A ListJobs body: the given wire jobs plus extra top-level keys, as the server renders."""
    doc = {"jobs": jobs}
    doc.update(extra)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_token(d):
    return base64.b64encode(json.dumps(d).encode("utf-8")).decode("utf-8")


def decode_token(tok):
    return json.loads(base64.b64decode(tok.encode("utf-8")).decode("utf-8"))


class Run:
    """One side's outcome: pages, the exception (or None), the PageIterator, the requests."""

    def __init__(self, pages, error, it, requests, left):
        self.pages = pages
        self.error = error
        self.it = it
        self.requests = requests
        self.left = left


def collect(iterable):
    out = []
    try:
        for item in iterable:
            out.append(item)
    except Exception as e:  # noqa: BLE001 - compared with botocore's
        return out, e
    return out, None


def run_side(srv, paginator, kwargs, script=()):
    srv.clear_script()
    srv.script(*script)
    start = len(srv.requests)
    it = paginator.paginate(**copy.deepcopy(kwargs or {}))
    pages, error = collect(it)
    left = srv.clear_script()
    return Run(pages, error, it, srv.requests[start:], left)


def assert_same_error(want, got):
    """botocore's exception ``want`` and iotpager's ``got``: class, message, response."""
    if want is None or got is None:
        assert want is got, f"botocore raised {want!r}, iotpager raised {got!r}"
        return
    tw, tg = type(want), type(got)
    assert (tw.__module__, tw.__qualname__) == (tg.__module__, tg.__qualname__), (
        f"exception class: botocore {tw.__module__}.{tw.__qualname__}, "
        f"iotpager {tg.__module__}.{tg.__qualname__}: {got}")
    assert str(got) == str(want)
    if hasattr(want, "response"):
        assert_same(want.response, got.response, "e.response")
    if hasattr(want, "operation_name"):
        assert got.operation_name == want.operation_name
    if hasattr(want, "kwargs"):
        # A documented difference (README): for connection errors botocore's
        # kwargs["error"] is the urllib3 exception object underneath, and
        # iotpager's is libcurl's message (a str); str(e) and the class match.
        if "error" in want.kwargs and not isinstance(want.kwargs["error"], str):
            assert isinstance(got.kwargs.get("error"), str) and got.kwargs["error"]
            assert {k: v for k, v in got.kwargs.items() if k != "error"} == \
                {k: v for k, v in want.kwargs.items() if k != "error"}
        else:
            assert got.kwargs == want.kwargs


def assert_same_run(b, i, *, same_requests=True):
    """Compare botocore's run ``b`` with iotpager's run ``i`` whole."""
    assert_same(b.pages, i.pages, "pages")
    assert_same_error(b.error, i.error)
    assert i.it.resume_token == b.it.resume_token
    assert canon(i.it.non_aggregate_part) == canon(b.it.non_aggregate_part)
    if same_requests:
        assert len(i.requests) == len(b.requests), "number of requests (attempts) differs"
        # the same parameters (decoded query) on every request, tokens included
        assert [r["query"] for r in i.requests] == [r["query"] for r in b.requests]
        assert i.left == b.left
    assert all(r["signature_ok"] for r in i.requests), [
        r["signature_error"] for r in i.requests if not r["signature_ok"]]


def both(srv, kwargs=None, script=(), make_client=None):
    """Run botocore's paginator, then iotpager's, on the same script; compare; return both.

    A script with a short body (``{"truncate": True}``), where the installed
    botocore parses short bodies: iotpager's run is compared with botocore's
    on the same script with a reset mid-body in place of each short body
    (both a connection closed early: retried, or ConnectionClosedError), and
    botocore's run on the short body itself is checked to be what it is
    documented to be (README): no retry, and a parse error or jobs lost.
    """
    make_client = make_client or (lambda: make_boto_client(srv))
    b = run_side(srv, boto_paginator(make_client()), kwargs, script)
    i = run_side(srv, iot_paginator(make_client()), kwargs, script)
    if not any(map(is_short_body, script)) or enforces_content_length():
        assert_same_run(b, i)
        return b, i
    r = run_side(srv, boto_paginator(make_client()), kwargs, short_body_script(script))
    assert_same_run(r, i)
    first = next(n for n, a in enumerate(script) if is_short_body(a))
    assert len(b.requests) == first + 1, "botocore retried a short body"
    assert not isinstance(b.error, botocore.exceptions.ConnectionClosedError), b.error
    assert b.error is not None or len(job_ids(b.pages)) < len(srv.public_jobs()), \
        "botocore parsed a short body and lost no job"
    return r, i


# --------------------------------------------------------------------------
# PaginationConfig: MaxItems, PageSize, unknown keys
# --------------------------------------------------------------------------

@pytest.mark.parametrize("page_size,max_items", [
    (25, 30),    # cut in the middle of the 2nd page
    (50, 7),     # cut in the middle of the 1st page
    (40, 119),   # one short of the end: the last page cut by one
    (None, 73),  # the server's default page size (50)
])
def test_max_items_cuts_a_page(srv, page_size, max_items):
    cfg = {"MaxItems": max_items}
    if page_size is not None:
        cfg["PageSize"] = page_size
    b, i = both(srv, {"PaginationConfig": cfg})
    assert len(job_ids(i.pages)) == max_items
    last = i.pages[-1]
    size = page_size or srv.default_page_size
    if (len(i.pages) - 1) * size + size < N_JOBS:
        # the cut page keeps its own nextToken key (the token after the whole page)
        assert last["nextToken"] == srv.token_for((), len(i.pages) * size)
    else:  # the listing's last page, cut: no nextToken of its own
        assert "nextToken" not in last
    tok = decode_token(i.it.resume_token)
    assert set(tok) == {"nextToken", "boto_truncate_amount"}
    assert tok["boto_truncate_amount"] == len(last["jobs"])
    assert type(i.it.resume_token) is str


@pytest.mark.parametrize("page_size,max_items", [(25, 50), (50, 50), (30, 90)])
def test_max_items_on_a_page_boundary(srv, page_size, max_items):
    b, i = both(srv, {"PaginationConfig": {"MaxItems": max_items, "PageSize": page_size}})
    assert len(job_ids(i.pages)) == max_items
    tok = decode_token(i.it.resume_token)
    assert tok == {"nextToken": i.pages[-1]["nextToken"]}  # no offset on a boundary
    assert len(i.requests) == max_items // page_size  # no request past the boundary


@pytest.mark.parametrize("max_items", [0, -5, -200, "5", "0", 10**6, N_JOBS, N_JOBS + 1])
def test_max_items_odd_values(srv, max_items):
    b, i = both(srv, {"PaginationConfig": {"MaxItems": max_items, "PageSize": 25}})
    if max_items in (10**6, N_JOBS, N_JOBS + 1):
        assert i.it.resume_token is None
        assert len(job_ids(i.pages)) == N_JOBS


@pytest.mark.parametrize("page_size", ["abc", "", "2.5", [25], object(), None.__class__])
def test_page_size_not_numeric_raises_at_paginate(srv, boto_client, page_size):
    errors = []
    for make in (boto_paginator, iot_paginator):
        # a fresh config each time, holding the same PageSize object (its repr is in the message)
        with pytest.raises(Exception) as ei:
            make(boto_client).paginate(PaginationConfig={"PageSize": page_size})
        errors.append(ei.value)
    assert_same_error(*errors)
    assert srv.requests == []  # raised before any request


@pytest.mark.parametrize("page_size", ["10", 10.0, 7.9, True])
def test_page_size_coerced_with_int(srv, page_size):
    b, i = both(srv, {"PaginationConfig": {"PageSize": page_size, "MaxItems": 30}})
    assert i.requests[0]["query"]["maxResults"] == str(int(page_size))


def test_unknown_pagination_config_keys_are_ignored(srv):
    cfg = {"PageSize": 40, "Foo": 1, "maxitems": 3, "MaxResults": 2, "NextToken": "x"}
    b, i = both(srv, {"PaginationConfig": cfg})
    assert len(job_ids(i.pages)) == N_JOBS


def test_filters_and_page_size(srv):
    b, i = both(srv, {"status": "COMPLETED", "targetSelection": "SNAPSHOT",
                      "PaginationConfig": {"PageSize": 7, "MaxItems": 17}})
    assert i.requests[0]["query"]["status"] == "COMPLETED"


# --------------------------------------------------------------------------
# StartingToken
# --------------------------------------------------------------------------

def _starting_tokens(srv):
    t50 = srv.token_for((), 50)
    t25 = srv.token_for((), 25)
    return {
        "new-plain": encode_token({"nextToken": t50}),
        "new-offset": encode_token({"nextToken": t50, "boto_truncate_amount": 7}),
        "new-offset-0": encode_token({"nextToken": t50, "boto_truncate_amount": 0}),
        "new-offset-end": encode_token({"nextToken": t25, "boto_truncate_amount": 25}),
        "new-offset-beyond": encode_token({"nextToken": t25, "boto_truncate_amount": 60}),
        "new-null-token": encode_token({"nextToken": None, "boto_truncate_amount": 3}),
        "legacy": f"{t50}___7",
        "legacy-0": f"{t25}___0",
        "legacy-none": "None___4",
        "legacy-bad-index": f"{t50}___x",  # not an index: the whole string is the token
        "opaque": t50,
        "opaque-unknown": "not-a-token",  # the service rejects it (400)
    }


@pytest.mark.parametrize("name", [
    "new-plain", "new-offset", "new-offset-0", "new-offset-end", "new-offset-beyond",
    "new-null-token", "legacy", "legacy-0", "legacy-none", "legacy-bad-index", "opaque",
    "opaque-unknown"])
@pytest.mark.parametrize("max_items", [None, 9])
def test_starting_token(srv, name, max_items):
    token = _starting_tokens(srv)[name]
    cfg = {"StartingToken": token, "PageSize": 25}
    if max_items is not None:
        cfg["MaxItems"] = max_items
    b, i = both(srv, {"PaginationConfig": cfg})
    if name == "new-offset" and max_items is None:
        # the first page (offset 50) sliced by 7 as botocore does
        ids = [j["jobId"] for j in srv.public_jobs()]
        assert job_ids(i.pages) == ids[57:]
    if name == "new-offset-beyond":
        assert i.pages[0]["jobs"] == []
    if name == "opaque-unknown":
        assert isinstance(i.error, botocore.exceptions.ClientError)


def test_starting_token_and_max_items_combine_offsets(srv):
    """StartingToken offset 7 + MaxItems 5: the next offset is 12, in both."""
    token = encode_token({"nextToken": srv.token_for((), 50), "boto_truncate_amount": 7})
    b, i = both(srv, {"PaginationConfig": {"StartingToken": token, "MaxItems": 5}})
    assert decode_token(i.it.resume_token)["boto_truncate_amount"] == 12


def test_starting_token_not_a_dict(srv):
    """A base64 JSON token that is not a dict: botocore's own error, at the first next()."""
    token = encode_token([1, 2])
    b, i = both(srv, {"PaginationConfig": {"StartingToken": token}})
    assert b.error is not None


# --------------------------------------------------------------------------
# Cross-resume
# --------------------------------------------------------------------------

@pytest.mark.parametrize("first", ["botocore", "iotpager"])
@pytest.mark.parametrize("page_size,max_items", [(25, 30), (25, 50), (50, 7), (40, 80)])
def test_cross_resume(srv, boto_client, first, page_size, max_items):
    make = {"botocore": boto_paginator, "iotpager": iot_paginator}
    other = "iotpager" if first == "botocore" else "botocore"
    cfg = {"PageSize": page_size, "MaxItems": max_items}
    it1 = make[first](boto_client).paginate(PaginationConfig=dict(cfg))
    part1 = list(it1)
    token = it1.resume_token
    assert token is not None
    # the same first leg in the other implementation gives the same token
    it1b = make[other](boto_client).paginate(PaginationConfig=dict(cfg))
    assert_same(part1, list(it1b), "first leg")
    assert it1b.resume_token == token

    # resume in the other implementation, and in the same one
    rest_cfg = {"PageSize": page_size, "StartingToken": token}
    it2 = make[other](boto_client).paginate(PaginationConfig=dict(rest_cfg))
    part2 = list(it2)
    it2b = make[first](boto_client).paginate(PaginationConfig=dict(rest_cfg))
    assert_same(list(it2b), part2, "resumed leg")
    all_ids = [j["jobId"] for j in srv.public_jobs()]
    assert job_ids(part1) + job_ids(part2) == all_ids  # every job exactly once

    # a chain of MaxItems legs, alternating implementations, also covers all
    ids, token, n = [], None, 0
    while True:
        cfg = {"PageSize": page_size, "MaxItems": max_items}
        if token:
            cfg["StartingToken"] = token
        p = [make[first], make[other]][n % 2](boto_client).paginate(PaginationConfig=cfg)
        ids += job_ids(list(p))
        token, n = p.resume_token, n + 1
        if token is None:
            break
    assert ids == all_ids


# --------------------------------------------------------------------------
# PageIterator API
# --------------------------------------------------------------------------

@pytest.mark.parametrize("cfg", [{}, {"PageSize": 25}, {"PageSize": 25, "MaxItems": 30},
                                 {"PageSize": 25, "MaxItems": 50}, {"MaxItems": 0}])
def test_build_full_result(srv, boto_client, cfg):
    want = boto_paginator(boto_client).paginate(PaginationConfig=dict(cfg)).build_full_result()
    got = iot_paginator(boto_client).paginate(PaginationConfig=dict(cfg)).build_full_result()
    assert_same(want, got, "build_full_result")
    if "MaxItems" in cfg:
        assert "NextToken" in got
    else:
        assert "NextToken" not in got
        assert list(got) == ["jobs"] and len(got["jobs"]) == N_JOBS


@pytest.mark.parametrize("expression", [
    "jobs[].jobId", "jobs[?status=='COMPLETED'].[jobId, createdAt]", "nextToken",
    "length(jobs)", "ResponseMetadata.RetryAttempts", "jobs[0]", "no_such_key",
])
def test_search(srv, boto_client, expression):
    cfg = {"PageSize": 25, "MaxItems": 60}
    want = list(boto_paginator(boto_client).paginate(PaginationConfig=dict(cfg)).search(expression))
    got = list(iot_paginator(boto_client).paginate(PaginationConfig=dict(cfg)).search(expression))
    assert_same(want, got, f"search({expression!r})")
    if expression == "jobs[].jobId":
        assert got == [j["jobId"] for j in srv.public_jobs()[:60]]


def test_result_key_iters_and_result_keys(srv, boto_client):
    cfg = {"PageSize": 30, "MaxItems": 70}
    bi = boto_paginator(boto_client).paginate(PaginationConfig=dict(cfg))
    ii = iot_paginator(boto_client).paginate(PaginationConfig=dict(cfg))
    assert [k.expression for k in ii.result_keys] == [k.expression for k in bi.result_keys] == ["jobs"]
    want = [list(r) for r in bi.result_key_iters()]
    got_iters = ii.result_key_iters()
    assert [type(r) for r in got_iters] == [botocore.paginate.ResultKeyIterator]
    assert [r.result_key.expression for r in got_iters] == ["jobs"]
    got = [list(r) for r in got_iters]
    assert_same(want, got, "result_key_iters")
    assert ii.resume_token == bi.resume_token
    assert canon(ii.non_aggregate_part) == canon(bi.non_aggregate_part)


@pytest.mark.parametrize("value", [
    {"nextToken": "abc"},
    {"nextToken": "tok+/= é✓\U0001F680", "boto_truncate_amount": 3},
    {"nextToken": None},
    {"boto_truncate_amount": 2, "nextToken": "x"},
    "a string", None, ["nextToken"], {}, {"NextToken": "x"}, {"nextToken": "x", "extra": 1},
    {"boto_truncate_amount": 1},
])
def test_resume_token_setter(boto_client, value):
    bi = boto_paginator(boto_client).paginate()
    ii = iot_paginator(boto_client).paginate()
    berr = ierr = None
    try:
        bi.resume_token = value
    except Exception as e:  # noqa: BLE001
        berr = e
    try:
        ii.resume_token = value
    except Exception as e:  # noqa: BLE001
        ierr = e
    assert_same_error(berr, ierr)
    if berr is not None:
        assert type(ierr) is ValueError
        assert str(ierr) == f"Bad starting token: {value}"
    assert ii.resume_token == bi.resume_token


def test_resume_token_set_then_iterate(srv, boto_client):
    """A resume token set by hand is overwritten by iteration as in botocore."""
    runs = []
    for make in (boto_paginator, iot_paginator):
        it = make(boto_client).paginate(PaginationConfig={"PageSize": 25, "MaxItems": 40})
        it.resume_token = {"nextToken": "by-hand"}
        before = it.resume_token
        pages = list(it)
        runs.append((before, pages, it.resume_token))
    assert runs[0][0] == runs[1][0]
    assert_same(runs[0][1], runs[1][1], "pages")
    assert runs[0][2] == runs[1][2]


@pytest.mark.parametrize("cfg", [
    {}, {"PageSize": 25}, {"PageSize": 25, "MaxItems": 30}, {"PageSize": 25, "MaxItems": 50},
    {"PageSize": 25, "StartingToken": "STARTING"},
])
def test_iterating_the_same_page_iterator_twice(srv, boto_client, cfg):
    cfg = dict(cfg)
    if cfg.get("StartingToken") == "STARTING":
        cfg["StartingToken"] = encode_token({"nextToken": srv.token_for((), 50),
                                             "boto_truncate_amount": 5})
    results = []
    for make in (boto_paginator, iot_paginator):
        start = len(srv.requests)
        it = make(boto_client).paginate(PaginationConfig=dict(cfg))
        first, e1 = collect(it)
        tok1 = it.resume_token
        second, e2 = collect(it)
        tok2 = it.resume_token
        qs = [r["query"] for r in srv.requests[start:]]
        results.append((first, e1, tok1, second, e2, tok2, qs))
    (bf, be1, bt1, bs, be2, bt2, bq), (i_f, ie1, it1, i_s, ie2, it2, iq) = results
    assert_same(bf, i_f, "first iteration")
    assert_same_error(be1, ie1)
    assert it1 == bt1
    assert_same(bs, i_s, "second iteration")
    assert_same_error(be2, ie2)
    assert it2 == bt2
    assert iq == bq


@pytest.mark.parametrize("prefetch", [False, True])
def test_partial_iteration_then_again(srv, boto_client, prefetch):
    """One page through a first generator, then a full second iteration, then the rest of the first."""
    results = []
    makers = (boto_paginator,
              lambda c: iotpager.get_paginator(c, "list_jobs", prefetch=prefetch))
    for make in makers:
        start = len(srv.requests)
        it = make(boto_client).paginate(PaginationConfig={"PageSize": 20})
        g1 = iter(it)
        head = next(g1)
        full, err = collect(it)
        rest, err2 = collect(g1)
        results.append(([head], full, err, rest, err2, [r["query"] for r in srv.requests[start:]]))
    b, i = results
    assert_same(b[0], i[0], "first page")
    assert_same(b[1], i[1], "second iteration")
    assert_same_error(b[2], i[2])
    assert_same(b[3], i[3], "rest of the first generator")
    assert_same_error(b[4], i[4])
    if not prefetch:
        assert b[5] == i[5]
    else:
        # prefetch sends the next page's request early; when botocore's loop
        # then restarts elsewhere, that early request was spent for nothing:
        # every request botocore made is still made, in order, plus those
        extra = list(i[5])
        for q in b[5]:
            assert q in extra, (q, extra)
            del extra[:extra.index(q) + 1]


# --------------------------------------------------------------------------
# End of pages
# --------------------------------------------------------------------------

def test_duplicate_next_token(srv):
    jobs = srv.public_jobs()
    dup = "dup+token/=é"
    script = [{"body": wire(jobs[0:3], nextToken=dup)},
              {"body": wire(jobs[3:6], nextToken=dup)},
              {"body": wire(jobs[6:9], nextToken="never-reached")}]
    b, i = both(srv, {}, script)
    assert len(i.pages) == 2  # the page with the repeated token is yielded first
    assert type(i.error) is botocore.exceptions.PaginationError
    assert str(i.error) == f"Error during pagination: The same next token was received twice: {{'nextToken': '{dup}'}}"
    assert i.left == 1


def test_duplicate_next_token_later(srv):
    """A token repeated after a real page (the service's own token) is the same error."""
    jobs = srv.public_jobs()
    t = srv.token_for((), 50)
    script = [{"pass": True},
              {"body": wire(jobs[50:52], nextToken=t)},
              {"body": wire(jobs[52:54], nextToken=t)}]
    b, i = both(srv, {}, script)
    assert type(i.error) is botocore.exceptions.PaginationError


def test_token_repeated_not_consecutively_is_not_an_error(srv):
    """A -> B -> A: botocore only compares with the previous token; so must iotpager."""
    jobs = srv.public_jobs()
    script = [{"body": wire(jobs[0:2], nextToken="A")},
              {"body": wire(jobs[2:4], nextToken="B")},
              {"body": wire(jobs[4:6], nextToken="A")},
              {"body": wire(jobs[6:8])}]
    b, i = both(srv, {}, script)
    assert i.error is None and len(i.pages) == 4


def test_empty_pages_with_a_token_continue(srv):
    jobs = srv.public_jobs()
    script = [{"body": wire([], nextToken="e1")},
              {"body": wire([], nextToken="e2")},
              {"body": wire(jobs[:50], nextToken=srv.token_for((), 50))}]
    b, i = both(srv, {}, script)
    assert [len(p["jobs"]) for p in i.pages] == [0, 0, 50, 50, 20]
    assert job_ids(i.pages) == [j["jobId"] for j in jobs]


def test_empty_page_with_max_items(srv):
    script = [{"body": wire([], nextToken="e1")}, {"pass": True}]
    both(srv, {"PaginationConfig": {"MaxItems": 10}}, script)


@pytest.mark.parametrize("body", [
    b'{"jobs":[],"nextToken":""}',
    b'{"jobs":[],"nextToken":null}',
    b'{"jobs":[]}',
    b'{"nextToken":""}',
    b'{}',
], ids=["empty-string", "null", "absent", "no-jobs-empty-token", "empty-object"])
def test_end_of_listing_tokens(srv, body):
    jobs = srv.public_jobs()
    b, i = both(srv, {}, [{"body": wire(jobs[:3], nextToken="t1")}, {"body": body},
                          {"pass": True}])
    assert len(i.pages) == 2 and i.error is None
    assert i.left == 1


@pytest.mark.parametrize("token", ["", None])
def test_first_page_without_a_real_token_ends(srv, token):
    jobs = srv.public_jobs()
    body = wire(jobs[:4], nextToken=token)
    b, i = both(srv, {"PaginationConfig": {"MaxItems": 2}}, [{"body": body}])
    b, i = both(srv, {}, [{"body": body}, {"pass": True}])
    assert len(i.pages) == 1


def test_next_token_string_none_quirk(srv):
    """botocore does not send a nextToken of 'None': the next request starts over."""
    jobs = srv.public_jobs()
    b, i = both(srv, {"PaginationConfig": {"PageSize": 50}},
                [{"body": wire(jobs[100:102], nextToken="None")}])
    assert "nextToken" not in i.requests[1]["query"]
    assert len(i.pages) == 1 + 3


def test_next_token_string_none_with_max_items(srv):
    jobs = srv.public_jobs()
    b, i = both(srv, {"PaginationConfig": {"PageSize": 50, "MaxItems": 2}},
                [{"body": wire(jobs[100:102], nextToken="None")}])
    b, i = both(srv, {"PaginationConfig": {"PageSize": 50, "MaxItems": 1}},
                [{"body": wire(jobs[100:102], nextToken="None")}])


# --------------------------------------------------------------------------
# Parameter validation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"status": 5},
    {"status": ["IN_PROGRESS"]},
    {"maxResults": "10"},
    {"maxResults": 0},
    {"maxResults": 251},
    {"PaginationConfig": {"PageSize": 0}},
    {"PaginationConfig": {"PageSize": -3}},
    {"PaginationConfig": {"PageSize": 10**6}},
    {"foo": 1},
    {"foo": 1, "bar": 2, "status": 3},
    {"nextToken": 5},
    {"thingGroupName": b"bytes"},
    {"thingGroupName": ""},
    {"namespaceId": None},
])
def test_param_validation(srv, boto_client, kwargs):
    runs = []
    for make in (boto_paginator, iot_paginator):
        start = len(srv.requests)
        it = make(boto_client).paginate(**copy.deepcopy(kwargs))  # nothing raised here
        gen = iter(it)
        with pytest.raises(Exception) as ei:
            next(gen)
        runs.append((ei.value, len(srv.requests) - start))
    (berr, bn), (ierr, i_n) = runs
    assert_same_error(berr, ierr)
    assert isinstance(ierr, (botocore.exceptions.ParamValidationError, botocore.exceptions.ClientError))
    assert i_n == bn
    if isinstance(berr, botocore.exceptions.ParamValidationError):
        assert i_n == 0  # raised before any request
    else:  # botocore checks no maximum: the service's 400
        assert type(ierr).__name__ == "InvalidRequestException" and i_n == 1


def test_unmodeled_enum_value_goes_to_the_service(srv):
    b, i = both(srv, {"status": "BOGUS"})
    assert type(i.error).__name__ == "InvalidRequestException"


def test_valid_params(srv):
    b, i = both(srv, {"status": "IN_PROGRESS", "maxResults": 11,
                      "thingGroupName": "fleet:eu-west-1:sensors"})
    assert i.requests[0]["query"]["maxResults"] == "11"


# --------------------------------------------------------------------------
# Errors (retries disabled)
# --------------------------------------------------------------------------

ERROR_ACTIONS = {
    "throttling-400": {"error": "ThrottlingException", "status": 400, "message": "Rate exceeded"},
    "throttling-429": {"error": "ThrottlingException", "status": 429},
    "invalid-request-400": {"error": "InvalidRequestException", "status": 400, "message": "bad"},
    "not-found-404": {"error": "ResourceNotFoundException", "status": 404},
    "unmodeled-400": {"error": "SomethingNewException", "status": 400, "message": "new"},
    "access-denied-403": {"error": "AccessDeniedException", "status": 403},
    "500-json": {"error": "InternalFailureException", "status": 500, "message": "oops"},
    "503-json-modeled": {"error": "ServiceUnavailableException", "status": 503},
    "503-json-no-code": {"status": 503, "json": {"message": "Service Unavailable"}},
    "502-json-type-field": {"status": 502, "json": {"__type": "BadGatewayException", "message": "m"}},
    "500-html": {"status": 500, "body": b"<html><body><h1>500 Internal Server Error</h1></body></html>"},
    "502-html": {"status": 502, "body": b"<html><head><title>502 Bad Gateway</title></head></html>"},
    "503-html": {"status": 503, "body": b"<!DOCTYPE html><html><body>Service Unavailable</body></html>"},
    "504-html": {"status": 504, "body": b"<html><body>Gateway Timeout</body></html>"},
    "500-empty": {"status": 500, "body": b""},
    "502-empty": {"status": 502, "body": b""},
    "503-empty": {"status": 503, "body": b""},
    "504-empty": {"status": 504, "body": b""},
    "504-json-empty-object": {"status": 504, "json": {}},
    "400-text": {"status": 400, "body": b"plain text, not json"},
}


@pytest.mark.parametrize("where", ["first-page", "third-page"])
@pytest.mark.parametrize("name", list(ERROR_ACTIONS))
def test_errors_without_retries(srv, name, where):
    action = ERROR_ACTIONS[name]
    script = [action] if where == "first-page" else [{"pass": True}, {"pass": True}, action]
    b, i = both(srv, {"PaginationConfig": {"PageSize": 25}}, script)
    assert isinstance(b.error, botocore.exceptions.ClientError)
    assert len(i.pages) == len(script) - 1
    assert i.error.response["ResponseMetadata"]["HTTPStatusCode"] == action["status"]
    if name.endswith(("-html", "-empty", "-text")):
        # botocore's generic code: the status as a string
        assert i.error.response["Error"]["Code"] == str(action["status"])
        assert type(i.error) is botocore.exceptions.ClientError


@pytest.mark.parametrize("name,cls", [
    ("throttling-400", "ThrottlingException"), ("throttling-429", "ThrottlingException"),
    ("invalid-request-400", "InvalidRequestException"),
    ("not-found-404", "ResourceNotFoundException"),
    ("503-json-modeled", "ServiceUnavailableException"),
])
def test_error_is_the_clients_own_class(srv, boto_client, name, cls):
    srv.script(ERROR_ACTIONS[name])
    client_cls = getattr(boto_client.exceptions, cls)
    with pytest.raises(client_cls) as ei:
        list(iot_paginator(boto_client).paginate())
    assert type(ei.value) is client_cls
    try:
        srv.script(ERROR_ACTIONS[name])
        list(iot_paginator(boto_client).paginate())
    except boto_client.exceptions.ThrottlingException as e:
        assert cls == "ThrottlingException", e
    except boto_client.exceptions.ClientError as e:
        assert cls != "ThrottlingException", e
    else:
        pytest.fail("nothing raised")


@pytest.mark.parametrize("fault", ["reset-before-headers", "reset-mid-body", "truncated-body"])
@pytest.mark.parametrize("where", ["first-page", "second-page"])
def test_transport_error_without_retries(srv, fault, where):
    """A connection failure with retries disabled: one attempt, botocore's exception and message.

    botocore's message names the request URL (path and query); a second-page
    failure happens on a kept-alive connection, where nothing may be re-sent
    behind the retry handler's back.
    """
    action = {"reset-before-headers": {"reset": "before_headers"},
              "reset-mid-body": {"reset": "mid_body"},
              "truncated-body": {"truncate": True}}[fault]
    script = [action] if where == "first-page" else [{"pass": True}, action]
    b, i = both(srv, {"PaginationConfig": {"PageSize": 25}}, script)
    assert type(i.error) is botocore.exceptions.ConnectionClosedError
    assert len(i.requests) == len(script)


# --------------------------------------------------------------------------
# Retries
# --------------------------------------------------------------------------

RETRY_MODES = {
    # no retry configuration: botocore's default mode, whichever the installed
    # botocore picks (legacy before 1.44, standard since), found at run time
    "default": (None, None),
    "legacy": ({"mode": "legacy"}, 5),
    "standard": ({"mode": "standard"}, 3),
    "legacy-max_attempts-2": ({"mode": "legacy", "max_attempts": 2}, 3),
    "standard-total-4": ({"mode": "standard", "total_max_attempts": 4}, 4),
}


def retry_mode(name):
    """(retries config, attempts) of RETRY_MODES[name]."""
    retries, attempts = RETRY_MODES[name]
    if attempts is None:
        attempts = RETRY_MODES[default_retry_mode()][1]
    return retries, attempts

FAULTS = {
    "throttling-400": {"error": "ThrottlingException", "status": 400},
    "throttling-429": {"error": "ThrottlingException", "status": 429},
    "503-html": {"status": 503, "body": b"<html><body>Service Unavailable</body></html>"},
    "500-json": {"error": "InternalFailureException", "status": 500},
    "reset-before-headers": {"reset": "before_headers"},
    "truncated-body": {"truncate": True},
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("mode", list(RETRY_MODES))
def test_retries_then_success(srv, mode, fault):
    retries, attempts = retry_mode(mode)
    faults = [FAULTS[fault]] * (attempts - 1)
    # faults on the first page, then on the second page
    script = faults + [{"pass": True}] + faults
    b, i = both(srv, {"PaginationConfig": {"PageSize": 40}}, script,
                make_client=lambda: retry_client(srv, retries))
    assert i.error is None
    assert job_ids(i.pages) == [j["jobId"] for j in srv.public_jobs()]  # each job once
    assert [p["ResponseMetadata"]["RetryAttempts"] for p in i.pages] == [attempts - 1] * 2 + [0]
    assert len(i.requests) == 2 * attempts + 1
    assert i.left == 0


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("mode", list(RETRY_MODES))
def test_retries_exhausted(srv, mode, fault):
    retries, attempts = retry_mode(mode)
    script = [{"pass": True}] + [FAULTS[fault]] * attempts + [{"pass": True}]
    b, i = both(srv, {"PaginationConfig": {"PageSize": 40}}, script,
                make_client=lambda: retry_client(srv, retries))
    assert i.error is not None
    assert len(i.pages) == 1
    assert len(i.requests) == attempts + 1
    assert i.left == 1
    if isinstance(b.error, botocore.exceptions.ClientError):
        assert f"(reached max retries: {attempts - 1})" in str(i.error)
        assert i.error.response["ResponseMetadata"]["RetryAttempts"] == attempts - 1


def test_standard_retry_quota_is_released_on_success(srv):
    """Standard mode: a retried request that then succeeds gives its quota back.

    botocore's endpoint emits needs-retry for every response, successes
    included; the standard handler releases the retry quota there. 120 pages,
    each throttled once: 120 retries x 5 units is more than the 500-unit quota
    unless the successes refill it, as they do in botocore.
    """
    script = [{"error": "ThrottlingException", "status": 400}, {"pass": True}] * N_JOBS
    b, i = both(srv, {"PaginationConfig": {"PageSize": 1}}, script,
                make_client=lambda: retry_client(srv, {"mode": "standard"}))
    assert b.error is None and len(b.pages) == N_JOBS
    assert job_ids(i.pages) == [j["jobId"] for j in srv.public_jobs()]


def test_retry_then_non_retryable_error(srv):
    script = [{"error": "ThrottlingException", "status": 400},
              {"error": "InvalidRequestException", "status": 400}]
    b, i = both(srv, {}, script, make_client=lambda: retry_client(srv))
    assert "InvalidRequestException" in str(i.error)
    assert i.error.response["ResponseMetadata"]["RetryAttempts"] == 1


def test_retry_mixed_faults(srv):
    script = [{"reset": "before_headers"}, {"error": "ThrottlingException", "status": 400},
              {"truncate": True}, {"status": 502, "body": b""}, {"pass": True},
              {"reset": "mid_body"}, {"pass": True}]
    # four faults in a row on the first page: legacy mode's 5 attempts
    b, i = both(srv, {"PaginationConfig": {"PageSize": 50}}, script,
                make_client=lambda: retry_client(srv, {"mode": "legacy"}))
    assert [p["ResponseMetadata"]["RetryAttempts"] for p in i.pages] == [4, 1, 0]


def test_every_retry_is_re_signed_with_fresh_credentials(srv):
    """Credentials rotated between attempts: the retry is signed with the new ones."""
    client = retry_client(srv)
    creds = client._request_signer._credentials
    new = ("AKIDROTATED000000002", "rotated/secret", "rotated-token")
    state = {"n": 0}
    orig = type(creds).get_frozen_credentials

    def frozen(self):
        state["n"] += 1
        if state["n"] > 1:
            srv.credentials = new
            self.access_key, self.secret_key, self.token = new
        return orig(self)

    srv.script({"error": "ThrottlingException", "status": 400}, {"pass": True})
    start = len(srv.requests)
    try:
        type(creds).get_frozen_credentials = frozen
        pages = list(iot_paginator(client).paginate(PaginationConfig={"MaxItems": 10}))
    finally:
        type(creds).get_frozen_credentials = orig
        srv.credentials = CREDS
    reqs = srv.requests[start:]
    assert len(reqs) == 2 and all(r["signature_ok"] for r in reqs)
    assert reqs[1]["headers"]["authorization"].split("Credential=")[1].startswith(new[0])
    assert pages[0]["ResponseMetadata"]["RetryAttempts"] == 1


# --------------------------------------------------------------------------
# accelerate()
# --------------------------------------------------------------------------

def test_accelerate_returns_the_same_client(srv):
    client = make_boto_client(srv)
    plain = make_boto_client(srv)
    orig_can_paginate = type(client).can_paginate
    exceptions_before = client.exceptions
    assert iotpager.accelerate(client) is client
    p = client.get_paginator("list_jobs")
    assert isinstance(p, iotpager.Paginator)
    assert isinstance(p, botocore.paginate.Paginator)
    assert type(p.paginate()) is iotpager.PageIterator
    # every paginated operation is iotpager's; can_paginate stays boto3's
    other = client.get_paginator("list_things")
    assert isinstance(other, iotpager.Paginator)
    assert other._op.name == "ListThings"
    for name in plain.meta.service_model.operation_names:
        method = botocore.xform_name(name)
        if plain.can_paginate(method):
            assert isinstance(client.get_paginator(method), iotpager.Paginator), name
            assert getattr(client, method).__name__ == method
            assert method in client.__dict__, name
        else:
            assert method not in client.__dict__, name
    assert "can_paginate" not in client.__dict__
    assert type(client).can_paginate is orig_can_paginate
    for op in ("list_jobs", "ListJobs", "list_things", "describe_job", "no_such_op"):
        want = werr = None
        try:
            want = plain.can_paginate(op)
        except Exception as e:  # noqa: BLE001 - botocore's KeyError for unknown names
            werr = e
        if werr is None:
            assert client.can_paginate(op) == want
        else:
            with pytest.raises(type(werr)) as ei:
                client.can_paginate(op)
            assert_same_error(werr, ei.value)
    with pytest.raises(Exception) as e1:
        plain.get_paginator("describe_job")
    with pytest.raises(Exception) as e2:
        client.get_paginator("describe_job")
    assert_same_error(e1.value, e2.value)
    # the same exception classes as before
    assert client.exceptions is exceptions_before


@pytest.mark.parametrize("cfg", [{}, {"PageSize": 25, "MaxItems": 60},
                                 {"PageSize": 25, "MaxItems": 30}])
def test_accelerated_paginator_equals_boto3(srv, cfg):
    plain = make_boto_client(srv)
    client = iotpager.accelerate(make_boto_client(srv))
    bi = plain.get_paginator("list_jobs").paginate(PaginationConfig=dict(cfg))
    ii = client.get_paginator("list_jobs").paginate(PaginationConfig=dict(cfg))
    assert isinstance(ii, iotpager.PageIterator)
    assert_same(list(bi), list(ii), "pages")
    assert ii.resume_token == bi.resume_token
    assert_same(plain.get_paginator("list_jobs").paginate(PaginationConfig=dict(cfg)).build_full_result(),
                client.get_paginator("list_jobs").paginate(PaginationConfig=dict(cfg)).build_full_result())


@pytest.mark.parametrize("kwargs", [
    {}, {"maxResults": 7}, {"maxResults": 250}, {"status": "COMPLETED", "maxResults": 3},
    {"nextToken": "TOKEN50"}, {"nextToken": "TOKEN50", "maxResults": 100},
])
def test_accelerated_list_jobs_equals_boto3(srv, kwargs):
    kwargs = dict(kwargs)
    if kwargs.get("nextToken") == "TOKEN50":
        kwargs["nextToken"] = srv.token_for((), 50)
    plain = make_boto_client(srv)
    client = iotpager.accelerate(make_boto_client(srv))
    start = len(srv.requests)
    want = plain.list_jobs(**kwargs)
    mid = len(srv.requests)
    got = client.list_jobs(**kwargs)
    assert_same(want, got, "list_jobs")
    assert len(srv.requests) - mid == mid - start == 1
    assert srv.requests[-1]["query"] == srv.requests[-2]["query"]
    assert srv.requests[-1]["signature_ok"]


@pytest.mark.parametrize("kwargs", [{"maxResults": 0}, {"foo": 1}, {"status": 1}, {"nextToken": 3}])
def test_accelerated_list_jobs_validation(srv, kwargs):
    plain = make_boto_client(srv)
    client = iotpager.accelerate(make_boto_client(srv))
    with pytest.raises(botocore.exceptions.ParamValidationError) as e1:
        plain.list_jobs(**kwargs)
    with pytest.raises(botocore.exceptions.ParamValidationError) as e2:
        client.list_jobs(**kwargs)
    assert_same_error(e1.value, e2.value)
    assert srv.requests == []


@pytest.mark.parametrize("name", ["throttling-400", "503-html", "500-empty", "invalid-request-400"])
def test_accelerated_list_jobs_errors(srv, name):
    plain = make_boto_client(srv)
    client = iotpager.accelerate(make_boto_client(srv))
    srv.script(ERROR_ACTIONS[name])
    with pytest.raises(Exception) as e1:
        plain.list_jobs()
    srv.script(ERROR_ACTIONS[name])
    with pytest.raises(client.exceptions.ClientError) as e2:
        client.list_jobs()
    assert_same_error(e1.value, e2.value)
    if name == "throttling-400":
        assert type(e2.value) is client.exceptions.ThrottlingException


def test_accelerated_list_jobs_retries(srv):
    plain = retry_client(srv, {"mode": "standard"})
    client = iotpager.accelerate(retry_client(srv, {"mode": "standard"}))
    srv.script({"error": "ThrottlingException", "status": 400}, {"status": 503, "body": b""})
    want = plain.list_jobs(maxResults=9)
    srv.script({"error": "ThrottlingException", "status": 400}, {"status": 503, "body": b""})
    got = client.list_jobs(maxResults=9)
    assert_same(want, got, "list_jobs")
    assert got["ResponseMetadata"]["RetryAttempts"] == 2


def test_accelerate_options(srv):
    client = make_boto_client(srv)
    iotpager.accelerate(client, tz="utc")
    page = client.list_jobs(maxResults=3)
    assert all(j["createdAt"].tzinfo is datetime.timezone.utc for j in page["jobs"])
    page = next(iter(client.get_paginator("list_jobs").paginate(PaginationConfig={"PageSize": 3})))
    assert all(j["createdAt"].tzinfo is datetime.timezone.utc for j in page["jobs"])
    # the same instants as botocore's (tzlocal) values
    plain = make_boto_client(srv)
    want = plain.list_jobs(maxResults=3)
    assert [j["createdAt"] for j in want["jobs"]] == [j["createdAt"] for j in page["jobs"]]
    # accelerating again only updates the options: back to botocore's tzlocal, the same bytes
    assert iotpager.accelerate(client, tz="local") is client
    assert_same(want, client.list_jobs(maxResults=3), "list_jobs after re-accelerate")
    with pytest.raises(ValueError):
        iotpager.accelerate(client, tz="Europe/Paris")
