"""Bulk loader of the scale benchmark (issue 7, item 7): a decade of documents in the demo province.

Used by ``bench/scale_bench.py``; run by hand, not in CI.

What is loaded, straight into the real tables with PostgreSQL ``COPY`` (not through the
services — nothing is signed, numbered by the counters' row locks or audited):

* ``incoming_documents`` (about 62 %) spread over the 34 bodies of the demo tree, the
  province and its departments busiest, each body's own incoming register numbering them
  per year in order of arrival; one ``incoming_files`` row each (every row points at the
  SAME stored PDF — the PDFs of a million documents are not created), ``incoming_assignments``
  (lead, sometimes a cooperating unit/person) for the handled ones;
* ``outgoing_documents`` (about 38 %) with their ``outgoing_recipients``, one
  ``outgoing_versions`` row, the ``outgoing_register_entries`` row and the body's register
  counters for the issued ones, and for the sent ones one ``interop_outbox`` packet and one
  ``interop_delivery_status`` row per recipient (as ``outgoing.service.send`` writes them);
* dates over 2016-01-01 … today with a yearly growth, document types with Decree 30
  frequencies (công văn first), Vietnamese subjects from templates × topics × places,
  urgency, deadlines, documents completed early / on time / late, in progress within or
  past the deadline, refused, revoked, replaced and withdrawn.

Bodies of the demo tree without demo accounts get a clerk, a leader and a specialist
(``bench.<code>.*``) so every document has real authors and signers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

DOCUMENT_TABLES = (
    "incoming_reminders", "incoming_notes", "incoming_assignments", "incoming_files",
    "incoming_documents", "outgoing_register_entries", "outgoing_events", "outgoing_versions",
    "outgoing_attachments", "outgoing_recipients", "outgoing_documents", "interop_outbox",
    "interop_delivery_status", "register_counters", "registers", "search_entries",
)
START = date(2016, 1, 1)

# Decree 30 types (DOMAIN.md §1a) with the share of a body's documents (công văn first).
TYPE_SHARES = {
    "CV": 44.0, "QĐ": 14.0, "BC": 8.0, "TB": 7.5, "GM": 7.0, "KH": 5.5, "TTr": 4.0,
    "HD": 2.0, "CT": 1.0, "NQ": 0.8, "CTr": 1.0, "BB": 1.0, "GGT": 0.6, "CĐ": 0.4,
    "QC": 0.3, "QyĐ": 0.3, "ĐA": 0.4, "PA": 0.4, "HĐ": 0.3, "TC": 0.1, "GUQ": 0.2,
    "GNP": 0.4, "PC": 0.3, "SY": 0.3,
}
TOPICS = [
    "cải cách hành chính", "chuyển đổi số", "phòng, chống thiên tai và tìm kiếm cứu nạn",
    "quản lý đất đai", "xây dựng nông thôn mới", "bảo vệ và phát triển rừng",
    "bảo đảm trật tự an toàn giao thông", "phòng cháy, chữa cháy", "giải ngân vốn đầu tư công",
    "thu, chi ngân sách nhà nước", "tuyển dụng viên chức", "đánh giá, xếp loại công chức",
    "thi đua, khen thưởng", "cấp giấy chứng nhận quyền sử dụng đất",
    "ứng dụng công nghệ thông tin", "cung cấp dịch vụ công trực tuyến",
    "phòng, chống tham nhũng, tiêu cực", "tiếp công dân", "giải quyết khiếu nại, tố cáo",
    "chống khai thác hải sản bất hợp pháp (IUU)", "nuôi trồng thủy sản", "phát triển du lịch",
    "bảo vệ môi trường", "thu gom, xử lý chất thải rắn sinh hoạt",
    "quản lý trật tự xây dựng", "chỉnh trang đô thị", "bảo hiểm xã hội, bảo hiểm y tế",
    "giảm nghèo bền vững", "chăm sóc sức khỏe nhân dân", "phổ cập giáo dục",
    "kỳ thi tốt nghiệp trung học phổ thông", "tổ chức Tết Nguyên đán",
    "diễn tập khu vực phòng thủ", "tuyển chọn và gọi công dân nhập ngũ",
    "chi trả trợ cấp xã hội", "kiểm kê đất đai", "sắp xếp đơn vị hành chính cấp xã",
    "sử dụng chữ ký số và văn bản điện tử", "chỉnh lý hồ sơ, tài liệu lưu trữ",
    "phòng, chống dịch bệnh", "an toàn vệ sinh thực phẩm", "xây dựng chính quyền điện tử",
]
ACTIONS = ["triển khai", "tăng cường", "báo cáo tình hình", "góp ý dự thảo văn bản về",
           "hướng dẫn thực hiện", "đôn đốc thực hiện", "kiểm tra công tác", "rà soát",
           "tổng kết công tác", "đề xuất kinh phí"]
PERIODS = ["quý I", "quý II", "quý III", "quý IV", "6 tháng đầu năm", "9 tháng", "tháng 10"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi",
            "Đỗ", "Ngô", "Dương", "Lâm", "Danh", "Thạch"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Quốc", "Hữu", "Ngọc", "Thành", "Hoàng", "Kim"]
GIVEN = ["Hùng", "Lan", "Phúc", "Tâm", "Hải", "Dũng", "Hạnh", "Tuấn", "Sơn", "Nhân", "Trang",
         "Khánh", "Thảo", "Bình", "Vũ", "Hòa", "Nghĩa", "Trung", "Lực", "Thắm"]
POSITIONS = ["Chủ tịch", "Phó Chủ tịch", "Giám đốc", "Phó Giám đốc", "Chánh Văn phòng",
             "Trưởng phòng", "Bộ trưởng", "Thứ trưởng"]
# Senders from outside the province (not bodies of this installation).
EXTERNAL = [
    ("000.00.00.G01", "Văn phòng Chính phủ", "VPCP"), ("000.00.00.G09", "Bộ Nội vụ", "BNV"),
    ("000.00.00.G10", "Bộ Tài chính", "BTC"),
    ("000.00.00.G14", "Bộ Thông tin và Truyền thông", "BTTTT"),
    ("000.00.00.G16", "Bộ Nông nghiệp và Phát triển nông thôn", "BNNPTNT"),
    ("000.00.00.G19", "Bộ Tài nguyên và Môi trường", "BTNMT"),
    ("000.00.00.H13", "Ủy ban nhân dân tỉnh Cà Mau", "UBND"),
    ("000.00.00.H01", "Ủy ban nhân dân thành phố Cần Thơ", "UBND"),
]
PRIORITIES = ((0, 84.0), (1, 11.0), (2, 4.0), (3, 1.0))
URGENCY_OF = {0: "", 1: "khan", 2: "thuong_khan", 3: "hoa_toc"}


def _weighted(pairs: Iterable[tuple[Any, float]]) -> Callable[[random.Random], Any]:
    values, weights = zip(*pairs, strict=True)
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)

    def pick(rng: random.Random) -> Any:
        return rng.choices(values, cum_weights=cumulative)[0]
    return pick


_FORMATS: dict[type, Callable[[Any], str]] = {
    type(None): lambda _: "\\N", bool: lambda v: "t" if v else "f", str: str, int: str,
    datetime: datetime.isoformat, date: date.isoformat, float: repr,
}


def _text(value: Any) -> str:
    """One field of COPY text format (the generated strings have no tab/newline/backslash)."""
    return _FORMATS[type(value)](value)


class CopyFile:
    """Rows of one table written to a temporary COPY text file."""

    def __init__(self, directory: Path, table: sa.Table, columns: list[str]) -> None:
        self.table, self.columns = table, columns
        missing = [c.name for c in table.columns
                   if c.name not in columns and not c.nullable and not c.primary_key]
        now = datetime.now(UTC)
        self.constants: list[str] = []
        for name in missing:
            default = table.columns[name].default
            if default is None:
                raise ValueError(f"{table.name}.{name} needs a value")
            value = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
            self.constants.append(_text(now if isinstance(value, datetime) else value))
        self.all_columns = columns + missing
        self.suffix = ("\t" + "\t".join(self.constants)) if self.constants else ""
        self.path = directory / f"{table.name}.tsv"
        self.handle = self.path.open("w", encoding="utf-8", buffering=1 << 20)
        self.count = 0

    def add(self, *values: Any) -> None:
        self.handle.write("\t".join(map(_text, values)) + self.suffix + "\n")
        self.count += 1

    def load(self, raw: Any) -> None:
        self.handle.close()
        cols = ", ".join(f'"{c}"' for c in self.all_columns)
        with raw.cursor() as cur, cur.copy(f'COPY "{self.table.name}" ({cols}) FROM STDIN') as cp, \
                self.path.open("rb") as src:
            while chunk := src.read(1 << 20):
                cp.write(chunk)
        self.path.unlink()


class Ids:
    """Explicit primary keys (the sequences are moved past them afterwards)."""

    def __init__(self, start: int) -> None:
        self.value = start

    def __call__(self) -> int:
        self.value += 1
        return self.value


def _day_picker(rng: random.Random, end: date) -> Callable[[], date]:
    """A day in START…end, later years busier (the e-office spreading: ×3 over the decade)."""
    span = (end - START).days

    def pick() -> date:
        while True:
            offset = rng.randrange(span + 1)
            if rng.random() < (1 + 2 * offset / span) / 3:
                return START + timedelta(days=offset)
    return pick


def _at(day: date, rng: random.Random) -> datetime:
    """A working-hours instant of ``day`` (Vietnam 07:30–17:00 = UTC 00:30–10:00)."""
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        minutes=30 + rng.randrange(570), seconds=rng.randrange(60))
    return min(moment, datetime.now(UTC))  # today's documents arrived before now


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _subject(rng: random.Random, abbr: str, year: int, places: list[str]) -> str:
    topic, place = rng.choice(TOPICS), rng.choice(places)
    where = f" trên địa bàn {place}" if rng.random() < 0.4 else ""
    if abbr == "CV":
        return f"V/v {rng.choice(ACTIONS)} {topic}{where}"
    if abbr == "QĐ":
        return rng.choice([f"Về việc phê duyệt kế hoạch {topic} năm {year}",
                           f"Về việc thành lập Tổ công tác {topic}",
                           f"Về việc khen thưởng thành tích {topic}{where}",
                           f"Về việc giao chỉ tiêu {topic} năm {year}"])
    if abbr == "BC":
        return f"Kết quả {topic} {rng.choice(PERIODS)} năm {year}{where}"
    if abbr == "TB":
        return rng.choice([f"Kết luận của Chủ tịch tại cuộc họp về {topic}",
                           f"Về việc tổ chức {topic}{where}"])
    if abbr == "GM":
        return f"Dự hội nghị sơ kết {topic} {rng.choice(PERIODS)} năm {year}"
    if abbr == "KH":
        return f"Triển khai {topic} năm {year}{where}"
    if abbr == "TTr":
        return f"Đề nghị phê duyệt kinh phí {topic} năm {year}"
    if abbr == "CT":
        return f"Về việc tăng cường {topic}"
    if abbr == "CĐ":
        return f"Về việc chủ động ứng phó, {topic}"
    return f"Về {topic} năm {year}{where}"


class Loader:
    """Generates and COPYs the documents; ``run()`` returns per-table row counts."""

    def __init__(self, app: Any, total: int, *, seed: int = 2026,
                 workdir: Path, today: date | None = None, log: Callable[[str], None] = print
                 ) -> None:
        self.app, self.total, self.workdir, self.log = app, total, workdir, log
        self.rng = random.Random(seed)
        self.today = today or date.today()
        self.pick_day = _day_picker(self.rng, self.today)
        self.pick_priority = _weighted(PRIORITIES)

    # -- reference data ------------------------------------------------------------------
    def _reference(self) -> None:
        from eoffice.auth import service as auth_service
        from eoffice.documents.models import DocumentType
        from eoffice.extensions import db
        from eoffice.orgs.models import Organization

        session = db.session
        orgs = session.execute(sa.select(Organization).order_by(Organization.id)).scalars().all()
        self.bodies = [o for o in orgs if o.tier_key != "unit" and o.code]
        self.units = {b.id: [o for o in orgs if o.parent_id == b.id and o.tier_key == "unit"]
                      for b in self.bodies}
        self.types = {t.abbreviation or t.code: t for t in session.execute(
            sa.select(DocumentType).where(DocumentType.org_id.is_(None))).scalars()}
        self.pick_type = _weighted((self.types[k], w) for k, w in TYPE_SHARES.items()
                                   if k in self.types)
        password = self.app.config["DEMO_PASSWORD"]
        hashed = auth_service.hash_password(password)
        people: dict[int, dict[str, Any]] = {}
        original_hash = auth_service.hash_password
        auth_service.hash_password = lambda _: hashed  # one argon2 hash for every bench user
        try:
            for body in self.bodies:
                people[body.id] = self._staff(session, body, password)
        finally:
            auth_service.hash_password = original_hash
        self.people = people
        session.commit()
        self.by_code = {b.code: b for b in self.bodies}
        self.places = sorted({b.locality for b in self.bodies if b.locality})
        # each body's share of the documents: the province and its departments busiest
        weights = {"province": 14.0, "department": 5.0, "district": 2.6, "commune": 0.55}
        rach_gia = self.by_code.get("000.00.30.H33")
        self.share = {b.id: weights.get(b.tier_key, 1.0) * (2.5 if b is rach_gia else 1.0)
                      for b in self.bodies}
        total = sum(self.share.values())
        self.share = {k: v / total for k, v in self.share.items()}

    def _staff(self, session: Any, body: Any, password: str) -> dict[str, Any]:
        """The body's clerk, leader and specialists (a busy body has several specialists:
        the province 12, a department 5, a district 4, Rạch Giá 6, a commune 1), created
        as ``bench.<code>.*`` where the demo has none."""
        from eoffice.auth import service as auth_service
        from eoffice.auth.models import User
        from eoffice.core.permissions import SYSTEM

        wanted = {"province": 12, "department": 5, "district": 4, "commune": 1}.get(
            body.tier_key, 1) + (2 if body.code == "000.00.30.H33" else 0)
        users = session.execute(sa.select(User).where(User.org_id == body.id)
                                .order_by(User.id)).scalars().all()
        found: dict[str, list[int]] = {role: [u.id for u in users if u.has_role(role)]
                                       for role in ("clerk", "leader", "specialist")}
        for role, word, count in (("clerk", "vanthu", 1), ("leader", "lanhdao", 1),
                                  ("specialist", "chuyenvien", wanted)):
            while len(found[role]) < count:
                n = len(found[role]) + 1
                user = auth_service.create_user(
                    SYSTEM, username=f"bench.{body.code}.{word}{n if n > 1 else ''}",
                    password=password, full_name=_name(self.rng), title=role, org=body,
                    roles=[role], email=f"{word}{n}.{body.code}@bench.invalid")
                session.flush()
                found[role].append(user.id)
        return {"clerk": found["clerk"][0], "leader": found["leader"][0],
                "specialist": found["specialist"][0], "specialists": found["specialist"]}

    def _senders_of(self, body: Any) -> list[tuple[str, str, str, bool]]:
        """Who writes to ``body``: (code, name, short name, internal)."""
        inside = [(b.code, b.name, b.short_name, True) for b in self.bodies
                  if b.id != body.id and (b.id == body.parent_id or b.parent_id == body.id
                                          or b.parent_id == body.parent_id
                                          or b.tier_key == "department")]
        outside = [(c, n, s, False) for c, n, s in EXTERNAL] if body.tier_key in (
            "province", "department") else []
        return inside + outside or [(c, n, s, False) for c, n, s in EXTERNAL]

    # -- loading -------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        from eoffice.auth.models import User
        from eoffice.core.storage import file_store
        from eoffice.documents.models import Register, RegisterCounter
        from eoffice.extensions import db
        from eoffice.incoming.models import IncomingAssignment, IncomingDocument, IncomingFile
        from eoffice.interop.models import DeliveryStatus, OutboxMessage
        from eoffice.outgoing.models import (
            OutgoingDocument,
            OutgoingRecipient,
            OutgoingRegisterEntry,
            OutgoingVersion,
        )

        self._reference()
        pdf = _shared_pdf()
        self.digest = file_store().put(pdf)
        self.pdf_size = len(pdf)
        self.names = dict(db.session.execute(sa.select(User.id, User.full_name)).all())
        start = time.perf_counter()
        w = self.workdir
        t = {m.__tablename__: m.__table__ for m in (
            IncomingDocument, IncomingFile, IncomingAssignment, OutgoingDocument,
            OutgoingRecipient, OutgoingVersion, OutgoingRegisterEntry, OutboxMessage,
            DeliveryStatus, Register, RegisterCounter)}
        self.files = {
            "registers": CopyFile(w, t["registers"], ["id", "org_id", "kind", "name",
                                                      "confidential", "active"]),
            "incoming_documents": CopyFile(w, t["incoming_documents"], [
                "id", "org_id", "source", "status", "document_id", "issuer_code", "issuer_name",
                "number", "notation", "issued_date", "type_name", "subject", "signer_name",
                "signer_position", "priority", "sender_due_date", "search_text", "received_at",
                "packet_signature_valid", "register_id", "incoming_number", "incoming_year",
                "arrival_date", "registered_at", "registered_by_id", "created_by_id",
                "refuse_reason", "directive", "directed_by_id", "directed_at", "deadline",
                "result", "completed_at", "completed_by_id", "timeliness", "closed_note"]),
            "incoming_files": CopyFile(w, t["incoming_files"], [
                "id", "document_id", "kind", "name", "digest", "size", "valid", "verdict",
                "added_by_id", "created_at"]),
            "incoming_assignments": CopyFile(w, t["incoming_assignments"], [
                "id", "document_id", "role", "user_id", "unit_id", "deadline", "assigned_by_id",
                "assigned_at", "active", "done_at"]),
            "outgoing_documents": CopyFile(w, t["outgoing_documents"], [
                "id", "org_id", "unit_id", "created_by_id", "signer_id", "document_type_id",
                "subject", "urgency", "confidentiality", "due_date", "authority", "status",
                "current_digest", "signed_at", "register_id", "number", "number_text",
                "notation", "issued_at", "issued_on", "issued_by_id", "document_id",
                "revoke_reason", "created_at", "updated_at"]),
            "outgoing_recipients": CopyFile(w, t["outgoing_recipients"], [
                "id", "document_id", "org_code", "org_name", "internal"]),
            "outgoing_versions": CopyFile(w, t["outgoing_versions"], [
                "id", "document_id", "seq", "digest", "size", "reason", "actor_id",
                "created_at"]),
            "outgoing_register_entries": CopyFile(w, t["outgoing_register_entries"], [
                "id", "register_id", "year", "number", "document_id", "code", "issued_on",
                "type_and_subject", "signer_name", "recipients", "keeper", "note",
                "created_at"]),
            "interop_outbox": CopyFile(w, t["interop_outbox"], [
                "id", "message_type", "from_code", "to_codes", "document_id", "subject",
                "packet_digest", "packet_size", "source_type", "source_id", "state",
                "attempts", "created_at", "sent_at", "next_attempt_at"]),
            "interop_delivery_status": CopyFile(w, t["interop_delivery_status"], [
                "id", "document_id", "recipient_code", "status_code", "description",
                "reported_at", "updated_at"]),
            "register_counters": CopyFile(w, t["register_counters"], [
                "register_id", "year", "last_number"]),
        }
        self.ids = {name: Ids(_max_id(db, name)) for name in self.files
                    if name != "register_counters"}
        incoming_total = round(self.total * 0.62)
        for body in self.bodies:
            registers = {kind: self.ids["registers"]() for kind in
                         ("incoming", "outgoing", "outgoing_secret")}
            names = {"incoming": "Sổ văn bản đến", "outgoing": "Sổ văn bản đi",
                     "outgoing_secret": "Sổ văn bản đi (mật)"}
            for kind, rid in registers.items():
                self.files["registers"].add(rid, body.id, kind.split("_")[0], names[kind],
                                            kind.endswith("secret"), True)
            n_in = round(incoming_total * self.share[body.id])
            n_out = round((self.total - incoming_total) * self.share[body.id])
            self._incoming(body, n_in, registers["incoming"])
            self._outgoing(body, n_out, registers["outgoing"], registers["outgoing_secret"])
        gen = time.perf_counter() - start
        self.log(f"  generated in {gen:.0f} s; copying …")
        raw = db.engine.raw_connection()
        try:
            driver = raw.driver_connection
            order = ["registers", "register_counters", "incoming_documents", "incoming_files",
                     "incoming_assignments", "outgoing_documents", "outgoing_recipients",
                     "outgoing_versions", "outgoing_register_entries", "interop_outbox",
                     "interop_delivery_status"]
            for name in order:
                began = time.perf_counter()
                self.files[name].load(driver)
                self.log(f"  {name}: {self.files[name].count:,} rows "
                         f"({time.perf_counter() - began:.0f} s)")
            with driver.cursor() as cur:
                for name in self.ids:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"(SELECT COALESCE(MAX(id), 1) FROM {name}))")
            driver.commit()
        finally:
            raw.close()
        return {name: f.count for name, f in self.files.items()}

    def _issuer_of(self, sender: tuple[str, str, str, bool], doc_type: Any, number: int
                   ) -> tuple[str, str]:
        code, _, short, _ = sender
        abbr = doc_type.abbreviation
        notation = f"{abbr}-{short}" if abbr else f"{short}-{self.rng.choice(['VP', 'TH', 'KT'])}"
        return f"{number:02d}", notation

    def _incoming(self, body: Any, count: int, register_id: int) -> None:
        from eoffice.incoming.queries import fold
        from eoffice.interop.edxml import make_document_id

        rng, f = self.rng, self.files
        senders = self._senders_of(body)
        people = self.people[body.id]
        units = self.units[body.id]
        days = sorted(self.pick_day() for _ in range(count))
        numbers: dict[int, int] = {}
        for day in days:
            doc_id = self.ids["incoming_documents"]()
            age = (self.today - day).days
            doc_type = self.pick_type(rng)
            sender = rng.choice(senders)
            issued = day - timedelta(days=rng.choice((0, 0, 1, 1, 2, 3, 5)))
            number, notation = self._issuer_of(sender, doc_type, rng.randrange(1, 900))
            # electronic more and more: from 70 % in 2016 to 97 % now
            electronic = rng.random() < 0.70 + 0.27 * min((day - START).days / 3650, 1)
            priority = self.pick_priority(rng)
            subject = _subject(rng, doc_type.abbreviation or doc_type.code, issued.year,
                               self.places)
            signer = _name(rng)
            received_at = _at(day, rng)
            status = self._incoming_status(rng, age)
            registered = status not in ("received", "refused")
            if registered:
                numbers[day.year] = numbers.get(day.year, 0) + 1
            handled = status in ("assigned", "processing", "completed")
            deadline = day + timedelta(days=rng.choice((3, 5, 7, 10, 15, 30))) \
                if handled and rng.random() < 0.65 else None
            completed_at = timeliness = None
            if status == "completed":
                if deadline is not None:
                    timeliness = rng.choices(("early", "on_time", "late"), (62, 24, 14))[0]
                    done = deadline + timedelta(days={
                        "early": -rng.randint(1, max((deadline - day).days, 1)),
                        "on_time": 0, "late": rng.randint(1, 20)}[timeliness])
                    done = max(done, day)
                    if done == deadline:
                        timeliness = "on_time"
                    elif done < deadline:
                        timeliness = "early"
                else:
                    done = day + timedelta(days=rng.randint(1, 20))
                completed_at = _at(min(done, self.today), rng)
            elif status == "processing" and deadline is None and rng.random() < 0.5:
                deadline = day + timedelta(days=10)  # some in progress past their deadline
            incoming_number = numbers[day.year] if registered else None
            code = f"{number}/{notation}"
            search = fold(" ".join(p for p in (subject, sender[1], sender[0], code,
                                               doc_type.name, signer, str(incoming_number or ""))
                                   if p))
            lead_user = rng.choice(people["specialists"])
            f["incoming_documents"].add(
                doc_id, body.id, "electronic" if electronic else "paper", status,
                make_document_id(sender[0], issued, number, notation) if electronic else "",
                sender[0], sender[1], number, notation, issued, doc_type.name, subject, signer,
                rng.choice(POSITIONS), priority,
                issued + timedelta(days=15) if rng.random() < 0.08 else None, search,
                received_at, True if electronic else None,
                register_id if registered else None, incoming_number,
                day.year if registered else None, day if registered else None,
                received_at + timedelta(minutes=20) if registered else None,
                people["clerk"] if registered else None,
                None if electronic else people["clerk"],
                "Gửi nhầm cơ quan" if status == "refused" else "",
                f"Giao {self.names[lead_user]} chủ trì tham mưu" if handled else "",
                people["leader"] if handled else None,
                received_at + timedelta(hours=2) if handled else None, deadline,
                "Đã tham mưu xử lý xong" if status == "completed" else "", completed_at,
                lead_user if status == "completed" else None, timeliness,
                {"revoked": "Cơ quan ban hành đã thu hồi", "withdrawn": "Cơ quan gửi đã lấy lại",
                 "replaced": "Đã có văn bản thay thế"}.get(status, ""))
            f["incoming_files"].add(
                self.ids["incoming_files"](), doc_id, "document",
                f"{notation.replace('/', '-')}.pdf" if electronic else "ban-quet.pdf",
                self.digest, self.pdf_size, (rng.random() > 0.01) if electronic else None,
                "Chữ ký số hợp lệ" if electronic else "", people["clerk"], received_at)
            if handled:
                by_unit = units and rng.random() < 0.5
                f["incoming_assignments"].add(
                    self.ids["incoming_assignments"](), doc_id, "lead",
                    None if by_unit else lead_user, rng.choice(units).id if by_unit else None,
                    deadline, people["leader"], received_at + timedelta(hours=2),
                    True, completed_at)
                if rng.random() < 0.25:
                    f["incoming_assignments"].add(
                        self.ids["incoming_assignments"](), doc_id, "cooperate",
                        people["clerk"], None, deadline, people["leader"],
                        received_at + timedelta(hours=2), True, completed_at)
        self._counters(register_id, numbers)

    @staticmethod
    def _incoming_status(rng: random.Random, age: int) -> str:
        if age > 45:
            return rng.choices(
                ("completed", "assigned", "processing", "refused", "revoked", "replaced",
                 "withdrawn", "accepted"), (87, 6.5, 0.8, 2, 1.5, 0.7, 0.5, 1))[0]
        return rng.choices(
            ("received", "accepted", "assigned", "processing", "completed", "refused",
             "revoked"), (6 if age < 3 else 0.5, 8, 22, 25, 37, 1, 0.5))[0]

    def _counters(self, register_id: int, numbers: dict[int, int]) -> None:
        """The register's yearly counters hold the last number given."""
        for year, last in sorted(numbers.items()):
            self.files["register_counters"].add(register_id, year, last)

    def _outgoing(self, body: Any, count: int, register_id: int, secret_register_id: int
                  ) -> None:
        from eoffice.interop.edxml import make_document_id

        rng, f = self.rng, self.files
        people = self.people[body.id]
        units = self.units[body.id]
        audience = [(c, n, internal) for c, n, _, internal in self._senders_of(body)]
        days = sorted(self.pick_day() for _ in range(count))
        counters: dict[int, dict[int, int]] = {register_id: {}, secret_register_id: {}}
        for day in days:
            doc_id = self.ids["outgoing_documents"]()
            age = (self.today - day).days
            doc_type = self.pick_type(rng)
            abbr = doc_type.abbreviation or doc_type.code
            unit = rng.choice(units) if units else None
            created = _at(day - timedelta(days=rng.randint(0, 3)), rng)
            status = self._outgoing_status(rng, age)
            urgency = URGENCY_OF[self.pick_priority(rng)]
            secret = rng.random() < 0.01
            confidentiality = "mat" if secret else ""
            if secret and status == "sent":
                status = "issued"  # confidential documents never go through the hub
            issued = status in ("issued", "sent", "revoked", "replaced")
            subject = _subject(rng, abbr, day.year, self.places)
            number = number_text = notation = issued_at = document_id = register = None
            if issued:
                register = secret_register_id if secret else register_id
                yearly = counters[register]
                number = yearly[day.year] = yearly.get(day.year, 0) + 1
                number_text = f"{number:02d}"
                short = body.short_name.upper()
                notation = f"{doc_type.abbreviation}-{short}" if doc_type.abbreviation else (
                    f"{short}-{unit.short_name.upper()}" if unit else short)
                issued_at = _at(day, rng)
                document_id = make_document_id(body.code, day, number_text, notation)
            signed_at = issued_at - timedelta(hours=1) if issued_at else (
                _at(day, rng) if status == "signed" else None)
            updated = issued_at or signed_at or created
            f["outgoing_documents"].add(
                doc_id, body.id, unit.id if unit else None, people["specialist"],
                people["leader"], doc_type.id, subject, urgency, confidentiality,
                day + timedelta(days=10) if rng.random() < 0.1 else None,
                rng.choice(("", "TM.", "KT.")), status, self.digest, signed_at, register,
                number, number_text or "", notation or "", issued_at, day if issued else None,
                people["clerk"] if issued else None, document_id or "",
                "Ban hành chưa đúng thẩm quyền" if status == "revoked" else "", created,
                updated)
            f["outgoing_versions"].add(self.ids["outgoing_versions"](), doc_id, 1, self.digest,
                                       self.pdf_size, "upload", people["specialist"], created)
            picked = rng.sample(audience, min(len(audience), rng.choice((1, 1, 2, 2, 3, 4, 6))))
            for code, name, internal in picked:
                f["outgoing_recipients"].add(self.ids["outgoing_recipients"](), doc_id, code,
                                             name, internal)
            if not issued:
                continue
            code = f"{number_text}/{notation}"
            f["outgoing_register_entries"].add(
                self.ids["outgoing_register_entries"](), register, day.year, number, doc_id, code,
                day, f"{doc_type.name}: {subject}", self.names[people["leader"]],
                "; ".join(n for _, n, _ in picked), f"VT, {unit.short_name}" if unit else "VT",
                "Mật" if secret else "", issued_at)
            if secret or status == "issued":
                continue
            for rcode, _, _ in picked:
                sent_at = issued_at + timedelta(minutes=5)
                f["interop_outbox"].add(
                    self.ids["interop_outbox"](), "edoc", body.code, rcode, document_id,
                    subject, self.digest, self.pdf_size, "outgoing", doc_id, "sent", 1,
                    issued_at, sent_at, issued_at)
                state = "06" if age > 45 and rng.random() < 0.9 else rng.choice(
                    ("01", "03", "04", "05"))
                reported = sent_at + timedelta(hours=rng.randint(1, 300))
                f["interop_delivery_status"].add(
                    self.ids["interop_delivery_status"](), document_id, rcode, state, "",
                    reported, reported)
        for register, yearly in counters.items():
            self._counters(register, yearly)

    @staticmethod
    def _outgoing_status(rng: random.Random, age: int) -> str:
        if age > 30:
            return rng.choices(("sent", "issued", "revoked", "replaced", "draft", "returned"),
                               (90, 7, 1.2, 0.8, 0.6, 0.4))[0]
        return rng.choices(("sent", "issued", "draft", "in_review", "returned", "approved",
                            "signed"), (70, 5, 8, 7, 3, 4, 3))[0]


