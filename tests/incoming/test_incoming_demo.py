"""The incoming demo content arrives like real traffic."""

from __future__ import annotations

import sqlalchemy as sa
from incoming_helpers import pump

from eoffice.core.uow import unit_of_work
from eoffice.documents import numbering
from eoffice.documents.keys import DEMO_PIN, issue_person_key
from eoffice.incoming.demo import (
    CITY_CLERK,
    DRAFTER,
    LEADER,
    PROVINCE_CLERK,
    seed_incoming_demo,
)
from eoffice.incoming.models import IncomingDocument
from eoffice.interop.service import delivery_statuses
from eoffice.orgs.artwork import make_seal_png, make_signature_png
from eoffice.outgoing.models import OutgoingDocument, OutgoingRegisterEntry
from eoffice.outgoing.service import store


def test_demo_directive_and_paper_document(hub, make_user, db_session):
    make_user("clerk", org=hub.rachgia, username=CITY_CLERK)
    # the province's demo accounts and seal (eoffice.demo)
    with unit_of_work():
        hub.province.seal_image = store().put(make_seal_png("ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG"))
        make_user("specialist", org=hub.province, username=DRAFTER)
        leader = make_user("leader", org=hub.province, username=LEADER,
                           full_name="Trần Quốc Khánh", title="Chủ tịch",
                           identity_number="091070004567")
        leader.signature_image = store().put(make_signature_png(leader.full_name))
        issue_person_key(leader, DEMO_PIN)
        make_user("clerk", org=hub.province, username=PROVINCE_CLERK)
    with unit_of_work():
        seed_incoming_demo()
    pump()
    docs = db_session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.org_id == hub.rachgia.id).order_by(IncomingDocument.source)
    ).scalars().all()
    assert [(d.source, d.status) for d in docs] == [("electronic", "received"),
                                                    ("paper", "received")]
    assert docs[0].verification_ok is True and docs[0].is_urgent
    assert docs[0].signer_name == "Trần Quốc Khánh"
    # issued through the real flow: the province's register holds it as number 01, and
    # the province's next directive of the day is 02 (not the same document again)
    [outgoing] = db_session.execute(sa.select(OutgoingDocument)).scalars().all()
    assert docs[0].code == "01/CT-UBND" and outgoing.number_text == "01"
    assert outgoing.status == "sent" and outgoing.document_id == docs[0].document_id
    [entry] = db_session.execute(sa.select(OutgoingRegisterEntry)).scalars().all()
    assert entry.code == "01/CT-UBND" and entry.document_id == outgoing.id
    register = numbering.register_for(hub.province, "outgoing",
                                      doc_type=numbering.find_document_type(hub.province, "CT"))
    with unit_of_work():
        assert numbering.next_number(register, docs[0].issued_date) == 2
    # and Rạch Giá's status 01 came back to the province's document
    assert [s.status_code for s in delivery_statuses(outgoing.document_id)] == ["01"]
