"""iotpager vs boto3: the listing benchmark (ListJobs, issue #4; other operations, issue #12).

    python bench/bench.py                 # full run, all scenarios (a few minutes)
    python bench/bench.py --quick         # tiny sizes, 1 round: a smoke run
    python bench/bench.py --scenario a --rounds 7 --json out.json

Scenarios (the same generated pages for every client and floor):

  a  ListJobs, 100,000 jobs, PageSize 250, no added latency  (nginx, static files)
  b  ListJobs,  10,000 jobs, PageSize 250, 20 ms per request (nginx + echo_sleep,
                                                     or ListJobsServer(latency=0.02))
  c  ListJobs,  20,000 jobs, PageSize  50, no added latency  (nginx, static files)
  d  ListJobExecutionsForJob (GET /jobs/{jobId}/things), 100,000 executions
     of one job, PageSize 250, no added latency              (nginx, static files)
  e  ListThings (GET /things), 50,000 things with 5 attributes each,
     PageSize 250, no added latency                          (nginx, static files)

Pages. ListJobs pages are pre-generated from iotpager.testing.server.make_jobs(n, 0),
rendered exactly as ListJobsServer renders them (public_job, compact JSON,
UTF-8). The items of (d) and (e) come from make_executions() and make_things()
below: every member of botocore's output shapes JobExecutionSummaryForJob
(thingArn, jobExecutionSummary {status from the model's enum, queuedAt /
startedAt / lastUpdatedAt as epoch seconds with up to 3 decimals, startedAt
absent while QUEUED, executionNumber, retryAttempt}) and ThingAttribute
(thingName, thingTypeName on 90%, thingArn, attributes: 5 string pairs,
version), compact JSON in model order. In every page the nextToken is a plain
"p000250" (the offset) and comes last, so nginx maps
GET <path>?maxResults=N&nextToken=T to the file <root>/N/tT.json with
try_files (<path>: /jobs, /jobs/<BENCH_JOB_ID>/things or /things). nginx (Debian's nginx-light; installed with apt-get when missing
and running as root) runs as a non-daemon, single-process child on 127.0.0.1
with its own prefix in a temporary folder, access_log off, keep-alive, and an
x-amzn-RequestId header. The 20 ms delay of scenario b is nginx's echo module
(libnginx-mod-http-echo, which nginx-light pulls in): echo_sleep 0.02, then an
internal redirect to the same static file. Without the echo module, scenario b
falls back to iotpager's ListJobsServer(latency=0.02). --quick (or --server
python) works without nginx: scenarios a-c then use ListJobsServer, and d and
e iotpager.testing's ModelServer serving the same generated items (its own
opaque tokens, so only the byte counts differ from nginx's pages).

Measurements. Every run is a fresh process (bench/worker.py) that times only
the listing (imports and client setup reported apart): wall (perf_counter),
client CPU (getrusage RUSAGE_SELF user+sys, all threads) and peak RSS (the
process's VmHWM: ru_maxrss would do, except that Linux carries it across
execve, so a spawned child starts at this driver's RSS). Every client keeps
all the items in a list, as build_full_result() would, and every run checks
the item count, the page count and a digest of the items' content against
the served items (worker.digest), so a broken listing fails instead of
looking fast. Rounds are interleaved:
boto3, iotpager, iotpager tz=utc, then the floors, per round, after one
unrecorded warm-up. Tables give medians (and the best wall); ratios are the
medians' ratios from this same run, with the range of the per-round paired
ratios beside them. Each scenario also says how much CPU other processes on
the machine used meanwhile (from /proc/stat less this driver's own and its
children's), since that is what makes the wall times noisy.

Floors: raw fetch (http.client, one keep-alive connection, bytes read and
dropped), raw fetch with the curl CLI (libcurl, URLs known in advance; nginx
only), json.loads of the same bodies held in memory, and json.loads plus UTC
datetimes for the three timestamp fields (not for (e): things have no
timestamps, so (e) has neither that floor nor the iotpager tz=utc run).

Other options: --json OUT (every measurement), --server auto|nginx|python,
--serve SCENARIO (start that scenario's server only and print one worker
command per mode, e.g. to run one under `perf record`). The environment
variable IOTPAGER_BENCH_NGINX=/path/to/nginx picks an nginx binary, or "none"
to act as if none were installed.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as _dt
import importlib.util
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORKER = os.path.join(HERE, "worker.py")
ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"
LATENCY_S = 0.020
WORKER_TIMEOUT_S = 600

# The job whose executions scenario d lists (a URI label: [a-zA-Z0-9_-]+, so
# botocore sends it as is and nginx's exact location matches it).
BENCH_JOB_ID = "ota-fw-2024-06-rollout"
OP_PARAMS = {"list_job_executions_for_job": {"jobId": BENCH_JOB_ID}}

SCENARIOS = {
    # name: (operation, items, page size, added latency per request, rounds)
    "a": dict(op="list_jobs", items=100_000, page_size=250, latency=0.0, rounds=7),
    "b": dict(op="list_jobs", items=10_000, page_size=250, latency=LATENCY_S, rounds=5),
    "c": dict(op="list_jobs", items=20_000, page_size=50, latency=0.0, rounds=7),
    "d": dict(op="list_job_executions_for_job", items=100_000, page_size=250, latency=0.0, rounds=7),
    "e": dict(op="list_things", items=50_000, page_size=250, latency=0.0, rounds=7),
}
QUICK = {
    "a": dict(op="list_jobs", items=2_000, page_size=250, latency=0.0, rounds=1),
    "b": dict(op="list_jobs", items=600, page_size=250, latency=LATENCY_S, rounds=1),
    "c": dict(op="list_jobs", items=500, page_size=50, latency=0.0, rounds=1),
    "d": dict(op="list_job_executions_for_job", items=1_000, page_size=250, latency=0.0, rounds=1),
    "e": dict(op="list_things", items=600, page_size=250, latency=0.0, rounds=1),
}
TITLES = {
    "a": "(a) ListJobs, {items:,} jobs, PageSize {page_size}, no added latency",
    "b": "(b) ListJobs, {items:,} jobs, PageSize {page_size}, 20 ms added per request",
    "c": "(c) ListJobs, {items:,} jobs, PageSize {page_size}, no added latency",
    "d": "(d) ListJobExecutionsForJob, {items:,} executions, PageSize {page_size}, no added latency",
    "e": "(e) ListThings, {items:,} things with 5 attributes each, PageSize {page_size}, "
         "no added latency",
}

CLIENT_MODES = ("boto3", "iotpager", "iotpager_utc")
FLOOR_MODES = ("raw", "curl", "json", "json_dt")
TZ_MODES = ("iotpager_utc", "json_dt")  # only for operations whose items have timestamps
LABELS = {
    "boto3": "boto3 paginator",
    "iotpager": "iotpager",
    "iotpager_utc": "iotpager tz=utc",
    "raw": "floor: raw fetch (http.client, 1 conn, no parsing)",
    "curl": "floor: raw fetch (curl CLI, URLs known)",
    "json": "floor: json.loads (bytes in memory)",
    "json_dt": "floor: json.loads + UTC datetimes",
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def _load_worker():
    """bench/worker.py as a module: its OPS table and digest()."""
    spec = importlib.util.spec_from_file_location("iotpager_bench_worker", WORKER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


W = _load_worker()


def scenario_modes(op):
    """The runs of a scenario of this operation, in the interleaving order."""
    modes = list(CLIENT_MODES) + list(FLOOR_MODES)
    if W.OPS[op]["timestamps"] is None:
        modes = [m for m in modes if m not in TZ_MODES]
    return modes


# --------------------------------------------------------------------------
# Cleanup: every server this script starts is registered here and stopped at
# exit (try/finally in main, atexit, and SIGTERM turned into SystemExit).
# --------------------------------------------------------------------------

_CLEANUPS = []


def _run_cleanups():
    while _CLEANUPS:
        fn = _CLEANUPS.pop()
        try:
            fn()
        except Exception as e:  # keep stopping the others
            log(f"cleanup error: {e!r}")


atexit.register(_run_cleanups)


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


# --------------------------------------------------------------------------
# Machine description
# --------------------------------------------------------------------------

def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist):
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "?"


def _git_rev():
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("+dirty" if dirty else "") if rev else "?"
    except Exception:
        return "?"


def machine_info(nginx_path):
    info = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": platform.machine(),  # = uname -m
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "boto3": _version("boto3"),
        "botocore": _version("botocore"),
        "iotpager_commit": _git_rev(),
        "nginx": None,
        "curl": None,
    }
    if nginx_path:
        r = subprocess.run([nginx_path, "-v"], capture_output=True, text=True, env=_clean_env())
        info["nginx"] = (r.stderr or r.stdout).strip().replace("nginx version: ", "")
    curl = shutil.which("curl")
    if curl:
        r = subprocess.run([curl, "--version"], capture_output=True, text=True, env=_clean_env())
        info["curl"] = r.stdout.split("\n", 1)[0].split(" (")[0]
    return info


# --------------------------------------------------------------------------
# Processes' environments
# --------------------------------------------------------------------------

def _clean_env():
    """The environment for nginx and curl: no sanitizer preloads."""
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env.pop(k, None)
    return env


def _iotpager_path():
    """The folder to put on the workers' PYTHONPATH, in this order: where
    `import iotpager` resolves through PYTHONPATH (e.g. the sanitizer build),
    else this checkout's python/ folder when it holds an in-place build, else
    wherever `import iotpager` resolves (an installed package)."""
    spec = importlib.util.find_spec("iotpager")
    found = (os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))
             if spec is not None and spec.origin else None)
    pp = [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if found and found in pp:
        return found
    local = os.path.join(REPO, "python")
    if any(f.startswith("_core.") and f.endswith(".so")
           for f in os.listdir(os.path.join(local, "iotpager"))):
        return local
    if found:
        return found
    raise SystemExit("bench: cannot import iotpager; run it with the venv's python, "
                     "\"$(bash examples/run.sh python)\" bench/bench.py, after "
                     "bash examples/run.sh test (or demo) has made the venv")


def _worker_env(pkg_parent):
    env = dict(os.environ)
    pp = env.get("PYTHONPATH")
    env["PYTHONPATH"] = pkg_parent + (os.pathsep + pp if pp else "")
    for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(k, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.pop("PYTHONDEVMODE", None)
    return env


# --------------------------------------------------------------------------
# Page files
# --------------------------------------------------------------------------

def token_for(offset):
    return f"p{offset:06d}"


ACCOUNT = "123456789012"
_EXEC_STATUSES = ("QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED", "REMOVED",
                  "CANCELED")
_EXEC_WEIGHTS = (8, 6, 72, 5, 4, 1, 1, 3)
_DEVICE_KINDS = ("sensor", "gateway", "meter", "camera", "tracker", "thermostat")
_THING_TYPES = ("TemperatureSensor", "EdgeGateway", "SmartMeter", "IpCamera", "AssetTracker",
                "Thermostat_v2")
_SITES = ("plant-01", "plant-07", "dc-fra-2", "warehouse-11", "store-0423", "lab-east")
_OWNERS = ("ops-team", "facilities", "logistics", "retail-it", "r.and.d")


def _epoch(rng, value):
    """Epoch seconds as AWS IoT sends them: mostly <= 3 decimals, some integral."""
    if rng.random() < 0.1:
        return int(value)
    return round(int(value) + rng.randint(1, 999) / 1000.0, 3)


def make_executions(n, seed=0):
    """``n`` ListJobExecutionsForJob items (JobExecutionSummaryForJob, wire
    form) of one job rolled out to a fleet: one execution per thing."""
    rng = random.Random(f"iotpager-bench-executions/{seed}")
    job_start = 1717243200  # 2024-06-01T12:00:00Z
    out = []
    for i in range(n):
        kind = _DEVICE_KINDS[rng.randrange(len(_DEVICE_KINDS))]
        status = rng.choices(_EXEC_STATUSES, weights=_EXEC_WEIGHTS)[0]
        queued = job_start + rng.uniform(0, 6 * 3600)
        summary = {"status": status, "queuedAt": _epoch(rng, queued)}
        updated = queued
        if status not in ("QUEUED", "CANCELED", "REMOVED") or (status != "QUEUED" and rng.random() < 0.3):
            started = queued + rng.uniform(1, 4 * 3600)
            summary["startedAt"] = _epoch(rng, started)
            updated = started + rng.uniform(0, 2 * 3600)
        summary["lastUpdatedAt"] = _epoch(rng, max(updated, queued))
        summary["executionNumber"] = rng.choice((1, 1, 1, 1, 2, 3)) if status != "QUEUED" else 1
        summary["retryAttempt"] = rng.randint(1, 3) if status in ("FAILED", "TIMED_OUT") and \
            rng.random() < 0.5 else 0
        out.append({"thingArn": f"arn:aws:iot:us-east-1:{ACCOUNT}:thing/{kind}-{i:06d}",
                    "jobExecutionSummary": summary})
    return out


def make_things(n, seed=0):
    """``n`` ListThings items (ThingAttribute, wire form), 5 attributes each."""
    rng = random.Random(f"iotpager-bench-things/{seed}")
    hexd = "0123456789ABCDEF"
    out = []
    for i in range(n):
        t = rng.randrange(len(_THING_TYPES))
        name = f"{_DEVICE_KINDS[t]}-{i:06d}"
        thing = {"thingName": name}
        if rng.random() < 0.9:
            thing["thingTypeName"] = _THING_TYPES[t]
        thing["thingArn"] = f"arn:aws:iot:us-east-1:{ACCOUNT}:thing/{name}"
        thing["attributes"] = {
            "site": _SITES[rng.randrange(len(_SITES))],
            "firmware": f"{rng.randint(1, 4)}.{rng.randint(0, 12)}.{rng.randint(0, 30)}",
            "serial": "SN" + "".join(rng.choice(hexd) for _ in range(10)),
            "owner": _OWNERS[rng.randrange(len(_OWNERS))],
            "installedAt": f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        }
        thing["version"] = rng.randint(1, 40)
        out.append(thing)
    return out


def scenario_items(op, n):
    """The items (wire-form dicts, in serving order) of a scenario of ``op``."""
    if op == "list_jobs":
        from iotpager.testing.server import make_jobs, public_job

        return [public_job(j) for j in make_jobs(n, 0)]
    if op == "list_job_executions_for_job":
        return make_executions(n, 0)
    if op == "list_things":
        return make_things(n, 0)
    raise ValueError(op)


def _wire(items):
    dump = json.dumps
    return [dump(it, separators=(",", ":"), ensure_ascii=False).encode("utf-8") for it in items]


def write_pages(root, wire, page_size, result_key):
    """Write <root>/<page_size>/t<token>.json, pages of the rendered items
    ``wire``; return a manifest dict."""
    n = len(wire)
    d = os.path.join(root, str(page_size))
    os.makedirs(d, exist_ok=True)
    pages = 0
    total = 0
    tokens = [""]
    head = b'{"' + result_key.encode() + b'":['
    for off in range(0, max(n, 1), page_size):
        end = min(off + page_size, n)
        body = head + b",".join(wire[off:end]) + b"]"
        if end < n:
            body += b',"nextToken":"' + token_for(end).encode() + b'"'
            tokens.append(token_for(end))
        body += b"}"
        name = "t.json" if off == 0 else f"t{token_for(off)}.json"
        with open(os.path.join(d, name), "wb") as f:
            f.write(body)
        pages += 1
        total += len(body)
    return {"items": n, "pages": pages, "bytes": total, "tokens": tokens}


def generate_pages(root, n_jobs, page_size):
    """ListJobs pages of make_jobs(n_jobs, 0): write <root>/<page_size>/t<token>.json;
    return a manifest dict."""
    m = write_pages(root, _wire(scenario_items("list_jobs", n_jobs)), page_size, "jobs")
    m["jobs"] = n_jobs
    return m


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _which_nginx():
    forced = os.environ.get("IOTPAGER_BENCH_NGINX")
    if forced is not None:  # a path, or "none" to act as if nginx were not installed
        return None if forced in ("", "none") else forced
    return shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx") or None


def find_nginx(install):
    path = _which_nginx()
    if path or not install:
        return path
    if os.environ.get("IOTPAGER_BENCH_NGINX") is not None:
        raise SystemExit("bench: IOTPAGER_BENCH_NGINX=none: nginx is needed for the full benchmark "
                         "(use --quick or --server python for the Python server fallback)")
    if os.geteuid() != 0:
        raise SystemExit("bench: nginx is needed for the full benchmark and is not installed; run\n"
                         "    sudo apt-get install -y nginx-light\n"
                         "(or use --quick / --server python for the Python server fallback)")
    log("bench: installing nginx-light with apt-get ...")
    env = dict(_clean_env(), DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-qq", "nginx-light"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    path = _which_nginx()
    if not path:
        raise SystemExit(f"bench: apt-get install nginx-light failed:\n{r.stdout}\n{r.stderr}")
    return path


_NGINX_CONF = """\
{load_module}
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 1000000;
    open_file_cache max=4096 inactive=600s;
    server_tokens off;
    etag off;
    if_modified_since off;
    types {{ }}
    default_type application/json;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        error_page 404 = @notoken;
        location = {path} {{
            if ($arg_maxResults !~ "^[0-9]+$") {{ return 404; }}
            if ($arg_nextToken !~ "^[a-z0-9]*$") {{ return 404; }}
{jobs_body}
        }}
        location = /_page {{
            internal;
            add_header x-amzn-RequestId $request_id always;
            try_files /$arg_maxResults/t$arg_nextToken.json =404;
        }}
        location @notoken {{
            add_header x-amzn-RequestId $request_id always;
            add_header x-amzn-ErrorType InvalidRequestException always;
            return 400 '{{"message":"The specified nextToken is not valid."}}';
        }}
        location / {{ return 404; }}
    }}
}}
"""


def _die_with_parent():
    """In the nginx child before exec: SIGTERM it if this driver dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1
    except Exception:
        pass


