"""Smoke test of the benchmark: `python bench/bench.py --quick` runs and prints its tables.

No timing assertions here: the speed goals are judged by the benchmark itself
(bench/bench.py prints them, met or not), never by the test suite.

--quick uses nginx when it is installed and otherwise falls back to the
Python ListJobsServer; the second case forces that fallback so it is
exercised on machines that do have nginx.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "bench.py")


@pytest.mark.parametrize("server", ["auto", "python"])
def test_bench_quick_runs_and_prints_tables(server, tmp_path):
    out_json = tmp_path / "bench.json"
    r = subprocess.run(
        [sys.executable, BENCH, "--quick", "--server", server, "--json", str(out_json)],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 0, f"stdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-5000:]}"
    out = r.stdout
    for scenario in ("(a)", "(b)", "(c)"):
        assert f"### Scenario {scenario}" in out, out
    assert out.count("| run | wall ms | CPU ms | peak RSS MB |") == 3, out
    assert out.count("| boto3 paginator |") == 3, out
    assert out.count("| iotpager |") == 3, out
    assert out.count("| floor: raw fetch (http.client") == 3, out
    assert out.count("| floor: json.loads (bytes in memory) |") == 3, out
    assert "boto3/iotpager wall" in out
    assert "n/a (--quick" in out  # targets are not judged on tiny sizes

    report = json.loads(out_json.read_text())
    assert set(report["scenarios"]) == {"a", "b", "c"}
    if server == "python":
        assert report["server"] == "python"
    for name, sc in report["scenarios"].items():
        want = sc["config"]["jobs"]
        for mode in ("boto3", "iotpager", "raw", "json", "json_dt"):
            runs = sc["runs"][mode]
            assert runs and all(run["jobs"] == want for run in runs), (name, mode)
