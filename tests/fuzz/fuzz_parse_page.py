"""atheris target: ``_core.parse_page`` (the shim and the builder, exactly as
the iterator runs them) on fuzzed response bodies, differentially against
botocore's own RestJSONParser on the same bytes.

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
"""

from __future__ import annotations

import json
import os
import sys

import atheris

with atheris.instrument_imports(include=["iotpager"]):
    import iotpager
    from iotpager import _core
    from iotpager._controller import Controller

import boto3
import botocore.parsers
from dateutil.tz import tzlocal

from _compare import canon, first_difference

CLIENT = boto3.session.Session().client(
    "iot", endpoint_url="http://fuzz.invalid", region_name="us-east-1",
    aws_access_key_id="AKIDFUZZ", aws_secret_access_key="secret")
CONTROLLER = Controller(CLIENT, "local")
TZ = tzlocal()
SHAPE = CLIENT.meta.service_model.operation_model("ListJobs").output_shape
HEADERS = [("x-amzn-RequestId", "fuzz-request-id"), ("Content-Type", "application/json")]
KNOWN = os.environ.get("IOTPAGER_FUZZ_KNOWN", "") not in ("", "0")


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


def TestOneInput(body):
    # known (crashes/page-depth-simdjson-assert-at-O0): nesting near 1024 in a
    # member nobody reads trips simdjson's depth assertion in -O0 builds
    if KNOWN and max_depth(body) >= 1000:
        return
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
    if canon(strip(want)) != canon(strip(page)):
        if KNOWN and known_page_difference(body):
            return
        raise AssertionError("iotpager's page differs from botocore's: "
                             + str(first_difference(strip(want), strip(page))))


def main():
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
