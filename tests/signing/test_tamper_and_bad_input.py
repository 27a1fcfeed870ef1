"""Tamper tests and bad input: each gets a specific error or an invalid report."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import copy_into_new_writer
from signing_helpers import LAYOUT, PIN, make_pdf

from signing.errors import (
    BrokenPdfError,
    CertificateExpiredError,
    CertificateRevokedError,
    DocumentStateError,
    DraftNotPreparedError,
    EncryptedPdfError,
    KeyNotFoundError,
    KeyStoreError,
    NotAPdfError,
    PdfReadError,
    WrongPinError,
)
from signing.keys import load_pkcs12
from signing.pki import DevPKI
from signing.sign import (
    NUMBER_FIELD,
    PadesLevel,
    certify_draft,
    fill_number,
    prepare_draft,
    seal_document,
    sign_pdf,
)
from signing.validate import ValidationSettings, validate_pdf


def _settings(pki: DevPKI) -> ValidationSettings:
    return ValidationSettings(trust_roots=(pki.root_pem(),))


@pytest.fixture(scope="module")
def signed(person_key, options) -> bytes:
    return sign_pdf(make_pdf(), person_key, replace(options, field_name="Sig")).pdf


@pytest.fixture(scope="module")
def sealed(person_key, body_key, signature_png, seal_png, options) -> bytes:
    prepared = prepare_draft(make_pdf(), LAYOUT)
    certified = certify_draft(prepared, person_key, signature_png=signature_png, options=options)
    filled = fill_number(certified.pdf, number="Số: 07/QĐ-UBND", date_line="ngày 01")
    return seal_document(
        filled, body_key, seal_png=seal_png, options=replace(options, level=PadesLevel.B_T)
    ).pdf


def test_flipped_byte_is_not_intact(signed: bytes, pki: DevPKI) -> None:
    # Flip a byte inside the first (signed) content stream
    index = signed.index(b"stream", 200) + 20
    assert index < signed.index(b"/ByteRange")
    tampered = bytearray(signed)
    tampered[index] ^= 0x01
    report = validate_pdf(bytes(tampered), _settings(pki))
    assert report.valid is False
    assert report.signatures[0].intact is False
    assert "thay đổi" in report.signatures[0].reason


def test_page_content_appended_after_signing(signed: bytes, pki: DevPKI) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref = writer.find_page_for_modification(0)[0]
    page = page_ref.get_object()
    from pyhanko.pdf_utils import generic

    stream = generic.StreamObject(stream_data=b"BT /F1 30 Tf 100 100 Td (GIAMAO) Tj ET")
    contents = page["/Contents"]
    new_ref = writer.add_object(stream)
    if isinstance(contents, generic.ArrayObject):
        contents.append(new_ref)
    else:
        page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), new_ref])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    report = validate_pdf(out.getvalue(), _settings(pki))
    sig = report.signatures[0]
    assert sig.intact is True
    assert sig.modification_level == "other"
    assert sig.valid is False
    assert report.valid is False


def test_locked_field_changed_after_body_seal(sealed: bytes, pki: DevPKI) -> None:
    assert validate_pdf(sealed, _settings(pki)).valid is True
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    fields = writer.root["/AcroForm"]["/Fields"]
    from pyhanko.pdf_utils import generic

    for ref in fields:
        field = ref.get_object()
        if field.get("/T") == NUMBER_FIELD:
            field["/V"] = generic.TextStringObject("Số: 99/QĐ-UBND")
            writer.mark_update(ref)
    out = io.BytesIO()
    writer.write(out)
    report = validate_pdf(out.getvalue(), _settings(pki))
    body = report.signatures[1]
    assert body.field == "ChuKyCoQuan"
    assert body.valid is False
    assert body.modification_level == "other"
    assert report.valid is False


def test_new_visible_field_after_certification_is_illegal(
    person_key, signature_png, options, pki: DevPKI
) -> None:
    certified = certify_draft(
        prepare_draft(make_pdf(), LAYOUT), person_key, signature_png=signature_png,
        options=options,
    ).pdf
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    writer = IncrementalPdfFileWriter(io.BytesIO(certified))
    append_signature_field(writer, SigFieldSpec("Late", on_page=0, box=(10, 10, 100, 60)))
    out = io.BytesIO()
    writer.write(out)
    report = validate_pdf(out.getvalue(), _settings(pki))
    assert report.signatures[0].valid is False


def test_revoked_signer_cannot_sign_and_fails_validation(
    pki: DevPKI, options, signed: bytes
) -> None:
    p12 = pki.issue_person("Phạm Văn Bình", "012345678902", "pvbinh@kg.gov.vn", PIN)
    key = load_pkcs12(p12, PIN)
    document = sign_pdf(make_pdf(), key, replace(options, field_name="Sig")).pdf
    serial = key.certificate.serial_number
    pki.revoke(serial)
    with pytest.raises(CertificateRevokedError):
        sign_pdf(make_pdf(), key, replace(options, field_name="Sig"))
    from signing.revocation import InProcessFetching

    report = validate_pdf(
        document,
        ValidationSettings(trust_roots=(pki.root_pem(),), revocation=InProcessFetching(pki.route)),
    )
    sig = report.signatures[0]
    assert sig.revocation == "revoked"
    assert sig.revocation_source == "fetched"
    assert sig.valid is False
    assert "thu hồi" in sig.reason
    assert pki.get_issued(serial).revocation_reason == "key_compromise"


def test_expired_signer(pki: DevPKI, options) -> None:
    key = load_pkcs12(
        pki.issue_person("Võ Thị Cúc", "012345678903", "vtcuc@kg.gov.vn", PIN, expired=True), PIN
    )
    with pytest.raises(CertificateExpiredError) as info:
        sign_pdf(make_pdf(), key, replace(options, field_name="Sig"))
    assert "hết hạn" in str(info.value)
    # A signature made anyway (stock pyHanko, no time-stamp) is reported as expired.
    from pyhanko.sign.signers import PdfSignatureMetadata
    from pyhanko.sign.signers import sign_pdf as stock_sign

    out = stock_sign(
        IncrementalPdfFileWriter(io.BytesIO(make_pdf())),
        PdfSignatureMetadata(field_name="Sig"),
        signer=key.signer,
    )
    report = validate_pdf(out.getvalue(), ValidationSettings(trust_roots=(pki.root_pem(),)))
    assert report.signatures[0].expired is True
    assert report.signatures[0].valid is False


def test_untrusted_signer(signed: bytes) -> None:
    other = DevPKI.create(None, base_url="http://other.test/pki")
    report = validate_pdf(signed, ValidationSettings(trust_roots=(other.root_pem(),)))
    sig = report.signatures[0]
    assert sig.intact is True
    assert sig.trusted is False
    assert sig.valid is False
    assert "tin cậy" in sig.reason


def test_wrong_pin(person_p12: bytes) -> None:
    with pytest.raises(WrongPinError) as info:
        load_pkcs12(person_p12, "000000")
    assert info.value.one_line() == "Mã PIN không đúng / Wrong PIN"


def test_not_a_p12() -> None:
    with pytest.raises(KeyStoreError):
        load_pkcs12(b"not a key store", PIN)


def test_p12_without_key(pki: DevPKI) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    data = pkcs12.serialize_key_and_certificates(
        b"x", None, None, [pki.ca_cert], BestAvailableEncryption(PIN.encode())
    )
    with pytest.raises(KeyNotFoundError):
        load_pkcs12(data, PIN)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"hello, not a pdf at all", NotAPdfError),
        (b"%PDF-1.7\n garbage without structure", BrokenPdfError),
        (b"", NotAPdfError),
    ],
)
def test_unreadable_inputs(data: bytes, error: type[Exception], person_key, options) -> None:
    with pytest.raises(error):
        validate_pdf(data)
    with pytest.raises(PdfReadError):
        sign_pdf(data, person_key, replace(options, field_name="Sig"))
    with pytest.raises(PdfReadError):
        prepare_draft(data, LAYOUT)


def test_encrypted_pdf(person_key, options) -> None:
    from pyhanko.pdf_utils.crypt import StandardSecurityHandler
    from pyhanko.pdf_utils.reader import PdfFileReader

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(make_pdf())))
    writer.security_handler = StandardSecurityHandler.build_from_pw("owner", "user")
    writer._assign_security_handler(writer.security_handler)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(EncryptedPdfError):
        validate_pdf(out.getvalue())
    with pytest.raises(EncryptedPdfError):
        sign_pdf(out.getvalue(), person_key, replace(options, field_name="Sig"))


def test_draft_without_prepared_fields(person_key, body_key, signature_png, seal_png,
                                       options) -> None:
    plain = make_pdf()
    with pytest.raises(DraftNotPreparedError):
        certify_draft(plain, person_key, signature_png=signature_png, options=options)
    with pytest.raises(DraftNotPreparedError):
        fill_number(plain, number="1", date_line="x")
    with pytest.raises(DraftNotPreparedError):
        seal_document(plain, body_key, seal_png=seal_png, options=options)


def test_prepare_twice_and_certify_twice(person_key, signature_png, options) -> None:
    prepared = prepare_draft(make_pdf(), LAYOUT)
    with pytest.raises(DocumentStateError):
        prepare_draft(prepared, LAYOUT)
    certified = certify_draft(prepared, person_key, signature_png=signature_png, options=options)
    with pytest.raises(DocumentStateError):
        certify_draft(certified.pdf, person_key, signature_png=signature_png, options=options)
    filled = fill_number(certified.pdf, number="1", date_line="x")
    with pytest.raises(DocumentStateError):
        fill_number(filled, number="2", date_line="y")


def test_validate_never_crashes_on_mangled_signature(signed: bytes, pki: DevPKI) -> None:
    start = signed.index(b"/Contents <") + len(b"/Contents <")
    mangled = signed[:start] + b"3082" + b"0" * 40 + signed[start + 44 :]
    report = validate_pdf(mangled, _settings(pki))
    assert report.valid is False
    assert len(report.signatures) == 1
    assert report.signatures[0].valid is False
    report.to_dict()
