"""The incoming demo content arrives like real traffic."""

from __future__ import annotations

import sqlalchemy as sa
from incoming_helpers import pump

from eoffice.core.uow import unit_of_work
from eoffice.incoming.demo import seed_incoming_demo
from eoffice.incoming.models import IncomingDocument


def test_demo_directive_and_paper_document(hub, make_user, db_session):
    make_user("clerk", org=hub.rachgia, username="vanthu.rachgia")
    with unit_of_work():
        seed_incoming_demo()
    pump()
    docs = db_session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.org_id == hub.rachgia.id).order_by(IncomingDocument.source)
    ).scalars().all()
    assert [(d.source, d.status) for d in docs] == [("electronic", "received"),
                                                    ("paper", "received")]
    assert docs[0].verification_ok is True and docs[0].is_urgent
    # its number came from the province's register: the province's next directive of the
    # day is not the same document to TP Rạch Giá (it used to be 01 twice, and dropped)
    from eoffice.documents import numbering

    assert docs[0].code == "01/CT-UBND"
    register = numbering.register_for(hub.province, "outgoing",
                                      doc_type=numbering.find_document_type(hub.province, "CT"))
    with unit_of_work():
        assert numbering.next_number(register, docs[0].issued_date) == 2
