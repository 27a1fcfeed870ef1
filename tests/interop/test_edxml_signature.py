"""XMLDSig on edXML packets: sign → verify round trips, relaying hubs, tampering, trust."""

import base64
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from lxml import etree

from eoffice.interop.edxml import (
    NS,
    Attachment,
    EdocPacket,
    Organization,
    PacketSigner,
    ResponseFor,
    StatusPacket,
    TraceHeader,
    append_trace,
    build_edoc,
    build_status,
    check_packet,
    parse_packet,
    verify_packet_signature,
)
from eoffice.interop.xmldsig import DS_NS, sign_enveloped

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "edxml-samples"
NOW = datetime.now(UTC)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@dataclass(frozen=True)
class Pki:
    root_pem: bytes
    other_root_pem: bytes
    rsa_signer: PacketSigner
    ec_signer: PacketSigner
    expired_signer: PacketSigner
    rogue_signer: PacketSigner


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _cert(subject, issuer, public_key, signing_key, *, ca, not_before, not_after):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return builder.sign(signing_key, hashes.SHA256())


def _ca(cn: str):
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(cn)
    cert = _cert(
        name,
        name,
        key.public_key(),
        key,
        ca=True,
        not_before=NOW - timedelta(days=3650),
        not_after=NOW + timedelta(days=3650),
    )
    return key, cert


@pytest.fixture(scope="module")
def pki() -> Pki:
    root_key, root = _ca("RootCA chuyên dùng Chính phủ (thử nghiệm)")
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    issuing = _cert(
        _name("CA phục vụ các cơ quan Nhà nước (thử nghiệm)"),
        root.subject,
        issuing_key.public_key(),
        root_key,
        ca=True,
        not_before=NOW - timedelta(days=1000),
        not_after=NOW + timedelta(days=1000),
    )
    other_key, other_root = _ca("Another root")

    def body(cn, key, *, issuer_cert=issuing, issuer_key=issuing_key, days=(-30, 365)):
        cert = _cert(
            _name(cn, "UBND tỉnh Kiên Giang"),
            issuer_cert.subject,
            key.public_key(),
            issuer_key,
            ca=False,
            not_before=NOW + timedelta(days=days[0]),
            not_after=NOW + timedelta(days=days[1]),
        )
        return cert

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP384R1())
    old_key = ec.generate_private_key(ec.SECP256R1())
    rogue_key = ec.generate_private_key(ec.SECP256R1())
    pem = serialization.Encoding.PEM
    return Pki(
        root_pem=root.public_bytes(pem),
        other_root_pem=other_root.public_bytes(pem),
        rsa_signer=PacketSigner(
            key=rsa_key, certificate=body("UBND thành phố Rạch Giá", rsa_key), chain=(issuing,)
        ),
        ec_signer=PacketSigner(
            key=ec_key,
            certificate=body("UBND tỉnh Kiên Giang", ec_key),
            chain=(issuing,),
            digest="sha384",
        ),
        expired_signer=PacketSigner(
            key=old_key, certificate=body("Sở cũ", old_key, days=(-400, -10)), chain=(issuing,)
        ),
        rogue_signer=PacketSigner(
            key=rogue_key,
            certificate=body("Giả mạo", rogue_key, issuer_cert=other_root, issuer_key=other_key),
        ),
    )


def edoc() -> EdocPacket:
    return EdocPacket(
        document_id="000.00.30.H33,2026/11/26,12/UBND-VP",
        sender=Organization("000.00.30.H33", organ_name="UBND thành phố Rạch Giá"),
        recipients=(Organization("000.00.00.H33", organ_name="UBND tỉnh Kiên Giang"),),
        code_number="12",
        code_notation="UBND-VP",
        subject="Báo cáo kết quả cải cách hành chính",
        promulgation_date=date(2026, 11, 26),
        priority=1,
        attachments=(Attachment("cid:1", "12-UBND-VP.pdf", "application/pdf", "", PDF),),
    )


def status() -> StatusPacket:
    return StatusPacket(
        sender=Organization("000.00.00.H33"),
        response_for=ResponseFor(
            "000.00.30.H33", "12/UBND-VP", date(2026, 11, 26), edoc().document_id
        ),
        status_code="01",
        description="Đã đến",
        timestamp=datetime(2026, 11, 26, 10, 0, tzinfo=UTC),
    )


def test_signed_edoc_verifies(pki):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    check = verify_packet_signature(data, [pki.root_pem])
    assert check.present and check.intact and check.trusted and check.valid
    assert check.signer == "UBND thành phố Rạch Giá"
    assert check.reason == "Chữ ký gói tin hợp lệ"
    # The signature is in the header, in the XMLDSig namespace, after TraceHeaderList.
    header = etree.fromstring(data).find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert [etree.QName(c).localname for c in header] == [
        "MessageHeader",
        "TraceHeaderList",
        "Signature",
    ]
    assert header[-1].tag == f"{{{DS_NS}}}Signature"
    assert b"xmldsig-filter2" in data
    assert b"rsa-sha256" in data


