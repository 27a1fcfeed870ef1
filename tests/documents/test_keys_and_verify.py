"""The app's PKI: /pki/ services, signer keys, verification via API and CLI."""

from __future__ import annotations

import io

import pytest
from asn1crypto import tsp
from click.testing import CliRunner
from fpdf import FPDF

import signing
from eoffice.core.errors import ValidationFailed
from eoffice.documents import keys


@pytest.fixture
def pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text="Quyet dinh so 15")
    return bytes(pdf.output())


@pytest.fixture
def signed_pdf(pdf_bytes, make_org, db_session) -> bytes:
    org = make_org(name="Ủy ban nhân dân tỉnh Kiên Giang")
    key = keys.load_body_key(org)
    result = signing.sign_pdf(pdf_bytes, key, signing.SignOptions(
        field_name="Seal", level=signing.PadesLevel.B_T, timestamps=keys.timestamps(),
        revocation=keys.revocation()))
    return result.pdf


def test_root_is_public(client):
    response = client.get("/pki/root.pem")
    assert response.status_code == 200
    assert response.data.startswith(b"-----BEGIN CERTIFICATE-----")
    assert client.get("/pki/ca.crl").status_code == 200
    assert client.get("/pki/nothing-here").status_code == 404


def test_tsa_answers_rfc3161(client):
    request = tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                            "hashed_message": b"\x01" * 32},
        "cert_req": True,
    })
    response = client.post("/pki/tsa", data=request.dump(),
                           content_type="application/timestamp-query")
    assert response.status_code == 200
    answer = tsp.TimeStampResp.load(response.data)
    assert answer["status"]["status"].native == "granted"


def test_body_key_signs_and_verifies_trusted(signed_pdf, db_session):
    report = keys.verify_pdf(signed_pdf)
    assert report["valid"] is True
    [sig] = report["signatures"]
    assert sig["signer"]["name"] == "Ủy ban nhân dân tỉnh Kiên Giang"
    assert sig["trusted"] and sig["intact"] and sig["pades_level"] in ("B-T", "B-LT")


def test_person_key_needs_its_pin(make_user, db_session):
    leader = make_user(role="leader", identity_number="091070004567",
                       full_name="Trần Quốc Khánh")
    record = keys.issue_person_key(leader, "246810")
    assert "Trần Quốc Khánh" in record.subject
    assert keys.load_signer_key(record, "246810").subject_name
    with pytest.raises(signing.errors.WrongPinError):
        keys.load_signer_key(record, "000000")


def test_verify_api(client, api_token, make_user, signed_pdf):
    user = make_user(role="clerk")
    headers = {"Authorization": f"Bearer {api_token(user.username)}"}
    ok = client.post("/api/v1/verify", headers=headers,
                     data={"file": (io.BytesIO(signed_pdf), "qd.pdf")})
    assert ok.status_code == 200
    body = ok.get_json()
    assert body["valid"] is True and body["verdict"] and body["verdict_en"]
    assert set(body["signatures"][0]) >= {"kind", "field", "signer", "signed_at",
                                          "timestamp_at", "intact", "byte_range_valid",
                                          "trusted", "revocation", "expired", "docmdp",
                                          "modification_level", "pades_level", "valid",
                                          "reason"}
    bad = client.post("/api/v1/verify", headers=headers,
                      data={"file": (io.BytesIO(b"not a pdf at all"), "x.pdf")})
    assert bad.status_code == 422 and "PDF" in bad.get_json()["error"]["message"]
    assert client.post("/api/v1/verify", data={"file": (io.BytesIO(signed_pdf), "a.pdf")}
                       ).status_code == 401


def test_tampered_pdf_is_invalid(signed_pdf, db_session):
    tampered = bytearray(signed_pdf)
    index = tampered.find(b"Quyet dinh")
    if index < 0:  # content stream compressed: flip a byte inside the first stream instead
        index = tampered.find(b"stream") + 20
    tampered[index] ^= 0x01
    report = keys.verify_pdf(bytes(tampered))
    assert report["valid"] is False


def test_verify_rejects_non_pdf(app, db_session):
    with pytest.raises(ValidationFailed):
        keys.verify_pdf(b"%PDF-1.7 broken")


def test_cli_verify_and_export_root(app, signed_pdf, tmp_path, db_session):
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_pdf)
    runner = CliRunner()
    ok = runner.invoke(app.cli, ["verify", str(path)])
    assert ok.exit_code == 0, ok.output
    assert "✓" in ok.output
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"hello")
    assert runner.invoke(app.cli, ["verify", str(broken)]).exit_code == 1
    root = tmp_path / "root.pem"
    assert runner.invoke(app.cli, ["pki", "export-root", str(root)]).exit_code == 0
    assert root.read_bytes() == keys.get_pki().root_pem()
