"""SigV4 in C (csrc/sigv4.c, csrc/uri.c) against the AWS suite and botocore.

* The pure-C table tests (tests/c, ``make check``) run as part of pytest,
  and a corrupted copy of the suite must make them fail.
* tests/c/sign_tool signs ListJobs-like GETs; its Authorization header,
  canonical query and canonical-request hash must equal botocore's, byte
  for byte. botocore is driven the way a real client is: the query string
  is put in the URL with ``botocore.utils.percent_encode_sequence`` (what
  ``prepare_request_dict`` does), and ``SigV4Auth.add_auth`` signs it with
  the clock frozen. The same params are also signed through
  ``AWSRequest(params=...)``, which takes botocore's other canonical-query
  path. (Do not sign ``AWSRequest.prepare().url``: it is built with
  ``urlencode``, which writes a space as '+'.)
"""

import datetime
import hashlib
import os
import random
import shutil
import subprocess
from pathlib import Path
from unittest import mock

import pytest

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence

ROOT = Path(__file__).resolve().parent.parent
CTESTS = ROOT / "tests" / "c"
# The AWS SigV4 test suite (Apache-2.0, from awslabs/aws-c-auth; its LICENSE
# and NOTICE are beside it), shipped in tests/; IOT_SIGV4_SUITE overrides it
# for the C program too.
SUITE = Path(os.environ.get("IOT_SIGV4_SUITE") or ROOT / "tests" / "sigv4-test-suite")

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
STS_TOKEN = (
    "IQoJb3JpZ2luX2VjEHMaCXVzLWVhc3QtMSJHMEUCIQD+abc/def==//xyz+"
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQ=="
)
SERVICE = "iot"
AMZ_DATE = "20240315T101112Z"


def _make(*args):
    proc = subprocess.run(
        ["make", "-C", str(CTESTS), *args], capture_output=True, text=True
    )
    assert proc.returncode == 0, f"make {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


# ---------------------------------------------------------------------------
# the C table tests


def test_c_table_tests_pass():
    proc = _make("check")
    out = proc.stdout
    assert "FAIL" not in out
    # Both test programs ran and said so.
    assert "== build/test_sigv4" in out and "== build/test_uri" in out
    assert "ok get-vanilla\n" in out
    suite_cases = sorted(
        p.name for p in SUITE.iterdir() if (p / "header-signed-request.txt").is_file()
    )
    assert len(suite_cases) >= 30
    for name in suite_cases:
        assert f"ok {name}\n" in out, f"suite case {name} did not pass"


@pytest.fixture(scope="module")
def test_sigv4_bin():
    _make("build/test_sigv4")
    return CTESTS / "build" / "test_sigv4"


def _run_suite(binary, suite):
    env = dict(os.environ, IOT_SIGV4_SUITE=str(suite))
    return subprocess.run([str(binary)], cwd=CTESTS, env=env, capture_output=True, text=True)


def test_c_table_tests_can_fail(test_sigv4_bin, tmp_path):
    """One changed hex digit of one expected signature fails that case."""
    copy = tmp_path / "suite"
    shutil.copytree(SUITE, copy)
    sig_file = copy / "get-vanilla" / "header-signature.txt"
    sig = sig_file.read_text()
    sig_file.write_text(("1" if sig[0] != "1" else "2") + sig[1:])
    proc = _run_suite(test_sigv4_bin, copy)
    assert proc.returncode != 0
    assert "FAIL get-vanilla: signature differs" in proc.stdout
    assert "ok get-vanilla-query\n" in proc.stdout


def test_c_table_tests_need_the_suite(test_sigv4_bin, tmp_path):
    """An empty or missing suite is a failure, not a pass with no cases."""
    assert _run_suite(test_sigv4_bin, tmp_path).returncode != 0
    assert _run_suite(test_sigv4_bin, tmp_path / "missing").returncode != 0


# ---------------------------------------------------------------------------
# parity with botocore


@pytest.fixture(scope="module")
def sign_tool():
    _make("build/sign_tool")
    return CTESTS / "build" / "sign_tool"


def c_sign(tool, params, token, region, amz_date, access_key=ACCESS_KEY, secret=SECRET_KEY):
    host = f"iot.{region}.amazonaws.com"
    args = [str(tool), access_key, secret, token or "-", region, SERVICE, amz_date, host, "/jobs"]
    args += [f"{k}={v}" for k, v in params]
    proc = subprocess.run(args, capture_output=True, check=True)
    lines = proc.stdout.decode("ascii").split("\n")
    assert len(lines) == 4 and lines[3] == "", proc.stdout
    return {"query": lines[0], "creq_sha": lines[1], "authorization": lines[2]}


