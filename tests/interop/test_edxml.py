"""edXML building, parsing and conformance errors with our own packets."""

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from eoffice.interop.edxml import (
    MAX_ATTACHMENT_BYTES,
    NS,
    Attachment,
    EdocPacket,
    EdxmlError,
    Organization,
    ReplacementInfo,
    ResponseFor,
    StatusPacket,
    TraceHeader,
    build_edoc,
    build_status,
    check_attachments,
    check_packet,
    make_document_id,
    parse_document_id,
    parse_packet,
)

VN = timezone(timedelta(hours=7))
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PROVINCE = Organization(
    "000.00.00.H33",
    organ_name="UBND tỉnh Kiên Giang",
    organization_in_charge="UBND tỉnh Kiên Giang",
    organ_add="06 Nguyễn Công Trứ, Rạch Giá",
    email="ubnd@kiengiang.gov.vn",
)
RACH_GIA = Organization("000.00.30.H33", organ_name="UBND thành phố Rạch Giá")


def make_edoc(**changes) -> EdocPacket:
    packet = EdocPacket(
        document_id=make_document_id("000.00.00.H33", date(2026, 11, 26), "05", "CT-UBND"),
        sender=PROVINCE,
        recipients=(RACH_GIA, Organization("000.00.00.G22", organ_name="Văn phòng Chính phủ")),
        code_number="05",
        code_notation="CT-UBND",
        subject="Chỉ thị về đẩy mạnh cải cách hành chính",
        place="Kiên Giang",
        promulgation_date=date(2026, 11, 26),
        doc_type=1,
        type_name="Chỉ thị",
        content="Tăng cường gửi nhận văn bản điện tử",
        signer_competence="KT. CHỦ TỊCH",
        signer_position="Phó Chủ tịch",
        signer_full_name="Nguyễn Văn A",
        due_date=date(2026, 12, 31),
        to_places=("Như trên", "Lưu: VT"),
        priority=2,
        steering_type=2,
        trace=(TraceHeader("000.00.00.H33", datetime(2026, 11, 26, 9, 30, 15, tzinfo=VN)),),
        attachments=(Attachment("cid:1", "05-CT-UBND.pdf", "application/pdf", "Chỉ thị 05", PDF),),
    )
    return replace(packet, **changes)


def make_status(**changes) -> StatusPacket:
    packet = StatusPacket(
        sender=RACH_GIA,
        response_for=ResponseFor(
            "000.00.00.H33", "05/CT-UBND", date(2026, 11, 26), make_edoc().document_id
        ),
        status_code="03",
        description="Đã vào sổ văn bản đến",
        timestamp=datetime(2026, 11, 26, 10, 0, 0, tzinfo=VN),
        staff_department="Văn thư",
        staff_name="Trần Thị B",
    )
    return replace(packet, **changes)


def reason(data: bytes) -> EdxmlError:
    with pytest.raises(EdxmlError) as info:
        parse_packet(data)
    return info.value


def test_document_id_helpers():
    doc_id = make_document_id("000.00.00.H33", date(2026, 11, 26), "05", "CT-UBND")
    assert doc_id == "000.00.00.H33,2026/11/26,05/CT-UBND"
    assert parse_document_id(doc_id) == ("000.00.00.H33", date(2026, 11, 26), "05", "CT-UBND")
    assert parse_document_id("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")[3] == "VPCP-TTĐT"
    assert parse_document_id("9fbfbad2-f1f8-4256-a2eb-50fb1061cddb") is None
    assert parse_document_id("000.00.00.G22,2014/02/30,7806/VPCP-TTĐT") is None


def test_edoc_build_then_parse_gives_the_model_back():
    packet = make_edoc()
    data = build_edoc(packet)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="' + NS.encode())
    assert b"<edXML:DocumentId>000.00.00.H33,2026/11/26,05/CT-UBND</edXML:DocumentId>" in data
    assert b"<edXML:PromulgationDate>2026/11/26</edXML:PromulgationDate>" in data
    assert b"<edXML:Timestamp>2026/11/26 09:30:15</edXML:Timestamp>" in data
    assert b"<edXML:Priority>2</edXML:Priority>" in data
    assert b"<ContentType>application/pdf</ContentType>" in data
    parsed = parse_packet(data)
    assert parsed == packet
    assert parsed.attachments[0].data == PDF
    assert build_edoc(parsed) == data