class NginxServer:
    """nginx as a foreground, single-process child on 127.0.0.1, own prefix dir."""

    def __init__(self, nginx_path, root, prefix, latency=0.0, path="/jobs"):
        self.nginx = nginx_path
        self.root = root
        self.prefix = prefix
        self.latency = latency
        self.path = path  # the listing's URL path (no characters special to nginx's config)
        self.proc = None
        self.port = None
        self.endpoint_url = None
        self.kind = "nginx static files"
        if latency:
            self.kind = f"nginx static files + echo_sleep {latency:g} s"

    def _conf(self, port):
        if self.latency:
            jobs_body = (f"            echo_sleep {self.latency:g};\n"
                         "            echo_exec /_page $args;")
            load = f"load_module {ECHO_MODULE};"
        else:
            jobs_body = ("            add_header x-amzn-RequestId $request_id always;\n"
                         "            try_files /$arg_maxResults/t$arg_nextToken.json =404;")
            load = ""
        return _NGINX_CONF.format(load_module=load, prefix=self.prefix, port=port, root=self.root,
                                  path=self.path, jobs_body=jobs_body)

    def start(self):
        os.makedirs(os.path.join(self.prefix, "tmp"), exist_ok=True)
        os.makedirs(os.path.join(self.prefix, "logs"), exist_ok=True)
        conf = os.path.join(self.prefix, "nginx.conf")
        last_err = ""
        for _attempt in range(5):
            port = _free_port()
            with open(conf, "w") as f:
                f.write(self._conf(port))
            errf = open(os.path.join(self.prefix, "logs", "stderr.log"), "w+b")
            self.proc = subprocess.Popen(
                [self.nginx, "-p", self.prefix, "-c", conf, "-e", "stderr"],
                stdin=subprocess.DEVNULL, stdout=errf, stderr=errf, env=_clean_env(),
                start_new_session=True, preexec_fn=_die_with_parent)
            _CLEANUPS.append(self.stop)
            self.port = port
            self.endpoint_url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        pass
                    errf.close()
                    return self
                except OSError:
                    time.sleep(0.05)
            self.stop()
            errf.seek(0)
            last_err = errf.read().decode("utf-8", "replace")
            errf.close()
        raise SystemExit(f"bench: nginx did not start:\n{last_err}")

    def stop(self):
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        p.terminate()  # SIGTERM: fast shutdown
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


