"""Changing the body tree: create, edit, retire, merge."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from eoffice.audit import service as audit
from eoffice.core.errors import Conflict, NotFound, ValidationFailed
from eoffice.core.permissions import require
from eoffice.extensions import db
from eoffice.orgs import policy as _policy  # noqa: F401  (declares the orgs.* rules)
from eoffice.orgs.codes import parse_code
from eoffice.orgs.models import Organization, OrgSuccession, OrgTier

EDITABLE = ("name", "short_name", "locality", "address", "email", "phone", "valid_from")


def get_org(org_id: int) -> Organization:
    """Load a body or unit by id."""
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound("Không tìm thấy cơ quan, đơn vị.")
    return org


def get_org_by_code(code: str) -> Organization:
    """Load a body by its organisation code."""
    org = db.session.execute(
        sa.select(Organization).where(Organization.code == code)
    ).scalar_one_or_none()
    if org is None:
        raise NotFound("Không tìm thấy cơ quan có mã định danh %(code)s.", params={"code": code})
    return org


def _clean_code(code: str | None, tier: str) -> str | None:
    code = (code or "").strip() or None
    if code is None:
        if tier != "unit":
            raise ValidationFailed("Cơ quan phải có mã định danh.", details={"field": "code"})
        return None
    try:
        parse_code(code)
    except ValueError as exc:
        raise ValidationFailed(str(exc), details={"field": "code"}) from None
    exists = db.session.execute(
        sa.select(Organization.id).where(Organization.code == code)
    ).first()
    if exists:
        raise Conflict("Mã định danh %(code)s đã được dùng.", params={"code": code},
                       details={"field": "code"})
    return code


def create_org(
    actor: Any,
    *,
    name: str,
    short_name: str,
    tier: str,
    parent: Organization | None,
    code: str | None = None,
    locality: str = "",
    address: str = "",
    email: str = "",
    phone: str = "",
    valid_from: date | None = None,
) -> Organization:
    """Add a body or unit under ``parent`` (``None`` only for a root, by the system)."""
    require(actor, "orgs.manage", parent)
    name, short_name = (name or "").strip(), (short_name or "").strip()
    if not name:
        raise ValidationFailed("Tên cơ quan không được để trống.", details={"field": "name"})
    if not short_name:
        raise ValidationFailed("Tên viết tắt không được để trống.", details={"field": "short_name"})
    if db.session.get(OrgTier, tier) is None:
        raise ValidationFailed("Cấp “%(tier)s” không tồn tại.", params={"tier": tier},
                               details={"field": "tier"})
    if tier == "unit" and parent is None:
        raise ValidationFailed("Đơn vị trực thuộc phải thuộc một cơ quan.")
    org = Organization(
        code=_clean_code(code, tier),
        name=name,
        short_name=short_name,
        tier_key=tier,
        parent=parent,
        locality=locality.strip(),
        address=address.strip(),
        email=email.strip(),
        phone=phone.strip(),
        valid_from=valid_from,
    )
    db.session.add(org)
    db.session.flush()
    audit.record(actor, "org.create", org, details={"code": org.code, "name": org.name},
                 org_id=org.id)
    return org


def update_org(actor: Any, org: Organization, **changes: Any) -> Organization:
    """Edit the descriptive fields of a body."""
    require(actor, "orgs.manage", org)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed("Không sửa được trường: %(fields)s.",
                               params={"fields": ", ".join(sorted(unknown))})
    before = {k: getattr(org, k) for k in changes}
    for key, value in changes.items():
        if key in ("name", "short_name"):
            value = (value or "").strip()
            if not value:
                raise ValidationFailed("Tên không được để trống.", details={"field": key})
        setattr(org, key, value)
    db.session.flush()
    audit.record(actor, "org.update", org, details={"before": before, "after": changes},
                 org_id=org.id)
    return org


def retire_org(actor: Any, org: Organization, *, on: date) -> Organization:
    """Mark a body as no longer existing from ``on`` (it is never deleted)."""
    require(actor, "orgs.manage", org)
    if org.valid_to is not None:
        raise Conflict("Cơ quan này đã ngừng hoạt động.")
    if org.valid_from and on < org.valid_from:
        raise ValidationFailed("Ngày ngừng hoạt động phải sau ngày bắt đầu.")
    org.valid_to = on
    db.session.flush()
    audit.record(actor, "org.retire", org, details={"on": on.isoformat()}, org_id=org.id)
    return org


def merge_orgs(
    actor: Any, predecessors: list[Organization], successor: Organization, *, on: date,
    note: str = "",
) -> list[OrgSuccession]:
    """Retire ``predecessors`` and record ``successor`` as their continuation."""
    require(actor, "orgs.manage", successor)
    if not predecessors:
        raise ValidationFailed("Chọn ít nhất một cơ quan để sáp nhập.")
    links = []
    for old in predecessors:
        require(actor, "orgs.manage", old)
        if old.id == successor.id:
            raise ValidationFailed("Không thể sáp nhập một cơ quan vào chính nó.")
        if old.valid_to is None:
            old.valid_to = on
        link = OrgSuccession(predecessor=old, successor=successor, kind="merge", effective=on,
                             note=note)
        db.session.add(link)
        links.append(link)
    db.session.flush()
    audit.record(actor, "org.merge", successor,
                 details={"predecessors": [o.code or o.id for o in predecessors],
                          "on": on.isoformat()}, org_id=successor.id)
    return links
