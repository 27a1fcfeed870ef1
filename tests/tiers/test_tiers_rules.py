"""Refusals (nothing numbered, nothing sent), the web form and pages, and the tree's bounded
number of queries — on the demo province with a directive to Rạch Giá and Hà Tiên."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from helpers import csrf_from
from tiers_helpers import demo_user

from eoffice.core.errors import Conflict, NotFound, PermissionDenied
from eoffice.core.uow import unit_of_work
from eoffice.documents.models import Register, RegisterCounter
from eoffice.extensions import db
from eoffice.incoming import service as incoming
from eoffice.incoming.models import IncomingDocument
from eoffice.interop.models import OutboxMessage
from eoffice.orgs.service import get_org_by_code
from eoffice.outgoing import service as outgoing
from eoffice.tiers import progress, service
from eoffice.tiers.models import ForwardedCopy

pytestmark = pytest.mark.slow
RACH_GIA = "000.00.30.H33"
HA_TIEN = "000.00.31.H33"
WARD = "000.21.30.H33"


def received(org_code: str, document_id: str) -> IncomingDocument:
    org = get_org_by_code(org_code)
    return db.session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.org_id == org.id, IncomingDocument.document_id == document_id)
    ).scalar_one()


def nothing_happened(org_code: str) -> None:
    org = get_org_by_code(org_code)
    assert db.session.execute(sa.select(sa.func.count()).select_from(RegisterCounter)
                              .join(Register, Register.id == RegisterCounter.register_id)
                              .where(Register.org_id == org.id, Register.kind == "copy",
                                     RegisterCounter.last_number > 0)).scalar_one() == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(ForwardedCopy)
                              ).scalar_one() == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.source_type == "tier_copy")).scalar_one() == 0


@pytest.fixture
def directive(demo_hub, hub_round, issue_directive):
    doc = issue_directive([RACH_GIA, HA_TIEN])
    hub_round()
    return doc


def test_refused_revoked_and_confidential_documents_are_not_copied(
        directive, hub_round, make_user):
    clerk = demo_user("vanthu.rachgia")
    # Hà Tiên's clerk refuses its copy of the directive, then tries to forward it
    ha_tien_clerk = make_user(role="clerk", org=get_org_by_code(HA_TIEN))
    with unit_of_work():
        incoming.refuse(ha_tien_clerk, received(HA_TIEN, directive.document_id),
                        "Không đúng thẩm quyền")
    with pytest.raises(Conflict, match="từ chối"), unit_of_work():
        service.forward_copy(ha_tien_clerk, received(HA_TIEN, directive.document_id),
                             all_below=True)

    # the province revokes; Rạch Giá's registered copy becomes revoked
    with unit_of_work():
        incoming.register(clerk, received(RACH_GIA, directive.document_id))
    with unit_of_work():
        outgoing.revoke(demo_user("vanthu.tinh"), outgoing.get_document(directive.id),
                        reason="Ban hành nhầm")
    hub_round()
    doc = received(RACH_GIA, directive.document_id)
    assert doc.status == "revoked"
    with pytest.raises(Conflict, match="thu hồi"), unit_of_work():
        service.forward_copy(clerk, doc, all_below=True)

    # a confidential paper document (mật), registered: refused as well
    with unit_of_work():
        paper = incoming.intake_paper(
            clerk, get_org_by_code(RACH_GIA),
            incoming.PaperMeta.from_mapping({"issuer_name": "Công an tỉnh", "subject": "Mật",
                                             "confidentiality": "mat"}),
            [("scan.pdf", outgoing.current_pdf(directive))])
        paper_id = paper.id
    with unit_of_work():
        incoming.register(clerk, db.session.get(IncomingDocument, paper_id))
    with pytest.raises(Conflict, match="mật") as caught, unit_of_work():
        service.forward_copy(clerk, db.session.get(IncomingDocument, paper_id), all_below=True)
    assert caught.value.details["reason"] == "confidential"
    nothing_happened(RACH_GIA)
    nothing_happened(HA_TIEN)


def test_recipients_must_be_below_and_only_the_clerk_forwards(directive):
    clerk = demo_user("vanthu.rachgia")
    with unit_of_work():
        incoming.register(clerk, received(RACH_GIA, directive.document_id))
    doc = received(RACH_GIA, directive.document_id)
    for codes in ([HA_TIEN], ["000.00.00.H33"], [WARD, "000.21.31.H33"], ["khong-co"]):
        with pytest.raises(PermissionDenied) as caught, unit_of_work():
            service.forward_copy(clerk, received(RACH_GIA, directive.document_id),
                                 recipients=codes)
        assert caught.value.details["codes"]
    with pytest.raises(PermissionDenied), unit_of_work():
        service.forward_copy(demo_user("lanhdao.rachgia"), doc, all_below=True)
    with pytest.raises(NotFound), unit_of_work():
        incoming.get_document(demo_user("vanthu.xa"), doc.id)
    with pytest.raises(PermissionDenied), unit_of_work():
        service.forward_copy(demo_user("vanthu.xa"), doc, all_below=True)
    nothing_happened(RACH_GIA)


def test_web_form_pages_and_bounded_tree(directive, hub_round, client, login):
    with unit_of_work():
        incoming.register(demo_user("vanthu.rachgia"), received(RACH_GIA, directive.document_id))
    doc_id = received(RACH_GIA, directive.document_id).id
    login("vanthu.rachgia", "demo12345")
    page = client.get(f"/incoming/{doc_id}").get_data(as_text=True)
    assert 'id="forward-form"' in page and "Chuyển tiếp (sao y)" in page
    # bad choice from the form: flashed, nothing numbered
    answer = client.post(f"/tiers/incoming/{doc_id}/forward",
                         data={"csrf_token": csrf_from(page), "recipients": HA_TIEN},
                         follow_redirects=True)
    assert "cấp dưới" in answer.get_data(as_text=True)
    nothing_happened(RACH_GIA)
    answer = client.post(f"/tiers/incoming/{doc_id}/forward",
                         data={"csrf_token": csrf_from(page),
                               "recipients": [WARD, "000.22.30.H33"]},
                         follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "Đã sao y số 01/SY-UBND" in text and 'id="forwarded-copies"' in text
    copy = db.session.execute(sa.select(ForwardedCopy)).scalar_one()
    assert sorted(r.org_code for r in copy.recipients) == [WARD, "000.22.30.H33"]
    assert client.get(f"/tiers/copies/{copy.id}/pdf").status_code == 200
    hub_round()
    client.post("/logout", data={"csrf_token": csrf_from(text)})

    # the ward's page names the original issuer and the forwarding district
    login("vanthu.xa", "demo12345")
    ward_doc = received(WARD, copy.document_id)
    page = client.get(f"/incoming/{ward_doc.id}").get_data(as_text=True)
    assert 'id="copy-original"' in page and "Ủy ban nhân dân tỉnh Kiên Giang" in page
    assert "Ủy ban nhân dân thành phố Rạch Giá" in page and "01/SY-UBND" in page
    assert client.get(f"/tiers/copies/{copy.id}/pdf").status_code == 404
    assert client.get(f"/tiers/outgoing/{directive.id}/tree").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(page)})

    # the province: link on the document page, the drillable tree
    login("vanthu.tinh", "demo12345")
    page = client.get(f"/outgoing/{directive.id}").get_data(as_text=True)
    assert f'/tiers/outgoing/{directive.id}/tree' in page
    page = client.get(f"/tiers/outgoing/{directive.id}/tree").get_data(as_text=True)
    assert f'id="node-{RACH_GIA}"' in page and f'data-code="{WARD}"' in page

    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        db.session.expire_all()
        tree = progress.build_tree(demo_user("vanthu.tinh"),
                                   outgoing.get_document(directive.id))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert tree["summary"]["copies_sent"] == 2
    assert len(statements) <= 12, statements


def test_a_paper_document_is_digitised_into_a_sao_y(directive, hub_round, make_user):
    """Điều 25.1c: a paper document taken in (a scan) becomes an electronic copy too."""
    clerk = demo_user("vanthu.rachgia")
    with unit_of_work():
        paper = incoming.intake_paper(
            clerk, get_org_by_code(RACH_GIA),
            incoming.PaperMeta.from_mapping({"issuer_name": "Công an tỉnh Kiên Giang",
                                             "subject": "Về bảo đảm an ninh trật tự",
                                             "number": "12", "notation": "KH-CAT",
                                             "issued_date": "2026-11-20"}),
            [("scan.pdf", outgoing.current_pdf(directive))])
        paper_id = paper.id
    with unit_of_work():
        incoming.register(clerk, db.session.get(IncomingDocument, paper_id))
    with unit_of_work():
        copy = service.forward_copy(clerk, db.session.get(IncomingDocument, paper_id),
                                    recipients=[WARD])
        copy_id, document_id = copy.id, copy.document_id
    assert copy.code == "01/SY-UBND"
    hub_round()
    ward_doc = received(WARD, document_id)
    assert ward_doc.original["organ_name"] == "Công an tỉnh Kiên Giang"
    assert ward_doc.original["code"] == "12/KH-CAT"
    assert ward_doc.verification_ok is True
    # the district's second copy continues the same yearly series
    with unit_of_work():
        incoming.register(clerk, received(RACH_GIA, directive.document_id))
    with unit_of_work():
        second = service.forward_copy(clerk, received(RACH_GIA, directive.document_id),
                                      recipients=[WARD])
    assert second.code == "02/SY-UBND" and second.id != copy_id
    # another district sees neither the copies nor the province's tree
    ha_tien = make_user(role=["clerk", "leader"], org=get_org_by_code(HA_TIEN))
    for some_copy in (copy_id, second.id):
        with pytest.raises(NotFound):
            service.get_copy(ha_tien, some_copy)
    with pytest.raises(PermissionDenied):
        progress.build_tree(ha_tien, outgoing.get_document(directive.id))
    assert service.get_copy(clerk, copy_id).id == copy_id