class PythonServer:
    """iotpager.testing.ListJobsServer in this process (threads), loopback only."""

    def __init__(self, n_jobs, page_size, latency=0.0):
        from iotpager.testing import ListJobsServer

        self.srv = ListJobsServer(n_jobs=n_jobs, seed=0, host="127.0.0.1", latency=latency,
                                  default_page_size=page_size, record_requests=False)
        self.kind = "Python ListJobsServer" + (f"(latency={latency:g})" if latency else "")
        self.endpoint_url = None

    def items(self):
        """The jobs served, in order (wire form)."""
        return self.srv.public_jobs()

    def start(self):
        self.srv.start()
        _CLEANUPS.append(self.stop)
        self.endpoint_url = self.srv.endpoint_url
        return self

    def stop(self):
        self.srv.stop()


class ModelPythonServer(PythonServer):
    """iotpager.testing.ModelServer in this process (threads), loopback only,
    serving ``items`` (wire-form dicts) as ``op``'s result-key items (its
    item generator is replaced by the bench's items). ModelServer's own opaque
    tokens; SigV4 not checked; requests not recorded."""

    def __init__(self, op, items, page_size, latency=0.0):
        from iotpager.testing import ModelServer

        wire = _wire(items)

        class _Server(ModelServer):
            def _generate(self, name):
                if name == self.operation_name(op):
                    return list(wire)
                return super()._generate(name)

        self.srv = _Server(n_items=0, items_per_operation={op: len(wire)}, seed=0, host="127.0.0.1",
                           latency=latency, default_page_size=page_size, record_requests=False)
        self._items = items
        self.kind = "Python ModelServer" + (f"(latency={latency:g})" if latency else "")
        self.endpoint_url = None

    def items(self):
        return self._items


