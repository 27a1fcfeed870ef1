"""Search as Vietnamese officials type: without diacritics, case-insensitive, over number
and notation, subject, issuer, signer and the text inside the PDFs.

``SearchEntry`` (``search_entries``)  one row per incoming or outgoing document
    (``kind`` + ``doc_id``, unique), owned by the body that holds it (``org_id``). It
    copies what result lists show (code, subject, issuer, signer, type, as written), the
    filter columns (``issuer_code``, folded ``type_key``, ``status``, ``urgency`` 0–3,
    ``doc_date``: the document's date, or the day it arrived / was drafted) and three
    folded texts (:mod:`eoffice.search.text`): ``title_text`` (number, notation,
    subject), ``people_text`` (issuer, signer, type) and ``content_text`` (the PDFs'
    text). Its metadata follows the document through one ``after_flush`` listener
    (:mod:`eoffice.search.index`), so every state change of either workflow is seen;
    the PDF text is written by the task ``eoffice.search.extract_text`` (or
    ``extract_texts`` for up to 20 documents), queued once per transaction after commit
    when documents arrive (incoming) or are issued (outgoing).
    ``content_state``: ``pending`` → ``done`` (text found) / ``none`` (no text layer,
    e.g. a scan) / ``failed`` (unreadable).
The full-text engine depends on the database:
    * SQLite: the FTS5 table ``search_fts`` (external content over ``search_entries``,
      kept in step by triggers), created by migration 0009 on SQLite only; ranked by
      ``bm25`` with weights 10 / 4 / 1 for title / people / content.
    * PostgreSQL: ``tsv``, the weighted (A / B / C) ``to_tsvector('simple', …)`` of the
      folded texts, in one GIN index with ``org_id`` (``btree_gin``); ranked by
      ``ts_rank``.
    Queries always filter by the reader's body first; ``ix_search_entries_org_date``
    serves lists without words, newest first. Matches are counted up to 10,000.
``SavedSearch`` (``saved_searches``)  a user's named search: the query parameters of
    ``/search`` as JSON, unique per user and name.

Visibility is the workflows' own: a reader finds only what ``incoming.view`` /
``outgoing.view`` would let them open (:mod:`eoffice.search.engine`).
"""