# -- the search index ------------------------------------------------------------------------
#
# ``search_entries`` of the loaded documents, exactly what ``eoffice.search.index`` and
# ``upsert`` write. :func:`fill_search` (used by the bench) folds in Python with
# ``eoffice.search.text`` and COPYs; :func:`search_insert` is the same in pure SQL (one
# ``INSERT … SELECT`` per kind; ``translate()`` maps every accented Latin letter, đ/Đ
# included, to its plain lower-case letter, ``lower()`` then only meets ASCII, and
# ``regexp_replace`` turns every other run into one space) — equal, but slow at a million
# rows (``translate`` scans its 490-letter map for every character). :func:`check_search`
# compares a random sample of the rows with the app's Python functions.


def _fold_map() -> tuple[str, str]:
    """(accented letters, their folded letters) for ``translate()``: every letter of
    Latin-1 Supplement, Latin Extended-A/B and Latin Extended Additional (all Vietnamese
    letters) that :func:`eoffice.search.text.fold` turns into one ASCII letter."""
    from eoffice.search.text import fold

    pairs = [(c, fold(c)) for c in map(chr, [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)])]
    pairs = [(c, f) for c, f in pairs if len(f) == 1 and f.isascii() and f.isalpha()]
    return "".join(c for c, _ in pairs), "".join(f for _, f in pairs)