# --------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------

def worker_spec(mode, endpoint, cfg, expect_bytes, expect_digest=None):
    return {
        "mode": mode,
        "endpoint": endpoint,
        "op": cfg["op"],
        "params": OP_PARAMS.get(cfg["op"], {}),
        "page_size": cfg["page_size"],
        "expect_items": cfg["items"],
        "expect_pages": max(1, math.ceil(cfg["items"] / cfg["page_size"])),
        "expect_bytes": expect_bytes,
        "expect_digest": expect_digest,
    }


def run_worker(mode, endpoint, cfg, expect_bytes, env, expect_digest=None):
    spec = worker_spec(mode, endpoint, cfg, expect_bytes, expect_digest)
    try:
        r = subprocess.run([sys.executable, WORKER, json.dumps(spec)], capture_output=True, text=True,
                           env=env, timeout=WORKER_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"bench: {mode} worker timed out after {WORKER_TIMEOUT_S} s")
    if r.returncode != 0:
        raise SystemExit(f"bench: {mode} worker failed (exit {r.returncode}):\n{r.stderr[-4000:]}")
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(f"bench: {mode} worker printed no result:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return json.loads(lines[-1])


def run_curl_measured(curl, endpoint, cfg, manifest, cfgfile, tmp):
    """Floor: the curl CLI fetching the known URLs over one keep-alive connection.
    wall = the sum of curl's per-transfer time_total (curl's start-up excluded);
    CPU and peak RSS are the whole curl process's (os.wait4), start-up included."""
    if not os.path.exists(cfgfile):
        path = W.request_path(cfg["op"], OP_PARAMS.get(cfg["op"], {}))
        with open(cfgfile, "w") as f:
            for tok in manifest["tokens"]:
                q = f"maxResults={cfg['page_size']}" + (f"&nextToken={tok}" if tok else "")
                f.write(f'url = "{endpoint}{path}?{q}"\noutput = "/dev/null"\n')
    cmd = [curl, "-s", "--http1.1", "-K", cfgfile, "-w", "%{http_code} %{size_download} %{time_total}\n"]
    outp, errp = os.path.join(tmp, "curl.out"), os.path.join(tmp, "curl.err")
    with open(outp, "wb") as fo, open(errp, "wb") as fe:
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, env=_clean_env())
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
            break
        if time.monotonic() > deadline:
            p.kill()
            p.wait()
            raise SystemExit("bench: curl timed out")
        time.sleep(0.005)
    with open(outp) as f:
        out = f.read()
    if p.returncode != 0:
        with open(errp) as f:
            raise SystemExit(f"bench: curl failed (exit {p.returncode}): {f.read()[-2000:]}")
    rows = [ln.split() for ln in out.splitlines() if ln.strip()]
    codes = {r[0] for r in rows}
    nbytes = sum(int(r[1]) for r in rows)
    if codes != {"200"} or len(rows) != manifest["pages"] or nbytes != manifest["bytes"]:
        raise SystemExit(f"bench: curl fetched {len(rows)} pages / {nbytes} bytes, codes {codes}; "
                         f"expected {manifest['pages']} / {manifest['bytes']}")
    return {
        "mode": "curl",
        "wall_s": sum(float(r[2]) for r in rows),
        "cpu_s": ru.ru_utime + ru.ru_stime,
        # not reported: ru_maxrss survives execve, so a child's value starts at
        # this driver's own RSS (see worker.py); curl's real peak is a few MB
        "peak_rss_kb": None,
        "rss_before_kb": None,
        "items": manifest["items"],
        "pages": len(rows),
        "bytes": nbytes,
        "import_s": None,
        "setup_s": None,
    }