def test_signed_packet_still_parses_to_the_same_model(pki):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    assert parse_packet(data) == edoc()
    assert check_packet(data)["signature"] == {
        "present": True,
        "intact": True,
        "signer": "UBND thành phố Rạch Giá",
        "reason": check_packet(data)["signature"]["reason"],
    }


def test_ec_signed_status_verifies(pki):
    data = build_status(status(), signer=pki.ec_signer)
    check = verify_packet_signature(data, [pki.root_pem])
    assert check.valid, check.reason
    assert b"ecdsa-sha384" in data
    assert check.signer == "UBND tỉnh Kiên Giang"


@pytest.mark.parametrize("kind", ["edoc", "status"])
def test_hub_hops_keep_the_signature_valid(pki, kind):
    data = (
        build_edoc(edoc(), signer=pki.rsa_signer)
        if kind == "edoc"
        else build_status(status(), signer=pki.ec_signer)
    )
    relayed = append_trace(data, "000.00.00.G22", datetime(2026, 11, 26, 9, 31, tzinfo=UTC))
    relayed = append_trace(relayed, "000.00.00.H33", datetime(2026, 11, 26, 9, 32, tzinfo=UTC))
    assert relayed != data
    assert [hop.organ_id for hop in parse_packet(relayed).trace] == [
        "000.00.00.G22",
        "000.00.00.H33",
    ]
    assert verify_packet_signature(relayed, [pki.root_pem]).valid


def test_hop_on_a_signed_packet_without_trace_list_is_reported(pki):
    # Our builder always writes TraceHeaderList; a signed packet without one (possible from
    # another system) gets a new list on relay, which the signature honestly reports.
    root = etree.fromstring(build_status(status()))
    header = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    header.remove(header.find(f"{{{NS}}}TraceHeaderList"))
    sign_enveloped(root, header, len(header), pki.rsa_signer, excluded=(NS, "TraceHeader"))
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert verify_packet_signature(data, [pki.root_pem]).valid
    relayed = append_trace(data, "000.00.00.G22", datetime(2026, 11, 26, 9, 31, tzinfo=UTC))
    assert len(parse_packet(relayed).trace) == 1
    assert not verify_packet_signature(relayed, [pki.root_pem]).intact


def test_relayed_packet_with_a_business_block_and_existing_hops(pki):
    packet = replace(
        edoc(),
        business_doc_type=2,
        receivers_added=("000.00.31.H33",),
        trace=(TraceHeader("000.00.30.H33", datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),),
    )
    data = build_edoc(packet, signer=pki.rsa_signer)
    relayed = append_trace(data, "000.00.00.G22", datetime(2026, 11, 26, 9, 31, tzinfo=UTC))
    assert [h.organ_id for h in parse_packet(relayed).trace] == ["000.00.30.H33", "000.00.00.G22"]
    assert verify_packet_signature(relayed, [pki.root_pem]).valid
    # Turning the update into a revocation on the way is detected.
    forged = relayed.replace(b"<edXML:BussinessDocType>2<", b"<edXML:BussinessDocType>1<")
    assert not verify_packet_signature(forged, [pki.root_pem]).intact
    added = relayed.replace(b"<edXML:OrganId>000.00.31.H33<", b"<edXML:OrganId>000.00.39.H33<")
    assert not verify_packet_signature(added, [pki.root_pem]).intact


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Báo cáo kết quả cải cách hành chính".encode(), "Báo cáo đã sửa".encode()),
        (b"<edXML:Priority>1<", b"<edXML:Priority>3<"),
        (b"<edXML:OrganId>000.00.00.H33<", b"<edXML:OrganId>000.00.00.H01<"),
        (b"<edXML:Paper>0<", b"<edXML:Paper>1<"),
        (b"<AttachmentName>12-UBND-VP.pdf<", b"<AttachmentName>khac.pdf<"),
    ],
)
def test_tampering_outside_the_trace_is_detected(pki, old, new):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    assert old in data
    check = verify_packet_signature(data.replace(old, new, 1), [pki.root_pem])
    assert check.present is True
    assert check.valid is False and check.intact is False
    assert "thay đổi sau khi ký" in check.reason


def test_swapping_the_pdf_is_detected(pki):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    old = base64.b64encode(PDF)
    forged = base64.b64encode(PDF.replace(b"obj", b"OBJ"))
    assert old in data
    assert not verify_packet_signature(data.replace(old, forged), [pki.root_pem]).valid


