"""Electronic copies (sao y) of a certified Decree 30 document: why the copy embeds the
original instead of signing it in an incremental update, proven with pyHanko and pdfsig."""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from signing_helpers import LAYOUT

from signing.copy import ORIGINAL_NAME, make_copy_base, original_of
from signing.pki import DevPKI
from signing.sign import (
    PadesLevel,
    certify_draft,
    fill_number,
    prepare_draft,
    seal_document,
    sign_copy,
)
from signing.validate import ValidationSettings, validate_pdf


@pytest.fixture(scope="module")
def issued(draft_pdf, person_key, body_key, signature_png, seal_png, options) -> bytes:
    prepared = prepare_draft(draft_pdf, LAYOUT)
    certified = certify_draft(prepared, person_key, signature_png=signature_png, options=options)
    filled = fill_number(certified.pdf, number="Số: 12/CT-UBND",
                         date_line="Kiên Giang, ngày 05 tháng 01 năm 2024")
    return seal_document(filled, body_key, seal_png=seal_png,
                         options=replace(options, level=PadesLevel.B_LTA)).pdf


MOMENT = datetime(2024, 1, 8, 2, 30, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def copy(issued, body_key, options) -> bytes:
    return sign_copy(make_copy_base(issued), body_key, copy_form="SAO Y",
                     body_name="Ủy ban nhân dân thành phố Rạch Giá",
                     options=replace(options, level=PadesLevel.B_LTA), signed_at=MOMENT).pdf


def report(pdf: bytes, pki: DevPKI) -> dict:
    return validate_pdf(pdf, ValidationSettings(trust_roots=(pki.root_pem(),))).to_dict()


def test_incremental_copy_would_break_the_certification(issued, body_key, options, pki,
                                                        run_pdfsig):
    """The reason for embedding: a new visible field after a DocMDP 2 certification."""
    incremental = sign_copy(issued, body_key, copy_form="SAO Y", body_name="UBND TP Rạch Giá",
                            options=options).pdf
    data = report(incremental, pki)
    leader = data["signatures"][0]
    assert leader["docmdp"] == 2 and leader["modification_level"] == "other"
    assert not data["valid"]
    # pdfsig only checks byte ranges: it would not notice
    assert run_pdfsig(incremental).count("Signature Validation: Signature is Valid.") == 3


def test_copy_is_valid_and_carries_the_original_unchanged(copy, issued, pki, run_pdfsig):
    data = report(copy, pki)
    assert data["valid"], data["verdict"]
    kinds = [s["kind"] for s in data["signatures"]]
    assert kinds == ["signature", "document_timestamp"]
    district = data["signatures"][0]
    assert district["signer"]["name"] == "Ủy ban nhân dân tỉnh Kiên Giang"  # the test body key
    assert district["pades_level"] == "B-LTA" and district["trusted"]
    output = run_pdfsig(copy)
    assert "Signature Validation: Signature is Valid." in output, output
    assert "Certificate Validation: Certificate is Trusted." in output, output

    inner = original_of(copy)
    assert inner == issued
    inner_report = report(inner, pki)
    assert inner_report["valid"], inner_report["verdict"]
    assert [s["modification_level"] for s in inner_report["signatures"]
            if s["kind"] == "signature"] == ["form_filling", "none"]
    inner_pdfsig = run_pdfsig(inner)
    assert inner_pdfsig.count("Signature Validation: Signature is Valid.") == 2, inner_pdfsig
    assert inner_pdfsig.count("Certificate Validation: Certificate is Trusted.") == 2


def test_pdfdetach_extracts_the_original(copy, issued, tmp_path):
    path = tmp_path / "copy.pdf"
    path.write_bytes(copy)
    listing = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True,
                             text=True, check=True).stdout
    assert ORIGINAL_NAME in listing
    subprocess.run(["pdfdetach", "-save", "1", "-o", str(tmp_path / "inner.pdf"), str(path)],
                   check=True)
    assert (tmp_path / "inner.pdf").read_bytes() == issued


def test_copy_info_text_top_right_of_page_one(copy, issued, tmp_path):
    path = tmp_path / "copy.pdf"
    path.write_bytes(copy)
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "SAO Y" in text
    assert "Ủy ban nhân dân thành phố Rạch Giá" in text
    assert "2024-01-08T09:30:15+07:00" in text
    # the original's page text (number filled in, subject) is on the copy's page too
    assert "12/CT-UBND" in text
    reader = PdfFileReader(io.BytesIO(copy))
    [sig] = [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig"]
    x0, y0, x1, y1 = (float(v) for v in sig.sig_field["/Rect"])
    box = reader.root["/Pages"]["/Kids"][0]["/MediaBox"]
    width, height = float(box[2]), float(box[3])
    assert x1 > width * 0.8 and y1 > height * 0.9  # top right
    assert len(PdfFileReader(io.BytesIO(issued)).embedded_signatures) == 3


def test_copy_base_refuses_what_is_not_a_pdf():
    from signing.errors import PdfReadError

    with pytest.raises(PdfReadError):
        make_copy_base(b"not a pdf at all")
