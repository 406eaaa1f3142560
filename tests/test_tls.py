"""Issue #6, hardening: HTTPS against a local TLS endpoint with a throwaway CA.

A CA and a server certificate (for DNS:localhost only) are made at test
time with the ``cryptography`` package (a dependency of moto[server], which
the test extras install). A small TLS terminator in front of the project's
ListJobsServer serves the listing over HTTPS; the server still checks
every SigV4 signature.

* verify="/path/ca.pem": boto3 and iotpager both list every job;
* the CA in the environment (AWS_CA_BUNDLE): the same;
* the system CA bundle (the default): both raise botocore's SSLError, on
  the same URL; likewise a host name the certificate does not name;
* verify=False: both list every job without checking; boto3 (urllib3)
  warns with InsecureRequestWarning on each request, and so must iotpager.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import warnings

import botocore.exceptions
import pytest
import urllib3.exceptions
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import iotpager
from _hardening import hang_guard, job_ids, retry_client, server_ids


@pytest.fixture(autouse=True)
def _guard(monkeypatch):
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE",
                 "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with hang_guard(40):
        yield


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_pki(directory):
    """A throwaway CA and a localhost certificate signed by it: (ca.pem,
    server cert.pem, server key.pem) paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder()
          .subject_name(_name("iotpager test CA")).issuer_name(_name("iotpager test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {}
    for name, data in (("ca.pem", ca.public_bytes(serialization.Encoding.PEM)),
                       ("cert.pem", cert.public_bytes(serialization.Encoding.PEM)),
                       ("key.pem", key.private_bytes(serialization.Encoding.PEM,
                                                     serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))):
        path = directory / name
        path.write_bytes(data)
        paths[name] = str(path)
    return paths["ca.pem"], paths["cert.pem"], paths["key.pem"]


class TLSFront:
    """Accepts TLS on 127.0.0.1 and pipes each connection to a plain backend."""

    def __init__(self, backend_port, certfile, keyfile):
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ctx.load_cert_chain(certfile, keyfile)
        self.backend_port = backend_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshake_failures = 0
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshake_failures += 1
            raw.close()
            return
        try:
            back = socket.create_connection(("127.0.0.1", self.backend_port))
        except OSError:   # the backend is gone (a connection the client left behind)
            tls.close()
            return

        def pump(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        t = threading.Thread(target=pump, args=(back, tls), daemon=True)
        t.start()
        pump(tls, back)
        t.join(5)
        tls.close()
        back.close()

    def close(self):
        self._stop.set()
        self.listener.close()


@pytest.fixture
def https(server_factory, tmp_path):
    srv = server_factory(n_jobs=120)
    ca, cert, key = make_pki(tmp_path)
    front = TLSFront(srv.port, cert, key)
    yield srv, front, ca
    front.close()


def url(front, host="localhost"):
    return f"https://{host}:{front.port}"


def listing(paginator):
    try:
        return list(paginator.paginate(PaginationConfig={"PageSize": 50})), None
    except Exception as e:  # compared by the tests
        return None, e


def both(endpoint, **client_kwargs):
    """(boto3's (pages, error), iotpager's (pages, error)) with the given verify."""
    out = []
    for make in (lambda c: c.get_paginator("list_jobs"), iotpager.get_paginator):
        out.append(listing(make(retry_client(endpoint, {"total_max_attempts": 1}, **client_kwargs))))
    return out


def test_verified_with_the_ca_bundle(https):
    srv, front, ca = https
    (bp, be), (ip, ie) = both(url(front), verify=ca)
    assert be is None and ie is None, (be, ie)
    assert job_ids(bp) == job_ids(ip) == server_ids(srv)
    assert len(srv.requests) == 6 and all(r["signature_ok"] for r in srv.requests)
    assert front.handshake_failures == 0


def test_verified_with_aws_ca_bundle_in_the_environment(https, monkeypatch):
    srv, front, ca = https
    monkeypatch.setenv("AWS_CA_BUNDLE", ca)
    (bp, be), (ip, ie) = both(url(front))
    assert be is None and ie is None, (be, ie)
    assert job_ids(bp) == job_ids(ip) == server_ids(srv)


def _same_ssl_error(be, ie, host):
    assert type(be) is botocore.exceptions.SSLError, be
    assert type(ie) is botocore.exceptions.SSLError, ie
    # the same sentence and the same URL; the library's reason after it differs
    prefix = f"SSL validation failed for https://{host}:"
    assert str(be).startswith(prefix) and str(ie).startswith(prefix), (str(be), str(ie))
    assert str(ie).split(" ", 5)[4] == str(be).split(" ", 5)[4], (str(be), str(ie))


def test_fails_without_the_ca(https):
    srv, front, ca = https
    (bp, be), (ip, ie) = both(url(front))
    _same_ssl_error(be, ie, "localhost")
    assert "certificate" in str(ie).lower(), ie
    assert not [r for r in srv.requests], "a request went out over an unverified connection"


def test_fails_for_a_host_name_the_certificate_does_not_name(https):
    srv, front, ca = https
    (bp, be), (ip, ie) = both(url(front, "127.0.0.1"), verify=ca)
    _same_ssl_error(be, ie, "127.0.0.1")
    assert not srv.requests


def test_fails_with_another_ca(https, tmp_path):
    srv, front, ca = https
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_ca, _, _ = make_pki(other_dir)
    (bp, be), (ip, ie) = both(url(front), verify=other_ca)
    _same_ssl_error(be, ie, "localhost")


def test_verify_false_lists_without_checking(https):
    srv, front, ca = https
    with pytest.warns(urllib3.exceptions.InsecureRequestWarning):   # see the next test
        (bp, be), (ip, ie) = both(url(front), verify=False)
    assert be is None and ie is None, (be, ie)
    assert job_ids(bp) == job_ids(ip) == server_ids(srv)


def test_verify_false_warns_as_boto3_does(https):
    srv, front, ca = https
    counts = []
    for make in (lambda c: c.get_paginator("list_jobs"), iotpager.get_paginator):
        client = retry_client(url(front), {"total_max_attempts": 1}, verify=False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pages, error = listing(make(client))
        assert error is None, error
        counts.append(sum(issubclass(w.category, urllib3.exceptions.InsecureRequestWarning)
                          for w in caught))
    boto3_count, iotpager_count = counts
    assert boto3_count == 3, "boto3 warns once per request (3 pages)"
    assert iotpager_count >= 1, "iotpager gave no InsecureRequestWarning"
