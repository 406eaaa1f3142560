"""The CLI's JSON text in C (csrc/jsonout.c), against CPython's json.dumps.

Two paths, both held to json.dumps(indent=4, ensure_ascii=False), which is
what awscli v1's JSONFormatter writes:

* _core.awscli_json(obj, default): the encoder for any object tree;
* parse_page(..., jobs_text=True): a page's jobs as a JobsText (the text of
  each job written straight from the parsed page, no dict per job), which
  must encode exactly as the jobs list the builder makes from the same
  bytes, sliced and joined as the CLI's paginator slices and joins lists,
  and fail with the same exception where the builder fails.
"""

from __future__ import annotations

import json
import random

import pytest

from iotpager import _core
from iotpager.exceptions import InvalidResponseError
from iotpager.testing.server import make_jobs, public_job


def _default(obj):
    raise TypeError(f"not encodable: {type(obj).__name__}")


def _dumps(obj):
    return json.dumps(obj, indent=4, ensure_ascii=False, default=_default)


@pytest.fixture(scope="module")
def controller():
    import boto3

    from iotpager._controller import Controller

    client = boto3.session.Session().client(
        "iot", endpoint_url="http://jsonout.invalid", region_name="us-east-1",
        aws_access_key_id="AKIDJSONOUT", aws_secret_access_key="secret")
    return Controller(client, "local")


def _page(body, controller, jobs_text):
    return _core.parse_page(body, controller, _core.TZ_RAW, None, jobs_text=jobs_text)


ODD_JOBS = [
    {}, None, {"jobId": None}, {"unknown": 1, "jobId": "x"},
    {"jobId": "é ✓ 🚀 全角", "status": "IN_PROGRESS"},
    {"jobId": "tab\there\nnl \"q\" \\ \u0000 \u001f \u007f \u2028"},
    {"jobId": "\ud800 lone", "jobArn": "\udfff"}, {"jobId": "\ud83d\ude00 pair"},
] + [
    {"isConcurrent": v} for v in (True, False, "true", "TRUE", "tRuE", "false", "yes", "",
                                  "ᴛrue", "TRUÉ", 1, 0, 1.5, [], {}, [True], {"a": 1})
] + [
    {"createdAt": v, "lastUpdatedAt": v, "completedAt": v, "jobId": v}
    for v in (0, -1, 1698541200, 1698541200.0, 1565385476.285, 0.1, 1e-7, 2.5e20, 1e300,
              -0.0, 123456789012345678901234567890, 9223372036854775807,
              -9223372036854775808, 9223372036854775808, "2019-01-01T00:00:00Z", True,
              [1, {"a": [2, None]}], {"nested": {"x": "é"}}, [], {})
] + [
    {"status": s, "targetSelection": s} for s in ("COMPLETED", "CANCELED", "SNAPSHOT",
                                                   "CONTINUOUS", "completed", "COMPLETED\\")
]


def _bodies():
    rng = random.Random(11)
    seed_jobs = [public_job(j) for j in make_jobs(300, 0)]
    out = [
        {"jobs": seed_jobs[:250], "nextToken": "tok"},
        {"jobs": []}, {"jobs": [None]}, {"jobs": [{}]}, {"jobs": None}, {}, {"nextToken": "x"},
        {"jobs": ODD_JOBS},
    ]
    for _ in range(150):
        jobs = rng.sample(seed_jobs, rng.randint(0, 6)) + rng.sample(ODD_JOBS, rng.randint(0, 4))
        rng.shuffle(jobs)
        out.append({"jobs": jobs})
    bodies = [json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
              for doc in out]
    # texts json.dumps does not write: escapes, a duplicate key, white space
    bodies += [
        b'{"jobs": [{"jobId": "\\u00e9\\u0041\\/\\b\\f", "jobId": "dup"}]}',
        b'{ "jobs" : [ { "jobArn" : "a" , "createdAt" : 1E3 } , null ] }',
        b'{"jobs": [{"createdAt": 1.0e0, "lastUpdatedAt": -0, "completedAt": 10000000000000000000000}]}',
        b'{"jobs": [{"jobId": "\\ud800\\u0041", "status": "\\u0043OMPLETED"}]}',
        b'{"jobs": [{"createdAt": 1.7976931348623157e308, "lastUpdatedAt": 5e-324}]}',
    ]
    return bodies


