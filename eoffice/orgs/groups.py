"""Recipient groups (nhóm nơi nhận): saved lists of bodies, resolved from the tree when used.

Data model
----------
``RecipientGroup``  a named list with a ``slug`` (``ubnd-cap-huyen``), owned by a body
    (``owner``): the bodies of the owner's subtree may use it, the admins of the owner (or
    above) manage it. Two kinds:

    * ``rule`` — a RULE, never a frozen list: every active body below ``ancestor`` (the
      owner when empty) whose tier is ``tier_key`` (any body tier when empty), whose short
      name is ``short_name`` (any when empty) and whose name starts with ``name_prefix``
      (any when empty; accents and case count as typed). "Tất cả UBND cấp huyện" is
      ``tier=district, ancestor=UBND tỉnh, short_name=UBND``; "các sở" is
      ``tier=department, name_prefix='Sở '``. If the ancestor itself was retired, its
      successor (``OrgSuccession``) takes its place, with a note.
    * ``static`` — an explicit list (``RecipientGroupMember`` rows). A member that was
      retired is replaced by its successor(s) when the tree records one, otherwise skipped;
      either way the resolution carries a visible note.

``OutgoingGroupChoice``  a group chosen on an outgoing document. The draft keeps only the
    choice; the ISSUING transaction resolves it on the issue date (so a reorganisation
    between drafting and issuing is honoured), adds the resolved bodies to the document's
    recipients (``OutgoingRecipient`` rows, de-duplicated against the ones chosen by hand
    and against the other groups; the issuing body itself is left out) and stores what the
    group resolved to (``resolved_codes``) and its notes on this row.

Resolution (:func:`resolve_group`) is a read: on a date, from the tree as it is then —
retiring or merging a body changes every group that covers it without editing the group.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from eoffice.audit import service as audit
from eoffice.core.clock import today
from eoffice.core.db import Base, TimestampMixin, utcnow
from eoffice.core.errors import BadRequest, Conflict, NotFound, ValidationFailed
from eoffice.core.permissions import require, rule
from eoffice.extensions import db
from eoffice.orgs.models import Organization, OrgSuccession, OrgTier
from eoffice.orgs.policy import is_within
from eoffice.orgs.queries import subtree_ids

KINDS = ("rule", "static")
KIND_NAMES = {"rule": "Theo quy tắc (tự cập nhật theo cây cơ quan)",
              "static": "Danh sách cố định"}
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,58}[a-z0-9]")


class RecipientGroup(TimestampMixin, Base):
    """A saved list of recipient bodies, stored as a rule or an explicit list."""

    __tablename__ = "recipient_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="rule")
    tier_key: Mapped[str | None] = mapped_column(sa.ForeignKey("org_tiers.key"))
    ancestor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    short_name: Mapped[str] = mapped_column(sa.String(30), default="")
    name_prefix: Mapped[str] = mapped_column(sa.String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)

    owner: Mapped[Organization] = relationship(foreign_keys=[owner_id])
    ancestor: Mapped[Organization | None] = relationship(foreign_keys=[ancestor_id])
    tier: Mapped[OrgTier | None] = relationship()
    members: Mapped[list[RecipientGroupMember]] = relationship(
        cascade="all, delete-orphan", order_by="RecipientGroupMember.id",
        back_populates="group")

    __table_args__ = (sa.CheckConstraint("kind IN ('rule', 'static')", name="kind"),)


class RecipientGroupMember(Base):
    """One body of a static group."""

    __tablename__ = "recipient_group_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("recipient_groups.id"), index=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))

    group: Mapped[RecipientGroup] = relationship(back_populates="members")
    org: Mapped[Organization] = relationship()

    __table_args__ = (sa.UniqueConstraint("group_id", "org_id"),)


class OutgoingGroupChoice(Base):
    """A recipient group chosen on an outgoing document, and what it resolved to at issue."""

    __tablename__ = "outgoing_recipient_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_documents.id"),
                                             index=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("recipient_groups.id"))
    resolved_at: Mapped[datetime | None]
    resolved_codes: Mapped[str] = mapped_column(sa.Text, default="[]")
    notes: Mapped[str] = mapped_column(sa.Text, default="[]")

    group: Mapped[RecipientGroup] = relationship()
    # The outgoing package stays unaware of groups: the back-reference is declared here.
    document: Mapped[Any] = relationship(
        "OutgoingDocument", backref=backref("group_choices", cascade="all, delete-orphan",
                                            order_by="OutgoingGroupChoice.id"))

    __table_args__ = (sa.UniqueConstraint("document_id", "group_id"),)

    @property
    def codes(self) -> list[str]:
        """The organisation codes the group resolved to when the document was issued."""
        return list(json.loads(self.resolved_codes or "[]"))

    @property
    def note_list(self) -> list[dict[str, str]]:
        """The resolution notes (retired bodies skipped or replaced) at issue time."""
        return list(json.loads(self.notes or "[]"))


# ---------------------------------------------------------------------------------------
# rules


@rule("groups.use")
def can_use_group(actor: Any, group: Any) -> bool:
    """Bodies of the owner's subtree may address a group (a province's group is not usable
    by a body of another province)."""
    if group is None or not group.active or actor.org is None:
        return False
    return is_within(actor.org.body, group.owner)


@rule("groups.manage")
def can_manage_group(actor: Any, owner: Any) -> bool:
    """Admins manage the groups owned by their body or a body below it."""
    return actor.has_role("admin") and owner is not None and is_within(owner, actor.org)


# ---------------------------------------------------------------------------------------
# resolution


@dataclass(frozen=True)
class Note:
    """Why the resolution differs from what the group names (shown to people)."""

    kind: str  # "replaced" | "skipped" | "ancestor_replaced" | "ancestor_retired"
    org: str
    successor: str = ""

    def as_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"kind": self.kind, "org": self.org, "successor": self.successor}


@dataclass
class Resolution:
    """The bodies a group stands for on a given day."""

    group: RecipientGroup
    day: date
    orgs: list[Organization] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """Their organisation codes."""
        return [o.code for o in self.orgs if o.code]


def successors_on(org: Organization, day: date, _depth: int = 0) -> list[Organization]:
    """The active bodies continuing ``org`` on ``day`` (following merges and renames)."""
    if _depth > 20:
        return []
    links = db.session.execute(sa.select(OrgSuccession).where(
        OrgSuccession.predecessor_id == org.id, OrgSuccession.effective <= day)
        .order_by(OrgSuccession.id)).scalars()
    out: list[Organization] = []
    for link in links:
        nxt = link.successor
        found = [nxt] if nxt.is_active_on(day) else successors_on(nxt, day, _depth + 1)
        out.extend(o for o in found if o not in out)
    return out


def _matches(group: RecipientGroup, org: Organization) -> bool:
    if not org.is_body:
        return False
    if group.tier_key and org.tier_key != group.tier_key:
        return False
    if group.short_name and org.short_name.casefold() != group.short_name.casefold():
        return False
    return not (group.name_prefix
                and not org.name.casefold().startswith(group.name_prefix.casefold()))


def resolve_group(group: RecipientGroup, *, on: date | None = None,
                  exclude: Organization | None = None) -> Resolution:
    """The bodies ``group`` stands for on ``on`` (today), without ``exclude``, by code."""
    day = on or today()
    result = Resolution(group=group, day=day)
    found: list[Organization] = []
    if group.kind == "rule":
        root = group.ancestor or group.owner
        roots = [root]
        if not root.is_active_on(day):
            roots = successors_on(root, day)
            result.notes.append(Note("ancestor_replaced" if roots else "ancestor_retired",
                                     root.name, ", ".join(o.name for o in roots)))
        for top in roots:
            ids = set(subtree_ids(top)) - {top.id}
            if not ids:
                continue
            rows = db.session.execute(sa.select(Organization).where(
                Organization.id.in_(ids))).scalars()
            found.extend(o for o in rows if _matches(group, o) and o.is_active_on(day))
    else:
        for member in group.members:
            org = member.org
            if org.is_active_on(day):
                found.append(org)
                continue
            nxt = successors_on(org, day)
            result.notes.append(Note("replaced" if nxt else "skipped", org.name,
                                     ", ".join(o.name for o in nxt)))
            found.extend(nxt)
    seen: set[int] = set()
    for org in sorted(found, key=lambda o: (o.code or "", o.name)):
        if org.id in seen or (exclude is not None and org.id == exclude.id):
            continue
        seen.add(org.id)
        result.orgs.append(org)
    return result


# ---------------------------------------------------------------------------------------
# reading and changing groups


def get_group(ref: Any) -> RecipientGroup:
    """A group by id or slug (404 otherwise)."""
    text = str(ref if ref is not None else "").strip()
    group = None
    if text.isdigit():
        group = db.session.get(RecipientGroup, int(text))
    if group is None and text:
        group = db.session.execute(sa.select(RecipientGroup).where(
            RecipientGroup.slug == text)).scalar_one_or_none()
    if group is None:
        raise NotFound("Không tìm thấy nhóm nơi nhận.", details={"group": text})
    return group


def usable_groups(actor: Any) -> list[RecipientGroup]:
    """The active groups the actor's body may address, by name."""
    rows = db.session.execute(sa.select(RecipientGroup).where(
        RecipientGroup.active.is_(True)).order_by(RecipientGroup.name)).scalars()
    return [g for g in rows if can_use_group(actor, g)]