def _cpu_snapshot():
    """(machine-wide busy CPU seconds from /proc/stat, this driver's and its reaped
    children's CPU seconds). Their difference over a scenario is the CPU that other
    processes on the machine used meanwhile: the noise the wall times carry."""
    import resource

    busy = None
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal ...
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    own = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        own += r.ru_utime + r.ru_stime
    return busy, own, time.monotonic()


def _foreign_load(before, after):
    if before[0] is None or after[0] is None:
        return None
    span = after[2] - before[2]
    foreign = (after[0] - before[0]) - (after[1] - before[1])
    return {"seconds": span, "foreign_cpu_s": max(0.0, foreign),
            "foreign_cores": max(0.0, foreign) / span if span > 0 else 0.0}


def make_server(name, cfg, use_nginx, nginx_path, tmp):
    """(server, manifest or None, expected digest of the items) for a scenario."""
    op = cfg["op"]
    if use_nginx:
        root = os.path.join(tmp, f"pages-{name}")
        t0 = time.perf_counter()
        items = scenario_items(op, cfg["items"])
        manifest = write_pages(root, _wire(items), cfg["page_size"], W.OPS[op]["result_key"])
        log(f"bench: scenario {name}: {manifest['pages']} page files, "
            f"{manifest['bytes'] / 1e6:.1f} MB, generated in {time.perf_counter() - t0:.1f} s")
        path = W.request_path(op, OP_PARAMS.get(op, {}))
        server = NginxServer(nginx_path, root, os.path.join(tmp, f"nginx-{name}"), cfg["latency"], path=path)
    elif op == "list_jobs":
        manifest = None
        server = PythonServer(cfg["items"], cfg["page_size"], cfg["latency"])
        items = server.items()
    else:
        manifest = None
        items = scenario_items(op, cfg["items"])
        server = ModelPythonServer(op, items, cfg["page_size"], cfg["latency"])
    want = W.digest(op, items)
    del items
    return server, manifest, want


