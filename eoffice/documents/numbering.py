"""Registers and numbers (Decree 30, Điều 15 and Điều 22).

Numbers are Arabic ordinals per register per calendar year, from 01 on 1 January;
numbers below 10 are written with a leading zero. Notation: type abbreviation + issuer
abbreviation (``05/CT-UBND``); for công văn, issuer + drafting unit (``12/UBND-VP``).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from eoffice.core.errors import NotFound, ValidationFailed
from eoffice.documents.models import DocumentType, Register, RegisterCounter
from eoffice.extensions import db
from eoffice.orgs.models import Organization


def format_number(number: int) -> str:
    """``5`` → ``"05"``; ``123`` → ``"123"``."""
    if number < 1:
        raise ValueError("document numbers start at 1")
    return f"{number:02d}"


def notation(doc_type: DocumentType, issuer: Organization, unit: Organization | None = None
             ) -> str:
    """The notation part after the number: ``CT-UBND``, or ``UBND-VP`` for a công văn."""
    issuer_abbr = issuer.short_name.upper()
    if doc_type.abbreviation:
        return f"{doc_type.abbreviation}-{issuer_abbr}"
    if unit is None:
        return issuer_abbr
    return f"{issuer_abbr}-{unit.short_name.upper()}"


def document_types_for(org: Organization) -> list[DocumentType]:
    """Active types usable by ``org``: the national list plus the body's own."""
    rows = db.session.execute(
        sa.select(DocumentType).where(sa.or_(DocumentType.org_id.is_(None),
                                             DocumentType.org_id == org.id))
        .order_by(DocumentType.sort_order, DocumentType.name)).scalars().all()
    own = {t.code for t in rows if t.org_id == org.id}
    return [t for t in rows if t.active and (t.org_id == org.id or t.code not in own)]


def find_document_type(org: Organization, code_or_abbreviation: str) -> DocumentType:
    """The type by its code (``CV``) or abbreviation (``QĐ``); 422 if unknown."""
    key = (code_or_abbreviation or "").strip()
    for doc_type in document_types_for(org):
        if key and key.upper() in (doc_type.code.upper(), doc_type.abbreviation.upper()):
            return doc_type
    raise ValidationFailed("Loại văn bản “%(key)s” không tồn tại.", params={"key": key},
                           details={"field": "doc_type"})


def register_for(org: Organization, kind: str, *, doc_type: DocumentType | None = None,
                 confidential: bool = False) -> Register:
    """The register a document goes in: a per-type one if the body keeps it, else the
    body's general register of that kind; confidential documents only in a confidential one.
    Created on first use (one general register per kind)."""
    registers = db.session.execute(
        sa.select(Register).where(Register.org_id == org.id, Register.kind == kind,
                                  Register.active.is_(True),
                                  Register.confidential.is_(confidential))
        .order_by(Register.id)).scalars().all()
    if doc_type is not None:
        for register in registers:
            if register.document_type_id == doc_type.id:
                return register
    for register in registers:
        if register.document_type_id is None:
            return register
    names = {"outgoing": "Sổ văn bản đi", "incoming": "Sổ văn bản đến",
             "copy": "Sổ bản sao văn bản"}
    register = Register(org=org, kind=kind, confidential=confidential,
                        name=names[kind] + (" (mật)" if confidential else ""))
    db.session.add(register)
    db.session.flush()
    return register


def next_number(register: Register, on: date) -> int:
    """Take the next number of ``register`` for ``on``'s year, inside the caller's
    transaction: gapless, unique, rolled back with it."""
    if register.id is None:
        raise NotFound("Sổ văn bản chưa được lưu.")
    year = on.year
    counter = db.session.execute(
        sa.select(RegisterCounter)
        .where(RegisterCounter.register_id == register.id, RegisterCounter.year == year)
        .with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        _create_counter(register.id, year)
        counter = db.session.execute(
            sa.select(RegisterCounter)
            .where(RegisterCounter.register_id == register.id, RegisterCounter.year == year)
            .with_for_update()
        ).scalar_one()
    counter.last_number += 1
    db.session.flush()
    return counter.last_number


def _create_counter(register_id: int, year: int) -> None:
    """Insert the year's counter; a concurrent creator winning the race is fine."""
    table = RegisterCounter.__table__
    values = {"register_id": register_id, "year": year, "last_number": 0}
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        db.session.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        db.session.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())
