"""atheris target: iotpager's own resume-token code, differentially against
botocore's, with no paginator loop around it (so it runs tens of thousands
of inputs a second, where fuzz_token.py runs whole listings).

Run by tests/fuzz/run.sh (``bash tests/fuzz/run.sh tokendec``), or directly:
    PYTHONPATH=python:tests python tests/fuzz/fuzz_token_decode.py CORPUS -max_total_time=60

The library's PageIterator decodes StartingToken with botocore's own code;
the CLI (python/iotpager/_cli.py) has its own copy, written so that it need
not import botocore: _TokenCodec and _PageIterator._parse_starting_token
(and the deprecated "token___index" form). Each input is a StartingToken
(the bytes as UTF-8, undecodable bytes as surrogate escapes), and:

* the CLI's _parse_starting_token gives what botocore's gives (the same
  (token dict, index), or the same exception class);
* where a (token dict, index) came out, the CLI's resume-token encoder
  writes what botocore's TokenEncoder writes for the resume token
  PageIterator would build from them (resume_token's setter rules);
* the offset the engines hand the C Pager for a decoded index (both keep
  a positive int, then clamp it with _limits.c_skip) fits its long long.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["iotpager"]):
    from iotpager import _cli, _limits

from botocore.paginate import PageIterator, TokenEncoder


def _botocore_iterator(token):
    return PageIterator(None, ["nextToken"], ["nextToken"], None, ["jobs"], [], "maxResults",
                        None, token, None, {})


def _cli_iterator(token):
    return _cli._PageIterator(None, None, token, None, {})


def _outcome(fn):
    try:
        return fn(), None
    except Exception as e:   # compared by class
        return None, type(e)


def _resume(iterator, token_dict, index):
    """The resume token PageIterator builds after a truncated first page."""
    doc = dict(token_dict)
    doc["boto_truncate_amount"] = index
    iterator.resume_token = doc
    return iterator.resume_token


def TestOneInput(data):
    token = data.decode("utf-8", "surrogateescape")
    b, berr = _outcome(lambda: _botocore_iterator(token)._parse_starting_token())
    c, cerr = _outcome(lambda: _cli_iterator(token)._parse_starting_token())
    if berr is not cerr or b != c:
        raise AssertionError(f"StartingToken {token!r}: botocore {b!r}/{berr}, CLI {c!r}/{cerr}")
    if b is None:
        return
    token_dict, index = b
    if not isinstance(token_dict, dict):
        return
    rb, rberr = _outcome(lambda: _resume(_botocore_iterator(None), token_dict, index))
    rc, rcerr = _outcome(lambda: _resume(_cli_iterator(None), token_dict, index))
    if rberr is not rcerr or rb != rc:
        raise AssertionError(f"resume token for {token_dict!r}, {index!r}: "
                             f"botocore {rb!r}/{rberr}, CLI {rc!r}/{rcerr}")
    if rb is not None and _cli._TokenCodec.encode(token_dict) != TokenEncoder().encode(token_dict):
        raise AssertionError(f"encode({token_dict!r}) differs from botocore's")
    if isinstance(index, int) and index > 0:   # _paginator._Engine and _cli._Fetcher
        skip = _limits.c_skip(index)
        if not 0 < skip < 2**63:
            raise AssertionError(f"skip out of range for {index!r}: {skip!r}")


def main():
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
