"""csrc/http.c (iot_http) against a scripted local HTTP/1.1 server.

The transport has no Python binding of its own, so these tests drive it
through tests/c/http_tool, which the session fixture builds with make. Set
IOTPAGER_HTTP_TOOL to use a binary built some other way, e.g. under
ASan/UBSan:

    make -C tests/c clean
    make -C tests/c SANITIZE=1 UNITS="../../csrc/buf.c ../../csrc/http.c" build/http_tool
    pytest tests/test_http_c.py

(the fixture's own make then finds the binary up to date). The tool's exit
status is checked, so a leak that LeakSanitizer reports at exit fails the
test.

The server is a raw socket server on 127.0.0.1, one thread per connection,
with one scripted behaviour per path. It counts the connections it accepts,
which is how connection reuse is checked.
"""

import gzip
import hashlib
import io
import http.client
import json
import os
import re
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
C_TESTS = ROOT / "tests" / "c"

# iot_http_error in csrc/http.h, as the tool prints it ("error_kind").
KIND = {
    "OK": 0,
    "CONNECT": 1,
    "CONNECT_TIMEOUT": 2,
    "READ_TIMEOUT": 3,
    "CLOSED": 4,
    "SSL": 5,
    "PROXY": 6,
    "TOO_BIG": 7,
    "NOMEM": 8,
    "ABORTED": 9,
    "OTHER": 10,
}

# The few curl codes asserted below (curl/curl.h).
CURLE_COULDNT_CONNECT = 7
CURLE_PARTIAL_FILE = 18
CURLE_WRITE_ERROR = 23
CURLE_OPERATION_TIMEDOUT = 28
CURLE_GOT_NOTHING = 52
CURLE_RECV_ERROR = 56


# ---- the tool --------------------------------------------------------------


