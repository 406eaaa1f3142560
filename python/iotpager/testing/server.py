"""A local, fast, scriptable AWS IoT ``ListJobs`` endpoint (``GET /jobs``, rest-json).

Used by iotpager's tests, demo and benchmark. Standard library plus botocore
(botocore is used only to verify SigV4 signatures).

Quick use::

    from iotpager.testing import ListJobsServer, make_jobs

    with ListJobsServer(n_jobs=1000, credentials=("AKID", "SECRET", None)) as srv:
        client = boto3.client("iot", endpoint_url=srv.endpoint_url, ...)
        ...
        assert all(r["signature_ok"] for r in srv.requests)

Command line (serves until killed; first stdout line is the endpoint URL)::

    python -m iotpager.testing.server --jobs 100000 --port 0 --page-size 250

Wire behaviour
--------------
* HTTP/1.1 with keep-alive, one daemon thread per connection, pipelining-safe.
  Every response carries ``Content-Length`` (except scripted chunked ones).
* ``GET /jobs`` with the query parameters ``status``, ``targetSelection``,
  ``thingGroupName``, ``thingGroupId``, ``namespaceId`` (all filter),
  ``maxResults`` (1..250, default ``default_page_size``) and ``nextToken``.
  Unknown parameters are ignored.
* Query decoding: the query is split on ``&``, each name and value is
  percent-decoded with ``urllib.parse.unquote_to_bytes`` and then decoded as
  strict UTF-8. A literal ``+`` stays a ``+``: it is NOT form-decoded to a
  space (``unquote``, not ``unquote_plus``; ``parse_qsl`` is not used because
  it always turns ``+`` into a space). Clients must send a space as ``%20``
  and a plus as ``%2B`` (botocore and iotpager do). Invalid UTF-8 after
  decoding gives 400.
* ``nextToken`` values are opaque strings that deliberately contain ``+``,
  ``/``, ``=``, a space, ``%``, ``&``, and non-ASCII characters (``é``, ``✓``
  and U+1F680, outside the BMP), so a client that fails to percent-encode the
  token, or decodes it as Latin-1, or mishandles surrogate pairs under
  ``ensure_ascii=True``, breaks visibly. A token is bound to the filter set
  it was issued for; an unknown (or foreign) token gives 400
  ``InvalidRequestException``.
* Errors: JSON body ``{"message": "..."}`` plus ``x-amzn-ErrorType`` header.
  400 InvalidRequestException (bad maxResults / token / enum value),
  403 InvalidSignatureException (any SigV4 failure; the message says what
  differed and, for a wrong signature, includes the canonical request and
  string to sign the server expected, like AWS does), 404
  UnknownOperationException (other paths / methods).

SigV4 verification
------------------
When ``credentials=(access_key, secret_key, session_token_or_None)`` is set,
every request is verified with botocore's ``SigV4Auth`` (service ``iot``,
``region``): the request is rebuilt as an ``AWSRequest`` from the request
target exactly as received and the headers named in ``SignedHeaders`` with
their received values; ``context['timestamp']`` is the received
``X-Amz-Date``. Two things differ from calling ``SigV4Auth`` naively, on
purpose:

* botocore's ``headers_to_sign`` silently drops some header names
  (``user-agent``, ``expect``, ``x-amzn-trace-id``, ``connection``, ...) and
  reads only the last value of a repeated header; the verifier signs exactly
  the names listed in ``SignedHeaders`` (repeated headers joined by ``,``),
  as AWS does.
* botocore's canonical query for a URL-only request is the raw query string as
  sent, split on ``&`` and sorted, not re-encoded. AWS instead decodes and
  re-encodes every name and value (RFC 3986 unreserved characters kept, UTF-8,
  upper-case hex). With ``sigv4_query="aws"`` (default) the server does the
  latter, so a client that signs a non-canonical wire form (say lower-case
  ``%c3%a9`` or a raw ``'``) is rejected as AWS would reject it; the error
  message says when the signature would have matched the raw query.
  ``sigv4_query="botocore"`` restores botocore's raw behaviour. For botocore
  clients the two are identical.

The signing key, access key, region, scope date, service, terminator, and
(when a session token is configured) ``X-Amz-Security-Token`` are checked;
``host`` and ``x-amz-date`` must be signed. Clock skew is not checked unless
``max_clock_skew`` (seconds) is given.

Scripted responses
------------------
``srv.script(*actions)`` queues actions; each request (on any connection)
consumes the next one before normal handling. Keys (combinable):

=====================  =====================================================
``{"delay": s}``        wait ``s`` seconds, then go on (answer normally)
``{"status": N, "json": obj, "headers": {...}}``  answer with that JSON
``{"status": N, "body": b"..."}``                 answer with raw bytes
``{"error": "Code", "status": N, "message": "..."}``  AWS-style error
``{"content_type": "..."}``                       override Content-Type
``{"reset": "before_headers"}``  RST (SO_LINGER 0 + close), nothing sent
``{"reset": "mid_body"}``        headers (full Content-Length) + half the
                                 body, then RST
``{"truncate": True}``           same as mid_body but a clean close (FIN)
``{"stall": s}``                 send nothing for ``s`` seconds, then close;
                                 with ``"after": "headers"`` or ``"half"``,
                                 stall after sending the headers / half body
``{"gzip": True}``               gzip the body, ``Content-Encoding: gzip``;
                                 ``"if-accepted"``: only when the request's
                                 Accept-Encoding lists gzip (or ``*``), as a
                                 compressing server or proxy does
``{"chunked": True}``            ``Transfer-Encoding: chunked`` (``chunk_size``
                                 bytes per chunk, default 4096)
``{"close": True}``              ``Connection: close`` and close afterwards
``{"pass": True}``               answer normally (placeholder)
=====================  =====================================================

``"headers"`` is a dict (added to, or replacing, the default extra headers)
or a list of ``(name, value)`` pairs, sent in that order after the default
ones, so a header can be repeated; values are sent as given (trailing spaces,
or an obs-fold ``"a\\r\\n b"``, reach the client unchanged).

A status/json/body action answers regardless of the signature check (which is
still performed and recorded).

Deterministic responses
-----------------------
With ``deterministic=True`` the same request always gets a byte-identical
response, so two clients' pages can be compared whole, ResponseMetadata
included: the ``Date`` header is fixed (``DETERMINISTIC_DATE``) and the
request id, ``x-amz-apigw-id`` and trace id are derived from a SHA-256 of
``(seed, method, path, canonical query)`` instead of a request counter. The
query is taken in its SigV4 canonical form (each name and value decoded,
re-encoded, sorted), so the same request sent with its parameters in another
order, or encoded differently, gets the same ids; a client's exact wire form
is still in ``srv.requests[i]["path"]``.
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime as _dt
import email.utils
import gzip as _gzip
import hashlib
import hmac
import json
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
from urllib.parse import quote, unquote_to_bytes, urlsplit

__all__ = [
    "ListJobsServer",
    "make_jobs",
    "public_job",
    "HIDDEN_FIELDS",
    "STATUSES",
    "TARGET_SELECTIONS",
    "FILTER_PARAMS",
    "DETERMINISTIC_DATE",
]

HIDDEN_FIELDS = ("thingGroupName", "namespaceId")
STATUSES = ("IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS", "SCHEDULED")
TARGET_SELECTIONS = ("CONTINUOUS", "SNAPSHOT")
# query parameter -> job field it filters on
FILTER_PARAMS = ("status", "targetSelection", "thingGroupName", "thingGroupId", "namespaceId")
ACCOUNT = "123456789012"
# deterministic=True: the fixed Date header (and its epoch, used in trace ids)
DETERMINISTIC_EPOCH = 1700000000
DETERMINISTIC_DATE = email.utils.formatdate(DETERMINISTIC_EPOCH, usegmt=True)
MAX_PAGE = 250

_MAX_HEAD = 64 * 1024
_MAX_BODY = 1024 * 1024

_REASONS = {
    200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 413: "Payload Too Large",
    429: "Too Many Requests", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------

# (thingGroupName, thingGroupId). Names use ':' (allowed by AWS, must be
# percent-encoded in a query) and mixed case.
_THING_GROUPS = (
    ("fleet:eu-west-1:sensors", "7f3c2a10-4b5e-4c1d-9e8f-0a1b2c3d4e5f"),
    ("fleet:us-east-1:gateways", "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"),
    ("Factory_A-line1", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
    ("Factory_A-line2", "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"),
    ("Factory_B", "c3d4e5f6-a7b8-4c9d-8e1f-2a3b4c5d6e7f"),
    ("retail-kiosks", "d4e5f6a7-b8c9-4d0e-9f2a-3b4c5d6e7f80"),
    ("retail-kiosks_beta", "e5f6a7b8-c9d0-4e1f-8a3b-4c5d6e7f8091"),
    ("vehicles:trucks", "f6a7b8c9-d0e1-4f2a-9b4c-5d6e7f8091a2"),
    ("vehicles:vans", "07b8c9d0-e1f2-4a3b-8c5d-6e7f8091a2b3"),
    ("HVAC", "18c9d0e1-f2a3-4b4c-9d6e-7f8091a2b3c4"),
    ("canary_group-01", "29d0e1f2-a3b4-4c5d-8e7f-8091a2b3c4d5"),
    ("lab", "3ae1f2a3-b4c5-4d6e-9f80-91a2b3c4d5e6"),
)
_NAMESPACES = ("AWS", "customer_ns-1", "ota-v2")
_ID_WORDS = ("ota", "firmware", "Config", "reboot", "rotate_cert", "DeviceDefender",
             "log-upload", "agent", "patch", "canary", "rollout", "Hotfix")

# Fixed instants close to DST transitions (UTC epoch seconds), included when
# n >= 64 so clients converting to local time hit ambiguous / missing hours.
_DST_EDGES = (
    1636263000.5,    # 2021-11-07 05:30:00.5 UTC = 01:30 EDT (New York ambiguous hour)
    1636266600,      # 2021-11-07 06:30 UTC = 01:30 EST (second pass)
    1667093400.25,   # 2022-10-30 01:30:00.25 UTC = 02:30 CEST->CET ambiguous in Berlin
    1647138600.999,  # 2022-03-13 02:30 UTC
    1647156600.001,  # 2022-03-13 07:30 UTC, just after New York spring-forward
    1679792400,      # 2023-03-26 01:00:00 UTC, Europe spring-forward instant
    1698541200.0,    # 2023-10-29 01:00:00 UTC, Europe fall-back instant (float .0)
    1699163999.999,  # 2023-11-05 05:59:59.999 UTC, one ms before New York fall-back
)


def _ts(rng, value):
    """Epoch seconds as AWS sends them: mostly a float with <= 3 decimals, some ints."""
    r = rng.random()
    if r < 0.12:
        return int(value)
    return round(int(value) + rng.randint(1, 999) / 1000.0, 3)


def make_jobs(n=1000, seed=0):
    """Return ``n`` deterministic job summaries in ListJobs wire form, newest first.

    Each job is a JSON-ready dict with the wire fields ``jobArn``, ``jobId``,
    ``thingGroupId`` (missing on ~10%), ``targetSelection``, ``status``,
    ``createdAt``, ``lastUpdatedAt``, ``completedAt`` (COMPLETED/CANCELED only),
    ``isConcurrent`` (missing on ~20%), plus the hidden, filter-only fields
    ``thingGroupName`` (iff ``thingGroupId``) and ``namespaceId`` (on ~30%),
    which the server never sends (see ``public_job``). Timestamps are epoch
    seconds (floats with up to 3 decimals, ~12% ints) spread from 2019 to
    mid-2024 so DST changes are crossed; for n >= 64 a few sit exactly on DST
    edges. The same (n, seed) always gives the same list.
    """
    rng = random.Random(f"iotpager-jobs/{seed}")
    start = 1546300800  # 2019-01-01T00:00:00Z
    end = 1719792000  # 2024-07-01T00:00:00Z
    created = [rng.uniform(start, end) for _ in range(n)]
    if n >= 64:
        for i, edge in enumerate(_DST_EDGES):
            created[i * (n // len(_DST_EDGES))] = edge
    created.sort(reverse=True)

    jobs = []
    used_ids = set()
    for i, c in enumerate(created):
        word = _ID_WORDS[rng.randrange(len(_ID_WORDS))]
        suffix = "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                         for _ in range(6))
        sep = rng.choice("-_")
        job_id = f"{word}{sep}{i:06d}{sep}{suffix}"
        while job_id in used_ids:  # cannot happen (index is unique), kept as a guard
            job_id += "x"
        used_ids.add(job_id)

        if isinstance(c, float) and c in _DST_EDGES:
            created_at = c
        elif c in _DST_EDGES:
            created_at = int(c)
        else:
            created_at = _ts(rng, c)

        status = rng.choices(STATUSES, weights=(25, 15, 40, 5, 15))[0]
        job = {
            "jobArn": f"arn:aws:iot:us-east-1:{ACCOUNT}:job/{job_id}",
            "jobId": job_id,
        }
        group = None
        if rng.random() < 0.9:
            group = _THING_GROUPS[rng.randrange(len(_THING_GROUPS))]
            job["thingGroupId"] = group[1]
        job["targetSelection"] = "CONTINUOUS" if rng.random() < 0.4 else "SNAPSHOT"
        job["status"] = status
        job["createdAt"] = created_at
        updated = float(created_at) + rng.uniform(0, 30 * 86400)
        completed = None
        if status in ("COMPLETED", "CANCELED"):
            completed = float(created_at) + rng.uniform(1, 20 * 86400)
            updated = max(updated, completed)
        job["lastUpdatedAt"] = _ts(rng, updated)
        if completed is not None:
            value = _ts(rng, completed)
            # keep completedAt <= lastUpdatedAt after rounding
            job["completedAt"] = value if value <= job["lastUpdatedAt"] else job["lastUpdatedAt"]
        if rng.random() < 0.8:
            job["isConcurrent"] = rng.random() < 0.3
        if group is not None:
            job["thingGroupName"] = group[0]
        if rng.random() < 0.3:
            job["namespaceId"] = _NAMESPACES[rng.randrange(len(_NAMESPACES))]
        jobs.append(job)
    return jobs


def public_job(job):
    """The job as sent on the wire (hidden filter-only fields removed)."""
    return {k: v for k, v in job.items() if k not in HIDDEN_FIELDS}


# --------------------------------------------------------------------------
# SigV4 verification (botocore)
# --------------------------------------------------------------------------

class SignatureError(Exception):
    pass


_verifier_cls = None


def _make_verifier_cls():
    global _verifier_cls
    if _verifier_cls is None:
        from botocore.auth import SigV4Auth

        class _Verifier(SigV4Auth):
            """SigV4Auth that signs exactly the given headers and a given canonical query."""

            def __init__(self, credentials, service, region, headers, cq):
                super().__init__(credentials, service, region)
                self._hdrs = headers
                self._cq = cq

            def headers_to_sign(self, request):
                return self._hdrs

            def canonical_query_string(self, request):
                return self._cq

        _verifier_cls = _Verifier
    return _verifier_cls


def _aws_canonical_query(query):
    """Canonical query the AWS way: decode then re-encode each name and value."""
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        k, _, v = part.partition("=")
        pairs.append((quote(unquote_to_bytes(k), safe="-_.~"), quote(unquote_to_bytes(v), safe="-_.~")))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _raw_canonical_query(query):
    """botocore's SigV4Auth._canonical_query_string_url: raw pairs, sorted."""
    if not query:
        return ""
    pairs = [tuple(p.partition("=")[::2]) for p in query.split("&")]
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


_AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+(.*)$", re.S)


def _verify_sigv4(creds, region, endpoint_url, method, target, headers, hdict, body,
                  query_mode, max_skew):
    """Raise SignatureError with a message saying what differed; return None if OK."""
    from botocore.awsrequest import AWSRequest, HTTPHeaders
    from botocore.credentials import Credentials

    access_key, secret_key, token = creds
    auth = hdict.get("authorization")
    if not auth:
        raise SignatureError("Missing Authentication Token: no Authorization header")
    m = _AUTH_RE.match(auth.strip())
    if not m:
        raise SignatureError(f"Authorization header is not AWS4-HMAC-SHA256: {auth[:60]!r}")
    fields = {}
    for item in m.group(1).split(","):
        k, sep, v = item.strip().partition("=")
        if not sep:
            raise SignatureError(f"Authorization header component {item.strip()!r} is not key=value")
        fields[k] = v
    for k in ("Credential", "SignedHeaders", "Signature"):
        if k not in fields:
            raise SignatureError(f"Authorization header has no {k}=")
    scope = fields["Credential"].split("/")
    if len(scope) != 5:
        raise SignatureError(f"Credential {fields['Credential']!r} is not AK/DATE/REGION/SERVICE/aws4_request")
    ak, sdate, sregion, sservice, sterm = scope
    if ak != access_key:
        raise SignatureError(f"The security token included in the request is invalid: "
                             f"unknown access key {ak!r} (expected {access_key!r})")
    amz_date = hdict.get("x-amz-date")
    if not amz_date:
        raise SignatureError("No X-Amz-Date header (a Date header alone is not accepted here)")
    if not re.fullmatch(r"\d{8}T\d{6}Z", amz_date):
        raise SignatureError(f"X-Amz-Date {amz_date!r} is not YYYYMMDDTHHMMSSZ")
    if sdate != amz_date[:8]:
        raise SignatureError(f"Credential scope date {sdate!r} differs from X-Amz-Date's date {amz_date[:8]!r}")
    if sregion != region:
        raise SignatureError(f"Credential should be scoped to a valid region, not {sregion!r} (expected {region!r})")
    if sservice != "iot":
        raise SignatureError(f"Credential should be scoped to correct service: 'iot', not {sservice!r}")
    if sterm != "aws4_request":
        raise SignatureError(f"Credential scope must end with 'aws4_request', not {sterm!r}")
    signed = fields["SignedHeaders"].split(";")
    if signed != sorted(signed) or any(s != s.lower() or not s for s in signed):
        raise SignatureError(f"SignedHeaders {fields['SignedHeaders']!r} must be lower-case and sorted")
    for need in ("host", "x-amz-date"):
        if need not in signed:
            raise SignatureError(f"'{need}' must be a signed header (SignedHeaders={fields['SignedHeaders']})")
    sent_token = hdict.get("x-amz-security-token")
    if token:
        if sent_token is None:
            raise SignatureError("No X-Amz-Security-Token header, but the credentials have a session token")
        if sent_token != token:
            raise SignatureError("The security token included in the request is invalid: "
                                 "X-Amz-Security-Token differs from the configured session token")
    elif sent_token is not None:
        raise SignatureError("The security token included in the request is invalid: "
                             "X-Amz-Security-Token sent but the credentials have no session token")
    if max_skew is not None:
        t = _dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=_dt.timezone.utc).timestamp()
        if abs(time.time() - t) > max_skew:
            raise SignatureError(f"Signature expired: {amz_date} is outside the allowed clock skew "
                                 f"of {max_skew} s")

    sign_headers = HTTPHeaders()
    present = set()
    for name, value in headers:
        if name in signed:
            sign_headers[name] = value  # HTTPHeaders keeps repeats; get_all joins them
            present.add(name)
    missing = [s for s in signed if s not in present]
    if missing:
        raise SignatureError(f"SignedHeaders names headers that were not sent: {missing}")

    url = endpoint_url + target
    query = urlsplit(url).query
    raw_cq = _raw_canonical_query(query)
    cq = raw_cq if query_mode == "botocore" else _aws_canonical_query(query)

    request = AWSRequest(method=method, url=url,
                         headers={n: hdict[n] for n in signed},
                         data=body or None)
    request.context["timestamp"] = amz_date
    verifier_cls = _make_verifier_cls()
    credentials = Credentials(access_key, secret_key, token)

    def compute(canonical_query):
        v = verifier_cls(credentials, "iot", region, sign_headers, canonical_query)
        creq = v.canonical_request(request)
        sts = v.string_to_sign(request, creq)
        return v.signature(sts, request), creq, sts

    expected, creq, sts = compute(cq)
    got = fields["Signature"]
    if hmac.compare_digest(expected, got):
        return
    hint = ""
    if cq != raw_cq and hmac.compare_digest(compute(raw_cq)[0], got):
        hint = (" The signature matches the query string as sent on the wire, which is not in"
                " SigV4 canonical form (each name and value must be percent-encoded as UTF-8"
                " with upper-case hex, only A-Za-z0-9-_.~ left as is).")
    raise SignatureError(
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method." + hint +
        f"\n\nThe Canonical String for this request should have been\n'{creq}'"
        f"\n\nThe String-to-Sign should have been\n'{sts}'\n")


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