def _sql_fold(expr: str) -> str:
    """``fold``: accents off, lower case, whitespace runs collapsed."""
    return (f"btrim(regexp_replace(lower(translate(coalesce({expr}, ''), :src, :dst)), "
            f"'\\s+', ' ', 'g'))")


def _sql_tokens(*parts: str) -> str:
    """``index_text(*parts)``: the parts' words, space-joined."""
    joined = "concat_ws(' ', " + ", ".join(parts) + ")"
    return (f"btrim(regexp_replace(lower(translate({joined}, :src, :dst)), "
            f"'[^a-z0-9]+', ' ', 'g'))")


_SEARCH_COLUMNS = ("kind, doc_id, org_id, issuer_code, type_key, status, urgency, doc_date, "
                   "code, subject, issuer_name, signer_name, type_name, title_text, "
                   "people_text, content_text, content_state, tsv, updated_at")
_SEARCH_TSV = ("setweight(to_tsvector('simple'::regconfig, title_text), 'A') || "
               "setweight(to_tsvector('simple'::regconfig, people_text), 'B') || "
               "setweight(to_tsvector('simple'::regconfig, ''), 'C')")
_INCOMING_ROWS = f"""
    SELECT 'incoming' AS kind, d.id AS doc_id, d.org_id, left(coalesce(d.issuer_code, ''), 35)
           AS issuer_code, left({_sql_fold('d.type_name')}, 100) AS type_key, d.status,
           coalesce(d.priority, 0) AS urgency,
           coalesce(d.issued_date, (d.received_at AT TIME ZONE 'UTC')::date, current_date)
           AS doc_date, left(c.code, 50) AS code, coalesce(d.subject, '') AS subject,
           coalesce(d.issuer_name, '') AS issuer_name,
           coalesce(d.signer_name, '') AS signer_name, coalesce(d.type_name, '') AS type_name,
           {_sql_tokens('c.code', 'd.subject')} AS title_text,
           {_sql_tokens('d.issuer_name', 'd.issuer_code', 'd.signer_name', 'd.type_name')}
           AS people_text
    FROM incoming_documents d
    CROSS JOIN LATERAL (SELECT concat_ws('/', nullif(d.number, ''), nullif(d.notation, ''))
                        AS code) c
    WHERE NOT EXISTS (SELECT 1 FROM search_entries e
                      WHERE e.kind = 'incoming' AND e.doc_id = d.id)"""
