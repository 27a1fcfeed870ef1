"""The Decree 30 flow: prepare → certify → fill number → body seal, validated twice."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from signing_helpers import LAYOUT

from signing.pki import DevPKI
from signing.sign import (
    BODY_FIELD,
    LEADER_FIELD,
    PadesLevel,
    certify_draft,
    fill_number,
    prepare_draft,
    seal_document,
)
from signing.validate import ValidationSettings, load_trust_roots, validate_pdf


@pytest.fixture(scope="module")
def issued(draft_pdf, person_key, body_key, signature_png, seal_png, options) -> bytes:
    prepared = prepare_draft(draft_pdf, LAYOUT)
    certified = certify_draft(prepared, person_key, signature_png=signature_png, options=options)
    filled = fill_number(
        certified.pdf, number="Số: 12/QĐ-UBND", date_line="Kiên Giang, ngày 05 tháng 01 năm 2024"
    )
    sealed = seal_document(
        filled, body_key, seal_png=seal_png, options=replace(options, level=PadesLevel.B_LTA)
    )
    assert sealed.level == PadesLevel.B_LTA
    return sealed.pdf


def test_full_flow_validates_in_our_report(issued: bytes, pki: DevPKI) -> None:
    report = validate_pdf(issued, ValidationSettings(trust_roots=(pki.root_pem(),)))
    data = report.to_dict()
    assert data["valid"] is True, data
    kinds = [s["kind"] for s in data["signatures"]]
    assert kinds == ["signature", "signature", "document_timestamp"]
    leader, body, _ts = data["signatures"]
    assert leader["field"] == LEADER_FIELD
    assert leader["docmdp"] == 2
    assert leader["modification_level"] == "form_filling"
    assert leader["signer"] == {
        "name": "Nguyễn Văn Ánh",
        "organization": "Ủy ban nhân dân tỉnh Kiên Giang",
        "identity": "CCCD:091088001234",
    }
    assert leader["pades_level"] == "B-LTA", __import__("json").dumps(data, ensure_ascii=False)
    assert body["field"] == BODY_FIELD
    assert body["signer"]["name"] == "Ủy ban nhân dân tỉnh Kiên Giang"
    assert body["signer"]["organization"] == "Chính phủ"
    assert body["revocation"] == "good"
    assert body["revocation_source"] == "embedded"
    assert body["modification_level"] == "none"
    assert body["timestamp_at"] is not None
    assert data["verdict"].startswith("Tất cả 2 chữ ký")


def test_leader_signature_passes_pyhanko_default_policy(issued: bytes, pki: DevPKI) -> None:
    reader = PdfFileReader(io.BytesIO(issued))
    leader = reader.embedded_signatures[0]
    status = validate_pdf_signature(
        leader, ValidationContext(trust_roots=load_trust_roots([pki.root_pem()]))
    )
    assert status.bottom_line
    assert status.docmdp_ok
    assert status.modification_level.name == "FORM_FILLING"


def test_full_flow_validates_in_pdfsig(issued: bytes, run_pdfsig) -> None:
    output = run_pdfsig(issued)
    assert output.count("Signature Validation: Signature is Valid.") == 2, output
    assert output.count("Certificate Validation: Certificate is Trusted.") >= 2, output
    assert "ETSI.CAdES.detached" in output


def test_number_and_date_are_in_the_text(issued: bytes, tmp_path) -> None:
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext missing")
    path = tmp_path / "doc.pdf"
    path.write_bytes(issued)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "12/QĐ-UBND" in text
    assert "ngày 05 tháng 01 năm 2024" in text


def test_report_holds_plain_values_not_the_parsed_pdf(issued: bytes, pki: DevPKI) -> None:
    """The report crosses process boundaries (the receiving worker validates in child
    processes): its values are plain Python, never a pyHanko object tied to the reader."""
    data = validate_pdf(issued, ValidationSettings(trust_roots=(pki.root_pem(),))).to_dict()

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(type(k) is str and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or type(value) in (str, int, float, bool)

    assert plain(data), data
    # a whole parsed PDF used to ride along in each signature's field name
    assert len(__import__("pickle").dumps(data)) < len(issued) // 10
