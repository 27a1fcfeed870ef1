"""The whole journey on the demo province, through the hub:

a directive drafted by ``chuyenvien.tinh``, signed by ``lanhdao.tinh`` and issued by
``vanthu.tinh`` reaches all 15 district-level bodies; each district's incoming record shows
both signatures valid; TP Rạch Giá registers, assigns, processes and completes it; and the
province sees 01 → 03 → 04 → 05 → 06 for Rạch Giá, in that order.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eoffice.auth.service import find_user
from eoffice.core.db import utcnow
from eoffice.core.uow import unit_of_work
from eoffice.demo import DISTRICTS
from eoffice.incoming import service as incoming
from eoffice.incoming.models import IncomingDocument
from eoffice.interop import service as interop
from eoffice.interop.models import StatusEvent
from eoffice.outgoing import service as outgoing

pytestmark = pytest.mark.slow
PROVINCE = "000.00.00.H33"
RACH_GIA = "000.00.30.H33"
DISTRICT_CODES = [f"000.00.{30 + i:02d}.H33" for i in range(len(DISTRICTS))]


def user(name: str):
    found = find_user(name)
    assert found is not None
    return found


def test_directive_reaches_every_district_and_comes_back_completed(demo_hub, hub_round, db_session):
    with unit_of_work():
        draft = outgoing.create_draft(
            user("chuyenvien.tinh"), doc_type="CT",
            subject="Về đẩy mạnh cải cách hành chính năm 2026",
            recipients=DISTRICT_CODES, signer="lanhdao.tinh", urgency="khan",
            body="Để nâng cao hiệu quả cải cách hành chính, Chủ tịch Ủy ban nhân dân tỉnh "
                 "chỉ thị các địa phương thực hiện nghiêm các nội dung sau.")
        doc_id = draft.id
    with unit_of_work():
        outgoing.submit(user("chuyenvien.tinh"), outgoing.get_document(doc_id))
    with unit_of_work():
        outgoing.approve(user("lanhdao.tinh"), outgoing.get_document(doc_id))
    with unit_of_work():
        outgoing.sign(user("lanhdao.tinh"), outgoing.get_document(doc_id), pin="123456")
    with unit_of_work():
        issued = outgoing.issue(user("vanthu.tinh"), outgoing.get_document(doc_id))
        number, notation, document_id = issued.number_text, issued.notation, issued.document_id
    assert notation == "CT-UBND" and number == "01"
    # delivered, then every district's clerk receives it (one system serves the province)
    assert hub_round() == len(DISTRICT_CODES)

    received = db_session.execute(
        sa.select(IncomingDocument).where(IncomingDocument.document_id == document_id)
    ).scalars().all()
    assert sorted(d.org.code for d in received) == sorted(DISTRICT_CODES)
    for doc in received:
        assert (doc.number, doc.notation, doc.issuer_code) == ("01", "CT-UBND", PROVINCE)
        [main] = [f for f in doc.files if f.kind == "document"]
        report = incoming.report_of(main)
        signatures = [s for s in report["signatures"] if s["kind"] == "signature"]
        assert len(signatures) == 2 and report["valid"], report["verdict"]
        assert all(s["valid"] and s["trusted"] and s["intact"] for s in signatures)
        assert signatures[0]["signer"]["name"] == "Trần Quốc Khánh"
        assert signatures[1]["signer"]["name"] == "Ủy ban nhân dân tỉnh Kiên Giang"

    rach_gia = next(d for d in received if d.org.code == RACH_GIA)
    with unit_of_work():
        incoming.register(user("vanthu.rachgia"), rach_gia)
    with unit_of_work():
        incoming.assign(user("lanhdao.rachgia"), rach_gia, lead="chuyenvien.rachgia",
                        deadline=(utcnow() + timedelta(days=10)).date().isoformat(),
                        directive="Giao Văn phòng tham mưu triển khai.")
    with unit_of_work():
        incoming.add_note(user("chuyenvien.rachgia"), rach_gia, "Đã xây dựng kế hoạch.")
    with unit_of_work():
        incoming.complete(user("chuyenvien.rachgia"), rach_gia, "Đã triển khai toàn thành phố.")
    assert rach_gia.timeliness == "early"
    hub_round()  # the province receives the statuses

    codes = [e.status_code for e in db_session.execute(
        sa.select(StatusEvent).where(StatusEvent.document_id == document_id,
                                     StatusEvent.recipient_code == RACH_GIA)
        .order_by(StatusEvent.reported_at, StatusEvent.id)).scalars()]
    assert codes == ["01", "03", "04", "05", "06"]
    statuses = {s.recipient_code: s.status_code for s in interop.delivery_statuses(document_id)}
    assert statuses[RACH_GIA] == "06"
    assert {statuses[c] for c in DISTRICT_CODES if c != RACH_GIA} == {"01"}