_OUTGOING_ROWS = f"""
    SELECT 'outgoing' AS kind, d.id AS doc_id, d.org_id, left(coalesce(o.code, ''), 35)
           AS issuer_code, left({_sql_fold('t.name')}, 100) AS type_key, d.status,
           CASE d.urgency WHEN 'khan' THEN 1 WHEN 'thuong_khan' THEN 2
                          WHEN 'hoa_toc' THEN 3 ELSE 0 END AS urgency,
           coalesce(d.issued_on, (d.created_at AT TIME ZONE 'UTC')::date, current_date)
           AS doc_date, left(c.code, 50) AS code, coalesce(d.subject, '') AS subject,
           coalesce(o.name, '') AS issuer_name, coalesce(u.full_name, '') AS signer_name,
           coalesce(t.name, '') AS type_name,
           {_sql_tokens('c.code', 'd.subject')} AS title_text,
           {_sql_tokens('o.name', 'o.code', 'u.full_name', 't.name')} AS people_text
    FROM outgoing_documents d
    JOIN organizations o ON o.id = d.org_id
    LEFT JOIN document_types t ON t.id = d.document_type_id
    LEFT JOIN users u ON u.id = d.signer_id
    CROSS JOIN LATERAL (SELECT CASE WHEN coalesce(d.number_text, '') <> ''
                                    THEN d.number_text || '/' || coalesce(d.notation, '')
                                    ELSE '' END AS code) c
    WHERE NOT EXISTS (SELECT 1 FROM search_entries e
                      WHERE e.kind = 'outgoing' AND e.doc_id = d.id)"""