def managed_groups(actor: Any) -> list[RecipientGroup]:
    """Every group (active or not) the admin manages, by name."""
    rows = db.session.execute(sa.select(RecipientGroup).order_by(RecipientGroup.name)).scalars()
    return [g for g in rows if can_manage_group(actor, g.owner)]


@dataclass(frozen=True)
class GroupSpec:
    """What an admin fills in for a group."""

    name: str
    slug: str
    kind: str = "rule"
    tier: str | None = None
    ancestor: Organization | None = None
    short_name: str = ""
    name_prefix: str = ""
    members: tuple[Organization, ...] = ()


def _check(actor: Any, spec: GroupSpec, owner: Organization, group_id: int | None) -> None:
    if not spec.name.strip():
        raise ValidationFailed("Tên nhóm không được để trống.", details={"field": "name"})
    if not SLUG.fullmatch(spec.slug or ""):
        raise ValidationFailed("Mã nhóm chỉ gồm chữ thường không dấu, số và dấu gạch ngang "
                               "(3–60 ký tự).", details={"field": "slug"})
    clash = db.session.execute(sa.select(RecipientGroup.id).where(
        RecipientGroup.slug == spec.slug)).scalar_one_or_none()
    if clash is not None and clash != group_id:
        raise Conflict("Mã nhóm đã được dùng.", details={"field": "slug"})
    if spec.kind not in KINDS:
        raise ValidationFailed("Loại nhóm không hợp lệ.", details={"field": "kind"})
    if spec.kind == "rule":
        if spec.tier and (db.session.get(OrgTier, spec.tier) is None or spec.tier == "unit"):
            raise ValidationFailed("Cấp cơ quan không hợp lệ.", details={"field": "tier"})
        if spec.ancestor is not None and not is_within(spec.ancestor, owner):
            raise BadRequest("Cơ quan gốc của quy tắc phải thuộc cơ quan sở hữu nhóm.",
                             details={"field": "ancestor"})
        if not (spec.tier or spec.short_name.strip() or spec.name_prefix.strip()):
            raise ValidationFailed("Quy tắc cần ít nhất một điều kiện (cấp, tên viết tắt "
                                   "hoặc phần đầu tên).", details={"field": "tier"})
    else:
        if not spec.members:
            raise ValidationFailed("Danh sách cố định cần ít nhất một cơ quan.",
                                   details={"field": "members"})
        if any(not m.is_body for m in spec.members):
            raise ValidationFailed("Nhóm nơi nhận chỉ gồm cơ quan, không gồm đơn vị "
                                   "trực thuộc.", details={"field": "members"})


