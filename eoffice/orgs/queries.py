"""Read side of the body tree."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from eoffice.auth.models import User
from eoffice.extensions import db
from eoffice.orgs.models import Organization


def list_bodies(include_units: bool = False) -> list[Organization]:
    """All bodies (optionally units too), parents loaded, ordered by code."""
    stmt = sa.select(Organization).options(selectinload(Organization.parent))
    if not include_units:
        stmt = stmt.where(Organization.tier_key != "unit")
    return list(db.session.execute(stmt.order_by(Organization.code, Organization.name)).scalars())


def subtree_ids(root: Organization) -> list[int]:
    """Ids of ``root`` and every body/unit below it (one query per level)."""
    ids = [root.id]
    frontier = [root.id]
    while frontier:
        frontier = list(db.session.execute(
            sa.select(Organization.id).where(Organization.parent_id.in_(frontier))
        ).scalars())
        ids.extend(frontier)
    return ids


def tree(root: Organization | None = None) -> list[tuple[int, Organization]]:
    """Depth-first ``(depth, org)`` rows of the tree (or of ``root``'s subtree)."""
    orgs = db.session.execute(sa.select(Organization)).scalars().all()
    children: dict[int | None, list[Organization]] = {}
    for org in orgs:
        children.setdefault(org.parent_id, []).append(org)
    for kids in children.values():
        kids.sort(key=lambda o: (o.tier_key == "unit", o.code or "", o.name))
    out: list[tuple[int, Organization]] = []

    def walk(node: Organization, depth: int) -> None:
        out.append((depth, node))
        for child in children.get(node.id, []):
            walk(child, depth + 1)

    for top in ([root] if root is not None else children.get(None, [])):
        walk(top, 0)
    return out


def visible_users_query(actor: Any) -> sa.Select[tuple[User]]:
    """Users ``actor`` may see: their own body, or an admin's whole subtree."""
    if actor.has_role("admin"):
        ids = subtree_ids(actor.org)
    else:
        ids = [actor.org_id]
    return sa.select(User).where(User.org_id.in_(ids))


def successions_of(org: Organization) -> list[Any]:
    """Succession links where ``org`` is predecessor or successor."""
    from eoffice.orgs.models import OrgSuccession

    return list(db.session.execute(
        sa.select(OrgSuccession).where(sa.or_(OrgSuccession.predecessor_id == org.id,
                                              OrgSuccession.successor_id == org.id))
        .order_by(OrgSuccession.effective)
    ).scalars())


def org_choices(root: Organization, *, include_units: bool = False,
                exclude: int | None = None) -> list[Any]:
    """Select options for the bodies (and units) of ``root``'s subtree, indented by depth."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(org.id, "— " * depth + org.name) for depth, org in tree(root)
            if (include_units or org.is_body) and org.id != exclude]
