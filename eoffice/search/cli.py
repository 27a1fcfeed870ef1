"""``eoffice search reindex``: rebuild the search index of existing data."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("search")
def search_group() -> None:
    """Tìm kiếm văn bản / document search."""


@search_group.command("reindex")
@click.option("--kind", type=click.Choice(["incoming", "outgoing", "all"]), default="all",
              show_default=True)
@click.option("--no-text", is_flag=True, help="Only the metadata, not the PDFs' text.")
@click.option("--redo-text", is_flag=True, help="Read every PDF again, not only new ones.")
@click.option("--batch", type=click.IntRange(1, 5000), default=200, show_default=True)
@with_appcontext
def reindex_command(kind: str, no_text: bool, redo_text: bool, batch: int) -> None:
    """Rebuild the index entries (and PDF text) of every document, batch by batch."""
    from eoffice.core.uow import unit_of_work
    from eoffice.extensions import db
    from eoffice.search import service

    counts: dict[str, int] = {}
    for name in ("incoming", "outgoing") if kind == "all" else (kind,):
        last, done, texts = 0, 0, 0
        while ids := service.reindex_ids(name, last, batch=batch):
            with unit_of_work():
                texts += service.reindex_batch(name, ids, with_text=not no_text,
                                               redo_text=redo_text)
            db.session.expunge_all()  # memory stays flat over a million rows
            done += len(ids)
            last = ids[-1]
            click.echo(f"{name}: {done}", err=True)
        with unit_of_work():
            removed = service.remove_orphans(name)
        counts.update({name: done, f"{name}_texts": texts, f"{name}_removed": removed})
    with unit_of_work():
        service.record_reindex(counts)
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
