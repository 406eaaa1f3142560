"""Tests of iotpager.testing.ModelServer alone (no iotpager engine needed) against
real boto3: every paginated operation of botocore's IoT model (the list is taken
from botocore at run time) lists every item exactly once, in order, with
PageSize, MaxItems and StartingToken, in each operation's own token style, and
SigV4 failures are refused as ListJobsServer refuses them.

Run with PYTHONPATH=python (the package does not need the C extension for this).
"""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import math
import subprocess
import sys
from urllib.parse import quote

import boto3
import botocore.session
import pytest
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, PaginationError

from iotpager.testing import ModelServer
from iotpager.testing.model_server import paginated_operations

AK, SK, TOKEN = "AKIDMODELSERVER0001", "model/secret+key=", "model-session/token+=="
CREDS = (AK, SK, TOKEN)
N = 7  # items per operation
PAGE = 3  # PageSize, and the server's page size when the limit key is absent

_session = botocore.session.get_session()
_MODEL = _session.get_service_model("iot")
# every paginated operation, from botocore at run time (no count written down here)
OPERATIONS = sorted(_session.get_paginator_model("iot")._paginator_config)


def _cfg(op):
    return _session.get_paginator_model("iot").get_paginator(op)


@pytest.fixture(scope="module")
def srv():
    with ModelServer(n_items=N, seed=11, credentials=CREDS, default_page_size=PAGE) as s:
        yield s


def client(s, ak=AK, sk=SK, token=TOKEN, region="us-east-1", **cfg):
    return boto3.client(
        "iot", endpoint_url=s.endpoint_url, region_name=region,
        aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, **cfg),
    )


@pytest.fixture(scope="module")
def c(srv):
    return client(srv)


# ------------------------------------------------- an independent reading of the items

def _expected(shape, v):
    """The value botocore's rest-json parser should give for wire value ``v``,
    computed without botocore: nulls dropped, timestamps as aware datetimes
    (compared by instant), blobs decoded."""
    if v is None:
        return None
    t = shape.type_name
    if t == "structure":
        out = {}
        for name, m in shape.members.items():
            raw = v.get(m.serialization.get("name", name))
            if raw is not None:
                out[name] = _expected(m, raw)
        return out
    if t == "list":
        return [_expected(shape.member, x) for x in v]
    if t == "map":
        return {k: _expected(shape.value, x) for k, x in v.items()}
    if t == "timestamp":
        if isinstance(v, (int, float)):
            return datetime.datetime.fromtimestamp(v, datetime.timezone.utc)
        return datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    if t == "blob":
        return base64.b64decode(v)
    return v


def expected_items(srv, op):
    cfg = _cfg(op)
    shape = _MODEL.operation_model(op).output_shape.members[cfg["result_key"]]
    return _expected(shape, srv.items(op))


def page_config(op, **kw):
    if _cfg(op).get("limit_key"):
        kw.setdefault("PageSize", PAGE)
    return kw


def sent_input(srv, op, rec):
    cfg = _cfg(op)
    paging = {cfg["input_token"], cfg.get("limit_key")}
    return {k: v for k, v in rec["input"].items() if k not in paging}


# ------------------------------------------------------------------ the operation list

def test_operations_are_botocores_paginated_ones(srv, c):
    ops = [o for o in _MODEL.operation_names if c.can_paginate(xform_name(o))]
    assert ops and "ListJobs" in ops and "ListThings" in ops
    assert srv.operations == sorted(ops) == OPERATIONS == paginated_operations()
    for op in ops:
        assert srv.operation_name(xform_name(op)) == op == srv.operation_name(op)
    with pytest.raises(ValueError):
        srv.operation_name("describe_thing")


# ------------------------------------------------------------------ every operation

