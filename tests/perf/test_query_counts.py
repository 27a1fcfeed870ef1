"""Lists read a page in a fixed number of SQL statements, whatever the page holds.

The rows are written straight into the tables (as ``bench/scale_bench.py`` loads them):
incoming documents with their files, assignments and a replaced/replacing pair; issued and
sent outgoing documents with recipients, outbox packets, delivery statuses, a version, an
event, an attachment; drafts. Each page is requested with 1 and then with 20 documents
and the statements counted (SQLAlchemy ``before_cursor_execute``): the counts must match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from eoffice.documents import numbering
from eoffice.documents.models import DocumentType
from eoffice.extensions import db
from eoffice.incoming.models import IncomingAssignment, IncomingDocument, IncomingFile
from eoffice.interop.models import DeliveryStatus, OutboxMessage
from eoffice.outgoing.models import (
    OutgoingAttachment,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingRecipient,
    OutgoingVersion,
)

DIGEST = "0" * 64
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from eoffice.auth import service as auth_service

    monkeypatch.setattr(auth_service, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@contextmanager
def counted() -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


class Body:
    """A body with its clerk, leader, specialist and a peer body receiving its documents."""

    def __init__(self, make_org: Callable[..., Any], make_user: Callable[..., Any]) -> None:
        self.org = make_org(code="000.00.00.H77", name="Ủy ban nhân dân tỉnh Thử")
        self.peer = make_org(tier="district", parent=self.org, code="000.00.30.H77",
                             name="Ủy ban nhân dân thành phố Thử")
        self.unit = make_org(tier="unit", parent=self.org, name="Phòng Tổng hợp",
                             short_name="TH")
        self.clerk = make_user("clerk", org=self.org, username="perf.clerk")
        self.leader = make_user("leader", org=self.org, username="perf.leader")
        self.specialist = make_user("specialist", org=self.org, username="perf.cv",
                                    unit=self.unit)
        self.types = db.session.execute(sa.select(DocumentType).where(
            DocumentType.org_id.is_(None))).scalars().all()
        self.incoming_count = self.outgoing_count = self.draft_count = 0

    def add_incoming(self, n: int) -> None:
        """``n`` more incoming documents (various states, all visible to the specialist)."""
        register = numbering.register_for(self.org, "incoming")
        for _ in range(n):
            i = self.incoming_count = self.incoming_count + 1
            at = START + timedelta(hours=i)
            status = ("completed", "processing", "assigned", "replaced", "accepted")[(i - 1) % 5]
            doc = IncomingDocument(
                org_id=self.org.id, source="paper" if i % 7 == 0 else "electronic",
                status=status, document_id=f"000.00.00.G01,2026/01/05,{i:02d}/CV-VPCP",
                issuer_code="000.00.00.G01", issuer_name="Văn phòng Chính phủ",
                number=f"{i:02d}", notation="CV-VPCP", subject=f"Văn bản đến thử {i}",
                type_name="Công văn", priority=i % 4, received_at=at, register_id=register.id,
                incoming_number=i, incoming_year=2026, arrival_date=at.date(),
                deadline=date(2026, 3, 1), search_text=f"van ban den thu {i}")
            doc.files.append(IncomingFile(kind="document", name="vb.pdf", digest=DIGEST,
                                          size=10, valid=True, verdict="Hợp lệ"))
            doc.assignments.append(IncomingAssignment(role="lead", user_id=self.specialist.id,
                                                      deadline=date(2026, 3, 1)))
            doc.assignments.append(IncomingAssignment(role="cooperate", unit_id=self.unit.id))
            db.session.add(doc)
            db.session.flush()
            if status == "replaced":  # its replacement, in the same state as a new arrival
                db.session.add(IncomingDocument(
                    org_id=self.org.id, status="received", replaces_id=doc.id,
                    subject=f"Thay thế {i}", received_at=at - timedelta(days=400),
                    issuer_name="Văn phòng Chính phủ"))
        db.session.flush()

    def add_outgoing(self, n: int) -> None:
        """``n`` more issued and sent outgoing documents and ``n`` drafts."""
        register = numbering.register_for(self.org, "outgoing")
        for _ in range(n):
            i = self.outgoing_count = self.outgoing_count + 1
            at = START + timedelta(hours=i)
            doc_type = self.types[i % len(self.types)]
            document_id = f"{self.org.code},2026/01/05,{i:02d}/CV-UBND"
            doc = OutgoingDocument(
                org_id=self.org.id, unit_id=self.unit.id, created_by_id=self.specialist.id,
                signer_id=self.leader.id, document_type_id=doc_type.id,
                subject=f"Văn bản đi thử {i}", status="sent", current_digest=DIGEST,
                register_id=register.id, number=i, number_text=f"{i:02d}", notation="CV-UBND",
                issued_at=at, issued_on=at.date(), issued_by_id=self.clerk.id,
                document_id=document_id, created_at=at, updated_at=at)
            for code, name in ((self.peer.code, self.peer.name),
                               ("000.00.00.G09", "Bộ Nội vụ")):
                doc.recipients.append(OutgoingRecipient(org_code=code, org_name=name,
                                                        internal=code == self.peer.code))
            doc.versions.append(OutgoingVersion(seq=1, digest=DIGEST, reason="upload",
                                                actor_id=self.specialist.id))
            doc.events.append(OutgoingEvent(action="issue", actor_id=self.clerk.id,
                                            actor_name="Văn thư"))
            doc.attachments.append(OutgoingAttachment(name="phu-luc.pdf", digest=DIGEST))
            if i % 3 == 0:  # some replaced an earlier document
                doc.recipients[0].takeback = "requested"
            db.session.add(doc)
            db.session.flush()
            for code in (self.peer.code, "000.00.00.G09"):
                db.session.add(OutboxMessage(
                    message_type="edoc", from_code=self.org.code, to_codes=code,
                    document_id=document_id, packet_digest=DIGEST, source_type="outgoing",
                    source_id=doc.id, state="sent" if i % 4 else "dead", sent_at=at))
            db.session.add(DeliveryStatus(document_id=document_id,
                                          recipient_code=self.peer.code,
                                          status_code="01" if i % 2 else "06"))
            draft = OutgoingDocument(
                org_id=self.org.id, created_by_id=self.specialist.id, signer_id=self.leader.id,
                document_type_id=doc_type.id, subject=f"Dự thảo thử {i}", status="draft",
                current_digest=DIGEST, created_at=at, updated_at=at)
            draft.recipients.append(OutgoingRecipient(org_code=self.peer.code,
                                                      org_name=self.peer.name))
            draft.versions.append(OutgoingVersion(seq=1, digest=DIGEST, reason="upload",
                                                  actor_id=self.specialist.id))
            db.session.add(draft)
            db.session.flush()
            if i % 3 == 0:
                old = OutgoingDocument(
                    org_id=self.org.id, created_by_id=self.specialist.id,
                    signer_id=self.leader.id, document_type_id=doc_type.id,
                    subject=f"Văn bản bị thay thế {i}", status="replaced",
                    current_digest=DIGEST, replaced_by_id=doc.id, created_at=at,
                    updated_at=at)
                db.session.add(old)
        db.session.flush()


@pytest.fixture
def body(make_org: Callable[..., Any], make_user: Callable[..., Any]) -> Body:
    return Body(make_org, make_user)


def _web(client: Any, username: str) -> Any:
    from helpers import PASSWORD, csrf_from

    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    return client


def _api(client: Any, username: str) -> Any:
    from helpers import PASSWORD

    response = client.post("/api/v1/auth/token", json={"username": username,
                                                       "password": PASSWORD})
    assert response.status_code == 201
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {response.get_json()['token']}"
    return client


# (name, who, web or api, path, which rows, how many rows a page of n shows)
PAGES = [
    ("incoming web list (clerk)", "perf.clerk", "web", "/incoming/", "incoming"),
    ("incoming web list (specialist)", "perf.cv", "web", "/incoming/", "incoming"),
    ("incoming web list, one state", "perf.clerk", "web", "/incoming/?status=completed",
     "incoming"),
    ("incoming API list", "perf.clerk", "api", "/api/v1/incoming", "incoming"),
    ("outgoing web list", "perf.clerk", "web", "/outgoing/", "outgoing"),
    ("outgoing API list", "perf.clerk", "api", "/api/v1/outgoing", "outgoing"),
    ("outgoing API drafts", "perf.cv", "api", "/api/v1/outgoing?status=draft", "outgoing"),
]


def _rows(response: Any, kind: str) -> int:
    if response.is_json:
        return len(response.get_json()["items"])
    html = response.get_data(as_text=True)
    return html.count('href="/incoming/' if kind == "incoming" else 'href="/outgoing/')


@pytest.mark.parametrize("name,user,mode,path,kind", PAGES, ids=[p[0] for p in PAGES])
def test_statements_per_page_do_not_grow_with_its_rows(
        body: Body, client: Any, name: str, user: str, mode: str, path: str, kind: str
) -> None:
    add = body.add_incoming if kind == "incoming" else body.add_outgoing
    client = _web(client, user) if mode == "web" else _api(client, user)
    add(1)
    client.get(path)  # warm: first-request work (templates, caches) is not counted
    with counted() as one:
        first = client.get(path)
    assert first.status_code == 200
    rows_one = _rows(first, kind)
    assert rows_one >= 1
    add(19)
    with counted() as twenty:
        second = client.get(path)
    assert second.status_code == 200
    assert _rows(second, kind) > rows_one, "the page did not grow"
    assert len(twenty) == len(one), (
        f"{name}: {len(one)} statements with 1 document, {len(twenty)} with 20:\n"
        + "\n".join(" ".join(s.split())[:160] for s in twenty))


def test_outgoing_api_pages_drafts_in_sql(body: Body, client: Any) -> None:
    """``status=draft`` pages in SQL: page 2 of 5 holds the 6th–10th newest drafts."""
    body.add_outgoing(12)
    client = _api(client, "perf.cv")
    response = client.get("/api/v1/outgoing?status=draft&page=2&per_page=5")
    data = response.get_json()
    assert data["total"] == 12
    assert [d["subject"] for d in data["items"]] == [f"Dự thảo thử {i}" for i in range(7, 2, -1)]
    assert client.get("/api/v1/outgoing?status=sent").get_json()["total"] == 0


def test_lists_keep_the_delivery_and_replacement_details(body: Body, client: Any) -> None:
    """The batched reads give the same answers as the per-document ones."""
    from eoffice.outgoing import queries

    body.add_outgoing(6)
    client = _api(client, "perf.clerk")
    items = client.get("/api/v1/outgoing").get_json()["items"]
    assert len(items) == 6
    for item in items:
        doc = db.session.get(OutgoingDocument, item["id"])
        expected = queries.recipient_statuses(doc)
        assert [r["status"] for r in item["recipients"]] == [r["status"] for r in expected]
        assert item["replaces"] == getattr(queries.replaces_of(doc), "id", None)
    by_subject = {i["subject"]: i for i in items}
    assert by_subject["Văn bản đi thử 3"]["replaces"] is not None
    assert by_subject["Văn bản đi thử 3"]["recipients"][0]["status"] == "takeback_requested"
    assert by_subject["Văn bản đi thử 4"]["recipients"][1]["status"] == "failed"
    assert by_subject["Văn bản đi thử 2"]["recipients"][0]["status"] == "completed"

    body.add_incoming(5)
    records = {r["subject"]: r for r in client.get("/api/v1/incoming").get_json()["items"]}
    assert records["Văn bản đến thử 4"]["replaced_by"] is not None
    assert records["Văn bản đến thử 1"]["replaced_by"] is None
    assert records["Văn bản đến thử 1"]["valid"] is True
