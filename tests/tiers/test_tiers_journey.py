"""Down and up the tiers on the demo province, through an in-process hub:

the province issues a directive to the 15 district-level bodies → TP Rạch Giá registers it
and forwards it as its sao y to all 12 of its wards/commune in one API call → a ward
registers the copy and reports back to the district; Rạch Giá reports back to the province
with a BC in response to the directive, the other districts do not → the province's
progress tree shows exactly that. Each hop's statuses and signatures are checked.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask import current_app
from helpers import pdfsig, serving_pki
from tiers_helpers import demo_user

from eoffice.core.uow import unit_of_work
from eoffice.demo import DISTRICTS, RACH_GIA_COMMUNES
from eoffice.documents.keys import get_pki, verify_pdf
from eoffice.documents.models import Register, RegisterCounter
from eoffice.extensions import db
from eoffice.incoming import service as incoming
from eoffice.incoming.models import IncomingDocument
from eoffice.interop import service as interop
from eoffice.interop.models import OutboxMessage
from eoffice.outgoing import service as outgoing
from eoffice.tiers import progress
from eoffice.tiers.models import ForwardedCopy
from signing.copy import original_of

pytestmark = pytest.mark.slow
PROVINCE = "000.00.00.H33"
RACH_GIA = "000.00.30.H33"
HA_TIEN = "000.00.31.H33"
WARD = "000.21.30.H33"
DISTRICT_CODES = [f"000.00.{30 + i:02d}.H33" for i in range(len(DISTRICTS))]
COMMUNE_CODES = [f"000.{21 + i:02d}.30.H33" for i in range(len(RACH_GIA_COMMUNES))]


def received(org_code: str, document_id: str) -> IncomingDocument:
    from eoffice.orgs.service import get_org_by_code

    org = get_org_by_code(org_code)
    return db.session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.org_id == org.id, IncomingDocument.document_id == document_id)
    ).scalar_one()


def copy_counter(org_code: str) -> int:
    from eoffice.orgs.service import get_org_by_code

    org = get_org_by_code(org_code)
    return db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(RegisterCounter.last_number), 0))
        .join(Register, Register.id == RegisterCounter.register_id)
        .where(Register.org_id == org.id, Register.kind == "copy")).scalar_one()


def bearer(api_token, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(name, 'demo12345')}"}


def report_back(drafter: str, signer: str, clerk: str, to_code: str, response_for: str) -> str:
    """A BC "in response to" ``response_for``, drafted, signed and issued; its DocumentId."""
    with unit_of_work():
        draft = outgoing.create_draft(
            demo_user(drafter), doc_type="BC", subject="Báo cáo kết quả thực hiện chỉ thị",
            recipients=[to_code], signer=signer, response_for=response_for,
            body="Kính báo cáo kết quả triển khai thực hiện chỉ thị trên địa bàn.")
        doc_id = draft.id
    steps = [("submit", drafter, {}), ("approve", signer, {}),
             ("sign", signer, {"pin": "123456"}), ("issue", clerk, {})]
    for step, who, kwargs in steps:
        with unit_of_work():
            getattr(outgoing, step)(demo_user(who), outgoing.get_document(doc_id), **kwargs)
    return outgoing.get_document(doc_id).document_id


def test_directive_down_to_the_wards_and_the_tree_back_up(demo_hub, hub_round, issue_directive,
                                                          client, api_token, tmp_path):
    directive = issue_directive(DISTRICT_CODES)
    directive_id, original_pdf = directive.id, outgoing.current_pdf(directive)
    assert hub_round() == len(DISTRICT_CODES)

    # hop 1: every district received the province's document, both signatures valid
    rach_gia_doc = received(RACH_GIA, directive.document_id)
    report = incoming.report_of(rach_gia_doc.main_file)
    assert report["valid"] and len([s for s in report["signatures"]
                                    if s["kind"] == "signature"]) == 2
    clerk = bearer(api_token, "vanthu.rachgia")

    # not registered yet: refused, nothing numbered, nothing queued
    before_outbox = len(interop.due_messages(limit=1000))
    answer = client.post(f"/api/v1/incoming/{rach_gia_doc.id}/forward",
                         json={"all_below": True}, headers=clerk)
    assert answer.status_code == 409, answer.get_json()
    assert "vào sổ" in answer.get_json()["error"]["message"]
    assert copy_counter(RACH_GIA) == 0
    assert len(interop.due_messages(limit=1000)) == before_outbox

    with unit_of_work():
        incoming.register(demo_user("vanthu.rachgia"), received(RACH_GIA, directive.document_id))

    # a body that is not below Rạch Giá (another district, a ward of nobody) → 403
    answer = client.post(f"/api/v1/incoming/{rach_gia_doc.id}/forward",
                         json={"recipients": [WARD, HA_TIEN]}, headers=clerk)
    assert answer.status_code == 403, answer.get_json()
    assert answer.get_json()["error"]["details"]["codes"] == [HA_TIEN]
    assert "cấp dưới" in answer.get_json()["error"]["message"]
    assert copy_counter(RACH_GIA) == 0
    # the ward's clerk cannot forward what the ward did not receive
    answer = client.post(f"/api/v1/incoming/{rach_gia_doc.id}/forward",
                         json={"all_below": True}, headers=bearer(api_token, "vanthu.xa"))
    assert answer.status_code == 404
    # nor can a district leader (not the clerk)
    answer = client.post(f"/api/v1/incoming/{rach_gia_doc.id}/forward",
                         json={"all_below": True}, headers=bearer(api_token, "lanhdao.rachgia"))
    assert answer.status_code == 403

    # hop 2: Rạch Giá forwards its sao y to all 12 bodies below in one call
    answer = client.post(f"/api/v1/incoming/{rach_gia_doc.id}/forward",
                         json={"all_below": True}, headers=clerk)
    assert answer.status_code == 201, answer.get_json()
    made = answer.get_json()
    assert (made["number"], made["notation"]) == ("01", "SY-UBND")
    assert sorted(r["org_code"] for r in made["recipients"]) == COMMUNE_CODES
    assert made["original_document_id"] == directive.document_id
    assert copy_counter(RACH_GIA) == 1
    copy = db.session.get(ForwardedCopy, made["copy_id"])
    assert copy.document_id.startswith(f"{RACH_GIA},") and copy.document_id.endswith(
        "01/SY-UBND")
    hub_round()
    sent = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.source_type == "tier_copy", OutboxMessage.source_id == copy.id)).scalars()
    assert sorted((m.to_codes, m.state) for m in sent) == [(c, "sent") for c in COMMUNE_CODES]

    # every commune received the district's copy: sender Rạch Giá, original the province
    for code in COMMUNE_CODES:
        doc = received(code, copy.document_id)
        assert doc.status == "received"
        assert (doc.issuer_code, doc.number, doc.notation) == (RACH_GIA, "01", "SY-UBND")
        assert doc.original["organ_id"] == PROVINCE
        assert doc.original["organ_name"] == "Ủy ban nhân dân tỉnh Kiên Giang"
        assert doc.original["code"] == directive.code
        assert doc.original["document_id"] == directive.document_id
        assert doc.original["copy_form"] == "SAO Y"
        assert doc.subject == directive.subject and doc.type_name == "Chỉ thị"
        assert doc.verification_ok is True
    ward_doc = received(WARD, copy.document_id)
    ward_report = incoming.report_of(ward_doc.main_file)
    [district_sig] = [s for s in ward_report["signatures"] if s["kind"] == "signature"]
    assert district_sig["signer"]["name"] == "Ủy ban nhân dân thành phố Rạch Giá"
    assert district_sig["valid"] and district_sig["trusted"] and district_sig["intact"]
    # the province's signatures inside the ward's copy: the very file the province issued
    from eoffice.core.storage import file_store

    ward_pdf = file_store().get(ward_doc.main_file.digest)
    inner = original_of(ward_pdf)
    assert inner == original_pdf
    inner_report = verify_pdf(inner)
    assert inner_report["valid"], inner_report["verdict"]
    assert [s["signer"]["name"] for s in inner_report["signatures"]
            if s["kind"] == "signature"] == ["Trần Quốc Khánh", "Ủy ban nhân dân tỉnh Kiên Giang"]

    # the ward's record over the API and on its page shows both bodies
    ward_clerk = bearer(api_token, "vanthu.xa")
    record = client.get(f"/api/v1/incoming/{ward_doc.id}", headers=ward_clerk).get_json()
    assert record["issuer_code"] == RACH_GIA and record["original"]["organ_id"] == PROVINCE

    # the ward registers; the others only acknowledged (01)
    with unit_of_work():
        incoming.register(demo_user("vanthu.xa"), received(WARD, copy.document_id))
    # a ward has nobody below: forwarding its copy is refused, its counter unmoved
    answer = client.post(f"/api/v1/incoming/{ward_doc.id}/forward", json={"all_below": True},
                         headers=ward_clerk)
    assert answer.status_code == 409
    answer = client.post(f"/api/v1/incoming/{ward_doc.id}/forward",
                         json={"recipients": ["000.22.30.H33"]}, headers=ward_clerk)
    assert answer.status_code == 403
    assert copy_counter(WARD) == 0

    # the ward reports back to the district in response to the copy
    report_back("lanhdao.xa", "lanhdao.xa", "vanthu.xa", RACH_GIA, copy.document_id)
    # Rạch Giá reports back to the province in response to the directive
    report_back("chuyenvien.rachgia", "lanhdao.rachgia", "vanthu.rachgia", PROVINCE,
                directive.document_id)
    hub_round()
    hub_round()  # statuses answering the reports

    # the district sees its copy's statuses per commune
    shown = client.get(f"/api/v1/copies/{copy.id}", headers=clerk).get_json()
    statuses = {r["org_code"]: r["status_code"] for r in shown["recipients"]}
    assert statuses[WARD] == "03"
    assert {statuses[c] for c in COMMUNE_CODES if c != WARD} == {"01"}
    # another body cannot see the copy (404, not 403: it does not exist for them)
    assert client.get(f"/api/v1/copies/{copy.id}", headers=ward_clerk).status_code == 404
    assert client.get(f"/api/v1/copies/{copy.id}/pdf",
                      headers=bearer(api_token, "vanthu.tinh")).status_code == 404
    pdf = client.get(f"/api/v1/copies/{copy.id}/pdf", headers=clerk)
    assert pdf.status_code == 200 and original_of(pdf.data) == original_pdf

    # the province's tree
    tree_url = f"/api/v1/outgoing/{directive_id}/tree"
    assert client.get(tree_url, headers=clerk).status_code == 404
    assert client.get(tree_url, headers=ward_clerk).status_code == 404
    tree = client.get(tree_url, headers=bearer(api_token, "vanthu.tinh"))
    assert tree.status_code == 200, tree.get_json()
    tree = tree.get_json()
    assert sorted(n["org_code"] for n in tree["nodes"]) == DISTRICT_CODES
    nodes = {n["org_code"]: n for n in tree["nodes"]}
    assert nodes[RACH_GIA]["status_code"] == "03" and nodes[RACH_GIA]["reported"]
    assert nodes[RACH_GIA]["reports"][0]["type_name"] == "Báo cáo"
    assert all(not nodes[c]["reported"] and nodes[c]["status_code"] == "01"
               and not nodes[c]["copies"] for c in DISTRICT_CODES if c != RACH_GIA)
    [tree_copy] = nodes[RACH_GIA]["copies"]
    assert tree_copy["code"] == "01/SY-UBND"
    communes = {r["org_code"]: r for r in tree_copy["recipients"]}
    assert sorted(communes) == COMMUNE_CODES
    assert communes[WARD]["status_code"] == "03" and communes[WARD]["reported"]
    assert all(communes[c]["status_code"] == "01" and not communes[c]["reported"]
               for c in COMMUNE_CODES if c != WARD)
    assert tree["summary"] == {"recipients": 15, "received": 15, "registered": 1,
                               "completed": 0, "refused": 0, "reported": 1, "forwarded": 1,
                               "copies_sent": 12}
    # a fixed number of queries: the same bound as for 2 districts × 2 communes
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    province_clerk, directive_doc = demo_user("vanthu.tinh"), outgoing.get_document(directive_id)
    db.session.expire_all()
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        progress.build_tree(province_clerk, directive_doc)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 12, statements

    # pdfsig on the copy the ward received, and on the province's original inside it
    with serving_pki(get_pki(), current_app.config["PUBLIC_URL"]):
        outputs = pdfsig(tmp_path, get_pki().root_pem(), {"copy.pdf": ward_pdf, "inner.pdf": inner})
    assert outputs["copy.pdf"].count("Signature Validation: Signature is Valid.") == 1
    assert outputs["copy.pdf"].count("Certificate Validation: Certificate is Trusted.") == 1
    assert outputs["inner.pdf"].count("Signature Validation: Signature is Valid.") == 2
    assert outputs["inner.pdf"].count("Certificate Validation: Certificate is Trusted.") == 2

    # the schema is declared (OpenAPI)
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/outgoing/{doc_id}/tree" in spec["paths"]
    assert json.dumps(spec["paths"]["/api/v1/incoming/{doc_id}/forward"])