def run_scenario(name, cfg, args, nginx_path, env, tmp):
    use_nginx = args.server_resolved == "nginx"
    if cfg["latency"] and use_nginx and not os.path.exists(ECHO_MODULE):
        log(f"bench: {ECHO_MODULE} missing; scenario {name} uses the Python server (latency=...)")
        use_nginx = False
    server, manifest, want_digest = make_server(name, cfg, use_nginx, nginx_path, tmp)
    snap0 = _cpu_snapshot()
    server.start()
    try:
        endpoint = server.endpoint_url
        expect_bytes = manifest["bytes"] if manifest else None
        curl = shutil.which("curl") if use_nginx else None
        modes = [m for m in scenario_modes(cfg["op"]) if m != "curl" or curl]
        cfgfile = os.path.join(tmp, f"curl-{name}.cfg")

        def one(mode):
            if mode == "curl":
                return run_curl_measured(curl, endpoint, cfg, manifest, cfgfile, tmp)
            return run_worker(mode, endpoint, cfg, expect_bytes, env, want_digest)

        # warm-up, not recorded: the server's caches (nginx open_file_cache, the
        # page cache; ListJobsServer renders and caches pages on first use, and
        # ModelServer its items)
        one("raw")
        if not args.quick:
            one("iotpager")
        runs = {m: [] for m in modes}
        rounds = cfg["rounds"]
        for r in range(rounds):
            t0 = time.perf_counter()
            for mode in modes:  # interleaved: boto3, iotpager, ..., then the next round
                runs[mode].append(one(mode))
            log(f"bench: scenario {name} round {r + 1}/{rounds} "
                f"boto3 {runs['boto3'][-1]['wall_s'] * 1e3:.0f} ms, "
                f"iotpager {runs['iotpager'][-1]['wall_s'] * 1e3:.1f} ms "
                f"({time.perf_counter() - t0:.1f} s)")
    finally:
        server.stop()  # nginx is reaped here, so its CPU counts as ours
    load = _foreign_load(snap0, _cpu_snapshot())
    # (each worker already checked its digest against want_digest)
    digests = {m: {x.get("digest") for x in rs} for m, rs in runs.items() if rs and "digest" in rs[0]}
    all_digests = set().union(*digests.values()) if digests else set()
    if all_digests - {want_digest}:
        raise SystemExit(f"bench: scenario {name}: the clients listed different items: {digests}, "
                         f"served {want_digest}")
    return {"name": name, "config": dict(cfg), "server": server.kind, "endpoint": endpoint,
            "manifest": {k: v for k, v in (manifest or {}).items() if k != "tokens"},
            "foreign_load": load, "runs": runs}


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def _div(v, d):
    return None if v is None else v / d