def _apply(group: RecipientGroup, spec: GroupSpec) -> None:
    group.name, group.slug, group.kind = spec.name.strip(), spec.slug, spec.kind
    rule_kind = spec.kind == "rule"
    group.tier_key = (spec.tier or None) if rule_kind else None
    group.ancestor = spec.ancestor if rule_kind else None
    group.short_name = spec.short_name.strip() if rule_kind else ""
    group.name_prefix = spec.name_prefix if rule_kind else ""
    wanted = [] if rule_kind else list(dict.fromkeys(spec.members))
    group.members = [m for m in group.members if m.org in wanted]
    kept = {m.org_id for m in group.members}
    group.members.extend(RecipientGroupMember(org=o) for o in wanted if o.id not in kept)


def _describe(group: RecipientGroup) -> dict[str, Any]:
    return {"slug": group.slug, "name": group.name, "kind": group.kind,
            "tier": group.tier_key, "ancestor": group.ancestor.code if group.ancestor else None,
            "short_name": group.short_name, "name_prefix": group.name_prefix,
            "members": [m.org.code for m in group.members]}


def create_group(actor: Any, spec: GroupSpec, *, owner: Organization | None = None
                 ) -> RecipientGroup:
    """A new group owned by ``owner`` (the admin's body by default)."""
    owner = owner if owner is not None else actor.org.body
    require(actor, "groups.manage", owner)
    _check(actor, spec, owner, None)
    group = RecipientGroup(owner=owner, owner_id=owner.id)
    _apply(group, spec)
    db.session.add(group)
    db.session.flush()
    audit.record(actor, "recipient_group.create", group, details=_describe(group),
                 org_id=owner.id)
    return group


