"""Generated-body parity: iotpager._model.parse_body against botocore's parser,
for every paginated operation of botocore's IoT model.

The operations are asked of botocore when the tests run (every operation the
client can paginate); nothing is hard-coded. For each one, bodies made by
tests/_bodygen.py from the operation's output shape (three profiles: typical,
edge, wild; see _bodygen's docstring) are parsed from the same bytes by

* botocore: ``client._response_parser.parse({"status_code", "headers", "body"},
  output_shape)`` with ``ResponseMetadata["RetryAttempts"] = 0`` added, as the
  client's endpoint does;
* iotpager: ``parse_body(client, operation, body, status=, headers=, tz=)``;

and the outcomes must agree:

* botocore gives a page: iotpager gives the same page, compared with
  ``_compare.canon`` (exact types, dict key order, float bits, datetimes with
  tzinfo type, fold, offset and name), ResponseMetadata included.
* botocore raises: iotpager raises ``InvalidResponseError`` whose JSON path
  names a place where botocore failed (botocore gives no path, so a
  path-tracking twin of its parser, checked against botocore on every such
  body, lists every place where it fails), with the HTTP status and request
  id; or exactly botocore's exception (class and message) from one of those
  places (what iotpager does today for timestamps, test_faults.py).
* the deliberate difference: a result key (the paginator's ``result_key``)
  that is present, not null and not a list raises ``InvalidResponseError``
  at ``$.<result key>`` even where botocore makes a page of it (a string is
  iterated character by character, an object by its keys).

Not-a-page documents (not JSON, a top-level list, a result key of the wrong
shape) are tested per operation as well. tz="utc" is compared with botocore's
page converted to UTC as ``_compare.to_utc`` does (as test_parity.py does;
a datetime with no UTC value, e.g. "0001-01-01T00:00:00+05:00", is a place
where iotpager must raise), in this
process and, with the local zone's DST changes among the timestamps, in child
processes under TZ=America/New_York and TZ=Australia/Lord_Howe.

Knobs: IOTPAGER_BODYGEN_N (wild bodies per operation, default 60),
IOTPAGER_BODYGEN_SEED (default 0). A failure names the operation, profile and
seed; ``python tests/_bodygen.py OP PROFILE SEED`` prints that body again.
"""

from __future__ import annotations

import calendar
import collections
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import botocore.parsers
import pytest
from botocore import xform_name
from botocore.awsrequest import HeadersDict

from _bodygen import FEATURES, BodyGen, body_seed, count_nodes
from _compare import canon, describe_datetime, first_difference

HERE = Path(__file__).resolve().parent

