"""`iotpager <command>` against `aws iot <command>` (awscli v1) for every
paginated IoT list command, byte for byte.

Both CLIs run as subprocesses against the same deterministic local endpoint
(iotpager.testing.ModelServer: every paginated operation of botocore's IoT
model, SigV4-verifying), with test_cli.py's environment (its helpers are
reused). The command list is derived at run time from botocore's model and
paginator config (xform_name, as awscli names its commands); the arguments
from ModelServer.example_input, written as command-line values. For every
case stdout must be identical bytes, and so must stderr (its first line is
checked first) and the exit code.

* every command: the default JSON output;
* a varied subset (token in a POST body, marker style, path and header
  parameters, maps, no limit key, a non-aggregate key): text, table,
  --max-items with its NextToken then --starting-token from the other CLI,
  --page-size, --query, --no-paginate and every optional input member;
* errors: missing required arguments, invalid values (argparse, int(),
  botocore's validation, awscli's JSON parsing, the service's 400), unknown
  options, --no-paginate with paging arguments;
* shorthand syntax (parsed by awscli's own code), file:// values,
  cli_timestamp_format = iso8601 and a profile's output format;
* without subprocesses: the argument tables and argparse parsers iotpager
  builds are awscli's, for every command; and without awscli installed,
  shorthand is refused for its argument only while JSON values still work.

Cases run in a thread pool (aws start-up is ~0.5-1 s of CPU per call).
A command whose model differs between botocore and the botocore aws runs on
(awscli v1 may bundle an older one) is compared without the output members
aws's botocore lacks (and they must be in iotpager's output); it is skipped,
with the reason, only where more than that differs.
"""

from __future__ import annotations

import base64
import concurrent.futures
import datetime
import json
import os
import sys

import pytest

pytest.importorskip("awscli")

from botocore import xform_name  # noqa: E402

from iotpager.testing import ModelServer  # noqa: E402
from test_cli import AK, IOTPAGER, SK, TOKEN, _assert_same, _aws_command, _base_env, _run  # noqa: E402

N_ITEMS = 23        # three pages of the server's default 10
PAGE = 10
WORKERS = 4


def _model():
    import botocore.session

    session = botocore.session.get_session()
    return (session.get_service_model("iot"),
            dict(session.get_paginator_model("iot")._paginator_config))


MODEL, PAGINATORS = _model()
# every paginated operation, by its aws CLI name (list-jobs too: its own fast path)
COMMANDS = {xform_name(name, "-"): name for name in MODEL.operation_names if name in PAGINATORS}

# IOTPAGER_CLI_ALL_JSON=N: the default-JSON case for N commands only (the
# subset, then a sample drawn with IOTPAGER_BODYGEN_SEED), for CI's repeat
# runs (matrix, sanitizers); unset: every command, as the main run does.
def _json_commands(subset):
    want = os.environ.get("IOTPAGER_CLI_ALL_JSON")
    if not want:
        return sorted(COMMANDS)
    import random

    rest = sorted(set(COMMANDS) - set(subset))
    random.Random(int(os.environ.get("IOTPAGER_BODYGEN_SEED", "0"))).shuffle(rest)
    return sorted(list(subset) + rest[:max(int(want) - len(subset), 0)])


SUBSET = [
    "list-audit-findings",                    # POST, token in the JSON body, structures
    "list-policies",                          # marker / nextMarker / pageSize
    "list-certificates",                      # marker style, timestamps
    "list-job-executions-for-job",            # a path parameter
    "list-principal-things",                  # a header parameter
    "list-things",                            # maps, longs
    "list-tags-for-resource",                 # no limit key
    "list-thing-registration-task-reports",   # a non-aggregate key
]
JSON_COMMANDS = _json_commands(SUBSET)


