"""atheris target: PaginationConfig (StartingToken, MaxItems, PageSize)
through iotpager's PageIterator, differentially against botocore's.

Run by tests/fuzz/run.sh (``bash tests/fuzz/run.sh token``), or directly:
    PYTHONPATH=python:tests python tests/fuzz/fuzz_token.py CORPUS_DIR -max_total_time=60

The resume-token decoder is botocore's (iotpager's PageIterator subclasses
botocore's); what iotpager adds is what it does with the decoded token: the
offset it gives the C iterator (``skip``), the MaxItems budget (``max_items``)
and the nextToken it copies into C. Each input becomes a PaginationConfig
(a fuzzed StartingToken: raw text, or botocore's base64 JSON with fuzzed
``nextToken`` and ``boto_truncate_amount``; sometimes MaxItems and PageSize),
and the same listing runs twice, with no network:

* botocore: a real boto3 client whose HTTP send is answered by a
  ``before-send`` handler from a canned 120-job listing (tokens "o<offset>";
  an unknown token is the service's 400 InvalidRequestException);
* iotpager: the real Paginator/PageIterator/engine; the C ``_core.Pager`` is
  still constructed with every argument the engine passes (so its argument
  checks run) and then replaced by a stand-in that answers from the same
  canned listing, with the pages built by ``_core.parse_page`` and errors
  raised by the real controller.

The outcome (job ids per page, resume token, exception class) must be the
same. Anything else, or an exception botocore does not raise, is a finding.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import urllib.parse

import atheris

with atheris.instrument_imports(include=["iotpager"]):
    import iotpager
    from iotpager import _core, _paginator

import boto3
import botocore.awsrequest
import botocore.config
import botocore.exceptions

N_JOBS = 120
JOBS = [{"jobArn": f"arn:aws:iot:us-east-1:123456789012:job/j{i}", "jobId": f"j{i:03d}",
         "status": "COMPLETED", "createdAt": 1700000000 + i} for i in range(N_JOBS)]
BAD_TOKEN = json.dumps({"message": "The specified nextToken is not valid."}).encode()
HEADERS = {"content-type": "application/json", "x-amzn-requestid": "fuzz-request-id"}


def answer(token, size):
    """(status, headers, body) of the canned service for one request."""
    if token is None:
        offset = 0
    elif token.startswith("o") and token[1:].isdigit() and int(token[1:]) <= N_JOBS:
        offset = int(token[1:])
    else:
        return 400, dict(HEADERS, **{"x-amzn-errortype": "InvalidRequestException"}), BAD_TOKEN
    size = 50 if size is None else size
    end = min(offset + size, N_JOBS)
    doc = {"jobs": JOBS[offset:end]}
    if end < N_JOBS:
        doc["nextToken"] = f"o{end}"
    return 200, dict(HEADERS), json.dumps(doc).encode()


# -- botocore: a real client, answered before it sends ----------------------

class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **kwargs):
        yield self._body


def _before_send(request, **kwargs):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query, keep_blank_values=True)
    token = query.get("nextToken", [None])[0]
    size = query.get("maxResults", [None])[0]
    status, headers, body = answer(token, int(size) if size else None)
    return botocore.awsrequest.AWSResponse(request.url, status, headers, _Raw(body))


def _client():
    c = boto3.session.Session().client(
        "iot", endpoint_url="http://fuzz.invalid", region_name="us-east-1",
        aws_access_key_id="AKIDFUZZ", aws_secret_access_key="secret",
        config=botocore.config.Config(retries={"total_max_attempts": 1}))
    c.meta.events.register("before-send.iot.ListJobs", _before_send)
    return c


CLIENT = _client()


# -- iotpager: the real engine, a stand-in for the C transport ----------------

_RealPager = _core.Pager


class FakePager:
    def __init__(self, controller, endpoint, host, region, params, next_token, tz_mode, tzinfo,
                 **kwargs):
        real = _RealPager(controller, endpoint, host, region, params, next_token, tz_mode, tzinfo,
                          **kwargs)   # the C argument checks run for real
        real.close()
        self._controller = controller
        self._tz = (tz_mode, tzinfo)
        self._size = dict(params).get("maxResults")
        self._token = next_token
        self.finished = False
        self.stats = {"pages": 0, "jobs": 0, "bytes": 0, "requests": 0, "retries": 0}

    @property
    def next_token(self):
        return self._token

    def close(self):
        self.finished = True

    def __iter__(self):
        return self

    def __next__(self):
        if self.finished:
            raise StopIteration
        token = None if self._token in (None, "None") else self._token
        status, headers, body = answer(token, int(self._size) if self._size else None)
        if status != 200:
            self.finished = True
            self._controller.http_error(status, headers, body, 0)   # raises
        page = _core.parse_page(body, self._controller, self._tz[0], self._tz[1], 200,
                                list(headers.items()))
        nxt = page.get("nextToken")
        if not nxt:
            self.finished = True
        else:
            self._token = nxt
        return page


_paginator._core = type("core", (), {"Pager": FakePager, "TZ_LOCAL": _core.TZ_LOCAL,
                                     "TZ_UTC": _core.TZ_UTC})


# -- the fuzzed input ---------------------------------------------------------

def _value(fdp):
    kind = fdp.ConsumeIntInRange(0, 9)
    if kind == 0:
        return None
    if kind == 1:
        return f"o{fdp.ConsumeIntInRange(0, 130)}"
    if kind == 2:
        return fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 12))
    if kind == 3:
        return fdp.ConsumeIntInRange(-5, 200)
    if kind == 4:
        return fdp.ConsumeInt(fdp.ConsumeIntInRange(1, 12))   # up to 96-bit integers
    if kind == 5:
        return fdp.ConsumeRegularFloat()
    if kind == 6:
        return fdp.ConsumeBool()
    if kind == 7:
        return [fdp.ConsumeIntInRange(0, 3)]
    if kind == 8:
        return {"k": fdp.ConsumeUnicode(3)}
    return "None"


def pagination_config(data):
    fdp = atheris.FuzzedDataProvider(data)
    cfg = {}
    mode = fdp.ConsumeIntInRange(0, 3)
    if mode == 0:
        cfg["StartingToken"] = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 40))
    elif mode in (1, 2):
        doc = {}
        if fdp.ConsumeBool():
            doc["nextToken"] = _value(fdp)
        if fdp.ConsumeBool():
            doc["boto_truncate_amount"] = _value(fdp)
        if fdp.ConsumeBool():
            doc[fdp.ConsumeUnicode(4)] = _value(fdp)
        text = json.dumps(doc)
        raw = base64.b64encode(text.encode("utf-8", "surrogatepass"))
        if mode == 2 and raw:   # a damaged token
            cut = fdp.ConsumeIntInRange(0, len(raw))
            raw = raw[:cut] + fdp.ConsumeBytes(2) + raw[cut:]
        cfg["StartingToken"] = raw.decode("latin-1")
    if fdp.ConsumeBool():
        cfg["MaxItems"] = _value(fdp) if fdp.ConsumeBool() else fdp.ConsumeIntInRange(0, 130)
    if fdp.ConsumeBool():
        cfg["PageSize"] = fdp.ConsumeIntInRange(1, 60)
    return cfg


def outcome(paginator, cfg):
    pages, error, resume = [], None, None
    try:
        it = paginator.paginate(PaginationConfig=dict(cfg))
        for page in it:
            pages.append([j["jobId"] for j in page.get("jobs", [])])
        resume = it.resume_token
    except Exception as e:  # compared below
        error = e
    return pages, error, resume


# IOTPAGER_FUZZ_KNOWN=1 passes over the findings already reported, so that
# a long run can look for new ones (see tests/fuzz/crashes/README.md).
KNOWN = os.environ.get("IOTPAGER_FUZZ_KNOWN", "") not in ("", "0")


def known_finding(cfg, i):
    """MaxItems or boto_truncate_amount >= 2**63: OverflowError from the C
    Pager's "L" arguments (crashes/token-max-items-overflow)."""
    return isinstance(i[1], OverflowError) and "int too big to convert" in str(i[1])


def TestOneInput(data):
    cfg = pagination_config(data)
    b = outcome(CLIENT.get_paginator("list_jobs"), cfg)
    i = outcome(iotpager.get_paginator(CLIENT), cfg)
    tb, ti = type(b[1]).__name__, type(i[1]).__name__
    if KNOWN and known_finding(cfg, i):
        return
    if (b[0], b[2], tb) != (i[0], i[2], ti):
        raise AssertionError(
            f"iotpager differs from botocore for PaginationConfig={cfg!r}:\n"
            f"  botocore: {b[0]!r} resume={b[2]!r} error={b[1]!r}\n"
            f"  iotpager: {i[0]!r} resume={i[2]!r} error={i[1]!r}")


def main():
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
