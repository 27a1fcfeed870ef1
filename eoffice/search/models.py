"""The search index and saved searches (see :mod:`eoffice.search` for the data model)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from eoffice.core.db import Base, utcnow

KINDS = ("incoming", "outgoing")
CONTENT_STATES = ("pending", "done", "none", "failed")
# Names of the SQLite FTS5 table (created by migration 0009 on SQLite only) and its
# shadow tables, which the models do not describe.
FTS_TABLE = "search_fts"


class SearchEntry(Base):
    """One incoming or outgoing document as the search engine sees it."""

    __tablename__ = "search_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    doc_id: Mapped[int]
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    issuer_code: Mapped[str] = mapped_column(sa.String(35), default="")
    type_key: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[str] = mapped_column(sa.String(12))
    urgency: Mapped[int] = mapped_column(default=0)
    doc_date: Mapped[date] = mapped_column(sa.Date)
    # shown in result lists, as written
    code: Mapped[str] = mapped_column(sa.String(50), default="")
    subject: Mapped[str] = mapped_column(sa.String(500), default="")
    issuer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    signer_name: Mapped[str] = mapped_column(sa.String(100), default="")
    type_name: Mapped[str] = mapped_column(sa.String(100), default="")
    # searched, folded (eoffice.search.text.index_text)
    # (deferred: result lists never load them)
    title_text: Mapped[str] = mapped_column(sa.Text, default="", deferred=True)
    people_text: Mapped[str] = mapped_column(sa.Text, default="", deferred=True)
    content_text: Mapped[str] = mapped_column(sa.Text, default="", deferred=True)
    content_state: Mapped[str] = mapped_column(sa.String(10), default="pending")
    # PostgreSQL only: the weighted tsvector of the three texts (NULL on SQLite)
    tsv: Mapped[str | None] = mapped_column(sa.Text().with_variant(postgresql.TSVECTOR(),
                                                                   "postgresql"), deferred=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("kind", "doc_id"),
        # the reader's body first, newest first: "ORDER BY doc_date DESC LIMIT n" walks it;
        # on PostgreSQL it also carries what visibility and counting read (index-only scans)
        sa.Index("ix_search_entries_org_date", "org_id", "doc_date", "id",
                 postgresql_include=["kind", "status", "doc_id", "urgency"]),
        # PostgreSQL: one GIN over (body, words) — btree_gin — so a body's matches are
        # intersected inside the index instead of over every body's posting lists
        sa.Index("ix_search_entries_org_tsv", "org_id", "tsv", postgresql_using="gin").ddl_if(
            dialect="postgresql"),
        sa.CheckConstraint("kind IN ('incoming', 'outgoing')", name="kind"),
        sa.CheckConstraint("urgency BETWEEN 0 AND 3", name="urgency"),
        sa.CheckConstraint("content_state IN ('pending', 'done', 'none', 'failed')",
                           name="content_state"),
    )


class SavedSearch(Base):
    """A search a user named and keeps (the query parameters of ``/search``)."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    params: Mapped[str] = mapped_column(sa.Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)


def include_object(obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object, dialect: str) -> bool:
    """Alembic filter: the FTS5 tables and indexes meant for another dialect are not
    part of the model comparison."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    if type_ == "index" and obj is not None and not reflected:
        ddl_if = getattr(obj, "_ddl_if", None)
        if ddl_if is not None and ddl_if.dialect and ddl_if.dialect != dialect:
            return False
    return True
