"""Who may act on outgoing documents (deny by default; the state is checked separately).

Every rule requires the actor to belong to the document's body: no body can read or touch
another body's drafts. Within the body: the drafter edits and submits; the head of the
drafting unit and the chosen signer review; only the chosen signer (a leader) signs; the
body's clerk issues, sends, resends, revokes and replaces.
"""

from __future__ import annotations

from typing import Any

from eoffice.core.permissions import rule


def _same_body(actor: Any, doc: Any) -> bool:
    return doc is not None and actor.org_id == doc.org_id


def is_unit_head(actor: Any, doc: Any) -> bool:
    """The head (lãnh đạo phòng) of the document's drafting unit."""
    return (_same_body(actor, doc) and actor.has_role("head") and doc.unit_id is not None
            and actor.unit_id == doc.unit_id)


def is_signer(actor: Any, doc: Any) -> bool:
    """The leader chosen to sign the document."""
    return _same_body(actor, doc) and actor.has_role("leader") and doc.signer_id == actor.id


def is_clerk(actor: Any, doc: Any) -> bool:
    """A clerk (văn thư) of the document's body."""
    return _same_body(actor, doc) and actor.has_role("clerk")


@rule("outgoing.create")
def can_create(actor: Any, org: Any) -> bool:
    """Specialists, unit heads and leaders draft for their own body."""
    return (org is not None and actor.org_id == org.id
            and actor.has_role("specialist", "head", "leader"))


@rule("outgoing.view")
def can_view(actor: Any, doc: Any) -> bool:
    """People of the issuing body who take part: drafter, reviewers, signer, clerks, admins;
    once issued, everyone of the body."""
    if not _same_body(actor, doc):
        return False
    if doc.status in ("issued", "sent", "revoked", "replaced"):
        return True
    return (doc.created_by_id == actor.id or is_unit_head(actor, doc) or is_signer(actor, doc)
            or actor.has_role("clerk", "admin", "leader"))


@rule("outgoing.edit")
def can_edit(actor: Any, doc: Any) -> bool:
    """The drafter edits their draft."""
    return _same_body(actor, doc) and doc.created_by_id == actor.id


@rule("outgoing.submit")
def can_submit(actor: Any, doc: Any) -> bool:
    """The drafter submits for review."""
    return _same_body(actor, doc) and doc.created_by_id == actor.id


@rule("outgoing.review")
def can_review(actor: Any, doc: Any) -> bool:
    """The unit head and the chosen signer approve or return."""
    return is_unit_head(actor, doc) or is_signer(actor, doc)


@rule("outgoing.sign")
def can_sign(actor: Any, doc: Any) -> bool:
    """Only the chosen signer signs."""
    return is_signer(actor, doc)


@rule("outgoing.issue")
def can_issue(actor: Any, doc: Any) -> bool:
    """The body's clerk issues (number, date, body signature) and sends."""
    return is_clerk(actor, doc)


@rule("outgoing.dispatch")
def can_dispatch(actor: Any, doc: Any) -> bool:
    """The body's clerk sends, resends, revokes and replaces issued documents."""
    return is_clerk(actor, doc)