def search_insert(kind: str) -> sa.TextClause:
    """``INSERT … SELECT`` of the entries of every ``kind`` document without one (their
    PDF text is not extracted: ``content_state`` stays ``pending``, as after an upsert)."""
    rows = _INCOMING_ROWS if kind == "incoming" else _OUTGOING_ROWS
    src, dst = _fold_map()
    return sa.text(f"INSERT INTO search_entries ({_SEARCH_COLUMNS}) "
                   f"SELECT kind, doc_id, org_id, issuer_code, type_key, status, urgency, "
                   f"doc_date, code, subject, issuer_name, signer_name, type_name, title_text, "
                   f"people_text, '', 'pending', {_SEARCH_TSV}, now() FROM ({rows}) r"
                   ).bindparams(src=src, dst=dst)


def missing_search_entries(db: Any) -> int:
    """Documents without a search entry."""
    return int(db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM incoming_documents d WHERE NOT EXISTS (SELECT 1 FROM "
        "search_entries e WHERE e.kind = 'incoming' AND e.doc_id = d.id)) + (SELECT count(*) "
        "FROM outgoing_documents d WHERE NOT EXISTS (SELECT 1 FROM search_entries e "
        "WHERE e.kind = 'outgoing' AND e.doc_id = d.id))")).scalar_one())


