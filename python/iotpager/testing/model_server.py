"""A local endpoint serving every paginated operation of botocore's IoT model.

``ModelServer`` is ``ListJobsServer`` (same accept loop, HTTP/1.1 parsing,
keep-alive, SigV4 verification, request log, scripted actions,
``deterministic=True``) with the routing and the data taken from botocore's
service model and paginator config instead of being written for ListJobs:

* Routing: the method and the raw path are matched against the ``requestUri``
  template of each paginated operation (``/jobs/{jobId}/things``; a greedy
  ``{key+}`` label may span ``/``). Labels are percent-decoded (UTF-8).
  Other paths and methods give 404 ``UnknownOperationException``.
* Input: every member of the operation's input shape is read from where the
  model puts it: the URI labels, the query string (by its ``locationName``;
  list members from repeated names), the headers (``x-amzn-iot-policy``...)
  or the JSON body (POST operations; the body's member names). Values are
  converted by their shape type (integers, booleans ``true``/``false``,
  timestamps as ISO 8601, epoch seconds or RFC 822) and checked like the
  service does: a missing required member, a value that is not of its type,
  a string not among its enum values, or a limit outside the model's range
  gives 400 ``InvalidRequestException`` (``ValidationException`` style
  message). The decoded input is logged in ``requests[i]["input"]`` (member
  name -> value; timestamps as aware UTC datetimes) with the operation's name
  in ``requests[i]["operation"]``.
* Paging: each operation pages its own items with the token style of its
  paginator config: ``input_token`` / ``output_token`` / ``limit_key`` /
  ``result_key`` (nextToken/maxResults, marker/nextMarker/pageSize, or no
  limit key at all as in ListTagsForResource, where ``default_page_size``
  items are served per page). The input token and limit key are read wherever
  the model places them (the query, or the JSON body for ListAuditFindings
  and the like). When the limit key is absent, ``default_page_size`` items
  are served. The output token is omitted from the last page. Tokens are
  opaque strings with ``+ / = % &``, a space and non-ASCII characters (as
  ListJobsServer's), bound to the operation and to the request's other input
  members: a token from another operation or another filter set gives 400.
* Output: the body has the output shape's members in model order: the result
  key's page of items, the output token, and any non-aggregate key (for
  example ListThingRegistrationTaskReports' ``reportType``, which echoes the
  input member of the same name when there is one, else a fixed generated
  value). Only members that the paginator config names are served.
* Items: ``n_items`` (or ``items_per_operation[name]``) per operation,
  generated from the result key's shape with ``random.Random`` seeded by
  ``(seed, operation)``, so the same arguments always give the same items,
  whatever order operations are first asked for in. Every member of every
  structure is filled with a plausible value of its type (ARNs, ids, names,
  enum values from the model, free text with non-ASCII characters, quotes,
  backslashes and newlines, integers within the model's range, longs beyond
  32 bits, doubles with fractions, integral or in exponent form), timestamps
  as epoch seconds (mostly with up to 3 decimals, some integral, some in
  Java's exponent form ``1.553717345498E9``; ISO 8601 strings for a shape
  whose ``timestampFormat`` says so), maps with a few entries, lists with up
  to 3 elements. Some optional members are omitted, except in an operation's
  first item, which has every member and a non-empty list in every list
  member. Items of one operation are pairwise distinct when the shape allows.
  ``server.items(name)`` returns the items exactly as served (the JSON values
  of the wire form), ``name`` in botocore's (``ListThings``) or boto3's
  (``list_things``) spelling.

Quick use::

    from iotpager.testing import ModelServer

    with ModelServer(n_items=500, seed=0, credentials=("AKID", "SECRET", None)) as srv:
        client = boto3.client("iot", endpoint_url=srv.endpoint_url, ...)
        things = client.get_paginator("list_things").paginate().build_full_result()["things"]
        assert things == srv.items("ListThings")

Command line (serves until killed; the first stdout line is the endpoint URL)::

    python -m iotpager.testing.model_server --items 100000 --page-size 250

Standard library plus botocore; does not need iotpager's C extension.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import email.utils
import hashlib
import json
import random
import re
import signal
import sys
import threading
from urllib.parse import unquote_to_bytes

from .server import ACCOUNT, ListJobsServer, _BadRequest

__all__ = ["ModelServer", "paginated_operations"]

_SERVICE = "iot"

_model_lock = threading.Lock()
_model_cache = {}


def _load(service=_SERVICE):
    """(ServiceModel, paginator configs by operation name), loaded once per process."""
    with _model_lock:
        got = _model_cache.get(service)
        if got is None:
            import botocore.session

            session = botocore.session.get_session()
            model = session.get_service_model(service)
            configs = dict(session.get_paginator_model(service)._paginator_config)
            got = _model_cache[service] = (model, configs)
        return got


def paginated_operations():
    """The names (botocore's spelling, sorted) of every paginated operation of
    botocore's IoT model, as this botocore knows them."""
    return sorted(_load()[1])


def _as_list(v):
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


# --------------------------------------------------------------------------
# Value generation
# --------------------------------------------------------------------------

_WORDS = ("sensor", "gateway", "Factory_A", "line1", "fleet", "ota", "firmware", "Config", "hvac",
          "retail-kiosk", "truck", "van", "canary", "lab", "edge", "meter", "pump", "valve",
          "camera", "Beacon", "thermostat", "rollout", "Hotfix", "agent", "device", "tracker")
_ALNUM = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_TEXTS = (
    "Firmware rollout for the west fleet",
    "Caf\u00e9 kiosk \u2013 d\u00e9j\u00e0 vu \u2713",
    "rocket \U0001F680 telemetry",
    'a "quoted" word, a back\\slash and a /slash/',
    "line one\nline two\ttabbed",
    "\u65e5\u672c\u8a9e\u306e\u8aac\u660e",
    "<tag> & ampersand; 100% sure",
    "control \u0001 char and \u007f DEL",
    "",
    "plain",
)
_ATTR_KEYS = ("color", "model", "serial", "site", "owner", "firmware", "zone", "rack", "batch",
              "Location", "hw_rev", "tier")
# instants in 2019-01-01 .. 2024-07-01
_T0, _T1 = 1546300800, 1719792000


def _kind_from(hint):
    """'thingGroupArn' -> 'thinggroup' (the resource kind an ARN names)."""
    base = re.sub(r"(Arn|ARN|arn)s?$", "", hint or "") or "resource"
    return base.lower()


class _Gen:
    """Plausible wire values (JSON-ready) for botocore shapes."""

    MAX_DEPTH = 8

    def __init__(self, rng, region):
        self.rng = rng
        self.region = region

    def word_id(self):
        rng = self.rng
        return (f"{rng.choice(_WORDS)}{rng.choice('-_')}{rng.randrange(10**5):05d}"
                f"{rng.choice('-_')}{''.join(rng.choice(_ALNUM) for _ in range(5))}")

    def uuid(self):
        h = "%032x" % self.rng.getrandbits(128)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[self.rng.randrange(4)]}{h[17:20]}-{h[20:32]}"

    def string(self, shape, hint):
        rng = self.rng
        enum = shape.enum
        if enum:
            return rng.choice(list(enum))
        h = (hint or "").lower()
        sname = (shape.name or "").lower()
        if h.endswith("arn") or h.endswith("arns") or sname.endswith("arn") or h == "principal" \
                or sname == "principal" or h == "principals" or h == "target" or h == "targets":
            kind = _kind_from(hint) if h.endswith(("arn", "arns")) else "cert"
            return f"arn:aws:iot:{self.region}:{ACCOUNT}:{kind}/{self.word_id()}"
        if h.endswith("id") or h.endswith("ids") or sname.endswith("id"):
            return self.uuid() if rng.random() < 0.5 else self.word_id()
        if "token" in h:
            return base64.b64encode(rng.randbytes(18)).decode()
        if "url" in h or "uri" in h or "link" in h or "endpoint" in h:
            return f"https://{self.word_id().lower()}.example.com/p?a=1&b=%20{rng.randrange(100)}"
        if "version" in h:
            return f"{rng.randrange(5)}.{rng.randrange(20)}.{rng.randrange(100)}"
        if "name" in h or "name" in sname or "key" in h or "type" in h:
            return self.word_id()
        if rng.random() < 0.5:
            return rng.choice(_TEXTS)
        return f"{rng.choice(_TEXTS)} #{rng.randrange(1000)}"

    def integer(self, shape, big=False):
        rng = self.rng
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        if lo is None and hi is None:
            if big and rng.random() < 0.5:
                return rng.randrange(2**32, 2**53)
            return rng.randrange(0, 100000) if rng.random() < 0.9 else rng.choice((0, 1, 2**31 - 1))
        lo = int(lo) if lo is not None else 0
        hi = int(hi) if hi is not None else lo + 100000
        return rng.randint(lo, hi)

    def double(self):
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            return round(rng.uniform(-1000, 100000), rng.choice((1, 2, 3, 6)))
        if r < 0.7:
            return float(rng.randrange(1000))  # 42.0
        if r < 0.8:
            return rng.randrange(1000)  # an integral double sent as 42
        if r < 0.9:
            return _Raw(rng.choice(("1.5E3", "2.5e-7", "1e+2", "-3.25E2", "6.02214076E23")))
        return rng.random()

    def timestamp(self, shape):
        rng = self.rng
        t = rng.uniform(_T0, _T1)
        fmt = shape.serialization.get("timestampFormat")
        if fmt == "iso8601":
            d = _dt.datetime.fromtimestamp(int(t), _dt.timezone.utc)
            if rng.random() < 0.5:
                return d.strftime("%Y-%m-%dT%H:%M:%SZ")
            return d.strftime("%Y-%m-%dT%H:%M:%S") + f".{rng.randrange(1000):03d}Z"
        if fmt == "rfc822":
            return email.utils.formatdate(int(t), usegmt=True)
        r = rng.random()
        if r < 0.12:
            return int(t)
        if r < 0.25:  # Java's Double.toString: 1.553717345498E9
            ms = int(t) * 1000 + rng.randrange(1, 1000)
            digits = str(ms).rstrip("0")
            return _Raw(f"{digits[0]}.{digits[1:] or '0'}E9")
        return round(int(t) + rng.randrange(1, 1000) / 1000.0, 3)

    def value(self, shape, hint, full, depth=0):
        rng = self.rng
        t = shape.type_name
        if t == "structure":
            if getattr(shape, "is_document_type", False):
                return {"doc": [1, "two", None, {"three": 3.0}], "n": rng.randrange(10)}
            return self.structure(shape, full, depth)
        if t == "list":
            lo = 1 if full else 0
            n = 0 if depth >= self.MAX_DEPTH else rng.randint(lo, 3)
            return [self.value(shape.member, hint, full, depth + 1) for _ in range(n)]
        if t == "map":
            n = 0 if depth >= self.MAX_DEPTH else rng.randint(1 if full else 0, 5)
            out = {}
            for _ in range(n):
                if shape.key.enum:
                    k = rng.choice(list(shape.key.enum))
                else:
                    k = rng.choice(_ATTR_KEYS)
                    if rng.random() < 0.3:
                        k += f"_{rng.randrange(100)}"
                out[k] = self.value(shape.value, k, full, depth + 1)
            return out
        if t == "string":
            return self.string(shape, hint)
        if t == "integer":
            return self.integer(shape)
        if t == "long":
            return self.integer(shape, big=True)
        if t in ("double", "float"):
            return self.double()
        if t == "boolean":
            return rng.random() < 0.5
        if t == "timestamp":
            return self.timestamp(shape)
        if t == "blob":
            return base64.b64encode(rng.randbytes(rng.randrange(1, 24))).decode()
        raise TypeError(f"no generator for shape type {t!r} ({shape.name})")

    def structure(self, shape, full, depth):
        rng = self.rng
        members = shape.members
        required = set(shape.required_members)
        if shape.metadata.get("union"):
            names = list(members)
            pick = names[rng.randrange(len(names))]
            m = members[pick]
            return {m.serialization.get("name", pick): self.value(m, pick, full, depth + 1)}
        out = {}
        for name, m in members.items():
            if not full and name not in required and rng.random() < 0.15:
                continue
            if depth >= self.MAX_DEPTH and name not in required:
                continue
            out[m.serialization.get("name", name)] = self.value(m, name, full, depth + 1)
        return out


