"""`iotpager list-jobs` against `aws iot list-jobs` (awscli v1), byte for byte.

Both CLIs run as subprocesses against the same deterministic local endpoint
(ListJobsServer, SigV4-verifying), with the same environment: credentials
from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, config
and credentials files in a temporary folder, AWS_PAGER="", TZ fixed,
instance metadata disabled. For every case stdout must be identical bytes,
and so must stderr (its first line is checked on its own first, to give a
readable failure) and the exit code. The only normalization: request dates
and signatures inside the InvalidSignatureException message (the server
echoes the canonical request, which has the signing time in it).

The cases that do not change server state run in parallel (a thread pool,
aws CLI start-up being ~0.5 s per call); the scripted ones (errors, retries)
one CLI after the other, each with its own script.

Plus, without subprocesses: the JSON, text and table formatters against
awscli's own on generated data (awscli is only imported here, never by
iotpager), and a check that the CLI does not import boto3 or awscli.
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import sysconfig

import pytest

pytest.importorskip("awscli")

import iotpager  # noqa: E402
from iotpager.testing import ListJobsServer  # noqa: E402

AK = "AKIDCLITEST000000001"
SK = "cli/secret+key=0123456789"
TOKEN = "cli-session/token+with=stuff=="
N_JOBS = 130          # three pages of the server's default 50; DST-edge timestamps included
TIMEOUT = 120


def _aws_command():
    script = os.path.join(sysconfig.get_path("scripts"), "aws")
    if not os.path.isfile(script):
        script = shutil.which("aws")
    if script is None:
        pytest.skip("the aws CLI (awscli v1) is not installed")
    with open(script, "rb") as f:
        head = f.read(2)
    if head == b"#!":
        try:
            with open(script, "r", encoding="utf-8") as f:
                first = f.readline()
            if "python" in first and "bash" not in first:
                return [sys.executable, script]   # skip shims; same interpreter
        except UnicodeDecodeError:
            pass
    return [script]


IOTPAGER = [sys.executable, "-m", "iotpager"]
_PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(iotpager.__file__)))


@pytest.fixture(scope="module")
def aws_cmd():
    return _aws_command()


@pytest.fixture(scope="module")
def server():
    srv = ListJobsServer(n_jobs=N_JOBS, credentials=(AK, SK, TOKEN), deterministic=True)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Config and credentials files: an empty default, and named profiles."""
    d = tmp_path_factory.mktemp("awshome")
    (d / "config").write_text(
        "[default]\n"
        "\n"
        "[profile withregion]\n"
        "region = us-east-1\n"
        "output = text\n"
        "\n"
        "[profile tableout]\n"
        "region = us-east-1\n"
        "output = table\n"
        "\n"
        "[profile isotime]\n"
        "region = us-east-1\n"
        "cli_timestamp_format = iso8601\n"
        "\n"
        "[profile standard]\n"
        "region = us-east-1\n"
        "retry_mode = standard\n"
        "\n"
        "[profile filecreds]\n"
        "region = us-east-1\n"
    )
    # an explicit --profile turns the environment's credentials off, as in botocore
    (d / "credentials").write_text("".join(
        f"[{name}]\n"
        f"aws_access_key_id = {AK}\n"
        f"aws_secret_access_key = {SK}\n"
        f"aws_session_token = {TOKEN}\n\n"
        for name in ("filecreds", "withregion", "isotime", "standard")))
    (d / "tokenfile").write_text("not-a-token")
    return d


def _base_env(home):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in (
               "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
               "all_proxy", "NO_PROXY", "no_proxy", "PYTHONDEVMODE", "PYTHONWARNINGS")}
    env.update({
        "AWS_ACCESS_KEY_ID": AK,
        "AWS_SECRET_ACCESS_KEY": SK,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_PAGER": "",
        "AWS_EC2_METADATA_DISABLED": "true",
        "TZ": "America/New_York",
        "LC_ALL": "C.UTF-8",
        "COLUMNS": "80",
    })
    pp = env.get("PYTHONPATH")
    env["PYTHONPATH"] = _PKG_PARENT + (os.pathsep + pp if pp else "")
    return env


