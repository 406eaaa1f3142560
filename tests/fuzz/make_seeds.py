"""Seed corpora for tests/fuzz (called by run.sh): python make_seeds.py KIND DIR.

json   real ListJobs pages from iotpager.testing.make_jobs/public_job (page
       sizes 0..250, ASCII-escaped and not, with and without nextToken) and
       the odd bodies of the parity suites (escapes, wrong types, duplicates).
sigv4  fields separated by 0xFF: parameter pairs, the nextToken, a header
       value, a secret key, a region (see fuzz_sigv4.c).
token  StartingToken strings: botocore's base64 JSON resume tokens with the
       server's real nextTokens and truncation amounts, and raw tokens.
"""

from __future__ import annotations

import base64
import json
import os
import sys

from iotpager.testing import FILTER_PARAMS, ListJobsServer, make_jobs, public_job


def write(directory, name, data):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def page(jobs, token=None, ensure_ascii=False, order=("jobs", "nextToken")):
    doc = {}
    for key in order:
        if key == "jobs":
            doc["jobs"] = [public_job(j) for j in jobs]
        elif token is not None:
            doc["nextToken"] = token
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=ensure_ascii).encode("utf-8")


def server_tokens(n=3):
    srv = ListJobsServer(n_jobs=600)   # never started: only its token scheme is used
    return [srv.token_for((), 50 * (k + 1)) for k in range(n)] + \
        [srv.token_for((("status", "COMPLETED"),), 7)]


def json_seeds(d):
    jobs = make_jobs(300, seed=3)
    tokens = server_tokens()
    n = 0
    for size in (0, 1, 2, 5, 17, 50, 250):
        for ascii_ in (False, True):
            for tok in (None, tokens[0]):
                write(d, f"page-{n}", page(jobs[:size], tok, ascii_))
                n += 1
    write(d, f"page-{n}", page(jobs[:3], tokens[1], order=("nextToken", "jobs")))
    odd = [
        b'{"jobs":[null,{"jobId":"a","status":"COMPLETED","createdAt":1.5e9}],"nextToken":""}',
        b'{"jobs":[{"jobId":"\\u00e9\\ud83d\\ude80","jobArn":"\\ud800"}]}',
        b'{"jobs":[{"jobId":42,"jobArn":{"a":[1,2]},"isConcurrent":"TRUE","createdAt":"2023-01-01T00:00:00Z"}]}',
        b'{"jobs":[{"jobId":"a","jobId":"b"}],"jobs":null,"nextToken":null,"nextToken":"x"}',
        b'{"foo":{"bar":[1,2,{"baz":null}]},"n":1e400,"big":123456789012345678901234567890}',
        b' \r\n\t{ "jobs" : [ { "createdAt" : -0.0 , "lastUpdatedAt" : 18446744073709551615 } ] }',
        b'{"jobs":[{"completedAt":9223372036854775807,"createdAt":-9223372036854775808}]}',
        b'{"jobs":[{"status":"IN_PROGRESS","targetSelection":"SNAPSHOT","thingGroupId":"g"}]}',
        b'{"jobs":' + b"[" * 30 + b"]" * 30 + b"}",
        b'{"jobs":[]}',
        b"{}",
    ]
    for k, body in enumerate(odd):
        write(d, f"odd-{k}", body)


def sigv4_seeds(d):
    sep = b"\xff"
    tokens = server_tokens()
    values = {"status": "COMPLETED", "targetSelection": "SNAPSHOT",
              "thingGroupName": "fleet:eu-west-1:sensors", "thingGroupId": "7f3c2a10-4b5e",
              "namespaceId": "AWS"}
    n = 0
    for param in FILTER_PARAMS:
        fields = [param.encode(), values[param].encode(), b"maxResults", b"250",
                  tokens[n % len(tokens)].encode(), b"  folded \r\n value\t", b"wJalrXUtnFEMI/K7MDENG+bPxRfiCY",
                  b"eu-west-1"]
        write(d, f"seed-{n}", sep.join(fields))
        n += 1
    write(d, f"seed-{n}", sep.join([b"a/../b/./c//d", b"", b"~-_.", b"%41%zz+ ",
                                    "é✓🚀".encode(), b"", b"", b"x" * 80]))


def token_seeds(d):
    tokens = server_tokens()
    n = 0
    for tok in tokens:
        for extra in ({}, {"boto_truncate_amount": 3}, {"boto_truncate_amount": 0}):
            doc = dict({"nextToken": tok}, **extra)
            write(d, f"tok-{n}", base64.b64encode(json.dumps(doc).encode()))
            n += 1
        write(d, f"tok-{n}", tok.encode())
        n += 1
    for raw in (b"None", b"", b"e30=", base64.b64encode(b'{"nextToken":null}'),
                base64.b64encode(b'{"nextToken":"x","boto_truncate_amount":1e99}'),
                base64.b64encode(b'{"nextToken":"x","boto_truncate_amount":-5}'),
                base64.b64encode(b'{"nextToken":"\\ud800"}')):
        write(d, f"tok-{n}", raw)
        n += 1


def main():
    kind, directory = sys.argv[1], sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    {"json": json_seeds, "sigv4": sigv4_seeds, "token": token_seeds}[kind](directory)
    print(f"seeds {kind}: {len(os.listdir(directory))} files in {directory}")


if __name__ == "__main__":
    main()