class _Raw(str):
    """A number whose wire text is given (exponent forms); rendered unquoted."""


def _render(v, ensure_ascii):
    """JSON text of a generated value (``_Raw`` numbers as given)."""
    if isinstance(v, _Raw):
        return str(v)
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=ensure_ascii) + ":" + _render(x, ensure_ascii)
                              for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(_render(x, ensure_ascii) for x in v) + "]"
    return json.dumps(v, ensure_ascii=ensure_ascii)


# --------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------

class _Op:
    """One paginated operation: its route, input reader and paging config."""

    def __init__(self, model, name, config):
        om = model.operation_model(name)
        self.name = name
        self.model = om
        self.method = om.http.get("method", "POST").upper()
        uri = om.http["requestUri"]
        path, _, lit_query = uri.partition("?")
        self.template = path
        # literal query parameters of the template ("/x?versioning") must be present
        self.literal_query = [p.partition("=")[::2] for p in lit_query.split("&") if p]
        labels = []
        pattern = ""
        pos = 0
        for m in re.finditer(r"\{([^}]+)\}", path):
            pattern += re.escape(path[pos:m.start()])
            label = m.group(1)
            if label.endswith("+"):
                labels.append(label[:-1])
                pattern += "(.+)"
            else:
                labels.append(label)
                pattern += "([^/]+)"
            pos = m.end()
        pattern += re.escape(path[pos:])
        self.regex = re.compile(pattern + r"\Z")
        self.labels = labels
        self.literal_len = len(re.sub(r"\{[^}]+\}", "", path))
        self.input_shape = om.input_shape
        self.output_shape = om.output_shape
        self.input_token = _as_list(config.get("input_token"))
        self.output_token = _as_list(config.get("output_token"))
        if len(self.input_token) != 1 or len(self.output_token) != 1:
            raise NotImplementedError(f"{name}: only one input/output token is supported")
        self.input_token = self.input_token[0]
        self.output_token = self.output_token[0]
        self.limit_key = config.get("limit_key")
        self.result_keys = _as_list(config.get("result_key"))
        if len(self.result_keys) != 1 or "." in self.result_keys[0] or "." in self.output_token:
            raise NotImplementedError(f"{name}: only one top-level result key is supported")
        self.result_key = self.result_keys[0]
        self.non_aggregate_keys = _as_list(config.get("non_aggregate_keys"))
        self.served = {self.result_key, self.output_token, *self.non_aggregate_keys}
        members = self.output_shape.members if self.output_shape is not None else {}
        for k in self.served:
            if k not in members:
                raise NotImplementedError(f"{name}: {k!r} is not a top-level output member")
        self.paging_members = {self.input_token}
        if self.limit_key:
            self.paging_members.add(self.limit_key)

    # ---- input ------------------------------------------------------

    def read_input(self, match, pairs, hdict, body):
        """The input members as values (raises _BadRequest)."""
        shape = self.input_shape
        out = {}
        if shape is None:
            return out
        members = shape.members
        labels = dict(zip(self.labels, match.groups()))
        body_obj = None
        payload_member = shape.serialization.get("payload")
        bound_query = set()
        for name, m in members.items():
            loc = m.serialization.get("location")
            if loc == "querystring" and m.type_name != "map":
                bound_query.add(m.serialization.get("name", name))
        for name, m in members.items():
            loc = m.serialization.get("location")
            wire = m.serialization.get("name", name)
            if loc == "uri":
                if wire in labels:
                    out[name] = self._scalar(m, _unquote(labels[wire], name), name)
            elif loc == "querystring":
                if m.type_name == "map":
                    rest = {k: v for k, v in pairs if k not in bound_query}
                    if rest:
                        out[name] = rest
                    continue
                vals = [v for k, v in pairs if k == wire]
                if not vals:
                    continue
                if m.type_name == "list":
                    out[name] = [self._scalar(m.member, v, name) for v in vals]
                else:
                    out[name] = self._scalar(m, vals[-1], name)
            elif loc == "header":
                v = hdict.get(wire.lower())
                if v is not None:
                    out[name] = self._scalar(m, v, name)
            elif loc in ("headers", "statusCode"):
                continue
            else:
                if body_obj is None:
                    body_obj = _json_body(body)
                if payload_member:
                    if name == payload_member:
                        out[name] = body_obj
                    continue
                if wire in body_obj and body_obj[wire] is not None:
                    out[name] = self._body_value(m, body_obj[wire], name)
        for name in shape.required_members:
            if name not in out:
                raise _BadRequest(f"1 validation error detected: Value null at '{name}' failed to "
                                  f"satisfy constraint: Member must not be null")
        return out

    @staticmethod
    def _scalar(m, text, name):
        t = m.type_name
        if t == "string":
            if m.enum and text not in m.enum:
                raise _BadRequest(f"1 validation error detected: Value '{text}' at '{name}' failed to "
                                  f"satisfy constraint: Member must satisfy enum value set: "
                                  f"[{', '.join(m.enum)}]")
            return text
        if t in ("integer", "long"):
            if not re.fullmatch(r"-?\d+", text):
                raise _BadRequest(f"1 validation error detected: Value '{text}' at '{name}' failed to "
                                  f"satisfy constraint: Member must be a number")
            return _check_range(m, int(text), name)
        if t in ("double", "float"):
            try:
                return float(text)
            except ValueError:
                raise _BadRequest(f"Value '{text}' at '{name}' is not a number") from None
        if t == "boolean":
            if text not in ("true", "false"):
                raise _BadRequest(f"Value '{text}' at '{name}' is not a boolean (true or false)")
            return text == "true"
        if t == "timestamp":
            return _parse_time(text, name)
        return text

    @staticmethod
    def _body_value(m, v, name):
        t = m.type_name
        if t == "string" and not isinstance(v, str):
            raise _BadRequest(f"Value at '{name}' must be a string")
        if t == "string" and m.enum and v not in m.enum:
            raise _BadRequest(f"1 validation error detected: Value '{v}' at '{name}' failed to "
                              f"satisfy constraint: Member must satisfy enum value set: "
                              f"[{', '.join(m.enum)}]")
        if t in ("integer", "long"):
            if not isinstance(v, int) or isinstance(v, bool):
                raise _BadRequest(f"Value at '{name}' must be an integer")
            return _check_range(m, v, name)
        if t == "boolean" and not isinstance(v, bool):
            raise _BadRequest(f"Value at '{name}' must be a boolean")
        if t == "timestamp":
            return _parse_time(v, name)
        return v