@pytest.mark.parametrize("optional", [False, True], ids=["required", "all-params"])
@pytest.mark.parametrize("op", OPERATIONS)
def test_boto3_lists_every_item_once_in_order(srv, c, op, optional):
    cfg = _cfg(op)
    params = srv.example_input(op, optional=optional)
    before = len(srv.requests)
    pages = list(c.get_paginator(xform_name(op)).paginate(**params,
                                                          PaginationConfig=page_config(op)))
    reqs = srv.requests[before:]
    assert [len(p[cfg["result_key"]]) for p in pages] == [PAGE, PAGE, N - 2 * PAGE]
    items = [x for p in pages for x in p[cfg["result_key"]]]
    assert items == expected_items(srv, op)
    assert len(reqs) == len(pages)
    out_token = cfg["output_token"]
    for i, (page, rec) in enumerate(zip(pages, reqs)):
        assert rec["signature_ok"] is True, rec["signature_error"]
        assert rec["operation"] == op
        assert rec["method"] == _MODEL.operation_model(op).http["method"]
        # the server read every parameter boto3 sent, where the model puts it
        assert sent_input(srv, op, rec) == params
        if cfg.get("limit_key"):
            assert rec["input"][cfg["limit_key"]] == PAGE
        assert (out_token in page) == (i < len(pages) - 1)
        if i:
            assert rec["input"][cfg["input_token"]] == pages[i - 1][out_token]
        else:
            assert cfg["input_token"] not in rec["input"]
        for key in cfg.get("non_aggregate_keys", []):
            assert key in page


@pytest.mark.parametrize("op", OPERATIONS)
def test_boto3_max_items_and_resume(srv, c, op):
    cfg = _cfg(op)
    params = srv.example_input(op)
    want = expected_items(srv, op)
    pag = c.get_paginator(xform_name(op))
    # a cut inside a page, then a cut on a page boundary
    for max_items in (5, PAGE):
        it = pag.paginate(**params, PaginationConfig=page_config(op, MaxItems=max_items))
        first = [x for p in it for x in p[cfg["result_key"]]]
        assert first == want[:max_items]
        assert it.resume_token
        rest_it = pag.paginate(**params, PaginationConfig=page_config(op, StartingToken=it.resume_token))
        rest = [x for p in rest_it for x in p[cfg["result_key"]]]
        assert first + rest == want
        assert rest_it.resume_token is None
    full = pag.paginate(**params, PaginationConfig=page_config(op)).build_full_result()
    assert full[cfg["result_key"]] == want
    assert cfg["output_token"] not in full
    for key in cfg.get("non_aggregate_keys", []):
        assert key in full


@pytest.mark.parametrize("op", OPERATIONS)
def test_first_item_has_every_member(srv, op):
    """Item 0 of each operation fills every member of every structure (lists and
    maps non-empty), enums come from the model, and items are pairwise distinct."""
    cfg = _cfg(op)
    shape = _MODEL.operation_model(op).output_shape.members[cfg["result_key"]].member
    items = srv.items(op)
    assert len(items) == N
    assert len({json.dumps(i, sort_keys=True) for i in items}) == N

    def check(sh, v, path):
        t = sh.type_name
        if t == "structure":
            assert isinstance(v, dict), path
            names = list(sh.members)
            if sh.metadata.get("union"):
                assert len(v) == 1, path
                return
            assert list(v) == [sh.members[n].serialization.get("name", n) for n in names], path
            for n in names:
                check(sh.members[n], v[sh.members[n].serialization.get("name", n)], f"{path}.{n}")
        elif t == "list":
            assert isinstance(v, list) and v, path
            for i, x in enumerate(v):
                check(sh.member, x, f"{path}[{i}]")
        elif t == "map":
            assert isinstance(v, dict) and v, path
            for k, x in v.items():
                check(sh.value, x, f"{path}.{k}")
        elif t == "string":
            assert isinstance(v, str), path
            if sh.enum:
                assert v in sh.enum, path
        elif t in ("integer", "long"):
            assert type(v) is int, path
        elif t in ("double", "float"):
            assert type(v) in (int, float), path
        elif t == "boolean":
            assert type(v) is bool, path
        elif t == "timestamp":
            assert type(v) in (int, float), path
            assert 1546300800 <= v <= 1719792001, path
        else:
            assert isinstance(v, str), path

    check(shape, items[0], f"{op}[0]")


# ------------------------------------------------------------------ token styles

def test_token_styles_cover_the_three_kinds(srv, c):
    styles = {(_cfg(o)["input_token"], _cfg(o)["output_token"], _cfg(o).get("limit_key"))
              for o in OPERATIONS}
    assert ("nextToken", "nextToken", "maxResults") in styles
    assert ("marker", "nextMarker", "pageSize") in styles
    assert ("nextToken", "nextToken", None) in styles  # ListTagsForResource


