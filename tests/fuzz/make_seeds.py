"""Seed corpora for tests/fuzz (called by run.sh): python make_seeds.py KIND DIR.

json   real ListJobs pages from iotpager.testing.make_jobs/public_job (page
       sizes 0..250, ASCII-escaped and not, with and without nextToken) and
       the odd bodies of the parity suites (escapes, wrong types, duplicates);
       and bodies of the other operations fuzz_parse_page.py runs through
       _model.parse_body (PLAN_OPS), written by tests/_bodygen.py from
       botocore's output shapes (typical, edge and wild).
plan   for fuzz_json.cc: the json seeds (its no-plan mode), and '#' + a plan
       in fuzz_json.cc's encoding + a body: the plans of real operations
       (compiled from botocore's model as python/iotpager/_model.py compiles
       them) with _bodygen bodies, and small made-up plans (a map of strings,
       enums and timestamps, lists of structures with lists, a map of lists,
       IOT_NF_BOTOCORE nodes, 300 enum values, lists 60 deep).
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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # tests/

# operations whose bodies the page target also parses with their plans
# (fuzz_parse_page.PLAN_OPS): enums, timestamps and booleans; a map of
# strings; nested lists of structures with doubles and integers; maps in
# structures; lists of lists of numbers; structures in structures
PLAN_OPS = ("ListJobs", "ListThings", "ListActiveViolations", "ListAuditFindings",
            "ListMetricValues", "ListThingTypes")


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
    op_bodies(d)


def iot_client():
    """botocore's IoT client, or None without boto3 (the seeds from its model
    are then left out)."""
    try:
        import boto3
    except ImportError:
        print("make_seeds: no boto3, no seeds from botocore's model")
        return None

    return boto3.session.Session().client(
        "iot", region_name="us-east-1", aws_access_key_id="AKIDFUZZ", aws_secret_access_key="s",
        endpoint_url="http://fuzz.invalid")


def generated_bodies(shape, op, n, limit=4096):
    """Up to n bodies of each _bodygen profile for shape, each at most limit bytes."""
    from _bodygen import PROFILES, BodyGen, body_seed

    out = []
    for profile in PROFILES:
        got = 0
        for k in range(8 * n):
            body = BodyGen(body_seed("fuzz-seed", op, profile, k), profile).body(shape)
            if len(body) <= limit:
                out.append((profile, body))
                got += 1
                if got == n:
                    break
    return out


def op_bodies(d):
    client = iot_client()
    for op in PLAN_OPS if client else ():
        shape = client.meta.service_model.operation_model(op).output_shape
        for k, (profile, body) in enumerate(generated_bodies(shape, op, 3)):
            write(d, f"{op}-{profile}-{k}", body)


# ---- plans, in fuzz_json.cc's encoding (see "plan encoding" there)

TYPES = {"structure": 1, "list": 2, "map": 3, "string": 4, "integer": 5, "double": 6,
         "boolean": 7, "timestamp": 8, "other": 9}
MODEL_TYPES = {"structure": "structure", "list": "list", "map": "map", "string": "string",
               "integer": "integer", "long": "integer", "double": "double", "float": "double",
               "boolean": "boolean", "timestamp": "timestamp"}


def enc_bytes(b):
    assert len(b) < 64, b
    return bytes([0xF0, len(b)]) + b


def enc_enums(enums):
    if enums == "many":
        return bytes([5])   # the decoder's 300 values "E0".."E299"
    assert len(enums) < 256
    return bytes([0xF0, len(enums)]) + b"".join(enc_bytes(e.encode("utf-8")) for e in enums)


def enc_node(n, member):
    """n: dict(type, wire, botocore, result, members / member / key_enums+value / enums)."""
    t = TYPES[n["type"]] - 1
    if n.get("botocore"):
        t |= 0x30
    if n.get("result"):
        t |= 0x40
    out = bytes([t])
    if member:
        out += enc_bytes(n["wire"].encode("utf-8"))
    if n["type"] == "structure":
        out += bytes([0xF0, len(n["members"])]) + b"".join(enc_node(m, True) for m in n["members"])
    elif n["type"] == "list":
        out += enc_node(n["member"], False)
    elif n["type"] == "map":
        out += enc_enums(n.get("key_enums", ())) + enc_node(n["value"], False)
    elif n["type"] == "string":
        out += enc_enums(n.get("enums", ()))
    return out


def encode_plan(members, result=-1, token=-1):
    return (b"#" + bytes([0xF0, len(members)]) + b"".join(enc_node(m, True) for m in members)
            + bytes([result + 1, token + 1]))


def count(members):
    def one(n):
        return 1 + sum(one(c) for c in (n.get("members") or [])) + \
            (one(n["member"]) if "member" in n else 0) + (1 + one(n["value"]) if "value" in n else 0)
    return 1 + sum(one(m) for m in members)


def model_plan(op_model, result_keys, token):
    """The plan _model._compile_output makes, as encode_plan's members."""
    def node(sh, wire, ancestors, result=False):
        t = MODEL_TYPES.get(sh.type_name, "other")
        special = (t == "other" or sh.name in ancestors
                   or getattr(sh, "is_tagged_union", False)
                   or getattr(sh, "is_document_type", False)
                   or bool(sh.serialization.get("jsonvalue"))
                   or bool(sh.serialization.get("location"))
                   or bool(sh.serialization.get("eventstream")))
        n = {"type": t, "wire": wire, "result": result and t == "list"}
        if special:
            n.update(type="other", botocore=True)
        elif t == "structure":
            n["members"] = [node(m, m.serialization.get("name", k), ancestors | {sh.name})
                            for k, m in sh.members.items()]
        elif t == "list":
            n["member"] = node(sh.member, "", ancestors | {sh.name})
        elif t == "map":
            n["key_enums"] = [e for e in (getattr(sh.key, "enum", None) or []) if isinstance(e, str)]
            n["value"] = node(sh.value, "", ancestors | {sh.name})
        elif t == "string":
            n["enums"] = [e for e in (getattr(sh, "enum", None) or []) if isinstance(e, str)]
        return n

    shape = op_model.output_shape
    names = list(shape.members)
    members = [node(m, m.serialization.get("name", k), frozenset({shape.name}), k in result_keys)
               for k, m in shape.members.items()]
    return members, names.index(result_keys[0]), names.index(token)