def _run(cmd, env):
    if cmd[0] != sys.executable or "-m" not in cmd:
        # the aws CLI: no sanitizer preloads (it does not load iotpager)
        env = {k: v for k, v in env.items()
               if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    r = subprocess.run(cmd, env=env, capture_output=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout, r.stderr


_DATE = re.compile(rb"\d{8}T\d{6}Z")
_SIG = re.compile(rb"[0-9a-f]{64}")
_SCOPE = re.compile(rb"/\d{8}/")


def _normalize_signature_message(data):
    data = _DATE.sub(b"<DATE>", data)
    data = _SCOPE.sub(b"/<DAY>/", data)
    return _SIG.sub(b"<SIG>", data)


def _assert_same(name, a, b, normalize=None):
    (ra, oa, ea), (rb, ob, eb) = a, b
    if normalize is not None:
        oa, ob, ea, eb = (normalize(x) for x in (oa, ob, ea, eb))
    first_a = ea.split(b"\n", 1)[0]
    first_b = eb.split(b"\n", 1)[0]
    assert first_b == first_a, f"{name}: stderr's first line\naws:      {first_a!r}\niotpager: {first_b!r}"
    assert ob == oa, (f"{name}: stdout\naws:      {oa[:2000]!r}\niotpager: {ob[:2000]!r}\n"
                      f"stderr aws: {ea[:500]!r}\nstderr iotpager: {eb[:500]!r}")
    assert eb == ea, f"{name}: stderr\naws:      {ea[:3000]!r}\niotpager: {eb[:3000]!r}"
    assert rb == ra, f"{name}: exit code aws {ra}, iotpager {rb}; stderr {ea[:500]!r}"


# ---------------------------------------------------------------------------
# The parallel matrix
# ---------------------------------------------------------------------------

def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


GROUP = "fleet:eu-west-1:sensors"
GROUP_ID = "7f3c2a10-4b5e-4c1d-9e8f-0a1b2c3d4e5f"

# name -> (arguments after "list-jobs", environment changes, {"endpoint": False} ...)
CASES = {
    "default-json": ([], {}),
    "status": (["--status", "COMPLETED"], {}),
    "target-selection": (["--target-selection", "SNAPSHOT", "--output", "text"], {}),
    "thing-group-name": (["--thing-group-name", GROUP], {}),
    "thing-group-id": (["--thing-group-id", GROUP_ID, "--output", "table"], {}),
    "namespace-id": (["--namespace-id", "customer_ns-1", "--status", "COMPLETED"], {}),
    "max-items": (["--max-items", "7"], {}),
    "max-items-page-size-text": (["--max-items", "45", "--page-size", "20", "--output", "text"], {}),
    "no-paginate": (["--no-paginate"], {}),
    "max-results": (["--max-results", "3", "--output", "table"], {}),
    "text": (["--output", "text"], {}),
    "table": (["--output", "table"], {}),
    "table-color": (["--output", "table", "--color", "on", "--max-items", "4"], {}),
    "query-scalar": (["--query", "length(jobs)"], {}),
    "query-projection": (["--query", "jobs[].jobId", "--output", "text", "--page-size", "40"], {}),
    "query-multiselect-table": (
        ["--query", "jobs[?status=='COMPLETED'].[jobId, createdAt, isConcurrent]",
         "--output", "table"], {}),
    "query-invalid": (["--query", "jobs[?status=="], {}),
    "profile-region-output": (["--profile", "withregion"], {"AWS_DEFAULT_REGION": None}),
    "env-profile-table": (["--max-items", "3"], {"AWS_PROFILE": "tableout",
                                                 "AWS_DEFAULT_REGION": None}),
    "env-output": (["--max-items", "3"], {"AWS_DEFAULT_OUTPUT": "text"}),
    "iso8601-profile": (["--profile", "isotime", "--max-items", "60"], {}),
    "credentials-file": (["--profile", "filecreds", "--max-items", "9"], {}),
    "standard-retry-mode-client-path": (["--profile", "standard", "--max-items", "9"], {}),
    "bad-credentials": ([], {"AWS_SECRET_ACCESS_KEY": "wrong-secret"}),
    "no-credentials": ([], {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
                            "AWS_SESSION_TOKEN": None}),
    # aws v1 reads AWS_DEFAULT_REGION only, not AWS_REGION
    "no-region": (["--page-size", "5"], {"AWS_DEFAULT_REGION": None, "AWS_REGION": "us-east-1"}),
    "missing-profile": (["--profile", "nope"], {}),
    "status-bogus": (["--status", "BOGUS"], {}),
    "page-size-0": (["--page-size", "0"], {}),
    "max-items-abc": (["--max-items", "abc"], {}),
    "unknown-flag": (["--bogus-flag", "x"], {}),
    "starting-token-garbage": (["--starting-token", "garbage"], {}),
    "no-paginate-with-max-items": (["--no-paginate", "--max-items", "3"], {}),
    "connection-refused": (["--endpoint-url", "http://127.0.0.1:{closed}"],
                           {"AWS_MAX_ATTEMPTS": "2"}),
}


@pytest.fixture(scope="module")
def matrix(aws_cmd, server, home):
    env0 = _base_env(home)
    closed = _closed_port()

    def run_case(name):
        args, changes = CASES[name]
        env = dict(env0)
        for k, v in changes.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        args = [a.replace("{closed}", str(closed)) for a in args]
        if "--endpoint-url" not in args:
            args = ["--endpoint-url", server.endpoint_url] + args
        a = _run(aws_cmd + ["iot", "list-jobs"] + args, env)
        b = _run(IOTPAGER + ["list-jobs"] + args, env)
        return a, b

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(run_case, name) for name in CASES}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_matrix(name, matrix):
    a, b = matrix[name]
    normalize = _normalize_signature_message if name == "bad-credentials" else None
    _assert_same(name, a, b, normalize)


_FAILING = {"query-invalid", "bad-credentials", "no-credentials", "no-region",
            "missing-profile", "status-bogus", "page-size-0", "max-items-abc", "unknown-flag",
            "starting-token-garbage", "no-paginate-with-max-items", "connection-refused"}


def test_matrix_sanity(matrix):
    """The matrix exercises what it claims to."""
    for name, ((rc, out, err), _b) in matrix.items():
        if name in _FAILING:
            assert rc != 0, name
        else:
            assert rc == 0 and out and not err, (name, rc, err[:300])
    rc, out, _ = matrix["default-json"][0]
    assert rc == 0 and len(json.loads(out)["jobs"]) == N_JOBS
    # timestamps as sent: ints stay ints, 1698541200.0 stays a float
    assert b'"createdAt": 1698541200.0' in out or N_JOBS < 64
    assert b"NextToken" in matrix["max-items"][0][1]
    assert matrix["bad-credentials"][0][2].count(b"InvalidSignatureException") == 1
    assert b"Could not connect" in matrix["connection-refused"][0][2]
    assert b"1970" not in matrix["iso8601-profile"][0][1]
    assert b"T" in json.loads(matrix["iso8601-profile"][0][1])["jobs"][0]["createdAt"].encode()
    assert matrix["profile-region-output"][0][1].startswith(b"JOBS\t")
    assert matrix["table-color"][0][1].count(b"\x1b[0m") > 10


# ---------------------------------------------------------------------------
# Resume tokens, both ways between the CLIs
# ---------------------------------------------------------------------------

def _token_of(out):
    return json.loads(out)["NextToken"]


def test_resume_tokens_both_ways(aws_cmd, server, home):
    env = _base_env(home)
    ep = ["--endpoint-url", server.endpoint_url]
    first = ["--max-items", "55", "--page-size", "20"]
    a1 = _run(aws_cmd + ["iot", "list-jobs"] + ep + first, env)
    b1 = _run(IOTPAGER + ["list-jobs"] + ep + first, env)
    _assert_same("resume: first run", a1, b1)
    token = _token_of(a1[1])
    decoded = json.loads(base64.b64decode(token))
    assert decoded["boto_truncate_amount"] == 15   # mid-page: a truncation amount in the token

    # each CLI resumes with the other's token (the tokens are equal bytes, too)
    assert _token_of(b1[1]) == token
    second = ["--max-items", "50", "--page-size", "20"]
    a2 = _run(aws_cmd + ["iot", "list-jobs"] + ep + second + ["--starting-token", _token_of(b1[1])], env)
    b2 = _run(IOTPAGER + ["list-jobs"] + ep + second + ["--starting-token", token], env)
    _assert_same("resume: second leg, tokens swapped", a2, b2)
    # the third leg, text output, resumes with the second leg's tokens, swapped again
    third = ["--output", "text"]
    a3 = _run(aws_cmd + ["iot", "list-jobs"] + ep + third + ["--starting-token", _token_of(b2[1])], env)
    b3 = _run(IOTPAGER + ["list-jobs"] + ep + third + ["--starting-token", _token_of(a2[1])], env)
    _assert_same("resume: third leg, text", a3, b3)
    assert len(a3[1].splitlines()) == N_JOBS - 105
    # the legs put together are the whole listing
    jobs = json.loads(a1[1])["jobs"] + json.loads(a2[1])["jobs"]
    assert [j["jobId"] for j in jobs] == [j["jobId"] for j in server.public_jobs()[:105]]


# ---------------------------------------------------------------------------
# Scripted server errors and retries (one CLI after the other)
# ---------------------------------------------------------------------------

SCRIPTED = {
    # name: (arguments, script, environment changes)
    "service-error-400": ([], [{"error": "InvalidRequestException", "status": 400,
                                "message": "Scripted failure: bad request"}], {}),
    "throttled-then-ok": (["--max-items", "3"],
                          [{"error": "ThrottlingException", "status": 400,
                            "message": "Rate exceeded"}], {}),
    "server-error-exhausted": ([], [{"error": "InternalFailure", "status": 500,
                                     "message": "boom"}] * 2, {"AWS_MAX_ATTEMPTS": "2"}),
    "html-503-exhausted": ([], [{"status": 503, "body": b"<html>down</html>"}] * 2,
                           {"AWS_MAX_ATTEMPTS": "2"}),
    "error-on-second-page-text": (["--output", "text"],
                                  [{"pass": True},
                                   {"error": "ResourceNotFoundException", "status": 404,
                                    "message": "gone"}], {}),
    "not-json-error": (["--no-paginate"], [{"status": 400, "body": b"not json at all"}], {}),
    # transport failures, no retries: the messages name botocore's request URL
    "read-timeout": (["--cli-read-timeout", "1", "--status", "COMPLETED"], [{"stall": 3}],
                     {"AWS_MAX_ATTEMPTS": "1"}),
    "reset-mid-body": (["--output", "text"], [{"reset": "mid_body"}], {"AWS_MAX_ATTEMPTS": "1"}),
    # the botocore-client path (retry_mode = standard): botocore's own retry handlers
    "standard-mode-exhausted": (["--profile", "standard"],
                                [{"error": "ServiceUnavailableException", "status": 503,
                                  "message": "try later"}] * 2, {"AWS_MAX_ATTEMPTS": "2"}),
}


@pytest.fixture(scope="module")
def scripted_server():
    srv = ListJobsServer(n_jobs=N_JOBS, credentials=(AK, SK, TOKEN), deterministic=True)
    srv.start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("name", list(SCRIPTED))
def test_scripted(name, aws_cmd, scripted_server, home):
    args, script, changes = SCRIPTED[name]
    env = _base_env(home)
    env.update(changes)
    args = ["--endpoint-url", scripted_server.endpoint_url] + args
    results = []
    for cmd in (aws_cmd + ["iot", "list-jobs"], IOTPAGER + ["list-jobs"]):
        scripted_server.clear_script()
        scripted_server.script(*script)
        results.append(_run(cmd + args, env))
        assert scripted_server.pending_script == 0, f"{cmd[:3]} left scripted actions unused"
    scripted_server.clear_script()
    _assert_same(name, results[0], results[1])
    expect = {
        "server-error-exhausted": b"(reached max retries: 1)",
        "standard-mode-exhausted": b"(reached max retries: 1)",
        "read-timeout": b'Read timeout on endpoint URL: "http://',
        "reset-mid-body": b"Connection was closed before we received a valid response",
    }.get(name)
    if name == "throttled-then-ok":
        assert results[0][0] == 0 and json.loads(results[0][1])["jobs"]
    if expect is not None:
        assert expect in results[0][2], results[0][2]


# ---------------------------------------------------------------------------
# Formatters against awscli's own, without subprocesses
# ---------------------------------------------------------------------------

def _random_value(rng, depth=0):
    kind = rng.random()
    if depth < 3 and kind < 0.15:
        return {_random_key(rng): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if depth < 3 and kind < 0.3:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return rng.choice([
        None, True, False, 0, -3, 1698541200, 1698541200.0, 1565385476.285, 1e-7, 2.5e20,
        float("nan"), float("inf"), "", "plain", "tab\tand\nnewline", 'quote " \\ slash',
        "é ✓ 🚀", "全角テキスト", "a},\n            {b", "ÄÖÜ ambiguous ±", "\x00\x1f"])


def _random_key(rng):
    return rng.choice(["jobId", "a", "B", "zeta", "é", "nextToken", "x y", "jobs", "1"])


def _jobs_like(rng, n):
    jobs = []
    for i in range(n):
        job = {"jobArn": f"arn:aws:iot:us-east-1:1:job/j{i}", "jobId": f"j{i}é✓"}
        if rng.random() < 0.8:
            job["createdAt"] = rng.choice([1698541200, 1698541200.0, 1565385476.285])
        if rng.random() < 0.5:
            job["isConcurrent"] = rng.random() < 0.5
        if rng.random() < 0.1:
            job["weird"] = rng.choice(["},\n            {", None, "全角"])
        jobs.append(job)
    return jobs


def _structures():
    rng = random.Random(7)
    out = [{}, [], {"jobs": []}, {"jobs": [{}]}, {"jobs": _jobs_like(rng, 40)},
           {"jobs": _jobs_like(rng, 5), "NextToken": "abc"}, [1, [2, 3], {"a": [4]}],
           "scalar", 12, None, {"jobs": [{"a": 1}, {"b": [1, 2]}, {"c": {"d": 1}}]},
           [[1, 2], [3, 4]], [{"a": 1}, 2, [3]]]
    out += [_random_value(rng) for _ in range(300)]
    out += [{"jobs": [_random_value(rng) for _ in range(rng.randint(1, 6))]} for _ in range(100)]
    return out


def test_json_formatter_matches_json_dumps():
    from awscli.utils import json_encoder

    from iotpager._cli import _json_text

    for data in _structures() + _hostile_structures():
        expected = json.dumps(data, indent=4, default=json_encoder, ensure_ascii=False)
        assert _json_text(data) == expected, data


def _hostile_structures():
    import collections
    import datetime

    class Str(str):
        pass

    class Int(int):
        pass

    class Float(float):
        pass

    class List(list):
        pass

    deep = []
    node = deep
    for _ in range(200):
        node.append([])
        node = node[0]
    return [
        {1: "int key", None: "none key", True: "bool key", 2.5: "float key", "s": [1]},
        {"a": collections.OrderedDict(b=1, a=2)}, List([1, 2]), {"l": List()},
        "lone \ud800 surrogate", {"k": ["\udfff"]}, {"\ud800": 1},
        [2**64, -2**63, 2**63 - 1, -2**63 - 1, 10**40, -0, 0.0, -0.0, 1e16, 1.5e-310],
        [float("-inf"), 1e308 * 10, Float(2.5), Int(7), Str("sub"), True, False],
        ["\x7f", "\u2028\u2029", "\x1b[0m", "\x00", "\x08\x0c", "\ud7ff\ue000\U0010ffff"],
        {"createdAt": datetime.datetime(2024, 3, 1, 12, 0, 0, 123456,
                                        tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))},
        [datetime.datetime(1970, 1, 1), b"\x00\xffbytes", (1, (2, [3])), ()],
        {"jobs": [{"jobId": "x" * 100_000, "e": {}, "l": []}]},
        deep,
    ]


def test_json_formatter_c_encoder_falls_back_only_where_documented():
    """_core.awscli_json hands back NotImplemented exactly for a non-str key
    or a dict/list subclass; everything else (lone surrogates included) it
    encodes itself, so the fast path is the one tested above."""
    import collections

    from iotpager import _core
    from iotpager._cli import _json_default

    fallback = [{1: 2}, {"a": {None: 1}}, collections.OrderedDict(a=1), [collections.OrderedDict()],
                type("L", (list,), {})([1])]
    for data in fallback:
        assert _core.awscli_json(data, _json_default) is NotImplemented, data
    for data in _structures() + ["\ud800", {"\udfff": ["\ud83d\ude00"]}]:
        assert _core.awscli_json(data, _json_default) is not NotImplemented, data


def test_json_formatter_errors_as_json_dumps():
    from awscli.utils import json_encoder

    from iotpager import _core
    from iotpager._cli import _json_text

    for bad in [object(), {"a": [1, {1, 2}]}, {"x": complex(1, 2)}]:
        with pytest.raises(TypeError) as ours:
            _json_text(bad)
        with pytest.raises(TypeError) as theirs:
            json.dumps(bad, indent=4, default=json_encoder, ensure_ascii=False)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError):
        _core.awscli_json({}, None)   # default must be callable
    with pytest.raises(TypeError):
        _core.awscli_json({})
    nested = []
    for _ in range(100_000):
        nested = [nested]
    with pytest.raises(RecursionError):
        _core.awscli_json(nested, json_encoder)


