"""Demo content for incoming documents (called by the lead's ``seed_demo`` if wanted).

``seed_incoming_demo()`` puts an urgent directive of UBND tỉnh Kiên Giang on its way to
TP Rạch Giá through the real outgoing flow — its specialist drafts it, the Chairman
approves and signs it (the demo PIN), the clerk numbers, seals and issues it, which
writes the packet to the outbox (the worker delivers it to the hub and the poller
receives it, so it arrives verified, like any real packet) — and takes in one paper
document at TP Rạch Giá as its clerk would. Call it inside a unit of work after the demo
bodies and accounts exist (``eoffice.demo.seed_demo``).

Through the real flow, the directive holds its place in the province's register of
outgoing documents (number 01 of the year, a row in the register report, the delivery
statuses on its page); a packet built by hand here used to take a number without a
register row, and earlier a fixed "01" that the province's first real directive
repeated.
"""

from __future__ import annotations

import sqlalchemy as sa
from fpdf import FPDF

from eoffice.auth.models import User
from eoffice.core.clock import today
from eoffice.documents.keys import DEMO_PIN
from eoffice.extensions import db
from eoffice.incoming import service
from eoffice.incoming.slip import FONT_DIR
from eoffice.orgs.service import get_org_by_code
from eoffice.outgoing import service as outgoing

PROVINCE, RACHGIA = "000.00.00.H33", "000.00.30.H33"
# the demo accounts that draft, sign and issue the directive, and the city's clerk who
# takes in the paper document (eoffice.demo.ACCOUNTS)
DRAFTER, LEADER, PROVINCE_CLERK = "chuyenvien.tinh", "lanhdao.tinh", "vanthu.tinh"
CITY_CLERK = "vanthu.rachgia"
DIRECTIVE = (
    "Chủ tịch Ủy ban nhân dân tỉnh yêu cầu các sở, ban, ngành và Ủy ban nhân dân các huyện, "
    "thành phố triển khai ngay các nội dung sau:\n"
    "1. Rà soát, cắt giảm thủ tục hành chính; công khai đầy đủ trên Cổng dịch vụ công.\n"
    "2. Xử lý văn bản, hồ sơ công việc trên môi trường điện tử, ký số văn bản đi.\n"
    "3. Báo cáo kết quả thực hiện về Văn phòng Ủy ban nhân dân tỉnh trước ngày 15 hằng "
    "tháng."
)


def _pdf(lines: list[str]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_font("Serif", "", str(FONT_DIR / "LiberationSerif-Regular.ttf"))
    pdf.add_page()
    pdf.set_font("Serif", size=13)
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _account(username: str) -> User:
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()


def seed_incoming_demo() -> None:
    """An urgent directive province → Rạch Giá (issued, via the hub) and a paper document."""
    city = get_org_by_code(RACHGIA)
    drafter, leader = _account(DRAFTER), _account(LEADER)
    doc = outgoing.create_draft(
        drafter, doc_type="CT", urgency="khan", recipients=[RACHGIA], signer=leader.username,
        subject="Về đẩy mạnh cải cách hành chính, chuyển đổi số trong cơ quan nhà nước",
        body=DIRECTIVE)
    outgoing.submit(drafter, doc, to_head=False)
    outgoing.approve(leader, doc)
    outgoing.sign(leader, doc, pin=DEMO_PIN)
    outgoing.issue(_account(PROVINCE_CLERK), doc)  # numbered, sealed, sent
    issued = today()
    clerk = _account(CITY_CLERK)
    scan = _pdf(["SỞ TÀI CHÍNH TỈNH KIÊN GIANG", "Số: 120/STC-NS",
                 "V/v hướng dẫn xây dựng dự toán ngân sách năm sau"])
    service.intake_paper(clerk, city, service.PaperMeta(
        issuer_name="Sở Tài chính tỉnh Kiên Giang", number="120", notation="STC-NS",
        issued_date=issued, type_name="Công văn",
        subject="Về việc hướng dẫn xây dựng dự toán ngân sách năm sau"),
        [("cong-van-120-STC-NS.pdf", scan)])