def _unquote(raw, name):
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise _BadRequest(f"URI label {name!r} is not valid UTF-8 after percent-decoding") from None


def _json_body(body):
    if not body:
        return {}
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _BadRequest("The request body is not valid JSON", "SerializationException") from None
    if not isinstance(obj, dict):
        raise _BadRequest("The request body must be a JSON object", "SerializationException")
    return obj


def _check_range(m, v, name):
    lo, hi = m.metadata.get("min"), m.metadata.get("max")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise _BadRequest(f"1 validation error detected: Value '{v}' at '{name}' failed to satisfy "
                          f"constraint: Member must have value between {lo} and {hi}")
    return v


def _parse_time(v, name):
    utc = _dt.timezone.utc
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _dt.datetime.fromtimestamp(v, utc)
    if isinstance(v, str):
        try:
            return _dt.datetime.fromtimestamp(float(v), utc)
        except ValueError:
            pass
        try:
            d = _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
            return d.astimezone(utc) if d.tzinfo else d.replace(tzinfo=utc)
        except ValueError:
            pass
        try:
            return email.utils.parsedate_to_datetime(v).astimezone(utc)
        except (TypeError, ValueError):
            pass
    raise _BadRequest(f"Value {v!r} at '{name}' is not a timestamp")


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