def test_token_in_the_json_body_of_post_operations(srv, c):
    """ListAuditFindings: POST, token and limit in the JSON body; ListCommandExecutions:
    POST with a body but token and limit in the query; ListAttachedPolicies: POST,
    no body members at all."""
    seen = set()
    for op in OPERATIONS:
        om = _MODEL.operation_model(op)
        if om.http["method"] != "POST":
            continue
        cfg = _cfg(op)
        tok_loc = om.input_shape.members[cfg["input_token"]].serialization.get("location")
        before = len(srv.requests)
        list(c.get_paginator(xform_name(op)).paginate(**srv.example_input(op, optional=True),
                                                     PaginationConfig=page_config(op)))
        second = srv.requests[before + 1]
        body = json.loads(second["body"] or b"{}")
        token = second["input"][cfg["input_token"]]
        if tok_loc is None:
            assert body[cfg["input_token"]] == token
            assert body[cfg["limit_key"]] == PAGE
            assert "?" not in second["path"]
        else:
            assert cfg["input_token"] not in body
            assert quote(token, safe="-_.~") in second["path"]
        seen.add(tok_loc)
    assert seen == {None, "querystring"}


def test_tokens_are_bound_to_operation_and_parameters(srv, c):
    it = c.get_paginator("list_things").paginate(PaginationConfig={"PageSize": 2})
    tok = next(iter(it))["nextToken"]
    assert any(ch in tok for ch in "+/= %&") and not tok.isascii()
    assert len(c.list_things(nextToken=tok, maxResults=2)["things"]) == 2
    for call in (lambda: c.list_thing_groups(nextToken=tok),  # another operation
                 lambda: c.list_things(nextToken=tok, thingTypeName="x"),  # other filters
                 lambda: c.list_things(nextToken="not-a-token")):
        with pytest.raises(ClientError) as ei:
            call()
        assert ei.value.response["Error"]["Code"] == "InvalidRequestException"
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_limit_out_of_model_range_and_bad_enum(srv, c):
    lk = _MODEL.operation_model("ListThings").input_shape.members["maxResults"]
    with pytest.raises(ClientError) as ei:
        c.list_things(maxResults=lk.metadata["max"] + 1)
    assert ei.value.response["Error"]["Code"] == "InvalidRequestException"
    assert str(lk.metadata["max"]) in ei.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as ei:
        c.list_jobs(status="NOT_A_STATUS")
    assert "enum" in ei.value.response["Error"]["Message"]


def test_default_page_size_without_limit(srv, c):
    # no PageSize: the server's default; ListTagsForResource has no limit key at all
    for op in ("ListTagsForResource", "ListCertificates", "ListJobExecutionsForJob"):
        cfg = _cfg(op)
        pages = list(c.get_paginator(xform_name(op)).paginate(**srv.example_input(op)))
        assert [len(p[cfg["result_key"]]) for p in pages] == [PAGE, PAGE, N - 2 * PAGE]
        if cfg.get("limit_key"):
            assert cfg["limit_key"] not in srv.requests[-1]["input"]
    with pytest.raises(PaginationError, match="PageSize"):
        list(c.get_paginator("list_tags_for_resource").paginate(
            resourceArn="arn:x", PaginationConfig={"PageSize": 2}))


def test_non_aggregate_key_echoes_the_input(srv, c):
    op = "ListThingRegistrationTaskReports"
    shape = _MODEL.operation_model(op).input_shape.members["reportType"]
    for report_type in shape.enum:
        pages = list(c.get_paginator(xform_name(op)).paginate(
            taskId="t 1/é", reportType=report_type, PaginationConfig={"PageSize": PAGE}))
        assert [p["reportType"] for p in pages] == [report_type] * 3
        full = c.get_paginator(xform_name(op)).paginate(
            taskId="t 1/é", reportType=report_type,
            PaginationConfig={"PageSize": PAGE}).build_full_result()
        assert full["reportType"] == report_type
        assert full["resourceLinks"] == srv.items(op)