def update_group(actor: Any, group: RecipientGroup, spec: GroupSpec) -> RecipientGroup:
    """Change a group's name, rule or list."""
    require(actor, "groups.manage", group.owner)
    _check(actor, spec, group.owner, group.id)
    before = _describe(group)
    _apply(group, spec)
    db.session.flush()
    audit.record(actor, "recipient_group.update", group,
                 details={"before": before, "after": _describe(group)}, org_id=group.owner_id)
    return group


def set_active(actor: Any, group: RecipientGroup, active: bool) -> RecipientGroup:
    """Withdraw a group from use (documents that used it keep their record) or restore it."""
    require(actor, "groups.manage", group.owner)
    group.active = active
    db.session.flush()
    audit.record(actor, "recipient_group." + ("restore" if active else "withdraw"), group,
                 org_id=group.owner_id)
    return group


# ---------------------------------------------------------------------------------------
# outgoing documents


def choose_for_draft(actor: Any, doc: Any, refs: list[Any] | None) -> list[RecipientGroup]:
    """Record the groups chosen on a draft (replacing earlier choices); each must be usable
    by the actor and stand for at least one body today."""
    chosen: list[RecipientGroup] = []
    for ref in refs or []:
        try:
            group = get_group(ref)
        except NotFound:
            raise ValidationFailed("Không tìm thấy nhóm nơi nhận.", details={
                "field": "recipient_groups", "group": str(ref)}) from None
        require(actor, "groups.use", group)
        if group not in chosen:
            chosen.append(group)
    for group in chosen:
        if not resolve_group(group, exclude=doc.org).orgs:
            raise ValidationFailed("Nhóm nơi nhận hiện không có cơ quan nào.",
                                   details={"field": "recipient_groups", "group": group.slug})
    keep = {c.group_id: c for c in doc.group_choices}
    doc.group_choices = [keep.get(g.id) or OutgoingGroupChoice(group=g, group_id=g.id)
                         for g in chosen]
    return chosen


def group_names(doc: Any) -> list[str]:
    """The chosen groups' names (the "Nơi nhận" block of a composed draft lists them)."""
    return [c.group.name for c in getattr(doc, "group_choices", [])]


def expand_on_issue(doc: Any, *, on: date) -> list[Any]:
    """Resolve the chosen groups on the issue date into recipient rows (de-duplicated) and
    record each group's resolution; returns the rows added."""
    from eoffice.outgoing.models import OutgoingRecipient

    have = {r.org_code for r in doc.recipients if r.active}
    added = []
    for choice in doc.group_choices:
        resolution = resolve_group(choice.group, on=on, exclude=doc.org)
        choice.resolved_at = utcnow()
        choice.resolved_codes = json.dumps(resolution.codes)
        choice.notes = json.dumps([n.as_dict() for n in resolution.notes], ensure_ascii=False)
        for org in resolution.orgs:
            if org.code and org.code not in have:
                have.add(org.code)
                row = OutgoingRecipient(org_code=org.code, org_name=org.name, internal=True)
                doc.recipients.append(row)
                added.append(row)
    return added


def preload_choices(docs: list[Any]) -> None:
    """Read the group choices of a page of documents (and their groups) in one statement,
    so that ``choices_out`` asks nothing more of the database for each of them."""
    from collections import defaultdict

    from sqlalchemy.orm import joinedload
    from sqlalchemy.orm.attributes import set_committed_value

    if not docs:
        return
    by_doc: dict[int, list[OutgoingGroupChoice]] = defaultdict(list)
    for choice in db.session.execute(
            sa.select(OutgoingGroupChoice).options(joinedload(OutgoingGroupChoice.group))
            .where(OutgoingGroupChoice.document_id.in_([d.id for d in docs]))
            .order_by(OutgoingGroupChoice.id)).scalars():
        by_doc[choice.document_id].append(choice)
    for doc in docs:
        set_committed_value(doc, "group_choices", by_doc.get(doc.id, []))


def choices_out(doc: Any) -> list[dict[str, Any]]:
    """JSON of the groups chosen on a document, with their resolution once issued."""
    return [{"id": c.group.id, "slug": c.group.slug, "name": c.group.name,
             "resolved_at": c.resolved_at, "resolved": c.codes, "notes": c.note_list}
            for c in getattr(doc, "group_choices", [])]
