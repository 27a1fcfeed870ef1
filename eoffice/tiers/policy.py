"""Who may forward copies down the tiers and see the progress of a directive.

* ``tiers.forward`` — the clerk (văn thư) of the body that received the document: the
  copying body's clerk applies its body signature (Decree 30, Điều 25–27: the head of
  the body designates who signs copies; here that is the clerk who keeps the registers).
* ``tiers.view_copy`` — people of the copying body who may see the incoming document it
  was made from (its clerk and leaders see all of them). Another body never sees it.
* ``tiers.tree`` — people of the issuing body who may see the outgoing document; the
  tree shows what the bodies below reported back to it, so nobody else sees it.
Deny by default.
"""

from __future__ import annotations

from typing import Any

from eoffice.core.permissions import can, rule


@rule("tiers.forward")
def can_forward(actor: Any, doc: Any) -> bool:
    """The receiving body's clerk."""
    return doc is not None and actor.org_id == doc.org_id and actor.has_role("clerk")


@rule("tiers.view_copy")
def can_view_copy(actor: Any, copy: Any) -> bool:
    """The copying body's clerks and leaders."""
    return (copy is not None and actor.org_id == copy.org_id
            and actor.has_role("clerk", "leader", "admin"))


@rule("tiers.tree")
def can_view_tree(actor: Any, doc: Any) -> bool:
    """Whoever of the issuing body may see the outgoing document."""
    return doc is not None and actor.org_id == doc.org_id and can(actor, "outgoing.view", doc)
