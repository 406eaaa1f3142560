"""Helpers shared by the hardening suites (issue #6): test_faults.py,
test_threads.py, test_lifetimes.py, test_secrets.py and test_tls.py.

* ``hang_guard(seconds)``: a context manager that turns a hang into a test
  failure. SIGALRM raises ``TimeoutError`` in the main thread (the C core
  checks signals every 50 ms while it waits), and faulthandler's watchdog
  thread dumps every thread's stack and exits the process a little later,
  for a hang that no signal can break (a deadlock in C).
* ``retry_client(srv, retries, **config)``: a boto3 IoT client for a
  ListJobsServer with the given ``retries`` config (None: botocore's
  defaults); ``fast_backoff(monkeypatch)`` makes botocore's retry delays
  ~1 ms in legacy and standard modes (iotpager sleeps whatever delay the
  client's own handler returns).
* ``run(paginator, srv, **kwargs)``: one listing, its pages, the exception
  that ended it, the requests the server saw and the scripted actions left.
* ``job_ids(pages)``; ``server_ids(srv)``: the server's listing, in order.
* ``listing_in_child(url, **paginate_kwargs)``: the same listing through
  iotpager in a child process (pages, exception class name, message), so
  that a crash (a sanitizer abort in tests/sanitize.sh) fails one test
  instead of ending the whole run.
* Settled states, for every test that counts threads, connections or
  requests (issue #11: fixed sleeps and 1-2 s deadlines flaked under
  ASan/TSan on a loaded 2-core machine):
  ``settled(count)``: a baseline, the value of ``count()`` once it has stopped
  changing; ``wait_settled(count, target)``: poll until ``count()`` has equalled
  ``target`` for a short quiet time, as soon as it does, within a generous
  deadline (``SETTLE_TIMEOUT``); returns the last value seen, so that
  ``assert wait_settled(c_threads, base) == base`` is exactly as strict as
  ``assert c_threads() == base`` (a thread that never goes away still
  fails), only no longer racing the kernel. ``wait_until(predicate)``: the
  same for a condition that only has to become true (a request arrived).
  ``c_threads()`` / ``worker_threads()``: this process's threads that Python
  does not know / its C prefetch workers (named "iotpager-pf").
"""

from __future__ import annotations

import base64
import contextlib
import faulthandler
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import types

import boto3
import botocore.retries.standard
import botocore.retryhandler
from botocore.config import Config

from conftest import AK, REGION, SK, TOKEN


@contextlib.contextmanager
def hang_guard(seconds):
    """Fail (TimeoutError) after ``seconds``; kill the process with a stack
    dump of every thread after ``seconds + 15`` if even that does not work."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(seconds + 15, exit=True, file=sys.stderr)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        faulthandler.cancel_dump_traceback_later()


# --------------------------------------------------------------------------
# settled states
# --------------------------------------------------------------------------
#
# Why a count must settle: pthread_join() returns when the thread has cleared
# its tid, a little before the kernel drops /proc/self/task/<tid>; a Python
# thread leaves threading.enumerate() before its OS thread ends (so for a
# moment it counts as a "C thread"); faulthandler's watchdog (hang_guard) of
# the previous test ends after cancel_dump_traceback_later() has returned; a
# server thread notices a closed connection when it is next scheduled. On a
# loaded machine under a sanitizer each of these can take far more than the
# few milliseconds it takes otherwise.

def _sanitized():
    preload = os.environ.get("LD_PRELOAD", "")
    return any(lib in preload for lib in ("libasan", "libtsan", "libubsan"))


SANITIZED = _sanitized()
#: how long a wait for a settled state may take before the test fails; the
#: normal case returns as soon as the state holds
SETTLE_TIMEOUT = 20.0 if SANITIZED else 10.0
_POLL = 0.01


def settled(count, quiet=0.15, timeout=None):
    """A baseline: the value of ``count()`` once it has returned the same
    value for ``quiet`` seconds running. AssertionError if it is still
    changing after ``timeout`` (default SETTLE_TIMEOUT)."""
    deadline = time.monotonic() + (SETTLE_TIMEOUT if timeout is None else timeout)
    value, since = count(), time.monotonic()
    seen = [value]
    while True:
        time.sleep(_POLL)
        now, v = time.monotonic(), count()
        if v != value:
            value, since = v, now
            seen.append(v)
        elif now - since >= quiet:
            return value
        if now > deadline:
            raise AssertionError(f"{getattr(count, '__name__', count)} never settled: {seen[-20:]}")


def wait_settled(count, target, quiet=0.05, timeout=None):
    """Poll ``count()`` until it has equalled ``target`` for ``quiet`` seconds
    running (or the deadline, ``timeout``, default SETTLE_TIMEOUT, passes);
    the last value seen: ``target`` if the state holds, otherwise what it is
    instead, for the assertion message."""
    deadline = time.monotonic() + (SETTLE_TIMEOUT if timeout is None else timeout)
    since = None
    while True:
        now, v = time.monotonic(), count()
        if v == target:
            if since is None:
                since = now
            if now - since >= quiet:
                return v
        else:
            since = None
        if now > deadline:
            return v
        time.sleep(_POLL)


def wait_until(predicate, timeout=None):
    """True once ``predicate()`` is (returns at once), False if it still is
    not after ``timeout`` (default SETTLE_TIMEOUT)."""
    deadline = time.monotonic() + (SETTLE_TIMEOUT if timeout is None else timeout)
    while not predicate():
        if time.monotonic() > deadline:
            return bool(predicate())
        time.sleep(_POLL)
    return True


def c_threads():
    """Threads of this process that Python does not know: C prefetch workers,
    and faulthandler's watchdog, which hang_guard starts (compare with a
    settled() baseline taken inside the test)."""
    python_ids = {t.native_id for t in threading.enumerate()}
    return len({int(t) for t in os.listdir("/proc/self/task")} - python_ids)


def worker_threads():
    """The C prefetch workers of this process: threads named "iotpager-pf"
    (other threads, the test server's or a sanitizer's, are not counted)."""
    n = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                n += f.read().strip() == "iotpager-pf"
        except OSError:   # the thread ended meanwhile
            pass
    return n


def fast_backoff(monkeypatch):
    """botocore's computed retry delays become ~1 ms (legacy and standard)."""
    monkeypatch.setattr(botocore.retryhandler, "random",
                        types.SimpleNamespace(random=lambda: 0.001))
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount",
                        lambda self, context: 0.001)


