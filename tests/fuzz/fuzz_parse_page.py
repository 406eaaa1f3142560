"""atheris target: ``_core.parse_page`` (the shim and the builder, exactly as
the iterator runs them) on fuzzed response bodies, differentially against
botocore's own RestJSONParser on the same bytes; and ``_model.parse_body``
(the same with an operation's compiled plan, issue 12) for the operations
of PLAN_OPS whose result key the body names (one of them, chosen by the
body's length, when it names none).

Run by tests/fuzz/run.sh (``bash tests/fuzz/run.sh page``), which builds the
extension with clang, ASan+UBSan and libFuzzer edge coverage and preloads
the sanitizer runtime; or, without sanitizers, directly:
    PYTHONPATH=python:tests python tests/fuzz/fuzz_parse_page.py CORPUS -max_total_time=60

For each body:
* iotpager builds a page: botocore must build the same page (compared with
  tests/_compare.canon: types, key order, datetimes with tzinfo and fold);
* iotpager raises InvalidResponseError: allowed (a documented difference:
  botocore loses the jobs or crashes there), with a JSON path and a
  bounded message;
* iotpager raises anything else: botocore must raise the same class (the
  README promises botocore's own exceptions for timestamps and the like);
* never a crash, a sanitizer report, or a SystemError;
* the CLI's JobsText (jobs_text=True, raw timestamps) writes the text
  json.dumps(indent=4) writes for the builder's jobs, or raises as it does.

With a plan (plan_check), stricter, as tests/test_model_parity.py judges:
* iotpager builds a page: the body is JSON, no result key is present with
  a value that is not a list or null, and botocore builds the same page,
  ResponseMetadata (RetryAttempts 0 added) included;
* iotpager raises InvalidResponseError (with this status, request id and
  operation, a path starting "$" and a bounded message): the body is not
  JSON or not an object, or a result key holds neither a list nor null
  (the path is then $.<that key>), or botocore raises and the path is a
  place where botocore's parser fails (a tracing copy of it lists them);
* iotpager raises anything else: botocore raises the same class, and some
  place where botocore's parser fails raises that class with that message.
"""

from __future__ import annotations

import datetime
import json
import os
import sys

import atheris

with atheris.instrument_imports(include=["iotpager"]):
    import iotpager
    from iotpager import _core, _model
    from iotpager._controller import Controller

import boto3
import botocore
import botocore.parsers
from botocore.awsrequest import HeadersDict
from dateutil.tz import tzlocal

from _compare import canon, describe_datetime, first_difference

CLIENT = boto3.session.Session().client(
    "iot", endpoint_url="http://fuzz.invalid", region_name="us-east-1",
    aws_access_key_id="AKIDFUZZ", aws_secret_access_key="secret")
CONTROLLER = Controller(CLIENT, "local")
TZ = tzlocal()
SHAPE = CLIENT.meta.service_model.operation_model("ListJobs").output_shape
REQUEST_ID = "fuzz-request-id"
HEADERS = [("x-amzn-RequestId", REQUEST_ID), ("Content-Type", "application/json")]
KNOWN = os.environ.get("IOTPAGER_FUZZ_KNOWN", "") not in ("", "0")

# the operations parsed with their plans (make_seeds.PLAN_OPS writes their
# bodies): enums, timestamps and booleans (ListJobs); a map of strings
# (ListThings); lists of structures with lists, doubles and integers
# (ListActiveViolations, ListMetricValues); maps inside structures
# (ListAuditFindings); structures in structures (ListThingTypes)
PLAN_OPS = ("ListJobs", "ListThings", "ListActiveViolations", "ListAuditFindings",
            "ListMetricValues", "ListThingTypes")


def _op_info(op):
    model = CLIENT.meta.service_model.operation_model(op)
    cfg = CLIENT.get_paginator(botocore.xform_name(op))._pagination_cfg
    rks = cfg["result_key"]
    rks = [rks] if isinstance(rks, str) else list(rks)
    wires = [model.output_shape.members[k].serialization.get("name", k) for k in rks]
    return model.output_shape, wires