def _med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def summarize(res, quick):
    runs = res["runs"]
    med = {}
    for mode, rs in runs.items():
        if not rs:
            continue
        imp = [r["import_s"] + r["setup_s"] for r in rs if r.get("import_s") is not None]
        med[mode] = {
            "wall_ms": _med(rs, "wall_s") * 1e3,
            "min_wall_ms": min(r["wall_s"] for r in rs) * 1e3,
            "cpu_ms": _med(rs, "cpu_s") * 1e3,
            "peak_rss_mb": _div(_med(rs, "peak_rss_kb"), 1024),
            "delta_rss_mb": (statistics.median([r["peak_rss_kb"] - r["rss_before_kb"] for r in rs])
                             / 1024 if rs[0].get("rss_before_kb") is not None else None),
            "import_setup_ms": statistics.median(imp) * 1e3 if imp else None,
            "n": len(rs),
        }

    def ratio(a, b, key="wall_s"):
        if a not in runs or b not in runs or not runs[a] or not runs[b]:
            return None
        m = _med(runs[a], key) / _med(runs[b], key)
        paired = [x[key] / y[key] for x, y in zip(runs[a], runs[b])]
        return {"median_ratio": m, "paired_min": min(paired), "paired_max": max(paired)}

    ratios = {
        "boto3/iotpager wall": ratio("boto3", "iotpager"),
        "boto3/iotpager CPU": ratio("boto3", "iotpager", "cpu_s"),
        "iotpager/raw-fetch wall": ratio("iotpager", "raw"),
        "iotpager/curl-fetch wall": ratio("iotpager", "curl"),
        "iotpager/json.loads wall": ratio("iotpager", "json"),
        "iotpager/json.loads+UTC datetimes wall": ratio("iotpager", "json_dt"),
        "iotpager tz=utc/json.loads+UTC datetimes wall": ratio("iotpager_utc", "json_dt"),
    }
    ratios = {k: v for k, v in ratios.items() if v is not None}

    name = res["name"]
    targets = []

    def target(text, value, ok, fmt):
        targets.append({"target": text, "value": value, "met": None if quick else bool(ok),
                        "shown": fmt})

    bi = ratios["boto3/iotpager wall"]["median_ratio"]
    if name == "a":
        target("iotpager >= 50x faster than boto3 (wall)", bi, bi >= 50, f"{bi:.1f}x")
        ij = ratios["iotpager/json.loads wall"]["median_ratio"]
        target("iotpager's whole pipeline (fetch+parse+objects) < json.loads alone (wall)", ij, ij < 1,
               f"{ij:.2f}x json.loads")
    elif name == "b":
        ir = ratios["iotpager/raw-fetch wall"]["median_ratio"]
        target("iotpager <= 1.05x the raw-fetch floor (wall)", ir, ir <= 1.05, f"{ir:.3f}x raw fetch")
    elif name == "c":
        target("iotpager >= 25x faster than boto3 (wall)", bi, bi >= 25, f"{bi:.1f}x")
    elif name == "d":
        target("iotpager >= 40x faster than boto3 (wall)", bi, bi >= 40, f"{bi:.1f}x")
    elif name == "e":
        target("iotpager >= 15x faster than boto3 (wall)", bi, bi >= 15, f"{bi:.1f}x")
        ij = ratios["iotpager/json.loads wall"]["median_ratio"]
        target("iotpager's whole pipeline (fetch+parse+objects) < json.loads alone (wall)", ij, ij < 1,
               f"{ij:.2f}x json.loads")
    ip, bp = med["iotpager"]["peak_rss_mb"], med["boto3"]["peak_rss_mb"]
    target("memory: iotpager peak RSS <= boto3 peak RSS", ip / bp, ip <= bp,
           f"{ip:.1f} MB vs {bp:.1f} MB")
    return {"medians": med, "ratios": ratios, "targets": targets}


def _fmt(v, nd=1):
    return "-" if v is None else f"{v:,.{nd}f}"


