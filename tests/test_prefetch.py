"""Pipelined prefetch: the next request goes out on a C thread as soon as a
page's nextToken is parsed, never past what MaxItems needs, and a caller who
stops leaves no thread, connection or request behind. Pages and exceptions
are the same with prefetch on and off (the parity suites run with it on).

Thread, connection and request counts are compared in settled states
(_hardening.settled / wait_settled), never after a fixed sleep: a joined
worker leaves /proc a moment after pthread_join() returns, and on a loaded
machine under a sanitizer the server sees a request or a closed connection
late."""

import gc
import os
import threading
import time
import weakref

import pytest

import iotpager
from _compare import assert_same
from _hardening import settled, wait_settled
from _hardening import worker_threads as thread_count
from conftest import make_boto_client


@pytest.fixture
def paged(server_factory):
    srv = server_factory(n_jobs=200, deterministic=True)
    return srv, make_boto_client(srv)


def all_requests_seen(srv, still_open=0):
    """After a listing has ended (its iterator dropped or finished): once the
    server has seen its connection closed it has recorded every request the
    client sent (it reads a connection's requests in order, then EOF), so a
    stray request would be counted by now; a fixed sleep raced the server on
    a loaded machine. ``still_open``: connections of other listings the test
    keeps."""
    assert wait_settled(srv.open_connections, still_open) == still_open, \
        "the listing's connection is still open"


def listing(client, prefetch, **config):
    pag = iotpager.get_paginator(client, "list_jobs", prefetch=prefetch)
    return pag.paginate(PaginationConfig=config)


def test_next_request_is_sent_while_the_caller_works(paged):
    """With prefetch, request N+1 reaches the server before the caller is done
    with page N (the caller holds each page 0.1 s); without, only after."""
    srv, client = paged
    for prefetch in (True, False):
        start = len(srv.requests)
        done_at = []
        for page in listing(client, prefetch, PageSize=50):
            time.sleep(0.1)   # the caller's work on this page
            done_at.append(time.time())
        arrivals = [r["time"] for r in srv.requests[start:]]
        assert len(arrivals) == len(done_at) == 4
        early = [arrivals[n + 1] < done_at[n] for n in range(3)]
        assert all(early) if prefetch else not any(early), (prefetch, arrivals, done_at)


@pytest.mark.parametrize("max_items,expected_requests", [(50, 1), (100, 2), (120, 3), (199, 4), (500, 4)])
def test_prefetch_never_fetches_past_max_items(paged, max_items, expected_requests):
    srv, client = paged
    start = len(srv.requests)
    pages = list(listing(client, True, PageSize=50, MaxItems=max_items))
    all_requests_seen(srv)
    assert len(srv.requests) - start == expected_requests
    assert sum(len(p["jobs"]) for p in pages) == min(max_items, 200)


def test_prefetch_respects_max_items_after_a_starting_token(paged):
    """A StartingToken with an offset: the first page is sliced, and the
    budget counts what botocore counts."""
    srv, client = paged
    first = listing(client, True, PageSize=50, MaxItems=30)
    list(first)
    token = first.resume_token   # `first` is kept, and with it its connection
    kept = srv.open_connections()
    start = len(srv.requests)
    pages = list(listing(client, True, PageSize=50, MaxItems=20, StartingToken=token))
    all_requests_seen(srv, still_open=kept)
    assert sum(len(p["jobs"]) for p in pages) == 20
    assert len(srv.requests) - start == 1   # jobs 30..49 are all on the first page


def test_pages_and_errors_same_with_prefetch_on_and_off(paged):
    srv, client = paged
    results = []
    for prefetch in (True, False):
        srv.script({"pass": True}, {"error": "InvalidRequestException", "status": 400})
        pages, error = [], None
        try:
            for page in listing(client, prefetch, PageSize=30):
                pages.append(page)
        except Exception as e:  # compared below
            error = e
        srv.clear_script()
        results.append((pages, error))
    (p1, e1), (p2, e2) = results
    assert_same(p1, p2, "pages")
    assert type(e1) is type(e2) and str(e1) == str(e2)
    assert_same(e1.response, e2.response, "e.response")


def test_stopping_early_leaves_no_thread_or_connection(paged):
    srv, client = paged
    gc.collect()
    base_threads = settled(thread_count)
    conns = srv.connections_accepted
    it = listing(client, True, PageSize=20)
    gen = iter(it)
    next(gen)
    next(gen)    # a prefetch is now in flight or done
    engine = weakref.ref(it._method)
    assert wait_settled(thread_count, base_threads + 1) == base_threads + 1   # the worker
    del gen, it
    gc.collect()
    assert engine() is None
    assert wait_settled(thread_count, base_threads) == base_threads
    assert srv.connections_accepted == conns + 1
    assert wait_settled(srv.open_connections, 0) == 0