def test_status_build_then_parse():
    packet = make_status()
    data = build_status(packet)
    assert b"<edXML:StatusCode>03</edXML:StatusCode>" in data
    assert b"<edXML:Timestamp>2026/11/26 10:00:00</edXML:Timestamp>" in data
    parsed = parse_packet(data)
    assert parsed == packet
    assert parsed.recipient_code == "000.00.00.H33"


def test_timestamps_are_written_in_vietnam_time():
    packet = make_status(timestamp=datetime(2026, 11, 26, 2, 0, 0, tzinfo=UTC))
    data = build_status(packet)
    assert b"<edXML:Timestamp>2026/11/26 09:00:00</edXML:Timestamp>" in data
    assert parse_packet(data).timestamp == packet.timestamp


@pytest.mark.parametrize(
    "business",
    [
        {"business_doc_type": 1, "business_doc_reason": "Thu hồi do sai sót"},
        {
            "business_doc_type": 2,
            "business_doc_reason": "Cập nhật nơi nhận",
            "business_document_receiver": 1,
            "receivers_added": ("000.00.31.H33",),
            "receivers_removed": ("000.00.30.H33", "000.00.32.H33"),
        },
        {
            "business_doc_type": 3,
            "business_doc_reason": "Thay thế văn bản",
            "replaces": ("000.00.00.H33,2026/11/20,04/CT-UBND",),
            "replacement_info": (
                ReplacementInfo("000.00.00.H33,2026/11/20,04/CT-UBND", ("000.00.30.H33",)),
            ),
            "paper": 1,
        },
    ],
)
def test_business_packets_round_trip(business):
    packet = make_edoc(business_document_id="000.00.00.H33,2026/11/20,04/CT-UBND", **business)
    data = build_edoc(packet)
    assert f"<edXML:BussinessDocType>{packet.business_doc_type}<".encode() in data
    assert parse_packet(data) == packet


def test_replacement_list_is_written_as_in_qcvn_102():
    packet = make_edoc(
        business_doc_type=3,
        replaces=("OLD-1", "OLD-2"),
        replacement_info=(ReplacementInfo("OLD-2", ("A", "B")),),
    )
    text = build_edoc(packet).decode()
    assert re.search(
        r"<edXML:ReplacementInfo>\s*<edXML:DocumentId>OLD-2</edXML:DocumentId>\s*"
        r"<edXML:OrganIdList>\s*<edXML:OrganId>A</edXML:OrganId>\s*<edXML:OrganId>B<",
        text,
    )
    parsed = parse_packet(text.encode())
    assert parsed.replaces == ("OLD-1", "OLD-2")
    assert parsed.replacement_info == (
        ReplacementInfo("OLD-1"),
        ReplacementInfo("OLD-2", ("A", "B")),
    )