def test_path_labels_header_params_and_query_types(srv, c):
    c.list_job_executions_for_job(jobId="a b/c:d+é%", maxResults=2)
    rec = srv.requests[-1]
    assert rec["path"].startswith("/jobs/a%20b%2Fc%3Ad%2B%C3%A9%25/things?")
    assert rec["input"]["jobId"] == "a b/c:d+é%"
    c.list_policy_principals(policyName="p/1+x")
    rec = srv.requests[-1]
    assert rec["headers"]["x-amzn-iot-policy"] == "p/1+x" and rec["input"]["policyName"] == "p/1+x"
    c.list_audit_tasks(startTime=datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
                       endTime=datetime.datetime(2024, 5, 7, tzinfo=datetime.timezone.utc),
                       taskType="SCHEDULED_AUDIT_TASK")
    rec = srv.requests[-1]
    assert rec["input"]["startTime"] == datetime.datetime(2024, 5, 6, 7, 8, 9,
                                                          tzinfo=datetime.timezone.utc)
    c.list_things(usePrefixAttributeValue=False, maxResults=1)
    assert srv.requests[-1]["input"]["usePrefixAttributeValue"] is False


# ------------------------------------------------------------------ errors

def _signed(s, method, target, body=b"", creds=CREDS, headers=None):
    req = AWSRequest(method=method, url=s.endpoint_url + target, data=body or None,
                     headers=dict(headers or {}))
    SigV4Auth(Credentials(*creds), "iot", "us-east-1").add_auth(req)
    return dict(req.headers.items())