def test_close_cancels_a_request_in_flight(server_factory):
    """A prefetched request stuck on a stalled server is cancelled by close(),
    promptly, and the worker thread ends."""
    srv = server_factory(n_jobs=100, deterministic=True)
    client = make_boto_client(srv)
    gc.collect()
    base_threads = settled(thread_count)
    srv.script({"pass": True}, {"stall": 30})
    it = listing(client, True, PageSize=50)
    gen = iter(it)
    next(gen)            # page 1; page 2's request is now stalled in the worker
    t0 = time.monotonic()
    it.close()
    assert time.monotonic() - t0 < 1.0
    # joined by close(); /proc drops it a moment later
    assert wait_settled(thread_count, base_threads) == base_threads
    srv.clear_script()


def test_prefetch_worker_is_one_thread_per_listing(paged):
    srv, client = paged
    gc.collect()
    base = settled(thread_count)
    a = iter(listing(client, True, PageSize=20))
    b = iter(listing(client, True, PageSize=20))
    next(a), next(a), next(b), next(b)
    assert wait_settled(thread_count, base + 2) == base + 2
    rest = list(a) + list(b)
    assert len(rest) == 2 * (200 // 20 - 2)
    del a, b
    gc.collect()
    assert wait_settled(thread_count, base) == base


def test_other_threads_run_during_a_prefetched_listing(server_factory):
    srv = server_factory(n_jobs=100, deterministic=True)
    srv.latency = 0.05
    client = make_boto_client(srv)
    count = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        jobs = [j for p in listing(client, True, PageSize=10) for j in p["jobs"]]
    finally:
        stop.set()
        t.join()
    assert len(jobs) == 100
    assert count[0] > 1000


def test_read_ahead_is_bounded(paged):
    """The worker runs the listing ahead of the caller by at most
    _core.PREFETCH_PAGES parsed pages: while the caller holds page k, the
    server has seen exactly min(k + PREFETCH_PAGES, pages) requests."""
    from iotpager import _core

    srv, client = paged
    ahead = _core.PREFETCH_PAGES
    assert ahead >= 1
    start = len(srv.requests)
    seen = []
    for k, page in enumerate(listing(client, True, PageSize=20), 1):
        # the worker fills what it may, then waits: the count settles (for
        # 0.15 s running) at the bound, or goes past it and the test fails
        seen.append(wait_settled(lambda: len(srv.requests) - start, min(k + ahead, 10),
                                 quiet=0.15))
        assert len(page["jobs"]) == 20
    assert seen == [min(k + ahead, 10) for k in range(1, 11)]


@pytest.mark.parametrize("where", [2, 3, 4, 5, 6, 10])
@pytest.mark.parametrize("action", [
    {"error": "InvalidRequestException", "status": 400},
    {"error": "ThrottlingException", "status": 429},
    {"status": 200, "body": b'{"jobs":[{"jobId":"x"}],"nextToken":7}'},
    {"status": 200, "body": b'{"jobs":[{"jobId":"x"}],"nextToken":""}'},
    {"status": 200, "body": b'not json'},
    {"reset": "before_headers"},
], ids=["400", "429", "token-not-a-string", "token-empty", "not-json", "reset"])
def test_pages_and_errors_same_with_prefetch_on_and_off_at_any_depth(paged, where, action):
    """Whatever goes wrong at page `where` (a request the worker sent, two or
    three pages ahead of the caller, or the main thread's own), the caller
    sees the same pages, the same exception after the same page, and the
    server the same requests, with prefetch on and off."""
    srv, client = paged
    outcomes = []
    for prefetch in (True, False):
        srv.script(*([{"pass": True}] * (where - 1) + [action]))
        start = len(srv.requests)
        pages, error = [], None
        try:
            for page in listing(client, prefetch, PageSize=20):
                pages.append(page)
                time.sleep(0.01)   # let the worker run ahead
        except Exception as e:  # compared below
            # without its traceback, whose frames hold the listing (and its
            # connection) when the error is not the C iterator's own
            error = e.with_traceback(None)
        # (after a nextToken that is not a string, a reference cycle through
        # the C Pager's kept error holds the listing until the cyclic gc runs)
        gc.collect()
        all_requests_seen(srv)
        srv.clear_script()
        targets = [r["path"] for r in srv.requests[start:]]
        outcomes.append((pages, error, targets))
    (p1, e1, t1), (p2, e2, t2) = outcomes
    assert_same(p1, p2, "pages")
    assert type(e1) is type(e2) and str(e1) == str(e2), (e1, e2)
    if hasattr(e1, "response"):
        assert_same(e1.response, e2.response, "e.response")
    # the worker stops at anything off the plain path: not one request more
    assert t1 == t2


def test_refreshed_credentials_reach_the_worker(server_factory):
    """The worker signs with a snapshot of the credentials that the main
    thread refreshes on every page: after a rotation while the caller holds
    page k, the requests the worker had already sent (pages up to
    k + PREFETCH_PAGES) carry the old key and every later one the new key."""
    from botocore.credentials import Credentials, ReadOnlyCredentials
    from iotpager import _core

    old = ("AKIDOLD0000000000000", "old/secret", None)
    new = ("AKIDNEW0000000000000", "new/secret", "new-session-token")
    holder = [old]

    class Switchable(Credentials):
        def __init__(self):
            super().__init__(*holder[0])

        def get_frozen_credentials(self):
            return ReadOnlyCredentials(*holder[0])

    srv = server_factory(n_jobs=200, deterministic=True, credentials=None)
    client = make_boto_client(srv)
    client._request_signer._credentials = Switchable()
    k = 3
    start = len(srv.requests)
    n = 0
    for n, page in enumerate(listing(client, True, PageSize=20), 1):
        if n == k:   # the worker is now PREFETCH_PAGES pages ahead, waiting
            ahead = min(k + _core.PREFETCH_PAGES, 10)
            assert wait_settled(lambda: len(srv.requests) - start, ahead, quiet=0.1) == ahead
            holder[0] = new
    assert n == 10
    keys = [r["headers"]["authorization"].split("Credential=")[1].split("/")[0]
            for r in srv.requests[start:]]
    tokens = [r["headers"].get("x-amz-security-token") for r in srv.requests[start:]]
    cut = k + _core.PREFETCH_PAGES
    assert keys == [old[0]] * cut + [new[0]] * (10 - cut)
    assert tokens == [None] * cut + [new[2]] * (10 - cut)


def _flaky_credentials_listing(srv, state):
    """A prefetched listing whose credentials start failing after page 2:
    page 3 (already fetched by the worker) is yielded and the failure is
    kept for the next call. Returns the C Pager behind it."""
    from botocore.credentials import Credentials, ReadOnlyCredentials

    from iotpager import _core

    class Flaky(Credentials):
        def __init__(self):
            super().__init__("AKIDFLAKY00000000000", "flaky/secret", None)

        def get_frozen_credentials(self):
            if state["fail"]:
                raise RuntimeError("credentials boom")
            return ReadOnlyCredentials(self.access_key, self.secret_key, self.token)

    client = make_boto_client(srv)
    client._request_signer._credentials = Flaky()
    it = iter(listing(client, True, PageSize=10))
    next(it)
    next(it)
    time.sleep(0.05)   # the worker is ahead
    state["fail"] = True
    next(it)           # a worker page: the refresh fails, the error is kept
    pagers = [o for o in gc.get_objects() if type(o) is _core.Pager and not o.finished]
    assert len(pagers) == 1
    return it, pagers[0]


def test_close_racing_a_kept_error_neither_hangs_nor_crashes(server_factory):
    """One thread raises the kept error (and tears the worker down, without
    the GIL) while another calls close(): exactly one of them tears down.
    The error is raised, or close() came first and the listing just ends, or
    the other thread is told the iterator is in use; no hang, no thread left.
    (A review found the worker joined twice here, and the process hung.)"""
    import random

    from _hardening import hang_guard

    srv = server_factory(n_jobs=200, deterministic=True, credentials=None)
    gc.collect()
    base = settled(thread_count)
    outcomes = set()
    with hang_guard(60):
        for _ in range(25):
            state = {"fail": False}
            it, pager = _flaky_credentials_listing(srv, state)
            stop = threading.Event()

            def closer():
                time.sleep(random.random() * 0.002)   # either order
                while not stop.is_set():
                    try:
                        pager.close()
                    except RuntimeError:   # in use by the other thread: fine
                        pass

            t = threading.Thread(target=closer)
            t.start()
            try:
                next(pager)
                outcomes.add("page")
            except StopIteration:
                outcomes.add("stop")
            except RuntimeError as e:
                outcomes.add(str(e))
            finally:
                stop.set()
                t.join()
            del it, pager
    in_use = "iotpager: this page iterator is already being iterated in another thread"
    assert outcomes <= {"credentials boom", "stop", in_use}, outcomes
    gc.collect()
    assert wait_settled(thread_count, base) == base


# forking with the worker thread alive is the point; Python >= 3.12 warns of it
@pytest.mark.filterwarnings(r"ignore:This process \(pid=\d+\) is multi-threaded, use of fork\(\):DeprecationWarning")
def test_a_listing_does_not_cross_fork(paged):
    """A child process cannot go on with its parent's listing (the
    connection and the prefetch thread stay with the parent): next() says
    so, and dropping the iterator there does not hang. The parent's listing
    goes on untouched."""
    srv, client = paged
    it = iter(listing(client, True, PageSize=20))
    first = [next(it), next(it)]
    pid = os.fork()
    if pid == 0:   # the child: report through the exit status only
        code = 1
        try:
            import faulthandler
            faulthandler.dump_traceback_later(20, exit=True)
            try:
                next(it)
            except RuntimeError as e:
                code = 0 if "fork" in str(e) else 2
            del it
            gc.collect()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    rest = list(it)
    assert sum(len(p["jobs"]) for p in first + rest) == 200
