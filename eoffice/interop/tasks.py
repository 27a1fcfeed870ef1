"""Thin Celery tasks over ``interop.service`` (JSON arguments, idempotent)."""

from __future__ import annotations

from celery import shared_task

from eoffice.interop import service


@shared_task(name="eoffice.interop.deliver_packet")
def deliver_packet(message_id: int) -> str:
    """One delivery attempt; a retry is scheduled by the row's ``next_attempt_at``."""
    return service.deliver(message_id)


@shared_task(name="eoffice.interop.deliver_packets")
def deliver_packets(message_ids: list[int]) -> list[str]:
    """Delivery attempts for several rows, sent to the hub in one ``sendEdocs`` call."""
    return service.deliver_many(message_ids)


@shared_task(name="eoffice.interop.flush_outbox")
def flush_outbox() -> int:
    """Queue delivery of every due pending packet (beat), in groups sent in one call each."""
    ids = service.claim_due_messages()
    if ids:
        service.queue_deliveries(ids)
    return len(ids)


@shared_task(name="eoffice.interop.poll_hub")
def poll_hub(shard: int = 0, shards: int = 1) -> dict[str, int]:
    """Fetch documents and statuses waiting at the hub (beat; one per shard)."""
    return service.poll(shard=shard, shards=shards)


@shared_task(name="eoffice.interop.demo_peer")
def demo_peer() -> int:
    """The built-in Văn phòng Chính phủ peer answers like a real receiver (demo only)."""
    from eoffice.interop.demo import run_demo_peer

    return run_demo_peer()
