"""Interconnection: edXML packets, the hub client, the transactional outbox."""