def _python_rows(db: Any, workdir: Path, log: Callable[[str], None]) -> Path:
    """The entries of the documents without one, folded by ``eoffice.search.text`` in
    Python (measured: ``translate()`` with every accented letter costs minutes per 100,000
    rows in PostgreSQL), as a COPY text file of ``_LOAD_COLUMNS``."""
    from types import SimpleNamespace

    from eoffice.auth.models import User
    from eoffice.documents.models import DocumentType
    from eoffice.incoming.models import IncomingDocument
    from eoffice.orgs.models import Organization
    from eoffice.outgoing.models import OutgoingDocument
    from eoffice.search.index import URGENCY_LEVELS, incoming_values
    from eoffice.search.text import fold, index_text

    session = db.session
    orgs = {o.id: (o.code or "", o.name or "") for o in session.execute(
        sa.select(Organization.id, Organization.code, Organization.name))}
    types = dict(session.execute(sa.select(DocumentType.id, DocumentType.name)).all())
    users = dict(session.execute(sa.select(User.id, User.full_name)).all())
    people_cache: dict[tuple[Any, ...], str] = {}
    fold_cache: dict[str, str] = {}

    def people(*parts: Any) -> str:
        if parts not in people_cache:
            people_cache[parts] = index_text(*parts)
        return people_cache[parts]

    def folded(text: str) -> str:
        if text not in fold_cache:
            fold_cache[text] = fold(text)[:100]
        return fold_cache[text]

    path = workdir / "search_entries.tsv"
    done = {kind: set(session.execute(sa.select(sa.column("doc_id")).select_from(
        sa.table("search_entries")).where(sa.column("kind") == kind)).scalars())
        for kind in ("incoming", "outgoing")}
    session.remove()
    code_of = IncomingDocument.code.fget  # the model's own "number/notation"
    d = IncomingDocument.__table__.c
    o = OutgoingDocument.__table__.c
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out, \
            db.engine.connect() as conn:
        streamed = conn.execution_options(stream_results=True, yield_per=20_000)

        def write(v: dict[str, Any]) -> None:
            out.write("\t".join(_text(v[c]) for c in _LOAD_COLUMNS) + "\n")

        began = time.perf_counter()
        for row in streamed.execute(sa.select(
                d.id, d.org_id, d.issuer_code, d.type_name, d.status, d.priority,
                d.issued_date, d.received_at, d.number, d.notation, d.subject, d.issuer_name,
                d.signer_name)):
            if row.id in done["incoming"]:
                continue
            doc = SimpleNamespace(**row._mapping)
            doc.code = code_of(doc)
            values = incoming_values(doc)  # type: ignore[arg-type]
            write(values)
        log(f"  incoming entries folded ({time.perf_counter() - began:.0f} s)")
        began = time.perf_counter()
        for row in streamed.execute(sa.select(
                o.id, o.org_id, o.document_type_id, o.signer_id, o.status, o.urgency,
                o.issued_on, o.created_at, o.number_text, o.notation, o.subject)):
            if row.id in done["outgoing"]:
                continue
            # as eoffice.search.index.outgoing_values, without its three look-ups per row
            code, name = orgs[row.org_id]
            type_name = types.get(row.document_type_id) or ""
            signer = users.get(row.signer_id) or ""
            doc_code = f"{row.number_text}/{row.notation}" if row.number_text else ""
            write({"kind": "outgoing", "doc_id": row.id, "org_id": row.org_id,
                   "issuer_code": code[:35], "type_key": folded(type_name),
                   "status": row.status, "urgency": URGENCY_LEVELS.get(row.urgency or "", 0),
                   "doc_date": row.issued_on or row.created_at.date(), "code": doc_code[:50],
                   "subject": row.subject or "", "issuer_name": name, "signer_name": signer,
                   "type_name": type_name, "title_text": index_text(doc_code, row.subject),
                   "people_text": people(name, code, signer, type_name)})
        log(f"  outgoing entries folded ({time.perf_counter() - began:.0f} s)")
    return path