def _outcome(fn):
    try:
        return fn(), None
    except Exception as e:   # compared by the caller
        return None, (type(e), str(e))


def test_jobs_text_encodes_as_the_builders_list(controller):
    """Every body: the JobsText's text is json.dumps of the builder's list,
    whole and in slices, and joins back; or both raise the same error."""
    rng = random.Random(3)
    checked = 0
    for body in _bodies():
        plain, perr = _outcome(lambda: _page(body, controller, False))
        text, terr = _outcome(lambda: _page(body, controller, True))
        assert perr == terr, body
        if perr is not None:
            continue
        assert list(text) == list(plain), body   # same keys, same order
        for key in plain:
            if key != "jobs":
                assert text[key] == plain[key], body
        if "jobs" not in plain:
            continue
        jobs, jt = plain["jobs"], text["jobs"]
        assert type(jt) is _core.JobsText and len(jt) == len(jobs), body
        expected = _dumps({"jobs": jobs, "NextToken": "t"})
        assert _core.awscli_json({"jobs": jt, "NextToken": "t"}, _default) == expected, body
        chunks = _core.awscli_json({"jobs": jt, "NextToken": "t"}, _default, True)
        if isinstance(chunks, str):   # lone surrogates: no UTF-8, so the text
            assert chunks == expected, body
            with pytest.raises(UnicodeEncodeError):
                expected.encode("utf-8")
        else:
            assert b"".join(chunks) == expected.encode("utf-8"), body
        pieces, at = [], 0
        while at <= len(jobs):
            step = rng.randint(0, 3)
            a, b = at, at + step
            assert _core.awscli_json({"jobs": jt[a:b]}, _default) == _dumps({"jobs": jobs[a:b]})
            pieces.append(jt[a:b])
            at = b if step else at + 1
            if not step:
                pieces.append(jt[a:a + 1])   # keep every job once: [a:a] was empty
        joined = _core.JobsText.join(pieces)
        assert len(joined) == len(jobs)
        assert _core.awscli_json({"jobs": joined}, _default) == _dumps({"jobs": jobs}), body
        checked += 1
    assert checked > 100


def test_jobs_text_slices_like_a_list(controller):
    body = json.dumps({"jobs": [public_job(j) for j in make_jobs(7, 1)]}).encode()
    jobs = _page(body, controller, False)["jobs"]
    jt = _page(body, controller, True)["jobs"]
    for a in (None, -20, -3, 0, 2, 7, 30):
        for b in (None, -20, -1, 0, 3, 7, 30):
            assert len(jt[a:b]) == len(jobs[a:b])
            assert _core.awscli_json({"jobs": jt[a:b]}, _default) == _dumps({"jobs": jobs[a:b]})
    with pytest.raises(TypeError):
        jt[0]
    with pytest.raises(ValueError):
        jt[::2]
    with pytest.raises(TypeError, match="slice indices must be integers"):
        jt["1":]   # as a list says it, for a StartingToken's odd boto_truncate_amount
    with pytest.raises(TypeError):
        _core.JobsText.join([jt, jobs])
    with pytest.raises(TypeError):
        _core.JobsText()
    assert len(_core.JobsText.join([])) == 0
    joined = _core.JobsText.join([jt[:2], _core.JobsText.join([jt[2:2], jt[2:5]]), jt[5:]])
    assert len(joined) == 7
    assert _core.awscli_json({"jobs": joined}, _default) == _dumps({"jobs": jobs})
    with pytest.raises(TypeError, match="does not slice"):
        joined[1:]
    assert _core.awscli_json({"jobs": _core.JobsText.join([jt[:0], jt[5:5]])}, _default) == \
        _dumps({"jobs": []})
    with pytest.raises(ValueError, match="nesting level"):
        _core.awscli_json([[jt]], _default)   # only where the CLI puts it
    assert "7 jobs" in repr(jt)