def test_text_formatter_matches_awscli():
    import io

    from awscli import text

    from iotpager._cli import _text_out

    class Stream:
        def __init__(self):
            self.buf = []

        def write(self, s):
            self.buf.append(s)

    for data in _structures():
        expected = io.StringIO()
        try:
            text.format_text(data, expected)
        except Exception as e:   # awscli fails on it: so must iotpager, the same way
            with pytest.raises(type(e)) as info:
                _text_out(data, Stream())
            assert str(info.value) == str(e)
            continue
        got = Stream()
        _text_out(data, got)
        assert "".join(got.buf) == expected.getvalue(), data


@pytest.mark.parametrize("color", ["off", "on"])
def test_table_formatter_matches_awscli(color, monkeypatch):
    import argparse
    import io

    from awscli.formatter import TableFormatter

    import iotpager._cli as cli

    class Recorder:
        def __init__(self):
            self.parts = []

        def write(self, s):
            self.parts.append(s)
            if color == "on":
                self.parts.append("\x1b[0m")   # colorama's autoreset

        def flush(self):
            pass

    for data in _structures():
        if not isinstance(data, (dict, list)):
            continue
        expected = io.StringIO()
        fmt = TableFormatter(argparse.Namespace(query=None, color="off"))
        if color == "on":
            from awscli.table import ColorizedStyler, MultiTable

            # awscli's own colorized table, without colorama's stdout wrapper
            fmt.table = MultiTable(initial_section=False, column_separator="|",
                                   styler=ColorizedStyler.__new__(ColorizedStyler))

            class Autoreset(io.StringIO):
                def write(self, s):
                    super().write(s)
                    super().write("\x1b[0m")

            expected = Autoreset()
        try:
            fmt("ListJobs", json.loads(json.dumps(data, default=str)), stream=expected)
        except Exception as e:  # awscli's table cannot render it either
            with pytest.raises(type(e)):
                got = cli._Formatter("table", None, color)
                monkeypatch.setattr(cli, "_Stdout", lambda autoreset=False: Recorder())
                got("ListJobs", json.loads(json.dumps(data, default=str)), False)
            continue
        rec = Recorder()
        monkeypatch.setattr(cli, "_Stdout", lambda autoreset=False, rec=rec: rec)
        got = cli._Formatter("table", None, color)
        got("ListJobs", json.loads(json.dumps(data, default=str)), False)
        assert "".join(rec.parts) == expected.getvalue(), data


# ---------------------------------------------------------------------------
# Start-up: no boto3, no awscli
# ---------------------------------------------------------------------------

def test_cli_imports_neither_boto3_nor_awscli(server, home):
    env = _base_env(home)
    code = (
        "import sys, runpy\n"
        "sys.argv = ['iotpager', 'list-jobs', '--endpoint-url', %r, '--max-items', '2']\n"
        "try:\n"
        "    runpy.run_module('iotpager', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'awscli', 's3transfer'))\n"
        "sys.stderr.write('MODULES:%%s\\n' %% bad)\n" % server.endpoint_url
    )
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                       timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert b"MODULES:[]" in r.stderr, r.stderr
    assert json.loads(r.stdout)["jobs"]