def _edit(data: bytes, old: str, new: str) -> bytes:
    text = data.decode()
    assert old in text, old
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/11/26", date(2026, 11, 26)),
        ("26/11/2026", date(2026, 11, 26)),
        ("2026-11-26", date(2026, 11, 26)),
        ("2026-11-26T08:00:00+07:00", date(2026, 11, 26)),
        ("2026/1/5", date(2026, 1, 5)),
    ],
)
def test_both_date_styles_and_iso_are_accepted(text, expected):
    data = _edit(build_edoc(make_edoc()), "<edXML:DueDate>2026/12/31<", f"<edXML:DueDate>{text}<")
    assert parse_packet(data).due_date == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/11/26 10:00:00", datetime(2026, 11, 26, 10, tzinfo=VN)),
        ("26/11/2026 10:00:00", datetime(2026, 11, 26, 10, tzinfo=VN)),
        ("2026-11-26T03:00:00Z", datetime(2026, 11, 26, 10, tzinfo=VN)),
        ("2026-11-26T10:00:00.250+07:00", datetime(2026, 11, 26, 10, 0, 0, 250000, tzinfo=VN)),
        ("2026-11-26", datetime(2026, 11, 26, tzinfo=VN)),
    ],
)
def test_timestamp_styles_are_accepted(text, expected):
    data = _edit(
        build_status(make_status()),
        "<edXML:Timestamp>2026/11/26 10:00:00<",
        f"<edXML:Timestamp>{text}<",
    )
    assert parse_packet(data).timestamp == expected


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("<edXML:DueDate>2026/12/31<", "<edXML:DueDate>31.12.2026<", "DueDate"),
        ("<edXML:DueDate>2026/12/31<", "<edXML:DueDate>2026/02/30<", "DueDate"),
        ("<edXML:Priority>2<", "<edXML:Priority>5<", "Priority"),
        ("<edXML:Priority>2<", "<edXML:Priority>khẩn<", "Priority"),
        ("<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>4<", "BussinessDocType"),
        ("<edXML:Subject>Chỉ thị về đẩy mạnh cải cách hành chính<", "<edXML:Subject><", "Subject"),
        ("<edXML:OrganId>000.00.00.H33</edXML:OrganId>", "<edXML:OrganId/>", "From/OrganId"),
        ("<edXML:Direction>false<", "<edXML:Direction>maybe<", "Direction"),
        ("<edXML:Timestamp>2026/11/26 09:30:15<", "<edXML:Timestamp>9h30<", "Timestamp"),
        ("<ContentTransferEncoded>", "<ContentTransferEncoded>@@", "base64"),
        ("<ContentId>cid:1</ContentId>", "<ContentId>cid:2</ContentId>", "cid:1"),
        ('<edXML xmlns="' + NS, '<edXML xmlns="http://www.go.vn/eDoc', "không gian tên"),
        ("<edXML:Type>1<", "<edXML:Type>1.5<", "DocumentType/Type"),
    ],
)
def test_non_conformant_edoc_is_refused_with_the_reason(old, new, words):
    error = reason(_edit(build_edoc(make_edoc()), old, new))
    assert error.code == "22"
    assert words in error.reason
    assert error.reason.startswith("Gói tin edXML không đúng chuẩn QCVN 102:2016")
    assert error.reason_en


def test_packet_without_recipients_is_refused():
    data = re.sub(rb"<edXML:To>.*?</edXML:To>\s*", b"", build_edoc(make_edoc()), flags=re.S)
    error = reason(data)
    assert error.code == "22"
    assert "To" in error.reason


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("<edXML:StatusCode>03<", "<edXML:StatusCode>07<", "07"),
        ("<edXML:StatusCode>03<", "<edXML:StatusCode><", "StatusCode"),
        ("<edXML:OrganId>000.00.00.H33<", "<edXML:OrganId><", "ResponseFor/OrganId"),
    ],
)
def test_non_conformant_status_is_refused(old, new, words):
    error = reason(_edit(build_status(make_status()), old, new))
    assert error.code == "22"
    assert words in error.reason


def test_single_digit_status_code_is_normalised():
    data = _edit(build_status(make_status()), "<edXML:StatusCode>03<", "<edXML:StatusCode>3<")
    assert parse_packet(data).status_code == "03"


def test_missing_document_id_is_derived_from_issuer_date_and_code():
    data = re.sub(rb"<edXML:DocumentId>[^<]*</edXML:DocumentId>", b"", build_edoc(make_edoc()))
    assert parse_packet(data).document_id == "000.00.00.H33,2026/11/26,05/CT-UBND"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "rỗng"),
        (b"   \n", "rỗng"),
        (b"hello", "nội dung lạ"),
        (b"<edXML xmlns='" + NS.encode() + b"'><unclosed></edXML>", "không phải XML hợp lệ"),
        (b"<edXML xmlns='" + NS.encode() + b"'/>", "edXMLEnvelope"),
        (b"<?xml version='1.0'?><a/>", "phần tử gốc"),
    ],
)
def test_garbage_is_refused(data, words):
    error = reason(data)
    assert error.code == "22"
    assert words in error.reason


