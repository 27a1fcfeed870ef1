"""The speed-ups behave exactly like the pyHanko / asn1crypto code they replace."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from hypothesis import given
from hypothesis import strategies as st
from pyhanko.pdf_utils.misc import (
    PDF_DELIMITERS,
    PDF_WHITESPACE,
    PdfReadError,
    PdfStreamError,
)
from pyhanko.sign.general import as_signing_certificate, as_signing_certificate_v2

from signing import _speedups
from signing._speedups import (
    ORIGINAL_DECODE_NAME,
    ORIGINAL_MATCH_ISSUER_SERIAL,
    ORIGINAL_READ_HEX,
    ORIGINAL_READ_UNTIL_CLASS,
    ORIGINAL_STRING_PREP,
    decode_name,
    match_issuer_serial,
    read_hex_string_from_stream,
    read_until_class,
    signing_certificate,
    signing_certificate_v2,
)

HEXISH = st.text(alphabet="0123456789abcdefABCDEF \n\r\t", max_size=300)


@given(body=HEXISH, tail=st.binary(max_size=20))
def test_same_result_and_position(body: str, tail: bytes) -> None:
    data = b"<" + body.encode() + b">" + tail
    ours, theirs = io.BytesIO(data), io.BytesIO(data)
    assert read_hex_string_from_stream(ours) == ORIGINAL_READ_HEX(theirs)
    assert ours.tell() == theirs.tell()


@pytest.mark.parametrize("data", [b"<12zz>", b"<1234", b"<"])
def test_same_errors(data: bytes) -> None:
    with pytest.raises(PdfStreamError):
        ORIGINAL_READ_HEX(io.BytesIO(data))
    with pytest.raises(PdfStreamError):
        read_hex_string_from_stream(io.BytesIO(data))


NAMEISH = st.text(
    alphabet=st.sampled_from("aAăĂâÂđĐêÊôÔơƠưƯ ̣̀́̉̃ếỆỳỸ  \t-.,'NguyễnVănÁnh"), max_size=40
)


@given(text=NAMEISH)
def test_memoised_string_prep_matches_asn1crypto(text: str) -> None:
    try:
        expected = ORIGINAL_STRING_PREP(None, text)  # type: ignore[arg-type]
    except ValueError:
        with pytest.raises(ValueError):
            _speedups._string_prep(text)
        return
    assert _speedups._string_prep(text) == expected


def test_name_comparison_is_rfc5280_with_and_without_speedups() -> None:
    one = asn1_x509.Name.build({"common_name": "Nguyễn  Văn ÁNH", "country_name": "VN"})
    two = asn1_x509.Name.build({"common_name": "nguyễn văn ánh", "country_name": "VN"})
    other = asn1_x509.Name.build({"common_name": "Nguyễn Văn Anh", "country_name": "VN"})
    for enabled in (False, True):
        _speedups.install(enabled)
        try:
            fresh = [asn1_x509.Name.load(n.dump()) for n in (one, two, other)]
            assert fresh[0] == fresh[1]
            assert fresh[0] != fresh[2]
            assert fresh[0].hashable == fresh[1].hashable
        finally:
            _speedups.install(True)


def test_cached_signing_certificate_attributes_match_pyhanko(body_key) -> None:  # type: ignore[no-untyped-def]
    cert = body_key.certificate
    assert signing_certificate_v2(cert).dump() == as_signing_certificate_v2(cert).dump()
    assert signing_certificate(cert).dump() == as_signing_certificate(cert).dump()
    assert signing_certificate_v2(cert, "sha512").dump() == (
        as_signing_certificate_v2(cert, "sha512").dump()
    )


TOKENISH = st.binary(max_size=200) | st.text(
    alphabet="abc/#0123456789 \n\r\t<>[]()%{}", max_size=200
).map(str.encode)
CLASSES = st.sampled_from(
    [PDF_WHITESPACE, PDF_WHITESPACE + PDF_DELIMITERS, b"/", b"#ab"]
)


@given(data=TOKENISH, classes=CLASSES, maxchars=st.sampled_from([None, 1, 5, 70, 300]),
       offset=st.integers(min_value=0, max_value=10))
def test_read_until_class_matches_pyhanko(
    data: bytes, classes: bytes, maxchars: int | None, offset: int
) -> None:
    ours, theirs = io.BytesIO(data), io.BytesIO(data)
    ours.seek(min(offset, len(data)))
    theirs.seek(min(offset, len(data)))
    assert read_until_class(classes, ours, maxchars) == ORIGINAL_READ_UNTIL_CLASS(
        classes, theirs, maxchars
    )
    assert ours.tell() == theirs.tell()


@given(name=TOKENISH)
def test_decode_name_matches_pyhanko(name: bytes) -> None:
    try:
        expected = ORIGINAL_DECODE_NAME(name)
    except PdfReadError:
        with pytest.raises(PdfReadError):
            decode_name(name)
        return
    got = decode_name(name)
    assert got == expected
    assert type(got) is type(expected)
    assert got is not decode_name(name)  # a fresh object: pyHanko sets attributes on it


def test_match_issuer_serial_agrees_with_pyhanko(person_key, body_key, ecdsa_key) -> None:  # type: ignore[no-untyped-def]
    certs = [person_key.certificate, body_key.certificate, ecdsa_key.certificate,
             *person_key.chain]
    cases = 0
    for owner in certs:
        ids = [
            cms.IssuerAndSerialNumber(
                {"issuer": owner.issuer, "serial_number": owner.serial_number}
            ),
            as_signing_certificate_v2(owner)["certs"][0]["issuer_serial"],
            tsp.IssuerSerial({
                "issuer": [asn1_x509.GeneralName({"directory_name": owner.issuer})] * 2,
                "serial_number": owner.serial_number,
            }),
        ]
        for expected in ids:
            for cert in certs:
                ours = match_issuer_serial(expected, cert)
                assert ours == ORIGINAL_MATCH_ISSUER_SERIAL(expected, cert)
                cases += ours
    assert cases == 2 * len(certs)  # each certificate matches its own two valid ids


def test_reverse_xref_map_matches_pyhanko(  # type: ignore[no-untyped-def]
    person_key, body_key, options, signature_png, seal_png
) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from signing_helpers import LAYOUT, make_pdf

    from signing._reverse_xref import ORIGINAL_LOAD_REVERSE_XREF_CACHE, load_reverse_xref_cache
    from signing.sign import (
        PadesLevel,
        certify_draft,
        fill_number,
        prepare_draft,
        seal_document,
    )

    certified = certify_draft(prepare_draft(make_pdf(pages=12), LAYOUT), person_key,
                              signature_png=signature_png, options=options).pdf
    filled = fill_number(certified, number="Số: 1/QĐ-UBND", date_line="ngày 05/01/2024")
    sealed = seal_document(filled, body_key, seal_png=seal_png,
                           options=replace(options, level=PadesLevel.B_LTA)).pdf
    compared = 0
    ours, theirs = PdfFileReader(io.BytesIO(sealed)), PdfFileReader(io.BytesIO(sealed))
    for revision in range(ours.xrefs.total_revisions):
        mine = ours.get_historical_resolver(revision)
        original = theirs.get_historical_resolver(revision)
        load_reverse_xref_cache(mine)
        ORIGINAL_LOAD_REVERSE_XREF_CACHE(original)
        lazy = mine._indirect_object_access_cache
        flattened = {ref: lazy[ref] for ref in lazy}  # flattened when read
        assert flattened == original._indirect_object_access_cache
        assert dict(lazy.items()) == original._indirect_object_access_cache
        compared += len(flattened)
    assert ours.xrefs.total_revisions >= 5 and compared > 100


def test_certificate_info_from_parsed_cache_matches_pyhanko(  # type: ignore[no-untyped-def]
    person_key, options, signature_png
) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
    from signing_helpers import LAYOUT, make_pdf

    from signing._speedups import ORIGINAL_EXTRACT_CERTIFICATE_INFO, extract_certificate_info
    from signing.sign import certify_draft, prepare_draft

    certified = certify_draft(prepare_draft(make_pdf(pages=1), LAYOUT), person_key,
                              signature_png=signature_png, options=options).pdf
    (emb,) = PdfFileReader(io.BytesIO(certified)).embedded_signatures
    (token,) = extract_tst_data_iter(emb.signer_info, signed=False)  # the B-T token
    for signed_data in (emb.signed_data, token):
        ours = extract_certificate_info(signed_data)
        theirs = ORIGINAL_EXTRACT_CERTIFICATE_INFO(signed_data)
        assert ours.signer_cert.dump() == theirs.signer_cert.dump()
        assert [c.dump() for c in ours.other_certs] == [c.dump() for c in theirs.other_certs]
        assert ours.attribute_certs == theirs.attribute_certs
        again = extract_certificate_info(signed_data)
        assert again.signer_cert is ours.signer_cert  # parsed once per process
    assert extract_certificate_info(emb.signed_data).signer_cert.dump() == (
        person_key.certificate.dump()
    )


def _same_view(ours, theirs) -> None:  # type: ignore[no-untyped-def]
    """Structurally equal, same types, same container references, all the way down."""
    from pyhanko.pdf_utils import generic

    assert type(ours) is type(theirs)
    if isinstance(ours, generic.IndirectObject):
        assert ours.reference == theirs.reference
        return
    if isinstance(ours, generic.DictionaryObject | generic.ArrayObject):
        assert ours.container_ref == theirs.container_ref
        if isinstance(ours, generic.StreamObject):
            assert ours.encoded_data == theirs.encoded_data
        if isinstance(ours, generic.DictionaryObject):
            assert ours.keys() == theirs.keys()
            for key in ours:
                _same_view(ours.raw_get(key), theirs.raw_get(key))
        else:
            assert len(ours) == len(theirs)
            for mine, original in zip(ours, theirs, strict=True):
                _same_view(mine, original)
        return
    assert ours is theirs  # primitives are shared with the reader


def test_subsume_object_matches_pyhanko(  # type: ignore[no-untyped-def]
    body_key, person_key, options, signature_png, seal_png
) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.misc import PdfReadError as PyHankoReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from signing_helpers import LAYOUT, make_pdf

    from signing._speedups import ORIGINAL_SUBSUME_OBJECT, subsume_object
    from signing.sign import PadesLevel, certify_draft, fill_number, prepare_draft, seal_document

    certified = certify_draft(prepare_draft(make_pdf(pages=3), LAYOUT), person_key,
                              signature_png=signature_png, options=options).pdf
    sealed = seal_document(fill_number(certified, number="Số: 1/QĐ", date_line="ngày 1"),
                           body_key, seal_png=seal_png,
                           options=replace(options, level=PadesLevel.B_LTA)).pdf
    reader = PdfFileReader(io.BytesIO(sealed))
    compared = 0
    for revision in range(reader.xrefs.total_revisions):
        resolver = reader.get_historical_resolver(revision)
        for ref in reader.xrefs.explicit_refs_in_revision(revision):
            raw = reader.get_object(ref, revision, transparent_decrypt=False)
            _speedups.install(enabled=False)  # pyHanko's method all the way down
            try:
                theirs = ORIGINAL_SUBSUME_OBJECT(resolver, raw)
            finally:
                _speedups.install(enabled=True)
            _same_view(subsume_object(resolver, raw), theirs)
            compared += 1
    assert compared > 50
    orphan = generic.NumberObject(7)  # no container reference: both refuse it
    with pytest.raises(PyHankoReadError):
        ORIGINAL_SUBSUME_OBJECT(resolver, orphan)
    with pytest.raises(PyHankoReadError):
        subsume_object(resolver, orphan)
