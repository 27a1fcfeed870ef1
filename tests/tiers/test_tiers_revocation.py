"""The province revokes a directive that TP Rạch Giá has forwarded as its sao y: the copy is
revoked at the ward too (a revocation packet from the city), and the ward's record is frozen."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tiers_helpers import demo_user

from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.incoming import service as incoming
from eoffice.incoming.models import IncomingDocument
from eoffice.interop.models import OutboxMessage
from eoffice.orgs.service import get_org_by_code
from eoffice.outgoing import service as outgoing
from eoffice.tiers import service

pytestmark = pytest.mark.slow
RACH_GIA = "000.00.30.H33"
WARD = "000.21.30.H33"
WARD_2 = "000.22.30.H33"


def received(org_code: str, document_id: str) -> IncomingDocument:
    org = get_org_by_code(org_code)
    return db.session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.org_id == org.id, IncomingDocument.document_id == document_id)
    ).scalar_one()


def test_revoking_the_original_revokes_the_forwarded_copies(demo_hub, hub_round,
                                                           issue_directive):
    directive = issue_directive([RACH_GIA])
    directive_id, original_id = directive.id, directive.document_id
    hub_round()
    city_doc = received(RACH_GIA, original_id)
    with unit_of_work():
        incoming.register(demo_user("vanthu.rachgia"), city_doc)
    with unit_of_work():
        copy = service.forward_copy(demo_user("vanthu.rachgia"), city_doc,
                                    recipients=[WARD, WARD_2])
        copy_document_id, copy_code = copy.document_id, copy.code
    hub_round()
    ward_doc = received(WARD, copy_document_id)
    with unit_of_work():
        incoming.register(demo_user("vanthu.xa"), ward_doc)
    assert ward_doc.status == "accepted"

    with unit_of_work():
        outgoing.revoke(demo_user("vanthu.tinh"), outgoing.get_document(directive_id),
                        reason="Ban hành nhầm đối tượng")
    hub_round()  # the city receives the revocation and revokes its copies below
    db.session.expire_all()
    assert received(RACH_GIA, original_id).status == "revoked"
    packets = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.source_type == "tier_copy", OutboxMessage.document_id == copy_document_id)
        .order_by(OutboxMessage.id)).scalars().all()
    assert len(packets) == 4  # the copy to two bodies, then its revocation to both
    assert sorted(p.to_codes for p in packets[2:]) == [WARD, WARD_2]

    hub_round()  # the wards receive the copy's revocation
    db.session.expire_all()
    for code in (WARD, WARD_2):
        doc = received(code, copy_document_id)
        assert doc.status == "revoked"
        assert "Ban hành nhầm đối tượng" in (doc.closed_note or "")
    notes = [n.text for n in received(RACH_GIA, original_id).notes]
    assert any(copy_code in n and "thu hồi" in n for n in notes)
