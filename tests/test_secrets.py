"""Issue #6, hardening: credentials never leak.

The secret access key and the session token (and, except where the server's
own error message carries it exactly as botocore shows it, the access key
id) must never appear in:

* iotpager's log lines (the 'iotpager' logger at DEBUG, messages, arguments
  and formatted exceptions) or anything written to the process's stdout or
  stderr (file descriptors 1 and 2, so C code is covered too), progress
  output included;
* the reprs of the paginator, the page iterator, its engine and the pages;
* exceptions: str(e), repr(e), e.response, e.kwargs, the chained causes
  and the formatted traceback, for each kind of failure: HTTP 403 (scripted,
  and a real signature mismatch computed by the server), transport errors
  (refused, reset, read timeout), invalid responses, pagination and
  parameter errors.

botocore's own DEBUG logging does print the security token (its request
dumps); that is botocore's, not iotpager's, and is not checked.
"""

from __future__ import annotations

import logging
import socket
import traceback
import uuid

import botocore.exceptions
import pytest

import iotpager
from _hardening import hang_guard, retry_client, run

AK = "AKIA" + uuid.uuid4().hex[:16].upper()
SK = "sk/" + uuid.uuid4().hex + "+secret="
TOKEN = "tok/" + uuid.uuid4().hex + "+session=="
CREDS = (AK, SK, TOKEN)
SECRETS = {"secret key": SK, "session token": TOKEN}


@pytest.fixture(autouse=True)
def _guard():
    with hang_guard(40):
        yield


@pytest.fixture
def srv(server_factory):
    return server_factory(n_jobs=60, credentials=CREDS)


def client_for(server, creds=CREDS, **config):
    config.setdefault("retries", {"total_max_attempts": 1})
    return retry_client(server, creds=creds, **config)


def leaks(text, also_access_key=True):
    """The names of the secrets found in ``text``."""
    found = [name for name, value in SECRETS.items() if value in text]
    for name, value in SECRETS.items():
        # the secrets as they could be mangled on the way: URL-encoded, repr'd
        for form in (value.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D"),
                     value.encode().hex()):
            if form in text and name not in found:
                found.append(name + " (encoded)")
    if also_access_key and AK in text:
        found.append("access key id")
    return found


def exception_texts(e):
    """Every text an exception shows: str, repr, response, kwargs, causes,
    the formatted traceback."""
    texts = []
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        texts += [str(e), repr(e), repr(getattr(e, "response", None)),
                  repr(getattr(e, "kwargs", None)), repr(vars(e)) if hasattr(e, "__dict__") else ""]
        e = e.__cause__ or e.__context__
    return texts


@pytest.fixture
def watched(caplog, capfd):
    """Collects iotpager's log records and fd-level output; check() asserts
    no secret is in any of them."""
    caplog.set_level(logging.DEBUG, logger="iotpager")
    caplog.set_level(logging.DEBUG, logger="botocore")   # botocore talks; iotpager must not

    class Watch:
        def texts(self):
            out = []
            for r in caplog.records:
                if r.name == "iotpager" or r.name.startswith("iotpager."):
                    out.append(r.getMessage())
                    out.append(repr(r.args))
                    if r.exc_info:
                        out.append("".join(traceback.format_exception(*r.exc_info)))
            cap = capfd.readouterr()
            out += [cap.out, cap.err]
            return out

        def check(self, what):
            for text in self.texts():
                assert not leaks(text), f"{what}: {leaks(text)} in output/log: {text[:300]!r}"

        def iotpager_lines(self):
            return [r.getMessage() for r in caplog.records if r.name == "iotpager"]

    return Watch()


def test_a_listing_logs_and_prints_no_secret(srv, watched):
    pag = iotpager.get_paginator(client_for(srv), progress=True)
    it = pag.paginate(PaginationConfig={"PageSize": 20})
    pages = list(it)
    assert len(pages) == 3
    assert all(r["signature_ok"] for r in srv.requests)   # the secrets were really used
    assert len(watched.iotpager_lines()) == 3, "the DEBUG request log is on"
    for what, obj in {"paginator": pag, "page iterator": it, "engine": it._method,
                      "stats": it.stats, "pages": pages}.items():
        assert not leaks(repr(obj)), f"repr of the {what}: {leaks(repr(obj))}"
        assert not leaks(str(obj)), f"str of the {what}: {leaks(str(obj))}"
    watched.check("a whole listing")


