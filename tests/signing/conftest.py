"""Fixtures for the signing library: a throwaway dev PKI served on loopback, keys,
generated signature/seal images, draft PDFs and an NSS database trusting the dev root."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from signing_helpers import PIN, make_pdf, make_seal_png, make_signature_png

from signing.keys import SignerKey, load_pkcs12
from signing.pki import DevPKI
from signing.revocation import InProcessFetching
from signing.sign import SignOptions
from signing.timestamps import InProcessTsa


class _PkiServer(ThreadingHTTPServer):
    daemon_threads = True
    pki: DevPKI | None = None


class _Handler(BaseHTTPRequestHandler):
    # NSS keeps the OCSP connection open between requests: HTTP/1.0 would make its
    # second request fail.
    protocol_version = "HTTP/1.1"
    server: _PkiServer

    def _answer(self, body: bytes | None) -> None:
        assert self.server.pki is not None
        path = self.path.split("/pki", 1)[-1]
        response = self.server.pki.handle(path, body)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(None)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        self._answer(self.rfile.read(length))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture(scope="session")
def pki_server() -> Iterator[_PkiServer]:
    server = _PkiServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory, pki_server: _PkiServer) -> DevPKI:
    port = pki_server.server_address[1]
    directory = tmp_path_factory.mktemp("pki")
    created = DevPKI.create(directory, base_url=f"http://127.0.0.1:{port}/pki")
    pki_server.pki = created
    return created


@pytest.fixture(scope="session")
def person_p12(pki: DevPKI) -> bytes:
    return pki.issue_person(
        "Nguyễn Văn Ánh", "091088001234", "nvanh@kiengiang.gov.vn", PIN,
        organization="Ủy ban nhân dân tỉnh Kiên Giang",
    )


@pytest.fixture(scope="session")
def body_p12(pki: DevPKI) -> bytes:
    return pki.issue_body("Ủy ban nhân dân tỉnh Kiên Giang", "Chính phủ", "Kiên Giang", PIN)


@pytest.fixture(scope="session")
def person_key(person_p12: bytes) -> SignerKey:
    return load_pkcs12(person_p12, PIN)


@pytest.fixture(scope="session")
def body_key(body_p12: bytes) -> SignerKey:
    return load_pkcs12(body_p12, PIN)


@pytest.fixture(scope="session")
def ecdsa_key(pki: DevPKI) -> SignerKey:
    return load_pkcs12(
        pki.issue_person("Lê Thị Hồng", "079190004567", "lthong@kiengiang.gov.vn", PIN,
                         key_type="ecdsa"),
        PIN,
    )


@pytest.fixture(scope="session")
def options(pki: DevPKI) -> SignOptions:
    """B-T options with the in-process TSA and revocation fetcher (no HTTP)."""
    return SignOptions(
        timestamps=InProcessTsa(pki.timestamper()),
        revocation=InProcessFetching(pki.route),
        trust_roots=(pki.root_pem(),),
    )


@pytest.fixture(scope="session")
def signature_png() -> bytes:
    return make_signature_png()


@pytest.fixture(scope="session")
def seal_png() -> bytes:
    return make_seal_png()


@pytest.fixture(scope="session")
def draft_pdf() -> bytes:
    return make_pdf()


@pytest.fixture(scope="session")
def nssdb(tmp_path_factory: pytest.TempPathFactory, pki: DevPKI) -> Path:
    if shutil.which("certutil") is None or shutil.which("pdfsig") is None:
        pytest.skip("poppler-utils / libnss3-tools not installed")
    directory = tmp_path_factory.mktemp("nss")
    root = directory / "root.pem"
    root.write_bytes(pki.root_pem())
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{directory}", "-n", "devroot", "-t", "C,C,C", "-i",
         str(root)],
        check=True,
    )
    return directory


@pytest.fixture(scope="session")
def run_pdfsig(nssdb: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[bytes], str]:
    """Run ``pdfsig`` (OCSP against the loopback dev PKI) and return its output."""
    directory = tmp_path_factory.mktemp("pdfsig")

    def run(pdf: bytes) -> str:
        path = directory / "doc.pdf"
        path.write_bytes(pdf)
        result = subprocess.run(
            ["pdfsig", "-nssdir", f"sql:{nssdb}", str(path)],
            capture_output=True, text=True, timeout=60, check=False,
        )
        return result.stdout

    return run