class ModelServer(ListJobsServer):
    """Local endpoint for every paginated operation of botocore's IoT model.

    See the module docstring. Arguments as ListJobsServer's (``credentials``,
    ``region``, ``host``, ``port``, ``ensure_ascii``, ``latency``,
    ``default_page_size``, ``record_requests``, ``sigv4_query``,
    ``max_clock_skew``, ``deterministic``), plus ``n_items`` (items per
    operation), ``items_per_operation`` (``{name: n}`` overrides, either
    spelling) and ``seed``.

    ``requests[i]`` has ListJobsServer's keys plus ``operation`` (botocore's
    name, or None when no operation matched), ``input`` (the decoded input
    members, or None) and ``body`` (the request body bytes) once the request
    was routed (a request refused for its signature has none of the three).
    """

    def __init__(self, *, n_items=500, seed=0, items_per_operation=None, credentials=None,
                 region="us-east-1", host="127.0.0.1", port=0, ensure_ascii=False, latency=0.0,
                 default_page_size=50, record_requests=True, sigv4_query="aws",
                 max_clock_skew=None, deterministic=False):
        super().__init__([], seed=seed, credentials=credentials, region=region, host=host, port=port,
                         ensure_ascii=ensure_ascii, latency=latency,
                         default_page_size=default_page_size, record_requests=record_requests,
                         sigv4_query=sigv4_query, max_clock_skew=max_clock_skew,
                         deterministic=deterministic)
        if int(n_items) < 0:
            raise ValueError("n_items must be >= 0")
        self.n_items = int(n_items)
        model, configs = _load()
        self.service_model = model
        self._ops = {name: _Op(model, name, cfg) for name, cfg in configs.items()}
        self._routes = sorted(self._ops.values(), key=lambda o: (-o.literal_len, o.name))
        from botocore import xform_name

        self._names = {}
        for name in self._ops:
            self._names[name] = name
            self._names[xform_name(name)] = name
        self._counts = {}
        for k, v in (items_per_operation or {}).items():
            if int(v) < 0:
                raise ValueError(f"items_per_operation[{k!r}] must be >= 0")
            self._counts[self.operation_name(k)] = int(v)
        self._data = {}  # op name -> (items as JSON values, rendered item bytes)
        self._fixed = {}  # (op name, member) -> rendered bytes of a non-aggregate value
        self._data_lock = threading.Lock()
        self._op_tokens = {}  # token -> (op, binding, offset)
        self._op_token_of = {}  # (op, binding, offset) -> token

    # ---- public -------------------------------------------------------

    @property
    def operations(self):
        """Every operation served (botocore's names, sorted)."""
        return sorted(self._ops)

    def operation_name(self, name):
        """botocore's name for ``name`` (``list_things`` or ``ListThings``)."""
        try:
            return self._names[name]
        except KeyError:
            raise ValueError(f"{name!r} is not a paginated operation of the IoT model") from None

    def n_items_for(self, name):
        return self._counts.get(self.operation_name(name), self.n_items)

    def items(self, name):
        """The result-key items ``name`` serves, in order (fresh JSON values)."""
        op = self.operation_name(name)
        return [json.loads(w) for w in self._wire_items(op)]

    def paginator_config(self, name):
        """botocore's paginator config of ``name`` (a copy)."""
        return dict(_load()[1][self.operation_name(name)])

    def example_input(self, name, optional=False):
        """Parameters (boto3 keyword arguments) this server accepts for ``name``:
        every required member, and with ``optional=True`` every other member
        too except the paginator's token and limit key. URI labels have a
        space, ``/``, ``:``, ``+`` and ``é`` in them (so the path encoding
        matters), header values are ASCII, enums take the model's first value,
        timestamps are aware UTC datetimes. The same name always gives the same
        parameters."""
        op = self._ops[self.operation_name(name)]
        shape = op.input_shape
        out = {}
        if shape is None:
            return out
        required = set(shape.required_members)
        for mname, m in shape.members.items():
            if mname in op.paging_members or (mname not in required and not optional):
                continue
            out[mname] = _example_value(m, mname, m.serialization.get("location"))
        return out


    # ---- data -----------------------------------------------------------

    def _wire_items(self, name):
        got = self._data.get(name)
        if got is not None:
            return got
        with self._data_lock:
            got = self._data.get(name)
            if got is None:
                got = self._data[name] = self._generate(name)
        return got

    def _generate(self, name):
        op = self._ops[name]
        n = self._counts.get(name, self.n_items)
        rng = random.Random(f"iotpager-model/{self.seed}/{name}")
        gen = _Gen(rng, self.region)
        list_shape = op.output_shape.members[op.result_key]
        if list_shape.type_name != "list":
            raise NotImplementedError(f"{name}: result key {op.result_key!r} is not a list")
        member = list_shape.member
        out = []
        seen = set()
        for i in range(n):
            for _attempt in range(20):
                w = _render(gen.value(member, op.result_key, full=(i == 0), depth=1),
                            self.ensure_ascii).encode("utf-8")
                if w not in seen:
                    break
            seen.add(w)
            out.append(w)
        return out

    def _fixed_value(self, op, member, inp):
        if member in inp and member in (op.input_shape.members if op.input_shape else {}):
            return _render(_jsonable(inp[member]), self.ensure_ascii).encode("utf-8")
        key = (op.name, member)
        got = self._fixed.get(key)
        if got is None:
            rng = random.Random(f"iotpager-model/{self.seed}/{op.name}/{member}")
            shape = op.output_shape.members[member]
            got = _render(_Gen(rng, self.region).value(shape, member, True, 1),
                          self.ensure_ascii).encode("utf-8")
            with self._data_lock:
                self._fixed[key] = got
        return got

    def op_token_for(self, op, binding, offset):
        """The output token for (operation, binding, offset); deterministic."""
        k = (op, binding, offset)
        tok = self._op_token_of.get(k)
        if tok is None:
            h = hashlib.sha256(repr((self._instance_tag, op, binding, offset)).encode()).digest()
            b64 = base64.b64encode(h[:9]).decode()
            tok = f"{b64}+pg/{offset}= \u00e9\u2713\U0001F680%&{b64[:4]}=="
            with self._lock:
                self._op_token_of[k] = tok
                self._op_tokens[tok] = k
        return tok

    # ---- routing --------------------------------------------------------

    def _match(self, method, path):
        path_only = [o for o in self._routes if o.regex.match(path)]
        for o in path_only:
            if o.method == method:
                return o, o.regex.match(path)
        if path_only:
            raise _BadRequest(f"No operation for {method} {path} (the path is "
                              f"{path_only[0].name}'s, with method {path_only[0].method})",
                              "UnknownOperationException", 404)
        raise _BadRequest(f"No operation for {method} {path}", "UnknownOperationException", 404)

    def _route(self, method, path, query, qdict, hdict, body, rec):
        if rec is not None:
            rec["operation"] = None
            rec["input"] = None
            rec["body"] = body
        op, match = self._match(method, path)
        if rec is not None:
            rec["operation"] = op.name
        pairs = _query_pairs(query)
        for k, v in op.literal_query:
            if not any(pk == k and (not v or pv == v) for pk, pv in pairs):
                raise _BadRequest(f"No operation for {method} {path}: {k!r} missing from the query",
                                  "UnknownOperationException", 404)
        inp = op.read_input(match, pairs, hdict, body)
        if rec is not None:
            rec["input"] = inp
        return self._op_page(op, inp), False

    def _op_page(self, op, inp):
        if op.limit_key and op.limit_key in inp:
            size = inp[op.limit_key]
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise _BadRequest(f"Value '{size}' at '{op.limit_key}' must be a positive integer")
        else:
            size = self.default_page_size
        binding = repr(sorted((k, _jsonable(v)) for k, v in inp.items() if k not in op.paging_members))
        tok = inp.get(op.input_token)
        if tok is None or tok == "":
            offset = 0
        else:
            hit = self._op_tokens.get(tok)
            if hit is None:
                raise _BadRequest(f"The specified {op.input_token} is not valid.")
            if hit[0] != op.name:
                raise _BadRequest(f"The {op.input_token} was issued for {hit[0]}, not {op.name}.")
            if hit[1] != binding:
                raise _BadRequest(f"The {op.input_token} does not belong to this request's parameters.")
            offset = hit[2]
        wire = self._wire_items(op.name)
        end = min(offset + size, len(wire))
        out = []
        for member, m in op.output_shape.members.items():
            if member not in op.served:
                continue
            key = json.dumps(m.serialization.get("name", member), ensure_ascii=self.ensure_ascii)
            if member == op.result_key:
                out.append(key.encode() + b":[" + b",".join(wire[offset:end]) + b"]")
            elif member == op.output_token:
                if end < len(wire):
                    t = self.op_token_for(op.name, binding, end)
                    out.append(key.encode() + b":" + json.dumps(t, ensure_ascii=self.ensure_ascii).encode())
            else:
                out.append(key.encode() + b":" + self._fixed_value(op, member, inp))
        return b"{" + b",".join(out) + b"}"


