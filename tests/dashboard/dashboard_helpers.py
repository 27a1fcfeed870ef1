"""Helpers for the dashboard tests (importable as ``dashboard_helpers``): a small tree of
bodies with people, and incoming documents brought into each state through the services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from helpers import plain_pdf

from eoffice.core.db import utcnow
from eoffice.core.uow import unit_of_work
from eoffice.incoming import service as incoming
from eoffice.interop import edxml

SENDER = "000.00.00.G22"
_numbers = itertools.count(1)


@dataclass
class Tree:
    """Province → two districts (the first with a commune) and a unit inside the province."""

    province: Any
    district: Any
    commune: Any
    sibling: Any
    unit: Any
    people: dict[str, Any]


def build_tree(make_org: Any, make_user: Any) -> Tree:
    province = make_org(name="UBND tỉnh Thử")
    district = make_org(tier="district", parent=province, name="UBND huyện Một")
    commune = make_org(tier="commune", parent=district, name="UBND xã Một")
    sibling = make_org(tier="district", parent=province, name="UBND huyện Hai")
    unit = make_org(tier="unit", parent=province, name="Văn phòng tỉnh", short_name="VP")
    people = {}
    for key, org in (("province", province), ("district", district), ("commune", commune),
                     ("sibling", sibling)):
        people[f"{key}_clerk"] = make_user("clerk", org=org)
        people[f"{key}_leader"] = make_user("leader", org=org)
        people[f"{key}_specialist"] = make_user("specialist", org=org)
    return Tree(province, district, commune, sibling, unit, people)


def receive_electronic(body: Any, *, subject: str = "Công văn về cải cách hành chính",
                       priority: int = 0, revoke: str = "") -> Any:
    """An edXML packet to ``body`` taken in by the incoming service (as from the hub)."""
    n = next(_numbers)
    issued = date.today()
    packet = edxml.EdocPacket(
        document_id=edxml.make_document_id(SENDER, issued, str(n), "CV-VPCP"),
        sender=edxml.Organization(organ_id=SENDER, organ_name="Văn phòng Chính phủ"),
        recipients=(edxml.Organization(organ_id=body.code, organ_name=body.name),),
        code_number=str(n), code_notation="CV-VPCP", subject=subject,
        promulgation_date=issued, type_name="Công văn", priority=priority,
        business_doc_type=1 if revoke else 0, business_document_id=revoke,
        business_doc_reason="Ban hành nhầm" if revoke else "",
        attachments=(edxml.Attachment(content_id="1", name=f"{n}.pdf",
                                      content_type="application/pdf", description="",
                                      data=plain_pdf()),))
    inbox = SimpleNamespace(id=None, hub_doc_id=f"dashboard-{n}", to_code=body.code,
                            signature_valid=True, signature_note="")
    with unit_of_work():
        return incoming.receive_packet(inbox, packet)


def receive_paper(clerk: Any, body: Any, *, subject: str = "Báo cáo giấy",
                  priority: int = 0) -> Any:
    n = next(_numbers)
    meta = incoming.PaperMeta(issuer_name="Sở Nội vụ", subject=subject, number=str(n),
                              notation="BC-SNV", priority=priority)
    with unit_of_work():
        return incoming.intake_paper(clerk, body, meta, [("scan.pdf", plain_pdf())])


def days_ago(n: int) -> datetime:
    return utcnow() - timedelta(days=n)


def register(clerk: Any, doc: Any) -> Any:
    with unit_of_work():
        return incoming.register(clerk, doc)


def assign(leader: Any, doc: Any, person: Any, deadline: date, *, now: datetime | None = None
           ) -> Any:
    with unit_of_work():
        return incoming.assign(leader, doc, lead=person.username, deadline=deadline.isoformat(),
                               now=now)


def complete(person: Any, doc: Any, *, now: datetime | None = None) -> Any:
    with unit_of_work():
        return incoming.complete(person, doc, "Đã xử lý xong", now=now)


def refuse(clerk: Any, doc: Any) -> Any:
    with unit_of_work():
        return incoming.refuse(clerk, doc, "Gửi nhầm cơ quan")
