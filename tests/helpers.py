"""Helpers shared by the test modules (importable as ``helpers``)."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from eoffice.config import require_services

PASSWORD = "mat-khau-123"


def service_available(url: str) -> bool:
    """Whether a TCP service answers at ``url``'s host and port."""
    parsed = urlparse(url.replace("postgresql+psycopg", "postgresql"))
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), 2):
            return True
    except OSError:
        return False


def need_service(name: str, url: str | None) -> None:
    """Skip (or fail, when services are required) if a service is missing."""
    if url and service_available(url):
        return
    message = f"{name} is not available ({url or 'not configured'})"
    if require_services():
        pytest.fail(message + " but EOFFICE_REQUIRE_SERVICES=1")
    pytest.skip(message)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def make_scratch_app(url: str, instance: Any, **config: Any) -> Any:
    """A second app on ``url`` (migrated), outside the per-test rollback."""
    from eoffice import create_app
    from eoffice.core.schema import upgrade_database

    app = create_app({"ENV": "testing", "INSTANCE_PATH": str(instance), "SECRET_KEY": "scratch",
                      "SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": str(instance / "files"),
                      **config})
    app.extensions["celery"].conf.broker_url = "memory://"
    with app.app_context():
        upgrade_database()
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _PkiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # NSS keeps the OCSP connection open

    def _answer(self, body: bytes | None) -> None:
        response = self.server.pki.handle(self.path.split("/pki", 1)[-1], body)  # type: ignore[attr-defined]
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(None)

    def do_POST(self) -> None:  # noqa: N802
        self._answer(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@contextmanager
def serving_pki(pki: Any, public_url: str) -> Iterator[None]:
    """Serve the app's dev PKI (CRL, OCSP) at ``public_url``/pki over loopback, as the
    certificates name it, so that ``pdfsig`` (NSS) can check revocation online."""
    port = int(public_url.rsplit(":", 1)[1].split("/")[0])
    server = ThreadingHTTPServer(("127.0.0.1", port), _PkiHandler)
    server.daemon_threads = True
    server.pki = pki  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def pdfsig(workdir: Path, root_pem: bytes, files: dict[str, bytes]) -> dict[str, str]:
    """poppler's ``pdfsig`` output for each file, with ``root_pem`` trusted in a fresh NSS
    database (run it inside ``serving_pki`` so the OCSP check gets an answer)."""
    nss = workdir / "nss"
    nss.mkdir()
    (workdir / "root.pem").write_bytes(root_pem)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "devroot", "-t", "C,C,C",
                    "-i", str(workdir / "root.pem")], check=True)
    out = {}
    for name, data in files.items():
        (workdir / name).write_bytes(data)
        out[name] = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(workdir / name)],
                                   capture_output=True, text=True, timeout=60, check=False).stdout
    return out


def plain_pdf(text: str = "Chi thi so 05 ve cai cach hanh chinh") -> bytes:
    """An unsigned one-page PDF."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())
