"""Tests of the local ListJobs endpoint (iotpager.testing.server) against real peers:
boto3's paginator, the aws CLI (v1), http.client and raw sockets.

Run with PYTHONPATH=python (the package does not need the C extension for this).
"""

import gzip
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from iotpager.testing import ListJobsServer, make_jobs, public_job
from iotpager.testing.server import FILTER_PARAMS, HIDDEN_FIELDS, STATUSES

AK, SK, TOKEN = "AKIDTESTSERVER00001", "test/secret+key=", "session-token/with+stuff=="
CREDS = (AK, SK, TOKEN)
N = 523  # not a multiple of common page sizes


# ---------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def srv():
    with ListJobsServer(n_jobs=N, seed=7, credentials=CREDS) as s:
        yield s


@pytest.fixture
def fresh():
    """A server of its own (for scripts and credential swaps)."""
    with ListJobsServer(n_jobs=120, seed=3, credentials=CREDS, default_page_size=50) as s:
        yield s


def client(s, ak=AK, sk=SK, token=TOKEN, **cfg):
    return boto3.client(
        "iot", endpoint_url=s.endpoint_url, region_name="us-east-1",
        aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, **cfg),
    )


def list_ids(c, **kw):
    ids = []
    for page in c.get_paginator("list_jobs").paginate(**kw):
        ids.extend(j["jobId"] for j in page["jobs"])
    return ids


def signed_headers(s, target, creds=CREDS, extra=None):
    """Headers botocore would send for GET target (signed)."""
    req = AWSRequest(method="GET", url=s.endpoint_url + target, headers=extra or {})
    SigV4Auth(Credentials(*creds), "iot", "us-east-1").add_auth(req)
    return dict(req.headers.items())


def get(s, target, creds=CREDS, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
    try:
        conn.request("GET", target, headers=signed_headers(s, target, creds) if creds else {})
        resp = conn.getresponse()
        body = resp.read()
    finally:
        if own:
            conn.close()   # also when the read fails (IncompleteRead)
    return resp, body


def raw_exchange(s, target="/jobs", timeout=5.0):
    """Send one signed GET over a raw socket; return (bytes received, error or None, seconds)."""
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=timeout)
    hdrs = dict(signed_headers(s, target), Host=f"127.0.0.1:{s.port}")
    req = f"GET {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    t0 = time.monotonic()
    sock.sendall(req.encode())
    data, err = b"", None
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        err = e
    sock.close()
    return data, err, time.monotonic() - t0


def split_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def walk_raw(s, size=None, **filters):
    """List pages over http.client; returns (pages as dicts, raw bodies)."""
    pages, bodies, tok = [], [], None
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
    while True:
        q = dict(filters)
        if size:
            q["maxResults"] = str(size)
        if tok is not None:
            q["nextToken"] = tok
        target = "/jobs" + ("?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='-_.~')}"
                                           for k, v in q.items()) if q else "")
        resp, body = get(s, target, creds=s.credentials, conn=conn)
        assert resp.status == 200, body
        page = json.loads(body)
        pages.append(page)
        bodies.append(body)
        tok = page.get("nextToken")
        if tok is None:
            break
    conn.close()
    return pages, bodies


# ---------------------------------------------------------------- data

def test_make_jobs_shape_and_determinism():
    jobs = make_jobs(2000, seed=1)
    assert jobs == make_jobs(2000, seed=1)
    assert jobs != make_jobs(2000, seed=2)
    ids = [j["jobId"] for j in jobs]
    assert len(set(ids)) == len(ids)
    import re
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", i) for i in ids)
    assert all(j["jobArn"] == f"arn:aws:iot:us-east-1:123456789012:job/{j['jobId']}" for j in jobs)
    created = [j["createdAt"] for j in jobs]
    assert created == sorted(created, reverse=True)  # newest first
    assert created[0] - created[-1] > 4 * 365 * 86400  # several years: DST crossed many times
    assert {j["status"] for j in jobs} == set(STATUSES)
    assert {j["targetSelection"] for j in jobs} == {"CONTINUOUS", "SNAPSHOT"}
    for j in jobs:
        assert ("completedAt" in j) == (j["status"] in ("COMPLETED", "CANCELED"))
        assert j["lastUpdatedAt"] >= j["createdAt"]
        assert ("thingGroupName" in j) == ("thingGroupId" in j)
    ts = [j[k] for j in jobs for k in ("createdAt", "lastUpdatedAt", "completedAt") if k in j]
    floats = [t for t in ts if isinstance(t, float)]
    ints = [t for t in ts if isinstance(t, int)]
    assert len(floats) > 0.7 * len(ts) and len(ints) > 0.05 * len(ts)
    assert all(len(repr(f).split(".")[1]) <= 3 for f in floats)
    assert any(len(repr(f).split(".")[1]) == 3 for f in floats)
    for key in ("thingGroupId", "isConcurrent", "namespaceId"):
        n = sum(key in j for j in jobs)
        assert 0 < n < len(jobs), key
    # hidden fields never reach the wire
    assert all(not (set(HIDDEN_FIELDS) & set(public_job(j))) for j in jobs)