def _aws_model_differences():
    """The paginated operations whose model (input and output shapes,
    paginator) differs between botocore and the botocore aws runs on: awscli
    v1 may bundle its own botocore (awscli/botocore, imported in place of
    botocore), with an older IoT model. The server serves botocore's model,
    so such a command's output cannot be aws's."""
    import gzip

    import awscli
    import botocore

    def load(root, name):
        for ext in (".json", ".json.gz"):
            path = os.path.join(root, "data", "iot", "2015-05-28", name + ext)
            if os.path.exists(path):
                opener = gzip.open if ext.endswith(".gz") else open
                with opener(path, "rb") as f:
                    return json.load(f)
        return None

    bundled = os.path.join(os.path.dirname(awscli.__file__), "botocore")
    theirs = load(bundled, "service-2")
    if theirs is None:
        return set()   # aws runs on this botocore
    ours = load(os.path.dirname(botocore.__file__), "service-2")
    their_pages = load(bundled, "paginators-1")["pagination"]

    def closure(model, name, out):
        if name in out:
            return
        shape = out[name] = model["shapes"][name]
        for member in shape.get("members", {}).values():
            closure(model, member["shape"], out)
        for key in ("member", "key", "value"):
            if key in shape:
                closure(model, shape[key]["shape"], out)

    def strip(d):
        if isinstance(d, dict):
            return {k: strip(v) for k, v in d.items() if k != "documentation"}
        return d

    def signature(model, op):
        shapes = {}
        for key in ("input", "output"):
            if key in model["operations"][op]:
                closure(model, model["operations"][op][key]["shape"], shapes)
        return strip(model["operations"][op]), strip(shapes)

    out = {}
    for op in PAGINATORS:
        if op not in theirs["operations"] or their_pages.get(op) != PAGINATORS[op] or \
                signature(theirs, op) != signature(ours, op):
            # the output members botocore has and aws's botocore lacks, when
            # that is all that differs (else None: no comparison possible)
            newer = None
            if op in theirs["operations"] and their_pages.get(op) == PAGINATORS[op] and \
                    strip(theirs["operations"][op]) == strip(ours["operations"][op]):
                our_shapes, their_shapes = signature(ours, op)[1], signature(theirs, op)[1]
                newer = set()
                for name, shape in our_shapes.items():
                    if name not in their_shapes:
                        continue   # a shape only a newer member uses
                    mine = dict(shape, members={})
                    other = dict(their_shapes.get(name, {}), members={})
                    if strip(mine) != strip(other):
                        newer = None
                        break
                    theirs_members = their_shapes.get(name, {}).get("members", {})
                    for member, ref in shape.get("members", {}).items():
                        if member not in theirs_members:
                            newer.add(member)
                        elif strip(ref) != strip(theirs_members[member]):
                            newer = None
                            break
                    if newer is None:
                        break
            out[op] = newer
    return out


AWS_MODEL_DIFFERS = _aws_model_differences()


def _result_key(cmd):
    rk = PAGINATORS[COMMANDS[cmd]]["result_key"]
    return rk[0] if isinstance(rk, list) else rk


def _page_size_args(cmd, n):
    """--page-size n where it pages: when the operation has a limit key that
    is not itself named pageSize (aws turns paging off for a member argument
    it shadows, as for the marker operations' pageSize)."""
    limit = PAGINATORS[COMMANDS[cmd]].get("limit_key")
    if limit is None or xform_name(limit, "-") == "page-size":
        return []
    return ["--page-size", str(n)]


