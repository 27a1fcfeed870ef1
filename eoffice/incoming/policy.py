"""Who may do what with incoming documents (deny by default).

* The body's clerk (văn thư) keeps the register: sees every incoming document of the
  body, takes in paper documents, registers or refuses, answers take-back requests.
* The body's leaders see all of the body's incoming documents and direct them.
* A unit head sees what is assigned to the unit (or its people) and re-assigns inside it.
* Everyone else sees only what they are assigned (lead, cooperate or inform), or what
  the clerk distributed to them to inform (``incoming.distribution``).
* Only the lead (the lead person, the head of the lead unit, or whoever that head
  re-assigned the lead to) completes; lead and cooperating handlers report progress.
Nobody outside the receiving body sees anything of it.
"""

from __future__ import annotations

from typing import Any

from eoffice.core.permissions import rule


def _same_body(actor: Any, doc: Any) -> bool:
    return doc is not None and actor.org_id == doc.org_id


def is_clerk(actor: Any, doc: Any) -> bool:
    """The receiving body's clerk."""
    return _same_body(actor, doc) and actor.has_role("clerk")


def is_leader(actor: Any, doc: Any) -> bool:
    """A leader of the receiving body."""
    return _same_body(actor, doc) and actor.has_role("leader")


def assignments_of(actor: Any, doc: Any, roles: tuple[str, ...] = ("lead", "cooperate",
                                                                     "inform")) -> list[Any]:
    """The active assignments that make ``actor`` a handler of ``doc``.

    A person's own assignment, or one to their unit when they head it.
    """
    if not _same_body(actor, doc):
        return []
    mine = []
    for item in doc.assignments:
        if not item.active or item.role not in roles:
            continue
        if item.user_id is not None and item.user_id == actor.id:
            mine.append(item)
        elif (item.user_id is None and item.unit_id is not None
              and item.unit_id == actor.unit_id and actor.has_role("head")):
            mine.append(item)
    return mine


@rule("incoming.view")
def can_view(actor: Any, doc: Any) -> bool:
    """Clerk and leaders of the body see all; others what they are assigned or what was
    distributed to them (inside the body only)."""
    if is_clerk(actor, doc) or is_leader(actor, doc):
        return True
    if assignments_of(actor, doc):
        return True
    from eoffice.incoming.distribution import is_recipient  # the module imports this one

    return is_recipient(actor, doc)


@rule("incoming.list")
def can_list(actor: Any, org: Any) -> bool:
    """Anyone may open the list of their own body (it is filtered per person)."""
    return org is not None and actor.org_id == org.id


@rule("incoming.intake")
def can_intake(actor: Any, org: Any) -> bool:
    """The clerk takes in paper documents for their body."""
    return org is not None and actor.org_id == org.id and actor.has_role("clerk")


@rule("incoming.register")
def can_register(actor: Any, doc: Any) -> bool:
    """The clerk registers (vào sổ) a received document."""
    return is_clerk(actor, doc)


@rule("incoming.refuse")
def can_refuse(actor: Any, doc: Any) -> bool:
    """The clerk refuses (returns) a received document."""
    return is_clerk(actor, doc)


@rule("incoming.takeback")
def can_answer_takeback(actor: Any, doc: Any) -> bool:
    """The clerk accepts or refuses the issuer's take-back request."""
    return is_clerk(actor, doc)


@rule("incoming.assign")
def can_assign(actor: Any, doc: Any) -> bool:
    """A leader of the body directs and assigns."""
    return is_leader(actor, doc)


@rule("incoming.reassign")
def can_reassign(actor: Any, doc: Any) -> bool:
    """A unit head re-assigns what was given to their unit."""
    if not _same_body(actor, doc) or not actor.has_role("head"):
        return False
    return any(a.unit_id == actor.unit_id and a.user_id is None for a in
               assignments_of(actor, doc, ("lead", "cooperate", "inform")))


@rule("incoming.progress")
def can_progress(actor: Any, doc: Any) -> bool:
    """Lead and cooperating handlers report progress and add notes and files."""
    return bool(assignments_of(actor, doc, ("lead", "cooperate")))


@rule("incoming.complete")
def can_complete(actor: Any, doc: Any) -> bool:
    """Only the lead completes."""
    return bool(assignments_of(actor, doc, ("lead",)))
