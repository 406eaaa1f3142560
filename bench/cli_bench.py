"""`aws iot list-jobs` vs `iotpager list-jobs`: whole-process wall time (a measurement, not a test).

    python bench/cli_bench.py                  # one page + 100,000 jobs
    python bench/cli_bench.py --quick          # small sizes, few runs: a smoke run
    python bench/cli_bench.py --runs 9 --big-runs 3 --json out.json

Two listings, against a local endpoint serving the same pages as
bench/bench.py (nginx with static page files when installed; else the Python
ListJobsServer):

  one page   GET /jobs?maxResults=100 -> 100 jobs, no nextToken
  100k       100,000 jobs, --page-size 250 (400 requests)

Each run is a fresh process, as a user would start it, timed from spawn to
exit (stdout to /dev/null, output json, the default): the aws CLI (the
installed awscli v1 script, run with this interpreter) and iotpager's CLI
(`python -m iotpager`; the `iotpager` console script runs the same code).
Both read credentials from the environment and talk to the same endpoint.
Runs alternate between the two CLIs after one unrecorded warm-up each; the
report gives medians, the best run and the ratio of medians. Targets: >= 3x
on one page, >= 10x on 100k (printed, met or not; nothing is asserted).

Before timing, the two CLIs' outputs for the one-page listing are compared
byte for byte (and the 100k listing's job count is checked), so the numbers
are for equal work.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_bench():
    spec = importlib.util.spec_from_file_location("iotpager_bench", os.path.join(HERE, "bench.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _aws_command():
    script = os.path.join(sysconfig.get_path("scripts"), "aws")
    if not os.path.isfile(script):
        script = shutil.which("aws")
    if script is None:
        raise SystemExit("cli_bench: the aws CLI (awscli v1) is not installed (pip install awscli)")
    with open(script, "rb") as f:
        first = f.readline()
    if first.startswith(b"#!") and b"python" in first and b"bash" not in first:
        return [sys.executable, script]   # the script itself, not a version-manager shim
    return [script]


def _env(bench, pkg_parent, home):
    env = bench._worker_env(pkg_parent)
    for k in list(env):
        if k.startswith("AWS_") or k in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
            env.pop(k)
    # a user's interpreter: buffered stdout, byte-code caches (kept out of the
    # source tree, in a prefix folder that the warm-up runs fill for both CLIs)
    for k in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONDEVMODE", "PYTHONWARNINGS"):
        env.pop(k, None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(home, "pycache")
    env.update({
        "AWS_ACCESS_KEY_ID": "AKIDBENCH0000000000",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.path.join(home, "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "credentials"),
        "AWS_PAGER": "",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def _cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _time(cmd, env, stdout=subprocess.DEVNULL):
    """(wall s, CPU s of the child, stdout). Runs are sequential, so the
    children's rusage delta is this child's user + system time."""
    c0 = _cpu()
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=3600)
    wall = time.perf_counter() - t0
    cpu = _cpu() - c0
    if r.returncode != 0:
        raise SystemExit(f"cli_bench: {' '.join(cmd)} failed ({r.returncode}):\n"
                         f"{r.stderr.decode(errors='replace')[-2000:]}")
    return wall, cpu, r.stdout


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="2,000 jobs instead of 100,000; 3 runs")
    p.add_argument("--runs", type=int, default=None, help="timed runs per CLI, one page (default 9)")
    p.add_argument("--big-runs", type=int, default=None,
                   help="timed runs per CLI, 100k listing (default 3)")
    p.add_argument("--server", choices=("auto", "nginx", "python"), default="auto")
    p.add_argument("--json", help="write every measurement here")
    args = p.parse_args(argv)

    bench = _load_bench()
    n_big = 2_000 if args.quick else 100_000
    runs = args.runs or (3 if args.quick else 9)
    big_runs = args.big_runs or (1 if args.quick else 3)
    pkg_parent = bench._iotpager_path()
    aws = _aws_command()
    iot = [sys.executable, "-m", "iotpager"]

    tmp = tempfile.mkdtemp(prefix="iotpager-cli-bench-")
    bench._CLEANUPS.append(lambda: shutil.rmtree(tmp, ignore_errors=True))
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    env = _env(bench, pkg_parent, home)

    nginx = None if args.server == "python" else bench.find_nginx(install=False)
    if args.server == "nginx" and not nginx:
        raise SystemExit("cli_bench: nginx is not installed")
    try:
        if nginx:
            root = os.path.join(tmp, "pages")
            bench.generate_pages(root, 100, 100)        # one page: root/100/t.json
            bench.generate_pages(root, n_big, 250)      # the big listing: root/250/...
            server = bench.NginxServer(nginx, root, os.path.join(tmp, "nginx")).start()
            small_ep = big_ep = server.endpoint_url
            kind = "nginx static files"
        else:
            small = bench.PythonServer(100, 100).start()
            server = bench.PythonServer(n_big, 250).start()
            small_ep, big_ep = small.endpoint_url, server.endpoint_url
            kind = "Python ListJobsServer"
        listings = {
            "one page (100 jobs)": (small_ep, ["--page-size", "100"], runs),
            f"{n_big:,} jobs, page size 250": (big_ep, ["--page-size", "250"], big_runs),
        }

        # equal work: same bytes for one page, same job count for the big listing
        for label, (ep, extra, _n) in listings.items():
            a = _time(aws + ["iot", "list-jobs", "--endpoint-url", ep] + extra, env,
                      stdout=subprocess.PIPE)[2]
            b = _time(iot + ["list-jobs", "--endpoint-url", ep] + extra, env,
                      stdout=subprocess.PIPE)[2]
            if a != b:
                raise SystemExit(f"cli_bench: {label}: the two CLIs printed different output")
            print(f"cli_bench: {label}: outputs identical ({len(a):,} bytes, "
                  f"{len(json.loads(a)['jobs']):,} jobs)", file=sys.stderr, flush=True)

        results = {}
        for label, (ep, extra, n) in listings.items():
            times = {"aws": [], "iotpager": []}
            cpus = {"aws": [], "iotpager": []}
            for _round in range(n):
                for name, cmd in (("aws", aws + ["iot", "list-jobs"]), ("iotpager", iot + ["list-jobs"])):
                    wall, cpu, _ = _time(cmd + ["--endpoint-url", ep] + extra, env)
                    times[name].append(wall)
                    cpus[name].append(cpu)
                print(f"cli_bench: {label}: round {_round + 1}/{n}: aws {times['aws'][-1]:.3f} s, "
                      f"iotpager {times['iotpager'][-1]:.3f} s", file=sys.stderr, flush=True)
            results[label] = {"wall": times, "cpu": cpus}
    finally:
        bench._run_cleanups()

    targets = {0: 3.0, 1: 10.0}
    print(f"\n### `aws iot list-jobs` vs `iotpager list-jobs` ({kind}, whole process, "
          f"stdout to /dev/null)\n")
    print("| listing | runs | aws median s | iotpager median s | aws best s | iotpager best s "
          "| aws/iotpager (wall) | aws CPU s | iotpager CPU s | aws/iotpager (CPU) | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for i, (label, res) in enumerate(results.items()):
        times, cpus = res["wall"], res["cpu"]
        ma, mb = statistics.median(times["aws"]), statistics.median(times["iotpager"])
        ca, cb = statistics.median(cpus["aws"]), statistics.median(cpus["iotpager"])
        ratio = ma / mb
        target = targets[i]
        if args.quick and i == 1:
            verdict = "n/a (--quick)"
        else:
            verdict = f">= {target:g}x (wall): {'met' if ratio >= target else 'NOT met'}"
        print(f"| {label} | {len(times['aws'])} | {ma:.3f} | {mb:.3f} | {min(times['aws']):.3f} "
              f"| {min(times['iotpager']):.3f} | {ratio:.1f}x | {ca:.3f} | {cb:.3f} "
              f"| {ca / cb:.1f}x | {verdict} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"server": kind, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