@pytest.fixture(scope="session")
def http_tool():
    path = os.environ.get("IOTPAGER_HTTP_TOOL")
    if path:
        return path
    # Only the two units the tool needs, so it builds while uri.c and
    # sigv4.c are elsewhere in progress.
    proc = subprocess.run(
        ["make", "-C", str(C_TESTS), "UNITS=../../csrc/buf.c ../../csrc/http.c", "build/http_tool"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.fail("building http_tool failed:\n" + proc.stdout + proc.stderr)
    return str(C_TESTS / "build" / "http_tool")


def run_tool(tool, urls, *options, timeout=30):
    """One JSON result per URL; every URL runs on one iot_http."""
    proc = subprocess.run(
        [tool, *map(str, options), *urls],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(results) == len(urls), proc.stdout
    return results


def kind_name(result):
    names = {v: k for k, v in KIND.items()}
    return names.get(result["error_kind"], result["error_kind"])


# ---- the server ------------------------------------------------------------


class Request:
    def __init__(self, conn_no, method, target, headers):
        self.conn_no = conn_no
        self.method = method
        self.target = target
        self.headers = headers  # [(name, value)] as received


class Server:
    """HTTP/1.1 over raw sockets: a handler per path writes whatever bytes
    it likes and returns True to keep the connection for another request."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.routes = {}
        self.requests = []
        self.connections = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = []
        self.accepter = threading.Thread(target=self._accept, daemon=True)
        self.accepter.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def route(self, path):
        def register(handler):
            self.routes[path] = handler
            return handler

        return register

    def close(self):
        self.stopping.set()
        self.accepter.join(5)
        self.sock.close()
        for t in self.threads:
            t.join(5)

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with self.lock:
                self.connections += 1
                conn_no = self.connections
            t = threading.Thread(target=self._serve, args=(conn, conn_no), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, conn, conn_no):
        conn.settimeout(10)
        pending = b""
        with conn:
            while not self.stopping.is_set():
                try:
                    while b"\r\n\r\n" not in pending:
                        data = conn.recv(65536)
                        if not data:
                            return
                        pending += data
                except OSError:
                    return
                head, pending = pending.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:]]
                req = Request(conn_no, method, target, headers)
                with self.lock:
                    self.requests.append(req)
                handler = self.routes.get(target, not_found)
                try:
                    keep = handler(conn, req)
                except OSError:
                    return
                if not keep:
                    return


def response(status, headers=(), body=b"", reason="X"):
    head = "HTTP/1.1 %d %s\r\n" % (status, reason)
    head += "".join("%s: %s\r\n" % h for h in headers)
    return head.encode("latin-1") + b"\r\n" + body


def send_ok(conn, body, headers=()):
    conn.sendall(response(200, [*headers, ("Content-Length", len(body))], body, "OK"))
    return True


def not_found(conn, req):
    conn.sendall(response(404, [("Content-Length", 0)], reason="Not Found"))
    return True


def wait_for_client_close(conn, limit=10.0):
    """Stall: send nothing more until the client hangs up (or `limit`)."""
    conn.settimeout(limit)
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass
    return False


@pytest.fixture
def server():
    srv = Server()

    @srv.route("/ok")
    def ok(conn, req):
        return send_ok(conn, b"hello")

    @srv.route("/stall-after-headers")
    def stall_after_headers(conn, req):
        conn.sendall(response(200, [("Content-Length", 100)], b"0123456789", "OK"))
        return wait_for_client_close(conn)

    yield srv
    srv.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- tests -----------------------------------------------------------------


def test_kind_mapping_matches_header():
    text = (ROOT / "csrc" / "http.h").read_text()
    body = re.search(r"typedef enum \{(.*?)\} iot_http_error;", text, re.S).group(1)
    names = re.findall(r"^\s*IOT_HTTP_(?:E_)?(\w+)", body, re.M)
    assert dict(zip(names, range(len(names)))) == KIND


def test_keep_alive_reuses_one_connection(http_tool, server):
    results = run_tool(http_tool, [server.url("/ok")] * 3)
    for r in results:
        assert (kind_name(r), r["status"], r["body"]) == ("OK", 200, "hello")
    assert len(server.requests) == 3
    assert server.connections == 1


def test_server_closing_an_idle_connection_is_not_an_error(http_tool, server):
    @server.route("/ok-then-close")
    def ok_then_close(conn, req):
        send_ok(conn, b"bye")
        return False  # closes without "Connection: close", as idle timeouts do

    # the pause lets the server's FIN arrive first, as with a real idle
    # timeout: libcurl then sees the dead connection and opens a new one
    results = run_tool(http_tool, [server.url("/ok-then-close"), server.url("/ok")],
                       "--pause-ms", 200)
    assert [(kind_name(r), r["body"]) for r in results] == [("OK", "bye"), ("OK", "hello")]
    assert server.connections == 2


def test_reused_connection_closed_before_the_answer_is_not_resent(http_tool, server):
    """A kept-alive connection that dies after the request went out: libcurl
    would send the request again by itself; botocore (urllib3 with retries
    off) reports a closed connection and lets its retry handler count the
    attempt. http.c does the same: CLOSED, and the request is sent once."""
    state = {"n": 0}

    @server.route("/once")
    def once(conn, req):
        state["n"] += 1
        if state["n"] == 1:
            send_ok(conn, b"first")
            return True
        return False  # the request arrived on the reused connection: close, no answer

    results = run_tool(http_tool, [server.url("/once"), server.url("/once")])
    assert kind_name(results[0]) == "OK"
    assert kind_name(results[1]) == "CLOSED", results[1]
    assert state["n"] == 2   # not re-sent on a new connection


def test_request_headers(http_tool, server):
    (r,) = run_tool(http_tool, [server.url("/ok")], "--header", "X-Amz-Date: 20150830T123600Z",
                    "--header", "Authorization: AWS4-HMAC-SHA256 x")
    assert kind_name(r) == "OK"
    (req,) = server.requests
    sent = dict(req.headers)
    assert req.method == "GET"
    assert sent["X-Amz-Date"] == "20150830T123600Z"
    assert sent["Authorization"] == "AWS4-HMAC-SHA256 x"
    assert "gzip" in sent["Accept-Encoding"]
    assert "User-Agent" not in sent  # user_agent NULL: none sent


def _http_client_view(raw):
    """The header (name, value) list http.client -- and so botocore -- reads
    from these header bytes (the status line excluded)."""
    msg = http.client.parse_headers(io.BytesIO(raw.split(b"\r\n", 1)[1]))
    return [[k, v] for k, v in msg.items()]


HEADERS_RAW = (
    b"HTTP/1.1 200 OK\r\n"
    b"X-Dup: one\r\n"
    b"X-Trim: \t  spaced  value \t\r\n"
    b"x-dup: two\r\n"
    b"X-Empty:\r\n"
    b"X-Blank:   \t \r\n"
    b"Content-Length: 2\r\n"
    b"X-Dup:three\r\n"
    b"\r\n"
)


def test_headers_in_order_duplicates_kept_values_as_http_client(http_tool, server):
    @server.route("/headers")
    def headers(conn, req):
        conn.sendall(HEADERS_RAW + b"ok")
        return True

    (r,) = run_tool(http_tool, [server.url("/headers")])
    assert kind_name(r) == "OK"
    expected = _http_client_view(HEADERS_RAW)
    # leading blanks go, trailing ones stay, repeats are kept in order
    assert ["X-Trim", "spaced  value \t"] in expected
    assert r["headers"] == expected
    assert r["body"] == "ok"


FOLD_RAW = (
    b"HTTP/1.1 200 OK\r\n"
    b"X-Fold: first\r\n"
    b"   second  \r\n"
    b"\tthird\r\n"
    b"X-Next: n\r\n"
    b"Content-Length: 2\r\n"
    b"\r\n"
)


def test_folded_header_kept_as_http_client_keeps_it(http_tool, server):
    @server.route("/fold")
    def fold(conn, req):
        conn.sendall(FOLD_RAW + b"ok")
        return True

    (r,) = run_tool(http_tool, [server.url("/fold")])
    assert kind_name(r) == "OK"
    expected = _http_client_view(FOLD_RAW)
    assert expected[0] == ["X-Fold", "first\r\n   second  \r\n\tthird"]
    assert r["headers"][:2] == expected[:2]


def test_gzip_body_is_decoded(http_tool, server):
    payload = json.dumps({"jobs": [{"jobId": "job-%d" % i, "status": "IN_PROGRESS"} for i in range(2000)]}).encode()
    packed = gzip.compress(payload)
    assert len(packed) < len(payload) // 4

    @server.route("/gzip")
    def gz(conn, req):
        return send_ok(conn, packed, [("Content-Encoding", "gzip")])

    (r,) = run_tool(http_tool, [server.url("/gzip")])
    assert kind_name(r) == "OK"
    assert r["body_len"] == len(payload)
    assert r["body_sha256"] == hashlib.sha256(payload).hexdigest()
    assert "gzip" in dict(server.requests[0].headers)["Accept-Encoding"]


def test_chunked_body(http_tool, server):
    parts = [b"alpha-", b"x" * 5000, b"-omega"]

    @server.route("/chunked")
    def chunked(conn, req):
        conn.sendall(response(200, [("Transfer-Encoding", "chunked")], reason="OK"))
        for p in parts:
            conn.sendall(b"%x\r\n%s\r\n" % (len(p), p))
            time.sleep(0.02)
        conn.sendall(b"0\r\n\r\n")
        return True

    results = run_tool(http_tool, [server.url("/chunked"), server.url("/ok")])
    whole = b"".join(parts)
    assert kind_name(results[0]) == "OK"
    assert results[0]["body_len"] == len(whole)
    assert results[0]["body_sha256"] == hashlib.sha256(whole).hexdigest()
    assert kind_name(results[1]) == "OK"
    assert server.connections == 1


def test_http_500_is_done_with_its_body(http_tool, server):
    err = b'{"message":"boom"}'

    @server.route("/500")
    def fail(conn, req):
        conn.sendall(response(500, [("Content-Length", len(err))], err, "Internal Server Error"))
        return True

    results = run_tool(http_tool, [server.url("/500"), server.url("/ok")])
    assert (kind_name(results[0]), results[0]["status"], results[0]["body"]) == ("OK", 500, err.decode())
    assert results[0]["message"] == ""
    assert kind_name(results[1]) == "OK"
    assert server.connections == 1  # a complete error response keeps the connection


@pytest.mark.parametrize("how, code", [("reset", CURLE_RECV_ERROR), ("close", CURLE_GOT_NOTHING)])
def test_closed_before_headers(http_tool, server, how, code):
    @server.route("/hangup")
    def hangup(conn, req):
        if how == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False

    (r,) = run_tool(http_tool, [server.url("/hangup")])
    assert kind_name(r) == "CLOSED"
    assert r["curl_code"] == code
    assert r["message"]


def test_body_short_of_content_length(http_tool, server):
    @server.route("/short")
    def short(conn, req):
        conn.sendall(response(200, [("Content-Length", 100)], b"0123456789", "OK"))
        return False

    (r,) = run_tool(http_tool, [server.url("/short")])
    assert kind_name(r) == "CLOSED"
    assert r["curl_code"] == CURLE_PARTIAL_FILE


@pytest.mark.parametrize("path", ["/stall-after-headers", "/stall-before-headers"])
def test_read_timeout(http_tool, server, path):
    @server.route("/stall-before-headers")
    def stall_before(conn, req):
        return wait_for_client_close(conn)

    (r,) = run_tool(http_tool, [server.url(path)], "--read-timeout-ms", 300)
    assert kind_name(r) == "READ_TIMEOUT"
    assert r["curl_code"] == CURLE_OPERATION_TIMEDOUT
    assert r["message"] == "no data received for 300 ms"
    # The server would stall for 10 s.
    assert 250 <= r["elapsed_ms"] < 3000


def test_read_timeout_is_inactivity_not_total(http_tool, server):
    body = b"0123456789"

    @server.route("/trickle")
    def trickle(conn, req):
        conn.sendall(response(200, [("Content-Length", len(body))], reason="OK"))
        for i in range(len(body)):
            time.sleep(0.1)
            conn.sendall(body[i : i + 1])
        return True

    (r,) = run_tool(http_tool, [server.url("/trickle")], "--read-timeout-ms", 400)
    assert kind_name(r) == "OK"
    assert r["body"] == body.decode()
    assert r["elapsed_ms"] >= 900


def test_read_timeout_on_reused_connection_then_new_connection(http_tool, server):
    urls = [server.url("/ok"), server.url("/stall-after-headers"), server.url("/ok")]
    results = run_tool(http_tool, urls, "--read-timeout-ms", 300)
    assert [kind_name(r) for r in results] == ["OK", "READ_TIMEOUT", "OK"]
    assert results[1]["elapsed_ms"] < 3000
    # The timed-out transfer's connection is not reused.
    assert [req.conn_no for req in server.requests] == [1, 1, 2]


def test_connection_refused(http_tool):
    (r,) = run_tool(http_tool, ["http://127.0.0.1:%d/" % free_port()])
    assert kind_name(r) == "CONNECT"
    assert r["curl_code"] == CURLE_COULDNT_CONNECT
    assert r["status"] == 0


def test_connect_timeout(http_tool):
    # A listener whose accept queue is full: Linux drops further SYNs, so
    # the connect neither succeeds nor fails.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0)
    port = lsock.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        time.sleep(0.1)
        (r,) = run_tool(http_tool, ["http://127.0.0.1:%d/" % port], "--connect-timeout-ms", 300,
                        "--read-timeout-ms", 100)
    finally:
        for s in fillers:
            s.close()
        lsock.close()
    assert kind_name(r) == "CONNECT_TIMEOUT"
    assert r["curl_code"] == CURLE_OPERATION_TIMEDOUT
    assert 250 <= r["elapsed_ms"] < 3000


def test_tls_handshake_failure_is_ssl(http_tool):
    # A plain-text answer to a TLS ClientHello.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]

    def answer():
        conn, _ = lsock.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            wait_for_client_close(conn, 5)

    t = threading.Thread(target=answer, daemon=True)
    t.start()
    try:
        (r,) = run_tool(http_tool, ["https://127.0.0.1:%d/" % port], "--connect-timeout-ms", 5000)
    finally:
        t.join(5)
        lsock.close()
    assert kind_name(r) == "SSL"
    assert r["message"]


def test_proxy_refusing_connect_is_proxy(http_tool, server):
    @server.route("iot.example.invalid:443")
    def refuse(conn, req):
        conn.sendall(response(407, [("Content-Length", 0)], reason="Proxy Authentication Required"))
        return True

    (r,) = run_tool(http_tool, ["https://iot.example.invalid/jobs"], "--proxy", server.url(""))
    assert kind_name(r) == "PROXY"
    assert server.requests[0].method == "CONNECT"
    assert "407" in r["message"]


@pytest.mark.parametrize(
    "case, size, expected",
    [
        ("content-length", 1001, "TOO_BIG"),
        ("content-length", 1000, "OK"),
        ("chunked", 1001, "TOO_BIG"),
        ("chunked", 1000, "OK"),
        ("gzip", 5000, "TOO_BIG"),
        # Content-Length (the gzip size) is over the cap, the body is not.
        ("gzip-incompressible", 1000, "OK"),
    ],
)
def test_max_body(http_tool, server, case, size, expected):
    body = os.urandom(size) if case == "gzip-incompressible" else b"x" * size

    @server.route("/body")
    def send_body(conn, req):
        if case == "content-length":
            return send_ok(conn, body)
        if case == "chunked":
            conn.sendall(response(200, [("Transfer-Encoding", "chunked")], reason="OK"))
            for i in range(0, len(body), 300):
                part = body[i : i + 300]
                conn.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            conn.sendall(b"0\r\n\r\n")
            return True
        packed = gzip.compress(body)
        if case == "gzip-incompressible":
            assert len(packed) > 1000
        return send_ok(conn, packed, [("Content-Encoding", "gzip")])

    (r,) = run_tool(http_tool, [server.url("/body")], "--max-body", 1000)
    assert kind_name(r) == expected
    if expected == "TOO_BIG":
        assert r["curl_code"] == CURLE_WRITE_ERROR
        assert r["message"] == "response body over 1000 bytes"
        assert r["body_len"] <= 1000
    else:
        assert r["body_len"] == size
        assert r["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_max_body_checks_content_length_before_the_body(http_tool, server):
    @server.route("/announced")
    def announced(conn, req):
        conn.sendall(response(200, [("Content-Length", 10**9)], reason="OK"))
        return wait_for_client_close(conn)

    (r,) = run_tool(http_tool, [server.url("/announced")], "--max-body", 1000, "--read-timeout-ms", 5000)
    assert kind_name(r) == "TOO_BIG"
    assert r["body_len"] == 0
    assert r["elapsed_ms"] < 2000  # not the read timeout, nor the stall


def test_interim_responses_leave_only_the_final_headers(http_tool, server):
    @server.route("/interim")
    def interim(conn, req):
        conn.sendall(
            b"HTTP/1.1 100 Continue\r\nX-Interim: 100\r\n\r\n"
            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 4\r\n\r\nbody"
        )
        return True

    (r,) = run_tool(http_tool, [server.url("/interim")])
    assert kind_name(r) == "OK"
    assert r["status"] == 200
    assert r["headers"] == [["X-Final", "yes"], ["Content-Length", "4"]]
    assert r["body"] == "body"


def test_wakeup_then_abort_drops_the_connection(http_tool, server):
    # Steps of 10 s: only iot_http_wakeup can end the first one early.
    urls = [server.url("/stall-after-headers"), server.url("/ok")]
    results = run_tool(http_tool, urls, "--step-ms", 10000, "--wakeup-after-ms", 300)
    assert [kind_name(r) for r in results] == ["ABORTED", "OK"]
    assert results[0]["message"] == "transfer aborted"
    assert results[0]["elapsed_ms"] < 3000
    assert results[1]["body"] == "hello"
    # The aborted transfer's connection is closed, not reused.
    assert [req.conn_no for req in server.requests] == [1, 2]