_LOAD_COLUMNS = ("kind", "doc_id", "org_id", "issuer_code", "type_key", "status", "urgency",
                 "doc_date", "code", "subject", "issuer_name", "signer_name", "type_name",
                 "title_text", "people_text")


def fill_search(db: Any, log: Callable[[str], None] = print) -> int:
    """Index every document without an entry; returns the rows added.

    The entries are folded in Python (:func:`_python_rows`) and COPYed into a temporary
    table, then one ``INSERT … SELECT`` adds them with their ``tsv`` while the table's two
    secondary indexes are dropped (built again afterwards, in the same transaction)."""
    import tempfile

    db.session.remove()  # no open transaction of ours may hold a lock on search_entries
    with tempfile.TemporaryDirectory(prefix="eoffice_search_") as tmp:
        path = _python_rows(db, Path(tmp), log)
        added = 0
        with db.engine.begin() as conn:
            raw = conn.connection.driver_connection
            conn.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
            conn.execute(sa.text(
                "CREATE TEMP TABLE search_load ON COMMIT DROP AS SELECT "
                + ", ".join(_LOAD_COLUMNS) + " FROM search_entries WITH NO DATA"))
            began = time.perf_counter()
            with raw.cursor() as cur, cur.copy(
                    f"COPY search_load ({', '.join(_LOAD_COLUMNS)}) FROM STDIN") as cp, \
                    path.open("rb") as src:
                while chunk := src.read(1 << 20):
                    cp.write(chunk)
            log(f"  copied ({time.perf_counter() - began:.0f} s)")
            indexes = conn.execute(sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_entries' "
                "AND indexname IN ('ix_search_entries_org_date', 'ix_search_entries_org_tsv')"
            )).all()
            for name, _ in indexes:
                conn.execute(sa.text(f'DROP INDEX "{name}"'))
            began = time.perf_counter()
            added = conn.execute(sa.text(
                f"INSERT INTO search_entries ({_SEARCH_COLUMNS}) SELECT "
                + ", ".join(_LOAD_COLUMNS)
                + f", '', 'pending', {_SEARCH_TSV}, now() FROM search_load")).rowcount
            log(f"  search_entries: {added:,} rows ({time.perf_counter() - began:.0f} s)")
            for name, definition in indexes:
                began = time.perf_counter()
                conn.execute(sa.text(definition))
                log(f"  {name} built ({time.perf_counter() - began:.0f} s)")
    return added