def _cli_value(shape, value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if shape.type_name in ("structure", "map", "list"):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _cli_args(cmd, params):
    """boto3 keyword arguments as `aws iot <cmd>` arguments."""
    members = MODEL.operation_model(COMMANDS[cmd]).input_shape.members
    out = []
    for name, value in params.items():
        shape = members[name]
        flag = "--" + xform_name(name, "-")
        if shape.type_name == "boolean":
            out.append(flag if value else "--no-" + flag[2:])
        else:
            out += [flag, _cli_value(shape, value)]
    return out


@pytest.fixture(scope="module")
def aws_cmd():
    return _aws_command()


@pytest.fixture(scope="module")
def server():
    srv = ModelServer(n_items=N_ITEMS, seed=3, credentials=(AK, SK, TOKEN), deterministic=True,
                      default_page_size=PAGE)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    d = tmp_path_factory.mktemp("awshome-all")
    (d / "config").write_text(
        "[default]\n\n"
        "[profile isotime]\nregion = us-east-1\ncli_timestamp_format = iso8601\n\n"
        "[profile textout]\nregion = us-east-1\noutput = text\n")
    (d / "credentials").write_text("".join(
        f"[{name}]\naws_access_key_id = {AK}\naws_secret_access_key = {SK}\n"
        f"aws_session_token = {TOKEN}\n\n" for name in ("isotime", "textout")))
    (d / "job-id.txt").write_text("jobId x/y:z+\u00e9", encoding="utf-8")
    return d


def _both(aws_cmd, env, cmd, args):
    a = _run(aws_cmd + ["iot", cmd] + args, env)
    b = _run(IOTPAGER + [cmd] + args, env)
    return a, b


def _cases(server, home):
    """name -> (command, arguments)"""
    cases = {}
    for cmd in JSON_COMMANDS:
        cases[f"json:{cmd}"] = (cmd, _cli_args(cmd, server.example_input(COMMANDS[cmd])))
    for cmd in SUBSET:
        req = _cli_args(cmd, server.example_input(COMMANDS[cmd]))
        rk = _result_key(cmd)
        page = _page_size_args(cmd, 4)
        cases[f"text-page-size:{cmd}"] = (cmd, req + ["--output", "text"] + page)
        # every optional input member too (booleans, structures, timestamps)
        cases[f"table-options:{cmd}"] = (
            cmd, _cli_args(cmd, server.example_input(COMMANDS[cmd], optional=True))
            + ["--output", "table"])
        cases[f"max-items:{cmd}"] = (cmd, req + ["--max-items", "13"] + page)
        cases[f"no-paginate-query:{cmd}"] = (
            cmd, req + ["--no-paginate", "--query", f"{{n: length({rk}), first: {rk}[0]}}"])
    ejob = _cli_args("list-job-executions-for-job",
                     server.example_input("ListJobExecutionsForJob"))
    cert = "c0ffee" * 11   # deviceCertificateId: at least 64 characters
    cases.update({
        "query-text:list-things": ("list-things", ["--query", "things[].[thingName, version]",
                                                   "--output", "text", "--page-size", "6"]),
        "query:list-certificates": ("list-certificates",
                                    ["--query",
                                     "{n: length(certificates), last: certificates[-1]}"]),
        # --page-size is the marker operations' own limit key too: aws turns
        # paging off and sends pageSize once
        "marker-page-size-alone:list-policies": ("list-policies", ["--page-size", "5",
                                                                   "--no-ascending-order"]),
        "shorthand:list-audit-findings": (
            "list-audit-findings",
            ["--resource-identifier",
             f"deviceCertificateId={cert},account=123456789012,"
             "policyVersionIdentifier={policyName=p1,policyVersionId=7}",
             "--max-items", "3"]),
        "file-value:list-job-executions-for-job": (
            "list-job-executions-for-job",
            ["--job-id", "file://" + str(home / "job-id.txt"), "--output", "text",
             "--region", "us-east-1", "--no-verify-ssl", "--cli-read-timeout", "20",
             "--cli-connect-timeout", "5"]),
        "iso8601:list-job-executions-for-job": (
            "list-job-executions-for-job", ejob + ["--profile", "isotime", "--max-items", "5"]),
        "profile-output:list-things": ("list-things", ["--profile", "textout",
                                                       "--max-items", "4"]),
        # failures
        "missing-required:list-job-executions-for-job": ("list-job-executions-for-job", []),
        "missing-required:list-thing-registration-task-reports": (
            "list-thing-registration-task-reports", ["--task-id", "t"]),
        "invalid-int:list-things": ("list-things", ["--max-results", "abc"]),
        "invalid-min:list-things": ("list-things", ["--max-results", "0"]),
        "invalid-page-size:list-policies": ("list-policies", ["--page-size", "x"]),
        "invalid-enum:list-job-executions-for-job": (
            "list-job-executions-for-job", ejob + ["--status", "BOGUS"]),
        "invalid-json:list-audit-findings": ("list-audit-findings",
                                             ["--resource-identifier", "{\"account\": "]),
        "unknown-option:list-certificates": ("list-certificates", ["--bogus-flag", "1"]),
        # argparse's error first; a missing profile only fails later
        "missing-required-and-profile:list-principal-things": ("list-principal-things",
                                                               ["--profile", "nope"]),
        "missing-profile:list-things": ("list-things", ["--profile", "nope"]),
        "no-paginate-max-items:list-tags-for-resource": (
            "list-tags-for-resource", ["--resource-arn", "a", "--no-paginate",
                                       "--max-items", "2"]),
    })
    return cases


_FAILING_PREFIXES = ("missing-", "invalid-", "unknown-option", "no-paginate-max-items")


def _resume_args(cmd, server):
    return (_cli_args(cmd, server.example_input(COMMANDS[cmd]))
            + ["--max-items", "100", "--output", "text"])


@pytest.fixture(scope="module")
def matrix(aws_cmd, server, home):
    """Every case's (aws, iotpager) results; then, for the subset, the second
    leg of the max-items listing: each CLI resumes with the other's
    NextToken (under "resume:<command>")."""
    env = _base_env(home)
    cases = _cases(server, home)
    ep = ["--endpoint-url", server.endpoint_url]

    def run_case(name):
        cmd, args = cases[name]
        return _both(aws_cmd, env, cmd, ep + args)

    def resume(cmd, results):
        (_, out_a, _), (_, out_b, _) = results[f"max-items:{cmd}"]
        try:
            token_a, token_b = json.loads(out_a)["NextToken"], json.loads(out_b)["NextToken"]
        except (ValueError, KeyError):
            return None   # test_matrix / test_matrix_sanity say why
        args = ep + _resume_args(cmd, server)
        a = _run(aws_cmd + ["iot", cmd] + args + ["--starting-token", token_b], env)
        b = _run(IOTPAGER + [cmd] + args + ["--starting-token", token_a], env)
        return a, b

    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {name: pool.submit(run_case, name) for name in cases}
        results = {name: f.result() for name, f in futures.items()}
        futures = {f"resume:{cmd}": pool.submit(resume, cmd, results) for cmd in SUBSET}
        results.update({name: f.result() for name, f in futures.items()})
    return results


_MISC_CASES = [
    "query-text:list-things", "query:list-certificates", "marker-page-size-alone:list-policies",
    "shorthand:list-audit-findings", "file-value:list-job-executions-for-job",
    "iso8601:list-job-executions-for-job", "profile-output:list-things",
    "missing-required:list-job-executions-for-job",
    "missing-required:list-thing-registration-task-reports", "invalid-int:list-things",
    "invalid-min:list-things", "invalid-page-size:list-policies",
    "invalid-enum:list-job-executions-for-job", "invalid-json:list-audit-findings",
    "unknown-option:list-certificates", "no-paginate-max-items:list-tags-for-resource",
    "missing-required-and-profile:list-principal-things", "missing-profile:list-things"]
_ALL_CASES = sorted(
    [f"json:{c}" for c in JSON_COMMANDS]
    + [f"{k}:{c}" for c in SUBSET
       for k in ("text-page-size", "table-options", "max-items", "no-paginate-query")]
    + _MISC_CASES)


def test_command_list():
    """The list is the model's (64 at the time of writing), every subset
    command is in it, and the case names above cover the matrix."""
    assert len(COMMANDS) >= 60
    assert "list-things" in COMMANDS and "list-jobs" in COMMANDS
    assert set(SUBSET) <= set(COMMANDS)


def _skip_if_aws_model_differs(cmd):
    if COMMANDS[cmd] in AWS_MODEL_DIFFERS:
        pytest.skip(f"aws runs on awscli's bundled botocore, whose model of {COMMANDS[cmd]} "
                    "differs from botocore's (which the server and iotpager use)")


def _without(value, names):
    """value with the dict keys in names removed, at every depth."""
    if isinstance(value, dict):
        return {k: _without(v, names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [_without(v, names) for v in value]
    return value


@pytest.mark.parametrize("name", _ALL_CASES)
def test_matrix(name, matrix):
    cmd = name.split(":", 1)[1]
    a, b = matrix[name]
    newer = AWS_MODEL_DIFFERS.get(COMMANDS[cmd], set()) if cmd in COMMANDS else set()
    if COMMANDS.get(cmd) in AWS_MODEL_DIFFERS and name.startswith("json:") and newer:
        # aws's botocore lacks some output members: iotpager's output less
        # those members must be aws's, and it must have them
        (rc_a, out_a, err_a), (rc_b, out_b, err_b) = a, b
        assert (rc_a, err_a) == (rc_b, err_b), name
        got = json.loads(out_b)
        assert _without(got, newer) == json.loads(out_a), name
        assert _without(got, newer) != got, (name, "the newer members are not in the output")
        return
    _skip_if_aws_model_differs(cmd)
    _assert_same(name, a, b)


def test_matrix_sanity(matrix, server):
    """The cases exercise what they claim (and aws itself succeeds or fails
    as intended), so equal outputs are not equal failures."""
    assert set(matrix) == set(_ALL_CASES) | {f"resume:{c}" for c in SUBSET}
    assert set(SUBSET).isdisjoint(AWS_MODEL_DIFFERS)
    for name, ((rc, out, err), _b) in matrix.items():
        if name.startswith(_FAILING_PREFIXES):
            assert rc != 0 and err, name
        else:
            assert rc == 0 and out, (name, rc, err[:300])
    for cmd in JSON_COMMANDS:
        op = COMMANDS[cmd]
        rc, out, _ = matrix[f"json:{cmd}"][1]   # iotpager's: the server's items
        assert json.loads(out)[_result_key(cmd)] == server.items(op), cmd
    for cmd in SUBSET:
        rk = _result_key(cmd)
        data = json.loads(matrix[f"max-items:{cmd}"][0][1])
        assert len(data[rk]) == 13 and "NextToken" in data, cmd
        data = json.loads(matrix[f"no-paginate-query:{cmd}"][0][1])
        assert data["n"] == PAGE and data["first"] == server.items(COMMANDS[cmd])[0], cmd
        assert COMMANDS[cmd].encode() in matrix[f"table-options:{cmd}"][0][1], cmd
    data = json.loads(matrix["marker-page-size-alone:list-policies"][0][1])
    assert len(data["policies"]) == 5 and "nextMarker" in data
    assert json.loads(matrix["query:list-certificates"][0][1])["n"] == N_ITEMS
    text = matrix["text-page-size:list-thing-registration-task-reports"][0][1]
    assert text.count(b"RESOURCELINKS") == N_ITEMS and b"ERRORS" in text
    assert len(matrix["query-text:list-things"][0][1].splitlines()) == N_ITEMS
    iso = json.loads(matrix["iso8601:list-job-executions-for-job"][0][1])
    assert "T" in iso["executionSummaries"][0]["jobExecutionSummary"]["queuedAt"]
    assert matrix["profile-output:list-things"][0][1].startswith(b"THINGS\t")
    assert b"usage:" in matrix["missing-required:list-job-executions-for-job"][0][2]
    assert matrix["missing-required:list-job-executions-for-job"][0][0] == 2
    assert matrix["missing-required-and-profile:list-principal-things"][0][0] == 2
    assert b"could not be found" in matrix["missing-profile:list-things"][0][2]
    assert b"InvalidRequestException" in matrix["invalid-enum:list-job-executions-for-job"][0][2]
    requests = [r for r in server.requests if r.get("operation") == "ListAuditFindings"
                and (r.get("input") or {}).get("resourceIdentifier", {}).get("account")
                == "123456789012"]
    assert len(requests) == 2   # shorthand: aws's and iotpager's, the same input
    assert requests[0]["input"] == requests[1]["input"]
    assert requests[0]["input"]["resourceIdentifier"]["policyVersionIdentifier"] == \
        {"policyName": "p1", "policyVersionId": "7"}


# ---------------------------------------------------------------------------
# Resume tokens, both ways between the CLIs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cmd", SUBSET)
def test_resume_with_the_other_clis_token(cmd, matrix, server):
    """--max-items' NextToken (equal bytes from both CLIs) resumes the
    listing in either CLI (text output), and the two legs are the whole
    listing."""
    _skip_if_aws_model_differs(cmd)
    (_, out_a, _), (_, out_b, _) = matrix[f"max-items:{cmd}"]
    token_a, token_b = json.loads(out_a)["NextToken"], json.loads(out_b)["NextToken"]
    assert token_a == token_b
    decoded = json.loads(base64.b64decode(token_a))
    assert set(decoded) <= {"nextToken", "marker", "boto_truncate_amount"}
    a, b = matrix[f"resume:{cmd}"]
    _assert_same(f"resume {cmd}", a, b)
    assert a[0] == 0 and b"NextToken" not in a[1]
    # the first leg is the listing's start, the second its rest: one
    # "<RESULT KEY>\t..." text line per item
    rk = _result_key(cmd)
    assert json.loads(out_a)[rk] == server.items(COMMANDS[cmd])[:13]
    lines = a[1].decode("utf-8").split("\n")
    assert sum(line.startswith(rk.upper() + "\t") for line in lines) == N_ITEMS - 13


# ---------------------------------------------------------------------------
# Without subprocesses: awscli's own argument tables and parsers
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def awscli_commands():
    from awscli.clidriver import create_clidriver

    return create_clidriver()._get_command_table()["iot"]._get_command_table()


def _awscli_row(arg):
    model = getattr(arg, "argument_model", None)
    kind = type(arg).__name__
    return (arg.name, kind, bool(arg.required),
            model.type_name if model is not None and kind in ("CLIArgument", "ListArgument",
                                                               "BooleanArgument") else None,
            getattr(arg, "_serialized_name", None) if kind != "PageArgument"
            else arg._serialized_name)


_KINDS = {"_MemberArg": "CLIArgument", "_BoolArg": "BooleanArgument", "_PageArg": "PageArgument",
          "_CliInputJsonArg": "CliInputJSONArgument", "_SkeletonArg": "GenerateCliSkeletonArgument"}


def _iotpager_row(arg):
    kind = _KINDS[type(arg).__name__]
    if kind == "CLIArgument" and arg.argument_model.type_name == "list":
        kind = "ListArgument"
    model = arg.argument_model if kind in ("CLIArgument", "ListArgument",
                                           "BooleanArgument") else None
    return (arg.name, kind, bool(arg.required), model.type_name if model is not None else None,
            arg.serialized_name)


def _actions(parser):
    out = []
    for a in parser._actions:
        out.append((tuple(a.option_strings), a.dest, a.nargs, a.const, a.default,
                    getattr(a.type, "__name__", a.type), a.choices and list(a.choices),
                    a.required, type(a).__name__))
    return out


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_argument_table_and_parser_are_awscli(cmd, awscli_commands):
    from iotpager import _cli_ops

    op = awscli_commands[cmd]
    ours, shadowed, _tokens = _cli_ops.argument_table(
        MODEL.operation_model(COMMANDS[cmd]), PAGINATORS[COMMANDS[cmd]])
    assert [_iotpager_row(a) for a in ours.values()] == \
        [_awscli_row(a) for a in op.arg_table.values()]
    assert list(ours) == list(op.arg_table)
    theirs = op._create_operation_parser(op.arg_table)
    op._add_help(theirs)
    assert _actions(_cli_ops._ArgTableParser(ours)) == _actions(theirs)
    # the member arguments a paging argument hides (--page-size of the
    # marker operations), restored by --no-paginate as awscli restores them
    limit = PAGINATORS[COMMANDS[cmd]].get("limit_key")
    assert set(shadowed) == ({"page-size"} if limit == "pageSize" else set())


# ---------------------------------------------------------------------------
# Without awscli: shorthand refused for its argument only, JSON still works
# ---------------------------------------------------------------------------

_NO_AWSCLI = (
    "import sys\n"
    "sys.modules['awscli'] = None   # import awscli raises ImportError\n"
    "from iotpager._cli import main\n"
    "code = main(sys.argv[1:])\n"
    "assert 'awscli' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]\n"
    "sys.exit(code)\n"
)


def test_without_awscli(aws_cmd, server, home):
    env = _base_env(home)
    ep = ["--endpoint-url", server.endpoint_url]
    as_json = ["list-audit-findings"] + ep + [
        "--resource-identifier", '{"account": "123456789012"}', "--check-name", "c",
        "--max-items", "4", "--output", "text"]
    a = _run(aws_cmd + ["iot"] + as_json, env)
    b = _run([sys.executable, "-c", _NO_AWSCLI] + as_json, env)
    _assert_same("without awscli: JSON", a, b)
    assert a[0] == 0 and a[1]
    shorthand = ["list-audit-findings"] + ep + ["--resource-identifier", "account=123456789012"]
    rc, out, err = _run([sys.executable, "-c", _NO_AWSCLI] + shorthand, env)
    assert rc == 255 and out == b""
    assert err.startswith(b"\nError parsing parameter '--resource-identifier': the shorthand "
                          b"syntax needs awscli"), err
    # and with awscli, the same shorthand is aws's
    _assert_same("with awscli: shorthand", _run(aws_cmd + ["iot"] + shorthand, env),
                 _run(IOTPAGER + shorthand, env))