def render(res, summ, quick):
    cfg = res["config"]
    out = []
    out.append(f"### Scenario {TITLES[res['name']].format(**cfg)}")
    out.append("")
    out.append(f"Server: {res['server']}; rounds: {len(res['runs']['boto3'])}, interleaved, "
               "fresh process per run; medians. Peak RSS = VmHWM of the worker process "
               "(imports included); growth = peak minus RSS just before the listing.")
    out.append("")
    load = res.get("foreign_load")
    if load:
        out.append(f"Other processes on this machine used {load['foreign_cpu_s']:.1f} s of CPU during this "
                   f"scenario's {load['seconds']:.0f} s (on average {load['foreign_cores']:.2f} of "
                   f"{os.cpu_count()} cores; /proc/stat less this run's processes, so kernel interrupt "
                   f"time is in it): wall times carry that noise, CPU times much less.")
        out.append("")
    out.append("| run | wall ms | CPU ms | peak RSS MB | RSS growth in listing MB | import+setup ms "
               "| best wall ms |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for mode in list(CLIENT_MODES) + list(FLOOR_MODES):
        m = summ["medians"].get(mode)
        if not m:
            continue
        peak = _fmt(m["peak_rss_mb"])
        out.append(f"| {LABELS[mode]} | {_fmt(m['wall_ms'])} | {_fmt(m['cpu_ms'])} | {peak} | "
                   f"{_fmt(m['delta_rss_mb'])} | {_fmt(m['import_setup_ms'])} | {_fmt(m['min_wall_ms'])} |")
    out.append("")
    out.append("Ratios (medians of this run; range of the per-round paired ratios in brackets):")
    out.append("")
    for k, v in summ["ratios"].items():
        out.append(f"- {k}: **{v['median_ratio']:.2f}x** [{v['paired_min']:.2f}-{v['paired_max']:.2f}]")
    out.append("")
    out.append("Targets:")
    out.append("")
    for t in summ["targets"]:
        verdict = "n/a (--quick: sizes too small to judge)" if t["met"] is None else (
            "**met**" if t["met"] else "**NOT met**")
        out.append(f"- {t['target']}: {t['shown']} -> {verdict}")
    out.append("")
    return "\n".join(out)


def serve_only(name, cfg, args, nginx_path, env):
    """--serve: start one scenario's server and print how to run a worker against it."""
    tmp = tempfile.mkdtemp(prefix="iotpager-bench-")
    _CLEANUPS.insert(0, lambda: shutil.rmtree(tmp, ignore_errors=True))
    try:
        use_nginx = args.server_resolved == "nginx" and (not cfg["latency"] or os.path.exists(ECHO_MODULE))
        server, manifest, want_digest = make_server(name, cfg, use_nginx, nginx_path, tmp)
        expect_bytes = manifest["bytes"] if manifest else None
        server.start()
        print(f"# scenario {name}: {server.kind} at {server.endpoint_url}; worker commands:")
        print(f"export PYTHONPATH={env['PYTHONPATH']}")
        for mode in scenario_modes(cfg["op"]):
            if mode == "curl":
                continue
            spec = worker_spec(mode, server.endpoint_url, cfg, expect_bytes, want_digest)
            print(f"{sys.executable} {WORKER} '{json.dumps(spec)}'")
        sys.stdout.flush()
        time.sleep(max(0.0, args.serve_seconds))
    except KeyboardInterrupt:
        pass
    finally:
        _run_cleanups()
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="iotpager vs boto3 listing benchmark (see the module docstring)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, 1 round: a smoke run")
    ap.add_argument("--rounds", type=int, help="rounds per scenario (default: b 5, the others 7)")
    ap.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                    help="run only this scenario (repeatable); default all")
    ap.add_argument("--json", metavar="OUT", help="write every measurement to this JSON file")
    ap.add_argument("--server", choices=("auto", "nginx", "python"), default="auto",
                    help="auto (default): nginx, installed if missing and root; with --quick, "
                         "nginx if present else the Python servers (ListJobsServer, ModelServer)")
    ap.add_argument("--serve", metavar="SCENARIO", choices=sorted(SCENARIOS),
                    help="only start that scenario's server, print one worker command per mode "
                         "(for profiling a single run, e.g. under perf), and serve until killed "
                         "or --serve-seconds pass")
    ap.add_argument("--serve-seconds", type=float, default=600.0, help="with --serve: stop after this long")
    args = ap.parse_args(argv)
    if args.rounds is not None and not 1 <= args.rounds <= 100:
        ap.error("--rounds must be in 1..100")

    signal.signal(signal.SIGTERM, _on_sigterm)
    pkg_parent = _iotpager_path()
    if pkg_parent not in sys.path:
        sys.path.insert(0, pkg_parent)
    env = _worker_env(pkg_parent)

    nginx_path = None
    if args.server == "python":
        args.server_resolved = "python"
    else:
        nginx_path = find_nginx(install=not args.quick or args.server == "nginx")
        if nginx_path is None:
            log("bench: nginx not found; --quick uses the Python servers")
            args.server_resolved = "python"
        else:
            args.server_resolved = "nginx"

    table = QUICK if args.quick else SCENARIOS
    if args.serve:
        return serve_only(args.serve, dict(table[args.serve]), args, nginx_path, env)
    names = args.scenario or sorted(table)
    info = machine_info(nginx_path)
    report = {"machine": info, "quick": args.quick, "server": args.server_resolved, "scenarios": {}}

    curl_note = (f"; curl floor: {info['curl']}"
                 if info["curl"] and args.server_resolved == "nginx" else "")
    head = [
        "## iotpager vs boto3 listing benchmark" + (" (--quick smoke run: tiny sizes, numbers mean nothing)"
                                            if args.quick else ""),
        "",
        f"- date: {info['date']}",
        f"- uname -m: {info['machine']}; CPU: {info['cpu_model']}; cores: {info['cores']}"
        f" (usable {info['cores_usable']}); kernel {info['kernel']}",
        f"- Python {info['python']}, boto3 {info['boto3']}, botocore {info['botocore']}, "
        f"iotpager at {info['iotpager_commit']} (from {pkg_parent})",
        f"- servers: {'nginx ' + info['nginx'] if args.server_resolved == 'nginx' else 'Python ListJobsServer / ModelServer'}"
        f"{curl_note}; everything on 127.0.0.1",
        "",
    ]
    print("\n".join(head), flush=True)
    tmp = tempfile.mkdtemp(prefix="iotpager-bench-")
    _CLEANUPS.insert(0, lambda: shutil.rmtree(tmp, ignore_errors=True))
    t_all = time.perf_counter()
    try:
        for name in names:
            cfg = dict(table[name])
            if args.rounds is not None:
                cfg["rounds"] = args.rounds
            res = run_scenario(name, cfg, args, nginx_path, env, tmp)
            summ = summarize(res, args.quick)
            print(render(res, summ, args.quick), flush=True)
            report["scenarios"][name] = dict(res, **summ)
            # the page files of a scenario are not needed any more
            shutil.rmtree(os.path.join(tmp, f"pages-{name}"), ignore_errors=True)
    finally:
        _run_cleanups()
    report["total_s"] = time.perf_counter() - t_all
    print(f"(total {report['total_s']:.0f} s)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
