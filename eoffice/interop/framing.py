"""Several edXML packets in one HTTP body, unencoded (an eoffice extension of the hub API).

The national axis moves one packet per call; eoffice's hub also takes and serves batches
(``sendEdocs``, ``getEdocs``). Base64 inside JSON would make every byte of every packet
be encoded, escaped, parsed and decoded once more on each side (about 6 ms per 0.3 MB
packet on the benchmark machine). With media type :data:`MEDIA_TYPE` the body is instead:

* one line of JSON, the call's answer or request without the packets, whose list under
  ``key`` ("data" or "items") gives each packet's ``size`` in bytes, then ``\\n``;
* the packets' bytes one after another, in the list's order, filling the rest exactly.
"""

from __future__ import annotations

import json
from typing import Any

MEDIA_TYPE = "application/vnd.eoffice.edocs"


def frame(header: dict[str, Any], key: str, entries: list[dict[str, Any]],
          packets: list[bytes]) -> list[bytes]:
    """The body's parts (join them, or hand the list to a WSGI response as it is)."""
    listed = [dict(entry, size=len(packet)) for entry, packet in zip(entries, packets,
                                                                      strict=True)]
    head = json.dumps({**header, key: listed}, separators=(",", ":")).encode()
    return [head, b"\n", *packets]


def unframe(content: bytes, key: str) -> tuple[dict[str, Any], list[bytes]]:
    """The JSON header and the packets in order; ``ValueError`` if the body is malformed."""
    newline = content.find(b"\n")  # (not partition: that would copy the whole body once more)
    if newline < 0:
        raise ValueError("no header line")
    header = json.loads(content[:newline])
    entries = header.get(key) if isinstance(header, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"header without a {key!r} list")
    try:
        sizes = [int(entry["size"]) for entry in entries]
    except (KeyError, TypeError) as exc:
        raise ValueError("an entry without its size") from exc
    if any(size < 0 for size in sizes) or sum(sizes) != len(content) - newline - 1:
        raise ValueError("the sizes do not add up to the body")
    packets, offset = [], newline + 1
    for size in sizes:
        packets.append(content[offset:offset + size])
        offset += size
    return header, packets
