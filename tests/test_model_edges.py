"""Corners of the plan engine a review found, each checked against botocore
(or boto3 on a ModelServer) rather than against our own expectations.

* Plan refuses what would crash the builder (a structure member without a
  key, a node that is not a tuple of exact ints) before any parse.
* A reason or path cut inside a UTF-8 character still raises
  InvalidResponseError (not UnicodeDecodeError).
* Keys with a lone surrogate escape (valid JSON that json.loads takes) in
  members nobody reads, in type-mismatched containers and in maps: the same
  page as botocore's.
* A header parameter with a line break: boto3's HTTPClientError before any
  request; with a NUL: refused the same way (libcurl's header lines cannot
  carry it; boto3 sends it).
* A POST listing is logged with its method.
"""

from __future__ import annotations

import logging

import botocore.exceptions
import pytest

import iotpager
from iotpager import _core, _model
from _compare import assert_same
from conftest import CREDS, make_boto_client
from iotpager.testing import ModelServer

pytestmark = pytest.mark.usefixtures("hermetic_env")


@pytest.fixture(scope="module")
def client():
    import boto3

    return boto3.client("iot", region_name="us-east-1", aws_access_key_id="a",
                        aws_secret_access_key="b")


def botocore_page(client, op, body, headers=None):
    model = client.meta.service_model.operation_model(op)
    response = {"status_code": 200, "headers": dict(headers or {}), "body": body}
    page = client._response_parser.parse(response, model.output_shape)
    page["ResponseMetadata"]["RetryAttempts"] = 0
    return page


def test_plan_refuses_a_member_without_a_key():
    with pytest.raises(ValueError, match="without a key"):
        _core.Plan([(1, 0, "", None, (1,), ()), (4, 0, "x", None, (), ())], -1, 0)


def test_plan_takes_exact_ints_only():
    class Sneaky(int):
        def __index__(self):  # would run user code between Plan's two passes
            raise AssertionError("called")

    with pytest.raises(TypeError):
        _core.Plan([(Sneaky(1), 0, "", None, (), ())], -1, -1)
    with pytest.raises(TypeError):
        _core.Plan([(1, 0, "", None, (Sneaky(1),), ()), (4, 0, "x", "x", (), ())], -1, -1)


@pytest.mark.parametrize("body", [
    '{"things":[{"version":"' + "\u20ac" * 80 + '"}]}',           # botocore's message cut
    '{"things":[{"attributes":{"a' + "\u20ac" * 30 + '": 01}}]}',  # the path cut
])
def test_cut_utf8_still_gives_invalid_response(client, body):
    with pytest.raises(iotpager.InvalidResponseError) as ei:
        _model.parse_body(client, "ListThings", body.encode())
    assert ei.value.path.startswith("$.things[0]")
    # botocore: its parser raises (the wrong integer), or the body is not
    # JSON (a leading zero) and the page has no things at all
    try:
        page = botocore_page(client, "ListThings", body.encode())
    except ValueError:
        return
    assert "things" not in page


@pytest.mark.parametrize("body", [
    rb'{"things":[],"extra":{"\ud800":1}}',
    rb'{"things":[{"thingName":{"\ud800":1}}]}',
    rb'{"things":[{"attributes":{"k":{"\udc00":1},"\udbff":"v"}}]}',
    rb'{"\ud800x":1,"things":[{"\ud800":1,"thingName":"a"}]}',
])
def test_lone_surrogate_keys_as_botocore(client, body):
    assert_same(botocore_page(client, "ListThings", body),
                _model.parse_body(client, "ListThings", body), "page")


def test_lone_surrogate_keys_in_list_jobs_as_botocore(client):
    body = rb'{"\ud800":1,"jobs":[{"\udc00":{"\ud800":2},"jobId":"j"}],"x":{"\ud800":[]}}'
    ctl = _model.parse_body.__globals__["_core"]   # the same extension
    want = botocore_page(client, "ListJobs", body)
    got = _model.parse_body(client, "ListJobs", body)
    assert_same(want, got, "page")
    # and the ListJobs walker of its own
    from dateutil.tz import tzlocal

    from iotpager._controller import Controller

    assert_same(want, ctl.parse_page(body, Controller(client, "local"), _core.TZ_LOCAL, tzlocal()),
                "page")


@pytest.fixture()
def srv():
    with ModelServer(n_items=5, seed=3, credentials=CREDS) as server:
        yield server


@pytest.mark.parametrize("value", ["p\r\nX-Injected: yes", "p\nq", "p\rq"])
def test_header_injection_is_boto3s_error(srv, value):
    boto = make_boto_client(srv)
    with pytest.raises(botocore.exceptions.HTTPClientError):
        list(boto.get_paginator("list_principal_things").paginate(principal=value))
    before = len(srv.requests)
    with pytest.raises(botocore.exceptions.HTTPClientError):
        list(iotpager.get_paginator(make_boto_client(srv), "list_principal_things")
             .paginate(principal=value))
    assert len(srv.requests) == before   # nothing sent


def test_header_nul_is_refused_not_cut(srv):
    before = len(srv.requests)
    with pytest.raises(botocore.exceptions.HTTPClientError, match="Invalid header value"):
        list(iotpager.get_paginator(make_boto_client(srv), "list_principal_things")
             .paginate(principal="a\x00b"))
    assert len(srv.requests) == before


def test_a_post_listing_is_logged_with_its_method(srv, caplog):
    caplog.set_level(logging.DEBUG, logger="iotpager")
    pages = list(iotpager.get_paginator(make_boto_client(srv), "list_audit_findings")
                 .paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    lines = [r.getMessage() for r in caplog.records if r.name == "iotpager"]
    assert len(lines) == 3 and all(line.startswith("POST /audit/findings") for line in lines), lines


def test_a_structure_without_members(client):
    """A plan whose output has no members (fuzz finding
    json-plan-empty-root-memset-null: no tape at all): the page is its
    ResponseMetadata."""
    import datetime

    from iotpager._controller import Controller

    plan = _core.Plan([(1, 0, "", None, (), ())], -1, -1)
    page = _core.parse_page(b'{"a":1,"b":[{}]}', Controller(client, "utc"), _core.TZ_UTC,
                            datetime.timezone.utc, plan=plan)
    assert list(page) == ["ResponseMetadata"]
