"""The ``CopyOf`` extension of a forwarded copy's edXML packet: written in its own namespace
at the end of ``MessageHeader``, read back, signed with the packet, ignored by readers that
do not know it, and build → parse → build stable."""

from __future__ import annotations

from datetime import date

from lxml import etree

from eoffice.interop import edxml

ORIGINAL = edxml.CopyOf(copy_form="SAO Y", organ_id="000.00.00.H33",
                        organ_name="Ủy ban nhân dân tỉnh Kiên Giang", code="05/CT-UBND",
                        promulgation_date=date(2026, 11, 20),
                        document_id="000.00.00.H33,2026/11/20,05/CT-UBND")


def packet(copy_of: edxml.CopyOf | None = ORIGINAL) -> edxml.EdocPacket:
    return edxml.EdocPacket(
        document_id="000.00.30.H33,2026/11/26,01/SY-UBND",
        sender=edxml.Organization(organ_id="000.00.30.H33",
                                  organ_name="Ủy ban nhân dân thành phố Rạch Giá"),
        recipients=(edxml.Organization(organ_id="000.21.30.H33"),),
        code_number="01", code_notation="SY-UBND", subject="Về cải cách hành chính",
        promulgation_date=date(2026, 11, 26), type_name="Chỉ thị",
        content="Bản sao y số 01/SY-UBND", copy_of=copy_of,
        attachments=(edxml.Attachment(content_id="1", name="01-SY-UBND.pdf",
                                      content_type="application/pdf", description="",
                                      data=b"%PDF-1.7\n%%EOF\n"),))


def test_copy_of_round_trip():
    raw = edxml.build_edoc(packet())
    parsed = edxml.parse_packet(raw)
    assert parsed.copy_of == ORIGINAL
    assert parsed.sender.organ_id == "000.00.30.H33" and parsed.code_notation == "SY-UBND"
    assert edxml.build_edoc(parsed) == raw
    root = etree.fromstring(raw)
    [element] = root.iter(f"{{{edxml.COPY_NS}}}CopyOf")
    assert etree.QName(element.getparent()).localname == "MessageHeader"
    assert element.getparent()[-1] is element
    assert edxml.check_packet(raw)["kind"] == "edoc"


def test_packets_without_the_extension_read_as_before():
    raw = edxml.build_edoc(packet(copy_of=None))
    assert edxml.COPY_NS.encode() not in raw
    assert edxml.parse_packet(raw).copy_of is None


def test_extension_is_covered_by_the_packet_signature(tmp_path):
    from signing.pki import DevPKI

    pki = DevPKI.create(tmp_path / "pki", base_url="http://127.0.0.1:1/pki")
    signer = edxml.PacketSigner.from_pkcs12(
        pki.issue_body("Ủy ban nhân dân thành phố Rạch Giá", "Ủy ban nhân dân tỉnh Kiên Giang",
                       "Rạch Giá", "123456"), b"123456")
    raw = edxml.build_edoc(packet(), signer=signer)
    roots = [pki.root_pem()]
    assert edxml.verify_packet_signature(raw, roots).valid
    tampered = raw.replace(b"05/CT-UBND</cp:Code>", b"06/CT-UBND</cp:Code>")
    assert tampered != raw
    assert not edxml.verify_packet_signature(tampered, roots).valid