OP_INFO = {op: _op_info(op) for op in PLAN_OPS}


def botocore_page(body):
    parser = botocore.parsers.create_parser("rest-json")
    response = {"status_code": 200, "body": body,
                "headers": {k.lower(): v for k, v in HEADERS}, "context": {}}
    return parser.parse(response, SHAPE)


def strip(page):
    return {k: v for k, v in page.items() if k != "ResponseMetadata"}


def is_json(body):
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def raw_value_fault(body):
    """The body is not JSON, and the first fault is in a number or inside a
    nested object/list: what json_shim.cpp stores as unchecked RAW text
    (crashes/page-missing-comma-accepted, page-malformed-double-accepted)."""
    try:
        json.loads(body)
    except json.JSONDecodeError as e:
        at = e.doc[max(e.pos - 1, 0):e.pos + 1]
        return (any(c in "0123456789.eE+-" for c in at) or b"isConcurrent" in body
                or depth_at(e.doc, e.pos) >= 4)   # inside a job member's value
    except ValueError:
        return False
    return False


def depth_at(doc, pos):
    """Nesting depth at doc[pos], counting brackets outside strings."""
    depth, in_str, esc = 0, False, False
    for c in doc[:pos]:
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
    return depth


def known_page_difference(body):
    """enum_id(): an escaped NUL after an enum value's text
    (crashes/json-enum-id-nul-global-overflow); unchecked RAW values."""
    return b"\\u0000" in body or raw_value_fault(body)


def known_exception(body, mine):
    """Invalid JSON inside a known member (a malformed number, a raw control
    byte in an object) is left to json.loads in the builder; an earlier
    member's timestamp error (botocore's ValueError/RuntimeError) is raised
    first (crashes/page-invalid-json-masked-by-timestamp-error)."""
    return not is_json(body)


def max_depth(body):
    """The deepest nesting of brackets outside strings."""
    depth = deepest = 0
    in_str = esc = False
    for c in body:
        if in_str:
            if esc:
                esc = False
            elif c == 0x5C:   # backslash
                esc = True
            elif c == 0x22:
                in_str = False
        elif c == 0x22:
            in_str = True
        elif c in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif c in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _no_default(obj):
    raise TypeError(f"not JSON: {type(obj).__name__}")


def jobs_text_check(body):
    """The CLI's path (jsonout.c): with raw timestamps, the JobsText of the
    body's jobs is the text json.dumps(indent=4) writes for the builder's
    jobs list, or both ways raise the same exception."""
    def build(jobs_text):
        try:
            return _core.parse_page(body, CONTROLLER, _core.TZ_RAW, None, 200, HEADERS,
                                    jobs_text=jobs_text), None
        except (SystemError, MemoryError):
            raise
        except Exception as e:   # compared below
            return None, (type(e), str(e))

    plain, perr = build(False)
    text, terr = build(True)
    if perr != terr:
        raise AssertionError(f"jobs_text: builder raised {perr}, JobsText {terr}")
    if plain is None or "jobs" not in plain:
        return
    want = json.dumps({"jobs": plain["jobs"]}, indent=4, ensure_ascii=False,
                      default=_no_default)
    got = _core.awscli_json({"jobs": text["jobs"]}, _no_default)
    if got != want:
        raise AssertionError(f"jobs_text: the text differs from json.dumps:\n{got!r}\n{want!r}")


# ---------------------------------------------------------------- with a plan