N_WILD = int(os.environ.get("IOTPAGER_BODYGEN_N", "60"))
N_EDGE = max(1, N_WILD // 2)
N_TYPICAL = max(1, N_WILD // 3)
BASE_SEED = int(os.environ.get("IOTPAGER_BODYGEN_SEED", "0"))
# whether the installed botocore keeps a null list item as None (1.44) or
# parses it by the member's shape (1.37: float(None) raises), asked of it
from iotpager._model import lists_are_sparse as _sparse  # noqa: E402
SPARSE_LISTS = _sparse()


def make_client():
    return boto3.session.Session().client(
        "iot", region_name="us-east-1", aws_access_key_id="AKIDBODYGEN", aws_secret_access_key="s",
        endpoint_url="http://127.0.0.1:9")


CLIENT = make_client()


def paginated_operations(client):
    return [op for op in client.meta.service_model.operation_names
            if client.can_paginate(xform_name(op))]


OPS = paginated_operations(CLIENT)


def result_keys(client, op):
    cfg = client.get_paginator(xform_name(op))._pagination_cfg
    rk = cfg["result_key"]
    return [rk] if isinstance(rk, str) else list(rk)


def output_shape(client, op):
    return client.meta.service_model.operation_model(op).output_shape


def timestamp_ops(client, k):
    """Up to k operations with the most timestamps in their output (ties by name)."""
    ranked = sorted(((count_nodes(output_shape(client, op), "timestamp"), op) for op in OPS),
                    key=lambda t: (-t[0], t[1]))
    return [op for n, op in ranked if n][:k]


# ====================================================================== the two parsers

def headers_for(rnd_seed, body):
    """Response headers (name, value) pairs: each RequestId/HostId style, or none."""
    import random

    r = random.Random(rnd_seed)
    rid = f"{r.getrandbits(64):016x}-rid"
    base = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
            ("Date", "Thu, 03 Dec 2026 17:43:30 GMT")]
    choice = r.randrange(7)
    if choice == 0:
        return None
    if choice == 1:
        return []
    if choice == 2:
        return base + [("x-amzn-RequestId", rid)]
    if choice == 3:
        return [("X-AMZN-REQUESTID", rid), ("x-amz-request-id", "other"), ("x-amz-id-2", "h")] + base
    if choice == 4:
        return base + [("x-amz-request-id", rid), ("x-amz-id-2", "host/id+2=")]
    if choice == 5:
        return [("x-amz-request-id", rid)]
    return base + [("x-amzn-requestid", rid), ("X-Custom", "v1; a=b \t c"), ("connection", "keep-alive")]


def expected_request_id(headers):
    lower = {k.lower(): v for k, v in (headers or [])}
    return lower.get("x-amzn-requestid", lower.get("x-amz-request-id"))


def botocore_parse(client, op, body, status, headers):
    """botocore's page (RetryAttempts 0 added, as the endpoint adds it) or its exception."""
    response = {"status_code": status, "headers": HeadersDict(headers or []), "body": body}
    try:
        parsed = client._response_parser.parse(response, output_shape(client, op))
    except Exception as e:   # compared below
        return None, e
    parsed["ResponseMetadata"]["RetryAttempts"] = 0
    return parsed, None


def iotpager_parse(client, op, body, status, headers, tz):
    from iotpager._model import parse_body

    try:
        return parse_body(client, op, body, status=status, headers=headers, tz=tz), None
    except Exception as e:   # compared below
        return None, e


class Failure(collections.namedtuple("Failure", "path in_map error loose")):
    """A place where a parse fails: JSON path (cut at a map: ``in_map``), the
    exception (None: iotpager's own rule) and ``loose``: the value is one that
    botocore iterated as if it were a list (a string, an object), so the
    path of that value itself (the parent) names the place as well."""


class TracingParser(botocore.parsers.RestJSONParser):
    """botocore's RestJSONParser, the structure/list/map walks copied with a
    JSON path kept. ``collect=True``: every value botocore's parse would fail
    on is recorded (path, exception) and parsing goes on; ``collect=False``:
    it must behave exactly as botocore (checked on every body used)."""

    def __init__(self, base, collect):
        super().__init__(timestamp_parser=base._timestamp_parser, blob_parser=base._blob_parser)
        self.collect = collect
        self.segments = ["$"]
        self.loose = [False]
        self.failures = []

    def _parse_shape(self, shape, node):
        try:
            return super()._parse_shape(shape, node)
        except Exception as e:
            if not self.collect:
                raise
            self.failures.append(Failure(format_path(self.segments), "{}" in self.segments, e,
                                         self.loose[-1]))
            return None

    def _descend(self, segment, shape, node, loose=False):
        self.segments.append(segment)
        self.loose.append(loose)
        try:
            return self._parse_shape(shape, node)
        finally:
            self.segments.pop()
            self.loose.pop()

    def _handle_structure(self, shape, value):
        if shape.is_document_type:
            return value
        if value is None:
            return None
        if self._has_unknown_tagged_union_member(shape, value):
            return self._handle_unknown_tagged_union_member(self._get_first_key(value))
        parsed = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            raw = value.get(wire)
            if raw is not None:
                parsed[name] = self._descend("." + wire, member, raw)
        return parsed

    def _handle_list(self, shape, node):
        if shape.serialization.get("location") == "header" and not isinstance(node, list):
            node = [e.strip() for e in node.split(",")]
        parsed = []
        loose = not isinstance(node, list)
        for i, item in enumerate(node):
            if item is None and SPARSE_LISTS:
                parsed.append(None)
            else:
                parsed.append(self._descend(f"[{i}]", shape.member, item, loose))
        return parsed

    def _handle_map(self, shape, value):
        parsed = {}
        for key, item in value.items():
            k = self._descend("{}", shape.key, key)
            parsed[k] = self._descend("{}", shape.value, item)
        return parsed


def format_path(segments):
    out = []
    for s in segments:
        if s == "{}":
            break
        out.append(s)
    return "".join(out)


def describe_exc(e):
    return f"{type(e).__module__}.{type(e).__qualname__}: {e}"


def parent_path(path):
    """'$.a[3]' -> '$.a'."""
    if path.endswith("]") and "[" in path:
        return path[:path.rindex("[")]
    return None


def path_allowed(got, failure):
    """Does iotpager's path ``got`` name the place of ``failure``?"""
    if got == failure.path:
        return True
    if failure.in_map:
        rest = got[len(failure.path):]
        return got.startswith(failure.path) and rest[:1] in (".", "[")
    return failure.loose and got == parent_path(failure.path)


def allowed_failures(client, op, body, want_error, tz="local"):
    """[(path, in_map, exception or None)]: where a parse may fail (botocore's
    failures, result keys of the wrong shape, and with tz="utc" datetimes
    with no UTC value), after checking the tracer against botocore."""
    shape = output_shape(client, op)
    allowed = []
    try:
        doc = json.loads(body.decode("utf-8"))
    except ValueError:
        return None     # not JSON: not a generated body
    if isinstance(doc, dict):
        for rk in result_keys(client, op):
            if doc.get(rk) is not None and not isinstance(doc[rk], list):
                allowed.append(Failure(f"$.{rk}", False, None, False))
    if want_error is not None:
        strict = TracingParser(client._response_parser, collect=False)
        try:
            strict._parse_shape(shape, doc)
        except Exception as e:
            assert (type(e), str(e)) == (type(want_error), str(want_error)), (
                f"the tracing parser is not botocore's: {describe_exc(e)} vs {describe_exc(want_error)}")
        else:
            if isinstance(doc, dict):   # a top-level non-object fails later, in update()
                raise AssertionError(f"the tracing parser did not raise where botocore did: {want_error!r}")
        tracer = TracingParser(client._response_parser, collect=True)
        partial = tracer._parse_shape(shape, doc)
        allowed += tracer.failures
        if tz == "utc":     # and where what botocore did parse has no UTC value
            utc_page(partial, "$", allowed)
        if not isinstance(doc, dict):
            allowed.append(Failure("$", False, want_error, False))
        assert allowed, f"botocore raised {want_error!r} but the tracer found no failure"
    return allowed


def compare(client, op, body, *, status=200, headers=None, tz="local", name=None):
    """(None when iotpager agrees with botocore on ``body``, else what differs;
    whether botocore raised)."""
    want, werr = botocore_parse(client, op, body, status, headers)
    return judge(client, op, body, want, werr, status=status, headers=headers, tz=tz, name=name), werr is not None


def judge(client, op, body, want, werr, *, status, headers, tz, name):
    got, gerr = iotpager_parse(client, name or op, body, status, headers, tz)
    allowed = allowed_failures(client, op, body, werr, tz) or []
    expect = want
    if tz == "utc" and want is not None:
        # botocore's page in UTC; an instant with no UTC datetime (year 0 or
        # 10000 once converted) is a place where the page must fail
        utc_failures = []
        expect = utc_page(want, "$", utc_failures)
        allowed += utc_failures
    bdesc = describe_exc(werr) if werr else "a page"
    if allowed:
        if gerr is None:
            return (f"botocore: {bdesc}; iotpager must raise at one of "
                    f"{[a.path for a in allowed][:8]} but gave a page: {short(got)}")
        from iotpager import InvalidResponseError

        if isinstance(gerr, InvalidResponseError):
            problems = []
            if not any(path_allowed(gerr.path, a) for a in allowed):
                problems.append(f"path {gerr.path!r} is none of the failures "
                                f"{[a.path for a in allowed][:8]}")
            if gerr.status != status:
                problems.append(f"status {gerr.status!r} != {status}")
            if gerr.request_id != expected_request_id(headers):
                problems.append(f"request_id {gerr.request_id!r} != {expected_request_id(headers)!r}")
            if gerr.operation != op:
                problems.append(f"operation {gerr.operation!r} != {op!r}")
            if problems:
                return f"botocore: {bdesc}; iotpager {describe_exc(gerr)}: " + "; ".join(problems)
            return None
        if any(a.error is not None and (type(a.error), str(a.error)) == (type(gerr), str(gerr))
               for a in allowed):
            return None
        return (f"botocore: {bdesc} (failures at "
                f"{[(a.path, describe_exc(a.error) if a.error else None) for a in allowed][:5]}); "
                f"iotpager raised {describe_exc(gerr)}")
    if gerr is not None:
        return f"botocore gave a page; iotpager raised {describe_exc(gerr)}; botocore's page: {short(want)}"
    expect, got = robust(expect), robust(got)
    if canon(expect) != canon(got):
        return (f"pages differ: {first_difference(expect, got) or 'canon() differs'}\n"
                f"    botocore: {short(expect)}\n    iotpager: {short(got)}")
    return None


def utc_page(obj, path, failures):
    """_compare.to_utc, recording (path, False, exception) where a datetime has no UTC value."""
    if isinstance(obj, datetime.datetime):
        if obj.tzinfo is None:
            return obj
        try:
            return obj.astimezone(datetime.timezone.utc)
        except (OverflowError, ValueError) as e:
            failures.append(Failure(path, False, e, False))
            return obj
    if isinstance(obj, dict):
        return {k: utc_page(v, f"{path}.{k}", failures) for k, v in obj.items()}
    if isinstance(obj, list):
        return [utc_page(v, f"{path}[{i}]", failures) for i, v in enumerate(obj)]
    return obj


class Unoffsettable:
    """A datetime whose utcoffset() raises (dateutil's tzlocal at the edges of
    year 1 and 9999, e.g. in Europe/Dublin): compared by what it has."""

    def __init__(self, dt, error):
        self.key = (type(dt.tzinfo).__name__, dt.replace(tzinfo=None).isoformat(), dt.fold,
                    f"utcoffset() raises {type(error).__name__}")

    def __repr__(self):
        return f"Unoffsettable{self.key}"


def robust(obj):
    """The page with each datetime that _compare.canon cannot describe replaced by an Unoffsettable."""
    if isinstance(obj, datetime.datetime):
        try:
            describe_datetime(obj)
        except (OverflowError, ValueError) as e:
            return Unoffsettable(obj, e)
        return obj
    if isinstance(obj, dict):
        return type(obj)((k, robust(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [robust(v) for v in obj]
    return obj


def short(v, limit=1500):
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + "..."


def show_body(body, limit=2500):
    t = body.decode("utf-8", "backslashreplace")
    return t if len(t) <= limit else t[:limit] + f"... ({len(body)} bytes)"


def run_bodies(client, op, cases, tz="local"):
    """cases: (profile, seed, body, status, headers). Returns (mismatches, botocore_raised)."""
    mismatches, raised = [], 0
    for profile, seed, body, status, headers in cases:
        name = xform_name(op) if seed % 2 else op    # both spellings of the operation
        diff, botocore_raised = compare(client, op, body, status=status, headers=headers, tz=tz, name=name)
        raised += botocore_raised
        if diff:
            mismatches.append(f"{op} [{profile} seed {seed}, status {status}, tz {tz}, "
                              f"headers {headers!r}]\n  {diff}\n  body: {show_body(body)}")
    return mismatches, raised


def generated(op, profile, n, **gen_kwargs):
    shape = output_shape(CLIENT, op)
    out = []
    for i in range(n):
        seed = body_seed(BASE_SEED, op, profile, i)
        body = BodyGen(seed, profile, **gen_kwargs).body(shape)
        status = (200, 200, 200, 201, 206)[seed % 5]
        out.append((profile, seed, body, status, headers_for(seed, body)))
    return out


def fail_on(mismatches, total):
    if mismatches:
        shown = "\n\n".join(mismatches[:4])
        pytest.fail(f"{len(mismatches)} of {total} bodies differ from botocore:\n\n{shown}", pytrace=False)


# ====================================================================== the operations

@pytest.mark.parametrize("count", [len(OPS)], ids=lambda n: f"{n}-paginated-operations")
def test_paginated_operations_come_from_botocore(count):
    assert count > 0, "botocore's IoT model has no paginated operation?"
    assert len(set(OPS)) == count
    for op in OPS:
        assert result_keys(CLIENT, op), op
        assert output_shape(CLIENT, op) is not None, op
    print(f"{count} paginated IoT operations in botocore {botocore.__version__}", file=sys.stderr)


# ====================================================================== the generator itself (no iotpager)

def test_generator_is_deterministic_and_valid_json():
    for op in OPS[:8]:
        shape = output_shape(CLIENT, op)
        for profile in ("typical", "edge", "wild"):
            a = BodyGen(123, profile).body(shape)
            assert a == BodyGen(123, profile).body(shape)
            json.loads(a.decode("utf-8"))
    assert BodyGen(1).body(output_shape(CLIENT, "ListThings")) != BodyGen(2).body(output_shape(CLIENT, "ListThings"))


def test_generator_covers_every_feature_and_botocore_both_ways():
    """Over a few bodies of every operation: every FEATURES item appears, every
    body is JSON that json.loads reads (strictly, as botocore does), typical
    and edge bodies never make botocore raise, wild ones sometimes do and
    sometimes do not, and the tracing twin of botocore's parser agrees with
    botocore wherever botocore raises. Needs no iotpager."""
    seen = {}
    outcomes = {"ok": 0, "raised": 0}
    for op in OPS:
        shape = output_shape(CLIENT, op)
        for profile, n in (("typical", 2), ("edge", 2), ("wild", 6)):
            for i in range(n):
                # seed 0 always: this checks the generator's reach, which a
                # matrix run's other IOTPAGER_BODYGEN_SEED must not change
                seed = body_seed(0, "selfcheck", op, profile, i)
                gen = BodyGen(seed, profile)
                body = gen.body(shape)
                for f, c in gen.features.items():
                    seen[f] = seen.get(f, 0) + c
                json.loads(body.decode("utf-8"))
                want, werr = botocore_parse(CLIENT, op, body, 200, None)
                if profile != "wild":
                    assert werr is None, (op, profile, seed, werr, show_body(body))
                else:
                    outcomes["raised" if werr else "ok"] += 1
                    allowed_failures(CLIENT, op, body, werr)   # checks the tracer
    missing = [f for f in FEATURES if not seen.get(f)]
    assert not missing, f"the generator never produced {missing}"
    assert outcomes["ok"] >= 0.3 * sum(outcomes.values()), outcomes
    assert outcomes["raised"] >= 0.1 * sum(outcomes.values()), outcomes


def test_tracer_reports_the_place_botocore_fails():
    shape = output_shape(CLIENT, "ListThings")

    def failures(doc, op="ListThings"):
        t = TracingParser(CLIENT._response_parser, collect=True)
        t._parse_shape(output_shape(CLIENT, op), doc)
        return [(f.path, f.in_map, type(f.error).__name__, f.loose) for f in t.failures]

    assert failures({"things": [{}, {}, {}, {"attributes": "x"}]}) == [
        ("$.things[3].attributes", False, "AttributeError", False)]
    assert failures({"things": [{"version": "v", "attributes": {"a": "b"}}]}) == [
        ("$.things[0].version", False, "ValueError", False)]
    assert failures({"things": [{"attributes": {"a": 1, "b": None}}]}) == []
    assert failures({"things": ["x", None, 1]}) == [("$.things[0]", False, "AttributeError", False),
                                                    ("$.things[2]", False, "AttributeError", False)]
    assert failures({"things": "ab"}) == [("$.things[0]", False, "AttributeError", True),
                                          ("$.things[1]", False, "AttributeError", True)]
    assert failures({"things": 5, "nextToken": {"a": 1}}) == [("$.things", False, "TypeError", False)]
    assert failures({"findings": [{"nonCompliantResource": {"additionalInfo": []}}]}, "ListAuditFindings") == [
        ("$.findings[0].nonCompliantResource.additionalInfo", False, "AttributeError", False)]
    # an object where a list of doubles is expected: botocore iterates its keys
    assert failures({"metricDatumList": [{"value": {"numbers": {"1.5": 0, "a": 1}}}]}, "ListMetricValues") == [
        ("$.metricDatumList[0].value.numbers[1]", False, "ValueError", True)]
    assert path_allowed("$.things", Failure("$.things[0]", False, None, True))
    assert not path_allowed("$.things", Failure("$.things[0]", False, None, False))
    assert not path_allowed("$.things[0]", Failure("$.things[0].version", False, None, False))
    assert path_allowed("$.a.attributes['k']", Failure("$.a.attributes", True, None, False))
    assert not path_allowed("$.a.attributesX", Failure("$.a.attributes", True, None, False))
    assert shape.members["things"].type_name == "list"


# ====================================================================== iotpager against botocore

@pytest.mark.parametrize("op", OPS)
def test_generated_bodies_as_botocore(op):
    cases = generated(op, "wild", N_WILD) + generated(op, "edge", N_EDGE)
    mismatches, raised = run_bodies(CLIENT, op, cases)
    fail_on(mismatches, len(cases))


@pytest.mark.parametrize("op", OPS)
def test_typical_bodies_as_botocore(op):
    cases = generated(op, "typical", N_TYPICAL)
    for profile, seed, body, status, headers in cases:
        assert botocore_parse(CLIENT, op, body, status, headers)[1] is None, (seed, show_body(body))
    mismatches, raised = run_bodies(CLIENT, op, cases)
    assert raised == 0
    fail_on(mismatches, len(cases))


TZ_UTC_OPS = timestamp_ops(CLIENT, 4)


@pytest.mark.parametrize("op", TZ_UTC_OPS)
def test_tz_utc_as_botocore_converted(op):
    cases = generated(op, "wild", N_WILD // 2) + generated(op, "typical", N_TYPICAL)
    mismatches, _ = run_bodies(CLIENT, op, cases, tz="utc")
    fail_on(mismatches, len(cases))


INVALID_JSON = ("not_json", "empty", "white_space_only", "truncated", "trailing_garbage", "nan")


def _not_a_page(rk):
    """{case: (body, expected path)} of documents that are not a page. For
    invalid JSON (INVALID_JSON) any path from "$" on will do: where the
    parser stopped."""
    docs = {
        "not_json": (b"not json at all", "$"),
        "empty": (b"", "$"),
        "white_space_only": (b" \n", "$"),
        "truncated": (b'{"%s":[' % rk, "$"),
        "trailing_garbage": (b'{"%s":[]} x' % rk, "$"),
        "nan": (b'{"%s":[],"x":NaN}' % rk, "$"),
        "top_level_list": (b"[]", "$"),
        "top_level_list_of_objects": (b'[{"%s":[]}]' % rk, "$"),
        "top_level_string": (b'"abc"', "$"),
        "top_level_number": (b"1", "$"),
        "top_level_null": (b"null", "$"),
    }
    for name, text in (("string", b'"abc"'), ("empty_string", b'""'), ("escaped_string", b'"\\u00e9"'),
                       ("number", b"12"), ("float", b"1.5"), ("true", b"true"), ("false", b"false"),
                       ("object", b"{}"), ("object_with_members", b'{"a":{"b":1},"c":"d"}')):
        docs[f"result_key_{name}"] = (b'{"%s":%s,"nextToken":"t"}' % (rk, text), f"$.{rk.decode()}")
    docs["result_key_list_then_string"] = (b'{"%s":[],"%s":"abc"}' % (rk, rk), f"$.{rk.decode()}")
    return docs


@pytest.mark.parametrize("op", OPS)
def test_not_a_page_is_invalid_response_error(op):
    from iotpager import InvalidResponseError

    rk = result_keys(CLIENT, op)[0]
    headers = [("x-amzn-RequestId", "rid-" + op), ("Content-Type", "application/json")]
    problems = []
    for case, (body, path) in _not_a_page(rk.encode()).items():
        for status in (200, 206):
            _, err = iotpager_parse(CLIENT, op, body, status, headers, "local")
            if not isinstance(err, InvalidResponseError):
                problems.append(f"{case} (HTTP {status}): {err!r} instead of InvalidResponseError")
                continue
            if err.path != path and not (case in INVALID_JSON and err.path.startswith("$")):
                problems.append(f"{case}: path {err.path!r}, expected {path!r} ({err})")
            if (err.status, err.request_id, err.operation) != (status, "rid-" + op, op):
                problems.append(f"{case}: status/request_id/operation "
                                f"{(err.status, err.request_id, err.operation)!r}")
            if f"$.{rk}" == path and rk not in str(err):
                problems.append(f"{case}: the message does not name {rk!r}: {err}")
        if path == "$" and case != "nan":   # (json.loads reads NaN: a documented difference)
            # the deliberate difference: botocore loses the result key (or raises)
            want, werr = botocore_parse(CLIENT, op, body, 200, headers)
            assert werr is not None or rk not in want, (case, want)
    assert not problems, f"{op}:\n" + "\n".join(problems)


@pytest.mark.parametrize("op", OPS)
def test_what_is_a_page_after_all(op):
    """Where only an overridden value (a duplicate key) or null is wrong, both give the page."""
    rk = result_keys(CLIENT, op)[0]
    bodies = [b'{"%s":"abc","%s":[]}' % (rk.encode(), rk.encode()),
              b'{"%s":null}' % rk.encode(),
              b'{"%s":{"a":1},"%s":null,"nextToken":"t"}' % (rk.encode(), rk.encode()),
              b'{"%s":[null,null]}' % rk.encode(),
              b"{}", b' {"%s" : [ ] } \n' % rk.encode()]
    problems = []
    for body in bodies:
        diff, _ = compare(CLIENT, op, body, headers=[("x-amzn-RequestId", "r")])
        if diff:
            problems.append(f"{body!r}: {diff}")
    assert not problems, f"{op}:\n" + "\n".join(problems)


def test_header_values_as_botocore():
    """Header names and values are (str, str) pairs, as botocore's HeadersDict
    holds them after http.client decoded the wire bytes as latin-1: a
    non-ASCII value stays the same str in HTTPHeaders."""
    op = OPS[0]
    body = b"{}"
    for value in ("caf\u00e9", "caf\u00c3\u00a9", "\u00ff\u0080", "a\tb", ""):
        headers = [("x-amzn-RequestId", "r"), ("X-Value", value)]
        diff, _ = compare(CLIENT, op, body, headers=headers)
        assert diff is None, f"header value {value!r}: {diff}"


# ====================================================================== other local zones, in child processes

ZONE_OPS = 6


def dst_changes(first_year=2019, last_year=2026):
    """Epochs of the local zone's DST changes (this process's TZ), +-1 s and +-30 min around each."""
    out = []
    for y in range(first_year, last_year + 1):
        for month in range(1, 13):
            t = calendar.timegm((y, month, 1, 0, 0, 0))
            a, b = time.localtime(t).tm_isdst, time.localtime(t + 31 * 86400).tm_isdst
            if a == b:
                continue
            lo, hi = t, t + 31 * 86400
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if time.localtime(mid).tm_isdst == a:
                    lo = mid
                else:
                    hi = mid
            for d in (-1800, -1, 0, 1, 1799, 1800, 3599, 3600):
                out.append(str(hi + d))
            out.append(f"{hi - 0.5}")
            out.append(f"{hi + 1800.25}")
            # the repeated / skipped wall time as an ISO string without offset
            out.append('"%s"' % time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(hi + 1800)))
    return out


def zone_worker(n_bodies):
    """Run in a child with TZ set: prints a JSON summary of both tz modes."""
    extra = dst_changes()
    client = make_client()
    checked, mismatches = 0, []
    for op in timestamp_ops(client, ZONE_OPS):
        shape = output_shape(client, op)
        for i in range(n_bodies):
            seed = body_seed(BASE_SEED, "zone", op, i)
            profile = ("typical", "edge", "wild")[i % 3]
            body = BodyGen(seed, profile, extra_timestamps=extra).body(shape)
            headers = headers_for(seed, body)
            for tz in ("local", "utc"):
                diff, _ = compare(client, op, body, headers=headers, tz=tz)
                checked += 1
                if diff:
                    mismatches.append(f"{op} [{profile} seed {seed}, tz {tz}, "
                                      f"TZ={os.environ.get('TZ')}]\n  {diff}\n  body: {show_body(body)}")
    print(json.dumps({"checked": checked, "dst_values": len(extra), "mismatches": mismatches}))


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe"])
def test_local_zone_with_dst_changes(zone):
    if not Path("/usr/share/zoneinfo", zone).exists():
        pytest.fail(f"zoneinfo for {zone} is missing (apt-get install tzdata)")
    import iotpager

    pythonpath = os.pathsep.join([str(HERE), str(Path(iotpager.__file__).resolve().parent.parent)]
                                 + [p for p in sys.path if p])
    env = dict(os.environ, TZ=zone, PYTHONPATH=pythonpath)
    code = f"import test_model_parity as t; t.zone_worker({max(6, N_WILD // 2)})"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300, cwd=str(HERE))
    assert proc.returncode == 0 and proc.stdout, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["dst_values"] > 20, summary
    assert summary["checked"] >= 12
    if summary["mismatches"]:
        pytest.fail(f"{len(summary['mismatches'])} of {summary['checked']} differ from botocore under "
                    f"TZ={zone}:\n\n" + "\n\n".join(summary["mismatches"][:4]), pytrace=False)
