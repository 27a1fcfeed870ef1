"""The real QCVN 102 packets in ../shared/edxml-samples parse into our model (or are refused)."""

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from eoffice.interop.edxml import (
    EdocPacket,
    EdxmlError,
    StatusPacket,
    TraceHeader,
    build_edoc,
    build_status,
    check_attachments,
    check_packet,
    parse_packet,
    verify_packet_signature,
)

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "edxml-samples"
VN = timezone(timedelta(hours=7))
MALFORMED = {"vpcp_edoc_new.edxml", "vpcp_edoc.edxml"}
VPCP_DOC_ID = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"

pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"edXML samples not found beside the checkout: {SAMPLES}"
)


def _sample_names() -> list[str]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p.name for p in SAMPLES.glob("*.edxml"))


WELL_FORMED = [n for n in _sample_names() if n not in MALFORMED]


def read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_the_expected_samples_are_there():
    assert len(WELL_FORMED) == 11
    assert MALFORMED <= set(_sample_names())


@pytest.mark.parametrize("name", WELL_FORMED)
def test_every_well_formed_sample_parses_and_round_trips(name):
    packet = parse_packet(read(name))
    build = build_status if isinstance(packet, StatusPacket) else build_edoc
    first = build(packet)
    again = parse_packet(first)
    assert again == packet
    assert build(again) == first


def test_vpcp_update_packet_fields():
    packet = parse_packet(read("vpcp_edoc_update.edxml"))
    assert isinstance(packet, EdocPacket)
    assert packet.kind == "edoc"
    assert packet.document_id == VPCP_DOC_ID
    assert packet.sender.organ_id == "000.00.00.G22"
    assert packet.sender.organ_name == "Văn phòng Chính phủ"
    assert packet.sender.organ_add == "Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội"
    assert [r.organ_id for r in packet.recipients] == [
        "000.00.00.H41",
        "000.00.00.H14",
        "000.00.00.G17",
    ]
    assert packet.recipients[0].organ_name == "UBND Tỉnh Nghệ An"
    assert (packet.code_number, packet.code_notation) == ("7816", "VPCP-TTĐT")
    assert packet.place == "Hà Nội"
    assert packet.promulgation_date == date(2018, 9, 28)
    assert (packet.doc_type, packet.doc_type_detail, packet.type_name) == (1, 0, "Công văn")
    assert packet.subject == "V/v kết nối, liên thông phần mềm quản lý văn bản"
    assert packet.signer_competence == "TL. BO TRUONG"
    assert packet.signer_full_name == "Nguyen Thanh Phuc"
    assert packet.due_date == date(2018, 9, 28)
    assert packet.to_places == ("Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP")
    assert packet.priority == 0
    assert packet.steering_type == 1
    assert packet.typer_notation == "TVC"
    assert (packet.promulgation_amount, packet.page_amount) == (2, 22)
    assert packet.direction is False
    assert packet.appendixes == ("Công văn về việc kết nối, liên thông phần mềm quản lý văn bản",)
    # Bussiness: an update that removes Nghệ An and adds Cao Bằng.
    assert packet.business_doc_type == 2
    assert packet.business_doc_reason == "Cập nhật văn bản điện tử"
    assert packet.business_document_id == "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"
    assert packet.receivers_removed == ("000.00.00.H41",)
    assert packet.receivers_added == ("000.00.00.H14",)
    assert (packet.business_document_info, packet.business_document_receiver) == (1, 1)
    assert packet.staff_name == "Nguyễn Thị Ngọc Trâm"
    assert packet.staff_email == "vanthuvanphong@gov.vn"
    assert packet.trace == (
        TraceHeader("000.00.00.G22", datetime(2018, 9, 28, 0, 0, 0, tzinfo=VN)),
    )
    (attachment,) = packet.attachments
    assert attachment.content_id == "cid:209"
    assert attachment.name == "1896_QD-TTg_m_294779.doc"
    assert attachment.content_type == "application/zip"
    assert attachment.data.startswith(b"PK\x03\x04")
    assert len(attachment.data) == 270823


def test_provincial_hub_sample_uses_day_first_dates():
    packet = parse_packet(read("QuangChuIT_edoc-integrator__edoc_new.edxml"))
    assert isinstance(packet, EdocPacket)
    assert packet.document_id == "000.00.11.H53,2020/10/30,2491/STC-BCTC"
    assert packet.promulgation_date == date(2020, 10, 30)  # written 30/10/2020
    assert packet.sender.organ_id == "000.00.11.H53"
    assert packet.sender.organ_add == ""
    assert [r.organ_id for r in packet.recipients] == ["000.00.01.A53"]
    assert packet.business_doc_type == 0
    assert packet.business_doc_reason == "Văn bản điện tử mới"
    assert packet.due_date is None  # <DueDate></DueDate>
    assert packet.appendixes == ()  # <Appendix/>
    assert packet.signer_full_name == ""
    assert packet.receivers_added == packet.receivers_removed == ()


def test_provincial_hub_update_sample_targets_tay_ninh_bodies():
    packet = parse_packet(read("QuangChuIT_edoc-integrator__edoc_update.edxml"))
    assert [r.organ_id for r in packet.recipients][:2] == ["000.00.00.H53", "000.00.12.H53"]
    assert packet.business_doc_type == 2


