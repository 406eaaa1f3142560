"""Pipelined prefetch: the next request goes out on a C thread as soon as a
page's nextToken is parsed, never past what MaxItems needs, and a caller who
stops leaves no thread, connection or request behind. Pages and exceptions
are the same with prefetch on and off (the parity suites run with it on)."""

import gc
import os
import threading
import time
import weakref

import pytest

import iotpager
from _compare import assert_same
from conftest import make_boto_client


def thread_count():
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


@pytest.fixture
def paged(server_factory):
    srv = server_factory(n_jobs=200, deterministic=True)
    return srv, make_boto_client(srv)


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
    time.sleep(0.2)   # a stray prefetch would have arrived by now
    assert len(srv.requests) - start == expected_requests
    assert sum(len(p["jobs"]) for p in pages) == min(max_items, 200)


def test_prefetch_respects_max_items_after_a_starting_token(paged):
    """A StartingToken with an offset: the first page is sliced, and the
    budget counts what botocore counts."""
    srv, client = paged
    first = listing(client, True, PageSize=50, MaxItems=30)
    list(first)
    token = first.resume_token
    start = len(srv.requests)
    pages = list(listing(client, True, PageSize=50, MaxItems=20, StartingToken=token))
    time.sleep(0.2)
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
    base_threads = thread_count()
    conns = srv.connections_accepted
    it = listing(client, True, PageSize=20)
    gen = iter(it)
    next(gen)
    next(gen)    # a prefetch is now in flight or done
    engine = weakref.ref(it._method)
    assert thread_count() == base_threads + 1   # the prefetch worker
    del gen, it
    gc.collect()
    assert engine() is None
    deadline = time.time() + 2
    while thread_count() != base_threads and time.time() < deadline:
        time.sleep(0.01)
    assert thread_count() == base_threads
    assert srv.connections_accepted == conns + 1
    deadline = time.time() + 2
    while srv.open_connections() and time.time() < deadline:
        time.sleep(0.01)
    assert srv.open_connections() == 0


def test_close_cancels_a_request_in_flight(server_factory):
    """A prefetched request stuck on a stalled server is cancelled by close(),
    promptly, and the worker thread ends."""
    srv = server_factory(n_jobs=100, deterministic=True)
    client = make_boto_client(srv)
    gc.collect()
    base_threads = thread_count()
    srv.script({"pass": True}, {"stall": 30})
    it = listing(client, True, PageSize=50)
    gen = iter(it)
    next(gen)            # page 1; page 2's request is now stalled in the worker
    t0 = time.monotonic()
    it.close()
    assert time.monotonic() - t0 < 1.0
    assert thread_count() == base_threads
    srv.clear_script()


def test_prefetch_worker_is_one_thread_per_listing(paged):
    srv, client = paged
    gc.collect()
    base = thread_count()
    a = iter(listing(client, True, PageSize=20))
    b = iter(listing(client, True, PageSize=20))
    next(a), next(a), next(b), next(b)
    assert thread_count() == base + 2
    rest = list(a) + list(b)
    assert len(rest) == 2 * (200 // 20 - 2)
    del a, b
    gc.collect()
    assert thread_count() == base


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
