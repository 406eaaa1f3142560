"""Every paginated IoT operation: iotpager's listing equals boto3's on the same server.

For each operation of botocore's IoT model that boto3 can paginate (the list is
taken from botocore at run time), ``iotpager.get_paginator(client, op)`` and
``client.get_paginator(op)`` list the same ModelServer (deterministic, so the
same request gets byte-identical answers, request ids included) and are
compared whole with ``_compare.assert_same`` (key order, exact types,
datetimes with tzinfo and fold, ResponseMetadata):

* the pages, with PageSize and with the server's default page size (every
  operation's own token style: nextToken/maxResults, marker/nextMarker/
  pageSize, no limit key; the token in the query or in a POST body);
* the requests each side sent: the same method, path (URI labels encoded as
  botocore encodes them), decoded input members, body bytes, all signed;
* build_full_result(), search() and non_aggregate_part;
* MaxItems cuts inside a page and on a page boundary: pages and resume tokens
  byte-identical, and each side's token fed as StartingToken to the other
  gives the same rest;
* ``accelerate(client).list_xxx(...)``, one call, equals boto3's, first page
  and the page after it;
* an invalid token: the client's own exception class with the same response;
* bodies with every non-ASCII character \\u-escaped (surrogate pairs outside
  the BMP), iotpager.Client's own paginators, and 60 items of another seed in
  one page, for more generated variety.

Every operation is listed with every input member set (``example_input(op,
optional=True)``: URI labels with a space, ``/``, ``:``, ``+`` and ``é``,
header parameters, booleans and timestamps in the query, structures in a
POST body), 7 items of generated data (every member of every structure in
the first item; timestamps as integers, decimals and ``1.5...E9``) in pages
of 3.
"""

from __future__ import annotations

import copy

import botocore.exceptions
import botocore.session
import pytest
from botocore import xform_name

import iotpager
from _compare import assert_same, canon
from conftest import CREDS, REGION, make_boto_client, no_retry_config
from iotpager.testing import ModelServer

N = 7
PAGE = 3

_session = botocore.session.get_session()
_MODEL = _session.get_service_model("iot")
OPERATIONS = sorted(_session.get_paginator_model("iot")._paginator_config)

pytestmark = pytest.mark.usefixtures("hermetic_env")


def _cfg(op):
    return _session.get_paginator_model("iot").get_paginator(op)


@pytest.fixture(scope="module")
def srv():
    with ModelServer(n_items=N, seed=5, credentials=CREDS, default_page_size=PAGE,
                     deterministic=True) as s:
        yield s


@pytest.fixture(scope="module")
def client(srv):
    return make_boto_client(srv)


@pytest.fixture(scope="module")
def fast_client(srv):
    """A boto3 client of its own, accelerated (``client`` stays boto3's)."""
    c = make_boto_client(srv)
    assert iotpager.accelerate(c) is c
    return c


@pytest.fixture(scope="module")
def iclient(srv):
    """iotpager's own Client (one for the module: a Client costs a botocore session)."""
    ak, sk, token = CREDS
    c = iotpager.Client(region_name=REGION, endpoint_url=srv.endpoint_url, aws_access_key_id=ak,
                        aws_secret_access_key=sk, aws_session_token=token,
                        config=no_retry_config())
    yield c


@pytest.fixture(scope="module")
def ascii_srv():
    """The same items rendered with ensure_ascii=True: every non-ASCII character
    as a \\uXXXX escape, surrogate pairs outside the BMP."""
    with ModelServer(n_items=N, seed=5, credentials=CREDS, default_page_size=PAGE,
                     deterministic=True, ensure_ascii=True) as s:
        yield s


@pytest.fixture(scope="module")
def ascii_client(ascii_srv):
    return make_boto_client(ascii_srv)


def page_cfg(op, **kw):
    if _cfg(op).get("limit_key"):
        kw.setdefault("PageSize", PAGE)
    return kw


def run(srv, paginator, params, cfg):
    """Pages, the page iterator and the requests it sent."""
    start = len(srv.requests)
    it = paginator.paginate(**copy.deepcopy(params), PaginationConfig=dict(cfg))
    pages = list(it)
    return pages, it, srv.requests[start:]


