"""Demo content for incoming documents (called by the lead's ``seed_demo`` if wanted).

``seed_incoming_demo()`` puts a signed, urgent directive of UBND tỉnh Kiên Giang on its
way to TP Rạch Giá through the outbox (the worker delivers it to the hub and the poller
receives it, so it arrives verified, like any real packet), and takes in one paper
document at TP Rạch Giá as its clerk would. Call it inside a unit of work after the
demo bodies and accounts exist.

The directive's number is taken from the province's register of outgoing documents, as
the issue step takes it (as if issued before the installation kept its records): with a
fixed "01" the province's first real directive of the day got the same DocumentId, and
TP Rạch Giá dropped it as a second arrival of this one.
"""

from __future__ import annotations

import sqlalchemy as sa
from fpdf import FPDF

import signing
from eoffice.auth.models import User
from eoffice.core.clock import today
from eoffice.documents import keys, numbering
from eoffice.extensions import db
from eoffice.incoming import service
from eoffice.incoming.slip import FONT_DIR
from eoffice.interop import edxml
from eoffice.interop import service as interop
from eoffice.orgs.service import get_org_by_code

PROVINCE, RACHGIA = "000.00.00.H33", "000.00.30.H33"


def _pdf(lines: list[str]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_font("Serif", "", str(FONT_DIR / "LiberationSerif-Regular.ttf"))
    pdf.add_page()
    pdf.set_font("Serif", size=13)
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def seed_incoming_demo() -> None:
    """A signed directive province → Rạch Giá (via the hub) and a paper document."""
    province, city = get_org_by_code(PROVINCE), get_org_by_code(RACHGIA)
    issued = today()  # (Vietnam's date, as the issue step dates documents)
    register = numbering.register_for(province, "outgoing",
                                      doc_type=numbering.find_document_type(province, "CT"))
    number = numbering.format_number(numbering.next_number(register, issued))
    text = _pdf(["ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG", f"Số: {number}/CT-UBND", "CHỈ THỊ",
                 "Về đẩy mạnh cải cách hành chính, chuyển đổi số trong cơ quan nhà nước",
                 "Chủ tịch Ủy ban nhân dân tỉnh yêu cầu các sở, ban, ngành và Ủy ban nhân dân "
                 "các huyện, thành phố triển khai ngay các nội dung sau..."])
    signed = signing.sign_pdf(text, keys.load_body_key(province), signing.SignOptions(
        field_name="ChuKyCoQuan", level=signing.PadesLevel.B_T, timestamps=keys.timestamps(),
        revocation=keys.revocation())).pdf
    document_id = edxml.make_document_id(PROVINCE, issued, number, "CT-UBND")
    packet = edxml.build_edoc(edxml.EdocPacket(
        document_id=document_id,
        sender=edxml.Organization(organ_id=PROVINCE, organ_name=province.name),
        recipients=(edxml.Organization(organ_id=RACHGIA, organ_name=city.name),),
        code_number=number, code_notation="CT-UBND", type_name="Chỉ thị",
        subject="Chỉ thị về đẩy mạnh cải cách hành chính, chuyển đổi số trong cơ quan nhà nước",
        promulgation_date=issued, signer_position="Chủ tịch",
        signer_full_name="Trần Quốc Khánh", priority=1,
        attachments=(edxml.Attachment(content_id="1", name=f"{number}-CT-UBND.pdf",
                                      content_type="application/pdf", description="",
                                      data=signed),)), signer=interop.packet_signer(PROVINCE))
    interop.enqueue_packet(packet=packet, message_type="edoc", from_code=PROVINCE,
                           to_codes=[RACHGIA], document_id=document_id,
                           subject="Chỉ thị về đẩy mạnh cải cách hành chính")
    clerk = db.session.execute(sa.select(User).where(User.org_id == city.id,
                                                     User.username == "vanthu.rachgia")
                               ).scalar_one_or_none()
    if clerk is not None:
        scan = _pdf(["SỞ TÀI CHÍNH TỈNH KIÊN GIANG", "Số: 120/STC-NS",
                     "V/v hướng dẫn xây dựng dự toán ngân sách năm sau"])
        service.intake_paper(clerk, city, service.PaperMeta(
            issuer_name="Sở Tài chính tỉnh Kiên Giang", number="120", notation="STC-NS",
            issued_date=issued, type_name="Công văn",
            subject="Về việc hướng dẫn xây dựng dự toán ngân sách năm sau"),
            [("cong-van-120-STC-NS.pdf", scan)])