# ---------------------------------------------------------------- (a) boto3

def test_boto3_paginator_lists_everything_signed(srv):
    srv.clear_requests()
    before = srv.connections_accepted
    expected = [j["jobId"] for j in srv.jobs]
    ids = list_ids(client(srv), PaginationConfig={"PageSize": 40})
    assert ids == expected and len(set(ids)) == N
    reqs = srv.requests
    assert len(reqs) == -(-N // 40)
    assert all(r["signature_ok"] is True for r in reqs), [r["signature_error"] for r in reqs]
    assert all(r["headers"]["x-amz-security-token"] == TOKEN for r in reqs)
    assert all(r["method"] == "GET" and r["path"].startswith("/jobs?") for r in reqs)
    assert reqs[1]["query"]["maxResults"] == "40" and "nextToken" in reqs[1]["query"]
    # keep-alive: one connection for the whole listing
    assert srv.connections_accepted - before == 1
    assert len({r["connection"] for r in reqs}) == 1


def test_boto3_default_page_size_and_full_objects(srv):
    srv.clear_requests()
    pages = list(client(srv).get_paginator("list_jobs").paginate())
    assert [len(p["jobs"]) for p in pages] == [50] * (N // 50) + [N % 50]
    got = [j for p in pages for j in p["jobs"]]
    want = [public_job(j) for j in srv.jobs]
    # boto3 turns epoch numbers into datetimes; compare through timestamps
    for g, w in zip(got, want):
        assert set(g) == set(w)
        for k, v in w.items():
            if k.endswith("At"):
                assert abs(g[k].timestamp() - v) < 1e-6
            else:
                assert g[k] == v


def test_boto3_build_full_result_with_ensure_ascii():
    with ListJobsServer(n_jobs=300, seed=5, ensure_ascii=True, credentials=CREDS) as s:
        result = client(s).get_paginator("list_jobs").paginate(
            PaginationConfig={"PageSize": 7}).build_full_result()
        assert [j["jobId"] for j in result["jobs"]] == [j["jobId"] for j in s.jobs]
        assert all(r["signature_ok"] for r in s.requests)


# ---------------------------------------------------------------- (b) filters

@pytest.mark.parametrize("param", FILTER_PARAMS)
def test_each_filter_matches_python(srv, param):
    values = sorted({j[param] for j in srv.jobs if param in j})
    assert len(values) >= 2
    c = client(srv)
    for value in values[:3]:
        want = [j["jobId"] for j in srv.jobs if j.get(param) == value]
        assert want
        got = list_ids(c, **{param: value}, PaginationConfig={"PageSize": 17})
        assert got == want, (param, value)


def test_combined_filters_and_empty_result(srv):
    j0 = next(j for j in srv.jobs if "thingGroupName" in j)
    want = [j["jobId"] for j in srv.jobs
            if j["status"] == j0["status"] and j.get("thingGroupName") == j0["thingGroupName"]]
    c = client(srv)
    assert list_ids(c, status=j0["status"], thingGroupName=j0["thingGroupName"]) == want
    assert list_ids(c, thingGroupName="no-such-group") == []
    page = c.list_jobs(thingGroupId="nope")
    assert page["jobs"] == [] and "nextToken" not in page


def test_token_bound_to_filters_and_bad_params(srv):
    c = client(srv)
    tok = c.list_jobs(status="COMPLETED", maxResults=5)["nextToken"]
    assert [j["jobId"] for j in c.list_jobs(status="COMPLETED", nextToken=tok, maxResults=5)["jobs"]] == \
        [j["jobId"] for j in srv.jobs if j["status"] == "COMPLETED"][5:10]
    for kwargs in ({"status": "CANCELED", "nextToken": tok}, {"nextToken": tok + "x"},
                   {"nextToken": "bogus"}):
        with pytest.raises(ClientError) as ei:
            c.list_jobs(**kwargs)
        assert ei.value.response["Error"]["Code"] == "InvalidRequestException"
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for ms in ("0", "251", "abc", "", "-1", "+5", "2.0"):
        resp, body = get(srv, "/jobs?maxResults=" + quote(ms, safe=""))
        assert resp.status == 400, ms
        assert resp.getheader("x-amzn-ErrorType") == "InvalidRequestException"
        assert "maxResults" in json.loads(body)["message"]
    resp, body = get(srv, "/jobs?maxResults=250")
    assert resp.status == 200 and len(json.loads(body)["jobs"]) == 250
    resp, body = get(srv, "/jobs?status=RUNNING")
    assert resp.status == 400
    resp, body = get(srv, "/things")
    assert resp.status == 404 and "message" in json.loads(body)


def test_query_decoding_plus_is_literal(fresh):
    """'+' in the query is a literal plus (unquote, not unquote_plus); %20 is a space."""
    fresh.credentials = None
    resp, body = get(fresh, "/jobs?thingGroupName=a+b%20c%2Bd&nextToken", creds=None)
    assert resp.status == 400  # blank nextToken is an unknown token
    r = fresh.requests[-1]
    assert r["query"] == {"thingGroupName": "a+b c+d", "nextToken": ""}
    assert r["signature_ok"] is None
    resp, body = get(fresh, "/jobs?thingGroupName=%FF", creds=None)  # not UTF-8
    assert resp.status == 400


# ---------------------------------------------------------------- (c) signatures

def test_bad_secret_is_invalid_signature(srv):
    with pytest.raises(ClientError) as ei:
        client(srv, sk="wrong-secret").list_jobs()
    err = ei.value.response
    assert err["Error"]["Code"] == "InvalidSignatureException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "Canonical String" in err["Error"]["Message"]
    assert srv.requests[-1]["signature_ok"] is False


@pytest.mark.parametrize("kwargs,fragment", [
    ({"ak": "AKIDOTHER"}, "unknown access key"),
    ({"token": "other-token"}, "X-Amz-Security-Token"),
    ({"token": None}, "X-Amz-Security-Token"),
])
def test_credential_mismatches(srv, kwargs, fragment):
    with pytest.raises(ClientError) as ei:
        client(srv, **kwargs).list_jobs()
    assert ei.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert fragment in ei.value.response["Error"]["Message"]


def test_wrong_region_and_unsigned(srv):
    c = boto3.client("iot", endpoint_url=srv.endpoint_url, region_name="eu-west-1",
                     aws_access_key_id=AK, aws_secret_access_key=SK, aws_session_token=TOKEN)
    with pytest.raises(ClientError) as ei:
        c.list_jobs()
    assert "region" in ei.value.response["Error"]["Message"]
    resp, body = get(srv, "/jobs", creds=None)
    assert resp.status == 403 and resp.getheader("x-amzn-ErrorType") == "InvalidSignatureException"
    assert "Authorization" in json.loads(body)["message"]


def test_tampered_query_and_header_fail(srv):
    target = "/jobs?maxResults=5"
    hdrs = signed_headers(srv, target)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("GET", "/jobs?maxResults=6", headers=hdrs)
    resp = conn.getresponse(); resp.read()
    assert resp.status == 403
    hdrs2 = dict(hdrs, **{"X-Amz-Date": "20200101T000000Z"})
    conn.request("GET", target, headers=hdrs2)
    resp = conn.getresponse()
    assert resp.status == 403 and "scope date" in json.loads(resp.read())["message"]
    conn.close()


def test_signing_user_agent_and_noncanonical_query(srv):
    """Headers botocore would not sign (user-agent) still verify when signed; a
    query signed in non-canonical wire form is rejected like AWS would, with a hint."""
    import hashlib
    import hmac

    def sign(target, headers, canonical_query):
        amz = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers = dict(headers, **{"host": f"127.0.0.1:{srv.port}", "x-amz-date": amz,
                                   "x-amz-security-token": TOKEN})
        names = sorted(headers)
        creq = "\n".join(["GET", "/jobs", canonical_query,
                          "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names),
                          hashlib.sha256(b"").hexdigest()])
        scope = f"{amz[:8]}/us-east-1/iot/aws4_request"
        sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
        k = ("AWS4" + SK).encode()
        for part in (amz[:8], "us-east-1", "iot", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={AK}/{scope}, "
                                    f"SignedHeaders={';'.join(names)}, Signature={sig}")
        return headers

    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    # user-agent signed (botocore's SigV4Auth would drop it from the signature)
    h = sign("/jobs?maxResults=3", {"user-agent": "iotpager-test/1"}, "maxResults=3")
    conn.putrequest("GET", "/jobs?maxResults=3", skip_host=True, skip_accept_encoding=True)
    for k, v in h.items():
        conn.putheader(k, v)
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 200, resp.read()
    resp.read()
    # lower-case percent-encoding on the wire, signed as sent: AWS canonicalises, so reject
    target = "/jobs?thingGroupName=a%c3%a9"
    h = sign(target, {}, "thingGroupName=a%c3%a9")
    conn.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
    for k, v in h.items():
        conn.putheader(k, v)
    conn.endheaders()
    resp = conn.getresponse()
    msg = json.loads(resp.read())["message"]
    assert resp.status == 403 and "as sent on the wire" in msg
    # same wire form, signed canonically: accepted
    h = sign(target, {}, "thingGroupName=a%C3%A9")
    conn.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
    for k, v in h.items():
        conn.putheader(k, v)
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 200, resp.read()
    resp.read()
    conn.close()


def test_credentials_swap_at_runtime(fresh):
    old = client(fresh)
    assert list_ids(old) == [j["jobId"] for j in fresh.jobs]
    fresh.credentials = ("AKIDNEW", "new-secret", None)
    with pytest.raises(ClientError) as ei:
        old.list_jobs()
    assert ei.value.response["Error"]["Code"] == "InvalidSignatureException"
    new = client(fresh, ak="AKIDNEW", sk="new-secret", token=None)
    assert list_ids(new) == [j["jobId"] for j in fresh.jobs]
    fresh.credentials = None
    assert get(fresh, "/jobs", creds=None)[0].status == 200
    assert fresh.requests[-1]["signature_ok"] is None


# ---------------------------------------------------------------- (d) aws CLI

def test_aws_cli_lists_everything(srv, tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("")
    creds = tmp_path / "credentials"
    creds.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_SESSION_TOKEN=TOKEN,
               AWS_CONFIG_FILE=str(cfg), AWS_SHARED_CREDENTIALS_FILE=str(creds),
               AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    srv.clear_requests()
    out = subprocess.run(
        ["aws", "iot", "list-jobs", "--endpoint-url", srv.endpoint_url, "--region", "us-east-1",
         "--page-size", "100", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    ids = [j["jobId"] for j in json.loads(out.stdout)["jobs"]]
    assert ids == [j["jobId"] for j in srv.jobs]
    assert len(srv.requests) == -(-N // 100)
    assert all(r["signature_ok"] is True for r in srv.requests)
    # a filter through the CLI too
    out = subprocess.run(
        ["aws", "iot", "list-jobs", "--endpoint-url", srv.endpoint_url, "--region", "us-east-1",
         "--status", "CANCELED", "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [j["jobId"] for j in json.loads(out.stdout)["jobs"]] == \
        [j["jobId"] for j in srv.jobs if j["status"] == "CANCELED"]


# ---------------------------------------------------------------- (e) scripted actions

def normal_first_page(s):
    resp, body = get(s, "/jobs")
    assert resp.status == 200
    return body


def test_script_status_json_headers(fresh):
    fresh.script({"status": 429, "json": {"message": "Rate exceeded"},
                  "headers": {"x-amzn-ErrorType": "ThrottlingException", "Retry-After": "1"}})
    resp, body = get(fresh, "/jobs")
    assert resp.status == 429 and json.loads(body) == {"message": "Rate exceeded"}
    assert resp.getheader("x-amzn-ErrorType") == "ThrottlingException"
    assert resp.getheader("Retry-After") == "1"
    assert int(resp.getheader("Content-Length")) == len(body)
    # boto3 sees the throttling error code
    fresh.script({"error": "ThrottlingException", "status": 400, "message": "slow down"})
    with pytest.raises(ClientError) as ei:
        client(fresh).list_jobs()
    assert ei.value.response["Error"]["Code"] == "ThrottlingException"


def test_script_html_500_and_custom_200(fresh):
    fresh.script({"status": 500, "body": b"<html><body>Internal error</body></html>"},
                 {"status": 200, "body": b"not json at all"})
    conn = http.client.HTTPConnection("127.0.0.1", fresh.port, timeout=5)
    resp, body = get(fresh, "/jobs", conn=conn)
    assert resp.status == 500 and body.startswith(b"<html>")
    assert resp.getheader("Content-Type") == "text/html"
    resp, body = get(fresh, "/jobs", conn=conn)  # same connection: still alive
    assert resp.status == 200 and body == b"not json at all"
    assert resp.getheader("Content-Length") == str(len(body))
    assert get(fresh, "/jobs", conn=conn)[1] == normal_first_page(fresh)  # script exhausted
    conn.close()


def test_script_reset_before_headers(fresh):
    fresh.script({"reset": "before_headers"})
    data, err, _ = raw_exchange(fresh)
    assert data == b"" and isinstance(err, ConnectionResetError)


def test_script_reset_mid_body(fresh):
    full = normal_first_page(fresh)
    fresh.script({"reset": "mid_body"})
    data, err, _ = raw_exchange(fresh)
    status, headers, body = split_response(data)
    assert status == 200 and int(headers["content-length"]) == len(full)
    assert isinstance(err, ConnectionResetError)
    assert 0 < len(body) < len(full) and full.startswith(body)


def test_script_truncate(fresh):
    full = normal_first_page(fresh)
    fresh.script({"truncate": True})
    data, err, _ = raw_exchange(fresh)
    assert err is None  # clean FIN
    status, headers, body = split_response(data)
    assert int(headers["content-length"]) == len(full) and len(body) == len(full) // 2
    fresh.script({"truncate": True})
    with pytest.raises(http.client.IncompleteRead):
        get(fresh, "/jobs")


def test_script_stall(fresh):
    fresh.script({"stall": 0.4})
    data, err, dt = raw_exchange(fresh)
    assert data == b"" and err is None and 0.35 < dt < 3


def test_script_stall_read_timeout(fresh):
    fresh.script({"stall": 3})
    conn = http.client.HTTPConnection("127.0.0.1", fresh.port, timeout=0.3)
    conn.request("GET", "/jobs", headers=signed_headers(fresh, "/jobs"))
    t0 = time.monotonic()
    with pytest.raises(socket.timeout):
        conn.getresponse()
    assert time.monotonic() - t0 < 1.5
    conn.close()
    fresh.script({"stall": 3, "after": "headers"})
    conn = http.client.HTTPConnection("127.0.0.1", fresh.port, timeout=0.3)
    conn.request("GET", "/jobs", headers=signed_headers(fresh, "/jobs"))
    resp = conn.getresponse()
    assert resp.status == 200
    with pytest.raises(socket.timeout):
        resp.read()
    conn.close()


def test_script_delay_gzip_chunked_pass(fresh):
    full = normal_first_page(fresh)
    fresh.script({"delay": 0.3})
    t0 = time.monotonic()
    assert get(fresh, "/jobs")[1] == full
    assert time.monotonic() - t0 >= 0.3
    fresh.script({"gzip": True})
    resp, body = get(fresh, "/jobs")
    assert resp.getheader("Content-Encoding") == "gzip"
    assert int(resp.getheader("Content-Length")) == len(body)
    assert gzip.decompress(body) == full
    fresh.script({"chunked": True, "chunk_size": 1000})
    resp, body = get(fresh, "/jobs")
    assert resp.getheader("Transfer-Encoding") == "chunked" and resp.getheader("Content-Length") is None
    assert body == full
    fresh.script({"pass": True})
    assert get(fresh, "/jobs")[1] == full
    assert fresh.pending_script == 0
    # boto3 copes with chunked answers (it asks for Accept-Encoding: identity and does not
    # decode gzip, so a gzip action is only for clients that ask for it)
    fresh.script({"pass": True}, {"chunked": True, "chunk_size": 333})
    assert list_ids(client(fresh)) == [j["jobId"] for j in fresh.jobs]
    assert fresh.requests[-2]["headers"]["accept-encoding"] == "identity"


def test_script_close(fresh):
    fresh.script({"close": True})
    conn = http.client.HTTPConnection("127.0.0.1", fresh.port, timeout=5)
    resp, _ = get(fresh, "/jobs", conn=conn)
    assert resp.getheader("Connection") == "close"
    before = fresh.connections_accepted
    get(fresh, "/jobs", conn=conn)  # http.client reconnects
    assert fresh.connections_accepted == before + 1
    conn.close()


def test_latency_overlaps_across_connections(fresh):
    fresh.latency = 0.3
    results = []

    def one():
        results.append(get(fresh, "/jobs")[0].status)

    t0 = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.monotonic() - t0
    fresh.latency = 0.0
    assert results == [200] * 6
    assert 0.3 <= dt < 1.0  # parallel, not 6 * 0.3


def test_stop_is_prompt_with_open_and_stalled_connections():
    s = ListJobsServer(n_jobs=10).start()
    idle = socket.create_connection(("127.0.0.1", s.port))
    s.script({"stall": 30})
    stalled = socket.create_connection(("127.0.0.1", s.port))
    stalled.sendall(f"GET /jobs HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    time.sleep(0.1)
    t0 = time.monotonic()
    s.stop()
    assert time.monotonic() - t0 < 1.0
    idle.settimeout(2)
    assert idle.recv(10) == b""
    idle.close()
    stalled.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", s.port), timeout=1)


def test_http_basics_keepalive_pipelining_headers(fresh):
    fresh.credentials = None
    sock = socket.create_connection(("127.0.0.1", fresh.port), timeout=5)
    sock.sendall(b"GET /jobs?maxResults=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                 b"GET /jobs?maxResults=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        c = sock.recv(65536)
        if not c:
            break
        data += c
    sock.close()
    first_len = int(data.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    status, headers, rest = split_response(data)
    assert status == 200
    assert json.loads(rest[:first_len])["jobs"][0]["jobId"] == fresh.jobs[0]["jobId"]
    for h in ("date", "content-type", "content-length", "x-amzn-requestid", "x-amz-apigw-id",
              "x-amzn-trace-id"):
        assert h in headers
    assert headers["content-type"] == "application/json"
    status2, headers2, body2 = split_response(rest[first_len:])
    assert headers2["connection"] == "close" and len(json.loads(body2)["jobs"]) == 2
    assert fresh.requests[-1]["connection"] == fresh.requests[-2]["connection"]
    assert headers["x-amzn-requestid"] != headers2["x-amzn-requestid"]


# ---------------------------------------------------------------- (f) tokens / escaping

def test_tokens_have_awkward_characters(srv):
    pages, _ = walk_raw(srv, size=100)
    toks = [p["nextToken"] for p in pages if "nextToken" in p]
    assert len(toks) == len(pages) - 1 == 5
    for t in toks:
        for ch in ("+", "/", "=", " ", "é", "✓", "\U0001F680"):
            assert ch in t, (ch, t)
        assert not t.isascii()
    assert len(set(toks)) == len(toks)


def test_ensure_ascii_escapes_equal_plain():
    with ListJobsServer(n_jobs=80, seed=9) as plain, \
            ListJobsServer(n_jobs=80, seed=9, ensure_ascii=True) as esc:
        p_pages, p_bodies = walk_raw(plain, size=30)
        e_pages, e_bodies = walk_raw(esc, size=30)
    assert p_pages == e_pages
    assert all(b.isascii() for b in e_bodies)
    assert b"\\ud83d\\ude80" in e_bodies[0] and b"\\u00e9" in e_bodies[0] and b"\\u2713" in e_bodies[0]
    assert "\U0001F680".encode() in p_bodies[0] and not p_bodies[0].isascii()
    assert [json.loads(b) for b in e_bodies] == [json.loads(b) for b in p_bodies]
    assert [j["jobId"] for p in p_pages for j in p["jobs"]] == [j["jobId"] for j in make_jobs(80, 9)]


def test_cached_pages_and_custom_jobs():
    jobs = make_jobs(30, seed=4)[::-1]  # any order is served as given
    with ListJobsServer(jobs) as s:
        pages1, bodies1 = walk_raw(s, size=7)
        hits = s.stats["cache_hits"]
        pages2, bodies2 = walk_raw(s, size=7)
        assert bodies1 == bodies2
        assert s.stats["cache_hits"] - hits == len(bodies1)
        assert [j["jobId"] for p in pages1 for j in p["jobs"]] == [j["jobId"] for j in jobs]


# ---------------------------------------------------------------- CLI

def test_cli_prints_endpoint_and_serves():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    p = subprocess.Popen([sys.executable, "-m", "iotpager.testing.server", "--jobs", "40",
                          "--port", "0", "--page-size", "15", "--latency", "0.01"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        url = p.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        c = boto3.client("iot", endpoint_url=url, region_name="us-east-1",
                         aws_access_key_id="a", aws_secret_access_key="b")
        pages = list(c.get_paginator("list_jobs").paginate())
        assert [len(pg["jobs"]) for pg in pages] == [15, 15, 10]
        assert [j["jobId"] for pg in pages for j in pg["jobs"]] == [j["jobId"] for j in make_jobs(40, 0)]
    finally:
        p.terminate()
        p.wait(5)
    err = p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    assert err == ""