def _example_value(m, name, location, depth=0):
    t = m.type_name
    if t == "string":
        if m.enum:
            return list(m.enum)[0]
        if location == "uri":
            v = f"{name} x/y:z+\u00e9"
        elif location == "header":
            v = f"arn:aws:iot:us-east-1:{ACCOUNT}:cert/{name}+v=1"
        else:
            v = f"{name}-v \u00e9&=+%"
        lo = m.metadata.get("min")
        return v + "0" * (int(lo) - len(v)) if lo is not None and len(v) < int(lo) else v
    if t in ("integer", "long"):
        lo = m.metadata.get("min")
        return max(int(lo), 2) if lo is not None else 2
    if t in ("double", "float"):
        return 2.5
    if t == "boolean":
        return True
    if t == "timestamp":
        return _dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=_dt.timezone.utc)
    if t == "blob":
        return b"\x00blob"
    if t == "list":
        return [_example_value(m.member, name, None, depth + 1)] if depth < 4 else []
    if t == "map":
        return {"k": _example_value(m.value, name, None, depth + 1)} if depth < 4 else {}
    if t == "structure":
        if depth >= 4:
            return {}
        members = list(m.members.items())
        if m.metadata.get("union"):
            members = members[:1]
        return {k: _example_value(v, k, None, depth + 1) for k, v in members}
    raise TypeError(f"no example for shape type {t!r}")


def _jsonable(v):
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


def _query_pairs(query):
    """The query as (name, value) pairs in order, repeats kept (percent-decoded UTF-8)."""
    out = []
    if not query:
        return out
    for part in query.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        try:
            out.append((unquote_to_bytes(k).decode("utf-8"), unquote_to_bytes(v).decode("utf-8")))
        except UnicodeDecodeError:
            raise _BadRequest(f"query parameter {part[:80]!r} is not valid UTF-8 after "
                              f"percent-decoding") from None
    return out


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m iotpager.testing.model_server",
                                description="Serve every paginated AWS IoT list operation of "
                                            "botocore's model until killed. The first stdout line "
                                            "is the endpoint URL.")
    p.add_argument("--items", type=int, default=500, help="items per operation (default 500)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added before every response")
    p.add_argument("--page-size", type=int, default=50, help="page size when the limit key is absent")
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
    srv = ModelServer(n_items=args.items, seed=args.seed, credentials=creds, region=args.region,
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
