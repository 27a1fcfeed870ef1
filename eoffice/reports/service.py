"""Registers and handling reports of one body over a period (Decree 30 Phụ lục IV;
TT 01/2019 and Decree 30 Phụ lục VI "outputs").

Data model (nothing stored: a report is computed from the documents on request)
-------------------------------------------------------------------------------
``Report``  what an export renders: the body (and its parent, for the title block), the
    period ``start``–``end`` (inclusive local dates), the ``as_of`` day the progress
    figures are measured on, the ``columns`` in the decree's order, and the rows in
    ``sections`` (one section per register when the body keeps more than one, e.g. a
    register per document type). Summary reports end with a ``totals`` row.

Kinds (``KINDS``) and what their period selects
    ``outgoing_register``  sổ đăng ký văn bản đi — the 10 columns of Phụ lục IV; rows of
        the body's outgoing registers issued in the period, by register, year, number.
    ``incoming_register``  sổ đăng ký văn bản đến — the 10 columns; documents registered
        (vào sổ) with an arrival date in the period, by register, year, số đến.
    ``incoming_tracking``  sổ theo dõi giải quyết văn bản đến — the 7 columns; the same
        documents, with deadline, progress and the number of the answering document (an
        outgoing document of the body issued in answer, ``response_for``).
    ``incoming_handling``  báo cáo tình hình giải quyết văn bản đến — per lead unit, the
        figures the province reports (DOMAIN.md §11): received (electronic / paper),
        waiting to be registered or directed, resolved early / on time / late / without a
        deadline, in progress within / past the deadline on ``as_of``, refused,
        revoked-replaced-withdrawn; documents received in the period.
    ``outgoing_handling``  báo cáo tình hình xử lý văn bản đi — per drafting unit: issued in
        the period, plus documents created in the period and not issued yet, by stage.

Confidential registers (sổ mật) are not exported: they are printed and kept under the
state-secret rules, outside the electronic system's outputs.

Limits: one body per export, a period of at most ``MAX_DAYS`` (366) days and at most
``MAX_ROWS`` rows; each report is read with a fixed number of SQL statements (no query
per row), so a body's yearly register exports in well under the 5 s target.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from eoffice.audit import service as audit
from eoffice.auth.models import User
from eoffice.core.clock import day_bounds, day_text, today  # noqa: F401  (today: the views use it)
from eoffice.core.errors import BadRequest
from eoffice.core.permissions import require
from eoffice.documents.models import Register
from eoffice.extensions import db
from eoffice.incoming.models import (
    PRIORITY_NAMES,
    STATUS_NAMES,
    TIMELINESS_NAMES,
    IncomingAssignment,
    IncomingDocument,
)
from eoffice.orgs.models import Organization
from eoffice.outgoing.models import OutgoingDocument, OutgoingEvent, OutgoingRegisterEntry
from eoffice.reports import policy as _policy  # noqa: F401  (declares the reports.* rules)

MAX_DAYS = 366
MAX_ROWS = 50_000
MIN_YEAR, MAX_YEAR = 1900, 2999  # beyond these a date is a typing error (and overflows)
FORMATS = ("xlsx", "pdf")

KIND_TITLES = {
    "outgoing_register": "Sổ đăng ký văn bản đi",
    "incoming_register": "Sổ đăng ký văn bản đến",
    "incoming_tracking": "Sổ theo dõi giải quyết văn bản đến",
    "incoming_handling": "Báo cáo tình hình giải quyết văn bản đến",
    "outgoing_handling": "Báo cáo tình hình xử lý văn bản đi",
}
KINDS = tuple(KIND_TITLES)

UNKNOWN_KIND = ("Loại sổ/báo cáo không hợp lệ: chọn sổ đăng ký văn bản đi, sổ đăng ký văn bản "
                "đến, sổ theo dõi giải quyết văn bản đến, báo cáo giải quyết văn bản đến hoặc "
                "báo cáo xử lý văn bản đi.")
UNKNOWN_FORMAT = "Định dạng không hợp lệ: chỉ xuất được XLSX hoặc PDF."
MISSING_START = "Cần nhập ngày bắt đầu kỳ báo cáo."
MISSING_END = "Cần nhập ngày kết thúc kỳ báo cáo."
BAD_DATE = "Ngày không hợp lệ: nhập theo dạng YYYY-MM-DD hoặc dd/mm/yyyy."
END_BEFORE_START = "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."
PERIOD_TOO_LONG = ("Kỳ báo cáo dài tối đa 366 ngày (một năm) cho một cơ quan; hãy chọn kỳ "
                   "ngắn hơn hoặc xuất từng năm.")
TOO_MANY_ROWS = ("Kỳ đã chọn có hơn 50.000 dòng, vượt giới hạn một lần xuất; hãy chọn kỳ "
                 "ngắn hơn.")
UNKNOWN_ORG = "Không tìm thấy cơ quan đã chọn."
NOT_A_BODY = "Chỉ xuất sổ và báo cáo cho một cơ quan (không phải đơn vị trực thuộc)."
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Column:
    """A column: its header (the decree's words), width in characters, alignment."""

    header: str
    width: float
    align: str = "L"


@dataclass
class Report:
    """A computed register or report, ready to render."""

    kind: str
    title: str
    org_name: str
    parent_name: str
    start: date
    end: date
    as_of: date
    columns: tuple[Column, ...]
    sections: list[tuple[str, list[tuple[Any, ...]]]] = field(default_factory=list)
    totals: tuple[Any, ...] | None = None
    note: str = ""

    @property
    def row_count(self) -> int:
        return sum(len(rows) for _, rows in self.sections)


@dataclass(frozen=True)
class Request:
    """A validated export request."""

    kind: str
    org: Organization
    start: date
    end: date
    fmt: str


# ---------------------------------------------------------------------------------------
# input


def parse_day(value: Any, which: str = "start") -> date:
    """``2026-01-31`` or ``31/01/2026`` → date; 400 with a Vietnamese message otherwise
    (``which`` names the missing one: ``start`` or ``end``)."""
    if isinstance(value, date):
        return value
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        if which == "end":
            raise BadRequest(MISSING_END, details={"field": "to"})
        raise BadRequest(MISSING_START, details={"field": "from"})
    parsed: date | None = None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            parsed = date.fromisoformat(text)
        elif match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
            day, month, year = (int(g) for g in match.groups())
            parsed = date(year, month, day)
    except ValueError:
        parsed = None
    if parsed is None or not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise BadRequest(BAD_DATE, details={"value": text[:40]})
    return parsed


def find_org(actor: Any, spec: Any) -> Organization:
    """The body by organisation code (``000.00.30.H33``) or id; the actor's body if empty."""
    text = str(spec or "").strip()
    if CONTROL_CHARS.search(text):  # never a code (and PostgreSQL refuses NUL in text)
        raise BadRequest(UNKNOWN_ORG, details={"org": CONTROL_CHARS.sub("?", text[:40])})
    if not text:
        org = db.session.get(Organization, actor.org_id) if actor.org_id else None
    elif text.isdigit() and len(text) < 12:
        org = db.session.get(Organization, int(text))
    else:
        org = db.session.execute(sa.select(Organization).where(
            Organization.code == text[:35])).scalar_one_or_none()
    if org is None:
        raise BadRequest(UNKNOWN_ORG, details={"org": text[:40]})
    return org


def parse_request(actor: Any, *, kind: Any, org: Any, start: Any, end: Any,
                  fmt: Any = "xlsx") -> Request:
    """Validate an export request: kind, body, period and format (400/403 on bad input)."""
    kind = (kind or "").strip().lower() if isinstance(kind, str) else ""
    if kind not in KINDS:
        raise BadRequest(UNKNOWN_KIND, details={"field": "kind", "allowed": list(KINDS)})
    fmt = (fmt or "xlsx").strip().lower() if isinstance(fmt, str) else ""
    if fmt not in FORMATS:
        raise BadRequest(UNKNOWN_FORMAT, details={"field": "format", "allowed": list(FORMATS)})
    body = find_org(actor, org)
    if not body.is_body:
        raise BadRequest(NOT_A_BODY)
    require(actor, "reports.export", body)
    first = parse_day(start, "start")
    last = parse_day(end, "end")
    if last < first:
        raise BadRequest(END_BEFORE_START, details={"from": first.isoformat(),
                                                   "to": last.isoformat()})
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRequest(PERIOD_TOO_LONG, details={"max_days": MAX_DAYS})
    return Request(kind=kind, org=body, start=first, end=last, fmt=fmt)


# ---------------------------------------------------------------------------------------
# helpers


def clean(value: Any) -> Any:
    """Cell text without control characters (XLSX refuses them)."""
    return CONTROL_CHARS.sub(" ", value) if isinstance(value, str) else value


def _check_rows(count: int) -> None:
    if count > MAX_ROWS:
        raise BadRequest(TOO_MANY_ROWS, details={"max_rows": MAX_ROWS})


def _sections(rows: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Group ``(register name, row)`` pairs (already ordered) into sections."""
    out: list[tuple[str, list[tuple[Any, ...]]]] = []
    for name, row in rows:
        if not out or out[-1][0] != name:
            out.append((name, []))
        out[-1][1].append(tuple(clean(v) for v in row))
    return out


def _new_report(kind: str, org: Organization, start: date, end: date, as_of: date,
                columns: tuple[Column, ...]) -> Report:
    return Report(kind=kind, title=KIND_TITLES[kind].upper(), org_name=org.name,
                  parent_name=org.parent.name if org.parent is not None else "",
                  start=start, end=end, as_of=as_of, columns=columns)


# ---------------------------------------------------------------------------------------
# sổ đăng ký văn bản đi


OUTGOING_REGISTER_COLUMNS = (
    Column("Số, ký hiệu văn bản", 16),
    Column("Ngày tháng văn bản", 12, "C"),
    Column("Tên loại và trích yếu nội dung văn bản", 46),
    Column("Người ký", 20),
    Column("Nơi nhận văn bản", 32),
    Column("Đơn vị, người nhận bản lưu", 16),
    Column("Số lượng bản", 9, "C"),
    Column("Ngày chuyển", 12, "C"),
    Column("Ký nhận", 12),
    Column("Ghi chú", 20),
)


def outgoing_register(org: Organization, start: date, end: date, as_of: date) -> Report:
    """Rows of the body's outgoing registers issued in the period (1 statement)."""
    entry, doc = OutgoingRegisterEntry, OutgoingDocument
    replacement = aliased(OutgoingDocument)
    sent = (sa.select(sa.func.min(OutgoingEvent.created_at))
            .where(OutgoingEvent.document_id == doc.id, OutgoingEvent.action == "send")
            .correlate(doc).scalar_subquery())
    stmt = (sa.select(Register.name, entry.code, entry.issued_on, entry.type_and_subject,
                      entry.signer_name, entry.recipients, entry.keeper, entry.copies,
                      entry.note, doc.status, sent, replacement.number_text,
                      replacement.notation)
            .join(Register, Register.id == entry.register_id)
            .join(doc, doc.id == entry.document_id)
            .outerjoin(replacement, replacement.id == doc.replaced_by_id)
            .where(Register.org_id == org.id, Register.kind == "outgoing",
                   Register.confidential.is_(False),
                   entry.issued_on >= start, entry.issued_on <= end)
            .order_by(Register.id, entry.year, entry.number)
            .limit(MAX_ROWS + 1))
    result = db.session.execute(stmt).all()
    _check_rows(len(result))
    rows = []
    for (register, code, issued_on, what, signer, recipients, keeper, copies, note, status,
         sent_at, repl_number, repl_notation) in result:
        notes = [note] if note else []
        if status == "revoked":
            notes.append("Đã thu hồi")
        elif status == "replaced":
            notes.append("Đã được thay thế" + (f" bởi văn bản số {repl_number}/{repl_notation}"
                                                if repl_number else ""))
        rows.append((register, (code, day_text(issued_on), what, signer, recipients, keeper,
                                copies, day_text(sent_at), "", "; ".join(notes))))
    report = _new_report("outgoing_register", org, start, end, as_of, OUTGOING_REGISTER_COLUMNS)
    report.sections = _sections(rows)
    return report


# ---------------------------------------------------------------------------------------
# incoming: register and tracking book


INCOMING_REGISTER_COLUMNS = (
    Column("Ngày đến", 11, "C"),
    Column("Số đến", 8, "C"),
    Column("Tác giả", 28),
    Column("Số, ký hiệu", 16),
    Column("Ngày tháng văn bản", 12, "C"),
    Column("Tên loại và trích yếu nội dung", 46),
    Column("Đơn vị hoặc người nhận", 26),
    Column("Ngày chuyển", 11, "C"),
    Column("Ký nhận", 12),
    Column("Ghi chú", 18),
)

INCOMING_TRACKING_COLUMNS = (
    Column("Số đến", 8, "C"),
    Column("Tên loại, số, ký hiệu, ngày tháng văn bản, cơ quan ban hành", 50),
    Column("Đơn vị hoặc người nhận", 28),
    Column("Thời hạn giải quyết", 13, "C"),
    Column("Tiến độ giải quyết", 30),
    Column("Số, ký hiệu văn bản trả lời", 20),
    Column("Ghi chú", 20),
)

ROLE_LABELS = {"lead": "chủ trì", "cooperate": "phối hợp", "inform": "để biết"}
CLOSED_NOTES = ("refused", "revoked", "replaced", "withdrawn")


def _registered_filter(org: Organization, start: date, end: date) -> list[Any]:
    doc = IncomingDocument
    return [doc.org_id == org.id, doc.register_id == Register.id,
            Register.confidential.is_(False), doc.incoming_number.is_not(None),
            doc.arrival_date >= start, doc.arrival_date <= end]


def _registered_docs(org: Organization, start: date, end: date) -> list[Any]:
    doc = IncomingDocument
    stmt = (sa.select(doc.id, Register.name, doc.arrival_date, doc.incoming_number,
                      doc.issuer_name, doc.number, doc.notation, doc.issued_date, doc.type_name,
                      doc.subject, doc.directed_at, doc.priority, doc.status, doc.deadline,
                      doc.completed_at, doc.timeliness, doc.document_id)
            .select_from(doc).join(Register, Register.id == doc.register_id)
            .where(*_registered_filter(org, start, end))
            .order_by(Register.id, doc.incoming_year, doc.incoming_number)
            .limit(MAX_ROWS + 1))
    result = db.session.execute(stmt).all()
    _check_rows(len(result))
    return result


def _receivers(org: Organization, start: date, end: date) -> dict[int, str]:
    """Document id → "X (chủ trì); Y (phối hợp)" from the leader's direction (1 statement).

    The current direction (active top-level assignments); a document whose direction was
    closed (revoked, withdrawn) keeps showing the handlers it had."""
    a = IncomingAssignment
    unit = aliased(Organization)
    ids = (sa.select(IncomingDocument.id).select_from(IncomingDocument)
           .join(Register, Register.id == IncomingDocument.register_id)
           .where(*_registered_filter(org, start, end)))
    stmt = (sa.select(a.document_id, a.role, a.active,
                      sa.func.coalesce(User.full_name, unit.name))
            .outerjoin(User, User.id == a.user_id).outerjoin(unit, unit.id == a.unit_id)
            .where(a.parent_id.is_(None), a.document_id.in_(ids))
            .order_by(a.document_id, a.id))
    active: dict[int, list[str]] = defaultdict(list)
    closed: dict[int, list[str]] = defaultdict(list)
    for doc_id, role, is_active, name in db.session.execute(stmt):
        label = f"{name} ({ROLE_LABELS.get(role, role)})"
        target = active if is_active else closed
        if label not in target[doc_id]:
            target[doc_id].append(label)
    return {doc_id: "; ".join(active.get(doc_id) or closed[doc_id])
            for doc_id in set(active) | set(closed)}


def _incoming_notes(priority: int, status: str) -> str:
    notes = []
    if priority:
        notes.append(PRIORITY_NAMES[priority])
    if status in CLOSED_NOTES:
        notes.append(STATUS_NAMES[status])
    return "; ".join(notes)


def incoming_register(org: Organization, start: date, end: date, as_of: date) -> Report:
    """Documents registered with an arrival date in the period (2 statements)."""
    docs = _registered_docs(org, start, end)
    receivers = _receivers(org, start, end) if docs else {}
    rows = []
    for (doc_id, register, arrival, number_in, issuer, number, notation, issued, type_name,
         subject, directed_at, priority, status, *_rest) in docs:
        code = "/".join(filter(None, [number, notation]))
        what = f"{type_name}: {subject}" if type_name else subject
        rows.append((register, (day_text(arrival), number_in, issuer, code, day_text(issued), what,
                                receivers.get(doc_id, ""), day_text(directed_at), "",
                                _incoming_notes(priority, status))))
    report = _new_report("incoming_register", org, start, end, as_of, INCOMING_REGISTER_COLUMNS)
    report.sections = _sections(rows)
    return report


def _answers(org: Organization, start: date, end: date) -> dict[str, list[str]]:
    """Incoming DocumentId → numbers of the body's issued answers (1 statement)."""
    out = OutgoingDocument
    ids = (sa.select(IncomingDocument.document_id).select_from(IncomingDocument)
           .join(Register, Register.id == IncomingDocument.register_id)
           .where(*_registered_filter(org, start, end), IncomingDocument.document_id != ""))
    stmt = (sa.select(out.response_for, out.number_text, out.notation)
            .where(out.org_id == org.id, out.number.is_not(None), out.response_for != "",
                   out.response_for.in_(ids))
            .order_by(out.issued_at, out.id))
    answers: dict[str, list[str]] = defaultdict(list)
    for document_id, number_text, notation in db.session.execute(stmt):
        answers[document_id].append(f"{number_text}/{notation}")
    return answers


def _progress(status: str, deadline: date | None, completed_at: datetime | None,
              timeliness: str | None, as_of: date) -> str:
    if status == "completed":
        text = f"Đã hoàn thành ngày {day_text(completed_at)}"
        return text + (f" ({TIMELINESS_NAMES[timeliness].lower()})" if timeliness else "")
    text = STATUS_NAMES.get(status, status)
    if status in ("assigned", "processing") and deadline is not None and deadline < as_of:
        text += f", quá hạn {(as_of - deadline).days} ngày"
    return text


def incoming_tracking(org: Organization, start: date, end: date, as_of: date) -> Report:
    """The tracking book of the documents registered in the period (3 statements)."""
    docs = _registered_docs(org, start, end)
    receivers = _receivers(org, start, end) if docs else {}
    answers = _answers(org, start, end) if docs else {}
    rows = []
    for (doc_id, register, _arrival, number_in, issuer, number, notation, issued, type_name,
         subject, _directed, priority, status, deadline, completed_at, timeliness,
         document_id) in docs:
        code = "/".join(filter(None, [number, notation]))
        what = ", ".join(filter(None, [
            " ".join(filter(None, [type_name, f"số {code}" if code else ""])),
            f"ngày {day_text(issued)}" if issued else "", issuer]))
        if subject:
            what += f" — {subject}"
        rows.append((register, (number_in, what, receivers.get(doc_id, ""), day_text(deadline),
                                _progress(status, deadline, completed_at, timeliness, as_of),
                                "; ".join(answers.get(document_id, [])) if document_id else "",
                                _incoming_notes(priority, status))))
    report = _new_report("incoming_tracking", org, start, end, as_of, INCOMING_TRACKING_COLUMNS)
    report.sections = _sections(rows)
    return report


# ---------------------------------------------------------------------------------------
# handling reports (one aggregate statement each)


INCOMING_HANDLING_COLUMNS = (
    Column("STT", 5, "C"),
    Column("Đơn vị chủ trì giải quyết", 34),
    Column("Tổng số văn bản đến", 10, "R"),
    Column("Điện tử", 9, "R"),
    Column("Bản giấy", 9, "R"),
    Column("Chờ vào sổ", 9, "R"),
    Column("Chờ phân công", 9, "R"),
    Column("Đã giải quyết trước hạn", 11, "R"),
    Column("Đã giải quyết đúng hạn", 11, "R"),
    Column("Đã giải quyết trễ hạn", 11, "R"),
    Column("Đã giải quyết (không có hạn)", 11, "R"),
    Column("Đang giải quyết trong hạn", 11, "R"),
    Column("Đang giải quyết quá hạn", 11, "R"),
    Column("Từ chối tiếp nhận", 9, "R"),
    Column("Thu hồi, thay thế, lấy lại", 10, "R"),
)
NO_LEAD = "(Chưa có đơn vị chủ trì)"


def _count(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _numbered(result: list[Any]) -> tuple[list[tuple[Any, ...]], tuple[Any, ...]]:
    rows = [(i, clean(label), *counts) for i, (label, *counts) in enumerate(result, 1)]
    width = len(result[0]) - 1 if result else 0
    totals = ("", "Tổng cộng", *(sum(int(r[i + 2]) for r in rows) for i in range(width)))
    return rows, totals


def incoming_handling(org: Organization, start: date, end: date, as_of: date) -> Report:
    """Figures of the documents received in the period, per lead unit (1 statement)."""
    doc, a = IncomingDocument, IncomingAssignment
    person = aliased(User)
    lead_unit, person_unit = aliased(Organization), aliased(Organization)
    # The lead's unit (or the lead person's unit, or the person) of each document: a
    # correlated lookup through the index on document_id, so only the body's documents of
    # the period are visited (never the whole assignment table).
    lead = (sa.select(sa.func.coalesce(lead_unit.name, person_unit.name, person.full_name))
            .select_from(a)
            .outerjoin(person, person.id == a.user_id)
            .outerjoin(lead_unit, lead_unit.id == a.unit_id)
            .outerjoin(person_unit, person_unit.id == person.unit_id)
            .where(a.document_id == doc.id, a.role == "lead", a.parent_id.is_(None),
                   a.active.is_(True))
            .order_by(a.id).limit(1).correlate(doc).scalar_subquery())
    low, high = day_bounds(start, end)
    inner = (sa.select(sa.func.coalesce(lead, sa.literal(NO_LEAD)).label("label"),
                       doc.id, doc.source, doc.status, doc.timeliness, doc.deadline)
             .where(doc.org_id == org.id, doc.received_at >= low, doc.received_at < high)
             .subquery())
    c = inner.c
    open_ = c.status.in_(("assigned", "processing"))
    done = c.status == "completed"
    stmt = (sa.select(
        c.label, sa.func.count(c.id),
        _count(c.source == "electronic"), _count(c.source == "paper"),
        _count(c.status == "received"), _count(c.status == "accepted"),
        _count(sa.and_(done, c.timeliness == "early")),
        _count(sa.and_(done, c.timeliness == "on_time")),
        _count(sa.and_(done, c.timeliness == "late")),
        _count(sa.and_(done, c.timeliness.is_(None))),
        _count(sa.and_(open_, sa.or_(c.deadline.is_(None), c.deadline >= as_of))),
        _count(sa.and_(open_, c.deadline < as_of)),
        _count(c.status == "refused"),
        _count(c.status.in_(("revoked", "replaced", "withdrawn"))))
        .group_by(c.label).order_by(c.label))
    rows, totals = _numbered(db.session.execute(stmt).all())
    report = _new_report("incoming_handling", org, start, end, as_of, INCOMING_HANDLING_COLUMNS)
    report.sections = [("", rows)]
    report.totals = totals if rows else None
    report.note = ("Văn bản đến tiếp nhận trong kỳ; tình trạng giải quyết tính đến ngày "
                   f"{day_text(as_of)}.")
    return report


OUTGOING_HANDLING_COLUMNS = (
    Column("STT", 5, "C"),
    Column("Đơn vị soạn thảo", 34),
    Column("Tổng số văn bản", 10, "R"),
    Column("Đang soạn thảo, bị trả lại", 11, "R"),
    Column("Đang trình duyệt", 10, "R"),
    Column("Đã duyệt, chờ ký", 10, "R"),
    Column("Đã ký, chờ phát hành", 11, "R"),
    Column("Đã phát hành", 10, "R"),
    Column("Gửi điện tử", 10, "R"),
    Column("Văn bản mật (gửi bản giấy)", 11, "R"),
    Column("Trả lời văn bản đến", 10, "R"),
    Column("Bị thu hồi", 9, "R"),
    Column("Bị thay thế", 9, "R"),
)
NO_UNIT = "(Không thuộc đơn vị)"
ISSUED = ("issued", "sent", "revoked", "replaced")


def outgoing_handling(org: Organization, start: date, end: date, as_of: date) -> Report:
    """Documents issued in the period plus those created in it and not issued yet, per
    drafting unit (1 statement)."""
    doc = OutgoingDocument
    unit = aliased(Organization)
    label = sa.func.coalesce(unit.name, sa.literal(NO_UNIT))
    low, high = day_bounds(start, end)
    issued = doc.status.in_(ISSUED)
    stmt = (sa.select(
        label.label("label"), sa.func.count(doc.id),
        _count(doc.status.in_(("draft", "returned"))), _count(doc.status == "in_review"),
        _count(doc.status == "approved"), _count(doc.status == "signed"),
        _count(issued), _count(sa.and_(issued, doc.confidentiality == "")),
        _count(sa.and_(issued, doc.confidentiality != "")),
        _count(sa.and_(issued, doc.response_for != "")),
        _count(doc.status == "revoked"), _count(doc.status == "replaced"))
        .select_from(doc).outerjoin(unit, unit.id == doc.unit_id)
        .where(doc.org_id == org.id, sa.or_(
            sa.and_(doc.issued_on >= start, doc.issued_on <= end),
            sa.and_(doc.issued_on.is_(None), doc.created_at >= low, doc.created_at < high)))
        .group_by(label).order_by(label))
    rows, totals = _numbered(db.session.execute(stmt).all())
    report = _new_report("outgoing_handling", org, start, end, as_of, OUTGOING_HANDLING_COLUMNS)
    report.sections = [("", rows)]
    report.totals = totals if rows else None
    report.note = ("Văn bản đi phát hành trong kỳ và văn bản khởi tạo trong kỳ chưa phát hành; "
                   f"tình trạng tính đến ngày {day_text(as_of)}.")
    return report


BUILDERS = {
    "outgoing_register": outgoing_register,
    "incoming_register": incoming_register,
    "incoming_tracking": incoming_tracking,
    "incoming_handling": incoming_handling,
    "outgoing_handling": outgoing_handling,
}


def build(actor: Any, request: Request, *, now: datetime | None = None) -> Report:
    """Compute the register or report (the permission is checked again here)."""
    require(actor, "reports.export", request.org)
    return BUILDERS[request.kind](request.org, request.start, request.end, today(now))


# ---------------------------------------------------------------------------------------
# export


@dataclass(frozen=True)
class Export:
    """A rendered file."""

    filename: str
    mimetype: str
    data: bytes
    rows: int


MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "pdf": "application/pdf"}


def export(actor: Any, request: Request, *, now: datetime | None = None) -> Export:
    """Build, render and audit one export (the caller holds the unit of work)."""
    from eoffice.reports import exports

    report = build(actor, request, now=now)
    data = exports.to_xlsx(report) if request.fmt == "xlsx" else exports.to_pdf(report)
    filename = (f"{request.kind}_{request.org.code or request.org.id}_"
                f"{request.start:%Y%m%d}-{request.end:%Y%m%d}.{request.fmt}")
    audit.record(actor, "reports.exported", request.org, details={
        "kind": request.kind, "from": request.start.isoformat(),
        "to": request.end.isoformat(), "format": request.fmt, "rows": report.row_count,
        "bytes": len(data)}, org_id=request.org.id)
    return Export(filename=filename, mimetype=MIMETYPES[request.fmt], data=data,
                  rows=report.row_count)


def exportable_bodies(actor: Any) -> list[Organization]:
    """The bodies whose registers ``actor`` may export (their own, if clerk or leader)."""
    from eoffice.core.permissions import can

    org = db.session.get(Organization, actor.org_id) if getattr(actor, "org_id", None) else None
    return [org] if org is not None and can(actor, "reports.export", org) else []