class TracingParser(botocore.parsers.RestJSONParser):
    """botocore's RestJSONParser with a JSON path kept: every value its parse
    fails on is recorded as (path, in_map, exception), and parsing goes on
    (the structure/list/map walks as botocore 1.x writes them; a copy of
    tests/test_model_parity.py's, which checks it against botocore)."""

    def __init__(self, base):
        super().__init__(timestamp_parser=base._timestamp_parser, blob_parser=base._blob_parser)
        self.segments = ["$"]
        self.failures = []

    def _parse_shape(self, shape, node):
        try:
            return super()._parse_shape(shape, node)
        except Exception as e:   # recorded
            segs = self.segments
            in_map = "{}" in segs
            self.failures.append(("".join(segs[:segs.index("{}")] if in_map else segs), in_map, e))
            return None

    def _descend(self, segment, shape, node):
        self.segments.append(segment)
        try:
            return self._parse_shape(shape, node)
        finally:
            self.segments.pop()

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
        parsed = []
        for i, item in enumerate(node):
            parsed.append(None if item is None else self._descend(f"[{i}]", shape.member, item))
        return parsed

    def _handle_map(self, shape, value):
        parsed = {}
        for key, item in value.items():
            k = self._descend("{}", shape.key, key)
            parsed[k] = self._descend("{}", shape.value, item)
        return parsed


def botocore_failures(shape, doc):
    tracer = TracingParser(CLIENT._response_parser)
    tracer._parse_shape(shape, doc)
    return tracer.failures


def path_allowed(got, failure_path, in_map):
    """iotpager's path names botocore's failure (a list and its items are one
    place; inside a map, anything below the map's path)."""
    if got == failure_path:
        return True
    if in_map:
        return got.startswith(failure_path) and got[len(failure_path):][:1] in (".", "[")
    return failure_path.endswith("]") and got == failure_path[:failure_path.rindex("[")]


