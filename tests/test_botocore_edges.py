"""Small differences from botocore in the paginator facade (issue #11).

Each test asks botocore: boto3's own paginator (or ``client.list_jobs``) and
iotpager run against the same local endpoint, and the test compares what a
user can see of both:

* the objects in ``result_keys`` and the other compiled expressions of the
  Paginator and the PageIterator (botocore's ``jmespath`` ParsedResults:
  type, repr, ``.expression``, ``.parsed``, ``==``, pickling), before,
  during and after a listing;
* the request on the wire: path and the query parameters exactly as sent
  (percent-encoded as they arrived). iotpager sends them in SigV4's
  canonical order, botocore in the order of the kwargs, so the pairs are
  compared as a sorted list (the one place where that order matters, a name
  repeated from a list value with validation off, is left out);
* the outcome: pages (with ``_compare.canon``), exception class, message and
  ``e.response``;

for values botocore serializes by the member's shape type (``maxResults=True``
goes out as ``True``), and with parameter validation turned off in the
client's Config or in the profile (botocore then sends whatever it is given
and the service answers).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

import iotpager

from _compare import assert_same
from conftest import AK, CREDS, REGION, SK, TOKEN, make_boto_client

PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(iotpager.__file__)))


pytestmark = pytest.mark.usefixtures("hermetic_env")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def wire(request):
    """(path, sorted query pairs) of a request as the server received it."""
    target = urlsplit(request["path"])
    pairs = target.query.split("&") if target.query else []
    return target.path, sorted(pairs)


class Outcome:
    def __init__(self, result, error, requests):
        self.result = result
        self.error = error
        self.requests = requests


def run(srv, fn):
    start = len(srv.requests)
    result = error = None
    try:
        result = fn()
    except Exception as e:  # noqa: BLE001 - compared with botocore's
        error = e
    return Outcome(result, error, [wire(r) for r in srv.requests[start:]])


def listing(paginator, kwargs):
    return lambda: list(paginator.paginate(**dict(kwargs)))


def assert_same_error(want, got):
    if want is None or got is None:
        assert want is got, f"botocore raised {want!r}, iotpager raised {got!r}"
        return
    tw, tg = type(want), type(got)
    assert (tw.__module__, tw.__qualname__) == (tg.__module__, tg.__qualname__), (
        f"botocore raised {want!r}, iotpager {got!r}")
    assert str(got) == str(want)
    assert got.args == want.args
    if hasattr(want, "response"):
        assert_same(want.response, got.response, "e.response")


def assert_same_outcome(b, i):
    assert_same_error(b.error, i.error)
    assert i.requests == b.requests, "requests on the wire"
    assert_same(b.result, i.result, "result")


def both_listings(srv, kwargs, make_client):
    b = run(srv, listing(make_client().get_paginator("list_jobs"), kwargs))
    i = run(srv, listing(iotpager.get_paginator(make_client(), "list_jobs"), kwargs))
    assert_same_outcome(b, i)
    return b, i


# --------------------------------------------------------------------------
# result_keys and the other compiled expressions
# --------------------------------------------------------------------------

def describe_expr(e):
    """What a user can see of one compiled expression (or a plain value)."""
    t = type(e)
    out = [f"{t.__module__}.{t.__qualname__}", repr(e)]
    if hasattr(e, "parsed"):
        out += [e.expression, e.parsed, sorted(vars(e)), pickle.dumps(e)]
        back = pickle.loads(pickle.dumps(e))
        out += [type(back), repr(back), sorted(vars(back))]
    return out


def describe_attr(value):
    if isinstance(value, list):
        return ["list", [describe_expr(e) for e in value]]
    return describe_expr(value)


PAGINATOR_ATTRS = ("result_keys", "_result_keys", "_output_token", "_input_token",
                   "_more_results", "_non_aggregate_keys", "_limit_key")
PAGE_ITERATOR_ATTRS = ("result_keys", "_result_keys", "_output_token", "_input_token",
                       "_more_results", "_non_aggregate_key_exprs", "_limit_key")


def assert_same_attrs(want, got, names, other):
    """``got``'s attributes look as ``want``'s (botocore's); ``==`` between
    iotpager's and botocore's is what it is between two of botocore's
    (``want`` and ``other``)."""
    for name in names:
        w, g, o = getattr(want, name), getattr(got, name), getattr(other, name)
        assert describe_attr(g) == describe_attr(w), name
        assert (g == w) == (o == w), f"{name}: == against botocore's"
        assert (g != w) == (o != w), f"{name}: != against botocore's"


def test_paginator_expressions_are_botocore_s(srv):
    client = make_boto_client(srv)
    want = client.get_paginator("list_jobs")
    other = client.get_paginator("list_jobs")
    got = iotpager.get_paginator(make_boto_client(srv), "list_jobs")
    assert_same_attrs(want, got, PAGINATOR_ATTRS, other)
    accelerated = iotpager.accelerate(make_boto_client(srv)).get_paginator("list_jobs")
    assert_same_attrs(want, accelerated, PAGINATOR_ATTRS, other)


def test_page_iterator_expressions_are_botocore_s_before_during_and_after(srv):
    """The PageIterator's expressions at every point a user can look at them:
    before the listing, between pages, after it, after build_full_result()
    and result_key_iters(); the pages and results stay botocore's."""
    cfg = {"PaginationConfig": {"PageSize": 40}}
    want = make_boto_client(srv).get_paginator("list_jobs").paginate(**cfg)
    other = make_boto_client(srv).get_paginator("list_jobs").paginate(**cfg)
    got = iotpager.get_paginator(make_boto_client(srv), "list_jobs").paginate(**cfg)

    assert_same_attrs(want, got, PAGE_ITERATOR_ATTRS, other)
    want_pages, got_pages = [], []
    for w, g in zip(want, got):
        want_pages.append(w)
        got_pages.append(g)
        assert_same_attrs(want, got, PAGE_ITERATOR_ATTRS, other)
    assert len(got_pages) == 3
    assert_same(want_pages, got_pages, "pages")
    assert_same_attrs(want, got, PAGE_ITERATOR_ATTRS, other)

    assert_same(want.build_full_result(), got.build_full_result(), "build_full_result()")
    assert_same_attrs(want, got, PAGE_ITERATOR_ATTRS, other)

    want_iters, got_iters = want.result_key_iters(), got.result_key_iters()
    for w, g in zip(want_iters, got_iters):
        assert describe_expr(g.result_key) == describe_expr(w.result_key)
    assert_same([list(i) for i in want_iters], [list(i) for i in got_iters], "result_key_iters()")
    assert_same_attrs(want, got, PAGE_ITERATOR_ATTRS, other)


def test_page_iterator_expressions_after_a_failed_page(srv):
    """A page that fails inside botocore's loop leaves the same objects."""
    want_it = make_boto_client(srv).get_paginator("list_jobs").paginate()
    other = make_boto_client(srv).get_paginator("list_jobs").paginate()
    got_it = iotpager.get_paginator(make_boto_client(srv), "list_jobs").paginate()
    outcomes = []
    for it in (want_it, got_it):
        srv.script({"error": "InvalidRequestException", "status": 400, "message": "bad"})
        outcomes.append(run(srv, lambda: list(it)))
    assert_same_outcome(*outcomes)
    assert outcomes[1].error is not None
    assert_same_attrs(want_it, got_it, PAGE_ITERATOR_ATTRS, other)


# --------------------------------------------------------------------------
# Query parameters serialized by their shape type
# --------------------------------------------------------------------------

@pytest.mark.parametrize("validation, value", [(True, True), (False, True), (False, False)])
def test_bool_max_results_goes_out_as_botocore_sends_it(srv, validation, value):
    """maxResults is an integer member: botocore sends str(True), 'True', and
    the service's message quotes it. (With validation, False is below the
    minimum of 1: tests/test_paginator_parity.py has such cases.)"""
    make = lambda: make_boto_client(srv, parameter_validation=validation)  # noqa: E731
    b, i = both_listings(srv, {"maxResults": value}, make)
    assert b.error is not None
    assert i.requests == [("/jobs", [f"maxResults={value}"])]


@pytest.mark.parametrize("kwargs", [{"maxResults": True}, {"maxResults": True, "status": "COMPLETED"}])
def test_accelerated_list_jobs_bool_max_results(srv, kwargs):
    plain = make_boto_client(srv)
    accelerated = iotpager.accelerate(make_boto_client(srv))
    b = run(srv, lambda: plain.list_jobs(**kwargs))
    i = run(srv, lambda: accelerated.list_jobs(**kwargs))
    assert_same_outcome(b, i)
    assert ("maxResults=True") in i.requests[0][1]


# --------------------------------------------------------------------------
# Config(parameter_validation=False): sent as given, the service answers
# --------------------------------------------------------------------------

UNVALIDATED = {
    "max-results-str": {"maxResults": "7"},
    "max-results-float": {"maxResults": 5.0},
    "max-results-zero": {"maxResults": 0},
    "status-int": {"status": 5},
    "status-list": {"status": ["COMPLETED"]},
    "status-dict": {"status": {"status": "COMPLETED", "maxResults": "4"}},
    "group-bytes": {"thingGroupName": "fleet:eu-west-1:sensors".encode()},
    "group-empty": {"thingGroupName": ""},
    "namespace-none": {"namespaceId": None},
    "unknown-param": {"foo": 1},
    "token-int": {"nextToken": 5},
    "token-bool": {"nextToken": True},
    "max-items": {"maxResults": "30", "PaginationConfig": {"MaxItems": 45}},
}


@pytest.mark.parametrize("name", sorted(UNVALIDATED))
def test_parameter_validation_off_in_config(srv, name):
    both_listings(srv, UNVALIDATED[name],
                  lambda: make_boto_client(srv, parameter_validation=False))


@pytest.mark.parametrize("name", ["max-results-str", "status-int", "unknown-param"])
def test_parameter_validation_off_in_config_list_jobs(srv, name):
    kwargs = UNVALIDATED[name]
    plain = make_boto_client(srv, parameter_validation=False)
    accelerated = iotpager.accelerate(make_boto_client(srv, parameter_validation=False))
    b = run(srv, lambda: plain.list_jobs(**kwargs))
    i = run(srv, lambda: accelerated.list_jobs(**kwargs))
    assert_same_outcome(b, i)


def test_parameter_validation_off_in_profile(srv, tmp_path, monkeypatch):
    """``parameter_validation = false`` in the profile: the client's Config
    still says True, botocore's client does not validate."""
    config = tmp_path / "config"
    config.write_text("[profile novalidation]\nparameter_validation = false\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))

    def make():
        session = boto3.session.Session(profile_name="novalidation")
        return make_boto_client(srv, session=session)

    assert make().meta.config.parameter_validation is True
    b, i = both_listings(srv, {"maxResults": "9"}, make)
    assert i.error is None and i.requests[0] == ("/jobs", ["maxResults=9"])
    # and the same client through iotpager.Client
    client = iotpager.Client(endpoint_url=srv.endpoint_url, region_name=REGION,
                             aws_access_key_id=AK, aws_secret_access_key=SK,
                             aws_session_token=TOKEN, profile_name="novalidation",
                             config=Config(retries={"total_max_attempts": 1}))
    c = run(srv, listing(client.get_paginator("list_jobs"), {"maxResults": "9"}))
    assert_same_outcome(b, c)


# --------------------------------------------------------------------------
# The CLI: the same request as botocore's for a value from --cli-input-json
# --------------------------------------------------------------------------

def test_cli_input_json_bool_max_results(srv, tmp_path):
    plain = make_boto_client(srv)
    b = run(srv, lambda: plain.list_jobs(maxResults=True))
    assert b.requests == [("/jobs", ["maxResults=True"])]

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": CREDS[0], "AWS_SECRET_ACCESS_KEY": CREDS[1],
        "AWS_SESSION_TOKEN": CREDS[2], "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "",
        "PYTHONPATH": PKG_PARENT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
    })
    start = len(srv.requests)
    r = subprocess.run(
        [sys.executable, "-m", "iotpager", "list-jobs", "--endpoint-url", srv.endpoint_url,
         "--cli-input-json", '{"maxResults": true}'],
        env=env, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    sent = [wire(q) for q in srv.requests[start:]]
    assert sent[:1] == b.requests, (sent, r.stderr[-2000:])
    assert r.returncode != 0
    assert b.error.response["Error"]["Message"].encode() in r.stderr