def request_view(rec):
    """What must be the same in the requests of both sides: method, raw path,
    the decoded input members (the query's order may differ: README), body bytes."""
    return (rec["method"], rec["path"].partition("?")[0], rec["operation"], rec["input"],
            rec["body"])


def assert_same_requests(want, got):
    assert all(r["signature_ok"] for r in got), [r["signature_error"] for r in got]
    assert [request_view(r) for r in got] == [request_view(r) for r in want]


def iot(client, op):
    p = iotpager.get_paginator(client, xform_name(op))
    assert isinstance(p, iotpager.Paginator)
    return p


def test_every_paginated_operation_is_offered(client):
    ops = [o for o in _MODEL.operation_names if client.can_paginate(xform_name(o))]
    assert sorted(ops) == OPERATIONS and "ListJobs" in ops
    for op in ops:
        for name in (op, xform_name(op)):
            p = iotpager.get_paginator(client, name)
            assert isinstance(p, iotpager.Paginator), name
    with pytest.raises(Exception):
        iotpager.get_paginator(client, "describe_thing")


@pytest.mark.parametrize("op", OPERATIONS)
def test_pages_build_full_result_and_search(srv, client, op):
    cfg = _cfg(op)
    params = srv.example_input(op, optional=True)
    rk = cfg["result_key"]
    configs = [{}] + ([page_cfg(op)] if cfg.get("limit_key") else [])
    for pc in configs:
        bp, bit, breq = run(srv, client.get_paginator(xform_name(op)), params, pc)
        ip, iit, ireq = run(srv, iot(client, op), params, pc)
        assert_same(bp, ip, f"{op} pages {pc}")
        assert [len(p[rk]) for p in ip] == [PAGE, PAGE, N - 2 * PAGE]
        assert_same_requests(breq, ireq)
        assert iit.resume_token == bit.resume_token is None
        assert canon(iit.non_aggregate_part) == canon(bit.non_aggregate_part)

    pc = page_cfg(op)
    want = client.get_paginator(xform_name(op)).paginate(**params, PaginationConfig=dict(pc))
    got = iot(client, op).paginate(**params, PaginationConfig=dict(pc))
    assert_same(want.build_full_result(), got.build_full_result(), f"{op} build_full_result")

    for expr in (f"{rk}[]", cfg["output_token"]):
        want = client.get_paginator(xform_name(op)).paginate(**params, PaginationConfig=dict(pc))
        got = iot(client, op).paginate(**params, PaginationConfig=dict(pc))
        assert_same(list(want.search(expr)), list(got.search(expr)), f"{op} search({expr!r})")


@pytest.mark.parametrize("op", OPERATIONS)
def test_max_items_resume_tokens_and_cross_resume(srv, client, op):
    params = srv.example_input(op, optional=True)
    rk = _cfg(op)["result_key"]
    for max_items in (5, PAGE):  # inside a page, on a page boundary
        cfg = page_cfg(op, MaxItems=max_items)
        bp, bit, breq = run(srv, client.get_paginator(xform_name(op)), params, cfg)
        ip, iit, ireq = run(srv, iot(client, op), params, cfg)
        assert_same(bp, ip, f"{op} MaxItems={max_items} pages")
        assert sum(len(p[rk]) for p in ip) == max_items
        assert_same_requests(breq, ireq)
        assert iit.resume_token == bit.resume_token and bit.resume_token
        want_full = client.get_paginator(xform_name(op)).paginate(
            **params, PaginationConfig=dict(cfg)).build_full_result()
        got_full = iot(client, op).paginate(**params, PaginationConfig=dict(cfg)).build_full_result()
        assert_same(want_full, got_full, f"{op} MaxItems={max_items} build_full_result")

        # each side's token, resumed by the other and by itself: the same rest
        rests = []
        for token in (bit.resume_token, iit.resume_token):
            rcfg = page_cfg(op, StartingToken=token)
            b2, bit2, breq2 = run(srv, client.get_paginator(xform_name(op)), params, rcfg)
            i2, iit2, ireq2 = run(srv, iot(client, op), params, rcfg)
            assert_same(b2, i2, f"{op} resumed from MaxItems={max_items}")
            assert_same_requests(breq2, ireq2)
            assert iit2.resume_token == bit2.resume_token is None
            rests.append(i2)
        assert_same(rests[0], rests[1], f"{op} rest from either token")
        items = [x for p in ip for x in p[rk]] + [x for p in rests[0] for x in p[rk]]
        assert len(items) == N