def _frozen(amz_date):
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    if hasattr(botocore.auth, "get_current_datetime"):
        return mock.patch.object(botocore.auth, "get_current_datetime", return_value=when)

    # older botocore: add_auth() calls datetime.datetime.utcnow() itself
    class Frozen(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when

    fake = mock.Mock(wraps=datetime, datetime=Frozen)
    return mock.patch.object(botocore.auth, "datetime", fake)


def botocore_sign(params, token, region, amz_date, via, access_key=ACCESS_KEY, secret=SECRET_KEY):
    """Sign with botocore's SigV4Auth. via="url": the query in the URL, as a
    real client sends it; via="params": AWSRequest(params=...)."""
    base = f"https://iot.{region}.amazonaws.com/jobs"
    if via == "url":
        query = percent_encode_sequence(list(params))
        request = AWSRequest(method="GET", url=f"{base}?{query}" if query else base)
    else:
        query = None
        request = AWSRequest(method="GET", url=base, params=list(params))
    auth = SigV4Auth(Credentials(access_key, secret, token), SERVICE, region)
    with _frozen(amz_date):
        auth.add_auth(request)
    assert request.headers["X-Amz-Date"] == amz_date  # the clock was frozen
    authorization = request.headers["Authorization"]
    # What add_auth signed: its canonical request is computed before the
    # Authorization header exists, so take it away again.
    del request.headers["Authorization"]
    creq = auth.canonical_request(request)
    return {
        "url_query": query,
        "canonical_query": auth.canonical_query_string(request),
        "creq_sha": hashlib.sha256(creq.encode("utf-8")).hexdigest(),
        "authorization": authorization,
    }


def assert_same(tool, params, token, region, amz_date=AMZ_DATE, **keys):
    ours = c_sign(tool, params, token, region, amz_date, **keys)
    for via in ("url", "params"):
        theirs = botocore_sign(params, token, region, amz_date, via, **keys)
        assert ours["query"] == theirs["canonical_query"], via
        assert ours["creq_sha"] == theirs["creq_sha"], via
        assert ours["authorization"] == theirs["authorization"], via
        if via == "url":
            # The same pairs go on the wire (botocore keeps insertion order,
            # we send them sorted).
            wire = theirs["url_query"]
            assert sorted(ours["query"].split("&")) == sorted(wire.split("&") if wire else [""])
    return ours


LIST_JOBS_CASES = {
    "no-params": [],
    "max-results": [("maxResults", "10")],
    "status-and-max": [("status", "IN_PROGRESS"), ("maxResults", "250")],
    "token-base64": [("nextToken", "AAEAAQ+/abc==")],
    "token-plus-slash-equals": [("nextToken", "a+b/c=d"), ("maxResults", "1")],
    "token-spaces": [("nextToken", "a b  c "), ("maxResults", "5")],
    "token-percent": [("nextToken", "100%25 and %zz and %")],
    "token-tilde-unreserved": [("nextToken", "~-._AZaz09~")],
    "token-e-acute": [("nextToken", "caf\u00e9")],
    "token-check-mark": [("nextToken", "\u2713 done")],
    "token-emoji": [("nextToken", "\U0001F600\U0001F680")],
    "token-all-unicode": [("nextToken", "\u00e9\u2713\U0001F600\u4e2d\u6587"), ("status", "COMPLETED")],
    "token-empty": [("nextToken", ""), ("maxResults", "10")],
    "token-reserved-soup": [("nextToken", "!*'();:@&=+$,/?#[]\"<>\\^`{|}")],
    "thing-group": [("thingGroupName", "my group/\u00e9"), ("status", "CANCELED")],
    "thing-group-id": [("thingGroupId", "a1b2-c3d4"), ("targetSelection", "SNAPSHOT")],
    "full-list-jobs": [
        ("thingGroupName", "fleet+west"),
        ("status", "IN_PROGRESS"),
        ("nextToken", "eyJ0b2tlbiI6ICJhYmMrL2RlZj0ifQ==\u2713"),
        ("targetSelection", "CONTINUOUS"),
        ("namespaceId", "AWS"),
        ("maxResults", "250"),
    ],
    "unsorted-keys": [("thingGroupName", "g"), ("nextToken", "t"), ("maxResults", "2"), ("status", "SCHEDULED")],
}


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
@pytest.mark.parametrize("token", [None, STS_TOKEN], ids=["no-token", "session-token"])
@pytest.mark.parametrize("case", sorted(LIST_JOBS_CASES))
def test_matches_botocore(sign_tool, case, token, region):
    ours = assert_same(sign_tool, LIST_JOBS_CASES[case], token, region)
    signed = "host;x-amz-date;x-amz-security-token" if token else "host;x-amz-date"
    assert f"SignedHeaders={signed}," in ours["authorization"]


def test_parity_is_sensitive(sign_tool):
    """The comparison notices a one-character change in a token or a date."""
    params = [("nextToken", "abc+def"), ("maxResults", "10")]
    ours = c_sign(sign_tool, params, None, "us-east-1", AMZ_DATE)
    other = botocore_sign([("nextToken", "abc+deg"), ("maxResults", "10")], None, "us-east-1", AMZ_DATE, "url")
    assert ours["authorization"] != other["authorization"]
    later = botocore_sign(params, None, "us-east-1", "20240315T101113Z", "url")
    assert ours["authorization"] != later["authorization"]


_ALPHABET = (
    [chr(c) for c in range(0x20, 0x7F)]
    + ["\t", "\u00e9", "\u00fc", "\u2713", "\u20ac", "\u4e2d", "\U0001F600", "\U0001F680", "\U00010348"]
)


def test_random_tokens_match_botocore(sign_tool):
    rnd = random.Random(20240315)
    mismatches = []
    for i in range(200):
        token = "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(0, 80)))
        params = [("nextToken", token)]
        if rnd.random() < 0.7:
            params.append(("maxResults", str(rnd.randint(1, 250))))
        if rnd.random() < 0.5:
            params.append(("status", rnd.choice(["IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS", "SCHEDULED"])))
        if rnd.random() < 0.3:
            params.append(("thingGroupName", "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(1, 20)))))
        rnd.shuffle(params)
        session = STS_TOKEN if rnd.random() < 0.5 else None
        region = rnd.choice(["us-east-1", "eu-west-1"])
        when = datetime.datetime(2015, 1, 1) + datetime.timedelta(seconds=rnd.randint(0, 20 * 365 * 86400))
        amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        try:
            assert_same(sign_tool, params, session, region, amz_date)
        except AssertionError as exc:
            mismatches.append((i, params, session is not None, region, amz_date, str(exc)))
    assert not mismatches, f"{len(mismatches)} of 200 differ; first: {mismatches[0]}"