def _send(s, method, target, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
    try:
        conn.request(method, target, body=body or None, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheader("x-amzn-ErrorType"), json.loads(resp.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.parametrize("op", ["ListThings", "ListAuditFindings", "ListPolicyPrincipals",
                                "ListJobExecutionsForJob"])
def test_bad_secret_is_invalid_signature(srv, op):
    bad = client(srv, sk="wrong-secret")
    with pytest.raises(ClientError) as ei:
        getattr(bad, xform_name(op))(**srv.example_input(op, optional=True))
    err = ei.value.response
    assert err["Error"]["Code"] == "InvalidSignatureException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "Canonical String" in err["Error"]["Message"]
    assert srv.requests[-1]["signature_ok"] is False
    assert "operation" not in srv.requests[-1]  # refused before routing


@pytest.mark.parametrize("kwargs,fragment", [
    ({"ak": "AKIDOTHER"}, "unknown access key"),
    ({"token": "other-token"}, "X-Amz-Security-Token"),
    ({"token": None}, "X-Amz-Security-Token"),
    ({"region": "eu-west-1"}, "region"),
])
def test_credential_mismatches(srv, kwargs, fragment):
    with pytest.raises(ClientError) as ei:
        client(srv, **kwargs).list_thing_groups()
    assert ei.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert fragment in ei.value.response["Error"]["Message"]


def test_unsigned_and_tampered_requests(srv):
    assert _send(srv, "GET", "/things")[:2] == (403, "InvalidSignatureException")
    # body changed after signing (POST op with a JSON body)
    body = json.dumps({"maxResults": 2}).encode()
    hdrs = _signed(srv, "POST", "/audit/findings", body, headers={"Content-Type": "application/json"})
    assert _send(srv, "POST", "/audit/findings", body, hdrs)[0] == 200
    tampered = json.dumps({"maxResults": 3}).encode()
    assert _send(srv, "POST", "/audit/findings", tampered, hdrs)[:2] == (403, "InvalidSignatureException")
    # a signed header param changed
    hdrs = _signed(srv, "GET", "/policy-principals", headers={"x-amzn-iot-policy": "p1"})
    assert _send(srv, "GET", "/policy-principals", headers=hdrs)[0] == 200
    hdrs["x-amzn-iot-policy"] = "p2"
    assert _send(srv, "GET", "/policy-principals", headers=hdrs)[:2] == (403, "InvalidSignatureException")
    # a path label changed
    hdrs = _signed(srv, "GET", "/things/t1/jobs")
    assert _send(srv, "GET", "/things/t2/jobs", headers=hdrs)[:2] == (403, "InvalidSignatureException")


def test_unknown_routes_missing_required_and_bad_body(srv):
    for method, target in (("GET", "/nope"), ("DELETE", "/things"), ("POST", "/things"),
                           ("GET", "/jobs/j1/things/extra"), ("GET", "/audit/findings")):
        status, code, body = _send(srv, method, target, headers=_signed(srv, method, target))
        assert (status, code) == (404, "UnknownOperationException"), (method, target)
        assert srv.requests[-1]["operation"] is None
    # required header param missing
    status, code, body = _send(srv, "GET", "/policy-principals",
                               headers=_signed(srv, "GET", "/policy-principals"))
    assert (status, code) == (400, "InvalidRequestException") and "policyName" in body["message"]
    # required query param missing
    status, code, body = _send(srv, "GET", "/tags", headers=_signed(srv, "GET", "/tags"))
    assert status == 400 and "resourceArn" in body["message"]
    # a body that is not JSON
    bad = b"{not json"
    status, code, body = _send(srv, "POST", "/audit/findings", bad,
                               _signed(srv, "POST", "/audit/findings", bad))
    assert (status, code) == (400, "SerializationException")
    # a body member of the wrong type
    bad = json.dumps({"maxResults": "2"}).encode()
    status, code, body = _send(srv, "POST", "/audit/findings", bad,
                               _signed(srv, "POST", "/audit/findings", bad))
    assert status == 400 and "maxResults" in body["message"]


# ------------------------------------------------------------------ data and options

def test_items_are_deterministic_and_seeded():
    a = ModelServer(n_items=5, seed=3)
    b = ModelServer(n_items=5, seed=3)
    ops = OPERATIONS[:]
    for op in reversed(ops):  # the order operations are first asked for does not matter
        b.items(op)
    assert all(a.items(op) == b.items(op) for op in ops)
    assert a.items("list_things") == a.items("ListThings")
    other = ModelServer(n_items=5, seed=4)
    assert other.items("ListThings") != a.items("ListThings")
    big = ModelServer(n_items=9, seed=3, items_per_operation={"list_things": 2, "ListJobs": 0})
    assert big.items("ListThings") == a.items("ListThings")[:2]
    assert big.items("ListJobs") == [] and len(big.items("ListThingGroups")) == 9
    assert big.items("ListThingGroups")[:5] == a.items("ListThingGroups")
    with pytest.raises(ValueError):
        ModelServer(items_per_operation={"nope": 1})


def test_empty_operation_and_large_pages_ensure_ascii():
    with ModelServer(n_items=523, seed=5, credentials=CREDS, ensure_ascii=True,
                     items_per_operation={"ListJobs": 0}) as s:
        c = client(s)
        pages = list(c.get_paginator("list_jobs").paginate())
        assert len(pages) == 1 and pages[0]["jobs"] == [] and "nextToken" not in pages[0]
        for op in ("ListThings", "ListJobExecutionsForJob", "ListCertificates"):
            cfg = _cfg(op)
            pages = list(c.get_paginator(xform_name(op)).paginate(
                **s.example_input(op), PaginationConfig={"PageSize": 250}))
            assert [len(p[cfg["result_key"]]) for p in pages] == [250, 250, 23]
            assert [x for p in pages for x in p[cfg["result_key"]]] == expected_items(s, op)
        assert all(r["signature_ok"] for r in s.requests)
        # ensure_ascii: the wire is ASCII only, the values the same
        assert all(w.isascii() for w in s._wire_items("ListThings"))


def test_deterministic_responses_are_byte_identical():
    with ModelServer(n_items=N, seed=1, credentials=CREDS, deterministic=True) as s:
        c1, c2 = client(s), client(s)
        p1 = list(c1.get_paginator("list_things").paginate(PaginationConfig={"PageSize": 2}))
        p2 = list(c2.get_paginator("list_things").paginate(PaginationConfig={"PageSize": 2}))
        assert p1 == p2 and len(p1) == math.ceil(N / 2)
        assert len({p["ResponseMetadata"]["RequestId"] for p in p1}) == len(p1)


def test_cli_prints_endpoint_and_serves(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "iotpager.testing.model_server", "--items", "4",
                             "--page-size", "3", "--access-key", AK, "--secret-key", SK],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        c = boto3.client("iot", endpoint_url=url, region_name="us-east-1", aws_access_key_id=AK,
                         aws_secret_access_key=SK, config=Config(retries={"total_max_attempts": 1}))
        pages = list(c.get_paginator("list_certificates").paginate())
        assert [len(p["certificates"]) for p in pages] == [3, 1]
    finally:
        proc.terminate()
        proc.wait(10)
