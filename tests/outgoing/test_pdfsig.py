"""The issued PDF passes poppler's ``pdfsig``: the leader's and the body's signatures valid
and trusted, with the app's dev PKI served over loopback for OCSP (PUBLIC_URL points at it)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import make_scratch_app
from outgoing_helpers import PIN, RACHGIA

pytestmark = pytest.mark.skipif(shutil.which("pdfsig") is None or shutil.which("certutil") is None,
                                reason="poppler-utils / libnss3-tools not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler(BaseHTTPRequestHandler):
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


def test_issued_pdf_passes_pdfsig(scratch_database_url, tmp_path):
    from eoffice.auth import service as auth_service
    from eoffice.core.permissions import SYSTEM
    from eoffice.core.storage import FileStore
    from eoffice.core.uow import unit_of_work
    from eoffice.documents.keys import get_pki, issue_person_key
    from eoffice.orgs import service as org_service
    from eoffice.orgs.artwork import make_seal_png, make_signature_png
    from eoffice.outgoing import service

    port = _free_port()
    app = make_scratch_app(scratch_database_url, tmp_path / "instance",
                           PUBLIC_URL=f"http://127.0.0.1:{port}", SERVER_NAME="localhost")
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        with app.app_context():
            server.pki = get_pki()  # type: ignore[attr-defined]
            thread.start()
            store = FileStore(app.config["STORAGE_DIR"])
            with unit_of_work():
                province = org_service.create_org(
                    SYSTEM, code="000.00.00.H33", name="Ủy ban nhân dân tỉnh Kiên Giang",
                    short_name="UBND", tier="province", parent=None, locality="Kiên Giang")
                province.seal_image = store.put(make_seal_png("ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG"))
                org_service.create_org(SYSTEM, code=RACHGIA, name="Ủy ban nhân dân TP Rạch Giá",
                                       short_name="UBND", tier="district", parent=province,
                                       locality="Rạch Giá")
                users = {}
                for name, role in (("chuyenvien", "specialist"), ("lanhdao", "leader"),
                                   ("vanthu", "clerk")):
                    users[name] = auth_service.create_user(
                        SYSTEM, username=name, password="mat-khau-123", full_name=f"Người {name}",
                        title="Chủ tịch", org=province, roles=[role],
                        identity_number="091070004567")
                users["lanhdao"].signature_image = store.put(make_signature_png("Trần Quốc Khánh"))
                issue_person_key(users["lanhdao"], PIN)
            with unit_of_work():
                doc = service.create_draft(users["chuyenvien"], doc_type="CT",
                                           subject="Chỉ thị thử",
                                           recipients=[RACHGIA], signer="lanhdao",
                                           body="Nội dung chỉ thị.")
                service.submit(users["chuyenvien"], doc)
                service.approve(users["lanhdao"], doc)
                service.sign(users["lanhdao"], doc, pin=PIN)
                service.issue(users["vanthu"], doc)
            pdf = service.current_pdf(doc)
            root = get_pki().root_pem()
        nss = tmp_path / "nss"
        nss.mkdir()
        (tmp_path / "root.pem").write_bytes(root)
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
        subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "devroot", "-t", "C,C,C",
                        "-i", str(tmp_path / "root.pem")], check=True)
        (tmp_path / "issued.pdf").write_bytes(pdf)
        out = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(tmp_path / "issued.pdf")],
                             capture_output=True, text=True, timeout=60, check=False).stdout
    finally:
        server.shutdown()
        server.server_close()
        with app.app_context():
            from eoffice.extensions import db

            db.engine.dispose()
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2, out