class _BadRequest(Exception):
    def __init__(self, message, code="InvalidRequestException", status=400):
        super().__init__(message)
        self.code = code
        self.status = status


def _normalize_creds(creds):
    if creds is None:
        return None
    if hasattr(creds, "access_key"):  # botocore Credentials / ReadOnlyCredentials
        return (creds.access_key, creds.secret_key, getattr(creds, "token", None) or None)
    creds = tuple(creds)
    if len(creds) == 2:
        creds = creds + (None,)
    if len(creds) != 3:
        raise ValueError("credentials must be (access_key, secret_key, session_token_or_None)")
    return (creds[0], creds[1], creds[2] or None)


class ListJobsServer:
    """Local AWS IoT ListJobs endpoint. See the module docstring.

    Attributes of interest: ``endpoint_url``, ``port``, ``jobs`` (full dicts,
    hidden fields included, in serving order), ``requests``,
    ``connections_accepted``, ``credentials`` (settable at runtime; a tuple
    ``(ak, sk, token_or_None)``, a botocore Credentials, or None to stop
    verifying), ``latency`` (settable), ``stats`` (requests, bytes_sent,
    handler_cpu_s, cache_hits; handler CPU excludes latency/delay sleeps).

    ``requests`` is a list (appended under a lock) of dicts with keys:
    ``n`` (request number on this server, from 1), ``method``, ``path`` (the
    raw request target exactly as received, query included), ``query`` (the
    decoded query dict; None if it could not be decoded), ``headers``
    (lower-cased names; repeated headers joined with ","), ``signature_ok``
    (True/False, None when not verifying), ``signature_error`` (message or
    None), ``connection`` (connection id, 1 = first accepted), ``action`` (the
    scripted action consumed, or None), ``time`` (epoch seconds).
    Pass ``record_requests=False`` (CLI: ``--no-record``) for long benchmarks.

    ``deterministic=True``: a fixed Date header and request/trace ids derived
    from the request instead of a counter (see the module docstring).
    """

    def __init__(self, jobs=None, *, n_jobs=1000, seed=0, credentials=None, region="us-east-1",
                 host="127.0.0.1", port=0, ensure_ascii=False, latency=0.0, default_page_size=50,
                 record_requests=True, sigv4_query="aws", max_clock_skew=None,
                 deterministic=False):
        if sigv4_query not in ("aws", "botocore"):
            raise ValueError("sigv4_query must be 'aws' or 'botocore'")
        if not 1 <= int(default_page_size) <= MAX_PAGE:
            raise ValueError("default_page_size must be in 1..250")
        self.jobs = list(jobs) if jobs is not None else make_jobs(n_jobs, seed)
        self.seed = seed
        self._creds = _normalize_creds(credentials)
        self.region = region
        self.host = host
        self._want_port = port
        self.ensure_ascii = bool(ensure_ascii)
        self.latency = float(latency)
        self.default_page_size = int(default_page_size)
        self.record_requests = record_requests
        self.sigv4_query = sigv4_query
        self.max_clock_skew = max_clock_skew
        self.deterministic = bool(deterministic)

        self.requests = []
        self.connections_accepted = 0
        self.stats = {"requests": 0, "bytes_sent": 0, "handler_cpu_s": 0.0, "cache_hits": 0}

        self._lock = threading.Lock()
        self._script = collections.deque()
        self._stopping = threading.Event()
        self._listener = None
        self._accept_thread = None
        self._conns = {}  # conn id -> (socket, thread)
        self._req_counter = 0
        self._conn_counter = 0
        self.port = None
        self.endpoint_url = None

        # data caches
        self._wire = [None] * len(self.jobs)  # rendered per-job JSON bytes
        self._filtered = {}  # filter key -> list of job indices (None = all)
        self._pages = {}  # (filter key, page size, offset) -> body bytes
        self._page_bytes = 0
        self._tokens = {}  # token -> (filter key, offset)
        self._token_of = {}  # (filter key, offset) -> token
        self._date_cache = (0, "")
        self._instance_tag = hashlib.sha256(f"{seed}/{len(self.jobs)}".encode()).hexdigest()[:6]

    # ---- configuration ------------------------------------------------

    @property
    def credentials(self):
        return self._creds

    @credentials.setter
    def credentials(self, value):
        self._creds = _normalize_creds(value)

    def script(self, *actions):
        """Queue scripted actions, consumed one per request (see module docstring)."""
        for a in actions:
            if not isinstance(a, dict):
                raise TypeError(f"scripted action must be a dict, not {type(a).__name__}")
        with self._lock:
            self._script.extend(dict(a) for a in actions)

    def clear_script(self):
        """Drop the scripted actions not consumed yet; returns how many there were."""
        with self._lock:
            n = len(self._script)
            self._script.clear()
        return n

    @property
    def pending_script(self):
        with self._lock:
            return len(self._script)

    def clear_requests(self):
        with self._lock:
            del self.requests[:]

    def open_connections(self):
        """How many client connections are open right now."""
        with self._lock:
            return len(self._conns)

    def public_jobs(self):
        return [public_job(j) for j in self.jobs]

    # ---- lifecycle ----------------------------------------------------

    def start(self):
        if self._listener is not None:
            return self
        self._stopping.clear()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        ls = socket.socket(family, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((self.host, self._want_port))
        ls.listen(128)
        self._listener = ls
        self.port = ls.getsockname()[1]
        h = self.host
        if h in ("0.0.0.0", ""):
            h = "127.0.0.1"
        elif h == "::":
            h = "::1"
        if ":" in h:
            h = f"[{h}]"
        self.endpoint_url = f"http://{h}:{self.port}"
        self._accept_thread = threading.Thread(target=self._accept_loop, name="ListJobsServer-accept",
                                               daemon=True)
        self._accept_thread.start()
        return self

    def stop(self, timeout=2.0):
        """Stop accepting, shut every connection down and join the threads."""
        self._stopping.set()
        ls, self._listener = self._listener, None
        if ls is not None:
            try:
                ls.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept() on Linux
            except OSError:
                pass
            ls.close()
        with self._lock:
            conns = list(self._conns.values())
        for sock, _ in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        if self._accept_thread is not None:
            self._accept_thread.join(max(0.0, deadline - time.monotonic()))
            self._accept_thread = None
        for _, t in conns:
            if t is not threading.current_thread():
                t.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def serve_forever(self):
        """Start (if needed) and block until stop() or KeyboardInterrupt."""
        self.start()
        try:
            while not self._stopping.wait(3600):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def _accept_loop(self):
        ls = self._listener
        while not self._stopping.is_set():
            try:
                sock, _addr = ls.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                time.sleep(0.01)
                continue
            if self._stopping.is_set():
                sock.close()
                return
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            with self._lock:
                self._conn_counter += 1
                cid = self._conn_counter
                self.connections_accepted += 1
                t = threading.Thread(target=self._serve_conn, args=(sock, cid),
                                     name=f"ListJobsServer-conn-{cid}", daemon=True)
                self._conns[cid] = (sock, t)
            t.start()

    # ---- connection loop ----------------------------------------------

    def _serve_conn(self, sock, cid):
        buf = b""
        try:
            while not self._stopping.is_set():
                # skip stray CRLFs between requests (RFC 9112 2.2)
                buf = buf.lstrip(b"\r\n")
                idx = buf.find(b"\r\n\r\n")
                while idx < 0:
                    if len(buf) > _MAX_HEAD:
                        self._send_simple_error(sock, 431, "RequestHeaderFieldsTooLarge",
                                                "request head too large", close=True)
                        return
                    data = sock.recv(65536)
                    if not data:
                        return
                    buf = (buf + data).lstrip(b"\r\n")
                    idx = buf.find(b"\r\n\r\n")
                if idx > _MAX_HEAD:
                    self._send_simple_error(sock, 431, "RequestHeaderFieldsTooLarge",
                                            "request head too large", close=True)
                    return
                head = buf[:idx]
                buf = buf[idx + 4:]
                try:
                    method, target, version, headers, hdict = self._parse_head(head)
                except _BadRequest as e:
                    self._send_simple_error(sock, 400, "BadRequest", str(e), close=True)
                    return
                # request body
                body = b""
                te = hdict.get("transfer-encoding")
                if te is not None:
                    if te.lower() != "chunked":
                        self._send_simple_error(sock, 400, "BadRequest",
                                                f"unsupported Transfer-Encoding {te!r}", close=True)
                        return
                    body, buf = self._read_chunked(sock, buf)
                    if body is None:
                        return
                else:
                    cl = hdict.get("content-length")
                    if cl:
                        if not cl.isdigit() or int(cl) > _MAX_BODY:
                            self._send_simple_error(sock, 400, "BadRequest",
                                                    f"bad Content-Length {cl!r}", close=True)
                            return
                        n = int(cl)
                        while len(buf) < n:
                            data = sock.recv(65536)
                            if not data:
                                return
                            buf += data
                        body, buf = buf[:n], buf[n:]
                conn_hdr = hdict.get("connection", "").lower()
                if version == "HTTP/1.0":
                    keep = "keep-alive" in conn_hdr
                else:
                    keep = "close" not in conn_hdr
                if not self._handle(sock, cid, method, target, version, headers, hdict, body, keep):
                    return
        except OSError:
            return
        except Exception:  # a bug in here: answer 500 and say why on stderr
            import traceback

            traceback.print_exc()
            self._send_simple_error(sock, 500, "InternalFailure", "ListJobsServer internal error")
            return
        finally:
            with self._lock:
                self._conns.pop(cid, None)
            try:
                sock.close()
            except OSError:
                pass

    @staticmethod
    def _parse_head(head):
        text = head.decode("latin-1")
        lines = text.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(f"malformed request line {lines[0][:100]!r}")
        method, target, version = parts
        headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and headers:  # obsolete line folding
                n, v = headers[-1]
                headers[-1] = (n, v + " " + line.strip())
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequest(f"malformed header line {line[:100]!r}")
            value = value.strip(" \t")
            if not value.isascii():
                try:
                    value = value.encode("latin-1").decode("utf-8")
                except UnicodeDecodeError:
                    pass
            headers.append((name.lower(), value))
        hdict = {}
        for n, v in headers:
            hdict[n] = v if n not in hdict else hdict[n] + "," + v
        return method, target, version, headers, hdict

    @staticmethod
    def _read_chunked(sock, buf):
        body = []
        while True:
            while b"\r\n" not in buf:
                data = sock.recv(65536)
                if not data:
                    return None, b""
                buf += data
            line, buf = buf.split(b"\r\n", 1)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return None, b""
            if size == 0:
                # trailers until empty line
                while True:
                    while b"\r\n" not in buf:
                        data = sock.recv(65536)
                        if not data:
                            return None, b""
                        buf += data
                    line, buf = buf.split(b"\r\n", 1)
                    if not line:
                        return b"".join(body), buf
            while len(buf) < size + 2:
                data = sock.recv(65536)
                if not data:
                    return None, b""
                buf += data
            body.append(buf[:size])
            buf = buf[size + 2:]

    # ---- request handling ---------------------------------------------

    def _handle(self, sock, cid, method, target, version, headers, hdict, body, keep):
        t0 = time.thread_time()
        with self._lock:
            self._req_counter += 1
            n = self._req_counter
            action = self._script.popleft() if self._script else None
        path, _, query = target.partition("?")
        ident = self._ident(n, method, path, query)
        qdict = None
        status, code, message, payload, hit = 200, None, None, None, False
        try:
            qdict = self._decode_query(query)
        except _BadRequest as e:
            status, code, message = e.status, e.code, str(e)

        creds = self._creds
        sig_ok, sig_err = None, None
        if creds is not None:
            try:
                _verify_sigv4(creds, self.region, self.endpoint_url, method, target, headers, hdict,
                              body, self.sigv4_query, self.max_clock_skew)
                sig_ok = True
            except SignatureError as e:
                sig_ok, sig_err = False, str(e)
            except Exception as e:  # never let a verifier bug kill the connection silently
                sig_ok, sig_err = False, f"verifier error: {type(e).__name__}: {e}"

        rec = None
        if self.record_requests:
            rec = {
                "n": n,
                "method": method,
                "path": target,
                "query": qdict,
                "headers": dict(hdict),
                "signature_ok": sig_ok,
                "signature_error": sig_err,
                "connection": cid,
                "action": action,
                "time": time.time(),
            }
            with self._lock:
                self.requests.append(rec)

        if status == 200:
            if sig_ok is False:
                status, code, message = 403, "InvalidSignatureException", sig_err
            else:
                try:
                    payload, hit = self._route(method, path, query, qdict, hdict, body, rec)
                except _BadRequest as e:
                    status, code, message = e.status, e.code, str(e)
        cpu = time.thread_time() - t0

        latency = self.latency
        if latency > 0 and self._stopping.wait(latency):
            return False
        if action:
            with self._lock:
                self.stats["requests"] += 1
                self.stats["handler_cpu_s"] += cpu
            return self._run_action(sock, ident, action, status, code, message, payload, keep,
                                    request_headers=hdict)
        t1 = time.thread_time()
        if payload is None:
            payload = json.dumps({"message": message}).encode()
            extra = {"x-amzn-ErrorType": code}
        else:
            extra = None
        data = self._head(ident, status, len(payload), extra, keep) + payload
        # counters are updated before the answer leaves, so a client that has its
        # answer sees them; only the CPU of sendall is added afterwards
        with self._lock:
            st = self.stats
            st["requests"] += 1
            st["bytes_sent"] += len(data)
            if hit:
                st["cache_hits"] += 1
        sock.sendall(data)
        cpu += time.thread_time() - t1
        with self._lock:
            self.stats["handler_cpu_s"] += cpu
        return keep

    def _route(self, method, path, query, qdict, hdict, body, rec):
        """The answer to a signed, decodable request: (JSON body bytes, cache hit),
        or raise _BadRequest. ``rec`` is the request's log entry (None when not
        recording). Subclasses (ModelServer) serve other operations here."""
        if path != "/jobs" or method != "GET":
            raise _BadRequest(f"No operation for {method} {path}", "UnknownOperationException", 404)
        return self._page(qdict)

    @staticmethod
    def _decode_query(query):
        out = {}
        if not query:
            return out
        for part in query.split("&"):
            if not part:
                continue
            k, _, v = part.partition("=")
            try:
                k = unquote_to_bytes(k).decode("utf-8")
                v = unquote_to_bytes(v).decode("utf-8")
            except UnicodeDecodeError:
                raise _BadRequest(f"query parameter {part[:80]!r} is not valid UTF-8 after percent-decoding")
            out[k] = v
        return out

    def _filter_key(self, q):
        key = []
        for p in FILTER_PARAMS:
            if p in q:
                v = q[p]
                if p == "status" and v not in STATUSES:
                    raise _BadRequest(f"1 validation error detected: Value '{v}' at 'status' failed to "
                                      f"satisfy constraint: Member must satisfy enum value set: "
                                      f"[{', '.join(STATUSES)}]")
                if p == "targetSelection" and v not in TARGET_SELECTIONS:
                    raise _BadRequest(f"1 validation error detected: Value '{v}' at 'targetSelection' "
                                      f"failed to satisfy constraint: Member must satisfy enum value set: "
                                      f"[{', '.join(TARGET_SELECTIONS)}]")
                key.append((p, v))
        return tuple(key)

    def _indices(self, fkey):
        idx = self._filtered.get(fkey)
        if idx is None and fkey not in self._filtered:
            if not fkey:
                idx = None  # all jobs
            else:
                idx = [i for i, j in enumerate(self.jobs) if all(j.get(p) == v for p, v in fkey)]
            self._filtered[fkey] = idx
        return idx

    def token_for(self, fkey, offset):
        """The nextToken for (filter key, offset); deterministic."""
        k = (fkey, offset)
        tok = self._token_of.get(k)
        if tok is None:
            h = hashlib.sha256(repr((self._instance_tag, fkey, offset)).encode()).digest()
            b64 = base64.b64encode(h[:9]).decode()  # 12 chars of base64 alphabet
            tok = f"{b64}+pg/{offset}= é✓\U0001F680%&{b64[:4]}=="
            with self._lock:
                self._token_of[k] = tok
                self._tokens[tok] = k
        return tok

    def _page(self, q):
        fkey = self._filter_key(q)
        ms = q.get("maxResults")
        if ms is None:
            size = self.default_page_size
        else:
            if not (ms.isascii() and ms.isdigit()) or not 1 <= int(ms) <= MAX_PAGE:
                raise _BadRequest(f"1 validation error detected: Value '{ms}' at 'maxResults' failed to "
                                  f"satisfy constraint: Member must have value between 1 and {MAX_PAGE}")
            size = int(ms)
        tok = q.get("nextToken")
        if tok is None:
            offset = 0
        else:
            hit = self._tokens.get(tok)
            if hit is None:
                raise _BadRequest("The specified nextToken is not valid.")
            if hit[0] != fkey:
                raise _BadRequest("The nextToken does not belong to this request's filters.")
            offset = hit[1]
        ck = (fkey, size, offset)
        body = self._pages.get(ck)
        if body is not None:
            return body, True
        idx = self._indices(fkey)
        total = len(self.jobs) if idx is None else len(idx)
        end = min(offset + size, total)
        sel = range(offset, end) if idx is None else idx[offset:end]
        wire = self._wire
        parts = []
        for i in sel:
            w = wire[i]
            if w is None:
                w = wire[i] = json.dumps(public_job(self.jobs[i]), separators=(",", ":"),
                                         ensure_ascii=self.ensure_ascii).encode("utf-8")
            parts.append(w)
        out = b'{"jobs":[' + b",".join(parts) + b"]"
        if end < total:
            out += b',"nextToken":' + json.dumps(self.token_for(fkey, end),
                                                   ensure_ascii=self.ensure_ascii).encode("utf-8")
        out += b"}"
        with self._lock:
            if self._page_bytes > 512 * 1024 * 1024:
                self._pages.clear()
                self._page_bytes = 0
            self._pages[ck] = out
            self._page_bytes += len(out)
        return out, False

    # ---- response writing ---------------------------------------------

    def _ident(self, n, method, path, query):
        """What the response ids are made from: the request number, or with
        deterministic=True a (request id, apigw id, trace id) triple derived
        from the request itself."""
        if not self.deterministic:
            return n
        key = "\n".join((str(self.seed), method, path, _aws_canonical_query(query)))
        h = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
        rid = f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"
        apigw = base64.b64encode(bytes.fromhex(h[32:52])).decode()[:14] + "="
        trace = f"Root=1-{DETERMINISTIC_EPOCH:08x}-{h[40:64]}"
        return (rid, apigw, trace)

    def response_ids(self, target, method="GET"):
        """deterministic=True only: the (x-amzn-RequestId, x-amz-apigw-id,
        X-Amzn-Trace-Id) values this server answers ``method target`` with."""
        if not self.deterministic:
            raise ValueError("response ids are only predictable with deterministic=True")
        path, _, query = target.partition("?")
        return self._ident(0, method, path, query)

    def _date(self):
        if self.deterministic:
            return DETERMINISTIC_DATE
        now = int(time.time())
        c = self._date_cache
        if c[0] != now:
            c = (now, email.utils.formatdate(now, usegmt=True))
            self._date_cache = c
        return c[1]

    def _head(self, n, status, length, extra=None, keep=True, content_type="application/json",
              chunked=False):
        """The response head. n: the request number, or an _ident() triple."""
        date = self._date()
        if isinstance(n, tuple):
            rid, apigw, trace = n
        else:
            rid = (f"{self.seed & 0xffffffff:08x}-{(n >> 32) & 0xffff:04x}-4{(n >> 16) & 0xfff:03x}"
                   f"-8{(n >> 4) & 0xfff:03x}-{n:012x}")
            apigw = base64.b64encode(n.to_bytes(11, "big")).decode()[:14] + "="
            epoch = DETERMINISTIC_EPOCH if self.deterministic else self._date_cache[0]
            trace = f"Root=1-{epoch:08x}-{n:024x}"
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            f"Date: {date}",
            f"Content-Type: {content_type}",
            "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}",
            f"x-amzn-RequestId: {rid}",
            f"x-amz-apigw-id: {apigw}",
            f"X-Amzn-Trace-Id: {trace}",
            "Connection: keep-alive" if keep else "Connection: close",
        ]
        if extra:
            for k, v in (extra.items() if isinstance(extra, dict) else extra):
                lines.append(f"{k}: {v}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def _send(self, sock, n, status, body, extra, keep):
        head = self._head(n, status, len(body), extra, keep)
        sock.sendall(head + body)
        return len(head) + len(body)

    def _send_simple_error(self, sock, status, code, message, close=True):
        with self._lock:
            self._req_counter += 1
            n = self._req_counter
        body = json.dumps({"message": message}).encode()
        try:
            self._send(sock, n, status, body, {"x-amzn-ErrorType": code}, not close)
        except OSError:
            pass

    @staticmethod
    def _rst(sock):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        sock.close()

    def _run_action(self, sock, n, a, status, code, message, payload, keep, request_headers=None):
        """Carry out one scripted action. Returns whether to keep the connection."""
        delay = a.get("delay")
        if delay and self._stopping.wait(float(delay)):
            return False
        reset = a.get("reset")
        if reset == "before_headers":
            self._rst(sock)
            return False
        if a.get("close"):
            keep = False
        stall = a.get("stall")
        if stall is not None and a.get("after") not in ("headers", "half"):
            self._stopping.wait(float(stall))
            return False

        extra = {}
        ctype = "application/json"
        if "body" in a or "json" in a or "error" in a or "status" in a:
            status = int(a.get("status", 200))
            extra = {}
            if "body" in a:
                body = a["body"]
                if isinstance(body, str):
                    body = body.encode("utf-8")
                if body.lstrip()[:1] == b"<":
                    ctype = "text/html"
            elif "json" in a:
                body = json.dumps(a["json"], ensure_ascii=self.ensure_ascii).encode("utf-8")
            elif "error" in a:
                body = json.dumps({"message": a.get("message", a["error"])}).encode("utf-8")
                extra["x-amzn-ErrorType"] = a["error"]
            else:  # status only: normal answer with that status
                body = payload if payload is not None else json.dumps({"message": message}).encode()
        else:
            if payload is None:
                body = json.dumps({"message": message}).encode()
                extra["x-amzn-ErrorType"] = code
            else:
                body = payload
        more = a.get("headers") or {}
        if isinstance(more, dict):
            extra.update(more)
        ctype = a.get("content_type", ctype)
        gz = a.get("gzip")
        if gz == "if-accepted":
            accepted = [t.split(";")[0].strip().lower()
                        for t in (request_headers or {}).get("accept-encoding", "").split(",")]
            gz = "gzip" in accepted or "*" in accepted
        if gz:
            body = _gzip.compress(body, compresslevel=6, mtime=0)
            extra["Content-Encoding"] = "gzip"
        if not isinstance(more, dict):  # (name, value) pairs: repeats allowed, order kept
            extra = list(extra.items()) + [(k, v) for k, v in more]

        if reset == "mid_body" or a.get("truncate") or (stall is not None and a.get("after") == "half"):
            head = self._head(n, status, len(body), extra, keep, ctype)
            half = body[: len(body) // 2]
            sock.sendall(head + half)
            if stall is not None:
                self._stopping.wait(float(stall))
                return False
            if reset == "mid_body":
                self._rst(sock)
            else:
                sock.shutdown(socket.SHUT_WR)
            return False
        if stall is not None:  # after headers
            chunked = bool(a.get("chunked"))
            sock.sendall(self._head(n, status, len(body), extra, keep, ctype, chunked))
            self._stopping.wait(float(stall))
            return False
        if a.get("chunked"):
            size = max(1, int(a.get("chunk_size", 4096)))
            out = [self._head(n, status, None, extra, keep, ctype, chunked=True)]
            for i in range(0, len(body), size):
                piece = body[i:i + size]
                out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
            out.append(b"0\r\n\r\n")
            data = b"".join(out)
            sock.sendall(data)
            return keep
        head = self._head(n, status, len(body), extra, keep, ctype)
        sock.sendall(head + body)
        return keep


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m iotpager.testing.server",
                                description="Serve a local AWS IoT ListJobs endpoint until killed. "
                                            "The first stdout line is the endpoint URL.")
    p.add_argument("--jobs", type=int, default=1000, help="number of jobs (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added before every response")
    p.add_argument("--page-size", type=int, default=50, help="default maxResults (1..250)")
    p.add_argument("--ensure-ascii", action="store_true", help="render JSON with \\uXXXX escapes")
    p.add_argument("--access-key", help="verify SigV4 with these credentials")
    p.add_argument("--secret-key")
    p.add_argument("--session-token")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--no-record", action="store_true", help="do not keep a log of requests")
    p.add_argument("--deterministic", action="store_true",
                   help="fixed Date header, request/trace ids derived from the request")
    args = p.parse_args(argv)
    creds = None
    if args.access_key:
        if not args.secret_key:
            p.error("--access-key needs --secret-key")
        creds = (args.access_key, args.secret_key, args.session_token)
    srv = ListJobsServer(n_jobs=args.jobs, seed=args.seed, credentials=creds, region=args.region,
                         host=args.host, port=args.port, ensure_ascii=args.ensure_ascii,
                         latency=args.latency, default_page_size=args.page_size,
                         record_requests=not args.no_record, deterministic=args.deterministic)
    srv.start()
    print(srv.endpoint_url, flush=True)

    def _term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
