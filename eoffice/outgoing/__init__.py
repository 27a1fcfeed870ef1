"""Outgoing documents: drafting → review → the leader's signature → issuing → dispatch.

``models`` the tables, ``workflow`` the explicit state machine, ``policy`` who may act,
``service`` every state change (web, API and CLI call it), ``queries`` the read side,
``compose`` the Decree 30 template renderer, ``detect`` the "Số:" / date-line finder for
uploaded PDFs, ``files`` upload checks, DOCX conversion and page previews.
"""