ERROR_SCRIPTS = {
    "403-scripted": [{"error": "AccessDeniedException", "status": 403,
                      "message": "User is not authorized to perform: iot:ListJobs"}],
    "500-html": [{"status": 500, "body": b"<html>oops</html>"}],
    "reset": [{"pass": True}, {"reset": "mid_body"}],
    "reset-before-headers": [{"reset": "before_headers"}],
    "read-timeout": [{"stall": 3}],
    "invalid-response": [{"pass": True}, {"status": 200, "body": b'{"jobs":[{"jobId":"a"'}],
    "wrong-shape": [{"status": 200, "body": b'{"jobs":[1]}'}],
    "duplicate-token": [{"status": 200, "body": b'{"jobs":[],"nextToken":"x"}'},
                        {"status": 200, "body": b'{"jobs":[],"nextToken":"x"}'}],
    "bad-timestamp": [{"status": 200, "body": b'{"jobs":[{"createdAt":"not a date"}]}'}],
    "throttled-then-retried": [{"error": "ThrottlingException", "status": 400}],
}


@pytest.mark.parametrize("case", list(ERROR_SCRIPTS))
def test_exceptions_show_no_secret(srv, watched, case):
    retries = {"mode": "standard"} if case.endswith("retried") else {"total_max_attempts": 1}
    client = client_for(srv, read_timeout=0.5, retries=retries)
    out = run(iotpager.get_paginator(client, progress=True), srv, ERROR_SCRIPTS[case],
              PaginationConfig={"PageSize": 20})
    if case.endswith("retried"):
        assert out.error is None and len(out.pages) == 3
    else:
        assert out.error is not None, case
        for text in exception_texts(out.error):
            assert not leaks(text), f"{case}: {leaks(text)} in the exception: {text[:300]!r}"
        tb = "".join(traceback.format_exception(out.error))
        assert not leaks(tb), leaks(tb)
    watched.check(case)


def test_connection_refused_shows_no_secret(watched):
    with socket.socket() as s:   # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = client_for(f"http://127.0.0.1:{port}")
    with pytest.raises(botocore.exceptions.EndpointConnectionError) as ei:
        list(iotpager.get_paginator(client).paginate())
    for text in exception_texts(ei.value):
        assert not leaks(text), leaks(text)
    watched.check("connection refused")


def test_parameter_errors_show_no_secret(srv, watched):
    client = client_for(srv)
    for kwargs in ({"status": "NOPE"}, {"bogus": 1}, {"PaginationConfig": {"StartingToken": "!!"}}):
        try:
            list(iotpager.get_paginator(client).paginate(**kwargs))
        except Exception as e:  # whatever botocore raises for it
            for text in exception_texts(e):
                assert not leaks(text), (kwargs, leaks(text))
    watched.check("parameter errors")


@pytest.mark.parametrize("wrong", ["secret", "token"])
def test_a_real_signature_mismatch_shows_only_what_botocore_shows(srv, watched, wrong):
    """The server computes the 403 itself. Its message, like AWS's, may carry
    the canonical request (with the access key id and the X-Amz-Security-Token
    the client sent); iotpager must show exactly what botocore shows for the
    same response, and never the secret key."""
    creds = (AK, SK + "-wrong", TOKEN) if wrong == "secret" else (AK, SK, TOKEN + "-wrong")
    outcomes = []
    for make in (lambda c: c.get_paginator("list_jobs"), iotpager.get_paginator):
        out = run(make(client_for(srv, creds=creds)), srv, (), PaginationConfig={"PageSize": 20})
        assert isinstance(out.error, botocore.exceptions.ClientError), out.error
        outcomes.append(out.error)
    b, i = outcomes
    assert i.response["Error"]["Code"] == "InvalidSignatureException"
    for text in exception_texts(i):
        assert SK not in text and (SK + "-wrong") not in text
    # what iotpager's exception adds to the server's words: nothing secret
    assert str(i) == str(b)
    assert i.response["Error"] == b.response["Error"]
    for text in exception_texts(i):
        for name, value in {"access key id": AK, "session token": TOKEN}.items():
            if value in text:
                assert value in str(b) or value in repr(b.response), (
                    f"the {name} appears in iotpager's exception but not in botocore's")
    watched_lines = [t for t in watched.texts() if t]
    for text in watched_lines:
        assert SK not in text, "the secret key was printed or logged"
