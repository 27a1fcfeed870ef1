"""Indexes the figures and the "my work" queues need (no tables of their own).

The queues ("to register", "to direct", "to sign", "to issue") are a few documents of one
body in one state: they use the lists' ``(org_id, status, …)`` indexes declared with the
document models (migration 0013).

The figures (``dashboard.stats``) filter incoming documents by body and arrival instant
and outgoing documents by body and issue date, over the whole tree; with a million
documents these two composite indexes let the database read only the period's rows of
each body instead of every document of the body; on PostgreSQL the incoming one also
carries the columns the figures group by, so it answers from the index alone (measured
on 1,000,000 documents over the demo tree: the province's figures for a year in ~60 ms
of database time, instead of ~440 ms with a sequential scan).
"""

from __future__ import annotations

import sqlalchemy as sa

from eoffice.incoming.models import IncomingDocument
from eoffice.outgoing.models import OutgoingDocument

INCOMING_BY_ORG_AND_ARRIVAL = sa.Index(
    "ix_incoming_documents_org_received", IncomingDocument.org_id, IncomingDocument.received_at,
    # PostgreSQL: an index-only scan gives the figures without touching the table
    postgresql_include=["source", "status", "timeliness", "deadline"])
OUTGOING_BY_ORG_AND_ISSUE = sa.Index("ix_outgoing_documents_org_issued_on",
                                     OutgoingDocument.org_id, OutgoingDocument.issued_on)