def test_changing_text_around_the_hops_is_detected(pki):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    tampered = data.replace(b"<edXML:Bussiness>", b"x<edXML:Bussiness>", 1)
    assert not verify_packet_signature(tampered, [pki.root_pem]).intact


def test_the_hops_are_deliberately_outside_the_signature(pki):
    packet = replace(
        edoc(), trace=(TraceHeader("000.00.30.H33", datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),)
    )
    data = build_edoc(packet, signer=pki.rsa_signer)
    changed = data.replace(b"<edXML:Timestamp>2026/11/26 16:00:00<", b"<edXML:Timestamp>x<", 1)
    assert changed != data
    assert verify_packet_signature(changed, [pki.root_pem]).valid


def test_a_forged_signature_value_is_detected(pki):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    value = re.search(rb"<SignatureValue>([^<]+)</SignatureValue>", data).group(1)
    raw = bytearray(base64.b64decode(value))
    raw[10] ^= 0xFF
    forged = data.replace(value, base64.b64encode(bytes(raw)))
    check = verify_packet_signature(forged, [pki.root_pem])
    assert check.intact is False and check.valid is False
    assert "không khớp" in check.reason


def test_a_filter_that_excludes_more_than_the_trace_is_refused(pki):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    widened = data.replace(b"//edXML:TraceHeader<", b"//edXML:MessageHeader<", 1)
    check = verify_packet_signature(widened, [pki.root_pem])
    assert check.valid is False
    assert "TraceHeader" in check.reason


def test_sha1_is_reported_as_not_acceptable(pki):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    weak = data.replace(
        b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        b"http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    )
    check = verify_packet_signature(weak, [pki.root_pem])
    assert check.valid is False
    assert "SHA-1" in check.reason


def test_unknown_root_is_intact_but_untrusted(pki):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    check = verify_packet_signature(data, [pki.other_root_pem])
    assert (check.present, check.intact, check.trusted, check.valid) == (True, True, False, False)
    assert "tin cậy" in check.reason
    assert not verify_packet_signature(data, []).valid


def test_rogue_certificate_is_untrusted(pki):
    data = build_edoc(edoc(), signer=pki.rogue_signer)
    check = verify_packet_signature(data, [pki.root_pem])
    assert check.intact and not check.trusted and not check.valid


def test_expired_certificate_is_refused(pki):
    data = build_edoc(edoc(), signer=pki.expired_signer)
    check = verify_packet_signature(data, [pki.root_pem])
    assert check.intact and not check.valid
    assert "hết hạn" in check.reason
    back_then = verify_packet_signature(data, [pki.root_pem], at=NOW - timedelta(days=100))
    assert back_then.valid


def test_removed_signature_is_reported_absent(pki):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    stripped = re.sub(rb"<Signature .*?</Signature>", b"", data, flags=re.S)
    check = verify_packet_signature(stripped, [pki.root_pem])
    assert (check.present, check.valid) == (False, False)


def test_missing_certificate_is_reported(pki):
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    stripped = re.sub(rb"<KeyInfo>.*?</KeyInfo>", b"", data, flags=re.S)
    check = verify_packet_signature(stripped, [pki.root_pem])
    assert check.present and not check.valid
    assert "chứng thư" in check.reason


def test_signer_refuses_a_key_that_does_not_match(pki):
    with pytest.raises(ValueError, match="does not match"):
        PacketSigner(key=pki.ec_signer.key, certificate=pki.rsa_signer.certificate)


def test_signer_from_pkcs12(pki):
    blob = pkcs12.serialize_key_and_certificates(
        b"body",
        pki.rsa_signer.key,
        pki.rsa_signer.certificate,
        list(pki.rsa_signer.chain),
        serialization.BestAvailableEncryption(b"123456"),
    )
    signer = PacketSigner.from_pkcs12(blob, b"123456")
    assert signer.certificate == pki.rsa_signer.certificate
    data = build_status(replace(status(), status_code="03"), signer=signer)
    assert verify_packet_signature(data, [pki.root_pem]).valid


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"edXML samples not found: {SAMPLES}")
def test_sample_with_sha1_xmldsig_signature_is_reported(pki):
    # vpcp_edoc.edxml is not well-formed; its signature block, moved into an otherwise valid
    # sample, is a real-looking XMLDSig one (rsa-sha1, no filter): reported, not ignored.
    text = (SAMPLES / "vpcp_edoc.edxml").read_text("utf-8")
    block = re.search(r"<Signature xmlns=.*?</Signature>", text, flags=re.S).group(0)
    host = (SAMPLES / "vpcp_status.edxml").read_text("utf-8")
    data = host.replace("</edXML:MessageHeader>", "</edXML:MessageHeader>" + block).encode()
    check = verify_packet_signature(data, [pki.root_pem])
    assert check.present is True and check.valid is False
    assert "SHA-1" in check.reason