def robust(obj):
    """canon() raises on a datetime whose utcoffset() does (dateutil's
    tzlocal at year 1 and 9999): such datetimes become what can be said of
    them."""
    if isinstance(obj, dict):
        return {k: robust(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [robust(v) for v in obj]
    if isinstance(obj, datetime.datetime):
        try:
            describe_datetime(obj)
        except (OverflowError, ValueError) as e:
            return ("unoffsettable", type(obj.tzinfo).__name__,
                    obj.replace(tzinfo=None).isoformat(), obj.fold, type(e).__name__)
    return obj


def botocore_op_page(op, body):
    response = {"status_code": 200, "headers": HeadersDict(HEADERS), "body": body}
    parsed = CLIENT._response_parser.parse(response, OP_INFO[op][0])
    parsed["ResponseMetadata"]["RetryAttempts"] = 0
    return parsed


def plan_check(op, body):
    shape, rk_wires = OP_INFO[op]
    try:
        # as botocore reads it: UTF-8 (json.loads(bytes) would also take a
        # BOM, UTF-16 and UTF-32, which botocore's parser gives no page of)
        doc = json.loads(body.decode("utf-8"))
    except ValueError:
        doc = ValueError   # not JSON, or not UTF-8
    wrong_rk = [w for w in rk_wires
                if isinstance(doc, dict) and doc.get(w) is not None and not isinstance(doc[w], list)]
    try:
        got, mine = _model.parse_body(CLIENT, op, body, headers=HEADERS), None
    except (SystemError, MemoryError):
        raise
    except Exception as e:   # judged below
        got, mine = None, e
    try:
        want, theirs = botocore_op_page(op, body), None
    except Exception as e:   # judged below
        want, theirs = None, e
    where = f"{op}: "
    if mine is None:
        if doc is ValueError:
            if KNOWN and known_page_difference(body):
                return
            raise AssertionError(where + "iotpager built a page from a body that is not valid JSON")
        if wrong_rk:
            raise AssertionError(where + f"iotpager built a page where result key(s) {wrong_rk} "
                                 "hold neither a list nor null")
        if theirs is not None:
            raise AssertionError(where + f"iotpager built a page; botocore raised {theirs!r}")
        if canon(robust(want)) != canon(robust(got)):
            raise AssertionError(where + "iotpager's page differs from botocore's: "
                                 + str(first_difference(robust(want), robust(got))))
        return
    if isinstance(mine, iotpager.InvalidResponseError):
        e = mine
        if not (e.path.startswith("$") and e.status == 200 and len(str(e)) < 600
                and e.request_id == REQUEST_ID and e.operation == op):
            raise AssertionError(where + f"odd InvalidResponseError: {e!r} path={e.path!r} "
                                 f"status={e.status!r} request_id={e.request_id!r} "
                                 f"operation={e.operation!r}")
        if doc is ValueError or not isinstance(doc, dict):
            return
        if any(e.path == "$." + w for w in wrong_rk):
            return
        if theirs is None:
            raise AssertionError(where + f"iotpager raised {e!r} at {e.path}; botocore "
                                 "parsed the page" + (f" (result keys {wrong_rk} are not lists; "
                                                      "the path is none of them)" if wrong_rk else ""))
        failures = botocore_failures(shape, doc)
        if not any(path_allowed(e.path, p, m) for p, m, _ in failures):
            raise AssertionError(where + f"iotpager raised {e!r} at {e.path}; botocore raised "
                                 f"{theirs!r}, failing at {[f[0] for f in failures][:8]}")
        return
    # anything else must be botocore's own exception, from a place it fails
    if theirs is None or type(theirs) is not type(mine):
        if KNOWN and known_exception(body, mine):
            return
        raise AssertionError(where + f"iotpager raised {mine!r}, botocore "
                             + (f"{theirs!r}" if theirs else "parsed the body")) from mine
    if isinstance(doc, dict):
        failures = botocore_failures(shape, doc)
        if not any((type(f), str(f)) == (type(mine), str(mine)) for _, _, f in failures):
            raise AssertionError(where + f"iotpager raised {mine!r}, which no place of the body "
                                 f"raises in botocore's parser: {[(p, f) for p, _, f in failures][:5]}")


def plan_ops_for(body):
    """The operations whose result key the body names, or one chosen by length."""
    ops = [op for op in PLAN_OPS if any(b'"%s"' % w.encode() in body for w in OP_INFO[op][1])]
    return ops or [PLAN_OPS[len(body) % len(PLAN_OPS)]]


def TestOneInput(body):
    # known (crashes/page-depth-simdjson-assert-at-O0): nesting near 1024 in a
    # member nobody reads trips simdjson's depth assertion in -O0 builds
    if KNOWN and max_depth(body) >= 1000:
        return
    for op in plan_ops_for(body):
        plan_check(op, body)
    jobs_text_check(body)
    try:
        page = _core.parse_page(body, CONTROLLER, _core.TZ_LOCAL, TZ, 200, HEADERS)
    except iotpager.InvalidResponseError as e:
        if not (e.path.startswith("$") and e.status == 200 and len(str(e)) < 600):
            raise AssertionError(f"odd InvalidResponseError: {e!r} path={e.path!r}")
        return
    except (SystemError, MemoryError):
        raise
    except Exception as mine:   # must be botocore's own
        try:
            botocore_page(body)
        except Exception as theirs:
            if type(theirs) is not type(mine):
                if KNOWN and known_exception(body, mine):
                    return
                raise AssertionError(f"iotpager raised {mine!r}, botocore {theirs!r}") from mine
            return
        if KNOWN and known_exception(body, mine):
            return
        raise AssertionError(f"iotpager raised {mine!r}; botocore parsed the body") from mine
    if not is_json(body) and not (KNOWN and known_page_difference(body)):
        raise AssertionError("iotpager built a page from a body that is not valid JSON")
    try:
        want = botocore_page(body)
    except Exception as theirs:
        raise AssertionError(f"iotpager built a page; botocore raised {theirs!r}") from theirs
    want, page = robust(strip(want)), robust(strip(page))
    if canon(want) != canon(page):
        if KNOWN and known_page_difference(body):
            return
        raise AssertionError("iotpager's page differs from botocore's: "
                             + str(first_difference(want, page)))


def main():
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