def S(wire="", enums=()):
    return {"type": "string", "wire": wire, "enums": enums if enums == "many" else list(enums)}


def N(t, wire=""):
    return {"type": t, "wire": wire}


def L(member, wire="", result=False, botocore=False):
    return {"type": "list", "wire": wire, "member": member, "result": result, "botocore": botocore}


def M(value, wire="", key_enums=()):
    return {"type": "map", "wire": wire, "value": value, "key_enums": list(key_enums)}


def St(members, wire="", botocore=False):
    return {"type": "structure", "wire": wire, "members": members, "botocore": botocore}


def made_up_plans():
    """(name, members, result, token, [bodies]) of small plans made up here."""
    deep = S("")
    for _ in range(60):
        deep = L(deep)
    return [
        ("things", [L(St([S("thingName"), S("thingTypeName"), M(S(), "attributes"),
                          N("integer", "version")]), "things", result=True), S("nextToken")], 0, 1,
         [b'{"things":[{"thingName":"t1","attributes":{"a":"1","b":"\u00e9","a":"2"},"version":3},'
          b'null,{"attributes":null,"version":1.5}],"nextToken":"abc"}',
          b'{"things":{"thingName":"x"},"nextToken":null}',
          b'{"things":null,"attributes":{"k":"v"},"nextToken":7}']),
        ("jobs", [L(St([S("jobId"), S("status", ["IN_PROGRESS", "CANCELED", "COMPLETED",
                                                  "DELETION_IN_PROGRESS", "SCHEDULED"]),
                        S("targetSelection", ["CONTINUOUS", "SNAPSHOT"]),
                        N("timestamp", "createdAt"), N("timestamp", "completedAt"),
                        N("boolean", "isConcurrent")]), "jobs", result=True),
                  S("nextToken")], 0, 1,
         [b'{"jobs":[{"jobId":"j","status":"CANCELED","targetSelection":"SNAPSHOT",'
          b'"createdAt":1700000000.5,"completedAt":"2023-01-01T00:00:00Z","isConcurrent":true},'
          b'{"status":"CANCELED\u0000x","createdAt":1e400},{"status":"\u0043ANCELED"}],"nextToken":"t"}',
          b'{"jobs":"no","nextToken":"t"}']),
        ("nested", [L(St([S("a"), L(S("", ["A", "B"]), "b"),
                          L(L(N("integer")), "c"), L(St([N("double", "n"), L(N("timestamp"), "x")]), "items")]),
                      "items", result=True), S("nextToken")], 0, 1,
         [b'{"items":[{"a":"x","b":["A","B","C",null],"c":[[1,2],[],null,[3,"4"]],'
          b'"items":[{"n":1.5,"x":[1,2.5,"2020-01-01"]},{"n":"nan"}]}],"nextToken":""}',
          b'{"items":[[],{"b":{"A":1}},{"c":[{"x":1}]}]}']),
        ("map-of-lists", [M(L(N("double")), "attributes", ["A", "COMPLETED"]), S("nextToken")], -1, 1,
         [b'{"attributes":{"A":[1,2.5,-0.0,1e308],"B":[],"A":null,"\u00e9":[18446744073709551616]},'
          b'"nextToken":"n"}',
          b'{"attributes":[1,2],"nextToken":"n"}']),
        ("botocore", [N("other", "a") | {"botocore": True},
                      St([S("x"), N("integer", "n")], "b", botocore=True),
                      L(S(), "jobs", result=True, botocore=True), S("nextToken")], 2, 3,
         [b'{"a":{"x":[1,{"y":null}]},"b":{"x":"1","n":2},"jobs":[1,"2",{"3":4}],"nextToken":"t"}',
          b'{"a":"blob","jobs":"x"}']),
        ("many-enums", [S("status", "many"), L(S("", "many"), "items", result=True)], 1, -1,
         [b'{"status":"E280","items":["E0","E254","E255","E299","E300","E\u0032"]}']),
        ("deep", [L(deep, "a", result=True), S("nextToken")], 0, 1,
         [b'{"a":' + b"[" * 62 + b'"x"' + b"]" * 62 + b',"nextToken":"t"}',
          b'{"a":' + b"[" * 58 + b'"x",tru' + b"]" * 58 + b'}',
          b'{"a":' + b"[" * 40 + b'{"k":[1,2,{"z":"\ud800"}]}' + b"]" * 40 + b'}']),
        ("empty", [], -1, -1, [b'{}', b'{"a":1}', b'[]', b'null\n', b'{"a":1}x']),
    ]


