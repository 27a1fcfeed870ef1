"""The issued PDF passes poppler's ``pdfsig``: the leader's and the body's signatures valid
and trusted, with the app's dev PKI served over loopback for OCSP (PUBLIC_URL points at it)."""

from __future__ import annotations

import shutil

import pytest
from helpers import free_port, make_scratch_app, pdfsig, serving_pki
from outgoing_helpers import PIN, RACHGIA

pytestmark = pytest.mark.skipif(shutil.which("pdfsig") is None or shutil.which("certutil") is None,
                                reason="poppler-utils / libnss3-tools not installed")


def test_issued_pdf_passes_pdfsig(scratch_database_url, tmp_path):
    from eoffice.auth import service as auth_service
    from eoffice.core.permissions import SYSTEM
    from eoffice.core.storage import FileStore
    from eoffice.core.uow import unit_of_work
    from eoffice.documents.keys import get_pki, issue_person_key
    from eoffice.orgs import service as org_service
    from eoffice.orgs.artwork import make_seal_png, make_signature_png
    from eoffice.outgoing import service

    public_url = f"http://127.0.0.1:{free_port()}"
    app = make_scratch_app(scratch_database_url, tmp_path / "instance",
                           PUBLIC_URL=public_url, SERVER_NAME="localhost")
    try:
        with app.app_context(), serving_pki(get_pki(), public_url):
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
            out = pdfsig(tmp_path, get_pki().root_pem(),
                         {"issued.pdf": service.current_pdf(doc)})["issued.pdf"]
    finally:
        with app.app_context():
            from eoffice.extensions import db

            db.engine.dispose()
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2, out
