"""Bodies in a tree.

Data model
----------
``OrgTier``  the tiers are data (``province``, ``department``, ``district``,
             ``commune``, ``unit``), so a reform can add or retire one without code.
``Organization``  one row per body or internal unit. ``tier='unit'`` rows are
             departments/offices *inside* a body (Văn phòng, phòng ban); they carry
             no organisation code of their own unless the directory assigns one.
             Bodies carry their code (``000.00.30.H33``), the short name used in
             notations (``UBND``), the locality used on the place/date line, and
             validity dates. A body is never deleted: it is *retired*
             (``valid_to`` set) and may be *merged* into a successor.
``OrgSuccession``  predecessor → successor links (merge, rename, split) with the date
             they took effect, so history survives the 2025 reform.

State of a body: active (``valid_to`` is null or in the future) → retired. Merging
retires the predecessors and links them to the successor.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.core.db import Base, TimestampMixin

TIERS = ("province", "department", "district", "commune", "unit")


class OrgTier(Base):
    """A tier of the tree (cấp)."""

    __tablename__ = "org_tiers"

    key: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_body: Mapped[bool] = mapped_column(default=True)


class Organization(TimestampMixin, Base):
    """A body (cơ quan) or a unit inside one (đơn vị)."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(sa.String(35), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    short_name: Mapped[str] = mapped_column(sa.String(30))
    tier_key: Mapped[str] = mapped_column(sa.ForeignKey("org_tiers.key"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    locality: Mapped[str] = mapped_column(sa.String(100), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    seal_image: Mapped[str | None] = mapped_column(sa.String(64))

    tier: Mapped[OrgTier] = relationship(lazy="joined")
    parent: Mapped[Organization | None] = relationship(
        remote_side="Organization.id", back_populates="children"
    )
    children: Mapped[list[Organization]] = relationship(
        back_populates="parent", order_by="Organization.code, Organization.name"
    )

    __table_args__ = (
        sa.CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
                           name="validity"),
    )

    @property
    def is_body(self) -> bool:
        """Bodies have their own clerk, registers and seal; units do not."""
        return self.tier_key != "unit"

    def is_active_on(self, day: date) -> bool:
        """Whether the body exists on ``day``."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)

    @property
    def is_active(self) -> bool:
        """Whether the body exists today."""
        return self.valid_to is None or self.valid_to >= date.today()

    @property
    def body(self) -> Organization:
        """The body a unit belongs to (itself for a body)."""
        node: Organization = self
        while node.tier_key == "unit" and node.parent is not None:
            node = node.parent
        return node

    def ancestors(self) -> list[Organization]:
        """From the parent up to the root."""
        out: list[Organization] = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    def __repr__(self) -> str:
        return f"<Organization {self.code or self.id} {self.name!r}>"


class OrgSuccession(Base):
    """A predecessor body continued by a successor (merge, rename, split)."""

    __tablename__ = "org_successions"

    id: Mapped[int] = mapped_column(primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    successor_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    effective: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    predecessor: Mapped[Organization] = relationship(foreign_keys=[predecessor_id])
    successor: Mapped[Organization] = relationship(foreign_keys=[successor_id])

    __table_args__ = (
        sa.UniqueConstraint("predecessor_id", "successor_id"),
        sa.CheckConstraint("kind IN ('merge', 'rename', 'split')", name="kind"),
    )