def plan_seeds(d):
    json_seeds(d)
    client = iot_client()
    n = 0
    for name, members, result, token, bodies in made_up_plans():
        assert count(members) <= 80, name
        for body in bodies:
            write(d, f"plan-{name}-{n}", encode_plan(members, result, token) + body)
            n += 1
    if client is None:
        return
    from botocore import xform_name

    for op in PLAN_OPS + ("ListDetectMitigationActionsTasks", "ListViolationEvents",
                          "ListTopicRuleDestinations"):
        cfg = client.get_paginator(xform_name(op))._pagination_cfg
        rk = cfg["result_key"]
        rk = [rk] if isinstance(rk, str) else list(rk)
        op_model = client.meta.service_model.operation_model(op)
        members, result, token = model_plan(op_model, rk, cfg["output_token"])
        assert count(members) <= 80, op
        header = encode_plan(members, result, token)
        for k, (profile, body) in enumerate(generated_bodies(op_model.output_shape, op, 2)):
            write(d, f"plan-{op}-{profile}-{k}", header + body)


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
    {"json": json_seeds, "plan": plan_seeds, "sigv4": sigv4_seeds,
     "token": token_seeds}[kind](directory)
    print(f"seeds {kind}: {len(os.listdir(directory))} files in {directory}")


if __name__ == "__main__":
    main()