def check_search(db: Any, sample: int = 400) -> int:
    """Compare ``sample`` random loaded entries of each kind with what
    ``eoffice.search.index`` computes in Python (folding included) and their ``tsv`` with
    the upsert's expression; raises ``AssertionError`` on the first difference."""
    from eoffice.incoming.models import IncomingDocument
    from eoffice.outgoing.models import OutgoingDocument
    from eoffice.search.index import incoming_values, outgoing_values
    from eoffice.search.models import SearchEntry

    checked = 0
    session = db.session
    conn = session.connection()
    for kind, model in (("incoming", IncomingDocument), ("outgoing", OutgoingDocument)):
        entries = session.execute(
            sa.select(SearchEntry).where(SearchEntry.kind == kind)
            .order_by(sa.func.random()).limit(sample)
            .options(sa.orm.undefer(SearchEntry.title_text),
                     sa.orm.undefer(SearchEntry.people_text))).scalars().all()
        for entry in entries:
            doc = session.get(model, entry.doc_id)
            expected = (incoming_values(doc) if kind == "incoming"
                        else outgoing_values(conn, doc))
            got = {key: getattr(entry, key) for key in expected}
            assert got == expected, (kind, entry.doc_id, {
                k: (got[k], v) for k, v in expected.items() if got[k] != v})
            checked += 1
        ids = [e.id for e in entries]
        differing = session.execute(sa.text(
            "SELECT count(*) FROM search_entries WHERE id = ANY(:ids) AND tsv IS DISTINCT FROM "
            f"({_SEARCH_TSV})"), {"ids": ids}).scalar_one()
        assert differing == 0, f"{differing} {kind} tsv differ"
    return checked


def _max_id(db: Any, table: str) -> int:
    return int(db.session.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                                  ).scalar_one())


def _shared_pdf() -> bytes:
    """The one small PDF every loaded row points at."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "Van ban mau cua bo du lieu do hieu nang (scale benchmark). " * 10)
    return bytes(pdf.output())


def counts(db: Any) -> tuple[int, int]:
    """(incoming, outgoing) documents in the database."""
    return (int(db.session.execute(sa.text("SELECT count(*) FROM incoming_documents"))
                .scalar_one()),
            int(db.session.execute(sa.text("SELECT count(*) FROM outgoing_documents"))
                .scalar_one()))


def clear(db: Any) -> None:
    """Remove every document (and the registers) before a fresh load."""
    db.session.execute(sa.text("TRUNCATE " + ", ".join(DOCUMENT_TABLES) + " CASCADE"))
    db.session.commit()


__all__ = ["Loader", "check_search", "clear", "counts", "fill_search", "missing_search_entries",
           "search_insert"]