@pytest.mark.parametrize("op", OPERATIONS)
def test_escaped_json_and_iotpager_client(srv, client, ascii_srv, ascii_client, iclient, op):
    """Pages of \\u-escaped bodies through get_paginator, and iotpager.Client's
    own paginator on the plain server, equal boto3's."""
    params = srv.example_input(op, optional=True)
    bp, _, breq = run(ascii_srv, ascii_client.get_paginator(xform_name(op)), params, {})
    ip, _, ireq = run(ascii_srv, iot(ascii_client, op), params, {})
    assert_same(bp, ip, f"{op} pages (ensure_ascii)")
    assert_same_requests(breq, ireq)

    assert iclient.can_paginate(xform_name(op))
    bp, _, breq = run(srv, client.get_paginator(xform_name(op)), params, {})
    ip, _, ireq = run(srv, iclient.get_paginator(xform_name(op)), params, {})
    assert_same(bp, ip, f"{op} pages (iotpager.Client)")
    assert_same_requests(breq, ireq)


@pytest.fixture(scope="module")
def many_srv():
    """More generated variety: 60 items per operation of another seed, one page."""
    with ModelServer(n_items=60, seed=23, credentials=CREDS, default_page_size=100,
                     deterministic=True) as s:
        yield s


@pytest.mark.parametrize("op", OPERATIONS)
def test_sixty_more_items_in_one_page(many_srv, op):
    client = make_boto_client(many_srv)  # a shared session's client: milliseconds
    params = many_srv.example_input(op, optional=True)
    bp, _, breq = run(many_srv, client.get_paginator(xform_name(op)), params, {})
    ip, _, ireq = run(many_srv, iot(client, op), params, {})
    assert_same(bp, ip, f"{op} pages (60 items)")
    assert len(ip) == 1 and len(ip[0][_cfg(op)["result_key"]]) == 60
    assert_same_requests(breq, ireq)


@pytest.mark.parametrize("op", OPERATIONS)
def test_accelerated_single_calls(srv, client, fast_client, op):
    cfg = _cfg(op)
    method = xform_name(op)
    params = srv.example_input(op)
    plain, fast = client, fast_client
    start = len(srv.requests)
    want = getattr(plain, method)(**params)
    mid = len(srv.requests)
    got = getattr(fast, method)(**params)
    assert_same(want, got, f"{method}()")
    assert_same_requests(srv.requests[start:mid], srv.requests[mid:])
    # the next page, by the output token, with the limit key where there is one
    more = dict(params, **{cfg["input_token"]: want[cfg["output_token"]]})
    if cfg.get("limit_key"):
        more[cfg["limit_key"]] = 2
    start = len(srv.requests)
    want2 = getattr(plain, method)(**more)
    mid = len(srv.requests)
    got2 = getattr(fast, method)(**more)
    assert_same(want2, got2, f"{method}(<next page>)")
    assert_same_requests(srv.requests[start:mid], srv.requests[mid:])


@pytest.mark.parametrize("op", ["ListAuditFindings", "ListCertificates", "ListTagsForResource",
                                "ListThingRegistrationTaskReports", "ListJobExecutionsForJob"])
def test_invalid_token_is_the_clients_error(srv, client, op):
    params = srv.example_input(op, optional=True)
    cfg = page_cfg(op, StartingToken="not-a-token-of-this-server")
    errors = []
    for p in (client.get_paginator(xform_name(op)), iot(client, op)):
        with pytest.raises(botocore.exceptions.ClientError) as ei:
            list(p.paginate(**params, PaginationConfig=dict(cfg)))
        errors.append(ei.value)
    want, got = errors
    assert type(got) is type(want)
    assert str(got) == str(want)
    assert_same(want.response, got.response, f"{op} error response")