def test_jobs_text_errors_are_the_builders(controller):
    """A value the builder rejects is rejected the same way, with its path."""
    body = b'{"jobs": [{"jobId": "ok"}, {"jobId": "bad \\ud800\\ud800 \\udc00", "createdAt": [1,}]}'
    with pytest.raises(InvalidResponseError) as plain:
        _page(body, controller, False)
    with pytest.raises(InvalidResponseError) as text:
        _page(body, controller, True)
    assert str(plain.value) == str(text.value)
    assert "$.jobs[1]" in str(text.value)


def test_jobs_text_needs_raw_timestamps(controller):
    with pytest.raises(ValueError, match="raw"):
        _core.parse_page(b'{"jobs": [{"createdAt": 1}]}', controller, _core.TZ_UTC, None,
                         jobs_text=True)


def test_lone_surrogates_reach_the_text_as_json_dumps_leaves_them():
    for s in ["\ud800", "a\udfffb", "\ud83d\ude00", "\ud83d", "\ude00\ud83d"]:
        data = {"k": [s], s: 1}
        assert _core.awscli_json({"k": [s]}, _default) == _dumps({"k": [s]})
        assert _core.awscli_json(data, _default) == _dumps(data)
        assert _core.awscli_json(data, _default, True) == _dumps(data)   # no UTF-8: a str


def test_chunks_are_the_utf8_of_the_text(controller):
    data = {"jobs": [{"jobId": "é ✓ 🚀", "n": 1.5}], "NextToken": None}
    assert _core.awscli_json(data, _default, True) == [_dumps(data).encode("utf-8")]
    assert _core.awscli_json(data, _default, False) == _dumps(data)
    with pytest.raises(TypeError):
        _core.awscli_json(data, _default, True, 4)
    body = json.dumps({"jobs": [public_job(j) for j in make_jobs(9, 2)]}).encode()
    jobs = _page(body, controller, False)["jobs"]
    jt = _page(body, controller, True)["jobs"]
    joined = _core.JobsText.join([jt[:4], jt[4:4], jt[4:]])
    chunks = _core.awscli_json({"jobs": joined, "NextToken": "é"}, _default, True)
    assert b"".join(chunks) == _dumps({"jobs": jobs, "NextToken": "é"}).encode("utf-8")
    assert [type(c) for c in chunks] == [bytes, _core.JobsText, bytes, _core.JobsText, bytes]
    assert bytes(memoryview(jt[2:3])) == _dumps(jobs[2]).replace("\n", "\n        ").encode()
    with pytest.raises(BufferError):
        memoryview(joined)


def test_encoder_without_default_raises_as_json_dumps():
    """Inside a JobsText's fallback job there is no default: an object that
    is not JSON is json.dumps's TypeError, not a crash."""
    with pytest.raises(TypeError, match="not encodable"):
        _core.awscli_json({"a": object()}, _default)


def test_floats_are_written_as_repr_writes_them():
    """jsonout.c writes most floats without dtoa (jo_float_short); each must
    be float.__repr__'s text: timestamps with 0-9 decimals, random bit
    patterns, the edges of repr's fixed-point range and of the shortcut."""
    import math
    import struct

    rng = random.Random(5)
    values = []
    for _ in range(200_000):
        r = rng.random()
        if r < 0.3:
            values.append(rng.randint(0, 2**41) / 1000)
        elif r < 0.4:
            values.append(rng.randint(0, 2**53) / 10 ** rng.randint(0, 12))
        elif r < 0.5:
            values.append(float(rng.randint(0, 10**15)))
        elif r < 0.7:
            values.append(struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0])
        elif r < 0.8:
            values.append(rng.uniform(1e-5, 1e16))
        else:
            values.append(float(f"{rng.uniform(0, 2e9):.{rng.randint(0, 9)}f}"))
    values += [1e-4, 9.999e-5, 1e15, 999999999999999.9, 1e15 - 1, 0.1, 0.3, 2.675, 1.005,
               5e-324, 2.0**53, 4503599627370496.5, 0.5, 2.0**-14, 2.0**-13 + 2.0**-40, 1024.0,
               1023.9999999999999, 1698541200.0, 1565385476.285, 1e16, 1e22, -0.0, -1.5]
    values = [v for v in values if not math.isnan(v)]
    assert _core.awscli_json(values, _default) == json.dumps(values, indent=4)