_session = None


def retry_client(server, retries=None, creds=(AK, SK, TOKEN), verify=None, **config_kwargs):
    """A boto3 IoT client for ``server`` (a ListJobsServer or URL) with the
    given retry config; ``retries=None`` keeps the installed botocore's
    default (its default mode: legacy until 1.43, standard since 1.44).
    ``verify`` is boto3.client's; the other keywords are botocore Config's."""
    global _session
    if _session is None:
        _session = boto3.session.Session()
    url = server if isinstance(server, str) else server.endpoint_url
    if retries is not None:
        config_kwargs["retries"] = retries
    return _session.client("iot", endpoint_url=url, region_name=REGION, verify=verify,
                           aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
                           aws_session_token=creds[2], config=Config(**config_kwargs))


def job_ids(pages):
    return [j["jobId"] for p in pages for j in (p.get("jobs") or []) if isinstance(j, dict)]


def server_ids(srv):
    return [j["jobId"] for j in srv.public_jobs()]


class Outcome:
    def __init__(self, pages, error, requests, left, elapsed):
        self.pages = pages
        self.error = error
        self.requests = requests
        self.left = left
        self.elapsed = elapsed

    @property
    def ids(self):
        return job_ids(self.pages)

    @property
    def retries(self):
        return [p["ResponseMetadata"].get("RetryAttempts") for p in self.pages]

    def __repr__(self):
        return (f"Outcome({len(self.pages)} pages, {len(self.ids)} jobs, error={self.error!r}, "
                f"{len(self.requests)} requests, {self.left} actions left, {self.elapsed:.2f} s)")


def run(paginator, srv, script=(), **kwargs):
    """Queue ``script`` on ``srv``, list through ``paginator``; an Outcome."""
    srv.clear_script()
    srv.script(*script)
    start = len(srv.requests)
    pages, error = [], None
    t0 = time.monotonic()
    try:
        for page in paginator.paginate(**kwargs):
            pages.append(page)
    except Exception as e:  # the caller judges it
        error = e
    elapsed = time.monotonic() - t0
    left = srv.clear_script()
    return Outcome(pages, error, srv.requests[start:], left, elapsed)


_CHILD = r"""
import base64, pickle, sys
import iotpager
from _hardening import retry_client
url, kwargs = sys.argv[1], pickle.loads(base64.b64decode(sys.argv[2]))
pages, error = [], None
try:
    for page in iotpager.get_paginator(retry_client(url, {"total_max_attempts": 1})).paginate(**kwargs):
        pages.append(page)
except Exception as e:
    error = (type(e).__name__, str(e))
sys.stdout.write(base64.b64encode(pickle.dumps((pages, error))).decode())
"""


def listing_in_child(url, **paginate_kwargs):
    """(pages, (exception class name, message) or None) of an iotpager
    listing run in a child process with the iotpager under test."""
    import iotpager

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    here = os.path.dirname(os.path.abspath(__file__))
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(iotpager.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([here, pkg])
    arg = base64.b64encode(pickle.dumps(paginate_kwargs)).decode()
    proc = subprocess.run([sys.executable, "-c", _CHILD, url, arg], env=env,
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"the child died ({proc.returncode}): {proc.stderr[-1500:]}")
    return pickle.loads(base64.b64decode(proc.stdout))
