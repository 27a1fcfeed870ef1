"""Registers and numbers: format, notation, yearly restart, per-type and confidential
registers, rollback, and 50 concurrent issues."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from helpers import make_scratch_app

from eoffice.core.errors import ValidationFailed
from eoffice.core.permissions import SYSTEM
from eoffice.core.uow import unit_of_work
from eoffice.documents.models import Register
from eoffice.documents.numbering import (
    document_types_for,
    find_document_type,
    format_number,
    next_number,
    notation,
    register_for,
)
from eoffice.extensions import db
from eoffice.orgs import service as org_service


def test_format_number_leading_zero():
    assert [format_number(n) for n in (1, 9, 10, 123)] == ["01", "09", "10", "123"]
    with pytest.raises(ValueError):
        format_number(0)


def test_notation_by_type(make_org, db_session):
    body = make_org(short_name="UBND")
    unit = org_service.create_org(SYSTEM, name="Văn phòng", short_name="VP", tier="unit",
                                  parent=body)
    directive = find_document_type(body, "CT")
    decision = find_document_type(body, "qđ")
    letter = find_document_type(body, "CV")
    assert notation(directive, body) == "CT-UBND"
    assert notation(decision, body) == "QĐ-UBND"
    assert notation(letter, body, unit) == "UBND-VP"
    with pytest.raises(ValidationFailed):
        find_document_type(body, "XYZ")


def test_all_decree_types_present(make_org, db_session):
    names = {t.code: t.name for t in document_types_for(make_org())}
    assert names["QyĐ"] == "Quy định" and names["CV"] == "Công văn" and names["SY"] == "Bản sao y"
    assert len(names) >= 32


def test_numbers_run_per_register_per_year(make_org, db_session):
    body = make_org()
    register = register_for(body, "outgoing")
    assert [next_number(register, date(2026, 3, 1)) for _ in range(3)] == [1, 2, 3]
    assert next_number(register, date(2027, 1, 1)) == 1  # from 01 on 1 January
    assert next_number(register, date(2026, 12, 31)) == 4
    secret = register_for(body, "outgoing", confidential=True)
    assert secret.id != register.id and secret.confidential
    assert next_number(secret, date(2026, 3, 1)) == 1
    incoming = register_for(body, "incoming")
    assert next_number(incoming, date(2026, 3, 1)) == 1


def test_per_type_register_when_the_body_keeps_one(make_org, db_session):
    body = make_org()
    decision = find_document_type(body, "QĐ")
    general = register_for(body, "outgoing")
    per_type = Register(org=body, kind="outgoing", name="Sổ quyết định",
                        document_type_id=decision.id)
    db_session.add(per_type)
    db_session.flush()
    assert register_for(body, "outgoing", doc_type=decision).id == per_type.id
    assert register_for(body, "outgoing", doc_type=find_document_type(body, "CT")).id == \
        general.id


def test_failed_issue_gives_its_number_back(make_org, db_session):
    body = make_org()
    register = register_for(body, "outgoing")
    with unit_of_work():
        assert next_number(register, date(2026, 5, 1)) == 1
    with pytest.raises(RuntimeError), unit_of_work():
        assert next_number(register, date(2026, 5, 1)) == 2
        raise RuntimeError("TSA down")
    with unit_of_work():
        assert next_number(register, date(2026, 5, 1)) == 2


def test_fifty_concurrent_issues_get_fifty_consecutive_numbers(scratch_database_url, tmp_path):
    app = make_scratch_app(scratch_database_url, tmp_path / "instance")
    with app.app_context(), unit_of_work():
        body = org_service.create_org(SYSTEM, code="000.00.00.H33", name="UBND tỉnh",
                                      short_name="UBND", tier="province", parent=None)
        register_id = register_for(body, "outgoing").id
    numbers: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(50)

    def issue() -> None:
        try:
            start.wait()
            with app.app_context():
                with unit_of_work():
                    register = db.session.get(Register, register_id)
                    numbers.append(next_number(register, date(2026, 11, 26)))
                db.session.remove()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=issue) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(numbers) == list(range(1, 51))
    with app.app_context():
        db.engine.dispose()