def test_utf8_bom_and_comments_are_tolerated():
    data = build_status(make_status())
    data = b"\xef\xbb\xbf" + _edit(
        data, "<edXML:StatusCode>03<", "<edXML:StatusCode><!-- mã -->03<!-- x --><"
    )
    assert parse_packet(data).status_code == "03"


def test_unknown_elements_and_other_order_are_tolerated():
    data = _edit(
        build_edoc(make_edoc()),
        "<edXML:Subject>",
        "<edXML:Extra>x</edXML:Extra><edXML:Subject>",
    )
    data = re.sub(
        rb"(<edXML:DocumentId>[^<]*</edXML:DocumentId>)(.*?)(</edXML:MessageHeader>)",
        rb"\2\1\3",
        data,
        count=1,
        flags=re.S,
    )
    assert parse_packet(data) == make_edoc()


def test_builder_refuses_incomplete_models():
    with pytest.raises(EdxmlError) as info:
        build_edoc(make_edoc(recipients=()))
    assert info.value.code == "22"
    with pytest.raises(EdxmlError):
        build_edoc(make_edoc(subject="  "))
    with pytest.raises(EdxmlError):
        build_edoc(make_edoc(priority=7))
    with pytest.raises(EdxmlError):
        build_status(make_status(status_code="99"))


def test_builder_refuses_an_attachment_the_parser_could_not_read():
    big = Attachment("cid:big", "big.pdf", "application/pdf", "", PDF + b"0" * MAX_ATTACHMENT_BYTES)
    with pytest.raises(EdxmlError) as info:
        build_edoc(make_edoc(attachments=(big,)))
    assert info.value.code == "10"


def test_check_attachments_accepts_pdfs_within_the_limit():
    check_attachments(make_edoc(), max_bytes=1024)
    check_attachments(make_status(), max_bytes=1)


@pytest.mark.parametrize(
    ("attachment", "max_bytes", "words"),
    [
        (Attachment("cid:1", "a.pdf", "application/pdf", "", b"MZ\x90\x00 not a pdf"), 1024, "PDF"),
        (Attachment("cid:1", "a.docx", "application/msword", "", PDF), 1024, "application/msword"),
        (Attachment("cid:1", "a.pdf", "application/pdf", "", PDF), 10, "vượt giới hạn"),
        (Attachment("cid:1", "a.pdf", "", "", PDF), 1024, "không rõ"),
    ],
)
def test_check_attachments_refuses_with_error_10(attachment, max_bytes, words):
    with pytest.raises(EdxmlError) as info:
        check_attachments(make_edoc(attachments=(attachment,)), max_bytes=max_bytes)
    assert info.value.code == "10"
    assert words in info.value.reason
    assert "a." in info.value.reason  # names the file


def test_check_attachments_checks_zip_magic_when_zip_is_allowed():
    fake = Attachment("cid:1", "a.zip", "application/zip", "", PDF)
    with pytest.raises(EdxmlError) as info:
        check_attachments(
            make_edoc(attachments=(fake,)), max_bytes=1024, allowed_types={"application/zip"}
        )
    assert "ZIP" in info.value.reason


def test_check_packet_summary_and_errors():
    summary = check_packet(build_edoc(make_edoc()))
    assert summary["kind"] == "edoc"
    assert summary["document_id"] == "000.00.00.H33,2026/11/26,05/CT-UBND"
    assert summary["from"] == "000.00.00.H33"
    assert summary["to"] == ["000.00.30.H33", "000.00.00.G22"]
    assert summary["business_doc_type"] == 0
    assert summary["status_code"] is None
    assert summary["attachments"] == [
        {"name": "05-CT-UBND.pdf", "content_type": "application/pdf", "size": len(PDF)}
    ]
    assert summary["signature"]["present"] is False
    status = check_packet(build_status(make_status()))
    assert (status["kind"], status["status_code"], status["to"]) == (
        "status",
        "03",
        ["000.00.00.H33"],
    )
    with pytest.raises(EdxmlError):
        check_packet(b"<not-edxml/>")