STATUS_SAMPLES = {
    "vpcp_status.edxml": ("01", "Đã đến", datetime(2018, 9, 28, 17, 25, 11, tzinfo=VN)),
    "vpcp_status_inbox__01.edxml": ("01", "Đã đến", datetime(2015, 9, 20, 11, 8, 36, tzinfo=VN)),
    "vpcp_status_rejection_02.edxml": ("02", "Từ chối", None),
    "vpcp_status_acceptance_03.edxml": ("03", "vào sổ văn bản đến", None),
    "vpcp_status_assignment_04.edxml": ("04", "Phân công xử lý", None),
    "vpcp_status_processing_05.edxml": ("05", "Đang xử lý", None),
    "vpcp_status_finish_06.edxml": ("06", "hoàn thành xử lý", None),
    "QuangChuIT_edoc-integrator__status_processing_05.edxml": ("05", "Đang xử lý", None),
}


@pytest.mark.parametrize("name", sorted(STATUS_SAMPLES))
def test_status_samples(name):
    code, words, stamp = STATUS_SAMPLES[name]
    packet = parse_packet(read(name))
    assert isinstance(packet, StatusPacket)
    assert packet.kind == "status"
    assert packet.status_code == code
    assert words in packet.description
    assert packet.sender.organ_id == "000.00.00.H41"
    assert packet.response_for.organ_id == "000.00.00.G22"
    assert packet.recipient_code == "000.00.00.G22"
    assert packet.response_for.code == "7816/VPCP-TTĐT"
    assert packet.response_for.document_id == VPCP_DOC_ID
    assert packet.timestamp is not None
    if stamp is not None:
        assert packet.timestamp == stamp
    assert packet.staff_mobile == "84912000001"


def test_status_sample_staff_info():
    packet = parse_packet(read("vpcp_status_rejection_02.edxml"))
    assert packet.staff_department == "Phong hanh chinh"
    assert packet.staff_name == "Nguyen thi ngoc tram"
    assert packet.staff_email == "ngoctram@nghean.vn"
    assert packet.response_for.promulgation_date == date(2015, 9, 30)


def test_stray_bytes_before_the_declaration_are_refused():
    with pytest.raises(EdxmlError) as info:
        parse_packet(read("vpcp_edoc_new.edxml"))
    assert info.value.code == "22"
    assert "1212" in info.value.reason
    assert "nội dung lạ trước phần tử gốc" in info.value.reason


def test_undeclared_xlink_prefix_is_refused():
    with pytest.raises(EdxmlError) as info:
        parse_packet(read("vpcp_edoc.edxml"))
    assert info.value.code == "22"
    assert "xlink" in info.value.reason
    assert "line 116" in info.value.reason


def test_check_packet_summary_for_a_document_sample():
    summary = check_packet(read("vpcp_edoc_update.edxml"))
    json.dumps(summary)
    assert summary["kind"] == "edoc"
    assert summary["document_id"] == VPCP_DOC_ID
    assert summary["from"] == "000.00.00.G22"
    assert summary["to"] == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"]
    assert summary["business_doc_type"] == 2
    assert summary["status_code"] is None
    assert summary["subject"] == "V/v kết nối, liên thông phần mềm quản lý văn bản"
    assert summary["attachments"] == [
        {"name": "1896_QD-TTg_m_294779.doc", "content_type": "application/zip", "size": 270823}
    ]
    assert summary["signature"]["present"] is True
    assert summary["signature"]["intact"] is False


def test_check_packet_summary_for_a_status_sample():
    summary = check_packet(read("vpcp_status_finish_06.edxml"))
    assert summary["kind"] == "status"
    assert summary["status_code"] == "06"
    assert summary["to"] == ["000.00.00.G22"]
    assert summary["document_id"] == VPCP_DOC_ID
    assert summary["business_doc_type"] is None
    assert summary["attachments"] == []


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_check_packet_raises_for_malformed_samples(name):
    with pytest.raises(EdxmlError) as info:
        check_packet(read(name))
    assert info.value.code == "22"


def test_sample_zip_attachments_pass_only_when_zip_is_allowed():
    packet = parse_packet(read("vpcp_edoc_update.edxml"))
    with pytest.raises(EdxmlError) as info:
        check_attachments(packet, max_bytes=10_000_000)
    assert info.value.code == "10"
    assert "application/zip" in info.value.reason
    check_attachments(packet, max_bytes=10_000_000, allowed_types=("application/zip",))
    with pytest.raises(EdxmlError) as info:
        check_attachments(packet, max_bytes=100_000, allowed_types=("application/zip",))
    assert info.value.code == "10"


def test_sample_signatures_are_reported_not_ignored():
    # The SDK samples carry a placeholder <Signature> in the edXML namespace with a
    # truncated certificate: present, and not valid.
    check = verify_packet_signature(read("vpcp_edoc_update.edxml"), [])
    assert check.present is True
    assert check.valid is False
    assert "XMLDSig" in check.reason
    unsigned = verify_packet_signature(read("vpcp_status.edxml"), [])
    assert unsigned.present is False
    assert unsigned.valid is False
