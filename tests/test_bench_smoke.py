"""Smoke test of the benchmark: `python bench/bench.py --quick` runs and prints its tables.

No timing assertions here: the speed goals are judged by the benchmark itself
(bench/bench.py prints them, met or not), never by the test suite.

--quick uses nginx when it is installed and otherwise falls back to the
Python servers (ListJobsServer for the ListJobs scenarios a-c, ModelServer
for d and e); the second case forces that fallback so it is exercised on
machines that do have nginx. To keep the suite quick it runs only b (the
ListJobsServer, with its added latency), d and e (ModelServer, with and
without timestamps), and only where nginx is installed: elsewhere the first
case, which runs every scenario, already ran them all on the Python servers.

The last tests check, without boto3 in the worker, that a listing which does
not deliver the served items fails the worker instead of being timed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.path.join(os.path.dirname(HERE), "bench")
BENCH = os.path.join(BENCH_DIR, "bench.py")
WORKER = os.path.join(BENCH_DIR, "worker.py")

RESULT_KEYS = {"list_jobs": "jobs", "list_job_executions_for_job": "executionSummaries",
               "list_things": "things"}
OPS = {"a": "list_jobs", "b": "list_jobs", "c": "list_jobs", "d": "list_job_executions_for_job",
       "e": "list_things"}
TIMESTAMPED = {"a", "b", "c", "d"}  # e (ListThings) has no timestamps: no tz=utc run, no json_dt floor


@pytest.mark.parametrize("server", ["auto", "python"])
def test_bench_quick_runs_and_prints_tables(server, tmp_path):
    out_json = tmp_path / "bench.json"
    cmd = [sys.executable, BENCH, "--quick", "--server", server, "--json", str(out_json)]
    names = ["a", "b", "c", "d", "e"]
    if server == "python":
        names = ["b", "d", "e"]
        for n in names:
            cmd += ["--scenario", n]
    if server == "python" and not _load_bench()._which_nginx():
        pytest.skip("no nginx here: the 'auto' case already ran every scenario on the Python servers")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"stdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-5000:]}"
    out = r.stdout
    for name in names:
        assert f"### Scenario ({name})" in out, out
    n = len(names)
    assert out.count("| run | wall ms | CPU ms | peak RSS MB |") == n, out
    assert out.count("| boto3 paginator |") == n, out
    assert out.count("| iotpager |") == n, out
    assert out.count("| iotpager tz=utc |") == len(TIMESTAMPED & set(names)), out
    assert out.count("| floor: raw fetch (http.client") == n, out
    assert out.count("| floor: json.loads (bytes in memory) |") == n, out
    assert out.count("| floor: json.loads + UTC datetimes |") == len(TIMESTAMPED & set(names)), out
    assert "boto3/iotpager wall" in out
    assert "n/a (--quick" in out  # targets are not judged on tiny sizes
    if "d" in names:
        assert "iotpager >= 40x faster than boto3 (wall)" in out
    if "e" in names:
        assert "iotpager >= 15x faster than boto3 (wall)" in out
    assert out.count("memory: iotpager peak RSS <= boto3 peak RSS") == n

    report = json.loads(out_json.read_text())
    assert set(report["scenarios"]) == set(names)
    if server == "python":
        assert report["server"] == "python"
        assert "ModelServer" in report["scenarios"]["d"]["server"]
    for name, sc in report["scenarios"].items():
        assert sc["config"]["op"] == OPS[name]
        want = sc["config"]["items"]
        modes = ["boto3", "iotpager", "raw", "json"] + (["iotpager_utc", "json_dt"] if name in TIMESTAMPED
                                                         else [])
        for mode in modes:
            runs = sc["runs"][mode]
            assert runs and all(run["items"] == want for run in runs), (name, mode)
        if name not in TIMESTAMPED:
            assert "json_dt" not in sc["runs"] and "iotpager_utc" not in sc["runs"]
        # every client and floor that kept the items listed the same ones
        digests = {run["digest"] for mode in modes if mode != "raw" for run in sc["runs"][mode]}
        assert len(digests) == 1, (name, digests)


def _load_bench():
    spec = importlib.util.spec_from_file_location("iotpager_bench_under_test", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_digest_sees_content():
    bench = _load_bench()
    for op, make in (("list_job_executions_for_job", bench.make_executions), ("list_things", bench.make_things)):
        items = make(50, 0)
        assert items == make(50, 0)  # deterministic
        want = bench.W.digest(op, items)
        assert bench.W.digest(op, items[:-1]) != want
        assert bench.W.digest(op, items[1:] + items[:1]) != want
        changed = json.loads(json.dumps(items))
        if op == "list_things":
            assert all(len(t["attributes"]) == 5 for t in items)
            changed[7]["attributes"]["site"] += "x"
        else:
            changed[7]["jobExecutionSummary"]["executionNumber"] += 1
        assert bench.W.digest(op, changed) != want


def test_bench_worker_refuses_a_wrong_listing(tmp_path):
    """The json floor's worker (no boto3 import: quick) against the Python
    ModelServer: it passes with the served items and fails, before printing a
    result, when the count or the items differ."""
    bench = _load_bench()
    cfg = dict(op="list_things", items=300, page_size=250, latency=0.0, rounds=1)
    items = bench.scenario_items("list_things", cfg["items"])
    server = bench.ModelPythonServer("list_things", items, cfg["page_size"]).start()
    env = bench._worker_env(bench._iotpager_path())
    try:
        def run(**over):
            spec = bench.worker_spec("json", server.endpoint_url, cfg, None, bench.W.digest("list_things", items))
            spec.update(over)
            return subprocess.run([sys.executable, WORKER, json.dumps(spec)], capture_output=True, text=True,
                                  env=env, timeout=120, stdin=subprocess.DEVNULL)

        ok = run()
        assert ok.returncode == 0, ok.stderr
        res = json.loads(ok.stdout.strip().splitlines()[-1])
        assert res["items"] == 300 and res["pages"] == 2
        bad = run(expect_digest=bench.W.digest("list_things", items[:299] + items[:1]))
        assert bad.returncode != 0 and "differ from the served ones" in bad.stderr, bad.stderr
        assert not bad.stdout.strip()
        short = run(expect_items=301)
        assert short.returncode != 0 and "expected 301 items" in short.stderr, short.stderr
    finally:
        server.stop()
